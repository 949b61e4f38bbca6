//! Recognises a JSON record by content and opens containers recursively:
//! `{"Records":[…]}` (CloudTrail delivery files; SQS/SNS/S3 Lambda events), bare JSON
//! arrays, EventBridge envelopes of CloudTrail events (`detail-type: "AWS API Call via
//! CloudTrail"`), CloudWatch Logs subscription payloads (`awslogs.data`, base64 gzip)
//! and their decoded form (`messageType`/`logEvents`). Leaves go to the CloudTrail,
//! Lambda or runtime parser.

use std::io::Read;

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::cloudtrail::{self, Probe};
use super::str::Str;
use super::{lambda, text_record, Family, Sink};
use crate::error::RecordError;
use crate::position::{Context, Position};
use crate::table::Table;

/// Containers deeper than this are refused: real inputs nest at most three levels
/// (CloudWatch Logs → log event → event), and the limit stops decompression bombs made
/// of nested envelopes.
const MAX_DEPTH: u8 = 6;

/// Upper bound on a decoded CloudWatch Logs payload (AWS caps them at 1 MB compressed).
const MAX_DECODED: u64 = 64 << 20;

/// Parses one JSON record and reports every record it holds to `sink`.
pub fn dispatch(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) {
    dispatch_at(bytes, pos, ctx, sink, 0);
}

/// [`dispatch`] of a record that is one JSON value if it parses: returns false, having
/// reported nothing, when it does not.
pub fn dispatch_line(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) -> bool {
    match probe(bytes) {
        Ok(p) => {
            dispatch_probe(bytes, p, pos, ctx, sink, 0);
            true
        }
        Err(_) => false,
    }
}

/// The typed first look at a record. Valid UTF-8 (checked once for the whole record,
/// which is fast on mostly-ASCII logs) is parsed as text, which spares serde_json a
/// check of every string it borrows; other bytes take the byte parser, whose error
/// says where the bad byte is.
fn probe(bytes: &[u8]) -> serde_json::Result<Probe<'_>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

fn dispatch_at(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink, depth: u8) {
    if depth > MAX_DEPTH {
        let e = RecordError::Unrecognised(format!(
            "envelopes nested more than {MAX_DEPTH} levels deep"
        ));
        return sink.quarantined(pos, bytes, &e);
    }
    match probe(bytes) {
        Ok(p) => dispatch_probe(bytes, p, pos, ctx, sink, depth),
        Err(_) => fallback(bytes, pos, ctx, sink, depth),
    }
}

/// Routes a record by what its probe found: a CloudTrail event, a container, or a leaf.
fn dispatch_probe(
    bytes: &[u8],
    probe: Probe<'_>,
    pos: &Position,
    ctx: &Context,
    sink: &mut dyn Sink,
    depth: u8,
) {
    if probe.is_cloudtrail() {
        if !sink.accepts(Family::CloudTrail) {
            return sink.quarantined(pos, bytes, &Family::CloudTrail.refused());
        }
        let source = pos.render();
        return match cloudtrail::append(&probe, &source, &mut sink.tables().cloudtrail) {
            Ok(()) => sink.stored(Table::CloudTrail),
            Err(e) => sink.quarantined(pos, bytes, &e),
        };
    }
    if let Some(records) = probe.records {
        return elements(bytes, records, pos, ctx, sink, depth);
    }
    if let (Some(kind), Some(detail)) = (&probe.detail_type, probe.detail) {
        if kind.as_str().ends_with("via CloudTrail") {
            return dispatch_at(detail.get().as_bytes(), pos, ctx, sink, depth + 1);
        }
    }
    if let Some(awslogs) = probe.awslogs {
        return match decode_awslogs(awslogs) {
            Ok(decoded) => dispatch_at(&decoded, pos, ctx, sink, depth + 1),
            Err(e) => sink.quarantined(pos, bytes, &e),
        };
    }
    if let (Some(_), Some(events)) = (&probe.message_type, probe.log_events) {
        return log_events(bytes, &probe, events, pos, ctx, sink, depth);
    }
    if probe
        .message_type
        .as_ref()
        .is_some_and(|m| m.as_str() == "CONTROL_MESSAGE")
    {
        return sink.skipped("CloudWatch Logs control message");
    }
    if probe.digest_start_time.is_some() {
        return sink.skipped("CloudTrail digest file");
    }
    leaf(bytes, pos, ctx, sink);
}

/// A record the typed probe could not read: a JSON array, a non-object, a record whose
/// envelope keys have unusual types, or invalid JSON.
fn fallback(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink, depth: u8) {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        return match serde_json::from_slice::<Vec<&RawValue>>(bytes) {
            Ok(items) => each(bytes, &items, pos, ctx, sink, depth),
            Err(e) => sink.quarantined(pos, bytes, &RecordError::Json(e.to_string())),
        };
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(_)) => leaf(bytes, pos, ctx, sink),
        Ok(other) => {
            let kind = match other {
                serde_json::Value::String(_) => "a JSON string",
                serde_json::Value::Number(_) => "a JSON number",
                serde_json::Value::Bool(_) => "a JSON boolean",
                _ => "JSON null",
            };
            sink.quarantined(
                pos,
                bytes,
                &RecordError::Unrecognised(format!(
                    "{kind}; expected a JSON object (an event or a log record)"
                )),
            )
        }
        Err(e) => sink.quarantined(pos, bytes, &RecordError::Json(e.to_string())),
    }
}

/// A record that is not CloudTrail nor a container: Lambda forms.
fn leaf(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) {
    if !sink.accepts(Family::Lambda) {
        return sink.quarantined(pos, bytes, &Family::Lambda.refused());
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return sink.quarantined(pos, bytes, &RecordError::Json(e.to_string())),
    };
    let source = pos.render();
    match lambda::parse_value(value, ctx, &source, sink.tables()) {
        Ok(table) => sink.stored(table),
        Err(e) => sink.quarantined(pos, bytes, &e),
    }
}

/// The position of a nested raw value: its byte offset when it lies inside `outer`
/// (it does when borrowed from it), and its index.
fn nested(outer: &[u8], inner: &RawValue, pos: &Position, index: usize) -> Position {
    let start = outer.as_ptr() as usize;
    let at = inner.get().as_ptr() as usize;
    let offset = if at >= start && at < start + outer.len() {
        pos.offset + (at - start) as u64
    } else {
        pos.offset
    };
    Position {
        source: pos.source.clone(),
        offset,
        line: pos.line,
        index: Some(index as u32),
    }
}

fn elements(
    bytes: &[u8],
    records: &RawValue,
    pos: &Position,
    ctx: &Context,
    sink: &mut dyn Sink,
    depth: u8,
) {
    match serde_json::from_str::<Vec<&RawValue>>(records.get()) {
        Ok(items) => each(bytes, &items, pos, ctx, sink, depth),
        Err(e) => sink.quarantined(
            pos,
            bytes,
            &RecordError::field("Records container", format!("`Records` as an array ({e})")),
        ),
    }
}

fn each(
    bytes: &[u8],
    items: &[&RawValue],
    pos: &Position,
    ctx: &Context,
    sink: &mut dyn Sink,
    depth: u8,
) {
    for (i, item) in items.iter().enumerate() {
        let p = nested(bytes, item, pos, i);
        dispatch_at(item.get().as_bytes(), &p, ctx, sink, depth + 1);
    }
}

fn decode_awslogs(awslogs: &RawValue) -> Result<Vec<u8>, RecordError> {
    const FORM: &str = "CloudWatch Logs subscription payload";
    #[derive(Deserialize)]
    struct AwsLogs<'a> {
        #[serde(borrow)]
        data: Str<'a>,
    }
    let a: AwsLogs<'_> = serde_json::from_str(awslogs.get()).map_err(|e| {
        RecordError::field(FORM, format!("`awslogs.data` as a base64 string ({e})"))
    })?;
    let gz = base64::engine::general_purpose::STANDARD
        .decode(a.data.as_str().trim())
        .map_err(|e| RecordError::Decode {
            form: FORM,
            message: format!("base64: {e}"),
        })?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .take(MAX_DECODED)
        .read_to_end(&mut out)
        .map_err(|e| RecordError::Decode {
            form: FORM,
            message: format!("gzip: {e}"),
        })?;
    Ok(out)
}

#[derive(Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow)]
    message: Option<Str<'a>>,
    timestamp: Option<i64>,
}

fn log_events(
    bytes: &[u8],
    probe: &Probe<'_>,
    events: &RawValue,
    pos: &Position,
    ctx: &Context,
    sink: &mut dyn Sink,
    depth: u8,
) {
    if probe
        .message_type
        .as_ref()
        .is_some_and(|m| m.as_str() == "CONTROL_MESSAGE")
    {
        return sink.skipped("CloudWatch Logs control message");
    }
    let items: Vec<&RawValue> = match serde_json::from_str(events.get()) {
        Ok(v) => v,
        Err(e) => {
            let err = RecordError::field(
                "CloudWatch Logs payload",
                format!("`logEvents` as an array ({e})"),
            );
            return sink.quarantined(pos, bytes, &err);
        }
    };
    let mut base = ctx.clone();
    if let Some(group) = &probe.log_group {
        if let Some(name) = group.as_str().strip_prefix("/aws/lambda/") {
            base.function_name = Some(name.to_string());
        }
    }
    if let Some(owner) = &probe.owner {
        base.account_id = Some(owner.as_str().to_string());
    }
    for (i, item) in items.iter().enumerate() {
        let p = nested(bytes, item, pos, i);
        let ev: LogEvent<'_> = match serde_json::from_str(item.get()) {
            Ok(ev) => ev,
            Err(e) => {
                let err = RecordError::field(
                    "CloudWatch Logs log event",
                    format!("`message` and `timestamp` ({e})"),
                );
                sink.quarantined(&p, item.get().as_bytes(), &err);
                continue;
            }
        };
        let Some(message) = ev.message else {
            sink.quarantined(
                &p,
                item.get().as_bytes(),
                &RecordError::field("CloudWatch Logs log event", "a `message`"),
            );
            continue;
        };
        let mut c = base.clone();
        c.time_us = ev.timestamp.map(super::time::epoch).or(ctx.time_us);
        let m = message.as_str().trim_start();
        if m.starts_with('{') {
            dispatch_at(m.as_bytes(), &p, &c, sink, depth + 1);
        } else {
            text_record(m.as_bytes(), &p, &c, sink);
        }
    }
}
