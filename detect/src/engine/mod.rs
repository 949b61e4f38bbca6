//! The detection engine: rules loaded into a [`RuleSet`], run over Arrow batches by a
//! [`Detector`], with their own tests run by [`run_tests`].
//!
//! - [`ruleset`]: rule files (a folder, or the library embedded in the binary) parsed,
//!   compiled and linked; problems kept per file and line.
//! - [`run`]: evaluation of a batch: columnar masks per rule, [`crate::model::Hit`]s for
//!   matching rows, grouped into findings or fed to correlations.
//! - [`alerts_out`]: findings appended to the lake's `alerts` table.
//! - [`event`]: one matching row read out as context and evidence.
//! - [`ruletest`]: `tests:` of each rule through the real ingest parsers.

pub mod alerts_out;
pub mod event;
pub mod ruleset;
pub mod ruletest;
pub mod run;

pub use alerts_out::store_alerts;
pub use ruleset::{read_dir, LoadedCorrelation, LoadedRule, RuleFile, RuleSet};
pub use ruletest::{run_tests, TestOutcome};
pub use run::{Detector, RunStats, Selection};
