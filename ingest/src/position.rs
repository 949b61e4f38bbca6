//! Where a record came from, and what its envelope said about it.

use std::sync::Arc;

/// The position of one record in its source, as reported in the `source` column and
/// in quarantine lines: byte offset in the (decompressed) stream and 1-based line.
#[derive(Debug, Clone)]
pub struct Position {
    /// File path, `-` for stdin, or `topic/partition` for Kafka.
    pub source: Arc<str>,
    /// Byte offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    /// 1-based line number of the record's first byte.
    pub line: u64,
    /// Index inside an envelope (CloudWatch Logs `logEvents`, S3 event `Records`), if any.
    pub index: Option<u32>,
}

impl Position {
    /// The `source` column value: `path@offset` or `path@offset#index`.
    pub fn render(&self) -> String {
        match self.index {
            Some(i) => format!("{}@{}#{}", self.source, self.offset, i),
            None => format!("{}@{}", self.source, self.offset),
        }
    }
}

/// Facts an envelope gives about the records inside it, used where the record itself
/// does not carry them (a Lambda `REPORT` line does not name its function; the
/// CloudWatch Logs log group `/aws/lambda/<name>` does).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Function name, e.g. from log group `/aws/lambda/<name>` or a Powertools log.
    pub function_name: Option<String>,
    /// Lambda request id of the invocation, e.g. Powertools `function_request_id`.
    pub request_id: Option<String>,
    /// AWS account id, e.g. CloudWatch Logs `owner`.
    pub account_id: Option<String>,
    /// AWS region, e.g. from a function ARN.
    pub region: Option<String>,
    /// Event time in µs since the epoch, e.g. CloudWatch Logs `timestamp`.
    pub time_us: Option<i64>,
}
