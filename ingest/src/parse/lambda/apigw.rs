//! API Gateway events: REST APIs (payload format 1.0), WebSocket APIs, and HTTP APIs
//! (payload format 2.0, whose shape Function URLs share: [`V2`]).

use std::collections::BTreeMap;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::read::{
    account, api_time, authorizer_principal, bool_at, claims_principal, clean, domain_region,
    epoch_time, header_map, header_value, int_at, join_query, parse_query, query_map, query_value,
    scalar, text_at,
};
use super::{Event, Req};
use crate::table::Trigger;

const REST: &str = "API Gateway REST event";
const WEBSOCKET: &str = "API Gateway WebSocket event";
const HTTP: &str = "API Gateway HTTP API event";

/// A WebSocket event (`requestContext.connectionId`), read leniently: there is no
/// typed reading of it here.
pub(super) fn websocket(v: &Value, rc: &Map<String, Value>) -> Option<Event> {
    rc.contains_key("connectionId")
        .then(|| Event::new(WEBSOCKET, rest_lenient(v, Trigger::Other)))
}

/// True for payload format 2.0: `version: "2.0"`, a `rawPath`, or `requestContext.http`.
pub(super) fn is_v2(obj: &Map<String, Value>, rc: &Map<String, Value>) -> bool {
    obj.get("version").and_then(Value::as_str) == Some("2.0")
        || obj.contains_key("rawPath")
        || rc.get("http").is_some_and(Value::is_object)
}

/// An HTTP API event (payload format 2.0; Function URLs are recognised before).
pub(super) fn http(v: &Value, obj: &Map<String, Value>, rc: &Map<String, Value>) -> Option<Event> {
    is_v2(obj, rc)
        .then(|| Event::read(HTTP, v, http_typed, |v| http_lenient(v, Trigger::ApigwHttp)))
}

/// A REST event: `httpMethod` at the top or in `requestContext`.
pub(super) fn rest(v: &Value, obj: &Map<String, Value>, rc: &Map<String, Value>) -> Option<Event> {
    let rest = obj.contains_key("httpMethod") || rc.contains_key("httpMethod");
    rest.then(|| Event::read(REST, v, rest_typed, |v| rest_lenient(v, Trigger::ApigwRest)))
}

/// A REST event read with its type; `None` when it does not fit.
pub(super) fn rest_typed(v: &Value) -> Option<Req> {
    let e = ApiGatewayProxyRequest::deserialize(v).ok()?;
    let rc = &e.request_context;
    let id = &rc.identity;
    let headers = header_map(&e.headers, &e.multi_value_headers);
    let params = query_map(
        &e.query_string_parameters,
        &e.multi_value_query_string_parameters,
    );
    Some(Req {
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
    })
}

/// A REST or WebSocket event read from its JSON value, whatever its fields' types.
pub(super) fn rest_lenient(v: &Value, trigger: Trigger) -> Req {
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

/// What an HTTP API and a Function URL event (payload format 2.0) say alike, borrowed
/// from either typed event.
pub(super) struct V2<'a> {
    pub(super) trigger: Trigger,
    pub(super) time_epoch: i64,
    pub(super) time: Option<&'a str>,
    pub(super) request_id: Option<&'a str>,
    pub(super) account_id: Option<&'a str>,
    pub(super) domain_name: Option<&'a str>,
    pub(super) source_ip: Option<&'a str>,
    pub(super) user_agent: Option<&'a str>,
    pub(super) method: Option<&'a str>,
    pub(super) raw_path: Option<&'a str>,
    pub(super) path: Option<&'a str>,
    pub(super) raw_query: Option<&'a str>,
    pub(super) body: Option<&'a String>,
    pub(super) body_b64: bool,
}

impl V2<'_> {
    /// The request, with `headers`, the query parameters from the raw query string
    /// (else from `params`) and the authenticated principal `auth`.
    pub(super) fn req(
        self,
        headers: BTreeMap<String, String>,
        params: impl FnOnce() -> Vec<(String, String)>,
        auth: Option<String>,
    ) -> Req {
        let raw = clean(self.raw_query);
        let params = match &raw {
            Some(q) => parse_query(q),
            None => params(),
        };
        Req {
            trigger: self.trigger,
            time: epoch_time(self.time_epoch).or_else(|| self.time.and_then(api_time)),
            trigger_request_id: clean(self.request_id),
            account_id: account(self.account_id),
            region: self.domain_name.and_then(domain_region),
            source_ip: clean(self.source_ip),
            user_agent: clean(self.user_agent)
                .or_else(|| clean(headers.get("user-agent").map(String::as_str))),
            http_method: clean(self.method),
            path: clean(self.raw_path).or_else(|| clean(self.path)),
            query: raw.or_else(|| join_query(&params)),
            params,
            headers,
            body: self.body.cloned(),
            body_b64: self.body_b64,
            auth_principal: auth,
            ..Default::default()
        }
    }
}

/// The [`V2`] of a typed 2.0 event (`ApiGatewayV2httpRequest` or
/// `LambdaFunctionUrlRequest`, whose types name these fields alike), with its
/// `trigger` and HTTP `method`.
macro_rules! v2_of {
    ($e:expr, $trigger:expr, $method:expr) => {{
        let rc = &$e.request_context;
        let h = &rc.http;
        V2 {
            trigger: $trigger,
            time_epoch: rc.time_epoch,
            time: rc.time.as_deref(),
            request_id: rc.request_id.as_deref(),
            account_id: rc.account_id.as_deref(),
            domain_name: rc.domain_name.as_deref(),
            source_ip: h.source_ip.as_deref(),
            user_agent: h.user_agent.as_deref(),
            method: $method,
            raw_path: $e.raw_path.as_deref(),
            path: h.path.as_deref(),
            raw_query: $e.raw_query_string.as_deref(),
            body: $e.body.as_ref(),
            body_b64: $e.is_base64_encoded,
        }
    }};
}
pub(super) use v2_of;

/// An HTTP API event read with its type; `None` when it does not fit.
pub(super) fn http_typed(v: &Value) -> Option<Req> {
    let e = ApiGatewayV2httpRequest::deserialize(v).ok()?;
    let rc = &e.request_context;
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
    let v2 = v2_of!(e, Trigger::ApigwHttp, Some(rc.http.method.as_str()));
    let headers = header_map(&e.headers, &HeaderMap::new());
    Some(v2.req(
        headers,
        || query_map(&e.query_string_parameters, &QueryMap::default()),
        auth,
    ))
}

/// An HTTP API or Function URL event read from its JSON value.
pub(super) fn http_lenient(v: &Value, trigger: Trigger) -> Req {
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
