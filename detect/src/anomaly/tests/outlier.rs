//! Duration and memory outliers against a 100 ms / 64 MB baseline.

use super::*;
use crate::baseline::{FunctionBaseline, Robust, RuntimeBaseline};

fn outlier_baselines() -> Baselines {
    let mut b = baselines();
    b.functions.insert(
        "parse".into(),
        FunctionBaseline {
            runtime: Some(RuntimeBaseline {
                reports: 10_000,
                starts: 10_000,
                errors: 0,
                timeouts: 0,
                cold_starts: 10,
                duration: Some(Robust {
                    median: 100.0,
                    mad: 5.0,
                    p99: 125.0,
                }),
                memory: Some(Robust {
                    median: 64.0,
                    mad: 2.0,
                    p99: 72.0,
                }),
                memory_mb: Some(256),
            }),
            ..Default::default()
        },
    );
    b
}

fn report(t: i64, id: &str, duration: f64, memory: i64) -> Value {
    let mut r = rt(t, id, "parse", "report");
    r["duration_ms"] = json!(duration);
    r["max_memory_mb"] = json!(memory);
    r["memory_mb"] = json!(256);
    r
}

#[test]
fn slow_invocations_fire() {
    let mut rows: Vec<Value> = (0..60)
        .map(|i| report(T0 + i * SEC, &format!("n{i}"), 95.0 + (i % 10) as f64, 64))
        .collect();
    rows.extend((0..8).map(|i| report(T0 + 61 * SEC + i * SEC, &format!("redos{i}"), 2900.0, 65)));
    let mut d = detector(
        "resource_outlier",
        Some(outlier_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::LambdaRuntime, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["metric"], "duration_ms");
    assert_eq!(f.count, 8);
    assert_eq!(
        f.related,
        (0..8).map(|i| format!("redos{i}")).collect::<Vec<_>>()
    );
    assert!(
        f.stats["score"].as_f64().unwrap() > 300.0,
        "robust z of 2900 ms"
    );
    assert_eq!(f.level, crate::model::Level::High);
}

#[test]
fn memory_bombs_fire_on_memory() {
    let rows: Vec<Value> = (0..10)
        .map(|i| {
            report(
                T0 + i * SEC,
                &format!("b{i}"),
                100.0,
                if i < 4 { 250 } else { 64 },
            )
        })
        .collect();
    let mut d = detector(
        "resource_outlier",
        Some(outlier_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::LambdaRuntime, &rows));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].group["metric"], "max_memory_mb");
}

#[test]
fn normal_spread_and_few_outliers_stay_silent() {
    let mut r = rng(11);
    let mut rows = Vec::new();
    for i in 0..20_000 {
        // Roughly normal around the baseline (σ ≈ 7.4 = MAD / 0.6745), a rare slow one.
        let noise: f64 = (0..12).map(|_| r.random::<f64>()).sum::<f64>() - 6.0;
        let d = if i % 5_000 == 0 {
            900.0
        } else {
            100.0 + 7.4 * noise
        };
        rows.push(report(T0 + i * 2 * SEC, &format!("n{i}"), d, 64));
    }
    let mut d = detector(
        "resource_outlier",
        Some(outlier_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::LambdaRuntime, &rows));
    assert!(found.is_empty(), "{:?}", found.first().map(|f| &f.message));
    // Two outliers in one window: under the minimum support of 3.
    let rows: Vec<Value> = (0..2)
        .map(|i| report(T0 + i * SEC, &format!("s{i}"), 5000.0, 64))
        .collect();
    let mut d = detector(
        "resource_outlier",
        Some(outlier_baselines()),
        &AnomalyConfig::default(),
    );
    assert!(run(d.as_mut(), &batches(Table::LambdaRuntime, &rows)).is_empty());
}
