//! Lambda Function URL events: payload format 2.0 ([`super::apigw::V2`]) on a
//! `*.lambda-url.<region>.on.aws` domain.

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::apigw::{http_lenient, is_v2, v2_of, V2};
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
    let v2 = v2_of!(
        e,
        Trigger::FunctionUrl,
        e.request_context.http.method.as_deref()
    );
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
