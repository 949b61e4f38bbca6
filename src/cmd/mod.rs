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

/// Threads for work the commands spread over cores: one per core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
