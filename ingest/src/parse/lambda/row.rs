//! From what one event says about its request ([`Req`]) to an `invocations` row: the
//! body decoded, the payload redacted and bounded, the `payload_shape` built.

use base64::Engine;
use serde_json::{Map, Value};

use super::{Req, MAX_PAYLOAD, NO_TIME};
use crate::error::RecordError;
use crate::position::Context;
use crate::redact;
use crate::shape;
use crate::table::InvocationRow;

/// Request headers that go into `payload_shape` (attacker-controlled, telling tools
/// and content kinds apart). Others vary per hop (trace ids, forwarded-for).
const SHAPE_HEADERS: &[&str] = &["content-type", "referer", "user-agent"];

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

/// The `invocations` row of `event`, read as `req`; `form` names the input form in
/// errors. Fields the event lacks come from `ctx`.
pub(super) fn row(
    req: Req,
    event: &Value,
    form: &'static str,
    ctx: &Context,
    source: &str,
) -> Result<InvocationRow, RecordError> {
    let time = req
        .time
        .or(ctx.time_us)
        .ok_or_else(|| RecordError::field(form, NO_TIME))?;
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
pub(super) fn bounded_json(mut v: Value, max: usize) -> String {
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
