//! The `invocations` table: one row per request a function received, from the event
//! payload it was invoked with or from the API Gateway access log of the request.
//!
//! `payload_shape` is what makes stateless attacks visible: the payload with its
//! values replaced by type tokens, so one attack template sprayed with varying values
//! over thousands of invocations groups into one shape.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::{timestamp_array, timestamp_type, utf8, TableBuilder};

/// What invoked the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trigger {
    /// API Gateway REST API (payload format 1.0).
    ApigwRest,
    /// API Gateway HTTP API (payload format 2.0).
    ApigwHttp,
    /// Application Load Balancer target.
    Alb,
    /// Lambda Function URL.
    FunctionUrl,
    /// SQS message.
    Sqs,
    /// SNS notification.
    Sns,
    /// S3 event notification.
    S3,
    /// EventBridge event (other than CloudTrail API calls).
    EventBridge,
    /// Anything else (direct invoke, unknown event types).
    #[default]
    Other,
}

impl Trigger {
    /// The value stored in the `trigger` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::ApigwRest => "apigw_rest",
            Trigger::ApigwHttp => "apigw_http",
            Trigger::Alb => "alb",
            Trigger::FunctionUrl => "function_url",
            Trigger::Sqs => "sqs",
            Trigger::Sns => "sns",
            Trigger::S3 => "s3",
            Trigger::EventBridge => "eventbridge",
            Trigger::Other => "other",
        }
    }
}

/// The Arrow schema of `invocations`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    super::schema_once(&SCHEMA, || {
        vec![
            // Request time (trigger's request time, log timestamp, or envelope time).
            Field::new("time", timestamp_type(), false),
            // AWS account of the function or API.
            utf8("account_id"),
            // AWS region.
            utf8("region"),
            // Function name, when the log carries it (Powertools, log group).
            utf8("function_name"),
            // Lambda request id when known, else the trigger's request id.
            utf8("request_id"),
            // The trigger's own request id (API Gateway `requestContext.requestId`,
            // SQS `messageId`, SNS `MessageId`, S3 `x-amz-request-id`, EventBridge `id`).
            utf8("trigger_request_id"),
            // apigw_rest, apigw_http, alb, function_url, sqs, sns, s3, eventbridge, other.
            Field::new("trigger", DataType::Utf8, false),
            // Caller IP.
            utf8("source_ip"),
            // Caller user agent.
            utf8("user_agent"),
            // HTTP method.
            utf8("http_method"),
            // Request path.
            utf8("path"),
            // Raw query string (redacted).
            utf8("query"),
            // Request headers as a JSON object (Authorization, cookies, keys redacted).
            utf8("headers"),
            // Request body size in bytes (decoded).
            Field::new("body_size", DataType::Int64, true),
            // The event the function received, redacted JSON text, bounded in size.
            utf8("payload"),
            // The payload with values replaced by type tokens.
            utf8("payload_shape"),
            // Authenticated principal (authorizer claims, IAM caller, SNS topic...).
            utf8("auth_principal"),
            // HTTP status (access logs and ALB/API responses).
            Field::new("status_code", DataType::Int32, true),
            // Where the row came from: `path@offset`.
            Field::new("source", DataType::Utf8, false),
        ]
    })
}

/// One invocation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct InvocationRow {
    /// µs since the epoch, UTC.
    pub time: i64,
    /// AWS account.
    pub account_id: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// Function name.
    pub function_name: Option<String>,
    /// Lambda request id, else the trigger's.
    pub request_id: Option<String>,
    /// Trigger's request id.
    pub trigger_request_id: Option<String>,
    /// What invoked the function.
    pub trigger: Trigger,
    /// Caller IP.
    pub source_ip: Option<String>,
    /// Caller user agent.
    pub user_agent: Option<String>,
    /// HTTP method.
    pub http_method: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// Query string.
    pub query: Option<String>,
    /// Headers JSON.
    pub headers: Option<String>,
    /// Body size.
    pub body_size: Option<i64>,
    /// Redacted payload JSON.
    pub payload: Option<String>,
    /// Payload shape.
    pub payload_shape: Option<String>,
    /// Authenticated principal.
    pub auth_principal: Option<String>,
    /// HTTP status.
    pub status_code: Option<i32>,
    /// `path@offset`.
    pub source: String,
}

/// Column builders of `invocations`.
pub struct InvocationBuilder {
    time: Vec<i64>,
    head: Vec<StringBuilder>,
    trigger: StringBuilder,
    mid: Vec<StringBuilder>,
    body_size: Int64Builder,
    tail: Vec<StringBuilder>,
    status: Int32Builder,
    source: StringBuilder,
    bytes: usize,
}

fn builders(n: usize) -> Vec<StringBuilder> {
    (0..n).map(|_| StringBuilder::new()).collect()
}

impl Default for InvocationBuilder {
    fn default() -> Self {
        InvocationBuilder {
            time: Vec::new(),
            head: builders(5),
            trigger: StringBuilder::new(),
            mid: builders(6),
            body_size: Int64Builder::new(),
            tail: builders(3),
            status: Int32Builder::new(),
            source: StringBuilder::new(),
            bytes: 0,
        }
    }
}

fn put(bytes: &mut usize, bs: &mut [StringBuilder], vs: &[&Option<String>]) {
    for (b, v) in bs.iter_mut().zip(vs) {
        *bytes += v.as_deref().map_or(0, str::len);
        b.append_option(v.as_deref());
    }
}

impl InvocationBuilder {
    /// Appends one invocation.
    pub fn append(&mut self, r: &InvocationRow) {
        self.time.push(r.time);
        put(
            &mut self.bytes,
            &mut self.head,
            &[
                &r.account_id,
                &r.region,
                &r.function_name,
                &r.request_id,
                &r.trigger_request_id,
            ],
        );
        self.trigger.append_value(r.trigger.as_str());
        put(
            &mut self.bytes,
            &mut self.mid,
            &[
                &r.source_ip,
                &r.user_agent,
                &r.http_method,
                &r.path,
                &r.query,
                &r.headers,
            ],
        );
        self.body_size.append_option(r.body_size);
        put(
            &mut self.bytes,
            &mut self.tail,
            &[&r.payload, &r.payload_shape, &r.auth_principal],
        );
        self.status.append_option(r.status_code);
        self.bytes += r.source.len() + 32;
        self.source.append_value(&r.source);
    }
}

impl TableBuilder for InvocationBuilder {
    fn len(&self) -> usize {
        self.time.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn finish(&mut self) -> RecordBatch {
        let strings = |bs: &mut Vec<StringBuilder>| -> Vec<ArrayRef> {
            bs.iter_mut()
                .map(|b| Arc::new(super::finish_sized(b)) as ArrayRef)
                .collect()
        };
        let mut cols = vec![timestamp_array(std::mem::take(&mut self.time))];
        cols.extend(strings(&mut self.head));
        cols.push(Arc::new(self.trigger.finish()));
        cols.extend(strings(&mut self.mid));
        cols.push(Arc::new(self.body_size.finish()));
        cols.extend(strings(&mut self.tail));
        cols.push(Arc::new(self.status.finish()));
        cols.push(Arc::new(super::finish_sized(&mut self.source)));
        self.bytes = 0;
        // Mirrors `schema()` by construction; the unit test checks it.
        RecordBatch::try_new(schema(), cols).expect("invocations builder matches its schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::Int32Type;

    #[test]
    fn builder_matches_schema() {
        let mut b = InvocationBuilder::default();
        b.append(&InvocationRow {
            time: 1,
            function_name: Some("orders".into()),
            trigger: Trigger::ApigwHttp,
            path: Some("/x".into()),
            payload_shape: Some("{}".into()),
            status_code: Some(403),
            source: "s@1".into(),
            ..Default::default()
        });
        let batch = b.finish();
        let col = |n: &str| batch.column_by_name(n).unwrap().clone();
        assert_eq!(col("function_name").as_string::<i32>().value(0), "orders");
        assert_eq!(col("trigger").as_string::<i32>().value(0), "apigw_http");
        assert_eq!(col("path").as_string::<i32>().value(0), "/x");
        assert_eq!(col("payload_shape").as_string::<i32>().value(0), "{}");
        assert_eq!(col("status_code").as_primitive::<Int32Type>().value(0), 403);
    }
}
