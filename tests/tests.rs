//! The one integration-test binary: end-to-end tests of the `tripline` CLI on fixtures
//! this team wrote (`tests/fixtures/`), with real components (the real lake on disk,
//! DuckDB as an independent reader).
//!
//! - `util`: helpers (the binary under test, fixture paths, reading the lake).
//! - `ingest`: every input form, the conservation law, quarantine, idempotence,
//!   crash safety, stdin, gzip damage.
//! - `lake_readers`: the lake read by DuckDB, an engine that is not ours.
//! - `query`: `tripline query` formats and read-only enforcement.
//! - `detect`: `tripline detect` and `tripline rules` — OCSF findings, stable uids,
//!   grouping, correlations, suppression, the alerts table, bad rules and events.
//! - `eval`: a simulated corpus scored end to end (recall, precision).
//! - `demo`: `tripline demo` runs end to end.
//! - `baseline`: `tripline baseline build` output, `CURRENT`, usage errors.
//! - `coverage`: the Stratus Red Team techniques measured through `tripline detect`
//!   (≥ 90 % raise a finding), ordinary administration and Panther's benign events quiet.
//! - `golden`: `tripline detect` findings of every file-discovered case against its
//!   insta snapshot (`tests/golden/`).

mod util;

mod baseline;
// Issue 4's coverage measurement (fixtures in tests/fixtures/stratus/).
mod coverage;
mod demo;
mod detect;
mod eval;
// Golden tests discovered from files: tests/golden/<case>/input.* and the Stratus
// fixtures through `tripline detect`, insta snapshots in tests/golden/snapshots/.
mod golden;
mod ingest;
mod lake_readers;
mod query;
