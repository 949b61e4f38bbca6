//! EventBridge events (other than CloudTrail API calls, taken apart before):
//! `detail-type` + `source` + `detail`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::read::{account, clean, text_at};
use super::{Event, Req};
use crate::parse::time;
use crate::table::Trigger;

const FORM: &str = "EventBridge event";

/// An EventBridge event: `detail-type`, `source` and `detail`.
pub(super) fn read(v: &Value, obj: &Map<String, Value>) -> Option<Event> {
    let keys = ["detail-type", "source", "detail"];
    keys.iter()
        .all(|k| obj.contains_key(*k))
        .then(|| Event::read(FORM, v, typed, lenient))
}

fn req(
    id: Option<String>,
    time: Option<i64>,
    account_id: Option<String>,
    region: Option<String>,
    detail: &Value,
) -> Req {
    Req {
        trigger: Trigger::EventBridge,
        time,
        trigger_request_id: id,
        account_id,
        region,
        body_size: Some(detail.to_string().len() as i64),
        subject: Some(detail.clone()),
        ..Default::default()
    }
}

/// An EventBridge event read with its type; `None` when it does not fit.
pub(super) fn typed(v: &Value) -> Option<Req> {
    let e = EventBridgeEvent::<Value>::deserialize(v).ok()?;
    Some(req(
        clean(e.id.as_deref()),
        e.time.map(|t| t.timestamp_micros()),
        account(e.account.as_deref()),
        clean(e.region.as_deref()),
        &e.detail,
    ))
}

/// An EventBridge event read from its JSON value.
pub(super) fn lenient(v: &Value) -> Req {
    req(
        text_at(v, &["id"]),
        text_at(v, &["time"]).and_then(|t| time::parse(&t)),
        account(text_at(v, &["account"]).as_deref()),
        text_at(v, &["region"]),
        v.get("detail").unwrap_or(&Value::Null),
    )
}
