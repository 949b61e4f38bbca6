//! [`to_ocsf`]: a [`Finding`] as an OCSF 1.3 Detection Finding (class 2004), the one
//! JSON object per alert that every sink writes (DESIGN.md "Alerts").
//!
//! Evidence comes from the events' canonical columns (`event_name`, `principal_arn`,
//! `function_name`, …): CloudTrail events become `api` + `actor` + `src_endpoint`
//! artifacts, invocations `http_request` + `src_endpoint` ones, and every artifact keeps
//! the event itself as `data`. The whole document goes through
//! [`tripline_ingest::redact`] before it leaves, as defence in depth: ingest already
//! redacts, but no secret must reach a SOC even if a detector copied one.
//!
//! For findings of `anomaly` detectors, `anomaly_analyses` is built from these `stats`
//! keys when present: `observed` (required), `expected`, `metric` (what was measured,
//! default `count`), `baseline` (a description or value of the baseline). Every stat
//! is also copied to `unmapped`.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::attack::attacks;
use super::text::ms;
use crate::model::{Finding, RuleInfo, Service};

/// OCSF schema version the documents follow.
pub const OCSF_VERSION: &str = "1.3.0";
/// Detection Finding.
pub const CLASS_UID: u32 = 2004;
/// Findings.
pub const CATEGORY_UID: u32 = 2;
/// Detection Finding: Create (`class_uid * 100 + activity_id`).
pub const TYPE_UID_CREATE: u32 = 200_401;

/// The OCSF Detection Finding of `f`, secrets redacted.
pub fn to_ocsf(f: &Finding) -> Value {
    let mut doc = document(f, &RuleParts::of(f));
    let evidences: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| {
            // The artifact and the event it carries, redacted as one.
            let mut artifact = evidence(e.json_text(), e.to_value());
            tripline_ingest::redact::value(&mut artifact);
            artifact
        })
        .collect();
    put_evidences(&mut doc, evidences);
    doc
}

/// Writes the OCSF Detection Finding of `f` to `out` as one line of JSON: the same
/// bytes as serialising [`to_ocsf`], but each evidence event's JSON text is redacted
/// once and copied as it is instead of being parsed into a document, walked and
/// serialised again (those events are most of a finding's size). Each artifact is
/// built from the *redacted* text, so its fields need no second walk: artifact keys
/// name no secret, and their values are strings of the redacted event.
pub fn write_ocsf(f: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
    write_ocsf_with(f, &RuleParts::of(f), out)
}

/// [`write_ocsf`] with the rule's parts built already (once per rule, not per finding).
fn write_ocsf_with(f: &Finding, rule: &RuleParts, out: &mut Vec<u8>) -> io::Result<()> {
    let mut doc = document(f, rule);
    if !f.evidence.is_empty() {
        // A place for `evidences` among the sorted keys; the artifacts are written there.
        put_evidences(&mut doc, vec![Value::Null]);
    }
    let Value::Object(top) = &doc else {
        unreachable!("document() builds an object")
    };
    write_object(top, out, &mut |k, v, out| {
        if k != "evidences" {
            return Ok(serde_json::to_writer(&mut *out, v)?);
        }
        out.push(b'[');
        for (n, e) in f.evidence.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            match e.json_text().map(tripline_ingest::redact::json_text) {
                Some(text) => write_artifact(Some(&text), &text, out)?,
                None => write_artifact(None, "null", out)?,
            }
        }
        out.push(b']');
        Ok(())
    })
}

/// Adds the `evidences` array to a document built by [`document`], when there is any.
fn put_evidences(doc: &mut Value, evidences: Vec<Value>) {
    if evidences.is_empty() {
        return;
    }
    if let Value::Object(map) = doc {
        map.insert("evidences".into(), Value::Array(evidences));
    }
}

/// Writes one value of an object: (key, value, output).
type WriteValue<'a> = dyn FnMut(&str, &Value, &mut Vec<u8>) -> io::Result<()> + 'a;

/// Writes `map` as compact JSON, as serde_json would, but each value by `value`.
fn write_object(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
    value: &mut WriteValue<'_>,
) -> io::Result<()> {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, k)?;
        out.push(b':');
        value(k, v, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// The parts of a document that depend on the rule alone (title, description, ATT&CK
/// mapping, product, false positives), built and redacted once per rule: the same for
/// each of the thousands of findings one rule can raise.
struct RuleParts {
    /// `finding_info` keys.
    finding_info: Map<String, Value>,
    /// `metadata` keys.
    metadata: Map<String, Value>,
    /// `unmapped` keys (they win over a stat of the same name).
    unmapped: Map<String, Value>,
}

impl RuleParts {
    /// The parts of `f`'s rule, redacted.
    fn of(f: &Finding) -> Self {
        let rule = &f.rule;
        let (analytic_type, type_id) = match rule.kind {
            "rule" | "correlation" => ("Rule", 1),
            "anomaly" => ("Behavioral", 2),
            _ => ("Other", 99),
        };
        let mut info = json!({
            "title": rule.title,
            "desc": rule.description,
            "types": [rule.kind],
            "analytic": {
                "uid": rule.id,
                "name": rule.title,
                "type": analytic_type,
                "type_id": type_id,
            },
        });
        let attacks: Vec<Value> = attacks(&rule.tags).iter().map(|a| a.to_json()).collect();
        if !attacks.is_empty() {
            info["attacks"] = Value::Array(attacks);
        }
        let mut metadata = json!({
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {
                "name": "Tripline",
                "vendor_name": "Tripline",
                "version": env!("CARGO_PKG_VERSION"),
            },
        });
        if let Some(service) = rule.service {
            info["data_sources"] = json!([table_of(service)]);
            metadata["log_name"] = json!(table_of(service));
        }
        let mut unmapped = json!({ "rule_path": rule.path });
        if !rule.falsepositives.is_empty() {
            unmapped["falsepositives"] = json!(rule.falsepositives);
        }
        let object = |mut v: Value| {
            tripline_ingest::redact::value(&mut v);
            match v {
                Value::Object(map) => map,
                _ => unreachable!("built as objects above"),
            }
        };
        RuleParts {
            finding_info: object(info),
            metadata: object(metadata),
            unmapped: object(unmapped),
        }
    }
}

/// The document of `f` without its `evidences` (see [`put_evidences`]), redacted: what
/// is the finding's own is built and redacted here, and `rule`'s parts (redacted
/// already) are merged in.
fn document(f: &Finding, rule: &RuleParts) -> Value {
    let mut doc = Map::new();
    let mut put = |k: &str, v: Value| {
        doc.insert(k.to_owned(), v);
    };
    put("class_uid", json!(CLASS_UID));
    put("class_name", json!("Detection Finding"));
    put("category_uid", json!(CATEGORY_UID));
    put("category_name", json!("Findings"));
    put("type_uid", json!(TYPE_UID_CREATE));
    put("type_name", json!("Detection Finding: Create"));
    put("activity_id", json!(1));
    put("activity_name", json!("Create"));
    put("time", json!(ms(f.last_seen_us)));
    put("start_time", json!(ms(f.first_seen_us)));
    put("end_time", json!(ms(f.last_seen_us)));
    put("count", json!(f.count));
    put("severity_id", json!(f.level.severity_id()));
    put("severity", json!(f.level.severity()));
    put("status_id", json!(1));
    put("status", json!("New"));
    put("confidence_score", json!(f.confidence));
    let (confidence_id, confidence) = match f.confidence {
        0..=49 => (1, "Low"),
        50..=79 => (2, "Medium"),
        _ => (3, "High"),
    };
    put("confidence_id", json!(confidence_id));
    put("confidence", json!(confidence));
    put("message", json!(f.message));
    put("finding_info", finding_info(f));
    let resources = resources(f);
    if !resources.is_empty() {
        put("resources", Value::Array(resources));
    }
    if let Some(actor) = actor(f) {
        put("actor", actor);
    }
    if let Some(ip) = &f.context.source_ip {
        put("src_endpoint", json!({ "ip": ip }));
    }
    put("cloud", cloud(f));
    put("metadata", metadata(f));
    if f.rule.kind == "anomaly" {
        if let Some(analyses) = anomaly_analyses(f) {
            put("anomaly_analyses", analyses);
        }
    }
    put("unmapped", unmapped(f));
    let mut doc = Value::Object(doc);
    tripline_ingest::redact::value(&mut doc);
    let merge = |doc: &mut Value, key: &str, part: &Map<String, Value>| {
        if let Some(Value::Object(map)) = doc.get_mut(key) {
            map.extend(part.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    };
    merge(&mut doc, "finding_info", &rule.finding_info);
    merge(&mut doc, "metadata", &rule.metadata);
    merge(&mut doc, "unmapped", &rule.unmapped);
    doc
}

/// Findings encoded at a time by one thread of [`write_lines`]: ~1 MiB of lines.
const LINES_CHUNK: usize = 64;

/// Writes `findings` to `w` as OCSF JSON lines, in order, encoding on up to `threads`
/// threads. Building, redacting and serialising a document is most of what writing
/// thousands of findings costs, and each finding is independent of the others.
///
/// Encoder `t` takes chunks `t, t + threads, …` and hands each to the caller's thread
/// through a channel of its own holding one chunk, and the caller writes them in
/// order while the encoders go on: encoding never waits for a write to finish, nor a
/// write for a whole round of encoding, and at most `2 × threads + 1` chunks are in
/// memory.
pub fn write_lines(findings: &[Finding], w: &mut dyn Write, threads: usize) -> io::Result<()> {
    let encode = |chunk: &[Finding]| -> io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(chunk.len() * 16 * 1024);
        // Each rule's parts once per chunk (findings of one rule share its `Arc`).
        let mut rules: Vec<(&Arc<RuleInfo>, RuleParts)> = Vec::new();
        for f in chunk {
            let i = match rules.iter().position(|(r, _)| Arc::ptr_eq(r, &f.rule)) {
                Some(i) => i,
                None => {
                    rules.push((&f.rule, RuleParts::of(f)));
                    rules.len() - 1
                }
            };
            write_ocsf_with(f, &rules[i].1, &mut buf)?;
            buf.push(b'\n');
        }
        Ok(buf)
    };
    let chunks: Vec<&[Finding]> = findings.chunks(LINES_CHUNK).collect();
    let threads = threads.max(1).min(chunks.len());
    if threads <= 1 {
        for chunk in chunks {
            w.write_all(&encode(chunk)?)?;
        }
        return Ok(());
    }
    std::thread::scope(|s| {
        let mut encoded = Vec::with_capacity(threads);
        for t in 0..threads {
            let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
            let chunks = &chunks;
            s.spawn(move || {
                for chunk in chunks.iter().skip(t).step_by(threads) {
                    // The writer hung up (a write failed): stop encoding.
                    if tx.send(encode(chunk)).is_err() {
                        break;
                    }
                }
            });
            encoded.push(rx);
        }
        for i in 0..chunks.len() {
            // A closed channel means its encoder panicked; the scope re-raises it.
            let Ok(part) = encoded[i % threads].recv() else {
                break;
            };
            w.write_all(&part?)?;
        }
        Ok(())
    })
}

fn finding_info(f: &Finding) -> Value {
    json!({
        "uid": f.uid,
        "first_seen_time": ms(f.first_seen_us),
        "last_seen_time": ms(f.last_seen_us),
        "related_events": f.related.iter().map(|uid| json!({ "uid": uid })).collect::<Vec<_>>(),
    })
}

fn table_of(service: Service) -> &'static str {
    match service {
        Service::CloudTrail => "cloudtrail",
        Service::Lambda => "invocations",
    }
}

/// The event fields an evidence artifact names, borrowed from the event's JSON text.
#[derive(Deserialize, Default)]
struct EventFields<'a> {
    #[serde(borrow)]
    principal_arn: Option<&'a RawValue>,
    #[serde(borrow)]
    auth_principal: Option<&'a RawValue>,
    #[serde(borrow)]
    principal_type: Option<&'a RawValue>,
    #[serde(borrow)]
    access_key_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event_name: Option<&'a RawValue>,
    #[serde(borrow)]
    event_source: Option<&'a RawValue>,
    #[serde(borrow)]
    request_id: Option<&'a RawValue>,
    #[serde(borrow)]
    error_code: Option<&'a RawValue>,
    #[serde(borrow)]
    error_message: Option<&'a RawValue>,
    #[serde(borrow)]
    source_ip: Option<&'a RawValue>,
    #[serde(borrow)]
    http_method: Option<&'a RawValue>,
    #[serde(borrow)]
    path: Option<&'a RawValue>,
    #[serde(borrow)]
    query: Option<&'a RawValue>,
    #[serde(borrow)]
    user_agent: Option<&'a RawValue>,
    #[serde(borrow)]
    status_code: Option<&'a RawValue>,
}

/// A string field's value; `None` when absent or not a string.
fn text_of<'a>(raw: Option<&'a RawValue>) -> Option<Cow<'a, str>> {
    raw.filter(|r| r.get().starts_with('"'))
        .and_then(|r| serde_json::from_str(r.get()).ok())
}

/// The OCSF objects an evidence artifact names, read from the event's canonical
/// columns. The event itself (`data`) sorts between `api` and `http_request`, so an
/// artifact is written as these fields, `data`, then [`ArtifactTail`]'s: the order of
/// serde_json's sorted maps, the same bytes from [`evidence`] and [`write_artifact`].
#[derive(Serialize, Default)]
struct ArtifactHead<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<Actor<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api: Option<Api<'a>>,
}

/// The fields of an artifact after `data`.
#[derive(Serialize, Default)]
struct ArtifactTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    http_request: Option<HttpRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_response: Option<HttpResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_endpoint: Option<Endpoint<'a>>,
}

#[derive(Serialize)]
struct Actor<'a> {
    user: User<'a>,
}

#[derive(Serialize)]
struct User<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    credential_uid: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Api<'a> {
    operation: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Uid<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<ApiResponse<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<Named<'a>>,
}

#[derive(Serialize)]
struct Uid<'a> {
    uid: Cow<'a, str>,
}

#[derive(Serialize)]
struct ApiResponse<'a> {
    error: Cow<'a, str>,
    /// `null` when the event has none (CloudTrail often omits it).
    error_message: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Named<'a> {
    name: Cow<'a, str>,
}

#[derive(Serialize)]
struct HttpRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    http_method: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<Url<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Url<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct HttpResponse {
    code: i64,
}

#[derive(Serialize)]
struct Endpoint<'a> {
    ip: Cow<'a, str>,
}

/// The artifact fields of the event whose JSON is `text`.
fn artifact(text: Option<&str>) -> (ArtifactHead<'_>, ArtifactTail<'_>) {
    // Not an object (detectors' evidence can be anything): no fields to name.
    let fields: EventFields<'_> = text
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let uid = text_of(fields.principal_arn).or_else(|| text_of(fields.auth_principal));
    let name = uid.as_ref().map(|arn| match arn {
        Cow::Borrowed(a) => Cow::Borrowed(short_name(a)),
        Cow::Owned(a) => Cow::Owned(short_name(a).to_owned()),
    });
    let user = User {
        credential_uid: text_of(fields.access_key_id),
        name,
        kind: text_of(fields.principal_type),
        uid,
    };
    let has_user = user.uid.is_some() || user.kind.is_some() || user.credential_uid.is_some();
    let api = text_of(fields.event_name).map(|operation| Api {
        operation,
        request: text_of(fields.request_id).map(|uid| Uid { uid }),
        response: text_of(fields.error_code).map(|error| ApiResponse {
            error,
            error_message: text_of(fields.error_message),
        }),
        service: text_of(fields.event_source).map(|name| Named { name }),
    });
    let (path, query_string) = (text_of(fields.path), text_of(fields.query));
    let url = (path.is_some() || query_string.is_some()).then_some(Url { path, query_string });
    let http = HttpRequest {
        http_method: text_of(fields.http_method),
        url,
        user_agent: text_of(fields.user_agent),
    };
    let has_http = http.http_method.is_some() || http.url.is_some() || http.user_agent.is_some();
    let head = ArtifactHead {
        actor: has_user.then_some(Actor { user }),
        api,
    };
    let tail = ArtifactTail {
        http_request: has_http.then_some(http),
        http_response: fields
            .status_code
            .and_then(|r| serde_json::from_str::<i64>(r.get()).ok())
            .map(|code| HttpResponse { code }),
        src_endpoint: text_of(fields.source_ip).map(|ip| Endpoint { ip }),
    };
    (head, tail)
}

/// An evidence artifact as a document: the artifact fields of the event whose JSON is
/// `text`, and `data`, the event (or a placeholder for it).
fn evidence(text: Option<&str>, data: Value) -> Value {
    let (head, tail) = artifact(text);
    let mut out = Map::new();
    for part in [serde_json::to_value(head), serde_json::to_value(tail)] {
        if let Ok(Value::Object(fields)) = part {
            out.extend(fields);
        }
    }
    out.insert("data".into(), data);
    Value::Object(out)
}

/// Writes the artifact of the event whose (redacted) JSON is `text`, with `data`, JSON
/// text, copied as it is: the bytes of serialising [`evidence`] without building it.
fn write_artifact(text: Option<&str>, data: &str, out: &mut Vec<u8>) -> io::Result<()> {
    let (head, tail) = artifact(text);
    out.push(b'{');
    write_fields(&head, out)?;
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.extend_from_slice(b"\"data\":");
    out.extend_from_slice(data.as_bytes());
    out.push(b',');
    if !write_fields(&tail, out)? {
        out.pop(); // the comma: nothing follows `data`
    }
    out.push(b'}');
    Ok(())
}

/// Writes the fields of `part`, a struct, as they appear inside its JSON object (no
/// braces); false when it has none.
fn write_fields(part: &impl Serialize, out: &mut Vec<u8>) -> io::Result<bool> {
    let at = out.len();
    serde_json::to_writer(&mut *out, part)?;
    // `{…}`: drop the closing brace, then the opening one.
    out.pop();
    out.remove(at);
    Ok(out.len() > at)
}

fn resources(f: &Finding) -> Vec<Value> {
    let mut out: Vec<Value> = f.context.resources.iter().map(|r| resource(r)).collect();
    if let Some(function) = &f.context.function {
        let listed = f
            .context
            .resources
            .iter()
            .any(|r| r == function || short_name(r) == function);
        if !listed {
            out.push(json!({ "name": function, "type": "AWS::Lambda::Function" }));
        }
    }
    out
}

/// `{uid, name, type}` of an ARN (`arn:aws:iam::1:role/Admin` → `AWS::IAM::Role`), or
/// `{name}` of anything else.
fn resource(r: &str) -> Value {
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    let (service, rest) = match parts.as_slice() {
        ["arn", _, service, _, _, rest] => (*service, *rest),
        _ => return json!({ "name": r }),
    };
    let kind = match service {
        "s3" if rest.contains('/') => "Object",
        "s3" => "Bucket",
        "sqs" => "Queue",
        "sns" => "Topic",
        _ => rest.split(['/', ':']).next().unwrap_or(""),
    };
    let svc = match service {
        "iam" | "sts" | "kms" | "sqs" | "sns" | "ssm" | "ec2" | "ecr" | "ecs" | "eks" | "rds"
        | "s3" => service.to_ascii_uppercase(),
        "dynamodb" => "DynamoDB".to_owned(),
        "secretsmanager" => "SecretsManager".to_owned(),
        "cloudtrail" => "CloudTrail".to_owned(),
        "apigateway" | "execute-api" => "ApiGateway".to_owned(),
        _ => capitalise(service),
    };
    let mut obj = json!({ "uid": r, "name": short_name(r) });
    if !kind.is_empty() {
        obj["type"] = json!(format!("AWS::{svc}::{}", capitalise(kind)));
    }
    obj
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The last segment of an ARN or path (`…:assumed-role/Role/session` → `session`).
fn short_name(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

fn actor(f: &Finding) -> Option<Value> {
    let c = &f.context;
    let mut user = Map::new();
    if let Some(p) = &c.principal {
        user.insert("uid".into(), json!(p));
        user.insert("name".into(), json!(short_name(p)));
    }
    if let Some(t) = &c.principal_type {
        let type_id = match t.as_str() {
            "IAMUser" | "FederatedUser" | "IdentityCenterUser" => 1,
            "Root" => 2,
            "AWSService" | "AWSAccount" => 3,
            _ => 99,
        };
        user.insert("type".into(), json!(t));
        user.insert("type_id".into(), json!(type_id));
    }
    if let Some(k) = &c.access_key {
        user.insert("credential_uid".into(), json!(k));
    }
    if !user.is_empty() {
        if let Some(a) = &c.account {
            user.insert("account".into(), json!({ "uid": a }));
        }
    }
    let mut actor = Map::new();
    if !user.is_empty() {
        actor.insert("user".into(), Value::Object(user));
    }
    if let Some(issuer) = &c.session_issuer {
        actor.insert("session".into(), json!({ "issuer": issuer }));
    }
    (!actor.is_empty()).then_some(Value::Object(actor))
}

fn cloud(f: &Finding) -> Value {
    let mut cloud = json!({ "provider": "AWS" });
    if let Some(a) = &f.context.account {
        cloud["account"] = json!({ "uid": a });
    }
    if let Some(r) = &f.context.region {
        cloud["region"] = json!(r);
    }
    cloud
}

fn metadata(f: &Finding) -> Value {
    json!({ "uid": f.uid })
}

fn unmapped(f: &Finding) -> Value {
    let mut u: Map<String, Value> = f.stats.clone().into_iter().collect();
    // The finding's own fields win over a stat of the same name.
    u.insert("group".into(), json!(f.group));
    u.insert("count".into(), json!(f.count));
    u.insert("related_total".into(), json!(f.count));
    u.insert("related_listed".into(), json!(f.related.len()));
    u.insert("window_start_time".into(), json!(ms(f.window_start_us)));
    // `rule_path` and `falsepositives` come from the rule's parts, merged after these.
    Value::Object(u)
}

fn anomaly_analyses(f: &Finding) -> Option<Value> {
    let observed = f.stats.get("observed")?;
    let metric = f
        .stats
        .get("metric")
        .and_then(Value::as_str)
        .unwrap_or("count");
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let timespan = json!({
        "start_time": ms(f.window_start_us),
        "end_time": ms(f.last_seen_us),
    });
    let mut targets: Vec<Value> = f
        .group
        .iter()
        .map(|(k, v)| json!({ "name": v, "type": k }))
        .collect();
    if targets.is_empty() {
        targets.push(json!({ "name": f.rule.title, "type": "detector" }));
    }
    let mut analysis = json!({
        "analysis_targets": targets,
        "anomalies": [{
            "observation_parameter": metric,
            "observation_type": "Observed",
            "observations": [{ "parameter": metric, "value": text(observed), "timespan": timespan }],
            "observed_pattern": f.message,
        }],
    });
    let baseline = f.stats.get("expected").or_else(|| f.stats.get("baseline"));
    if let Some(expected) = baseline {
        let mut b = json!({
            "observation_parameter": metric,
            "observation_type": "Baseline",
            "observations": [{ "parameter": metric, "value": text(expected) }],
        });
        if let Some(desc) = f
            .stats
            .get("baseline")
            .filter(|_| f.stats.contains_key("expected"))
        {
            b["observed_pattern"] = json!(text(desc));
        }
        analysis["baselines"] = json!([b]);
    }
    Some(json!([analysis]))
}

#[cfg(test)]
#[path = "ocsf_tests.rs"]
mod tests;
