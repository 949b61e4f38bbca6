//! Structured function logs (Powertools, the Lambda JSON log format): the event a log
//! line holds becomes its invocation rows, any other line a `lambda_runtime` row.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::event_rows;
use super::read::{arn_parts, clean};
use crate::error::RecordError;
use crate::parse::runtime;
use crate::position::Context;
use crate::table::{Table, Tables};

const POWERTOOLS: &str = "Powertools log";

/// A structured function log line's rows: `None` when `obj` is no such line.
pub(super) fn read(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Option<Result<Table, RecordError>> {
    is_structured_log(obj).then(|| structured_log(obj, ctx, source, out))
}

fn is_structured_log(obj: &Map<String, Value>) -> bool {
    let has = |k: &str| obj.contains_key(k);
    has("function_request_id")
        || (has("function_name") && (has("cold_start") || has("function_arn")))
        || ((has("level") || has("levelname")) && (has("message") || has("msg") || has("event")))
}

fn structured_log(
    obj: &Map<String, Value>,
    ctx: &Context,
    source: &str,
    out: &mut Tables,
) -> Result<Table, RecordError> {
    let str_of = |k: &str| clean(obj.get(k).and_then(Value::as_str));
    let mut lctx = ctx.clone();
    if let Some(f) = str_of("function_name").or_else(|| str_of("functionName")) {
        lctx.function_name = Some(f);
    }
    if let Some(r) = [
        "function_request_id",
        "requestId",
        "aws_request_id",
        "awsRequestId",
    ]
    .iter()
    .find_map(|k| str_of(k))
    {
        lctx.request_id = Some(r);
    }
    if let Some(arn) = str_of("function_arn") {
        let (region, account_id) = arn_parts(&arn);
        lctx.region = region.or(lctx.region);
        lctx.account_id = account_id.or(lctx.account_id);
    }
    if let Some(t) = ["timestamp", "time", "@timestamp"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(runtime::log_time))
    {
        lctx.time_us = Some(t);
    }
    for key in ["event", "message", "msg"] {
        let inner: Cow<'_, Value> = match obj.get(key) {
            Some(v @ Value::Object(_)) => Cow::Borrowed(v),
            Some(Value::String(s)) if s.trim_start().starts_with('{') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(v @ Value::Object(_)) => Cow::Owned(v),
                    _ => continue,
                }
            }
            _ => continue,
        };
        match event_rows(&inner, &lctx, source) {
            Ok(Some(rows)) => {
                rows.iter().for_each(|r| out.invocations.append(r));
                return Ok(Table::Invocations);
            }
            // Not an event after all: the line is an ordinary log message.
            Ok(None) | Err(RecordError::Unrecognised(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let row = runtime::json_log_row(obj, &lctx, source, POWERTOOLS)?;
    out.runtime.append(&row);
    Ok(Table::LambdaRuntime)
}
