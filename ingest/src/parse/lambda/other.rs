//! Records of other AWS event sources (`aws:dynamodb`, `aws:kinesis`, Kafka, MQ…):
//! their `aws_lambda_events` features are off, so the common fields are read from the
//! JSON value and the shape is made of the whole record.

use serde_json::Value;

use super::read::{arn_parts, at, text_at};
use super::{Event, Req};
use crate::parse::{runtime, time};
use crate::table::Trigger;

const FORM: &str = "Lambda event source record";

/// Reads a record of another event source (recognised by an `aws:` `eventSource`).
pub(super) fn read(v: &Value) -> Event {
    let arn = text_at(v, &["eventSourceARN"]).or_else(|| text_at(v, &["eventSourceArn"]));
    let (region, account_id) = arn.as_deref().map(arn_parts).unwrap_or_default();
    let req = Req {
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
    };
    Event::new(FORM, req)
}
