//! Error and timeout spikes against a 0.5 % baseline error rate.

use super::*;
use crate::baseline::{FunctionBaseline, RuntimeBaseline};

fn error_baselines() -> Baselines {
    let mut b = baselines();
    b.functions.insert(
        "orders".into(),
        FunctionBaseline {
            invocations: 100_000,
            with_status: 100_000,
            status_5xx: 100,
            status_4xx: 2_000,
            runtime: Some(RuntimeBaseline {
                reports: 100_000,
                starts: 100_000,
                errors: 500,
                timeouts: 10,
                cold_starts: 100,
                duration: None,
                memory: None,
                memory_mb: Some(128),
            }),
            ..Default::default()
        },
    );
    b
}

/// One window of `reports` invocations, `errors` of them logging an error twice
/// (two lines, one invocation) and `timeouts` timing out.
fn window(start: i64, reports: u64, errors: u64, timeouts: u64, tag: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    for k in 0..reports {
        let t = start + k as i64 * 100_000;
        let id = format!("{tag}-{k}");
        rows.push(rt(t, &id, "orders", "report"));
        if k < errors {
            rows.push(rt(t + 1, &id, "orders", "error"));
            rows.push(rt(t + 2, &id, "orders", "error"));
        } else if k < errors + timeouts {
            rows.push(rt(t + 1, &id, "orders", "timeout"));
        }
    }
    rows
}

#[test]
fn error_spike_fires_and_counts_invocations_not_lines() {
    let rows = window(T0, 200, 40, 0, "w");
    let mut d = detector(
        "error_spike",
        Some(error_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::LambdaRuntime, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["outcome"], "error");
    assert_eq!(
        f.stats["observed"],
        json!(40.0),
        "40 invocations, 80 error lines"
    );
    assert_eq!(f.stats["trials"], json!(200));
    assert!((f.stats["baseline_rate"].as_f64().unwrap() - 0.005).abs() < 0.001);
    assert!(f.stats["p_value"].as_f64().unwrap() < 1e-20);
    assert!(f.message.contains("40 error of 200"), "{}", f.message);
}

#[test]
fn timeouts_and_5xx_are_separate_outcomes() {
    let mut rows = window(T0, 100, 0, 30, "t");
    let status: Vec<Value> = (0..100)
        .map(|i| {
            let mut r = inv(T0 + i * SEC, &format!("s{i}"), "orders", "198.51.100.1");
            r["status_code"] = json!(if i < 25 { 502 } else { 200 });
            r
        })
        .collect();
    rows.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let mut input = batches(Table::LambdaRuntime, &rows);
    input.extend(batches(Table::Invocations, &status));
    let mut d = detector(
        "error_spike",
        Some(error_baselines()),
        &AnomalyConfig::default(),
    );
    let mut outcomes: Vec<String> = run(d.as_mut(), &input)
        .iter()
        .map(|f| f.group["outcome"].clone())
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, ["5xx", "timeout"]);
}

#[test]
fn benign_windows_stay_silent() {
    let mut cfg = AnomalyConfig::default();
    cfg.errors.min_support = 1;
    cfg.errors.min_ratio = 1.0;
    let mut r = rng(3);
    let mut rows = Vec::new();
    for w in 0..2_000 {
        let errors = binomial(&mut r, 50, 0.005);
        rows.extend(window(T0 + w * 5 * MIN, 50, errors, 0, &format!("w{w}")));
    }
    let mut d = detector("error_spike", Some(error_baselines()), &cfg);
    let found = run(d.as_mut(), &batches(Table::LambdaRuntime, &rows));
    assert!(found.is_empty(), "{:?}", found.first().map(|f| &f.message));
}

#[test]
fn minimum_support_and_ratio_are_respected() {
    // 5 errors in 20 invocations (25 %): significant, and exactly the minimum support.
    let rows = window(T0, 20, 5, 0, "m");
    let mut d = detector(
        "error_spike",
        Some(error_baselines()),
        &AnomalyConfig::default(),
    );
    assert_eq!(
        run(d.as_mut(), &batches(Table::LambdaRuntime, &rows)).len(),
        1
    );
    let mut cfg = AnomalyConfig::default();
    cfg.errors.min_support = 6;
    let mut d = detector("error_spike", Some(error_baselines()), &cfg);
    assert!(run(d.as_mut(), &batches(Table::LambdaRuntime, &rows)).is_empty());
    let mut cfg = AnomalyConfig::default();
    cfg.errors.min_ratio = 50.0;
    let mut d = detector("error_spike", Some(error_baselines()), &cfg);
    assert!(
        run(d.as_mut(), &batches(Table::LambdaRuntime, &rows)).is_empty(),
        "25 % < 50 × 0.6 %"
    );
}
