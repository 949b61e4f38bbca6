//! The one error type of the ingest crate.
//!
//! Two different things can go wrong while ingesting, and they are kept apart on
//! purpose: a *record* that cannot be parsed is not an error of the run — it is
//! quarantined with a [`RecordError`] reason and counted — while an [`IngestError`]
//! stops the run (an unreadable input path, a lake that cannot be written).

use std::path::PathBuf;

/// Failure of an ingest run. Each variant names what failed and where, so the CLI can
/// print it as is.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An input path could not be opened or listed.
    #[error("cannot read input {path}: {source}")]
    Input {
        /// The path as the user gave it (or found under a directory).
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The lake (or the quarantine) could not be written.
    #[error("cannot write lake at {path}: {source}")]
    Lake {
        /// The file or directory that failed.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// Parquet or Arrow refused a batch: a bug in a schema or a builder, never bad input.
    #[error("internal error writing {path}: {message}")]
    Internal {
        /// The file being written.
        path: PathBuf,
        /// What the encoder said.
        message: String,
    },
    /// A file of the lake holds what it must not (e.g. a `CURRENT` that names no
    /// version).
    #[error("invalid lake file {path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The manifest of the lake is unreadable.
    #[error("broken lake manifest {path}: {message}")]
    Manifest {
        /// The manifest entry that failed to parse.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
}

/// Why one record was quarantined. The `Display` text is the `reason` of the
/// quarantine line, so it says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// Not valid JSON although it starts like JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Valid JSON or text, but of no input form Tripline knows.
    #[error("unrecognised record: {0}")]
    Unrecognised(String),
    /// A recognised form whose required field is missing or has the wrong type.
    #[error("{form}: expected {expected}")]
    Field {
        /// The input form that was recognised (e.g. "CloudTrail event").
        form: &'static str,
        /// What was expected, e.g. "`eventTime` as an RFC 3339 timestamp".
        expected: String,
    },
    /// The record is larger than the configured limit.
    #[error("record of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size seen so far.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The input ended inside this record (truncated file or damaged compression).
    #[error("input ends inside this record: {0}")]
    Truncated(String),
    /// An envelope (CloudWatch Logs subscription) whose payload cannot be decoded.
    #[error("cannot decode {form}: {message}")]
    Decode {
        /// The envelope kind.
        form: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl RecordError {
    /// Shorthand for a missing/invalid field of a recognised form.
    pub fn field(form: &'static str, expected: impl Into<String>) -> Self {
        RecordError::Field {
            form,
            expected: expected.into(),
        }
    }
}
