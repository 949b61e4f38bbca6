//! The `lambda_runtime` table: what the Lambda platform and the function itself logged
//! about invocations — `START`/`END`/`REPORT` lines (text or Telemetry API JSON),
//! timeouts, init phases, and function log lines.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::{timestamp_array, timestamp_type, utf8, TableBuilder};

/// What a runtime line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuntimeKind {
    /// `START` / `platform.start`.
    Start,
    /// `END` / `platform.runtimeDone`.
    End,
    /// `REPORT` / `platform.report`: duration, billed duration, memory.
    Report,
    /// `Task timed out after …`.
    Timeout,
    /// A function log line at error level, or a runtime error.
    Error,
    /// `INIT_START` / `platform.initStart` / `platform.initReport`.
    Init,
    /// Any other function log line (kept so nothing is silently dropped).
    #[default]
    Log,
}

impl RuntimeKind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Start => "start",
            RuntimeKind::End => "end",
            RuntimeKind::Report => "report",
            RuntimeKind::Timeout => "timeout",
            RuntimeKind::Error => "error",
            RuntimeKind::Init => "init",
            RuntimeKind::Log => "log",
        }
    }
}

/// The Arrow schema of `lambda_runtime`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    super::schema_once(&SCHEMA, || {
        vec![
            // Line time (log timestamp or envelope time).
            Field::new("time", timestamp_type(), false),
            // Function name (log group `/aws/lambda/<name>` or the log itself).
            utf8("function_name"),
            // Lambda request id.
            utf8("request_id"),
            // start, end, report, timeout, error, init, log.
            Field::new("kind", DataType::Utf8, false),
            // `Duration` in ms (report), or the timeout limit (timeout).
            Field::new("duration_ms", DataType::Float64, true),
            // `Billed Duration` in ms.
            Field::new("billed_ms", DataType::Float64, true),
            // `Memory Size` in MB.
            Field::new("memory_mb", DataType::Int64, true),
            // `Max Memory Used` in MB.
            Field::new("max_memory_mb", DataType::Int64, true),
            // `Init Duration` in ms: present on cold starts.
            Field::new("init_ms", DataType::Float64, true),
            // Telemetry `status` (success, error, timeout) or log level.
            utf8("status"),
            // True when the function logged `cold_start` or the report has an init.
            Field::new("cold_start", DataType::Boolean, true),
            // The log message, redacted and bounded (function log lines, errors).
            utf8("message"),
            // Where the row came from: `path@offset`.
            Field::new("source", DataType::Utf8, false),
        ]
    })
}

/// One runtime line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RuntimeRow {
    /// µs since the epoch, UTC.
    pub time: i64,
    /// Function name.
    pub function_name: Option<String>,
    /// Lambda request id.
    pub request_id: Option<String>,
    /// Line kind.
    pub kind: RuntimeKind,
    /// Duration in ms.
    pub duration_ms: Option<f64>,
    /// Billed duration in ms.
    pub billed_ms: Option<f64>,
    /// Configured memory in MB.
    pub memory_mb: Option<i64>,
    /// Peak memory in MB.
    pub max_memory_mb: Option<i64>,
    /// Init duration in ms.
    pub init_ms: Option<f64>,
    /// Status or level.
    pub status: Option<String>,
    /// Cold start flag.
    pub cold_start: Option<bool>,
    /// Message text.
    pub message: Option<String>,
    /// `path@offset`.
    pub source: String,
}

/// Column builders of `lambda_runtime`.
#[derive(Default)]
pub struct RuntimeBuilder {
    time: Vec<i64>,
    function_name: StringBuilder,
    request_id: StringBuilder,
    kind: StringBuilder,
    duration: Float64Builder,
    billed: Float64Builder,
    memory: Int64Builder,
    max_memory: Int64Builder,
    init: Float64Builder,
    status: StringBuilder,
    cold_start: BooleanBuilder,
    message: StringBuilder,
    source: StringBuilder,
    bytes: usize,
}

impl RuntimeBuilder {
    /// Appends one line.
    pub fn append(&mut self, r: &RuntimeRow) {
        self.time.push(r.time);
        self.function_name.append_option(r.function_name.as_deref());
        self.request_id.append_option(r.request_id.as_deref());
        self.kind.append_value(r.kind.as_str());
        self.duration.append_option(r.duration_ms);
        self.billed.append_option(r.billed_ms);
        self.memory.append_option(r.memory_mb);
        self.max_memory.append_option(r.max_memory_mb);
        self.init.append_option(r.init_ms);
        self.status.append_option(r.status.as_deref());
        self.cold_start.append_option(r.cold_start);
        self.message.append_option(r.message.as_deref());
        self.source.append_value(&r.source);
        self.bytes += 96 + r.message.as_deref().map_or(0, str::len) + r.source.len();
    }
}

impl TableBuilder for RuntimeBuilder {
    fn len(&self) -> usize {
        self.time.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn finish(&mut self) -> RecordBatch {
        let cols: Vec<ArrayRef> = vec![
            timestamp_array(std::mem::take(&mut self.time)),
            Arc::new(self.function_name.finish()),
            Arc::new(self.request_id.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.billed.finish()),
            Arc::new(self.memory.finish()),
            Arc::new(self.max_memory.finish()),
            Arc::new(self.init.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.cold_start.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.source.finish()),
        ];
        self.bytes = 0;
        // Mirrors `schema()` by construction; the unit test checks it.
        RecordBatch::try_new(schema(), cols).expect("lambda_runtime builder matches its schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::Float64Type;

    #[test]
    fn builder_matches_schema() {
        let mut b = RuntimeBuilder::default();
        b.append(&RuntimeRow {
            time: 5,
            kind: RuntimeKind::Report,
            duration_ms: Some(12.5),
            source: "s@0".into(),
            ..Default::default()
        });
        let batch = b.finish();
        let col = |n: &str| batch.column_by_name(n).unwrap().clone();
        assert_eq!(col("kind").as_string::<i32>().value(0), "report");
        assert_eq!(
            col("duration_ms").as_primitive::<Float64Type>().value(0),
            12.5
        );
    }
}
