//! Unit tests of the Lambda parser, on the fixtures of `tests/fixtures/lambda/`.

use serde_json::{Map, Value};

use super::row::bounded_json;
use super::*;
use crate::redact;
use crate::table::TableBuilder;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;

const REST: &str = include_str!("../../../../tests/fixtures/lambda/apigw_rest.json");
const HTTP: &str = include_str!("../../../../tests/fixtures/lambda/apigw_http.json");
const URL: &str = include_str!("../../../../tests/fixtures/lambda/function_url.json");
const ALB: &str = include_str!("../../../../tests/fixtures/lambda/alb.json");
const SQS: &str = include_str!("../../../../tests/fixtures/lambda/sqs.json");
const SNS: &str = include_str!("../../../../tests/fixtures/lambda/sns.json");
const S3: &str = include_str!("../../../../tests/fixtures/lambda/s3.json");
const EVENTBRIDGE: &str = include_str!("../../../../tests/fixtures/lambda/eventbridge.json");
const POWERTOOLS_JSONL: &str = include_str!("../../../../tests/fixtures/lambda/powertools.jsonl");
const ACCESS_JSONL: &str = include_str!("../../../../tests/fixtures/lambda/apigw_access.jsonl");

const T0: i64 = 1_717_243_200_000_000; // 2024-06-01T12:00:00Z

fn json(s: &str) -> Value {
    serde_json::from_str(s).expect("fixture is JSON")
}

/// One invocation row as a batch read back column by column.
struct Rows(RecordBatch);

impl Rows {
    fn s(&self, col: &str, i: usize) -> Option<&str> {
        let c = self
            .0
            .column_by_name(col)
            .unwrap_or_else(|| panic!("no column {col}"))
            .as_string::<i32>();
        (!c.is_null(i)).then(|| c.value(i))
    }
    fn time(&self, i: usize) -> i64 {
        self.0
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>()
            .value(i)
    }
    fn body_size(&self, i: usize) -> Option<i64> {
        let c = self
            .0
            .column_by_name("body_size")
            .unwrap()
            .as_primitive::<Int64Type>();
        (!c.is_null(i)).then(|| c.value(i))
    }
    fn status(&self, i: usize) -> Option<i32> {
        let c = self
            .0
            .column_by_name("status_code")
            .unwrap()
            .as_primitive::<Int32Type>();
        (!c.is_null(i)).then(|| c.value(i))
    }
    fn len(&self) -> usize {
        self.0.num_rows()
    }
    fn payload(&self, i: usize) -> Value {
        json(self.s("payload", i).expect("payload"))
    }
}

fn parse_with(docs: &[Value], ctx: &Context) -> (Vec<Table>, Tables) {
    let mut t = Tables::default();
    let tables = docs
        .iter()
        .map(|d| {
            parse_value(d.clone(), ctx, "fixture@0", &mut t).unwrap_or_else(|e| panic!("{e}: {d}"))
        })
        .collect();
    (tables, t)
}

fn invocations(docs: &[Value], ctx: &Context) -> Rows {
    let (tables, mut t) = parse_with(docs, ctx);
    assert!(
        tables.iter().all(|t| *t == Table::Invocations),
        "{tables:?}"
    );
    Rows(t.invocations.finish())
}

fn one(doc: &str) -> Rows {
    invocations(&[json(doc)], &Context::default())
}

/// The single element of a `{"Records":[x]}` fixture.
fn record(doc: &str) -> Value {
    json(doc)["Records"][0].clone()
}

#[test]
fn apigw_rest() {
    let r = one(REST);
    assert_eq!(r.s("trigger", 0), Some("apigw_rest"));
    assert_eq!(r.time(0), T0);
    assert_eq!(
        r.s("trigger_request_id", 0),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
    assert_eq!(
        r.s("request_id", 0),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("region", 0), Some("eu-west-1"));
    assert_eq!(r.s("source_ip", 0), Some("198.51.100.23"));
    assert!(r.s("user_agent", 0).unwrap().starts_with("Mozilla/5.0"));
    assert_eq!(r.s("http_method", 0), Some("GET"));
    assert_eq!(r.s("path", 0), Some("/orders/1042"));
    assert_eq!(r.s("query", 0), Some("expand=items&page=2"));
    assert_eq!(
        r.s("auth_principal", 0),
        Some("4b7e2c1a-93d5-4f6e-8a0b-2c4d6e8f0a1b")
    );
    assert_eq!(r.body_size(0), None);
    assert_eq!(r.s("source", 0), Some("fixture@0"));
    let headers = json(r.s("headers", 0).unwrap());
    assert_eq!(headers["authorization"], redact::REDACTED);
    assert_eq!(
        headers["host"],
        "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    );
    let payload = r.payload(0);
    assert_eq!(payload["headers"]["Authorization"], redact::REDACTED);
    assert_eq!(payload["queryStringParameters"]["expand"], "items");
    assert!(!r.s("payload", 0).unwrap().contains("eyJhbGci"));
    let shape = r.s("payload_shape", 0).unwrap();
    assert!(shape.starts_with("GET {"), "{shape}");
    assert!(
        shape.contains("query:{expand:<word>,page:<int>}"),
        "{shape}"
    );
}

#[test]
fn apigw_http_decodes_its_base64_body() {
    let r = one(HTTP);
    assert_eq!(r.s("trigger", 0), Some("apigw_http"));
    assert_eq!(r.time(0), T0 + 5_000_000);
    assert_eq!(r.s("trigger_request_id", 0), Some("Yx3bFhK2IAMEVxQ="));
    assert_eq!(r.s("region", 0), Some("us-east-2"));
    assert_eq!(r.s("source_ip", 0), Some("203.0.113.77"));
    assert_eq!(r.s("user_agent", 0), Some("python-requests/2.31.0"));
    assert_eq!(r.s("http_method", 0), Some("POST"));
    assert_eq!(r.s("path", 0), Some("/api/search"));
    assert_eq!(r.s("query", 0), Some("q=running%20shoes&limit=20"));
    assert_eq!(
        r.s("auth_principal", 0),
        Some("c3d9e1f2-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
    );
    assert_eq!(
        r.body_size(0),
        Some(r#"{"term": "shoes", "filters": {"size": 42}}"#.len() as i64)
    );
    let payload = r.payload(0);
    assert_eq!(payload["isBase64Encoded"], false);
    assert!(payload["body"].as_str().unwrap().contains("shoes"));
    assert_eq!(payload["cookies"], redact::REDACTED);
    let headers = json(r.s("headers", 0).unwrap());
    assert_eq!(headers["authorization"], redact::REDACTED);
    let shape = r.s("payload_shape", 0).unwrap();
    assert!(
        shape.contains("body:{filters:{size:<n>},term:<word>}"),
        "{shape}"
    );
    assert!(shape.contains("query:{limit:<int>,q:a a}"), "{shape}");
}

#[test]
fn function_url() {
    let ctx = Context {
        function_name: Some("deployer-hook".into()),
        ..Default::default()
    };
    let r = invocations(&[json(URL)], &ctx);
    assert_eq!(r.s("trigger", 0), Some("function_url"));
    assert_eq!(r.s("function_name", 0), Some("deployer-hook"));
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("region", 0), Some("us-west-2"));
    assert_eq!(r.s("source_ip", 0), Some("192.0.2.10"));
    assert_eq!(r.s("path", 0), Some("/webhook"));
    assert_eq!(r.s("query", 0), None);
    assert_eq!(
        r.s("auth_principal", 0),
        Some("arn:aws:iam::444455556666:user/deployer")
    );
    assert_eq!(r.time(0), T0 + 10_000_000);
    let headers = json(r.s("headers", 0).unwrap());
    assert_eq!(headers["x-amz-security-token"], redact::REDACTED);
}

#[test]
fn alb_takes_time_from_the_context_and_ip_from_the_last_hop() {
    let ctx = Context {
        time_us: Some(T0 + 1),
        ..Default::default()
    };
    let r = invocations(&[json(ALB)], &ctx);
    assert_eq!(r.s("trigger", 0), Some("alb"));
    assert_eq!(r.time(0), T0 + 1);
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("region", 0), Some("ap-southeast-2"));
    assert_eq!(r.s("source_ip", 0), Some("198.51.100.200"));
    assert_eq!(r.s("user_agent", 0), Some("curl/8.4.0"));
    assert_eq!(r.s("path", 0), Some("/admin/login.php"));
    assert_eq!(r.s("query", 0), Some("next=%2Fdashboard&user=admin%27--"));
    assert_eq!(r.body_size(0), Some(0));
    let shape = r.s("payload_shape", 0).unwrap();
    assert!(shape.contains("user:a'--"), "{shape}");
    assert!(json(r.s("headers", 0).unwrap())["cookie"] == redact::REDACTED);
    // Without any time the event is refused, saying why.
    let mut t = Tables::default();
    let e = parse_value(json(ALB), &Context::default(), "s", &mut t).unwrap_err();
    assert!(
        e.to_string()
            .contains("ALB target group event: expected a timestamp"),
        "{e}"
    );
}

#[test]
fn sqs_event_with_two_records() {
    let r = one(SQS);
    assert_eq!(r.len(), 2);
    assert_eq!(r.s("trigger", 0), Some("sqs"));
    assert_eq!(
        r.s("trigger_request_id", 1),
        Some("2e1424d4-f796-459a-8184-9c92662be6da")
    );
    assert_eq!(r.time(0), 1_717_243_220_000_000);
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("region", 0), Some("eu-central-1"));
    assert_eq!(
        r.s("auth_principal", 0),
        Some("AROAEXAMPLEROLEID123:checkout")
    );
    assert_eq!(
        r.payload(0)["body"].as_str().map(|b| b.contains("A-1001")),
        Some(true)
    );
    // Two orders with different values share one shape.
    assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
    assert_eq!(
        r.s("payload_shape", 0),
        Some("{amount:<n>,orderId:<word>,sku:<word>}")
    );
}

#[test]
fn sns_s3_eventbridge() {
    let r = one(SNS);
    assert_eq!(r.s("trigger", 0), Some("sns"));
    assert_eq!(
        r.s("trigger_request_id", 0),
        Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
    );
    assert_eq!(r.time(0), T0 + 30_000_000);
    assert_eq!(r.s("region", 0), Some("us-east-1"));
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(
        r.s("payload_shape", 0),
        Some("{AlarmName:<word>,NewStateValue:<word>,value:<n>}")
    );

    let r = one(S3);
    assert_eq!(r.s("trigger", 0), Some("s3"));
    assert_eq!(r.s("trigger_request_id", 0), Some("7QJ2W5K1M3N8P0R4"));
    assert_eq!(r.time(0), T0 + 40_512_000);
    assert_eq!(r.s("source_ip", 0), Some("203.0.113.5"));
    assert_eq!(r.s("auth_principal", 0), Some("AWS:AIDAEXAMPLEUPLOADER1"));
    assert_eq!(
        r.s("path", 0),
        Some("/acme-invoices/incoming/2024/06/INV 0042 final.pdf")
    );
    assert_eq!(r.body_size(0), Some(48213));

    let r = one(EVENTBRIDGE);
    assert_eq!(r.s("trigger", 0), Some("eventbridge"));
    assert_eq!(
        r.s("trigger_request_id", 0),
        Some("0f5e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b")
    );
    assert_eq!(r.time(0), T0 + 50_000_000);
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("region", 0), Some("eu-west-1"));
    assert_eq!(
        r.s("payload_shape", 0),
        Some("{customer:{email:<email>,tier:<word>},orderId:<word>,total:<n>}")
    );
}

#[test]
fn typed_and_lenient_readings_agree() {
    type Typed = fn(&Value) -> Option<Req>;
    type Lenient = fn(&Value) -> Req;
    let cases: [(Trigger, Value, Typed, Lenient); 8] = [
        (Trigger::ApigwRest, json(REST), apigw::rest_typed, |v| {
            apigw::rest_lenient(v, Trigger::ApigwRest)
        }),
        (Trigger::ApigwHttp, json(HTTP), apigw::http_typed, |v| {
            apigw::http_lenient(v, Trigger::ApigwHttp)
        }),
        (Trigger::FunctionUrl, json(URL), function_url::typed, |v| {
            apigw::http_lenient(v, Trigger::FunctionUrl)
        }),
        (Trigger::Alb, json(ALB), alb::typed, alb::lenient),
        (Trigger::Sqs, record(SQS), sqs::typed, sqs::lenient),
        (Trigger::Sns, record(SNS), sns::typed, sns::lenient),
        (Trigger::S3, record(S3), s3::typed, s3::lenient),
        (
            Trigger::EventBridge,
            json(EVENTBRIDGE),
            eventbridge::typed,
            eventbridge::lenient,
        ),
    ];
    for (trigger, v, typed, lenient) in cases {
        let event = read_event(&v).expect("fixture is recognised");
        assert_eq!(event.req.trigger, trigger);
        // Each fixture fits its type, so `read_event` took the typed path.
        let typed = typed(&v).unwrap_or_else(|| {
            panic!("{trigger:?} fixture does not fit its aws_lambda_events type")
        });
        assert_eq!(event.req, typed, "{trigger:?}");
        assert_eq!(typed, lenient(&v), "{trigger:?}");
    }
}

#[test]
fn odd_events_fall_back_to_the_lenient_reading() {
    // A header with a line break and a numeric JWT claim do not fit the types.
    let mut v = json(HTTP);
    v["headers"]["x-injected"] = Value::from("a\r\nSet-Cookie: x=1");
    v["requestContext"]["authorizer"]["jwt"]["claims"]["exp"] = Value::from(1717246800);
    assert!(apigw::http_typed(&v).is_none());
    let r = one(&v.to_string());
    assert_eq!(r.s("source_ip", 0), Some("203.0.113.77"));
    assert_eq!(
        r.s("auth_principal", 0),
        Some("c3d9e1f2-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
    );
    assert!(r.s("headers", 0).unwrap().contains("x-injected"));
    // An SNS record missing the signature fields.
    let mut sns = record(SNS);
    sns["Sns"].as_object_mut().unwrap().remove("Signature");
    assert!(sns::typed(&sns).is_none());
    assert_eq!(
        one(&sns.to_string()).s("trigger_request_id", 0),
        Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
    );
}

#[test]
fn powertools_logs() {
    let docs: Vec<Value> = POWERTOOLS_JSONL
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(json)
        .collect();
    let (tables, mut t) = parse_with(&docs, &Context::default());
    assert_eq!(
        tables,
        [
            Table::LambdaRuntime,
            Table::LambdaRuntime,
            Table::Invocations,
            Table::Invocations
        ]
    );
    let rt = t.runtime.finish();
    let col = |n: &str| rt.column_by_name(n).unwrap().as_string::<i32>().clone();
    assert_eq!(col("kind").value(0), "log");
    assert_eq!(col("status").value(0), "INFO");
    assert_eq!(col("function_name").value(0), "checkout");
    assert_eq!(
        col("request_id").value(0),
        "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
    );
    assert_eq!(col("message").value(0), "order accepted");
    assert!(rt
        .column_by_name("cold_start")
        .unwrap()
        .as_boolean()
        .value(0));
    assert_eq!(
        rt.column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>()
            .value(0),
        T0 + 60_125_000
    );
    assert_eq!(col("kind").value(1), "error");
    assert!(col("message").value(1).contains("CardError"));

    let r = Rows(t.invocations.finish());
    assert_eq!(r.len(), 2);
    for i in 0..2 {
        assert_eq!(r.s("trigger", i), Some("apigw_rest"));
        assert_eq!(r.s("function_name", i), Some("search"));
        assert_eq!(r.s("account_id", i), Some("111122223333"));
        assert_eq!(r.s("region", i), Some("eu-west-1"));
        assert_eq!(r.s("path", i), Some("/search"));
        let headers = json(r.s("headers", i).unwrap());
        assert_eq!(headers["authorization"], redact::REDACTED);
        assert!(!r.s("payload", i).unwrap().contains("eyJhbGci"));
    }
    // The Lambda request id of the log line wins; the trigger keeps its own.
    assert_eq!(
        r.s("request_id", 0),
        Some("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f")
    );
    assert_eq!(
        r.s("trigger_request_id", 0),
        Some("8b1e9f3a-2c4d-4e5f-a6b7-c8d9e0f1a2b3")
    );
    assert_eq!(r.s("source_ip", 0), Some("198.51.100.66"));
    assert_eq!(r.s("query", 0), Some("id=1' OR '1'='1&sort=asc"));
    assert_eq!(r.payload(0)["queryStringParameters"]["id"], "1' OR '1'='1");
    assert_eq!(r.time(0), T0 + 65_000_000);
    // The same injection with other digits, from another IP: one shape.
    assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
    let shape = r.s("payload_shape", 0).unwrap();
    assert!(shape.contains("id:0' or '0'='0"), "{shape}");
}

#[test]
fn benign_and_injected_queries_differ() {
    let mut benign = json(REST);
    benign["multiValueQueryStringParameters"]["expand"] = serde_json::json!(["customer"]);
    let mut attack = json(REST);
    attack["multiValueQueryStringParameters"]["expand"] =
        serde_json::json!(["items' UNION SELECT password FROM users--"]);
    let r = invocations(&[json(REST), benign, attack], &Context::default());
    assert_eq!(r.s("payload_shape", 0), r.s("payload_shape", 1));
    assert_ne!(r.s("payload_shape", 0), r.s("payload_shape", 2));
}

#[test]
fn access_logs() {
    let docs: Vec<Value> = ACCESS_JSONL
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(json)
        .collect();
    let r = invocations(
        &docs,
        &Context {
            function_name: Some("orders".into()),
            ..Default::default()
        },
    );
    assert_eq!(r.len(), 3);
    assert_eq!(r.s("trigger", 0), Some("apigw_rest"));
    assert_eq!(r.time(0), T0 + 120_000_000);
    assert_eq!(r.s("source_ip", 0), Some("198.51.100.23"));
    assert_eq!(r.s("path", 0), Some("/prod/orders/1042"));
    assert_eq!(r.status(0), Some(200));
    assert_eq!(r.s("auth_principal", 0), Some("user-7f3a"));
    assert_eq!(r.s("function_name", 0), Some("orders"));
    assert_eq!(r.s("trigger", 1), Some("apigw_http"));
    assert_eq!(r.time(1), T0 + 125_000_000);
    assert_eq!(r.status(1), Some(403));
    assert_eq!(r.s("http_method", 1), Some("POST"));
    assert_eq!(r.s("path", 1), Some("/api/search"));
    assert_eq!(r.s("source_ip", 1), Some("203.0.113.77"));
    assert_eq!(
        r.s("request_id", 1),
        Some("0d9c8b7a-6f5e-4d3c-b2a1-0f9e8d7c6b5a")
    );
    assert_eq!(r.s("trigger_request_id", 1), Some("Yx4cGiL3oAMEb2w="));
    assert_eq!(r.s("trigger", 2), Some("apigw_rest"));
    assert_eq!(r.status(2), Some(502));
    assert_eq!(r.s("account_id", 2), Some("111122223333"));
    assert_eq!(r.s("user_agent", 2), Some("okhttp/4.12.0"));
}

#[test]
fn records_nested_in_a_log_line() {
    let line = serde_json::json!({
        "level": "INFO", "message": "received", "timestamp": "2024-06-01T12:00:00Z",
        "function_name": "orders-worker", "function_request_id": "aa11bb22-cc33-4d44-8e55-ff6677889900",
        "event": json(SQS),
    });
    let r = invocations(&[line], &Context::default());
    assert_eq!(r.len(), 2);
    assert_eq!(
        r.s("request_id", 0),
        Some("aa11bb22-cc33-4d44-8e55-ff6677889900")
    );
    assert_eq!(
        r.s("request_id", 1),
        Some("aa11bb22-cc33-4d44-8e55-ff6677889900")
    );
    assert_eq!(r.s("function_name", 1), Some("orders-worker"));
}

#[test]
fn other_event_sources_and_websockets() {
    let ddb = serde_json::json!({
        "eventID": "f07f8ca4b0b26cb9c4e5e77e69f274ee", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "dynamodb": {"ApproximateCreationDateTime": 1717243200.0, "Keys": {"pk": {"S": "order#42"}}, "SizeBytes": 26},
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2024-06-01T00:00:00.000"
    });
    let ws = serde_json::json!({
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "connectionId": "ZlXc1dH2IAMCJYA=",
            "requestId": "ZlXc1Hq5IAMFtBw=", "requestTimeEpoch": 1717243201000i64,
            "identity": {"sourceIp": "198.51.100.9", "userAgent": "wscat/5.2.0"},
            "domainName": "w1s2o3c4k5.execute-api.eu-west-1.amazonaws.com", "accountId": "111122223333"
        },
        "isBase64Encoded": false
    });
    let r = invocations(&[ddb, ws], &Context::default());
    assert_eq!(r.s("trigger", 0), Some("other"));
    assert_eq!(r.time(0), T0);
    assert_eq!(
        r.s("trigger_request_id", 0),
        Some("f07f8ca4b0b26cb9c4e5e77e69f274ee")
    );
    assert_eq!(r.s("account_id", 0), Some("111122223333"));
    assert_eq!(r.s("trigger", 1), Some("other"));
    assert_eq!(r.time(1), T0 + 1_000_000);
    assert_eq!(r.s("source_ip", 1), Some("198.51.100.9"));
    assert_eq!(r.s("user_agent", 1), Some("wscat/5.2.0"));
    assert_eq!(r.s("region", 1), Some("eu-west-1"));
}

#[test]
fn telemetry_is_delegated() {
    let v = serde_json::json!({"time": "2024-06-01T12:00:00Z", "type": "platform.start", "record": {"requestId": "r-1"}});
    let (tables, _) = parse_with(&[v], &Context::default());
    assert_eq!(tables, [Table::LambdaRuntime]);
}

#[test]
fn unrecognised_objects_name_their_keys() {
    let mut t = Tables::default();
    let e = parse_value(
        serde_json::json!({"foo": 1, "bar": [2]}),
        &Context::default(),
        "s",
        &mut t,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("keys [bar, foo]") || msg.contains("keys [foo, bar]"),
        "{msg}"
    );
    assert!(msg.contains("not a CloudTrail event"), "{msg}");
    assert!(parse_value(Value::from(3), &Context::default(), "s", &mut t).is_err());
    let e = parse_value(
        serde_json::json!({"Records": [{"x": 1}]}),
        &Context::default(),
        "s",
        &mut t,
    )
    .unwrap_err();
    assert!(e.to_string().contains("Records[0]"), "{e}");
    assert_eq!(t.rows(), 0);
}

#[test]
fn large_payloads_stay_valid_json() {
    let mut v = json(REST);
    v["body"] = Value::String("A".repeat(200_000));
    let r = one(&v.to_string());
    let p = r.s("payload", 0).unwrap();
    assert!(p.len() <= MAX_PAYLOAD, "{}", p.len());
    let p: Value = json(p);
    assert!(p["body"].as_str().unwrap().contains("[truncated"));
    assert_eq!(r.body_size(0), Some(200_000));
    let many: Map<String, Value> = (0..20_000)
        .map(|i| (format!("k{i}"), Value::from(i)))
        .collect();
    let s = bounded_json(Value::Object(many), MAX_PAYLOAD);
    assert!(s.len() <= MAX_PAYLOAD);
    assert_eq!(json(&s)["truncated"], true);
}
