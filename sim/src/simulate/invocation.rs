//! One request to a function ([`Invocation`]) and the event the function receives for
//! it, as AWS builds it: API Gateway REST (1.0) and HTTP API (2.0) proxy events,
//! Function URL and ALB events, SQS batches, S3 notifications and EventBridge
//! scheduled events — and the API Gateway access log line of the request.

use serde_json::{json, Map, Value};

use super::rng::{clf, rfc3339_s, Rng};
use super::world::{Function, Via, World};

/// One request to a function, with what happened to it.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub time_us: i64,
    pub function: usize,
    /// Lambda request id (the `invocations.request_id` and the labels' uid).
    pub request_id: String,
    /// The trigger's id (API Gateway request id, SQS message id, EventBridge id).
    pub trigger_id: String,
    pub via: Via,
    pub ip: String,
    pub ua: String,
    pub method: String,
    /// Resource or route template (`/orders/{id}`).
    pub route: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Headers besides the standard ones (content-type, authorization, cookie…).
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub b64: bool,
    /// Authenticated caller (authorizer `sub`), if any.
    pub principal: Option<String>,
    pub status: u16,
    /// False when API Gateway answered without invoking the function (authorizer
    /// denied): only the access log line exists.
    pub invoked: bool,
    pub dur_ms: f64,
    pub mem_mb: f64,
    pub timeout: bool,
    /// Application log lines (level, message).
    pub logs: Vec<(&'static str, String)>,
    /// AWS calls the code makes (index into the function's side calls).
    pub side: Vec<usize>,
    /// SQS message bodies (SQS) or the S3 key (S3).
    pub records: Vec<String>,
    pub resp_len: u32,
    /// The attack this request belongs to (`None`: benign).
    pub attack: Option<u32>,
}

impl Invocation {
    /// The id the request's rows carry: the Lambda request id, or the API Gateway
    /// request id when the function was never invoked.
    pub fn uid(&self) -> &str {
        if self.invoked {
            &self.request_id
        } else {
            &self.trigger_id
        }
    }

    /// A request with defaults for everything but time, function and caller.
    pub fn new(rng: &mut Rng, f: &Function, function: usize, time_us: i64) -> Invocation {
        let trigger_id = match f.via {
            Via::Http => rng.http_api_id(),
            Via::Rest | Via::Alb | Via::Url => rng.uuid(),
            _ => rng.uuid(),
        };
        Invocation {
            time_us,
            function,
            request_id: rng.uuid(),
            trigger_id,
            via: f.via.clone(),
            ip: String::new(),
            ua: String::new(),
            method: "GET".into(),
            route: "/".into(),
            path: "/".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            b64: false,
            principal: None,
            status: 200,
            invoked: true,
            dur_ms: f.dur_ms,
            mem_mb: f.mem_mb,
            timeout: false,
            logs: Vec::new(),
            side: Vec::new(),
            records: Vec::new(),
            resp_len: 0,
            attack: None,
        }
    }

    fn raw_query(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn query_map(&self) -> Value {
        if self.query.is_empty() {
            return Value::Null;
        }
        let mut m = Map::new();
        for (k, v) in &self.query {
            m.insert(k.clone(), json!(v));
        }
        Value::Object(m)
    }

    fn header_list(&self, f: &Function, w: &World, host: &str) -> Vec<(String, String)> {
        let mut h = vec![
            (
                "accept".to_string(),
                "application/json, text/plain, */*".to_string(),
            ),
            ("accept-encoding".into(), "gzip, deflate, br".into()),
            ("host".into(), host.to_string()),
            ("user-agent".into(), self.ua.clone()),
            (
                "x-amzn-trace-id".into(),
                format!(
                    "Root=1-{:08x}-{}",
                    self.time_us / 1_000_000,
                    &self.request_id.replace('-', "")[..24]
                ),
            ),
            ("x-forwarded-for".into(), self.ip.clone()),
            ("x-forwarded-port".into(), "443".into()),
            ("x-forwarded-proto".into(), "https".into()),
        ];
        if let Some(b) = &self.body {
            h.push(("content-length".into(), b.len().to_string()));
        }
        h.extend(self.headers.iter().cloned());
        let _ = (f, w);
        h
    }

    /// The event the function receives.
    pub fn event(&self, w: &World) -> Value {
        let f = &w.functions[self.function];
        let acct = &w.accounts[f.account].id;
        let epoch_ms = self.time_us / 1000;
        match &self.via {
            Via::Rest => {
                let host = format!("{}.execute-api.{}.amazonaws.com", f.endpoint, f.region);
                let headers = self.header_list(f, w, &host);
                let mut hm = Map::new();
                let mut mv = Map::new();
                for (k, v) in &headers {
                    let k = title_case(k);
                    hm.insert(k.clone(), json!(v));
                    mv.insert(k, json!([v]));
                }
                let mvq = if self.query.is_empty() {
                    Value::Null
                } else {
                    let mut m = Map::new();
                    for (k, v) in &self.query {
                        m.insert(k.clone(), json!([v]));
                    }
                    Value::Object(m)
                };
                let path_params = path_params(&self.route, &self.path);
                let mut rc = json!({
                    "resourceId": &f.endpoint[..6], "resourcePath": self.route, "httpMethod": self.method,
                    "extendedRequestId": format!("{}=", &self.trigger_id.replace('-', "")[..15]),
                    "requestTime": clf(self.time_us), "path": format!("/prod{}", self.path),
                    "accountId": acct, "protocol": "HTTP/1.1", "stage": "prod", "domainPrefix": f.endpoint,
                    "requestTimeEpoch": epoch_ms, "requestId": self.trigger_id,
                    "identity": {"cognitoIdentityPoolId": null, "accountId": null, "cognitoIdentityId": null,
                        "caller": null, "sourceIp": self.ip, "principalOrgId": null, "accessKey": null,
                        "cognitoAuthenticationType": null, "cognitoAuthenticationProvider": null,
                        "userArn": null, "userAgent": self.ua, "user": null},
                    "domainName": host, "apiId": f.endpoint,
                });
                if let Some(p) = &self.principal {
                    rc["authorizer"] = json!({"principalId": p, "integrationLatency": 12});
                }
                json!({
                    "resource": self.route, "path": self.path, "httpMethod": self.method,
                    "headers": hm, "multiValueHeaders": mv,
                    "queryStringParameters": self.query_map(), "multiValueQueryStringParameters": mvq,
                    "pathParameters": path_params, "stageVariables": null, "requestContext": rc,
                    "body": self.body, "isBase64Encoded": self.b64,
                })
            }
            Via::Http | Via::Url => {
                let url = matches!(self.via, Via::Url);
                let host = if url {
                    format!("{}.lambda-url.{}.on.aws", f.endpoint, f.region)
                } else {
                    format!("{}.execute-api.{}.amazonaws.com", f.endpoint, f.region)
                };
                let mut hm = Map::new();
                for (k, v) in self.header_list(f, w, &host) {
                    hm.insert(k, json!(v));
                }
                let route_key = if url {
                    "$default".to_string()
                } else {
                    format!("{} {}", self.method, self.route)
                };
                let mut rc = json!({
                    "accountId": if url { "anonymous".to_string() } else { acct.clone() },
                    "apiId": f.endpoint, "domainName": host, "domainPrefix": f.endpoint,
                    "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1",
                             "sourceIp": self.ip, "userAgent": self.ua},
                    "requestId": self.trigger_id, "routeKey": route_key, "stage": "$default",
                    "time": clf(self.time_us), "timeEpoch": epoch_ms,
                });
                if let Some(p) = &self.principal {
                    rc["authorizer"] = json!({"jwt": {"claims": {"sub": p, "iss": format!("https://cognito-idp.{}.amazonaws.com/{}_{}", f.region, f.region, &f.endpoint[..9]), "token_use": "access", "scope": "openid profile"}, "scopes": null}});
                }
                let mut ev = json!({
                    "version": "2.0", "routeKey": route_key, "rawPath": self.path,
                    "rawQueryString": self.raw_query(), "headers": hm, "requestContext": rc,
                    "isBase64Encoded": self.b64,
                });
                if !self.query.is_empty() {
                    ev["queryStringParameters"] = self.query_map();
                }
                if let Some(p) = path_params(&self.route, &self.path).as_object() {
                    ev["pathParameters"] = Value::Object(p.clone());
                }
                if let Some(b) = &self.body {
                    ev["body"] = json!(b);
                }
                ev
            }
            Via::Alb => {
                let mut hm = Map::new();
                for (k, v) in self.header_list(f, w, "internal-admin-alb.elb.amazonaws.com") {
                    hm.insert(k, json!(v));
                }
                let mut q = Map::new();
                for (k, v) in &self.query {
                    q.insert(encode(k), json!(encode(v)));
                }
                json!({
                    "requestContext": {"elb": {"targetGroupArn": f.endpoint}},
                    "httpMethod": self.method, "path": self.path, "queryStringParameters": q,
                    "headers": hm, "body": self.body.clone().unwrap_or_default(), "isBase64Encoded": self.b64,
                })
            }
            Via::Sqs => {
                let records: Vec<Value> = self
                    .records
                    .iter()
                    .enumerate()
                    .map(|(i, body)| {
                        let sent = epoch_ms - 40 - 7 * i as i64;
                        json!({
                            "messageId": if i == 0 { self.trigger_id.clone() } else { derive_uuid(&self.trigger_id, i) },
                            "receiptHandle": format!("AQEB{}", &derive_uuid(&self.request_id, i).replace('-', "")),
                            "body": body,
                            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent.to_string(),
                                "SenderId": format!("AROA{}:{}", &f.endpoint.len(), f.name),
                                "ApproximateFirstReceiveTimestamp": (sent + 12).to_string()},
                            "messageAttributes": {}, "md5OfBody": format!("{:032x}", body.len() * 7919),
                            "eventSource": "aws:sqs", "eventSourceARN": f.endpoint, "awsRegion": f.region,
                        })
                    })
                    .collect();
                json!({ "Records": records })
            }
            Via::S3 => {
                let key = self.records.first().cloned().unwrap_or_default();
                json!({"Records": [{
                    "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": f.region,
                    "eventTime": super::rng::rfc3339_ms(self.time_us), "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": format!("AWS:AROA{}:uploads", &f.endpoint.len())},
                    "requestParameters": {"sourceIPAddress": self.ip},
                    "responseElements": {"x-amz-request-id": &self.trigger_id.replace('-', "")[..16].to_uppercase(), "x-amz-id-2": format!("{}/{}", &self.request_id, &self.trigger_id)},
                    "s3": {"s3SchemaVersion": "1.0", "configurationId": "image-uploads",
                        "bucket": {"name": f.endpoint, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{}", f.endpoint)},
                        "object": {"key": key, "size": self.resp_len, "eTag": &self.request_id.replace('-', ""), "sequencer": format!("{:X}", self.time_us)}},
                }]})
            }
            Via::Every(_) | Via::Daily { .. } => json!({
                "version": "0", "id": self.trigger_id, "detail-type": "Scheduled Event",
                "source": "aws.events", "account": acct, "time": rfc3339_s(self.time_us),
                "region": f.region, "resources": [f.endpoint], "detail": {},
            }),
        }
    }

    /// The API Gateway access log line (REST and HTTP APIs only).
    pub fn access_log(&self, w: &World) -> Option<Value> {
        let f = &w.functions[self.function];
        let integration = if self.invoked {
            json!(self.request_id)
        } else {
            json!("-")
        };
        let latency = if self.invoked {
            json!(format!("{}", self.dur_ms.round() as i64))
        } else {
            json!("-")
        };
        match self.via {
            Via::Rest => Some(json!({
                "requestId": self.trigger_id, "ip": self.ip, "caller": "-",
                "user": self.principal.clone().unwrap_or_else(|| "-".into()),
                "requestTime": clf(self.time_us), "httpMethod": self.method,
                "resourcePath": self.route, "path": format!("/prod{}", self.path),
                "status": self.status.to_string(), "protocol": "HTTP/1.1",
                "responseLength": self.resp_len.to_string(), "integrationLatency": latency,
                "userAgent": self.ua, "integrationRequestId": integration,
                "accountId": w.accounts[f.account].id,
            })),
            Via::Http => Some(json!({
                "requestId": self.trigger_id, "sourceIp": self.ip,
                "requestTimeEpoch": self.time_us / 1_000_000,
                "httpMethod": self.method, "routeKey": format!("{} {}", self.method, self.route),
                "path": self.path, "status": self.status, "protocol": "HTTP/1.1",
                "responseLength": self.resp_len.to_string(), "integrationLatency": latency,
                "userAgent": self.ua, "integrationRequestId": integration,
            })),
            _ => None,
        }
    }
}

/// `{id}` segments of a route filled from the path.
fn path_params(route: &str, path: &str) -> Value {
    let mut m = Map::new();
    let rs: Vec<&str> = route.split('/').collect();
    let ps: Vec<&str> = path.split('/').collect();
    for (i, seg) in rs.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if let Some(name) = name.strip_suffix('+') {
                m.insert(
                    name.to_string(),
                    json!(ps.get(i..).map(|p| p.join("/")).unwrap_or_default()),
                );
            } else if let Some(v) = ps.get(i) {
                m.insert(name.to_string(), json!(v));
            }
        }
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

/// `content-type` → `Content-Type` (REST APIs keep the client's casing).
fn title_case(h: &str) -> String {
    h.split('-')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Percent-encoding of a query component (unreserved characters kept).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A UUID-shaped id derived from another (ids of a batch's later records).
pub(crate) fn derive_uuid(base: &str, i: usize) -> String {
    let h = blake3::hash(format!("{base}/{i}").as_bytes()).to_hex();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_follow_the_route() {
        assert_eq!(
            path_params("/orders/{id}", "/orders/42"),
            json!({"id": "42"})
        );
        assert_eq!(
            path_params("/api/{proxy+}", "/api/v1/items"),
            json!({"proxy": "v1/items"})
        );
        assert_eq!(path_params("/health", "/health"), Value::Null);
    }

    #[test]
    fn query_components_are_percent_encoded() {
        assert_eq!(encode("a b&c'"), "a%20b%26c%27");
    }
}
