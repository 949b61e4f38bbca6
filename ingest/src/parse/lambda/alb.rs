//! Application Load Balancer target group events (`requestContext.elb`).

use std::collections::BTreeMap;

use aws_lambda_events::alb::AlbTargetGroupRequest;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::read::{
    arn_parts, bool_at, clean, forwarded_ip, header_map, header_value, join_query, query_map,
    query_value, scalar, sorted, text_at,
};
use super::{Event, Req};
use crate::shape::percent_decode;
use crate::table::Trigger;

const FORM: &str = "ALB target group event";

/// An ALB event: `requestContext.elb`.
pub(super) fn read(v: &Value, rc: &Map<String, Value>) -> Option<Event> {
    rc.contains_key("elb")
        .then(|| Event::read(FORM, v, typed, lenient))
}

/// ALB passes the query as received (still percent-encoded): `query` keeps it, the
/// shape's parameters are decoded.
fn req(arn: Option<&str>, headers: BTreeMap<String, String>, raw: Vec<(String, String)>) -> Req {
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

/// An ALB event read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = AlbTargetGroupRequest::deserialize(v).ok()?;
    let headers = header_map(&e.headers, &e.multi_value_headers);
    let raw = query_map(
        &e.query_string_parameters,
        &e.multi_value_query_string_parameters,
    );
    Some(Req {
        http_method: clean(Some(e.http_method.as_str())),
        path: clean(e.path.as_deref()),
        body: e.body.clone(),
        body_b64: e.is_base64_encoded,
        ..req(
            e.request_context.elb.target_group_arn.as_deref(),
            headers,
            raw,
        )
    })
}

/// An ALB event read from its JSON value.
pub(super) fn lenient(v: &Value) -> Req {
    let arn = text_at(v, &["requestContext", "elb", "targetGroupArn"]);
    Req {
        http_method: text_at(v, &["httpMethod"]),
        path: text_at(v, &["path"]),
        body: v.get("body").and_then(scalar),
        body_b64: bool_at(v, "isBase64Encoded"),
        ..req(arn.as_deref(), header_value(v), query_value(v))
    }
}
