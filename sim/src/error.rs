//! [`SimError`]: what can go wrong writing a corpus or reading its labels, and who is
//! to blame.

use std::path::PathBuf;

/// An error of the simulator or of evaluation. The messages are the ones
/// `tripline simulate` and `tripline eval` print.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// `tripline simulate` was asked for something it cannot do (an unknown scenario,
    /// a negative scale, an output directory that is not empty). Blame: the user.
    #[error("simulate: {0}")]
    Config(String),

    /// `tripline simulate` could not write its corpus. Blame: the machine (disk full,
    /// permissions) at `path`.
    #[error("simulate: writing {}: {error}", .path.display())]
    Write {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },

    /// A corpus's `labels.jsonl` cannot be read or holds a line that is not a label.
    /// Blame: the file at `path` (with the line number when a line is at fault).
    #[error("{path}: {reason}")]
    Labels {
        /// The file, or `file:line`.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Evaluating a corpus failed in ingest, baselines or detection (the message
    /// names the stage's own error). Blame: what that error names.
    #[error("{0}")]
    Pipeline(String),

    /// A bug: a state the simulator should never reach.
    #[error("internal error: {0}")]
    Internal(String),
}

impl SimError {
    /// True when the user's request is at fault ([`Self::Config`]), as opposed to the
    /// machine, the files or a bug: the CLI exits with its usage code.
    pub fn is_user_error(&self) -> bool {
        matches!(self, SimError::Config(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configuration_errors_blame_the_user() {
        assert!(SimError::Config("--days must be between 1 and 366, got 0".into()).is_user_error());
        let write = SimError::Write {
            path: "/corpus/labels.jsonl".into(),
            error: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
        };
        assert_eq!(
            write.to_string(),
            "simulate: writing /corpus/labels.jsonl: disk full"
        );
        assert!(!write.is_user_error());
        let labels = SimError::Labels {
            path: "labels.jsonl:3".into(),
            reason: "not a label line".into(),
        };
        assert_eq!(labels.to_string(), "labels.jsonl:3: not a label line");
        assert!(!labels.is_user_error());
    }
}
