//! The pipeline over a real lake on disk (Parquet in the `table=/date=` layout) and
//! over unordered batches: every table reaches the detectors, in one clock.

use std::path::Path;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use serde_json::{json, Value};
use tripline_ingest::Table;

use super::*;
use crate::baseline::sql::literal as ts;
use crate::baseline::tests::batch;
use crate::engine::RuleSet;
use crate::model::Level;

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000_000;
const SEC: i64 = 1_000_000;

fn no_rules() -> Arc<RuleSet> {
    Arc::new(RuleSet::default())
}

/// Writes `rows` of `table` into the lake as one Parquet file of the day's partition.
fn write(lake: &Path, table: Table, rows: &[Value]) {
    let dir = lake
        .join(format!("table={}", table.name()))
        .join("date=2024-01-01");
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let file = std::fs::File::create(dir.join("part-0.parquet")).expect("temp dir is writable");
    let b = batch(table.schema(), rows);
    let mut w = ArrowWriter::try_new(file, b.schema(), None).expect("valid schema");
    w.write(&b).expect("batch matches");
    w.close().expect("file is writable");
}

/// A failed login (HTTP 401) to the `auth` function from `ip`.
fn failed_login(t: i64, k: usize, ip: &str) -> Value {
    json!({
        "time": ts(t), "account_id": "111122223333", "region": "us-east-1",
        "function_name": "auth", "request_id": format!("a{k}"), "trigger": "apigw_http",
        "source_ip": ip, "http_method": "POST", "path": "/login",
        "auth_principal": format!("victim{}", k % 30), "status_code": 401, "source": "t@0",
    })
}

/// Password spraying: 60 failed logins for 30 users from one address in 5 minutes.
fn spraying() -> Vec<Value> {
    (0..60)
        .map(|k| failed_login(T0 + k as i64 * 5 * SEC, k, "198.51.100.13"))
        .collect()
}

fn cloudtrail(t: i64, id: &str) -> Value {
    json!({
        "event_time": ts(t), "event_id": id, "event_source": "s3.amazonaws.com",
        "event_name": "ListBuckets", "aws_region": "us-east-1", "account_id": "111122223333",
        "source_ip": "203.0.113.7", "principal_arn": "arn:aws:iam::111122223333:user/ops",
        "source": "t@0",
    })
}

fn runtime(t: i64, id: &str) -> Value {
    json!({"time": ts(t), "function_name": "auth", "request_id": id, "kind": "report",
           "duration_ms": 12.5, "source": "t@0"})
}

fn lake_run(lake: &Path, cfg: PipelineConfig) -> PipelineOutput {
    let input = Input::Lake {
        dir: lake.to_path_buf(),
        from: None,
        to: None,
    };
    detect(&input, cfg).expect("the lake is readable").output
}

fn brute_force_sources(findings: &[crate::model::Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.rule.id.ends_with("brute_force"))
        .filter_map(|f| f.group.get("source_ip").cloned())
        .collect()
}

/// Regression (issue 21): the lake input read `cloudtrail` and `invocations` only, so
/// no `lambda_runtime` row ever reached a rule or a detector.
#[test]
fn the_lake_input_reads_every_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), Table::CloudTrail, &[cloudtrail(T0, "e1")]);
    write(
        dir.path(),
        Table::Invocations,
        &[failed_login(T0, 1, "192.0.2.1")],
    );
    write(
        dir.path(),
        Table::LambdaRuntime,
        &[runtime(T0, "r1"), runtime(T0 + SEC, "r2")],
    );
    let out = lake_run(dir.path(), PipelineConfig::new(no_rules()));
    let events = &out.report.events;
    assert_eq!(events.get("cloudtrail"), Some(&1), "{events:?}");
    assert_eq!(events.get("invocations"), Some(&1), "{events:?}");
    assert_eq!(events.get("lambda_runtime"), Some(&2), "{events:?}");
}

/// Regression (issue 21): tables were read one after the other, so a detector that
/// keeps one clock over CloudTrail and invocations (brute force) saw every invocation
/// behind the last CloudTrail event's time and dropped it as late.
#[test]
fn detectors_see_tables_in_one_clock() {
    let dir = tempfile::tempdir().expect("temp dir");
    // CloudTrail goes on for two hours after the spraying.
    let ct: Vec<Value> = (0..120)
        .map(|m| cloudtrail(T0 + m * 60 * SEC, &format!("e{m}")))
        .collect();
    write(dir.path(), Table::CloudTrail, &ct);
    write(dir.path(), Table::Invocations, &spraying());
    let out = lake_run(dir.path(), PipelineConfig::new(no_rules()));
    assert_eq!(
        brute_force_sources(&out.findings),
        vec!["198.51.100.13".to_string()],
        "{:#?}",
        out.findings
    );
}

/// Files are read in parallel: batches come in any order. Detectors still see them
/// in time order, because the pipeline sorts their input.
#[test]
fn unordered_input_is_reordered_for_the_detectors() {
    let mut cfg = PipelineConfig::new(no_rules());
    cfg.order = InputOrder::Any;
    let mut p = Pipeline::new(cfg).expect("pipeline");
    let ct: Vec<Value> = (0..120)
        .map(|m| cloudtrail(T0 + m * 60 * SEC, &format!("e{m}")))
        .collect();
    let mut rows = spraying();
    rows.reverse();
    let batches: Vec<(Table, RecordBatch)> = vec![
        (Table::CloudTrail, batch(Table::CloudTrail.schema(), &ct)),
        (
            Table::Invocations,
            batch(Table::Invocations.schema(), &rows[..30]),
        ),
        (
            Table::Invocations,
            batch(Table::Invocations.schema(), &rows[30..]),
        ),
    ];
    for (t, b) in &batches {
        p.process(*t, b).expect("well-formed batch");
    }
    let out = p.finish().expect("finishes");
    assert_eq!(
        brute_force_sources(&out.findings),
        vec!["198.51.100.13".to_string()]
    );
    assert_eq!(out.report.events.get("invocations"), Some(&60));
}

/// Minimum level and allowlist are applied once, in the pipeline, and counted.
#[test]
fn min_level_and_allowlist_are_applied_and_counted() {
    let run = |min: Level, allow: Option<&str>| {
        let mut cfg = PipelineConfig::new(no_rules());
        cfg.min_level = min;
        cfg.allowlist = allow.map(|y| {
            crate::suppress::Allowlist::from_yaml(y, Path::new("test.yml")).expect("valid")
        });
        let mut p = Pipeline::new(cfg).expect("pipeline");
        p.process(
            Table::Invocations,
            &batch(Table::Invocations.schema(), &spraying()),
        )
        .expect("well-formed batch");
        p.finish().expect("finishes")
    };
    let all = run(Level::Informational, None);
    assert!(!all.findings.is_empty());
    let critical = run(Level::Critical, None);
    assert_eq!(
        critical.report.below_min_level as usize + critical.findings.len(),
        all.findings.len()
    );
    assert!(critical.findings.iter().all(|f| f.level == Level::Critical));
    let id = &all.findings[0].rule.id;
    let allow = format!("- rule: {id}\n  reason: test\n  expires: 2999-01-01\n");
    let allowed = run(Level::Informational, Some(&allow));
    let of_rule = all.findings.iter().filter(|f| &f.rule.id == id).count();
    assert_eq!(allowed.report.suppressed as usize, of_rule);
    assert!(allowed.findings.iter().all(|f| &f.rule.id != id));
}

/// The findings are ordered once: by first seen, then uid.
#[test]
fn findings_come_out_ordered() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), Table::Invocations, &spraying());
    let out = lake_run(dir.path(), PipelineConfig::new(no_rules()));
    let keys: Vec<(i64, &str)> = out
        .findings
        .iter()
        .map(|f| (f.first_seen_us, f.uid.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

/// Sinks acknowledge what they made durable.
#[test]
fn sinks_acknowledge_what_they_wrote() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), Table::Invocations, &spraying());
    let out = lake_run(dir.path(), PipelineConfig::new(no_rules()));
    let n = out.findings.len() as u64;
    assert!(n > 0);
    let mut lines = OcsfLines::new(Vec::new(), 1);
    lines.write(&out.findings).expect("in memory");
    assert_eq!(lines.flush().expect("in memory"), n);
    let mut table = FindingTable::new(Vec::new());
    table.write(&out.findings).expect("in memory");
    assert_eq!(table.flush().expect("in memory"), n);
    let mut alerts = AlertsTable::new(dir.path());
    alerts.write(&out.findings).expect("buffered");
    assert_eq!(alerts.flush().expect("written"), n);
    assert!(dir.path().join("table=alerts").is_dir());
}
