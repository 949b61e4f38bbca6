//! Lambda invocations: the event a function received, its structured logs and the API
//! Gateway access log of the request, into the `invocations` table (and structured
//! log lines that are not events into `lambda_runtime`).
//!
//! Why: attacks on functions arrive in the *event* — a SQL injection in a query
//! parameter, a traversal in an S3 key, a JNDI string in a header — so each event is
//! stored with the columns rules match on (caller IP, user agent, method, path, query,
//! headers, authenticated principal), its redacted `payload` for dotted-path rules,
//! and its `payload_shape` ([`crate::shape`]) for grouping one sprayed template.
//!
//! Recognised, by content (the caller has already taken CloudTrail events and the
//! containers of [`super::envelope`] apart, so `Records` elements mostly come one by
//! one — but an event logged inside a log line may still be a whole `{"Records":[…]}`
//! event, one row per record):
//!
//! | input | recognised by | trigger |
//! |---|---|---|
//! | API Gateway REST (payload 1.0) | `requestContext` + `httpMethod` | `apigw_rest` |
//! | API Gateway HTTP API (payload 2.0) | `requestContext.http` / `version: "2.0"` | `apigw_http` |
//! | Function URL | 2.0 shape, `requestContext.domainName` has `.lambda-url.` | `function_url` |
//! | ALB target | `requestContext.elb` | `alb` |
//! | API Gateway WebSocket | `requestContext.connectionId` | `other` |
//! | SQS / SNS / S3 record | `eventSource` / `EventSource` `aws:sqs`, `aws:sns`, `aws:s3` | `sqs`, `sns`, `s3` |
//! | EventBridge event | `detail-type` + `source` + `detail` | `eventbridge` |
//! | Powertools / JSON function log | `function_request_id`, or `level` + `message` | event inside → its trigger; else a `lambda_runtime` log/error row |
//! | API Gateway access log | `requestId` + `httpMethod`/`routeKey`/`resourcePath` | `apigw_http` with `routeKey`, else `apigw_rest` |
//! | Telemetry API / JSON platform log | `type` + `record` | delegated to [`super::runtime`] |
//!
//! Events are read with the `aws_lambda_events` types first; when a real-world event
//! does not fit them (a header value with a control character, a JWT claim that is a
//! number, a missing field the type requires), the same columns are read leniently
//! from the JSON value, so an odd event is still stored. A unit test checks that both
//! readings agree on every fixture.
//!
//! A base64 body (`isBase64Encoded`) that decodes to UTF-8 text is stored decoded in
//! `payload` (with `isBase64Encoded` set to `false`), so keyword rules see it.
//!
//! # Layout
//!
//! One file per trigger family, each recognising its events and reading them in one
//! pass (typed, then lenient): [`apigw`] (REST, WebSocket, HTTP API), [`function_url`],
//! [`alb`], [`sqs`], [`sns`], [`s3`], [`eventbridge`], [`other`] (other event
//! sources); then [`log`] (structured function logs), [`access_log`] (API Gateway
//! access logs), [`read`] (the small readers they share) and [`row`] (a request into
//! an `invocations` row: body, payload, shape). This file dispatches a record to them.

mod access_log;
mod alb;
mod apigw;
mod eventbridge;
mod function_url;
mod log;
mod other;
mod read;
mod row;
mod s3;
mod sns;
mod sqs;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::runtime;
use crate::error::RecordError;
use crate::position::Context;
use crate::table::{InvocationRow, Table, Tables, Trigger};

/// Largest `payload` stored, in bytes of JSON text. Longer strings inside a larger
/// payload are cut (and marked) until it fits, so it stays valid JSON.
pub const MAX_PAYLOAD: usize = 64 * 1024;

const RECORDS: &str = "Records container";
const NO_TIME: &str = "a timestamp: the event has none and no enclosing log line gave one";

/// Appends the rows of one JSON record that is not CloudTrail: a Lambda event payload
/// (one row, or one per record of a `{"Records":[…]}` event), a structured function
/// log (the event it holds, or a `lambda_runtime` row), an API Gateway access log, or
/// a Telemetry API platform record. Returns the table written to.
///
/// Fields the record lacks come from `ctx` (function name, account, region, time);
/// `ctx.request_id`, the Lambda request id, wins over the trigger's id for
/// `request_id`. A record of no known form is an [`RecordError::Unrecognised`] naming
/// its keys.
pub fn parse_value(
    v: Value,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Result<Table, RecordError> {
    let Value::Object(obj) = &v else {
        return Err(RecordError::Unrecognised(format!(
            "{}; expected a JSON object (a Lambda event or log record)",
            json_kind(&v)
        )));
    };
    if let Some(r) = runtime::parse_telemetry(&v, ctx, source, out) {
        return r;
    }
    if let Some(rows) = event_rows(&v, ctx, source)? {
        rows.iter().for_each(|r| out.invocations.append(r));
        return Ok(Table::Invocations);
    }
    if let Some(r) = log::read(obj, ctx, source, out) {
        return r;
    }
    if let Some(row) = access_log::read(obj, ctx, source) {
        out.invocations.append(&row?);
        return Ok(Table::Invocations);
    }
    Err(unrecognised(obj))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "JSON null",
        Value::Bool(_) => "a JSON boolean",
        Value::Number(_) => "a JSON number",
        Value::String(_) => "a JSON string",
        Value::Array(_) => "a JSON array",
        Value::Object(_) => "a JSON object",
    }
}

fn key_list(obj: &Map<String, Value>) -> String {
    let mut keys: Vec<String> = obj
        .keys()
        .take(8)
        .map(|k| k.chars().take(40).collect())
        .collect();
    if obj.len() > 8 {
        keys.push("…".into());
    }
    keys.join(", ")
}

fn unrecognised(obj: &Map<String, Value>) -> RecordError {
    RecordError::Unrecognised(format!(
        "JSON object with keys [{}]: not a CloudTrail event, Lambda event payload (API Gateway, ALB, \
         Function URL, SQS, SNS, S3, EventBridge), Powertools or JSON function log, platform \
         (Telemetry API) log or API Gateway access log",
        key_list(obj)
    ))
}

/// One recognised Lambda event, read: the input form (named in errors) and what it
/// says about its request.
#[derive(Debug)]
struct Event {
    form: &'static str,
    req: Req,
}

impl Event {
    fn new(form: &'static str, req: Req) -> Self {
        Event { form, req }
    }

    /// `v` read with its `aws_lambda_events` type, or — when a real-world event does
    /// not fit the type — leniently from the JSON value.
    fn read(
        form: &'static str,
        v: &Value,
        typed: fn(&Value) -> Option<Req>,
        lenient: impl FnOnce(&Value) -> Req,
    ) -> Self {
        Event::new(form, typed(v).unwrap_or_else(|| lenient(v)))
    }
}

/// Recognises one Lambda event (not a `Records` container) by its keys and reads it:
/// each family is asked in turn, and the first whose shape `v` has reads it.
fn read_event(v: &Value) -> Option<Event> {
    let obj = v.as_object()?;
    if let Some(rc) = obj.get("requestContext").and_then(Value::as_object) {
        // ALB and WebSocket contexts can look like REST or 2.0 ones: they go first,
        // and Function URLs (2.0 on a `.lambda-url.` domain) before HTTP APIs.
        return alb::read(v, rc)
            .or_else(|| apigw::websocket(v, rc))
            .or_else(|| function_url::read(v, obj, rc))
            .or_else(|| apigw::http(v, obj, rc))
            .or_else(|| apigw::rest(v, obj, rc));
    }
    let source = ["eventSource", "EventSource"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str));
    match source {
        Some("aws:sqs") => return Some(sqs::read(v)),
        Some("aws:sns") => return Some(sns::read(v)),
        Some("aws:s3") => return Some(s3::read(v)),
        Some(s) if s.starts_with("aws:") => return Some(other::read(v)),
        _ => {}
    }
    if obj.get("Sns").is_some_and(Value::is_object) {
        return Some(sns::read(v));
    }
    if obj.get("s3").and_then(|s| s.get("bucket")).is_some() {
        return Some(s3::read(v));
    }
    eventbridge::read(v, obj)
}

/// The rows of a Lambda event: `Ok(None)` when `v` is no event.
fn event_rows(
    v: &Value,
    ctx: &Context,
    source: &str,
) -> Result<Option<Vec<InvocationRow>>, RecordError> {
    if let Some(records) = v.get("Records") {
        let items = records.as_array().ok_or_else(|| {
            RecordError::field(RECORDS, "`Records` as an array of SQS, SNS or S3 records")
        })?;
        if items.is_empty() {
            return Err(RecordError::field(
                RECORDS,
                "at least one record in `Records`",
            ));
        }
        let mut rows = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let event = read_event(item).ok_or_else(|| {
                let keys = item
                    .as_object()
                    .map(key_list)
                    .unwrap_or_else(|| json_kind(item).into());
                RecordError::Unrecognised(format!(
                    "`Records[{i}]` with keys [{keys}]: expected an SQS, SNS, S3 or other AWS event source record"
                ))
            })?;
            rows.push(row::row(event.req, item, event.form, ctx, source)?);
        }
        return Ok(Some(rows));
    }
    match read_event(v) {
        Some(event) => Ok(Some(vec![row::row(event.req, v, event.form, ctx, source)?])),
        None => Ok(None),
    }
}

/// What one event says about its request, before context and redaction.
#[derive(Debug, Default, Clone, PartialEq)]
struct Req {
    trigger: Trigger,
    time: Option<i64>,
    trigger_request_id: Option<String>,
    account_id: Option<String>,
    region: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    http_method: Option<String>,
    path: Option<String>,
    /// The query string as received (or rebuilt from the parameters).
    query: Option<String>,
    /// Decoded query parameters, sorted by name, for the shape.
    params: Vec<(String, String)>,
    /// Lower-cased header names → values (repeated headers joined with `, `).
    headers: BTreeMap<String, String>,
    body: Option<String>,
    body_b64: bool,
    /// Set when the body size is not the body's length (S3 object size).
    body_size: Option<i64>,
    auth_principal: Option<String>,
    status_code: Option<i32>,
    /// Non-HTTP triggers: the attacker-controlled part the shape is made of.
    subject: Option<Value>,
}

impl Req {
    /// A message of SQS or SNS: its id, time, source ARN (for region and account) and
    /// body, whose text is what the shape is made of.
    fn message(
        trigger: Trigger,
        id: Option<String>,
        time: Option<i64>,
        arn: Option<&str>,
        body: Option<String>,
    ) -> Req {
        let (region, account_id) = arn.map(read::arn_parts).unwrap_or_default();
        Req {
            trigger,
            time,
            trigger_request_id: id,
            account_id,
            region,
            subject: Some(Value::String(body.clone().unwrap_or_default())),
            body,
            ..Default::default()
        }
    }
}
