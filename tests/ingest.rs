//! `tripline ingest` end to end.

use std::io::Write;

use crate::util::*;

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

#[test]
fn every_cloudtrail_form_is_recognised_by_content() {
    let lake = tempfile::tempdir().unwrap();
    let s = ingest_json(&[&fixture("cloudtrail")], lake.path());
    assert_conservation(&s);
    // 4 (S3 layout gz) + 2 (pretty) + 4 (edge cases, .json holding JSON lines) + 2 (array)
    // + 2 (EventBridge) + 2 (Logstash) + 3 (CloudWatch Logs) + 1 (good line among bad ones)
    // + the records before the damage of the truncated gzip.
    let before_damage = query_csv(
        lake.path(),
        "SELECT count(*) FROM cloudtrail WHERE event_id LIKE 'trunc-%'",
    )[0]
    .parse::<u64>()
    .unwrap();
    assert!(
        before_damage > 100,
        "records before the gzip damage are kept: {before_damage}"
    );
    assert_eq!(
        n(&s["records_stored"]["cloudtrail"]),
        20 + before_damage,
        "{s:#}"
    );
    assert_eq!(
        n(&s["records_stored"]["lambda_runtime"]),
        3,
        "START/END/REPORT from the Lambda log group: {s:#}"
    );
    assert_eq!(
        n(&s["records_skipped"]["CloudWatch Logs control message"]),
        1
    );
    // 6 bad lines + the record cut by the damage.
    assert_eq!(n(&s["records_quarantined"]), 7, "{s:#}");
    assert_eq!(s["damaged_sources"].as_array().unwrap().len(), 1);
    assert!(s["damaged_sources"][0]
        .as_str()
        .unwrap()
        .contains("truncated.jsonl.gz"));
}

#[test]
fn canonical_columns_are_filled() {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(
        &[
            &fixture("cloudtrail/edge-cases.json"),
            &fixture("cloudtrail/AWSLogs"),
        ],
        lake.path(),
    );
    let rows = query_csv(
        lake.path(),
        "SELECT event_id, principal_type, session_name, session_issuer_arn, error_code, error_message IS NULL, \
         request_parameters IS NULL, length(request_parameters) > 100000, date FROM cloudtrail ORDER BY event_id",
    );
    assert!(rows.contains(&"ct-0102,AssumedRole,orders-fn,arn:aws:iam::111122223333:role/orders-fn-role,AccessDeniedException,true,false,false,2024-03-01".to_string()), "{rows:#?}");
    assert!(rows.contains(&"ct-0103,AssumedRole,orders-fn,arn:aws:iam::111122223333:role/orders-fn-role,,true,true,,2024-03-01".to_string()), "{rows:#?}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("ct-big-0001,IAMUser,,,,true,false,true,")),
        "event over 100 KB kept whole: {rows:#?}"
    );
    assert!(
        rows.contains(&"ct-0104,IAMUser,,,,true,false,false,2024-03-02".to_string()),
        "partitioned by event date: {rows:#?}"
    );
    let svc = query_csv(lake.path(), "SELECT principal_type, principal_arn, invoked_by FROM cloudtrail WHERE event_id = 'ct-0003'");
    assert_eq!(
        svc,
        ["AWSService,lambda.amazonaws.com,lambda.amazonaws.com"]
    );
}

#[test]
fn secrets_never_reach_the_lake() {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(&[&fixture("cloudtrail/AWSLogs")], lake.path());
    let r = query_csv(
        lake.path(),
        "SELECT response_elements FROM cloudtrail WHERE event_id = 'ct-0003'",
    );
    assert!(
        r[0].contains("ASIAEXAMPLEFNKEY0001"),
        "access key ids are kept for pivots: {r:?}"
    );
    assert!(
        !r[0].contains("IQoJb3JpZ2lu"),
        "session tokens are redacted: {r:?}"
    );
    for f in parquet_files(lake.path()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!bytes.windows(12).any(|w| w == b"IQoJb3JpZ2lu"), "{f:?}");
    }
}

#[test]
fn quarantine_lines_name_reason_source_and_position() {
    let lake = tempfile::tempdir().unwrap();
    let s = ingest_json(&[&fixture("cloudtrail/bad-records.jsonl")], lake.path());
    assert_conservation(&s);
    assert_eq!(n(&s["records_in"]), 7);
    assert_eq!(n(&s["records_quarantined"]), 6);
    let qdir = lake.path().join("_quarantine");
    let lines: Vec<serde_json::Value> = std::fs::read_dir(&qdir)
        .unwrap()
        .flat_map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lines.len(), 6);
    let by_line = |l: u64| {
        lines
            .iter()
            .find(|q| q["line"] == l)
            .unwrap_or_else(|| panic!("line {l} in {lines:#?}"))
    };
    assert!(by_line(1)["reason"]
        .as_str()
        .unwrap()
        .contains("not-a-time"));
    assert!(by_line(2)["reason"].as_str().unwrap().contains("line 2"));
    assert_eq!(by_line(4)["kind"], "unrecognised");
    assert!(by_line(6)["reason"]
        .as_str()
        .unwrap()
        .contains("userIdentity"));
    assert_eq!(by_line(7)["kind"], "undecodable_envelope");
    for q in &lines {
        assert!(q["source"].as_str().unwrap().ends_with("bad-records.jsonl"));
        assert!(q["offset"].as_u64().is_some() && !q["raw"].as_str().unwrap().is_empty());
    }
    // Offsets point at the record in the file.
    let text = std::fs::read_to_string(fixture("cloudtrail/bad-records.jsonl")).unwrap();
    let off = by_line(4)["offset"].as_u64().unwrap() as usize;
    assert!(text[off..].starts_with("{\"hello\""));
}

#[test]
fn ingesting_the_same_source_twice_adds_nothing() {
    let lake = tempfile::tempdir().unwrap();
    let first = ingest_json(
        &[
            &fixture("cloudtrail/AWSLogs"),
            &fixture("cloudtrail/pretty-delivery.json"),
        ],
        lake.path(),
    );
    assert_eq!(n(&first["sources_ingested"]), 2);
    let again = ingest_json(
        &[
            &fixture("cloudtrail/AWSLogs"),
            &fixture("cloudtrail/pretty-delivery.json"),
        ],
        lake.path(),
    );
    assert_eq!(n(&again["sources_already_in_lake"]), 2, "{again:#}");
    assert_eq!(n(&again["records_in"]), 0);
    // A copy under another name (re-downloaded) is recognised by its content.
    let copy = tempfile::tempdir().unwrap();
    let p = copy.path().join("renamed.json");
    std::fs::copy(fixture("cloudtrail/pretty-delivery.json"), &p).unwrap();
    let third = ingest_json(&[&p], lake.path());
    assert_eq!(n(&third["sources_already_in_lake"]), 1, "{third:#}");
    assert_eq!(
        query_csv(lake.path(), "SELECT count(*) FROM cloudtrail"),
        ["6"]
    );
}

#[test]
fn a_crash_before_the_manifest_does_not_duplicate_rows() {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(&[&fixture("cloudtrail/AWSLogs")], lake.path());
    // Simulate a crash after the data files were renamed but before the manifest
    // entry was written, plus a half-written staging file.
    for e in std::fs::read_dir(lake.path().join("_manifest")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let staging = lake.path().join("_staging/1234-dead");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(
        staging.join("cloudtrail-2024-03-01.parquet"),
        b"PAR1 partial",
    )
    .unwrap();
    let s = ingest_json(&[&fixture("cloudtrail/AWSLogs")], lake.path());
    assert_eq!(n(&s["sources_ingested"]), 1);
    assert_eq!(
        query_csv(lake.path(), "SELECT count(*) FROM cloudtrail"),
        ["4"]
    );
}

#[test]
fn stdin_is_a_source() {
    let lake = tempfile::tempdir().unwrap();
    let data = std::fs::read(fixture("cloudtrail/logstash.jsonl")).unwrap();
    let out = tripline()
        .args(["ingest", "-", "--json", "--lake"])
        .arg(lake.path())
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&s["records_stored"]["cloudtrail"]), 2);
    let src = query_csv(
        lake.path(),
        "SELECT DISTINCT source FROM cloudtrail ORDER BY source",
    );
    assert_eq!(
        src,
        [
            "-@0",
            format!("-@{}", data.iter().position(|b| *b == b'\n').unwrap() + 1).as_str()
        ]
    );
}

#[test]
fn human_summary_states_the_conservation_law() {
    let lake = tempfile::tempdir().unwrap();
    let out = tripline()
        .arg("ingest")
        .arg(fixture("cloudtrail/bad-records.jsonl"))
        .arg("--lake")
        .arg(lake.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("records in 7 = stored 1 + quarantined 6 + skipped 0\n"),
        "{text}"
    );
    assert!(text.contains("quarantine: "), "{text}");
}

#[test]
fn unreadable_input_fails_with_its_path_and_exit_code_1() {
    let lake = tempfile::tempdir().unwrap();
    let out = tripline()
        .args(["ingest", "/no/such/file.json", "--lake"])
        .arg(lake.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/file.json"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let out = tripline().args(["ingest", "x.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "missing --lake");
}

#[test]
fn memory_stays_bounded_on_a_large_stream() {
    // 60 MB of JSON lines through stdin: the splitter must not buffer the stream.
    let lake = tempfile::tempdir().unwrap();
    let line = std::fs::read_to_string(fixture("cloudtrail/logstash.jsonl")).unwrap();
    let first = line.lines().next().unwrap().to_string() + "\n";
    let mut data = Vec::with_capacity(61 << 20);
    while data.len() < 60 << 20 {
        data.write_all(first.as_bytes()).unwrap();
    }
    let records = data.len() / first.len();
    let out = tripline()
        .args(["ingest", "-", "--json", "--lake"])
        .arg(lake.path())
        .write_stdin(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&s["records_stored"]["cloudtrail"]) as usize, records);
}

#[test]
fn format_restricts_the_family_and_quarantines_the_rest() {
    let lake = tempfile::tempdir().unwrap();
    let out = tripline()
        .arg("ingest")
        .arg(fixture("cloudtrail/cwl-subscription.jsonl"))
        .args(["--format", "lambda", "--json", "--lake"])
        .arg(lake.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_conservation(&s);
    assert_eq!(n(&s["records_stored"]["lambda_runtime"]), 3);
    assert_eq!(
        n(&s["records_quarantined"]),
        3,
        "the CloudTrail events are refused, not dropped: {s:#}"
    );
    assert!(s["records_stored"].get("cloudtrail").is_none());
}

#[test]
fn every_lambda_form_lands_in_its_table() {
    let lake = tempfile::tempdir().unwrap();
    let s = ingest_json(&[&fixture("lambda")], lake.path());
    assert_conservation(&s);
    let triggers = query_csv(
        lake.path(),
        "SELECT DISTINCT trigger FROM invocations ORDER BY 1",
    );
    assert_eq!(
        triggers,
        [
            "apigw_http",
            "apigw_rest",
            "eventbridge",
            "function_url",
            "s3",
            "sns",
            "sqs"
        ]
    );
    let kinds = query_csv(
        lake.path(),
        "SELECT DISTINCT kind FROM lambda_runtime ORDER BY 1",
    );
    for k in ["end", "error", "init", "report", "start", "timeout"] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    // Platform lines and ALB events carry no time of their own: alone in a file they
    // are quarantined (saying so), never stored with an invented time.
    assert_eq!(
        n(&s["quarantined_by_kind"]["missing_or_invalid_field"]),
        n(&s["records_quarantined"])
    );
    let secrets = query_csv(lake.path(), "SELECT count(*) FROM invocations WHERE headers LIKE '%Bearer %' OR payload LIKE '%Bearer ey%'");
    assert_eq!(secrets, ["0"], "Authorization headers are redacted");
    // One injection template sprayed with different values has one shape.
    let shapes = query_csv(
        lake.path(),
        "SELECT count(DISTINCT payload_shape), count(*) FROM invocations WHERE function_name = 'search' AND query LIKE '%OR%'",
    );
    assert_eq!(shapes, ["1,2"], "{shapes:?}");
}
