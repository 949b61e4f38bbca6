//! `tripline detect` and `tripline rules`: OCSF findings with stable uids, grouping of
//! many hits into one finding, suppression, the alerts table, bad rules and bad events,
//! and the embedded rule library's own tests.

use std::path::Path;

use serde_json::{json, Value};

use crate::util::tripline;

/// A rule of our own, so the test does not depend on the library's contents.
const STOP_LOGGING_RULE: &str = r#"
title: Trail stopped (test rule)
id: 5b0c1a64-0000-4000-8000-000000000001
status: test
description: StopLogging, for the CLI tests.
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
  condition: selection
level: high
tags: [attack.defense_evasion, attack.t1562.008]
falsepositives: [Trail maintenance]
"#;

const DENIED_BURST_RULE: &str = r#"
title: Denied call (base)
id: 5b0c1a64-0000-4000-8000-000000000002
name: denied_call
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    errorCode: AccessDenied
  condition: selection
level: low
---
title: AccessDenied across many services (test correlation)
id: 5b0c1a64-0000-4000-8000-000000000003
status: test
correlation:
  type: value_count
  rules: [denied_call]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {gte: 5, field: eventSource}
level: medium
tags: [attack.discovery, attack.t1580]
"#;

fn event(i: usize, name: &str, source: &str, minute: usize, error: Option<&str>) -> Value {
    let mut e = json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/mallory",
                          "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEKEY000001", "userName": "mallory"},
        "eventTime": format!("2024-05-01T10:{:02}:{:02}Z", minute % 60, i % 60),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"name": "main-trail"},
        "responseElements": null,
        "requestID": format!("req-{i}"),
        "eventID": format!("00000000-0000-4000-8000-{i:012}"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management"
    });
    if let Some(code) = error {
        e["errorCode"] = json!(code);
    }
    e
}

fn write_lines(path: &Path, events: &[Value]) {
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn rules_dir(dir: &Path) -> std::path::PathBuf {
    let r = dir.join("rules");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(r.join("stop_logging.yml"), STOP_LOGGING_RULE).unwrap();
    std::fs::write(r.join("denied_burst.yml"), DENIED_BURST_RULE).unwrap();
    r
}

fn detect_lines(args: &[&str]) -> (Vec<Value>, Value) {
    let out = tripline()
        .arg("detect")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "detect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON finding"))
        .collect();
    let err = String::from_utf8(out.stderr).unwrap();
    let summary = serde_json::from_str(&err[err.find('{').expect("JSON summary")..]).unwrap();
    (findings, summary)
}

#[test]
fn thousand_hits_in_one_window_are_one_finding_with_a_stable_uid() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    // 1,000 StopLogging calls by one principal within 17 minutes, plus benign noise.
    let mut events: Vec<Value> = (0..1000)
        .map(|i| event(i, "StopLogging", "cloudtrail.amazonaws.com", i / 60, None))
        .collect();
    events.extend(
        (1000..1100).map(|i| event(i, "DescribeTrails", "cloudtrail.amazonaws.com", 5, None)),
    );
    let input = tmp.path().join("events.jsonl");
    write_lines(&input, &events);
    let args = [input.to_str().unwrap(), "--rules", rules.to_str().unwrap()];
    let (a, summary) = detect_lines(&args);
    assert_eq!(a.len(), 1, "one finding: {a:#?}");
    let f = &a[0];
    assert_eq!(f["class_uid"], 2004);
    assert_eq!(
        f["finding_info"]["analytic"]["uid"],
        "5b0c1a64-0000-4000-8000-000000000001"
    );
    assert_eq!(f["unmapped"]["count"], 1000);
    assert_eq!(
        f["finding_info"]["attacks"][0]["technique"]["uid"],
        "T1562.008"
    );
    assert_eq!(f["cloud"]["account"]["uid"], "111122223333");
    assert!(
        f["finding_info"]["related_events"]
            .as_array()
            .unwrap()
            .len()
            <= 50
    );
    assert_eq!(summary["events"]["cloudtrail"], 1100);
    assert_eq!(summary["findings"], 1);
    // Same input, same uid.
    let (b, _) = detect_lines(&args);
    assert_eq!(f["finding_info"]["uid"], b[0]["finding_info"]["uid"]);
}

#[test]
fn correlation_fires_on_denials_across_many_services_only() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    let services = ["iam", "s3", "ec2", "lambda", "kms", "sts"];
    let burst: Vec<Value> = services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            event(
                i,
                "ListThings",
                &format!("{s}.amazonaws.com"),
                20 + i,
                Some("AccessDenied"),
            )
        })
        .collect();
    // The same denials spread over an hour: never 5 services within 10 minutes.
    let spread: Vec<Value> = services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut e = event(
                100 + i,
                "ListThings",
                &format!("{s}.amazonaws.com"),
                0,
                Some("AccessDenied"),
            );
            e["eventTime"] = json!(format!("2024-05-02T{:02}:00:00Z", 10 + i));
            e
        })
        .collect();
    for (events, want) in [(burst, 1), (spread, 0)] {
        let input = tmp.path().join("denied.jsonl");
        write_lines(&input, &events);
        let (f, _) = detect_lines(&[input.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
        assert_eq!(f.len(), want, "{f:#?}");
    }
}

#[test]
fn allowlist_suppresses_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    let input = tmp.path().join("events.jsonl");
    write_lines(
        &input,
        &[event(1, "StopLogging", "cloudtrail.amazonaws.com", 1, None)],
    );
    let allow = tmp.path().join("allow.yml");
    std::fs::write(
        &allow,
        "- rule: 5b0c1a64-0000-4000-8000-000000000001\n  principal: 'arn:aws:iam::*:user/mallory'\n  expires: 2999-01-01\n  reason: trail maintenance by the platform team\n",
    )
    .unwrap();
    let (f, s) = detect_lines(&[
        input.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--allowlist",
        allow.to_str().unwrap(),
    ]);
    assert!(f.is_empty());
    assert_eq!(s["suppressed"], 1);
}

#[test]
fn findings_land_in_the_alerts_table() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    let input = tmp.path().join("events.jsonl");
    write_lines(
        &input,
        &[event(1, "StopLogging", "cloudtrail.amazonaws.com", 1, None)],
    );
    let lake = tmp.path().join("lake");
    for _ in 0..2 {
        let (f, _) = detect_lines(&[
            input.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--alerts-lake",
            lake.to_str().unwrap(),
        ]);
        assert_eq!(f.len(), 1);
    }
    // Twice the same input: still one row (same uid, same file).
    let rows = crate::util::query_csv(&lake, "SELECT count(*) AS n, min(rule_id) AS r FROM alerts");
    assert_eq!(rows[0], "1,5b0c1a64-0000-4000-8000-000000000001");
}

#[test]
fn bad_rule_is_skipped_with_its_name_and_bad_event_is_quarantined() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    std::fs::write(
        rules.join("broken.yml"),
        "title: broken\nid: 5b0c1a64-0000-4000-8000-0000000000ff\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|nosuchmodifier: x\n  condition: sel\nlevel: low\n",
    )
    .unwrap();
    let input = tmp.path().join("events.jsonl");
    let mut text = format!(
        "{}\n",
        event(1, "StopLogging", "cloudtrail.amazonaws.com", 1, None)
    );
    text.push_str("{\"eventName\": \"truncated\n");
    std::fs::write(&input, text).unwrap();
    let q = tmp.path().join("q");
    let out = tripline()
        .args([
            "detect",
            input.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--quarantine",
            q.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.yml:6"),
        "names the file and line: {err}"
    );
    assert!(err.contains("nosuchmodifier"), "names the construct: {err}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "the good rule still ran"
    );
    let summary: Value = serde_json::from_str(&err[err.find('{').unwrap()..]).unwrap();
    assert_eq!(summary["records_quarantined"], 1);
    let lint = tripline()
        .args(["rules", "lint", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(lint.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&lint.stdout).contains("broken.yml:6"));
}

#[test]
fn embedded_library_passes_its_own_tests() {
    let out = tripline().args(["rules", "test"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(out.status.success(), "rule tests failed:\n{text}");
    assert!(last.contains(" passed, 0 failed ("), "{last}");
    let n: usize = last
        .split('(')
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert!(n >= 50, "the library has at least 50 rules: {last}");
}

#[test]
fn rules_list_json_names_every_rule_with_techniques() {
    let out = tripline()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list.len() >= 50);
    for r in &list {
        assert!(r["id"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
        assert!(["informational", "low", "medium", "high", "critical"]
            .contains(&r["level"].as_str().unwrap()));
    }
    let with_technique = list
        .iter()
        .filter(|r| r["techniques"].as_array().is_some_and(|t| !t.is_empty()))
        .count();
    assert_eq!(with_technique, list.len(), "every rule maps to ATT&CK");
}

/// Quarantine lines of a run, as (line, offset), sorted.
fn quarantine_positions(dir: &Path) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            for l in std::fs::read_to_string(&path).unwrap().lines() {
                let v: Value = serde_json::from_str(l).unwrap();
                out.push((v["line"].as_u64().unwrap(), v["offset"].as_u64().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn large_jsonl_file_read_in_ranges_gives_what_one_pass_gives() {
    // Over 32 MiB of JSON lines: on two cores or more the file is parsed in ranges.
    // The same bytes gzipped are always read in one pass, so the two runs must agree on
    // findings, counts and every quarantined record's line and offset.
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_dir(tmp.path());
    let pad = "p".repeat(600);
    let mut text = String::new();
    let mut bad = Vec::new();
    let lines = 34_000;
    for i in 0..lines {
        let line_no = i + 1;
        if line_no == 7 || line_no == lines - 3 {
            bad.push((line_no as u64, text.len() as u64));
            text.push_str("{\"eventName\": \"truncated\n");
            continue;
        }
        let minute = i * 60 / lines;
        let mut e = match i % 5000 {
            0 => event(i, "StopLogging", "cloudtrail.amazonaws.com", minute, None),
            1..=6 => event(
                i,
                "Describe",
                &format!("svc{}.amazonaws.com", i % 5000),
                minute,
                Some("AccessDenied"),
            ),
            _ => event(i, "GetObject", "s3.amazonaws.com", minute, None),
        };
        e["requestParameters"]["pad"] = json!(pad);
        text.push_str(&format!("{e}\n"));
    }
    assert!(text.len() > 32 << 20, "{} bytes", text.len());
    let plain = tmp.path().join("big.jsonl");
    std::fs::write(&plain, &text).unwrap();
    let gz = tmp.path().join("big.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
    enc.finish().unwrap();

    let run = |input: &Path, q: &Path| {
        detect_lines(&[
            input.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--quarantine",
            q.to_str().unwrap(),
        ])
    };
    let (q1, q2) = (tmp.path().join("q-plain"), tmp.path().join("q-gz"));
    let (f1, s1) = run(&plain, &q1);
    let (f2, s2) = run(&gz, &q2);
    let uids = |f: &[Value]| -> Vec<(String, u64)> {
        f.iter()
            .map(|x| {
                (
                    x["finding_info"]["uid"].as_str().unwrap().to_string(),
                    x["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(uids(&f1), uids(&f2));
    assert_eq!(s1["hits_by_rule"]["Trail stopped (test rule)"], 7);
    // 7 bursts of 6 denials, one of which line 7 (a broken record) replaced.
    assert_eq!(s1["hits_by_rule"]["Denied call (base)"], 41);
    let titles: std::collections::BTreeSet<&str> = f1
        .iter()
        .map(|f| f["finding_info"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles.len(),
        2,
        "the rule and the correlation fire: {titles:?}"
    );
    for key in [
        "records_in",
        "records_quarantined",
        "events",
        "hits_by_rule",
    ] {
        assert_eq!(s1[key], s2[key], "{key}");
    }
    assert_eq!(s1["records_in"], lines as u64);
    assert_eq!(s1["records_quarantined"], 2);
    assert_eq!(quarantine_positions(&q1), bad);
    assert_eq!(quarantine_positions(&q2), bad);
}
