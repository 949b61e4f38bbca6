//! Lambda platform and function log lines into the `lambda_runtime` table.
//!
//! Why: timeouts, errors, cold starts and duration or memory outliers are how a
//! compromised or abused function shows itself at runtime (a crypto-miner runs to its
//! timeout, an injected payload crashes the handler). Lambda reports them in two
//! formats, both handled here:
//!
//! - text ([`parse_text`]): `START RequestId: …`, `END RequestId: …`, `REPORT RequestId:
//!   … Duration: … Billed Duration: … Memory Size: … Max Memory Used: … [Init Duration:
//!   …]` (tab- or space-separated, with or without a trailing `XRAY` line),
//!   `INIT_START`/`INIT_REPORT`, `… Task timed out after N seconds`, the runtimes'
//!   default function log format (`<time>\t<request id>\t<LEVEL>\t<message>`, Python's
//!   `[LEVEL]\t<time>\t<request id>\t<message>` and `[ERROR] …`), and any other line as a
//!   plain log message;
//! - JSON ([`parse_telemetry`]): the Telemetry/Logs API and the JSON log format of
//!   CloudWatch Logs (`{"time", "type": "platform.start" | "platform.report" | … |
//!   "function" | "extension", "record"}`).
//!
//! Platform lines carry no time and no function name: they come from the enclosing
//! CloudWatch Logs event (its `timestamp`, its log group `/aws/lambda/<name>`) through
//! the [`Context`]. A platform line with no time anywhere is quarantined rather than
//! stored with an invented time. Log messages are redacted and bounded to
//! [`MAX_MESSAGE`] bytes.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::time;
use crate::error::RecordError;
use crate::position::Context;
use crate::redact;
use crate::table::{RuntimeKind, RuntimeRow, Table, Tables};

/// Longest `message` kept, in bytes (after redaction); longer ones are cut and marked.
pub const MAX_MESSAGE: usize = 4096;

const PLATFORM: &str = "Lambda platform line";
const FUNCTION_LOG: &str = "Lambda function log line";
const TELEMETRY: &str = "Lambda Telemetry API record";

const PLATFORM_NO_TIME: &str =
    "a timestamp: platform lines carry none, so they must come inside a CloudWatch Logs event or a log line with a timestamp";
const LOG_NO_TIME: &str =
    "a timestamp: the line has none and no enclosing CloudWatch Logs event or log record gave one";

/// Log levels of the runtimes' default formats, Powertools and the JSON log format.
const LEVELS: &[&str] = &[
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL",
];

/// Parses one text line and appends its `lambda_runtime` row.
///
/// `line` may span several physical lines (a `REPORT` line followed by its `XRAY`
/// line, a stack trace). Time comes from the line when it has one, else from
/// `ctx.time_us`; a line with neither is an error. `function_name` always comes from
/// `ctx`, `request_id` from the line or else from `ctx`.
pub fn parse_text(
    line: &str,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Result<Table, RecordError> {
    let row = text_row(line, ctx, source)?;
    out.runtime.append(&row);
    Ok(Table::LambdaRuntime)
}

/// Parses one Telemetry API / JSON-format platform record (`{"time", "type",
/// "record"}`) and appends its `lambda_runtime` row; `None` when `v` does not have
/// that shape (so the caller tries other forms).
///
/// `platform.start` → start; `platform.runtimeDone` / `platform.end` → end (timeout
/// or error when its status says so); `platform.report` → report with its metrics;
/// `platform.init*` / `platform.restore*` → init; `platform.fault` → error;
/// `function` / `extension` → the record's log line, parsed like [`parse_text`] (or,
/// when it is a JSON log object, like a structured log); any other `platform.*` type
/// → log.
pub fn parse_telemetry(
    v: &Value,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Option<Result<Table, RecordError>> {
    let obj = v.as_object()?;
    let kind = obj.get("type")?.as_str()?;
    if !(kind.starts_with("platform.") || kind == "function" || kind == "extension")
        || !obj.contains_key("record")
    {
        return None;
    }
    Some(telemetry_row(obj, kind, ctx, source).map(|row| {
        out.runtime.append(&row);
        Table::LambdaRuntime
    }))
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are literals of this file; `regexes_compile` compiles every one.
    cell.get_or_init(|| Regex::new(pattern).expect("static runtime regex compiles"))
}

/// `Duration: 1.5 ms`, `Billed Duration: 2 ms`, `Init Duration: …`, `Memory Size: 128
/// MB`, `Max Memory Used: 70 MB` in `REPORT` and `INIT_REPORT` lines.
fn metric_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:^|\s)((?:Billed |Init |Restore )?Duration|Memory Size|Max Memory Used):\s*([0-9]+(?:\.[0-9]+)?)\s*(?:ms|MB)",
    )
}

fn status_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:^|\s)Status:\s*([A-Za-z_.]+)")
}

/// `[<time> ][<request id> ]Task timed out after 3.00 seconds`.
fn timeout_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^(?:(\d{4}-\d{2}-\d{2}T\S+)\s+)?(?:(?:RequestId:\s*)?([0-9A-Za-z-]{8,})\s+)?Task timed out after\s+([0-9]+(?:\.[0-9]+)?)\s+seconds",
    )
}

/// The runtimes' default format: `[LEVEL]\t`? `<time>\t<request id>\t` `LEVEL\t`? message.
fn default_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?s)^(?:\[([A-Z]+)\]\s+)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\s+([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})\s+(.*)$",
    )
}

/// Python's `[ERROR] Exception: …` (uncaught errors, no time or request id).
fn bracket_level_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?s)^\[([A-Z]+)\]\s+(.*)$")
}

/// `RequestId: <id> Error: Runtime exited …` / `RequestId: <id> Process exited …`.
fn request_error_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?s)^RequestId:\s*(\S+)\s+(.*)$")
}

fn level_of(s: &str) -> Option<&'static str> {
    let up = s.to_ascii_uppercase();
    LEVELS.iter().copied().find(|l| *l == up)
}

fn is_error_level(level: &str) -> bool {
    matches!(level, "ERROR" | "CRITICAL" | "FATAL")
}

/// The first whitespace-separated token after `prefix`.
fn token_after<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix)?.split_whitespace().next()
}

/// Redacts `s` and cuts it to [`MAX_MESSAGE`] bytes, marking the cut.
pub(crate) fn bounded_message(s: &str) -> String {
    let red = redact::text(s);
    if red.len() <= MAX_MESSAGE {
        return red.into_owned();
    }
    let mut end = MAX_MESSAGE;
    while !red.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[truncated {} bytes]", &red[..end], red.len() - end)
}

/// A log record's time: RFC 3339 / ISO 8601 text (also Python's `2024-01-02
/// 03:04:05,678+0000`), or epoch seconds / milliseconds as a number or text.
pub(crate) fn log_time(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(time::epoch(i)),
            None => {
                let f = n.as_f64()?;
                let us = if f.abs() < 1e11 {
                    f * 1e6
                } else if f.abs() < 1e14 {
                    f * 1e3
                } else {
                    f
                };
                Some(us as i64)
            }
        },
        Value::String(s) => time::parse(s).or_else(|| {
            // Python logging: a space before the time and a comma before the fraction.
            let s = s.trim();
            let b = s.as_bytes();
            if b.len() >= 19 && b[10] == b' ' {
                time::parse(&format!("{}T{}", &s[..10], s[11..].replacen(',', ".", 1)))
            } else {
                None
            }
        }),
        _ => None,
    }
}

/// A leading timestamp token of a free-form line (`2024-01-02T03:04:05.678Z …`).
fn leading_time(line: &str) -> Option<i64> {
    let tok = line.split_whitespace().next()?;
    let b = tok.as_bytes();
    if b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
    {
        time::parse(tok)
    } else {
        None
    }
}

fn text_row(line: &str, ctx: &Context, source: &str) -> Result<RuntimeRow, RecordError> {
    let text = line.trim();
    if text.is_empty() {
        return Err(RecordError::Unrecognised(
            "an empty line; expected a Lambda platform or function log line".into(),
        ));
    }
    let first = text.lines().next().unwrap_or(text);
    let mut row = RuntimeRow {
        function_name: ctx.function_name.clone(),
        source: source.to_string(),
        ..Default::default()
    };
    let mut time = None;
    let mut form = PLATFORM;

    if let Some(id) = token_after(first, "START RequestId:") {
        row.kind = RuntimeKind::Start;
        row.request_id = Some(id.to_string());
    } else if let Some(id) = token_after(first, "END RequestId:") {
        row.kind = RuntimeKind::End;
        row.request_id = Some(id.to_string());
    } else if let Some(id) = token_after(first, "REPORT RequestId:") {
        row.kind = RuntimeKind::Report;
        row.request_id = Some(id.to_string());
        metrics(text, &mut row);
        row.cold_start = Some(row.init_ms.is_some());
    } else if [
        "INIT_START",
        "INIT_REPORT",
        "INIT_RUNTIME_DONE",
        "RESTORE_START",
        "RESTORE_REPORT",
    ]
    .iter()
    .any(|p| first.starts_with(p))
    {
        row.kind = RuntimeKind::Init;
        metrics(text, &mut row);
        row.message = Some(bounded_message(first));
    } else if let Some(c) = timeout_re().captures(first) {
        row.kind = RuntimeKind::Timeout;
        time = c.get(1).and_then(|t| time::parse(t.as_str()));
        row.request_id = c.get(2).map(|m| m.as_str().to_string());
        row.duration_ms = c[3].parse::<f64>().ok().map(|s| s * 1000.0);
        row.status = Some("timeout".into());
        row.message = Some(bounded_message(first));
    } else if let Some(c) = default_re().captures(text) {
        form = FUNCTION_LOG;
        time = time::parse(&c[2]);
        row.request_id = Some(c[3].to_string());
        let rest = &c[4];
        // The level is either before the time (Python) or after the request id.
        let (level, message) = match c.get(1).and_then(|l| level_of(l.as_str())) {
            Some(l) => (Some(l), rest),
            None => match rest
                .split_once(['\t', ' '])
                .and_then(|(l, m)| Some((level_of(l)?, m)))
            {
                Some((l, m)) => (Some(l), m),
                None => (None, rest),
            },
        };
        row.kind = if level.is_some_and(is_error_level) {
            RuntimeKind::Error
        } else {
            RuntimeKind::Log
        };
        row.status = level.map(str::to_string);
        row.message = Some(bounded_message(message.trim()));
    } else if let Some((level, c)) = bracket_level_re()
        .captures(text)
        .and_then(|c| Some((level_of(c.get(1)?.as_str())?, c)))
    {
        form = FUNCTION_LOG;
        row.kind = if is_error_level(level) {
            RuntimeKind::Error
        } else {
            RuntimeKind::Log
        };
        row.status = Some(level.to_string());
        row.message = Some(bounded_message(c[2].trim()));
    } else if let Some(c) = request_error_re().captures(text) {
        row.kind = RuntimeKind::Error;
        row.request_id = Some(c[1].to_string());
        row.status = Some("error".into());
        row.message = Some(bounded_message(c[2].trim()));
    } else {
        form = FUNCTION_LOG;
        time = leading_time(first);
        row.kind = RuntimeKind::Log;
        row.message = Some(bounded_message(text));
    }

    row.time = time.or(ctx.time_us).ok_or_else(|| {
        RecordError::field(
            form,
            if form == PLATFORM {
                PLATFORM_NO_TIME
            } else {
                LOG_NO_TIME
            },
        )
    })?;
    if row.request_id.is_none() {
        row.request_id = ctx.request_id.clone();
    }
    Ok(row)
}

/// Reads `REPORT` / `INIT_REPORT` metrics and status into `row`.
fn metrics(text: &str, row: &mut RuntimeRow) {
    for c in metric_re().captures_iter(text) {
        let n: f64 = match c[2].parse() {
            Ok(n) => n,
            Err(_) => continue,
        };
        match &c[1] {
            "Duration" => row.duration_ms = Some(n),
            "Billed Duration" => row.billed_ms = Some(n),
            "Init Duration" => row.init_ms = Some(n),
            "Memory Size" => row.memory_mb = Some(n as i64),
            "Max Memory Used" => row.max_memory_mb = Some(n as i64),
            _ => {}
        }
    }
    if let Some(c) = status_re().captures(text) {
        row.status = Some(c[1].to_string());
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn f64_at(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn telemetry_row(
    obj: &Map<String, Value>,
    kind: &str,
    ctx: &Context,
    source: &str,
) -> Result<RuntimeRow, RecordError> {
    let time = obj.get("time").and_then(log_time).or(ctx.time_us);
    let record = obj.get("record").unwrap_or(&Value::Null);

    if kind == "function" || kind == "extension" {
        let mut inner = ctx.clone();
        inner.time_us = time;
        return match record {
            Value::String(s) => text_row(s, &inner, source),
            Value::Object(m) => json_log_row(m, &inner, source, TELEMETRY),
            other => text_row(&other.to_string(), &inner, source),
        };
    }

    let time = time.ok_or_else(|| {
        RecordError::field(
            TELEMETRY,
            "`time` as an RFC 3339 timestamp (or an enclosing CloudWatch Logs event time)",
        )
    })?;
    let mut row = RuntimeRow {
        time,
        function_name: ctx.function_name.clone(),
        request_id: str_at(record, "requestId").map(str::to_string),
        status: str_at(record, "status").map(str::to_string),
        source: source.to_string(),
        ..Default::default()
    };
    let metrics = record.get("metrics").unwrap_or(&Value::Null);
    match kind {
        "platform.start" => row.kind = RuntimeKind::Start,
        "platform.runtimeDone" | "platform.end" => {
            row.kind = match row.status.as_deref() {
                Some("timeout") => RuntimeKind::Timeout,
                Some("error" | "failure") => RuntimeKind::Error,
                _ => RuntimeKind::End,
            };
            row.duration_ms = f64_at(metrics, "durationMs");
        }
        "platform.report" => {
            row.kind = RuntimeKind::Report;
            row.duration_ms = f64_at(metrics, "durationMs");
            row.billed_ms = f64_at(metrics, "billedDurationMs");
            row.memory_mb = f64_at(metrics, "memorySizeMB").map(|n| n as i64);
            row.max_memory_mb = f64_at(metrics, "maxMemoryUsedMB").map(|n| n as i64);
            row.init_ms = f64_at(metrics, "initDurationMs");
            row.cold_start = Some(row.init_ms.is_some());
        }
        "platform.timeout" => {
            row.kind = RuntimeKind::Timeout;
            row.status.get_or_insert_with(|| "timeout".into());
            row.message = Some(bounded_message(&compact(record)));
        }
        "platform.fault" => {
            row.kind = RuntimeKind::Error;
            row.status.get_or_insert_with(|| "fault".into());
            let text = compact(record);
            if row.request_id.is_none() {
                row.request_id = request_error_re().captures(&text).map(|c| c[1].to_string());
            }
            row.message = Some(bounded_message(&text));
        }
        k if k.starts_with("platform.init") || k.starts_with("platform.restore") => {
            row.kind = RuntimeKind::Init;
            if k.ends_with("Report") {
                row.init_ms = f64_at(metrics, "durationMs");
            }
            row.message = Some(bounded_message(&format!("{k} {}", compact(record))));
        }
        k => {
            row.kind = RuntimeKind::Log;
            row.status = row
                .status
                .or_else(|| str_at(record, "state").map(str::to_string));
            row.message = Some(bounded_message(&format!("{k} {}", compact(record))));
        }
    }
    if row.request_id.is_none() {
        row.request_id = ctx.request_id.clone();
    }
    Ok(row)
}

/// A string as is, anything else as compact JSON.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn first_str<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// One structured (JSON) function log record as a `log` or `error` row: Powertools
/// (`level`, `message`, `timestamp`, `function_name`, `function_request_id`,
/// `cold_start`, `exception`…) and the Lambda JSON log format (`timestamp`, `level`,
/// `requestId`, `message`, `errorType`, `errorMessage`, `stackTrace`). Fields the
/// record lacks come from `ctx`; `form` names the input form in errors.
pub(crate) fn json_log_row(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
    form: &'static str,
) -> Result<RuntimeRow, RecordError> {
    let time = ["timestamp", "time", "@timestamp"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(log_time))
        .or(ctx.time_us)
        .ok_or_else(|| {
            RecordError::field(
                form,
                "`timestamp` (ISO 8601 or epoch), or an enclosing CloudWatch Logs event time",
            )
        })?;
    let level = first_str(obj, &["level", "levelname", "severity", "log_level"])
        .map(str::to_ascii_uppercase);
    let mut message = match ["message", "msg", "event"].iter().find_map(|k| obj.get(*k)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let mut exception = false;
    for k in [
        "exception_name",
        "exception",
        "errorType",
        "errorMessage",
        "stack_trace",
        "stackTrace",
        "error",
    ] {
        let Some(v) = obj.get(k).filter(|v| !v.is_null()) else {
            continue;
        };
        exception = true;
        if !message.is_empty() {
            message.push('\n');
        }
        message.push_str(&compact(v));
    }
    let cold_start = ["cold_start", "coldStart"]
        .iter()
        .find_map(|k| match obj.get(*k)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
    let error = exception || level.as_deref().is_some_and(is_error_level);
    Ok(RuntimeRow {
        time,
        function_name: first_str(obj, &["function_name", "functionName"])
            .map(str::to_string)
            .or_else(|| ctx.function_name.clone()),
        request_id: first_str(
            obj,
            &[
                "function_request_id",
                "requestId",
                "request_id",
                "aws_request_id",
                "awsRequestId",
            ],
        )
        .map(str::to_string)
        .or_else(|| ctx.request_id.clone()),
        kind: if error {
            RuntimeKind::Error
        } else {
            RuntimeKind::Log
        },
        status: level,
        cold_start,
        message: Some(bounded_message(&message)),
        source: source.to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;
    use arrow::array::AsArray;
    use arrow::datatypes::{Float64Type, Int64Type};
    use arrow::record_batch::RecordBatch;

    const PLATFORM_LOG: &str = include_str!("../../../tests/fixtures/lambda/platform.log");
    const TELEMETRY_JSONL: &str = include_str!("../../../tests/fixtures/lambda/telemetry.jsonl");

    const T0: i64 = 1_717_243_200_000_000; // 2024-06-01T12:00:00Z

    fn ctx() -> Context {
        Context {
            function_name: Some("thumbnailer".into()),
            time_us: Some(T0),
            ..Default::default()
        }
    }

    fn row(line: &str) -> RuntimeRow {
        text_row(line, &ctx(), "platform.log@0").unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn regexes_compile() {
        metric_re();
        status_re();
        timeout_re();
        default_re();
        bracket_level_re();
        request_error_re();
    }

    #[test]
    fn platform_fixture_lines() {
        let rows: Vec<RuntimeRow> = PLATFORM_LOG
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(row)
            .collect();
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "init", "start", "log", "end", "report", "start", "error", "error", "end",
                "report", "start", "timeout", "end", "report", "log", "error"
            ]
        );
        // INIT_START keeps the runtime version in the message.
        assert!(rows[0].message.as_deref().unwrap().contains("python:3.12"));
        let start = &rows[1];
        assert_eq!(
            start.request_id.as_deref(),
            Some("3f6b1c8e-2d4a-4e9b-9a7c-51d0e2f8a6b4")
        );
        assert_eq!(start.time, T0);
        assert_eq!(start.function_name.as_deref(), Some("thumbnailer"));
        // A default-format INFO line carries its own time and request id.
        assert_eq!(rows[2].status.as_deref(), Some("INFO"));
        assert_eq!(
            rows[2].time,
            time::parse("2024-06-01T12:00:01.120Z").unwrap()
        );
        // Cold start REPORT, tab-separated.
        let cold = &rows[4];
        assert_eq!(cold.duration_ms, Some(212.48));
        assert_eq!(cold.billed_ms, Some(213.0));
        assert_eq!(cold.memory_mb, Some(512));
        assert_eq!(cold.max_memory_mb, Some(88));
        assert_eq!(cold.init_ms, Some(401.7));
        assert_eq!(cold.cold_start, Some(true));
        // Warm REPORT, space-separated, with an XRAY line.
        let warm = &rows[9];
        assert_eq!(
            warm.request_id.as_deref(),
            Some("9e1d7a42-6b3c-4f85-8d20-c4a5b6e7f801")
        );
        assert_eq!(warm.duration_ms, Some(18.02));
        assert_eq!(warm.billed_ms, Some(19.0));
        assert_eq!(warm.init_ms, None);
        assert_eq!(warm.cold_start, Some(false));
        // Node default-format ERROR line: level after the request id, secret redacted.
        let err = &rows[6];
        assert_eq!(err.status.as_deref(), Some("ERROR"));
        assert_eq!(
            err.request_id.as_deref(),
            Some("9e1d7a42-6b3c-4f85-8d20-c4a5b6e7f801")
        );
        let msg = err.message.as_deref().unwrap();
        assert!(msg.starts_with("Invoke Error"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        // Python `[ERROR]` line.
        assert_eq!(rows[7].status.as_deref(), Some("ERROR"));
        assert!(rows[7].message.as_deref().unwrap().starts_with("KeyError"));
        // Timeout with its own time and request id.
        let to = &rows[11];
        assert_eq!(
            to.request_id.as_deref(),
            Some("c0ffee00-1234-4abc-9def-0123456789ab")
        );
        assert_eq!(to.duration_ms, Some(3000.0));
        assert_eq!(to.time, time::parse("2024-06-01T12:05:03.004Z").unwrap());
        assert_eq!(to.status.as_deref(), Some("timeout"));
        // The REPORT after the timeout says so.
        assert_eq!(rows[13].status.as_deref(), Some("timeout"));
        // Free text is kept as a log line; a request error names its request.
        assert_eq!(rows[14].status, None);
        assert_eq!(
            rows[15].request_id.as_deref(),
            Some("c0ffee00-1234-4abc-9def-0123456789ab")
        );
    }

    #[test]
    fn report_inside_a_cloudwatch_message() {
        // CloudWatch Logs keeps the XRAY part on a second line of the same message, and
        // older runtimes separate fields with spaces.
        let r = row("REPORT RequestId: 5e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b Duration: 1.07 ms  Billed Duration: 2 ms Memory Size: 256 MB Max Memory Used: 77 MB  Init Duration: 980 ms\t\nXRAY TraceId: 1-665b0e2a-00aa11bb22cc33dd44ee55ff\tSegmentId: 1a2b3c4d5e6f7a8b\tSampled: true\t\n");
        assert_eq!(r.kind, RuntimeKind::Report);
        assert_eq!(
            r.request_id.as_deref(),
            Some("5e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
        );
        assert_eq!(
            (r.duration_ms, r.billed_ms, r.init_ms),
            (Some(1.07), Some(2.0), Some(980.0))
        );
        assert_eq!((r.memory_mb, r.max_memory_mb), (Some(256), Some(77)));
        let init = row("INIT_REPORT Init Duration: 10002.81 ms\tPhase: init\tStatus: timeout");
        assert_eq!(
            (init.kind, init.init_ms, init.status.as_deref()),
            (RuntimeKind::Init, Some(10002.81), Some("timeout"))
        );
    }

    #[test]
    fn platform_line_without_time_is_refused() {
        let e = text_row(
            "END RequestId: 1234abcd-0000-4000-8000-000000000000",
            &Context::default(),
            "s@0",
        )
        .unwrap_err();
        assert!(e.to_string().contains("platform lines carry none"), "{e}");
        assert!(text_row("   ", &ctx(), "s@0").is_err());
        // The timeout line form without a leading time takes the context's.
        let r = row("Task timed out after 15.00 seconds");
        assert_eq!(
            (r.kind, r.time, r.duration_ms),
            (RuntimeKind::Timeout, T0, Some(15000.0))
        );
    }

    #[test]
    fn long_messages_are_bounded() {
        let r = row(&"x".repeat(10_000));
        let m = r.message.unwrap();
        assert!(
            m.len() < MAX_MESSAGE + 40 && m.contains("[truncated"),
            "{}",
            m.len()
        );
    }

    #[test]
    fn python_log_times() {
        assert_eq!(
            log_time(&Value::from("2024-06-01 12:00:00,250+0000")),
            Some(T0 + 250_000)
        );
        assert_eq!(
            log_time(&Value::from(1_717_243_200_250i64)),
            Some(T0 + 250_000)
        );
        assert_eq!(
            log_time(&serde_json::json!(1_717_243_200.25)),
            Some(T0 + 250_000)
        );
    }

    fn telemetry_rows() -> (Vec<Option<Result<Table, RecordError>>>, RecordBatch) {
        let mut tables = Tables::default();
        let results = TELEMETRY_JSONL
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("fixture line is JSON");
                parse_telemetry(
                    &v,
                    &Context {
                        function_name: Some("thumbnailer".into()),
                        ..Default::default()
                    },
                    "t@0",
                    &mut tables,
                )
            })
            .collect();
        (results, tables.runtime.finish())
    }

    #[test]
    fn telemetry_fixture() {
        let (results, batch) = telemetry_rows();
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Some(Ok(Table::LambdaRuntime)))),
            "{results:?}"
        );
        let kind = batch.column_by_name("kind").unwrap().as_string::<i32>();
        let kinds: Vec<&str> = (0..batch.num_rows()).map(|i| kind.value(i)).collect();
        assert_eq!(
            kinds,
            [
                "init", "init", "init", "start", "log", "error", "end", "report", "start", "error",
                "timeout", "report", "log", "error"
            ]
        );
        let dur = batch
            .column_by_name("duration_ms")
            .unwrap()
            .as_primitive::<Float64Type>();
        let billed = batch
            .column_by_name("billed_ms")
            .unwrap()
            .as_primitive::<Float64Type>();
        let mem = batch
            .column_by_name("max_memory_mb")
            .unwrap()
            .as_primitive::<Int64Type>();
        let init = batch
            .column_by_name("init_ms")
            .unwrap()
            .as_primitive::<Float64Type>();
        let rid = batch
            .column_by_name("request_id")
            .unwrap()
            .as_string::<i32>();
        let status = batch.column_by_name("status").unwrap().as_string::<i32>();
        let message = batch.column_by_name("message").unwrap().as_string::<i32>();
        assert_eq!(init.value(2), 388.25);
        assert_eq!(rid.value(3), "5d2c7e10-8f4b-4c3a-b1e6-77a9c0d3e512");
        assert_eq!(status.value(4), "INFO");
        assert_eq!(rid.value(4), "5d2c7e10-8f4b-4c3a-b1e6-77a9c0d3e512");
        // A JSON-format function log object at ERROR level, with its secret redacted.
        assert_eq!(status.value(5), "ERROR");
        assert!(
            !message.value(5).contains("sk_live"),
            "{}",
            message.value(5)
        );
        assert_eq!(dur.value(7), 96.31);
        assert_eq!(billed.value(7), 97.0);
        assert_eq!(mem.value(7), 91);
        assert_eq!(init.value(7), 388.25);
        // runtimeDone with status error / timeout.
        assert_eq!(status.value(9), "error");
        assert_eq!(status.value(10), "timeout");
        assert_eq!(dur.value(10), 3000.0);
        // platform.fault text names its request.
        assert_eq!(rid.value(13), "b8f2a1c4-5e6d-4f70-8a9b-0c1d2e3f4a5b");
        let fname = batch
            .column_by_name("function_name")
            .unwrap()
            .as_string::<i32>();
        assert!((0..batch.num_rows()).all(|i| fname.value(i) == "thumbnailer"));
    }

    #[test]
    fn not_telemetry() {
        let mut t = Tables::default();
        assert!(parse_telemetry(
            &serde_json::json!({"type": "order", "record": 1}),
            &ctx(),
            "s",
            &mut t
        )
        .is_none());
        assert!(parse_telemetry(
            &serde_json::json!({"time": "x", "type": "platform.start"}),
            &ctx(),
            "s",
            &mut t
        )
        .is_none());
        let no_time = parse_telemetry(
            &serde_json::json!({"type": "platform.start", "record": {"requestId": "r"}}),
            &Context::default(),
            "s",
            &mut t,
        );
        assert!(matches!(no_time, Some(Err(RecordError::Field { .. }))));
    }
}
