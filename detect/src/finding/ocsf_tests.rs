use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::correlate::Correlator;
use crate::finding::fixtures::{hit, named_rule, rule};
use crate::finding::Aggregator;
use crate::model::{CmpOp, CorrelationKind, CorrelationSpec, Evidence, Level, WindowMode};

const T0: i64 = 1_714_557_600_000_000;
const MIN: i64 = 60_000_000;

/// The document with the crate version masked, so snapshots survive a release.
fn stable(f: &Finding) -> Value {
    let mut doc = to_ocsf(f);
    doc["metadata"]["product"]["version"] = json!("[version]");
    doc
}

fn rule_finding() -> Finding {
    let r = rule(
        "0f1e2d3c-aaaa-4bbb-8ccc-000000000001",
        "IAM Policy Attached to User",
    );
    let mut agg = Aggregator::new();
    for i in 0..3 {
        let mut h = hit(
            &r,
            T0 + i * 20_000_000,
            &format!("evt-{i}"),
            "arn:aws:iam::111122223333:user/mallory",
        );
        h.context.session_issuer = Some("arn:aws:iam::111122223333:role/Admin".to_owned());
        agg.push(h, 3_600_000_000);
    }
    agg.finish().remove(0)
}

#[test]
fn rule_finding_snapshot() {
    let f = rule_finding();
    let doc = stable(&f);
    assert_eq!(doc["class_uid"], 2004);
    assert_eq!(doc["type_uid"], 200401);
    assert_eq!(doc["time"], (T0 + 40_000_000) / 1000);
    assert_eq!(doc["finding_info"]["uid"], f.uid.as_str());
    assert_eq!(
        doc["finding_info"]["attacks"][0]["technique"]["uid"],
        "T1078.004"
    );
    insta::assert_json_snapshot!("rule_finding", doc);
}

#[test]
fn correlation_finding_snapshot() {
    let failed = named_rule(
        "5638f7c0-ac70-491d-8465-2a65075e0d86",
        "failed_login",
        "Console Login Failed",
    );
    let spec = CorrelationSpec {
        info: Arc::new(RuleInfo {
            id: "0e95725d-7320-415d-80f7-004da920fc11".to_owned(),
            name: Some("console_brute_force".to_owned()),
            title: "Console brute force".to_owned(),
            description: "Many failed console logins by one user.".to_owned(),
            level: Level::High,
            tags: vec![
                "attack.credential_access".to_owned(),
                "attack.t1110.001".to_owned(),
            ],
            falsepositives: vec!["A user who forgot their password".to_owned()],
            path: "rules/cloudtrail/correlations/console_brute_force.yml".to_owned(),
            service: None,
            kind: "correlation",
        }),
        kind: CorrelationKind::EventCount,
        rules: vec!["failed_login".to_owned()],
        group_by: vec!["userIdentity.arn".to_owned()],
        timespan_us: 10 * MIN,
        condition: vec![(CmpOp::Gte, 5)],
        value_field: None,
        window: WindowMode::Sliding,
        lateness_us: 5 * MIN,
        generate: false,
    };
    let mut c = Correlator::new(spec);
    for i in 0..6 {
        let id = format!("login-{i}");
        let mut h = hit(
            &failed,
            T0 + i * 30_000_000,
            &id,
            "arn:aws:iam::111122223333:user/bob",
        );
        h.context.operation = Some("ConsoleLogin".to_owned());
        h.context.service = Some("signin.amazonaws.com".to_owned());
        h.context.access_key = None;
        h.context.resources.clear();
        h.evidence = json!({
            "event_id": id,
            "event_name": "ConsoleLogin",
            "event_source": "signin.amazonaws.com",
            "principal_arn": "arn:aws:iam::111122223333:user/bob",
            "principal_type": "IAMUser",
            "source_ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
            "error_message": "Failed authentication",
        })
        .into();
        c.push(&h);
    }
    let f = c.finish().remove(0);
    assert_eq!(f.count, 6);
    insta::assert_json_snapshot!("correlation_finding", stable(&f));
}

#[test]
fn secrets_never_leave() {
    let r = rule("r", "Suspicious request");
    let mut h = hit(&r, T0, "e-1", "arn:aws:iam::1:user/bob");
    h.evidence = json!({
        "event_name": "GetSecretValue",
        "headers": { "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" },
        "request_parameters": { "password": "hunter2", "secretId": "prod/db" },
        "query": "user=bob&api_key=AKIAXXXXSECRETVALUE",
        // Fields an artifact names, not only the event it carries.
        "user_agent": "curl token sEcReTuAgEnT123",
        "error_message": "denied for password=hunter3",
    })
    .into();
    let mut agg = Aggregator::new();
    agg.push(h, 0);
    let mut f = agg.finish().remove(0);
    f.message.push_str(" with password=hunter2");
    let mut line = Vec::new();
    write_ocsf(&f, &mut line).unwrap();
    for text in [to_ocsf(&f).to_string(), String::from_utf8(line).unwrap()] {
        for secret in [
            "hunter2",
            "hunter3",
            "eyJhbGciOiJIUzI1NiJ9",
            "AKIAXXXXSECRETVALUE",
            "sEcReTuAgEnT123",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    let text = to_ocsf(&f).to_string();
    assert!(text.contains("curl token [REDACTED]"), "{text}");
    // Identifiers responders pivot on are kept.
    assert!(text.contains("prod/db"), "{text}");
    assert!(
        text.contains("AKIAIOSFODNN7EXAMPLE"),
        "access key ids are not secrets"
    );
}

#[test]
fn evidence_is_shaped_by_event_kind() {
    let artifact = |v: Value| {
        let e = Evidence::from(v);
        evidence(e.json_text(), e.to_value())
    };
    let ct = artifact(json!({
        "event_name": "ConsoleLogin", "event_source": "signin.amazonaws.com",
        "principal_arn": "arn:aws:iam::1:user/bob", "source_ip": "198.51.100.1",
        "error_code": "Failed authentication", "error_message": "bad password",
    }));
    assert_eq!(ct["api"]["operation"], "ConsoleLogin");
    assert_eq!(ct["api"]["service"]["name"], "signin.amazonaws.com");
    assert_eq!(ct["api"]["response"]["error"], "Failed authentication");
    assert_eq!(ct["actor"]["user"]["name"], "bob");
    assert_eq!(ct["src_endpoint"]["ip"], "198.51.100.1");
    let inv = artifact(json!({
        "function_name": "orders", "http_method": "POST", "path": "/orders",
        "query": "id=1", "status_code": 500, "user_agent": "sqlmap/1.7",
    }));
    assert_eq!(inv["http_request"]["http_method"], "POST");
    assert_eq!(inv["http_request"]["url"]["path"], "/orders");
    assert_eq!(inv["http_request"]["user_agent"], "sqlmap/1.7");
    assert_eq!(inv["http_response"]["code"], 500);
    assert!(inv.get("api").is_none());
    assert_eq!(inv["data"]["function_name"], "orders");
}

#[test]
fn resources_are_typed_from_arns() {
    assert_eq!(
        resource("arn:aws:iam::1:role/Admin"),
        json!({"uid": "arn:aws:iam::1:role/Admin", "name": "Admin", "type": "AWS::IAM::Role"})
    );
    assert_eq!(
        resource("arn:aws:lambda:us-east-1:1:function:orders")["type"],
        "AWS::Lambda::Function"
    );
    assert_eq!(
        resource("arn:aws:lambda:us-east-1:1:function:orders")["name"],
        "orders"
    );
    assert_eq!(
        resource("arn:aws:s3:::logs-bucket")["type"],
        "AWS::S3::Bucket"
    );
    assert_eq!(
        resource("arn:aws:s3:::logs-bucket/a/b.gz")["type"],
        "AWS::S3::Object"
    );
    assert_eq!(
        resource("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCd")["type"],
        "AWS::SecretsManager::Secret"
    );
    assert_eq!(resource("orders"), json!({"name": "orders"}));
}

#[test]
fn anomaly_findings_carry_analyses() {
    let mut info = (*rule("anomaly.invocation_rate", "Invocation rate spike")).clone();
    info.kind = "anomaly";
    info.service = Some(crate::model::Service::Lambda);
    let mut stats = BTreeMap::new();
    stats.insert("metric".to_owned(), json!("invocations_per_5m"));
    stats.insert("observed".to_owned(), json!(940));
    stats.insert("expected".to_owned(), json!(35.5));
    stats.insert("baseline".to_owned(), json!("7-day median per 5 min"));
    stats.insert("p_value".to_owned(), json!(1e-9));
    stats.insert("count".to_owned(), json!("shadowed"));
    let f = Finding {
        uid: "u".to_owned(),
        rule: Arc::new(info),
        level: Level::Medium,
        confidence: 60,
        message: "940 invocations of orders in 5m (expected 35.5)".to_owned(),
        group: BTreeMap::from([("function_name".to_owned(), "orders".to_owned())]),
        window_start_us: T0,
        first_seen_us: T0,
        last_seen_us: T0 + 5 * MIN,
        count: 940,
        related: vec![],
        evidence: vec![],
        context: crate::model::EventContext {
            function: Some("orders".to_owned()),
            ..Default::default()
        },
        stats,
    };
    let doc = to_ocsf(&f);
    let a = &doc["anomaly_analyses"][0];
    assert_eq!(
        a["analysis_targets"][0],
        json!({"name": "orders", "type": "function_name"})
    );
    assert_eq!(a["anomalies"][0]["observations"][0]["value"], "940");
    assert_eq!(
        a["anomalies"][0]["observation_parameter"],
        "invocations_per_5m"
    );
    assert_eq!(a["baselines"][0]["observations"][0]["value"], "35.5");
    assert_eq!(
        a["baselines"][0]["observed_pattern"],
        "7-day median per 5 min"
    );
    assert_eq!(doc["finding_info"]["analytic"]["type"], "Behavioral");
    assert_eq!(doc["confidence"], "Medium");
    assert_eq!(doc["unmapped"]["p_value"], 1e-9);
    assert_eq!(
        doc["unmapped"]["count"], 940,
        "the finding's own fields win"
    );
    assert_eq!(
        doc["resources"][0],
        json!({"name": "orders", "type": "AWS::Lambda::Function"})
    );
    assert_eq!(doc["metadata"]["log_name"], "invocations");
    // A rule finding has none.
    assert!(to_ocsf(&rule_finding()).get("anomaly_analyses").is_none());
}

#[test]
fn lines_keep_finding_order_across_threads() {
    // More findings than one round of chunks, so several rounds and a partial chunk
    // are encoded on different threads.
    let base = rule_finding();
    let findings: Vec<Finding> = (0..(LINES_CHUNK * 5 + 17))
        .map(|i| {
            let mut f = base.clone();
            f.uid = format!("uid-{i:05}");
            f
        })
        .collect();
    let mut serial = Vec::new();
    write_lines(&findings, &mut serial, 1).unwrap();
    let mut parallel = Vec::new();
    write_lines(&findings, &mut parallel, 3).unwrap();
    assert_eq!(serial, parallel);
    let uids: Vec<String> = String::from_utf8(parallel)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["finding_info"]["uid"].to_string())
        .collect();
    assert_eq!(uids.len(), findings.len());
    assert_eq!(uids[0], "\"uid-00000\"");
    assert_eq!(
        uids[LINES_CHUNK * 3],
        format!("\"uid-{:05}\"", LINES_CHUNK * 3)
    );
}

#[test]
fn written_lines_are_the_documents() {
    // Evidence kept as text is copied into the line, not rebuilt: the line must still be
    // the document, secrets redacted, one line even when the event's JSON was not.
    let mut f = rule_finding();
    let n = f.evidence.len();
    f.evidence.push(Evidence::from_json_text(
        "{\"event_name\":\"GetSecretValue\",\n \"request_parameters\":{\"z\":1,\"a\":[true,null]},\"headers\":{\"Authorization\":\"Bearer abcdefghijklmnop\"}}".to_string(),
    ));
    f.evidence.push(Evidence::from(json!(7)));
    let mut line = Vec::new();
    write_ocsf(&f, &mut line).unwrap();
    let text = String::from_utf8(line).unwrap();
    assert!(!text.contains('\n'), "{text}");
    assert!(!text.contains("abcdefghijklmnop"), "{text}");
    let written: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written, to_ocsf(&f));
    assert_eq!(
        written["evidences"][n]["api"]["operation"],
        "GetSecretValue"
    );
    assert_eq!(written["evidences"][n + 1]["data"], 7);
    // Evidence built from documents gives the very bytes of the document.
    let plain = rule_finding();
    let mut line = Vec::new();
    write_ocsf(&plain, &mut line).unwrap();
    assert_eq!(
        String::from_utf8(line).unwrap(),
        to_ocsf(&plain).to_string()
    );
}

#[test]
fn a_failing_writer_stops_the_encoders() {
    // The writer fails on its third write: write_lines returns that error instead of
    // waiting forever on encoders blocked with chunks nobody will take.
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= 1;
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let findings: Vec<Finding> = (0..LINES_CHUNK * 8).map(|_| rule_finding()).collect();
    let err = write_lines(&findings, &mut Full(2), 2).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
}
