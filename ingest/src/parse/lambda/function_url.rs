//! Lambda Function URL events: payload format 2.0 ([`super::apigw::V2`]) on a
//! `*.lambda-url.<region>.on.aws` domain.

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::apigw::{http_lenient, is_v2, V2};
use super::read::{clean, header_map, sorted};
use super::{Event, Req};
use crate::table::Trigger;

const FORM: &str = "Lambda Function URL event";

/// A Function URL event: the 2.0 shape with a `.lambda-url.` domain.
pub(super) fn read(v: &Value, obj: &Map<String, Value>, rc: &Map<String, Value>) -> Option<Event> {
    let url = rc
        .get("domainName")
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains(".lambda-url."));
    (url && is_v2(obj, rc))
        .then(|| Event::read(FORM, v, typed, |v| http_lenient(v, Trigger::FunctionUrl)))
}

/// A Function URL event read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = LambdaFunctionUrlRequest::deserialize(v).ok()?;
    let rc = &e.request_context;
    let h = &rc.http;
    let v2 = V2 {
        trigger: Trigger::FunctionUrl,
        time_epoch: rc.time_epoch,
        time: rc.time.as_deref(),
        request_id: rc.request_id.as_deref(),
        account_id: rc.account_id.as_deref(),
        domain_name: rc.domain_name.as_deref(),
        source_ip: h.source_ip.as_deref(),
        user_agent: h.user_agent.as_deref(),
        method: h.method.as_deref(),
        raw_path: e.raw_path.as_deref(),
        path: h.path.as_deref(),
        raw_query: e.raw_query_string.as_deref(),
        body: e.body.as_ref(),
        body_b64: e.is_base64_encoded,
    };
    let auth = rc
        .authorizer
        .as_ref()
        .and_then(|a| a.iam.as_ref())
        .and_then(|i| clean(i.user_arn.as_deref()));
    let headers = header_map(&e.headers, &HeaderMap::new());
    let params = || {
        sorted(
            e.query_string_parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    Some(v2.req(headers, params, auth))
}
