//! API Gateway access logs: one `invocations` row per request the API logged.

use serde_json::{Map, Value};

use super::read::{account, api_time, domain_region, epoch_time, text};
use super::row::bounded_json;
use super::MAX_PAYLOAD;
use crate::error::RecordError;
use crate::position::Context;
use crate::redact;
use crate::shape;
use crate::table::{InvocationRow, Trigger};

const ACCESS_LOG: &str = "API Gateway access log";

/// The row of an API Gateway access log line: `None` when `obj` is no such line.
pub(super) fn read(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
) -> Option<Result<InvocationRow, RecordError>> {
    is_access_log(obj).then(|| access_log(obj, ctx, source))
}

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
