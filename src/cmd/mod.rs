//! One module per subcommand: `XxxArgs` (what the user typed) and `run` (resolve the
//! arguments into library configuration, run, report).

pub mod baseline;
pub mod demo;
pub mod detect;
pub mod eval;
pub mod ingest;
pub mod query;
pub mod rules;
pub mod simulate;

/// A usage mistake the argument parser could not catch (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
