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
    ///
    /// Built by hand rather than with `format!`: it is rendered for every stored
    /// record, and the formatting machinery was a percent of a `detect` run.
    pub fn render(&self) -> String {
        let mut offset = itoa::Buffer::new();
        let offset = offset.format(self.offset);
        let mut out = String::with_capacity(self.source.len() + offset.len() + 12);
        out.push_str(&self.source);
        out.push('@');
        out.push_str(offset);
        if let Some(i) = self.index {
            out.push('#');
            out.push_str(itoa::Buffer::new().format(i));
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_names_path_offset_and_index() {
        let mut p = Position {
            source: Arc::from("logs/a.jsonl"),
            offset: 18_446_744_073_709_551_615,
            line: 3,
            index: None,
        };
        assert_eq!(p.render(), "logs/a.jsonl@18446744073709551615");
        p.offset = 0;
        p.index = Some(7);
        assert_eq!(p.render(), "logs/a.jsonl@0#7");
    }
}
