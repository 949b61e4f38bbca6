//! [`DetectError`]: what went wrong in `tripline-detect`, and whose fault it was.
//!
//! The variants encode blame so that the CLI can word its message (and pick its exit
//! code) without parsing strings:
//!
//! - the user's SQL: [`DetectError::ReadOnly`] (a statement that would write) and
//!   [`DetectError::Plan`] (a query that does not parse or plan, e.g. an unknown
//!   column);
//! - the lake: [`DetectError::Lake`] (missing, not a lake, unreadable, a corrupt file)
//!   always names the path;
//! - running the query: [`DetectError::MemoryLimit`] and [`DetectError::Execution`];
//! - writing the results: [`DetectError::Output`];
//! - the suppression allowlist: [`DetectError::Allowlist`] names the file and entry;
//! - running a compiled Sigma rule on a batch of the wrong table or schema:
//!   [`DetectError::Eval`];
//! - a batch handed to an anomaly detector: [`DetectError::BadBatch`];
//! - a bug or an impossible state: [`DetectError::Internal`].
//!
//! DataFusion errors are boxed to keep the enum small (see the `size_of` test).

use std::fmt;
use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// The statements the read-only query engine accepts, for error messages.
pub const ALLOWED_STATEMENTS: &str = "SELECT, WITH, VALUES, EXPLAIN, SHOW and DESCRIBE";

/// An error of the query engine over the lake.
///
/// Each message is complete on its own (it includes the underlying error's text), so
/// the variants do not chain a `source()`: printing the chain (`{:#}` in `anyhow`)
/// would repeat it. [`DetectError::datafusion_error`] gives the DataFusion error.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The statement would write (`COPY`, `CREATE …`, `INSERT`, `DROP`, `SET`, …): the
    /// lake is read-only. Blame: the user's SQL.
    #[error(
        "{statement} is not allowed: the lake is read-only \
         (allowed: {ALLOWED_STATEMENTS})"
    )]
    ReadOnly {
        /// The kind of statement refused, e.g. `COPY` or `CREATE EXTERNAL TABLE`.
        statement: String,
    },

    /// The SQL does not parse or plan (syntax error, unknown table or column, wrong
    /// types). Blame: the user's SQL.
    #[error("invalid query: {}", strip(.0))]
    Plan(Box<DataFusionError>),

    /// The lake is missing, is not a lake, or holds data that cannot be read. Blame:
    /// the lake at `path`.
    #[error("lake {}: {reason}", .path.display())]
    Lake {
        /// The directory or file at fault.
        path: PathBuf,
        /// What is wrong with it, including the underlying error.
        reason: String,
    },

    /// The query needed more memory than the configured limit allows, even spilling.
    #[error(
        "query needs more memory than the limit of {} allows \
         (raise it with --memory-limit): {}",
        ByteSize(*.limit),
        allocation_failure(.error)
    )]
    MemoryLimit {
        /// The memory limit in bytes.
        limit: usize,
        /// DataFusion's report, naming the largest consumers.
        error: Box<DataFusionError>,
    },

    /// The query planned but failed while running.
    #[error("query failed: {}", strip(.0))]
    Execution(Box<DataFusionError>),

    /// Results could not be written (closed pipe, full disk, unsupported type).
    #[error("writing query results: {0}")]
    Output(std::io::Error),

    /// A rule folder or file cannot be read, or an allowlist/config file is invalid.
    /// Blame: the file at `path`.
    #[error("{path}: {reason}")]
    Rules {
        /// The file or folder at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A batch handed to a detector lacks its table's time column or holds a column
    /// of a type that cannot be read as the table's. Blame: the caller's batch.
    #[error("{table} batch cannot be scored: {reason}")]
    BadBatch {
        /// The table the batch was said to belong to.
        table: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A compiled rule could not run on a batch: the batch is of another table, or
    /// lacks a column of the table's schema. Blame: the caller's batch.
    #[error("rule evaluation: {0}")]
    Eval(String),

    /// The suppression allowlist at `path` cannot be read or is invalid. Blame: the
    /// user's allowlist file.
    #[error("allowlist {}: {reason}", .path.display())]
    Allowlist {
        /// The allowlist file.
        path: PathBuf,
        /// What is wrong: the entry (by position and rule) and the problem.
        reason: String,
    },

    /// Log files could not be read (a missing or unreadable path, a failed write to
    /// the quarantine). Blame: the input or directory the error names.
    #[error("{0}")]
    Input(Box<tripline_ingest::IngestError>),

    /// A bug: a state the engine should never reach.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<tripline_ingest::IngestError> for DetectError {
    /// Writing the lake (through [`tripline_ingest::lake`]) failed: the lake at the
    /// path is to blame, unless the encoder refused a batch, which is a bug.
    fn from(err: tripline_ingest::IngestError) -> Self {
        use tripline_ingest::IngestError as E;
        match err {
            E::Lake { path, source } | E::Input { path, source } => DetectError::Lake {
                path,
                reason: source.to_string(),
            },
            E::Manifest { path, message } | E::Corrupt { path, message } => DetectError::Lake {
                path,
                reason: message,
            },
            E::Internal { path, message } => {
                DetectError::Internal(format!("writing {}: {message}", path.display()))
            }
        }
    }
}

impl DetectError {
    /// True when the user's SQL is at fault ([`Self::ReadOnly`], [`Self::Plan`]), as
    /// opposed to the lake, the machine or a bug.
    pub fn is_user_error(&self) -> bool {
        matches!(self, DetectError::ReadOnly { .. } | DetectError::Plan(_))
    }

    /// True when writing results failed because the reader went away (e.g. `| head`),
    /// which a CLI should treat as a normal end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, DetectError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The DataFusion error behind a [`Self::Plan`], [`Self::MemoryLimit`] or
    /// [`Self::Execution`].
    pub fn datafusion_error(&self) -> Option<&DataFusionError> {
        match self {
            DetectError::Plan(e) | DetectError::Execution(e) => Some(e),
            DetectError::MemoryLimit { error, .. } => Some(error),
            _ => None,
        }
    }

    /// A [`Self::Lake`] error.
    pub(crate) fn lake(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        DetectError::Lake {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Classifies a DataFusion error raised while parsing and planning.
    ///
    /// Errors reading files (Parquet, I/O, object store) blame the lake at `lake`;
    /// everything else blames the SQL.
    pub(crate) fn from_planning(err: DataFusionError, lake: &std::path::Path) -> Self {
        if reads_data(&err) {
            return lake_read_error(err, lake);
        }
        DetectError::Plan(Box::new(err))
    }

    /// Classifies a DataFusion error raised while running a query.
    pub(crate) fn from_execution(
        err: DataFusionError,
        lake: &std::path::Path,
        memory_limit: usize,
    ) -> Self {
        match err.find_root() {
            DataFusionError::ResourcesExhausted(_) => DetectError::MemoryLimit {
                limit: memory_limit,
                error: Box::new(err),
            },
            _ if reads_data(&err) => lake_read_error(err, lake),
            // Planning errors can surface at execution (e.g. a type only known once
            // the data is read); they still blame the SQL.
            DataFusionError::Plan(_)
            | DataFusionError::SchemaError(..)
            | DataFusionError::SQL(..)
            | DataFusionError::NotImplemented(_) => DetectError::Plan(Box::new(err)),
            _ => DetectError::Execution(Box::new(err)),
        }
    }
}

/// True when the root cause is reading data: a Parquet, I/O or object store error.
fn reads_data(err: &DataFusionError) -> bool {
    match err.find_root() {
        DataFusionError::ParquetError(_)
        | DataFusionError::ObjectStore(_)
        | DataFusionError::IoError(_) => true,
        DataFusionError::ArrowError(arrow, _) => matches!(
            **arrow,
            arrow::error::ArrowError::ParquetError(_) | arrow::error::ArrowError::IoError(..)
        ),
        _ => false,
    }
}

fn lake_read_error(err: DataFusionError, lake: &std::path::Path) -> DetectError {
    DetectError::lake(lake, format!("reading the data failed: {}", strip(&err)))
}

/// The message of a DataFusion error without its backtrace.
fn strip(err: &DataFusionError) -> String {
    err.strip_backtrace()
}

/// The gist of an out-of-memory error: DataFusion's message repeats its list of
/// memory consumers; keep the final "Failed to allocate …" sentence.
fn allocation_failure(err: &DataFusionError) -> String {
    let message = strip(err);
    match message.rfind("Failed to allocate") {
        Some(start) => message[start..].to_owned(),
        None => message,
    }
}

/// A byte count printed with a binary unit, e.g. `1 GiB` or `512 MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0;
        let mut unit = 0;
        while unit + 1 < UNITS.len() && value >= 1024 && value % 1024 == 0 {
            value /= 1024;
            unit += 1;
        }
        write!(f, "{value} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Errors travel through every `Result` of the crate: keep them a few words.
        assert!(std::mem::size_of::<DetectError>() <= 64);
    }

    #[test]
    fn read_only_message_says_what_is_allowed() {
        let err = DetectError::ReadOnly {
            statement: "COPY".into(),
        };
        insta::assert_snapshot!(err, @"COPY is not allowed: the lake is read-only (allowed: SELECT, WITH, VALUES, EXPLAIN, SHOW and DESCRIBE)");
        assert!(err.is_user_error());
    }

    #[test]
    fn memory_errors_name_the_limit() {
        let err = DetectError::from_execution(
            DataFusionError::ResourcesExhausted("sort needs 3 GiB".into()),
            std::path::Path::new("/lake"),
            1 << 30,
        );
        assert!(matches!(err, DetectError::MemoryLimit { .. }));
        assert!(err.to_string().contains("1 GiB"), "{err}");
    }

    #[test]
    fn io_errors_while_reading_blame_the_lake() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let err = DetectError::from_execution(
            DataFusionError::IoError(io).context("scanning"),
            std::path::Path::new("/lake"),
            1 << 30,
        );
        assert!(
            matches!(&err, DetectError::Lake { path, .. } if path == std::path::Path::new("/lake")),
            "{err:?}"
        );
    }

    #[test]
    fn byte_sizes_use_binary_units() {
        assert_eq!(ByteSize(1 << 30).to_string(), "1 GiB");
        assert_eq!(ByteSize(1536 << 20).to_string(), "1536 MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000 B");
    }
}
