//! S3 event notifications (`eventSource: aws:s3`, or `s3.bucket`).

use aws_lambda_events::s3::S3EventRecord;
use serde::Deserialize;
use serde_json::Value;

use super::read::{clean, int_at, text_at};
use super::{Event, Req};
use crate::parse::time;
use crate::shape::percent_decode;
use crate::table::Trigger;

const FORM: &str = "S3 event record";

/// Reads an S3 event record (recognised by its `eventSource` or its `s3.bucket`).
pub(super) fn read(v: &Value) -> Event {
    Event::read(FORM, v, typed, lenient)
}

/// S3 keys in events are form-encoded (`+` for space); the path is `/bucket/key`.
fn req(bucket: Option<String>, key: Option<String>, size: Option<i64>) -> Req {
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

/// An S3 event record read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = S3EventRecord::deserialize(v).ok()?;
    let o = &e.s3.object;
    Some(Req {
        time: Some(e.event_time.timestamp_micros()),
        trigger_request_id: clean(
            e.response_elements
                .get("x-amz-request-id")
                .map(String::as_str),
        ),
        region: clean(e.aws_region.as_deref()),
        source_ip: clean(e.request_parameters.source_ip_address.as_deref()),
        auth_principal: clean(e.principal_id.principal_id.as_deref()),
        ..req(
            clean(e.s3.bucket.name.as_deref()),
            clean(o.key.as_deref()),
            o.size,
        )
    })
}

/// An S3 event record read from its JSON value.
pub(super) fn lenient(v: &Value) -> Req {
    Req {
        time: text_at(v, &["eventTime"]).and_then(|t| time::parse(&t)),
        trigger_request_id: text_at(v, &["responseElements", "x-amz-request-id"]),
        region: text_at(v, &["awsRegion"]),
        source_ip: text_at(v, &["requestParameters", "sourceIPAddress"]),
        auth_principal: text_at(v, &["userIdentity", "principalId"]),
        ..req(
            text_at(v, &["s3", "bucket", "name"]),
            text_at(v, &["s3", "object", "key"]),
            int_at(v, &["s3", "object", "size"]),
        )
    }
}
