//! SNS notifications (`EventSource: aws:sns`, or an `Sns` object).

use aws_lambda_events::sns::SnsRecord;
use serde::Deserialize;
use serde_json::Value;

use super::read::{clean, scalar, text_at};
use super::{Event, Req};
use crate::parse::time;
use crate::table::Trigger;

const FORM: &str = "SNS record";

/// Reads an SNS record (recognised by its `EventSource` or its `Sns` object).
pub(super) fn read(v: &Value) -> Event {
    Event::read(FORM, v, typed, lenient)
}

/// An SNS record read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = SnsRecord::deserialize(v).ok()?;
    let m = &e.sns;
    Some(Req::message(
        Trigger::Sns,
        clean(Some(m.message_id.as_str())),
        Some(m.timestamp.timestamp_micros()),
        Some(m.topic_arn.as_str()),
        Some(m.message.clone()),
    ))
}

/// An SNS record read from its JSON value.
pub(super) fn lenient(v: &Value) -> Req {
    let null = Value::Null;
    let m = v.get("Sns").unwrap_or(&null);
    let time = text_at(m, &["Timestamp"]).and_then(|t| time::parse(&t));
    let arn = text_at(m, &["TopicArn"]);
    Req::message(
        Trigger::Sns,
        text_at(m, &["MessageId"]),
        time,
        arn.as_deref(),
        m.get("Message").and_then(scalar),
    )
}
