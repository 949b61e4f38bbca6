//! Tripline detect: SQL over the lake, and (in later modules) the rule engine,
//! baselines, scoring and alerts.
//!
//! # Layout
//!
//! - [`lake`]: [`LakeSession`], a read-only DataFusion session over the
//!   hive-partitioned Parquet lake (`table=<name>/date=YYYY-MM-DD/*.parquet`): one SQL
//!   table per `table=` directory, a `date` partition column that prunes, the JSON
//!   functions (`json_get_str`, `->`, `->>`), a memory limit with spilling
//!   ([`LakeOptions`]), and a two-layer check that refuses any statement that would
//!   write.
//! - [`output`]: query results written as `table`, `csv` or `json`
//!   ([`OutputFormat`], [`write_result`]), times in UTC RFC 3339.
//! - [`pipeline`]: the one detection pipeline ([`Pipeline`]: rules, correlations,
//!   detectors, minimum level, allowlist; `process` / `advance` / `finish`), fed from
//!   files or from the lake merged across tables in event-time order
//!   ([`pipeline::detect`]), findings out through [`pipeline::FindingSink`]s.
//! - [`engine`]: rule sets loaded and run over batches ([`engine::Detector`]), rule
//!   tests.
//! - [`model`]: what passes between the detection stages: [`RuleInfo`], [`Hit`],
//!   [`Finding`].
//! - [`rules`]: the rule library (`rules/**/*.yml`) embedded at build time
//!   ([`rules::EMBEDDED`]).
//! - [`sigma`]: the Sigma rule engine: rule files parsed ([`sigma::parse_rules`]) into
//!   detection and correlation rules, detection rules compiled
//!   ([`sigma::compile()`]) and evaluated column by column over Arrow batches
//!   ([`sigma::BatchFields`]), and lint ([`sigma::load_dir`], [`sigma::resolve`]).
//! - [`finding`]: from a matched event to the bytes the SOC receives:
//!   [`Aggregator`] folds single-event rule hits into one [`Finding`] per (rule,
//!   group, window), [`finding_uid`] gives it a stable id, [`to_ocsf`] writes it as an
//!   OCSF Detection Finding (ATT&CK from the rule's tags, secrets redacted), and
//!   [`finding::alerts`] flattens it into the lake's `alerts` table.
//! - [`correlate`]: [`Correlator`], the state machine of one Sigma correlation rule
//!   (`event_count`, `value_count`, `temporal`, `temporal_ordered`; sliding, tumbling
//!   or session windows), the same for batch and streaming.
//! - [`suppress`]: [`Allowlist`], the expiring allowlist applied before output.
//! - [`error`]: [`DetectError`], whose variants say who is to blame: the user's SQL,
//!   the lake (with its path), the query's execution, or writing the output.
//! - [`baseline`]: behavioural baselines of principals, functions and accounts —
//!   DataFusion SQL over the lake under its memory limit, persisted as Parquet under
//!   `<lake>/_baselines/v<ts>/` with `CURRENT` ([`baseline::build`]), read back into
//!   hash maps for scoring ([`baseline::load`], [`baseline::Baselines`]).
//! - [`anomaly`]: statistical detectors (spray, invocation flood, error spikes,
//!   resource outliers, enumeration, brute force, AccessDenied spikes, new APIs,
//!   execution-role credentials outside Lambda, new regions/services), batch-in
//!   operators ([`anomaly::Detector`]) configured by [`anomaly::AnomalyConfig`].

// Every public item is documented (STYLE.md).
#![warn(missing_docs)]

pub mod anomaly;
pub mod baseline;
mod columns;
pub mod correlate;
pub mod engine;
pub mod error;
pub mod finding;
pub mod lake;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod rules;
pub mod sigma;
pub mod suppress;

pub use correlate::Correlator;
pub use error::DetectError;
pub use finding::{finding_uid, to_ocsf, Aggregator};
pub use lake::{LakeOptions, LakeSession, QueryResult, ReadOnlyStatement};
pub use model::{EventContext, Finding, Hit, Level, RuleInfo, Service};
pub use output::{write_batches, write_result, OutputFormat};
pub use pipeline::{Pipeline, PipelineConfig};
pub use suppress::Allowlist;
