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

use std::borrow::Cow;
use std::collections::BTreeMap;

use aws_lambda_events::alb::AlbTargetGroupRequest;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::query_map::QueryMap;
use aws_lambda_events::s3::S3EventRecord;
use aws_lambda_events::sns::SnsRecord;
use aws_lambda_events::sqs::SqsMessage;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{runtime, time};
use crate::error::RecordError;
use crate::position::Context;
use crate::redact;
use crate::shape::{self, percent_decode};
use crate::table::{InvocationRow, Table, Tables, Trigger};

/// Largest `payload` stored, in bytes of JSON text. Longer strings inside a larger
/// payload are cut (and marked) until it fits, so it stays valid JSON.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Request headers that go into `payload_shape` (attacker-controlled, telling tools
/// and content kinds apart). Others vary per hop (trace ids, forwarded-for).
const SHAPE_HEADERS: &[&str] = &["content-type", "referer", "user-agent"];

const POWERTOOLS: &str = "Powertools log";
const ACCESS_LOG: &str = "API Gateway access log";
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
    if is_structured_log(obj) {
        return structured_log(obj, ctx, source, out);
    }
    if is_access_log(obj) {
        out.invocations.append(&access_log(obj, ctx, source)?);
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

/// The event kinds read into `invocations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rest,
    WebSocket,
    Http,
    FunctionUrl,
    Alb,
    Sqs,
    Sns,
    S3,
    EventBridge,
    /// A record of another AWS event source (`aws:dynamodb`, `aws:kinesis`, …).
    SourceRecord,
}

impl Kind {
    /// The input form named in errors.
    fn form(self) -> &'static str {
        match self {
            Kind::Rest => "API Gateway REST event",
            Kind::WebSocket => "API Gateway WebSocket event",
            Kind::Http => "API Gateway HTTP API event",
            Kind::FunctionUrl => "Lambda Function URL event",
            Kind::Alb => "ALB target group event",
            Kind::Sqs => "SQS record",
            Kind::Sns => "SNS record",
            Kind::S3 => "S3 event record",
            Kind::EventBridge => "EventBridge event",
            Kind::SourceRecord => "Lambda event source record",
        }
    }
}

/// Recognises one Lambda event (not a `Records` container) by its keys.
fn detect(v: &Value) -> Option<Kind> {
    let obj = v.as_object()?;
    if let Some(rc) = obj.get("requestContext").and_then(Value::as_object) {
        if rc.contains_key("elb") {
            return Some(Kind::Alb);
        }
        if rc.contains_key("connectionId") {
            return Some(Kind::WebSocket);
        }
        let v2 = obj.get("version").and_then(Value::as_str) == Some("2.0")
            || obj.contains_key("rawPath")
            || rc.get("http").is_some_and(Value::is_object);
        if v2 {
            let url = rc
                .get("domainName")
                .and_then(Value::as_str)
                .is_some_and(|d| d.contains(".lambda-url."));
            return Some(if url { Kind::FunctionUrl } else { Kind::Http });
        }
        if obj.contains_key("httpMethod") || rc.contains_key("httpMethod") {
            return Some(Kind::Rest);
        }
        return None;
    }
    let source = ["eventSource", "EventSource"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str));
    match source {
        Some("aws:sqs") => return Some(Kind::Sqs),
        Some("aws:sns") => return Some(Kind::Sns),
        Some("aws:s3") => return Some(Kind::S3),
        Some(s) if s.starts_with("aws:") => return Some(Kind::SourceRecord),
        _ => {}
    }
    if obj.get("Sns").is_some_and(Value::is_object) {
        return Some(Kind::Sns);
    }
    if obj.get("s3").and_then(|s| s.get("bucket")).is_some() {
        return Some(Kind::S3);
    }
    if obj.contains_key("detail-type") && obj.contains_key("source") && obj.contains_key("detail") {
        return Some(Kind::EventBridge);
    }
    None
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
            let kind = detect(item).ok_or_else(|| {
                let keys = item
                    .as_object()
                    .map(key_list)
                    .unwrap_or_else(|| json_kind(item).into());
                RecordError::Unrecognised(format!(
                    "`Records[{i}]` with keys [{keys}]: expected an SQS, SNS, S3 or other AWS event source record"
                ))
            })?;
            rows.push(finish(extract(kind, item), item, kind, ctx, source)?);
        }
        return Ok(Some(rows));
    }
    match detect(v) {
        Some(kind) => Ok(Some(vec![finish(extract(kind, v), v, kind, ctx, source)?])),
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

fn extract(kind: Kind, v: &Value) -> Req {
    // Typed first; the lenient reading when the event does not fit the type.
    match kind {
        Kind::Rest => ApiGatewayProxyRequest::deserialize(v)
            .map_or_else(|_| rest_value(v, Trigger::ApigwRest), |e| rest_typed(&e)),
        Kind::WebSocket => rest_value(v, Trigger::Other),
        Kind::Http => ApiGatewayV2httpRequest::deserialize(v)
            .map_or_else(|_| http_value(v, Trigger::ApigwHttp), |e| http_typed(&e)),
        Kind::FunctionUrl => LambdaFunctionUrlRequest::deserialize(v)
            .map_or_else(|_| http_value(v, Trigger::FunctionUrl), |e| url_typed(&e)),
        Kind::Alb => {
            AlbTargetGroupRequest::deserialize(v).map_or_else(|_| alb_value(v), |e| alb_typed(&e))
        }
        Kind::Sqs => SqsMessage::deserialize(v).map_or_else(|_| sqs_value(v), |e| sqs_typed(&e)),
        Kind::Sns => SnsRecord::deserialize(v).map_or_else(|_| sns_value(v), |e| sns_typed(&e)),
        Kind::S3 => S3EventRecord::deserialize(v).map_or_else(|_| s3_value(v), |e| s3_typed(&e)),
        Kind::EventBridge => EventBridgeEvent::<Value>::deserialize(v)
            .map_or_else(|_| eventbridge_value(v), |e| eventbridge_typed(&e)),
        // DynamoDB, Kinesis, Kafka, MQ… have no typed reading here (their
        // `aws_lambda_events` features are off): the common fields are read leniently.
        Kind::SourceRecord => source_record_value(v),
    }
}

// ---------------------------------------------------------------------------------
// Small readers shared by the typed and the lenient paths.

/// Trimmed text, `None` when empty or API Gateway's `-` placeholder.
fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
        .map(str::to_string)
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A scalar as text (strings as is, numbers and booleans printed), `None` for
/// null, arrays and objects.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    clean(scalar(v).as_deref())
}

fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    at(v, path).and_then(text)
}

fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    match at(v, path)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_at(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

/// A 12-digit account id (Function URLs say `anonymous` when unauthenticated).
fn account(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| is_account(s))
        .map(str::to_string)
}

/// `(region, account)` of an ARN.
fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut p = arn.split(':');
    if p.next() != Some("arn") {
        return (None, None);
    }
    let (_partition, _service) = (p.next(), p.next());
    let region = clean(p.next());
    (region, account(p.next()))
}

/// The region of an `*.execute-api.<region>.amazonaws.com` or
/// `*.lambda-url.<region>.on.aws` domain.
fn domain_region(domain: &str) -> Option<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let i = labels
        .iter()
        .position(|l| *l == "execute-api" || *l == "lambda-url")?;
    let r = labels.get(i + 1)?;
    (r.contains('-') && r.ends_with(|c: char| c.is_ascii_digit())).then(|| r.to_string())
}

/// An epoch time in s/ms/µs; 0 (a type's default) is no time.
fn epoch_time(n: i64) -> Option<i64> {
    (n > 0).then(|| time::epoch(n))
}

/// API Gateway `requestTime` (`01/Jun/2024:12:00:00 +0000`, also without the space).
fn api_time(s: &str) -> Option<i64> {
    let s = s.trim();
    time::parse(s).or_else(|| {
        let n = s.len();
        (n > 5 && s.is_char_boundary(n - 5) && !s[..n - 5].ends_with(' '))
            .then(|| time::parse(&format!("{} {}", &s[..n - 5], &s[n - 5..])))
            .flatten()
    })
}

fn push_header(out: &mut BTreeMap<String, String>, name: &str, value: &str) {
    let e = out.entry(name.to_ascii_lowercase()).or_default();
    if !e.is_empty() {
        e.push_str(", ");
    }
    e.push_str(value);
}

/// Headers of a typed event: the multi-value map when present, else the single one.
fn header_map(single: &HeaderMap, multi: &HeaderMap) -> BTreeMap<String, String> {
    let src = if multi.is_empty() { single } else { multi };
    let mut out = BTreeMap::new();
    for (name, value) in src {
        push_header(
            &mut out,
            name.as_str(),
            &String::from_utf8_lossy(value.as_bytes()),
        );
    }
    out
}

/// Headers of an event read leniently (`multiValueHeaders`, else `headers`).
fn header_value(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let multi = v
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    if let Some(m) = multi {
        for (k, vals) in m {
            match vals {
                Value::Array(items) => items
                    .iter()
                    .filter_map(scalar)
                    .for_each(|s| push_header(&mut out, k, &s)),
                other => scalar(other)
                    .into_iter()
                    .for_each(|s| push_header(&mut out, k, &s)),
            }
        }
    } else if let Some(m) = v.get("headers").and_then(Value::as_object) {
        for (k, val) in m {
            if let Some(s) = scalar(val) {
                push_header(&mut out, k, &s);
            }
        }
    }
    out
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    // Stable: repeated parameters keep their order.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// Query parameters of a typed event: the multi-value map when present.
fn query_map(single: &QueryMap, multi: &QueryMap) -> Vec<(String, String)> {
    let src = if multi.is_empty() { single } else { multi };
    sorted(
        src.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Query parameters read leniently (`multiValueQueryStringParameters`, else
/// `queryStringParameters`).
fn query_value(v: &Value) -> Vec<(String, String)> {
    let multi = v
        .get("multiValueQueryStringParameters")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    let Some(src) = multi.or_else(|| v.get("queryStringParameters").and_then(Value::as_object))
    else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (k, val) in src {
        match val {
            Value::Array(items) => {
                pairs.extend(items.iter().filter_map(scalar).map(|s| (k.clone(), s)))
            }
            other => pairs.extend(scalar(other).map(|s| (k.clone(), s))),
        }
    }
    sorted(pairs)
}

/// Decoded parameters of a raw query string.
fn parse_query(raw: &str) -> Vec<(String, String)> {
    sorted(
        raw.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (
                    percent_decode(k, true).into_owned(),
                    percent_decode(v, true).into_owned(),
                )
            })
            .collect(),
    )
}

fn join_query(pairs: &[(String, String)]) -> Option<String> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// The principal of an authorizer context (Lambda authorizer `principalId` or its
/// context keys, Cognito `claims`).
fn authorizer_principal<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> Option<String> {
    ["principalId", "sub", "userId", "username", "user"]
        .iter()
        .find_map(|k| get(k).and_then(text))
        .or_else(|| claims_principal(get("claims")?))
}

fn claims_principal(claims: &Value) -> Option<String> {
    ["sub", "cognito:username", "username"]
        .iter()
        .find_map(|k| text_at(claims, &[k]))
}

/// The caller's IP behind an ALB: the last `X-Forwarded-For` entry, the one the load
/// balancer itself saw (earlier entries are client-supplied).
fn forwarded_ip(headers: &BTreeMap<String, String>) -> Option<String> {
    clean(headers.get("x-forwarded-for")?.rsplit(',').next())
}

// ---------------------------------------------------------------------------------
// API Gateway REST (1.0) and WebSocket.

fn rest_typed(e: &ApiGatewayProxyRequest) -> Req {
    let rc = &e.request_context;
    let id = &rc.identity;
    let headers = header_map(&e.headers, &e.multi_value_headers);
    let params = query_map(
        &e.query_string_parameters,
        &e.multi_value_query_string_parameters,
    );
    Req {
        trigger: Trigger::ApigwRest,
        time: epoch_time(rc.request_time_epoch)
            .or_else(|| rc.request_time.as_deref().and_then(api_time)),
        trigger_request_id: clean(rc.request_id.as_deref()),
        account_id: account(rc.account_id.as_deref()),
        region: rc.domain_name.as_deref().and_then(domain_region),
        source_ip: clean(id.source_ip.as_deref()),
        user_agent: clean(id.user_agent.as_deref())
            .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
        http_method: clean(Some(e.http_method.as_str())),
        path: clean(e.path.as_deref()).or_else(|| clean(rc.path.as_deref())),
        query: join_query(&params),
        params,
        headers,
        body: e.body.clone(),
        body_b64: e.is_base64_encoded,
        auth_principal: authorizer_principal(|k| rc.authorizer.fields.get(k))
            .or_else(|| clean(id.user_arn.as_deref()))
            .or_else(|| clean(id.cognito_identity_id.as_deref()))
            .or_else(|| clean(id.user.as_deref())),
        ..Default::default()
    }
}

fn rest_value(v: &Value, trigger: Trigger) -> Req {
    let null = Value::Null;
    let rc = v.get("requestContext").unwrap_or(&null);
    let headers = header_value(v);
    let params = query_value(v);
    Req {
        trigger,
        time: int_at(rc, &["requestTimeEpoch"])
            .and_then(epoch_time)
            .or_else(|| text_at(rc, &["requestTime"]).and_then(|s| api_time(&s))),
        trigger_request_id: text_at(rc, &["requestId"]),
        account_id: account(text_at(rc, &["accountId"]).as_deref()),
        region: text_at(rc, &["domainName"]).and_then(|d| domain_region(&d)),
        source_ip: text_at(rc, &["identity", "sourceIp"]),
        user_agent: text_at(rc, &["identity", "userAgent"])
            .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
        http_method: text_at(v, &["httpMethod"]).or_else(|| text_at(rc, &["httpMethod"])),
        path: text_at(v, &["path"]).or_else(|| text_at(rc, &["path"])),
        query: join_query(&params),
        params,
        headers,
        body: v.get("body").and_then(scalar),
        body_b64: bool_at(v, "isBase64Encoded"),
        auth_principal: rc
            .get("authorizer")
            .and_then(|a| authorizer_principal(|k| a.get(k)))
            .or_else(|| text_at(rc, &["identity", "userArn"]))
            .or_else(|| text_at(rc, &["identity", "cognitoIdentityId"]))
            .or_else(|| text_at(rc, &["identity", "user"])),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------
// API Gateway HTTP API (2.0) and Function URLs.

fn http_typed(e: &ApiGatewayV2httpRequest) -> Req {
    let rc = &e.request_context;
    let h = &rc.http;
    let headers = header_map(&e.headers, &HeaderMap::new());
    let raw = clean(e.raw_query_string.as_deref());
    let params = match &raw {
        Some(q) => parse_query(q),
        None => query_map(&e.query_string_parameters, &QueryMap::default()),
    };
    let auth = rc.authorizer.as_ref().and_then(|a| {
        a.jwt
            .as_ref()
            .and_then(|j| {
                ["sub", "cognito:username", "username"]
                    .iter()
                    .find_map(|k| clean(j.claims.get(*k).map(String::as_str)))
            })
            .or_else(|| a.iam.as_ref().and_then(|i| clean(i.user_arn.as_deref())))
            .or_else(|| authorizer_principal(|k| a.fields.get(k)))
    });
    Req {
        trigger: Trigger::ApigwHttp,
        time: epoch_time(rc.time_epoch).or_else(|| rc.time.as_deref().and_then(api_time)),
        trigger_request_id: clean(rc.request_id.as_deref()),
        account_id: account(rc.account_id.as_deref()),
        region: rc.domain_name.as_deref().and_then(domain_region),
        source_ip: clean(h.source_ip.as_deref()),
        user_agent: clean(h.user_agent.as_deref())
            .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
        http_method: clean(Some(h.method.as_str())),
        path: clean(e.raw_path.as_deref()).or_else(|| clean(h.path.as_deref())),
        query: raw.or_else(|| join_query(&params)),
        params,
        headers,
        body: e.body.clone(),
        body_b64: e.is_base64_encoded,
        auth_principal: auth,
        ..Default::default()
    }
}

fn url_typed(e: &LambdaFunctionUrlRequest) -> Req {
    let rc = &e.request_context;
    let h = &rc.http;
    let headers = header_map(&e.headers, &HeaderMap::new());
    let raw = clean(e.raw_query_string.as_deref());
    let params = match &raw {
        Some(q) => parse_query(q),
        None => sorted(
            e.query_string_parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    };
    Req {
        trigger: Trigger::FunctionUrl,
        time: epoch_time(rc.time_epoch).or_else(|| rc.time.as_deref().and_then(api_time)),
        trigger_request_id: clean(rc.request_id.as_deref()),
        account_id: account(rc.account_id.as_deref()),
        region: rc.domain_name.as_deref().and_then(domain_region),
        source_ip: clean(h.source_ip.as_deref()),
        user_agent: clean(h.user_agent.as_deref())
            .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
        http_method: clean(h.method.as_deref()),
        path: clean(e.raw_path.as_deref()).or_else(|| clean(h.path.as_deref())),
        query: raw.or_else(|| join_query(&params)),
        params,
        headers,
        body: e.body.clone(),
        body_b64: e.is_base64_encoded,
        auth_principal: rc
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|i| clean(i.user_arn.as_deref())),
        ..Default::default()
    }
}

fn http_value(v: &Value, trigger: Trigger) -> Req {
    let null = Value::Null;
    let rc = v.get("requestContext").unwrap_or(&null);
    let headers = header_value(v);
    let raw = text_at(v, &["rawQueryString"]);
    let params = match &raw {
        Some(q) => parse_query(q),
        None => query_value(v),
    };
    let auth = rc.get("authorizer").and_then(|a| {
        a.get("jwt")
            .and_then(|j| j.get("claims"))
            .and_then(claims_principal)
            .or_else(|| text_at(a, &["iam", "userArn"]))
            .or_else(|| {
                a.get("lambda")
                    .and_then(|l| authorizer_principal(|k| l.get(k)))
            })
    });
    Req {
        trigger,
        time: int_at(rc, &["timeEpoch"])
            .and_then(epoch_time)
            .or_else(|| text_at(rc, &["time"]).and_then(|s| api_time(&s))),
        trigger_request_id: text_at(rc, &["requestId"]),
        account_id: account(text_at(rc, &["accountId"]).as_deref()),
        region: text_at(rc, &["domainName"]).and_then(|d| domain_region(&d)),
        source_ip: text_at(rc, &["http", "sourceIp"]),
        user_agent: text_at(rc, &["http", "userAgent"])
            .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
        http_method: text_at(rc, &["http", "method"]),
        path: text_at(v, &["rawPath"]).or_else(|| text_at(rc, &["http", "path"])),
        query: raw.or_else(|| join_query(&params)),
        params,
        headers,
        body: v.get("body").and_then(scalar),
        body_b64: bool_at(v, "isBase64Encoded"),
        auth_principal: auth,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------
// ALB.

/// ALB passes the query as received (still percent-encoded): `query` keeps it, the
/// shape's parameters are decoded.
fn alb_req(
    arn: Option<&str>,
    headers: BTreeMap<String, String>,
    raw: Vec<(String, String)>,
) -> Req {
    let (region, account_id) = arn.map(arn_parts).unwrap_or_default();
    Req {
        trigger: Trigger::Alb,
        account_id,
        region,
        source_ip: forwarded_ip(&headers),
        user_agent: clean(headers.get("user-agent").map(String::as_str)),
        query: join_query(&raw),
        params: sorted(
            raw.iter()
                .map(|(k, v)| {
                    (
                        percent_decode(k, true).into_owned(),
                        percent_decode(v, true).into_owned(),
                    )
                })
                .collect(),
        ),
        headers,
        ..Default::default()
    }
}

fn alb_typed(e: &AlbTargetGroupRequest) -> Req {
    let headers = header_map(&e.headers, &e.multi_value_headers);
    let raw = query_map(
        &e.query_string_parameters,
        &e.multi_value_query_string_parameters,
    );
    Req {
        http_method: clean(Some(e.http_method.as_str())),
        path: clean(e.path.as_deref()),
        body: e.body.clone(),
        body_b64: e.is_base64_encoded,
        ..alb_req(
            e.request_context.elb.target_group_arn.as_deref(),
            headers,
            raw,
        )
    }
}

fn alb_value(v: &Value) -> Req {
    let arn = text_at(v, &["requestContext", "elb", "targetGroupArn"]);
    Req {
        http_method: text_at(v, &["httpMethod"]),
        path: text_at(v, &["path"]),
        body: v.get("body").and_then(scalar),
        body_b64: bool_at(v, "isBase64Encoded"),
        ..alb_req(arn.as_deref(), header_value(v), query_value(v))
    }
}

// ---------------------------------------------------------------------------------
// SQS, SNS, S3, EventBridge.

fn message_req(
    trigger: Trigger,
    id: Option<String>,
    time: Option<i64>,
    arn: Option<&str>,
    body: Option<String>,
) -> Req {
    let (region, account_id) = arn.map(arn_parts).unwrap_or_default();
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

fn sqs_typed(e: &SqsMessage) -> Req {
    let time = e
        .attributes
        .get("SentTimestamp")
        .and_then(|s| s.trim().parse().ok())
        .and_then(epoch_time);
    let mut r = message_req(
        Trigger::Sqs,
        clean(e.message_id.as_deref()),
        time,
        e.event_source_arn.as_deref(),
        e.body.clone(),
    );
    r.region = r.region.or_else(|| clean(e.aws_region.as_deref()));
    r.auth_principal = clean(e.attributes.get("SenderId").map(String::as_str));
    r
}

fn sqs_value(v: &Value) -> Req {
    let time = int_at(v, &["attributes", "SentTimestamp"]).and_then(epoch_time);
    let arn = text_at(v, &["eventSourceARN"]);
    let mut r = message_req(
        Trigger::Sqs,
        text_at(v, &["messageId"]),
        time,
        arn.as_deref(),
        v.get("body").and_then(scalar),
    );
    r.region = r.region.or_else(|| text_at(v, &["awsRegion"]));
    r.auth_principal = text_at(v, &["attributes", "SenderId"]);
    r
}

fn sns_typed(e: &SnsRecord) -> Req {
    let m = &e.sns;
    message_req(
        Trigger::Sns,
        clean(Some(m.message_id.as_str())),
        Some(m.timestamp.timestamp_micros()),
        Some(m.topic_arn.as_str()),
        Some(m.message.clone()),
    )
}

fn sns_value(v: &Value) -> Req {
    let null = Value::Null;
    let m = v.get("Sns").unwrap_or(&null);
    let time = text_at(m, &["Timestamp"]).and_then(|t| time::parse(&t));
    let arn = text_at(m, &["TopicArn"]);
    message_req(
        Trigger::Sns,
        text_at(m, &["MessageId"]),
        time,
        arn.as_deref(),
        m.get("Message").and_then(scalar),
    )
}

/// S3 keys in events are form-encoded (`+` for space); the path is `/bucket/key`.
fn s3_req(bucket: Option<String>, key: Option<String>, size: Option<i64>) -> Req {
    let key = key.map(|k| percent_decode(&k, true).into_owned());
    Req {
        trigger: Trigger::S3,
        path: match (&bucket, &key) {
            (Some(b), Some(k)) => Some(format!("/{b}/{k}")),
            (Some(b), None) => Some(format!("/{b}")),
            _ => None,
        },
        body_size: size,
        subject: Some(serde_json::json!({ "key": key })),
        ..Default::default()
    }
}

fn s3_typed(e: &S3EventRecord) -> Req {
    let o = &e.s3.object;
    Req {
        time: Some(e.event_time.timestamp_micros()),
        trigger_request_id: clean(
            e.response_elements
                .get("x-amz-request-id")
                .map(String::as_str),
        ),
        region: clean(e.aws_region.as_deref()),
        source_ip: clean(e.request_parameters.source_ip_address.as_deref()),
        auth_principal: clean(e.principal_id.principal_id.as_deref()),
        ..s3_req(
            clean(e.s3.bucket.name.as_deref()),
            clean(o.key.as_deref()),
            o.size,
        )
    }
}

fn s3_value(v: &Value) -> Req {
    Req {
        time: text_at(v, &["eventTime"]).and_then(|t| time::parse(&t)),
        trigger_request_id: text_at(v, &["responseElements", "x-amz-request-id"]),
        region: text_at(v, &["awsRegion"]),
        source_ip: text_at(v, &["requestParameters", "sourceIPAddress"]),
        auth_principal: text_at(v, &["userIdentity", "principalId"]),
        ..s3_req(
            text_at(v, &["s3", "bucket", "name"]),
            text_at(v, &["s3", "object", "key"]),
            int_at(v, &["s3", "object", "size"]),
        )
    }
}

fn eventbridge_req(
    id: Option<String>,
    time: Option<i64>,
    account_id: Option<String>,
    region: Option<String>,
    detail: &Value,
) -> Req {
    Req {
        trigger: Trigger::EventBridge,
        time,
        trigger_request_id: id,
        account_id,
        region,
        body_size: Some(detail.to_string().len() as i64),
        subject: Some(detail.clone()),
        ..Default::default()
    }
}

fn eventbridge_typed(e: &EventBridgeEvent<Value>) -> Req {
    eventbridge_req(
        clean(e.id.as_deref()),
        e.time.map(|t| t.timestamp_micros()),
        account(e.account.as_deref()),
        clean(e.region.as_deref()),
        &e.detail,
    )
}

fn eventbridge_value(v: &Value) -> Req {
    eventbridge_req(
        text_at(v, &["id"]),
        text_at(v, &["time"]).and_then(|t| time::parse(&t)),
        account(text_at(v, &["account"]).as_deref()),
        text_at(v, &["region"]),
        v.get("detail").unwrap_or(&Value::Null),
    )
}

/// A record of another event source: its id, time and ARN when it has them; the shape
/// is made of the whole record.
fn source_record_value(v: &Value) -> Req {
    let arn = text_at(v, &["eventSourceARN"]).or_else(|| text_at(v, &["eventSourceArn"]));
    let (region, account_id) = arn.as_deref().map(arn_parts).unwrap_or_default();
    Req {
        trigger: Trigger::Other,
        time: text_at(v, &["eventTime"])
            .and_then(|t| time::parse(&t))
            .or_else(|| {
                at(v, &["dynamodb", "ApproximateCreationDateTime"]).and_then(runtime::log_time)
            })
            .or_else(|| {
                at(v, &["kinesis", "approximateArrivalTimestamp"]).and_then(runtime::log_time)
            }),
        trigger_request_id: text_at(v, &["eventID"]).or_else(|| text_at(v, &["messageId"])),
        account_id,
        region: region.or_else(|| text_at(v, &["awsRegion"])),
        subject: Some(v.clone()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------
// From a request to a row.

/// The decoded body: its text when it is text, its size in bytes, and whether it was
/// base64 that decoded to text.
fn decode_body(body: Option<&str>, b64: bool) -> (Option<String>, Option<i64>, bool) {
    let Some(b) = body else {
        return (None, None, false);
    };
    if b64 {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b.trim()) {
            let n = bytes.len() as i64;
            return match String::from_utf8(bytes) {
                Ok(t) => (Some(t), Some(n), true),
                Err(_) => (None, Some(n), false),
            };
        }
    }
    (Some(b.to_string()), Some(b.len() as i64), false)
}

fn redacted(v: &Value) -> Value {
    let mut v = v.clone();
    redact::value(&mut v);
    v
}

/// `METHOD {body, headers, path, query}` shaped, from redacted values.
fn http_shape(req: &Req, body: Option<&str>, binary: bool) -> String {
    let mut obj = Map::new();
    if let Some(p) = &req.path {
        obj.insert("path".into(), Value::String(p.clone()));
    }
    if !req.params.is_empty() {
        let mut q = Map::new();
        for (k, v) in &req.params {
            let v = if redact::is_secret_key(k) {
                Value::String(redact::REDACTED.into())
            } else {
                Value::String(redact::text(v).into_owned())
            };
            match q.get_mut(k) {
                Some(Value::Array(items)) => items.push(v),
                Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
                None => {
                    q.insert(k.clone(), v);
                }
            }
        }
        obj.insert("query".into(), Value::Object(q));
    }
    match body.filter(|b| !b.trim().is_empty()) {
        Some(b) => {
            obj.insert(
                "body".into(),
                Value::String(redact::json_text(b).into_owned()),
            );
        }
        None if binary => {
            obj.insert("body".into(), Value::Bool(true));
        }
        None => {}
    }
    let headers: Map<String, Value> = SHAPE_HEADERS
        .iter()
        .filter_map(|h| {
            Some((
                h.to_string(),
                Value::String(redact::text(req.headers.get(*h)?).into_owned()),
            ))
        })
        .collect();
    if !headers.is_empty() {
        obj.insert("headers".into(), Value::Object(headers));
    }
    format!(
        "{} {}",
        req.http_method.as_deref().unwrap_or("-"),
        shape::shape(&Value::Object(obj))
    )
}

fn finish(
    req: Req,
    event: &Value,
    kind: Kind,
    ctx: &Context,
    source: &str,
) -> Result<InvocationRow, RecordError> {
    let time = req
        .time
        .or(ctx.time_us)
        .ok_or_else(|| RecordError::field(kind.form(), NO_TIME))?;
    let (body_text, body_size, decoded) = decode_body(req.body.as_deref(), req.body_b64);
    let payload_shape = match &req.subject {
        Some(subject) => shape::shape(&redacted(subject)),
        None => http_shape(
            &req,
            body_text.as_deref(),
            req.body.is_some() && body_text.is_none(),
        ),
    };
    let mut payload = event.clone();
    if decoded {
        if let (Some(obj), Some(text)) = (payload.as_object_mut(), &body_text) {
            obj.insert("body".into(), Value::String(text.clone()));
            obj.insert("isBase64Encoded".into(), Value::Bool(false));
        }
    }
    redact::value(&mut payload);
    let headers = (!req.headers.is_empty()).then(|| {
        let mut h = Value::Object(
            req.headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
        redact::value(&mut h);
        h.to_string()
    });
    Ok(InvocationRow {
        time,
        account_id: req.account_id.or_else(|| ctx.account_id.clone()),
        region: req.region.or_else(|| ctx.region.clone()),
        function_name: ctx.function_name.clone(),
        request_id: ctx
            .request_id
            .clone()
            .or_else(|| req.trigger_request_id.clone()),
        trigger_request_id: req.trigger_request_id,
        trigger: req.trigger,
        source_ip: req.source_ip,
        user_agent: req.user_agent,
        http_method: req.http_method,
        path: req.path,
        query: req.query.map(|q| redact::text(&q).into_owned()),
        headers,
        body_size: req.body_size.or(body_size),
        payload: Some(bounded_json(payload, MAX_PAYLOAD)),
        payload_shape: Some(payload_shape),
        auth_principal: req.auth_principal,
        status_code: req.status_code,
        source: source.to_string(),
    })
}

/// Cuts every string longer than `limit` bytes, marking the cut.
fn cut_strings(v: &mut Value, limit: usize) {
    match v {
        Value::String(s) if s.len() > limit => {
            let mut end = limit;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            let cut = s.len() - end;
            s.truncate(end);
            s.push_str(&format!("…[truncated {cut} bytes]"));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| cut_strings(x, limit)),
        Value::Object(map) => map.values_mut().for_each(|x| cut_strings(x, limit)),
        _ => {}
    }
}

/// JSON text of at most about `max` bytes that stays valid JSON: long strings are cut
/// first; a document that is still too large becomes `{"truncated": true, "bytes": n,
/// "prefix": "<its first bytes>"}`.
fn bounded_json(mut v: Value, max: usize) -> String {
    let full = v.to_string();
    if full.len() <= max {
        return full;
    }
    for limit in [8192, 1024, 128] {
        cut_strings(&mut v, limit);
        let s = v.to_string();
        if s.len() <= max {
            return s;
        }
    }
    // Escaping can at most double plain JSON text, so a third of `max` fits.
    let mut end = max / 3;
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    serde_json::json!({ "truncated": true, "bytes": full.len(), "prefix": &full[..end] })
        .to_string()
}

// ---------------------------------------------------------------------------------
// Structured function logs (Powertools, the Lambda JSON log format).

fn is_structured_log(obj: &Map<String, Value>) -> bool {
    let has = |k: &str| obj.contains_key(k);
    has("function_request_id")
        || (has("function_name") && (has("cold_start") || has("function_arn")))
        || ((has("level") || has("levelname")) && (has("message") || has("msg") || has("event")))
}

fn structured_log(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Result<Table, RecordError> {
    let str_of = |k: &str| clean(obj.get(k).and_then(Value::as_str));
    let mut lctx = ctx.clone();
    if let Some(f) = str_of("function_name").or_else(|| str_of("functionName")) {
        lctx.function_name = Some(f);
    }
    if let Some(r) = [
        "function_request_id",
        "requestId",
        "aws_request_id",
        "awsRequestId",
    ]
    .iter()
    .find_map(|k| str_of(k))
    {
        lctx.request_id = Some(r);
    }
    if let Some(arn) = str_of("function_arn") {
        let (region, account_id) = arn_parts(&arn);
        lctx.region = region.or(lctx.region);
        lctx.account_id = account_id.or(lctx.account_id);
    }
    if let Some(t) = ["timestamp", "time", "@timestamp"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(runtime::log_time))
    {
        lctx.time_us = Some(t);
    }
    for key in ["event", "message", "msg"] {
        let inner: Cow<'_, Value> = match obj.get(key) {
            Some(v @ Value::Object(_)) => Cow::Borrowed(v),
            Some(Value::String(s)) if s.trim_start().starts_with('{') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(v @ Value::Object(_)) => Cow::Owned(v),
                    _ => continue,
                }
            }
            _ => continue,
        };
        match event_rows(&inner, &lctx, source) {
            Ok(Some(rows)) => {
                rows.iter().for_each(|r| out.invocations.append(r));
                return Ok(Table::Invocations);
            }
            // Not an event after all: the line is an ordinary log message.
            Ok(None) | Err(RecordError::Unrecognised(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let row = runtime::json_log_row(obj, &lctx, source, POWERTOOLS)?;
    out.runtime.append(&row);
    Ok(Table::LambdaRuntime)
}

// ---------------------------------------------------------------------------------
// API Gateway access logs.

fn is_access_log(obj: &Map<String, Value>) -> bool {
    obj.contains_key("requestId")
        && !obj.contains_key("requestContext")
        && ["httpMethod", "routeKey", "resourcePath"]
            .iter()
            .any(|k| obj.contains_key(*k))
}

fn access_log(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
) -> Result<InvocationRow, RecordError> {
    let v = |k: &str| obj.get(k).and_then(text);
    let first = |keys: &[&str]| keys.iter().find_map(|k| v(k));
    let route = v("routeKey");
    // `routeKey` is `METHOD /path` (or `$default`).
    let (route_method, route_path) = match route.as_deref().and_then(|r| r.split_once(' ')) {
        Some((m, p)) => (Some(m.to_string()), Some(p.to_string())),
        None => (None, route.clone()),
    };
    let time = obj
        .get("requestTimeEpoch")
        .and_then(|t| match t {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .and_then(epoch_time)
        .or_else(|| first(&["requestTime", "time", "timestamp"]).and_then(|t| api_time(&t)))
        .or(ctx.time_us)
        .ok_or_else(|| {
            RecordError::field(
                ACCESS_LOG,
                "`requestTime` or `requestTimeEpoch`, or an enclosing CloudWatch Logs event time",
            )
        })?;
    let trigger = if obj.contains_key("routeKey") {
        Trigger::ApigwHttp
    } else {
        Trigger::ApigwRest
    };
    let status_code = first(&["status", "statusCode"]).and_then(|s| s.parse().ok());
    let method = first(&["httpMethod", "http.method"]).or(route_method);
    let path = first(&["path", "resourcePath", "http.path"]).or(route_path);
    let trigger_request_id = v("requestId");
    let mut shape_obj = Map::new();
    if let Some(p) = &path {
        shape_obj.insert("path".into(), Value::String(p.clone()));
    }
    let user_agent = first(&["userAgent", "identity.userAgent", "http.userAgent"]);
    if let Some(ua) = &user_agent {
        shape_obj.insert(
            "headers".into(),
            serde_json::json!({ "user-agent": redact::text(ua) }),
        );
    }
    let payload_shape = format!(
        "{} {}",
        method.as_deref().unwrap_or("-"),
        shape::shape(&Value::Object(shape_obj))
    );
    let mut payload = Value::Object(obj.clone());
    redact::value(&mut payload);
    Ok(InvocationRow {
        time,
        account_id: account(v("accountId").as_deref()).or_else(|| ctx.account_id.clone()),
        region: v("domainName")
            .and_then(|d| domain_region(&d))
            .or_else(|| ctx.region.clone()),
        function_name: ctx.function_name.clone(),
        request_id: ctx
            .request_id
            .clone()
            .or_else(|| {
                first(&[
                    "integrationRequestId",
                    "integration.requestId",
                    "lambdaRequestId",
                ])
            })
            .or_else(|| trigger_request_id.clone()),
        trigger_request_id,
        trigger,
        source_ip: first(&["ip", "sourceIp", "identity.sourceIp", "clientIp"]),
        user_agent,
        http_method: method,
        path,
        status_code,
        payload: Some(bounded_json(payload, MAX_PAYLOAD)),
        payload_shape: Some(payload_shape),
        auth_principal: first(&[
            "principalId",
            "authorizer.principalId",
            "userArn",
            "user",
            "caller",
            "sub",
            "authorizer.claims.sub",
        ]),
        source: source.to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};
    use arrow::record_batch::RecordBatch;

    const REST: &str = include_str!("../../../tests/fixtures/lambda/apigw_rest.json");
    const HTTP: &str = include_str!("../../../tests/fixtures/lambda/apigw_http.json");
    const URL: &str = include_str!("../../../tests/fixtures/lambda/function_url.json");
    const ALB: &str = include_str!("../../../tests/fixtures/lambda/alb.json");
    const SQS: &str = include_str!("../../../tests/fixtures/lambda/sqs.json");
    const SNS: &str = include_str!("../../../tests/fixtures/lambda/sns.json");
    const S3: &str = include_str!("../../../tests/fixtures/lambda/s3.json");
    const EVENTBRIDGE: &str = include_str!("../../../tests/fixtures/lambda/eventbridge.json");
    const POWERTOOLS_JSONL: &str = include_str!("../../../tests/fixtures/lambda/powertools.jsonl");
    const ACCESS_JSONL: &str = include_str!("../../../tests/fixtures/lambda/apigw_access.jsonl");

    const T0: i64 = 1_717_243_200_000_000; // 2024-06-01T12:00:00Z

    fn json(s: &str) -> Value {
        serde_json::from_str(s).expect("fixture is JSON")
    }

    /// One invocation row as a batch read back column by column.
    struct Rows(RecordBatch);

    impl Rows {
        fn s(&self, col: &str, i: usize) -> Option<&str> {
            let c = self
                .0
                .column_by_name(col)
                .unwrap_or_else(|| panic!("no column {col}"))
                .as_string::<i32>();
            (!c.is_null(i)).then(|| c.value(i))
        }
        fn time(&self, i: usize) -> i64 {
            self.0
                .column_by_name("time")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>()
                .value(i)
        }
        fn body_size(&self, i: usize) -> Option<i64> {
            let c = self
                .0
                .column_by_name("body_size")
                .unwrap()
                .as_primitive::<Int64Type>();
            (!c.is_null(i)).then(|| c.value(i))
        }
        fn status(&self, i: usize) -> Option<i32> {
            let c = self
                .0
                .column_by_name("status_code")
                .unwrap()
                .as_primitive::<Int32Type>();
            (!c.is_null(i)).then(|| c.value(i))
        }
        fn len(&self) -> usize {
            self.0.num_rows()
        }
        fn payload(&self, i: usize) -> Value {
            json(self.s("payload", i).expect("payload"))
        }
    }

    fn parse_with(docs: &[Value], ctx: &Context) -> (Vec<Table>, Tables) {
        let mut t = Tables::default();
        let tables = docs
            .iter()
            .map(|d| {
                parse_value(d.clone(), ctx, "fixture@0", &mut t)
                    .unwrap_or_else(|e| panic!("{e}: {d}"))
            })
            .collect();
        (tables, t)
    }

    fn invocations(docs: &[Value], ctx: &Context) -> Rows {
        let (tables, mut t) = parse_with(docs, ctx);
        assert!(
            tables.iter().all(|t| *t == Table::Invocations),
            "{tables:?}"
        );
        Rows(t.invocations.finish())
    }

    fn one(doc: &str) -> Rows {
        invocations(&[json(doc)], &Context::default())
    }

    /// The single element of a `{"Records":[x]}` fixture.
    fn record(doc: &str) -> Value {
        json(doc)["Records"][0].clone()
    }

    #[test]
    fn apigw_rest() {
        let r = one(REST);
        assert_eq!(r.s("trigger", 0), Some("apigw_rest"));
        assert_eq!(r.time(0), T0);
        assert_eq!(
            r.s("trigger_request_id", 0),
            Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        );
        assert_eq!(
            r.s("request_id", 0),
            Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        );
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("region", 0), Some("eu-west-1"));
        assert_eq!(r.s("source_ip", 0), Some("198.51.100.23"));
        assert!(r.s("user_agent", 0).unwrap().starts_with("Mozilla/5.0"));
        assert_eq!(r.s("http_method", 0), Some("GET"));
        assert_eq!(r.s("path", 0), Some("/orders/1042"));
        assert_eq!(r.s("query", 0), Some("expand=items&page=2"));
        assert_eq!(
            r.s("auth_principal", 0),
            Some("4b7e2c1a-93d5-4f6e-8a0b-2c4d6e8f0a1b")
        );
        assert_eq!(r.body_size(0), None);
        assert_eq!(r.s("source", 0), Some("fixture@0"));
        let headers = json(r.s("headers", 0).unwrap());
        assert_eq!(headers["authorization"], redact::REDACTED);
        assert_eq!(
            headers["host"],
            "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
        );
        let payload = r.payload(0);
        assert_eq!(payload["headers"]["Authorization"], redact::REDACTED);
        assert_eq!(payload["queryStringParameters"]["expand"], "items");
        assert!(!r.s("payload", 0).unwrap().contains("eyJhbGci"));
        let shape = r.s("payload_shape", 0).unwrap();
        assert!(shape.starts_with("GET {"), "{shape}");
        assert!(
            shape.contains("query:{expand:<word>,page:<int>}"),
            "{shape}"
        );
    }

    #[test]
    fn apigw_http_decodes_its_base64_body() {
        let r = one(HTTP);
        assert_eq!(r.s("trigger", 0), Some("apigw_http"));
        assert_eq!(r.time(0), T0 + 5_000_000);
        assert_eq!(r.s("trigger_request_id", 0), Some("Yx3bFhK2IAMEVxQ="));
        assert_eq!(r.s("region", 0), Some("us-east-2"));
        assert_eq!(r.s("source_ip", 0), Some("203.0.113.77"));
        assert_eq!(r.s("user_agent", 0), Some("python-requests/2.31.0"));
        assert_eq!(r.s("http_method", 0), Some("POST"));
        assert_eq!(r.s("path", 0), Some("/api/search"));
        assert_eq!(r.s("query", 0), Some("q=running%20shoes&limit=20"));
        assert_eq!(
            r.s("auth_principal", 0),
            Some("c3d9e1f2-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
        );
        assert_eq!(
            r.body_size(0),
            Some(r#"{"term": "shoes", "filters": {"size": 42}}"#.len() as i64)
        );
        let payload = r.payload(0);
        assert_eq!(payload["isBase64Encoded"], false);
        assert!(payload["body"].as_str().unwrap().contains("shoes"));
        assert_eq!(payload["cookies"], redact::REDACTED);
        let headers = json(r.s("headers", 0).unwrap());
        assert_eq!(headers["authorization"], redact::REDACTED);
        let shape = r.s("payload_shape", 0).unwrap();
        assert!(
            shape.contains("body:{filters:{size:<n>},term:<word>}"),
            "{shape}"
        );
        assert!(shape.contains("query:{limit:<int>,q:a a}"), "{shape}");
    }

    #[test]
    fn function_url() {
        let ctx = Context {
            function_name: Some("deployer-hook".into()),
            ..Default::default()
        };
        let r = invocations(&[json(URL)], &ctx);
        assert_eq!(r.s("trigger", 0), Some("function_url"));
        assert_eq!(r.s("function_name", 0), Some("deployer-hook"));
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("region", 0), Some("us-west-2"));
        assert_eq!(r.s("source_ip", 0), Some("192.0.2.10"));
        assert_eq!(r.s("path", 0), Some("/webhook"));
        assert_eq!(r.s("query", 0), None);
        assert_eq!(
            r.s("auth_principal", 0),
            Some("arn:aws:iam::444455556666:user/deployer")
        );
        assert_eq!(r.time(0), T0 + 10_000_000);
        let headers = json(r.s("headers", 0).unwrap());
        assert_eq!(headers["x-amz-security-token"], redact::REDACTED);
    }

    #[test]
    fn alb_takes_time_from_the_context_and_ip_from_the_last_hop() {
        let ctx = Context {
            time_us: Some(T0 + 1),
            ..Default::default()
        };
        let r = invocations(&[json(ALB)], &ctx);
        assert_eq!(r.s("trigger", 0), Some("alb"));
        assert_eq!(r.time(0), T0 + 1);
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("region", 0), Some("ap-southeast-2"));
        assert_eq!(r.s("source_ip", 0), Some("198.51.100.200"));
        assert_eq!(r.s("user_agent", 0), Some("curl/8.4.0"));
        assert_eq!(r.s("path", 0), Some("/admin/login.php"));
        assert_eq!(r.s("query", 0), Some("next=%2Fdashboard&user=admin%27--"));
        assert_eq!(r.body_size(0), Some(0));
        let shape = r.s("payload_shape", 0).unwrap();
        assert!(shape.contains("user:a'--"), "{shape}");
        assert!(json(r.s("headers", 0).unwrap())["cookie"] == redact::REDACTED);
        // Without any time the event is refused, saying why.
        let mut t = Tables::default();
        let e = parse_value(json(ALB), &Context::default(), "s", &mut t).unwrap_err();
        assert!(
            e.to_string()
                .contains("ALB target group event: expected a timestamp"),
            "{e}"
        );
    }

    #[test]
    fn sqs_event_with_two_records() {
        let r = one(SQS);
        assert_eq!(r.len(), 2);
        assert_eq!(r.s("trigger", 0), Some("sqs"));
        assert_eq!(
            r.s("trigger_request_id", 1),
            Some("2e1424d4-f796-459a-8184-9c92662be6da")
        );
        assert_eq!(r.time(0), 1_717_243_220_000_000);
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("region", 0), Some("eu-central-1"));
        assert_eq!(
            r.s("auth_principal", 0),
            Some("AROAEXAMPLEROLEID123:checkout")
        );
        assert_eq!(
            r.payload(0)["body"].as_str().map(|b| b.contains("A-1001")),
            Some(true)
        );
        // Two orders with different values share one shape.
        assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
        assert_eq!(
            r.s("payload_shape", 0),
            Some("{amount:<n>,orderId:<word>,sku:<word>}")
        );
    }

    #[test]
    fn sns_s3_eventbridge() {
        let r = one(SNS);
        assert_eq!(r.s("trigger", 0), Some("sns"));
        assert_eq!(
            r.s("trigger_request_id", 0),
            Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
        );
        assert_eq!(r.time(0), T0 + 30_000_000);
        assert_eq!(r.s("region", 0), Some("us-east-1"));
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(
            r.s("payload_shape", 0),
            Some("{AlarmName:<word>,NewStateValue:<word>,value:<n>}")
        );

        let r = one(S3);
        assert_eq!(r.s("trigger", 0), Some("s3"));
        assert_eq!(r.s("trigger_request_id", 0), Some("7QJ2W5K1M3N8P0R4"));
        assert_eq!(r.time(0), T0 + 40_512_000);
        assert_eq!(r.s("source_ip", 0), Some("203.0.113.5"));
        assert_eq!(r.s("auth_principal", 0), Some("AWS:AIDAEXAMPLEUPLOADER1"));
        assert_eq!(
            r.s("path", 0),
            Some("/acme-invoices/incoming/2024/06/INV 0042 final.pdf")
        );
        assert_eq!(r.body_size(0), Some(48213));

        let r = one(EVENTBRIDGE);
        assert_eq!(r.s("trigger", 0), Some("eventbridge"));
        assert_eq!(
            r.s("trigger_request_id", 0),
            Some("0f5e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b")
        );
        assert_eq!(r.time(0), T0 + 50_000_000);
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("region", 0), Some("eu-west-1"));
        assert_eq!(
            r.s("payload_shape", 0),
            Some("{customer:{email:<email>,tier:<word>},orderId:<word>,total:<n>}")
        );
    }

    #[test]
    fn typed_and_lenient_readings_agree() {
        let cases = [
            (Kind::Rest, json(REST)),
            (Kind::Http, json(HTTP)),
            (Kind::FunctionUrl, json(URL)),
            (Kind::Alb, json(ALB)),
            (Kind::Sqs, record(SQS)),
            (Kind::Sns, record(SNS)),
            (Kind::S3, record(S3)),
            (Kind::EventBridge, json(EVENTBRIDGE)),
        ];
        for (kind, v) in cases {
            assert_eq!(detect(&v), Some(kind));
            let lenient = match kind {
                Kind::Rest => rest_value(&v, Trigger::ApigwRest),
                Kind::Http => http_value(&v, Trigger::ApigwHttp),
                Kind::FunctionUrl => http_value(&v, Trigger::FunctionUrl),
                Kind::Alb => alb_value(&v),
                Kind::Sqs => sqs_value(&v),
                Kind::Sns => sns_value(&v),
                Kind::S3 => s3_value(&v),
                Kind::EventBridge => eventbridge_value(&v),
                Kind::WebSocket | Kind::SourceRecord => unreachable!("no fixture of this kind"),
            };
            // Each fixture fits its type, so `extract` took the typed path.
            let typed_ok = match kind {
                Kind::Rest => ApiGatewayProxyRequest::deserialize(&v).is_ok(),
                Kind::Http => ApiGatewayV2httpRequest::deserialize(&v).is_ok(),
                Kind::FunctionUrl => LambdaFunctionUrlRequest::deserialize(&v).is_ok(),
                Kind::Alb => AlbTargetGroupRequest::deserialize(&v).is_ok(),
                Kind::Sqs => SqsMessage::deserialize(&v).is_ok(),
                Kind::Sns => SnsRecord::deserialize(&v).is_ok(),
                Kind::S3 => S3EventRecord::deserialize(&v).is_ok(),
                Kind::EventBridge => EventBridgeEvent::<Value>::deserialize(&v).is_ok(),
                Kind::WebSocket | Kind::SourceRecord => false,
            };
            assert!(
                typed_ok,
                "{kind:?} fixture does not fit its aws_lambda_events type"
            );
            assert_eq!(extract(kind, &v), lenient, "{kind:?}");
        }
    }

    #[test]
    fn odd_events_fall_back_to_the_lenient_reading() {
        // A header with a line break and a numeric JWT claim do not fit the types.
        let mut v = json(HTTP);
        v["headers"]["x-injected"] = Value::from("a\r\nSet-Cookie: x=1");
        v["requestContext"]["authorizer"]["jwt"]["claims"]["exp"] = Value::from(1717246800);
        assert!(ApiGatewayV2httpRequest::deserialize(&v).is_err());
        let r = one(&v.to_string());
        assert_eq!(r.s("source_ip", 0), Some("203.0.113.77"));
        assert_eq!(
            r.s("auth_principal", 0),
            Some("c3d9e1f2-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
        );
        assert!(r.s("headers", 0).unwrap().contains("x-injected"));
        // An SNS record missing the signature fields.
        let mut sns = record(SNS);
        sns["Sns"].as_object_mut().unwrap().remove("Signature");
        assert!(SnsRecord::deserialize(&sns).is_err());
        assert_eq!(
            one(&sns.to_string()).s("trigger_request_id", 0),
            Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
        );
    }

    #[test]
    fn powertools_logs() {
        let docs: Vec<Value> = POWERTOOLS_JSONL
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(json)
            .collect();
        let (tables, mut t) = parse_with(&docs, &Context::default());
        assert_eq!(
            tables,
            [
                Table::LambdaRuntime,
                Table::LambdaRuntime,
                Table::Invocations,
                Table::Invocations
            ]
        );
        let rt = t.runtime.finish();
        let col = |n: &str| rt.column_by_name(n).unwrap().as_string::<i32>().clone();
        assert_eq!(col("kind").value(0), "log");
        assert_eq!(col("status").value(0), "INFO");
        assert_eq!(col("function_name").value(0), "checkout");
        assert_eq!(
            col("request_id").value(0),
            "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
        );
        assert_eq!(col("message").value(0), "order accepted");
        assert!(rt
            .column_by_name("cold_start")
            .unwrap()
            .as_boolean()
            .value(0));
        assert_eq!(
            rt.column_by_name("time")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>()
                .value(0),
            T0 + 60_125_000
        );
        assert_eq!(col("kind").value(1), "error");
        assert!(col("message").value(1).contains("CardError"));

        let r = Rows(t.invocations.finish());
        assert_eq!(r.len(), 2);
        for i in 0..2 {
            assert_eq!(r.s("trigger", i), Some("apigw_rest"));
            assert_eq!(r.s("function_name", i), Some("search"));
            assert_eq!(r.s("account_id", i), Some("111122223333"));
            assert_eq!(r.s("region", i), Some("eu-west-1"));
            assert_eq!(r.s("path", i), Some("/search"));
            let headers = json(r.s("headers", i).unwrap());
            assert_eq!(headers["authorization"], redact::REDACTED);
            assert!(!r.s("payload", i).unwrap().contains("eyJhbGci"));
        }
        // The Lambda request id of the log line wins; the trigger keeps its own.
        assert_eq!(
            r.s("request_id", 0),
            Some("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f")
        );
        assert_eq!(
            r.s("trigger_request_id", 0),
            Some("8b1e9f3a-2c4d-4e5f-a6b7-c8d9e0f1a2b3")
        );
        assert_eq!(r.s("source_ip", 0), Some("198.51.100.66"));
        assert_eq!(r.s("query", 0), Some("id=1' OR '1'='1&sort=asc"));
        assert_eq!(r.payload(0)["queryStringParameters"]["id"], "1' OR '1'='1");
        assert_eq!(r.time(0), T0 + 65_000_000);
        // The same injection with other digits, from another IP: one shape.
        assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
        let shape = r.s("payload_shape", 0).unwrap();
        assert!(shape.contains("id:0' or '0'='0"), "{shape}");
    }

    #[test]
    fn benign_and_injected_queries_differ() {
        let mut benign = json(REST);
        benign["multiValueQueryStringParameters"]["expand"] = serde_json::json!(["customer"]);
        let mut attack = json(REST);
        attack["multiValueQueryStringParameters"]["expand"] =
            serde_json::json!(["items' UNION SELECT password FROM users--"]);
        let r = invocations(&[json(REST), benign, attack], &Context::default());
        assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
        assert_ne!(r.s("payload_shape", 0), r.s("payload_shape", 2));
    }

    #[test]
    fn access_logs() {
        let docs: Vec<Value> = ACCESS_JSONL
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(json)
            .collect();
        let r = invocations(
            &docs,
            &Context {
                function_name: Some("orders".into()),
                ..Default::default()
            },
        );
        assert_eq!(r.len(), 3);
        assert_eq!(r.s("trigger", 0), Some("apigw_rest"));
        assert_eq!(r.time(0), T0 + 120_000_000);
        assert_eq!(r.s("source_ip", 0), Some("198.51.100.23"));
        assert_eq!(r.s("path", 0), Some("/prod/orders/1042"));
        assert_eq!(r.status(0), Some(200));
        assert_eq!(r.s("auth_principal", 0), Some("user-7f3a"));
        assert_eq!(r.s("function_name", 0), Some("orders"));
        assert_eq!(r.s("trigger", 1), Some("apigw_http"));
        assert_eq!(r.time(1), T0 + 125_000_000);
        assert_eq!(r.status(1), Some(403));
        assert_eq!(r.s("http_method", 1), Some("POST"));
        assert_eq!(r.s("path", 1), Some("/api/search"));
        assert_eq!(r.s("source_ip", 1), Some("203.0.113.77"));
        assert_eq!(
            r.s("request_id", 1),
            Some("0d9c8b7a-6f5e-4d3c-b2a1-0f9e8d7c6b5a")
        );
        assert_eq!(r.s("trigger_request_id", 1), Some("Yx4cGiL3oAMEb2w="));
        assert_eq!(r.s("trigger", 2), Some("apigw_rest"));
        assert_eq!(r.status(2), Some(502));
        assert_eq!(r.s("account_id", 2), Some("111122223333"));
        assert_eq!(r.s("user_agent", 2), Some("okhttp/4.12.0"));
    }

    #[test]
    fn records_nested_in_a_log_line() {
        let line = serde_json::json!({
            "level": "INFO", "message": "received", "timestamp": "2024-06-01T12:00:00Z",
            "function_name": "orders-worker", "function_request_id": "aa11bb22-cc33-4d44-8e55-ff6677889900",
            "event": json(SQS),
        });
        let r = invocations(&[line], &Context::default());
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.s("request_id", 0),
            Some("aa11bb22-cc33-4d44-8e55-ff6677889900")
        );
        assert_eq!(
            r.s("request_id", 1),
            Some("aa11bb22-cc33-4d44-8e55-ff6677889900")
        );
        assert_eq!(r.s("function_name", 1), Some("orders-worker"));
    }

    #[test]
    fn other_event_sources_and_websockets() {
        let ddb = serde_json::json!({
            "eventID": "f07f8ca4b0b26cb9c4e5e77e69f274ee", "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
            "dynamodb": {"ApproximateCreationDateTime": 1717243200.0, "Keys": {"pk": {"S": "order#42"}}, "SizeBytes": 26},
            "eventSourceARN": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2024-06-01T00:00:00.000"
        });
        let ws = serde_json::json!({
            "requestContext": {
                "routeKey": "$connect", "eventType": "CONNECT", "connectionId": "ZlXc1dH2IAMCJYA=",
                "requestId": "ZlXc1Hq5IAMFtBw=", "requestTimeEpoch": 1717243201000i64,
                "identity": {"sourceIp": "198.51.100.9", "userAgent": "wscat/5.2.0"},
                "domainName": "w1s2o3c4k5.execute-api.eu-west-1.amazonaws.com", "accountId": "111122223333"
            },
            "isBase64Encoded": false
        });
        let r = invocations(&[ddb, ws], &Context::default());
        assert_eq!(r.s("trigger", 0), Some("other"));
        assert_eq!(r.time(0), T0);
        assert_eq!(
            r.s("trigger_request_id", 0),
            Some("f07f8ca4b0b26cb9c4e5e77e69f274ee")
        );
        assert_eq!(r.s("account_id", 0), Some("111122223333"));
        assert_eq!(r.s("trigger", 1), Some("other"));
        assert_eq!(r.time(1), T0 + 1_000_000);
        assert_eq!(r.s("source_ip", 1), Some("198.51.100.9"));
        assert_eq!(r.s("user_agent", 1), Some("wscat/5.2.0"));
        assert_eq!(r.s("region", 1), Some("eu-west-1"));
    }

    #[test]
    fn telemetry_is_delegated() {
        let v = serde_json::json!({"time": "2024-06-01T12:00:00Z", "type": "platform.start", "record": {"requestId": "r-1"}});
        let (tables, _) = parse_with(&[v], &Context::default());
        assert_eq!(tables, [Table::LambdaRuntime]);
    }

    #[test]
    fn unrecognised_objects_name_their_keys() {
        let mut t = Tables::default();
        let e = parse_value(
            serde_json::json!({"foo": 1, "bar": [2]}),
            &Context::default(),
            "s",
            &mut t,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("keys [bar, foo]") || msg.contains("keys [foo, bar]"),
            "{msg}"
        );
        assert!(msg.contains("not a CloudTrail event"), "{msg}");
        assert!(parse_value(Value::from(3), &Context::default(), "s", &mut t).is_err());
        let e = parse_value(
            serde_json::json!({"Records": [{"x": 1}]}),
            &Context::default(),
            "s",
            &mut t,
        )
        .unwrap_err();
        assert!(e.to_string().contains("Records[0]"), "{e}");
        assert_eq!(t.rows(), 0);
    }

    #[test]
    fn large_payloads_stay_valid_json() {
        let mut v = json(REST);
        v["body"] = Value::String("A".repeat(200_000));
        let r = one(&v.to_string());
        let p = r.s("payload", 0).unwrap();
        assert!(p.len() <= MAX_PAYLOAD, "{}", p.len());
        let p: Value = json(p);
        assert!(p["body"].as_str().unwrap().contains("[truncated"));
        assert_eq!(r.body_size(0), Some(200_000));
        let many: Map<String, Value> = (0..20_000)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        let s = bounded_json(Value::Object(many), MAX_PAYLOAD);
        assert!(s.len() <= MAX_PAYLOAD);
        assert_eq!(json(&s)["truncated"], true);
    }
}
