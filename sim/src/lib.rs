//! Tripline sim: test data for detection and its scoring — a labelled corpus of
//! benign serverless traffic and attacks, and findings scored against its labels.
//!
//! # Why a crate of its own
//!
//! The simulator is a test-data generator and evaluation a scorer; neither is part of
//! detection, and nothing that detects or ingests depends on them. Kept apart, the
//! detection crate does not carry 7k lines of generator (and its random-number,
//! gzip and base64 dependencies), and the boundary is checked by the compiler:
//! `tripline-detect` cannot reach into the simulator's world to "know" the answers.
//! The dependency goes one way only: `tripline-sim` uses `tripline-detect` for the
//! finding model ([`tripline_detect::Finding`]) that [`eval::evaluate`] scores and
//! for the pipeline [`corpus`] runs; the simulator itself writes plain files in the real input
//! formats and needs nothing of detection.
//!
//! # Layout
//!
//! - [`simulate`]: `tripline simulate`, a labelled corpus: realistic benign serverless
//!   traffic over a seeded world plus multi-step attack scenarios, written as real
//!   CloudTrail delivery files and Lambda CloudWatch Logs payloads
//!   ([`SimulateConfig`], [`simulate::run`], [`simulate::scenarios`]), with
//!   `labels.jsonl` ([`Label`]) and `manifest.json` ([`Manifest`]).
//! - [`eval`]: `tripline eval`'s scoring: findings against a corpus's labels
//!   (per-scenario detection and time to detect, precision, recall, false findings
//!   per million benign events; [`eval::evaluate`], [`EvalReport`]).
//! - [`corpus`]: a corpus evaluated end to end (ingest, baselines, the detection
//!   pipeline, scoring; [`corpus::evaluate_corpus`]), as `tripline eval` and the demo
//!   run it.
//! - [`error`]: [`SimError`], whose variants say who is to blame: the user's request,
//!   the machine writing the corpus, a labels file, or a bug.

// Every public item is documented (STYLE.md).
#![warn(missing_docs)]

pub mod corpus;
pub mod error;
pub mod eval;
pub mod simulate;

pub use error::SimError;
pub use eval::EvalReport;
pub use simulate::{Label, Manifest, SimulateConfig, SimulateSummary};
