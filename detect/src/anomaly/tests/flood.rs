//! Invocation flood against a Poisson baseline of 2 invocations a minute.

use super::*;
use crate::baseline::{Activity, FunctionBaseline, Robust, RuntimeBaseline};

/// `orders`: 2 invocations a minute (Poisson) for four weeks, 512 MB, 200 ms.
fn flood_baselines() -> Baselines {
    let mut b = baselines();
    let span = 28 * 24 * 60;
    let f = FunctionBaseline {
        invocations: 2 * span,
        per_minute: Some(Activity::uniform(
            60,
            (T0 / MIN) - span as i64,
            span,
            2.0,
            2.0,
        )),
        runtime: Some(RuntimeBaseline {
            reports: 2 * span,
            starts: 2 * span,
            errors: 0,
            timeouts: 0,
            cold_starts: 10,
            duration: Some(Robust {
                median: 200.0,
                mad: 20.0,
                p99: 400.0,
            }),
            memory: Some(Robust {
                median: 100.0,
                mad: 5.0,
                p99: 130.0,
            }),
            memory_mb: Some(512),
        }),
        ..Default::default()
    };
    b.functions.insert("orders".into(), f);
    b
}

fn invocations(counts: &[u64], window: i64) -> Vec<Value> {
    let mut rows = Vec::new();
    for (w, &n) in counts.iter().enumerate() {
        for k in 0..n {
            let t = T0 + w as i64 * window + (k as i64 * window) / n.max(1) as i64;
            rows.push(inv(
                t,
                &format!("r{w}-{k}"),
                "orders",
                &format!("198.51.100.{}", k % 7),
            ));
        }
    }
    rows
}

#[test]
fn twenty_times_the_rate_fires_with_cost() {
    // Expected 10 in 5 minutes; 200 arrive.
    let rows = invocations(&[200], 5 * MIN);
    let mut d = detector(
        "invocation_flood",
        Some(flood_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["function"], "orders");
    assert!(
        (f.stats["expected"].as_f64().unwrap() - 10.0).abs() < 0.01,
        "{:?}",
        f.stats
    );
    assert_eq!(f.stats["observed"], json!(200.0));
    assert!(f.stats["p_value"].as_f64().unwrap() < 1e-50);
    // 190 extra × 0.2 s × 0.5 GB = 19 GB-s.
    assert!((f.stats["extra_gb_seconds"].as_f64().unwrap() - 19.0).abs() < 1e-6);
    let cost = f.stats["estimated_extra_cost_usd"].as_f64().unwrap();
    assert!(
        (cost - (190.0 * 0.2e-6 + 19.0 * 0.000_016_666_7)).abs() < 1e-9,
        "{cost}"
    );
    assert_eq!(f.level, crate::model::Level::High, "20×");
    assert!(
        f.message.contains("200 times") && f.message.contains("10.0 expected"),
        "{}",
        f.message
    );
}

#[test]
fn ten_thousand_benign_windows_stay_silent() {
    // The statistical gate alone (no minimum support, no minimum ratio): Poisson
    // noise around the baseline never crosses the corrected level.
    let mut cfg = AnomalyConfig::default();
    cfg.flood.min_support = 1;
    cfg.flood.min_ratio = 1.0;
    let mut r = rng(42);
    let counts: Vec<u64> = (0..10_000).map(|_| poisson(&mut r, 10.0)).collect();
    assert!(counts.iter().max().unwrap() > &20, "the noise is real");
    let rows = invocations(&counts, 5 * MIN);
    let mut d = detector("invocation_flood", Some(flood_baselines()), &cfg);
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert!(
        found.is_empty(),
        "{} findings, first: {:?}",
        found.len(),
        found.first().map(|f| &f.message)
    );
}

#[test]
fn minimum_support_and_ratio_are_respected() {
    let rows = invocations(&[200], 5 * MIN);
    let mut cfg = AnomalyConfig::default();
    cfg.flood.min_support = 201;
    let mut d = detector("invocation_flood", Some(flood_baselines()), &cfg);
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
    let mut cfg = AnomalyConfig::default();
    cfg.flood.min_ratio = 25.0;
    let mut d = detector("invocation_flood", Some(flood_baselines()), &cfg);
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}

#[test]
fn bursty_functions_need_a_bigger_surge() {
    // Same mean, variance 30× the mean: 200 in 5 minutes is no longer extreme.
    let mut b = flood_baselines();
    if let Some(a) = b
        .functions
        .get_mut("orders")
        .and_then(|f| f.per_minute.as_mut())
    {
        a.variance = 60.0;
    }
    let rows = invocations(&[120], 5 * MIN);
    let mut d = detector("invocation_flood", Some(b), &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
    let mut d = detector(
        "invocation_flood",
        Some(flood_baselines()),
        &AnomalyConfig::default(),
    );
    assert_eq!(
        run(d.as_mut(), &batches(Table::Invocations, &rows)).len(),
        1
    );
}

#[test]
fn functions_without_a_baseline_are_not_tested() {
    let rows: Vec<Value> = (0..500)
        .map(|i| inv(T0 + i * 100_000, &format!("r{i}"), "new-fn", "198.51.100.1"))
        .collect();
    let mut d = detector(
        "invocation_flood",
        Some(flood_baselines()),
        &AnomalyConfig::default(),
    );
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}
