//! SQS messages (`eventSource: aws:sqs`).

use aws_lambda_events::sqs::SqsMessage;
use serde::Deserialize;
use serde_json::Value;

use super::read::{clean, epoch_time, int_at, scalar, text_at};
use super::{Event, Req};
use crate::table::Trigger;

const FORM: &str = "SQS record";

/// Reads an SQS message (recognised by its `eventSource`).
pub(super) fn read(v: &Value) -> Event {
    Event::read(FORM, v, typed, lenient)
}

/// An SQS message read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = SqsMessage::deserialize(v).ok()?;
    let time = e
        .attributes
        .get("SentTimestamp")
        .and_then(|s| s.trim().parse().ok())
        .and_then(epoch_time);
    let mut r = Req::message(
        Trigger::Sqs,
        clean(e.message_id.as_deref()),
        time,
        e.event_source_arn.as_deref(),
        e.body.clone(),
    );
    r.region = r.region.or_else(|| clean(e.aws_region.as_deref()));
    r.auth_principal = clean(e.attributes.get("SenderId").map(String::as_str));
    Some(r)
}

/// An SQS message read from its JSON value.
pub(super) fn lenient(v: &Value) -> Req {
    let time = int_at(v, &["attributes", "SentTimestamp"]).and_then(epoch_time);
    let arn = text_at(v, &["eventSourceARN"]);
    let mut r = Req::message(
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
