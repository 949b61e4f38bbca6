//! Spray: attack-bearing bursts, low-and-slow distributed sprays, rare shapes.

use super::*;
use crate::baseline::FunctionBaseline;

const SQLI: &str = "GET {path:/a,query:{q:' or 0=0--}}";
const TRAVERSAL: &str = "GET {path:/a,query:{file:../../etc/passwd}}";
const NORMAL: &str = "GET {path:/a,query:{id:<int>}}";

fn shaped(t: i64, i: usize, source: &str, shape: &str) -> Value {
    let mut r = inv(t, &format!("req-{i}"), "orders", source);
    r["payload_shape"] = json!(shape);
    r
}

/// Baselines where `orders` received exactly the `known` shapes.
fn with_shapes(known: &[(&str, u64)]) -> Baselines {
    let mut b = baselines();
    let mut f = FunctionBaseline::default();
    for (shape, n) in known {
        f.shapes.insert((*shape).to_owned(), *n);
        f.shaped += n;
    }
    f.distinct_shapes = known.len() as u64;
    f.invocations = f.shaped;
    b.functions.insert("orders".into(), f);
    b
}

#[test]
fn burst_of_an_attack_shape_from_one_source_fires_without_baselines() {
    let mut rows: Vec<Value> = (0..30)
        .map(|i| shaped(T0 + i as i64 * 5 * SEC, i, "198.51.100.9", SQLI))
        .collect();
    // Normal traffic from many users around it.
    rows.extend((0..200).map(|i| {
        shaped(
            T0 + i as i64 * SEC,
            1000 + i,
            &format!("192.0.2.{}", i % 50),
            NORMAL,
        )
    }));
    rows.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let mut d = detector("spray", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["mode"], "burst");
    assert_eq!(f.group["source_ip"], "198.51.100.9");
    assert_eq!(f.group["payload_shape"], SQLI);
    assert_eq!(f.count, 30);
    assert_eq!(f.stats["families"], json!(["sqli"]));
    assert!(
        f.message.contains("sqli") && f.message.contains("198.51.100.9 (30)"),
        "{}",
        f.message
    );
    assert_eq!(f.context.function.as_deref(), Some("orders"));
    assert_eq!(f.level, crate::model::Level::Medium);
}

#[test]
fn low_and_slow_spray_from_many_sources_fires() {
    // 40 sources, 2 requests each, spread over 4 hours.
    let rows: Vec<Value> = (0..80)
        .map(|i| {
            shaped(
                T0 + i as i64 * 3 * MIN,
                i,
                &format!("203.0.113.{}", i % 40),
                TRAVERSAL,
            )
        })
        .collect();
    let mut d = detector("spray", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["mode"], "distributed");
    assert_eq!(f.stats["distinct_sources"], json!(40));
    assert!(f.message.contains("40 sources"), "{}", f.message);
}

#[test]
fn rare_benign_shape_fires_only_against_a_baseline() {
    let rare = "POST {body:{debug:<b>,id:<int>}}";
    let mut rows: Vec<Value> = (0..1000)
        .map(|i| {
            shaped(
                T0 + i as i64 * 500_000,
                i,
                &format!("192.0.2.{}", i % 50),
                NORMAL,
            )
        })
        .collect();
    rows.extend((0..40).map(|i| shaped(T0 + i as i64 * 10 * SEC, 5000 + i, "198.51.100.20", rare)));
    rows.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let input = batches(Table::Invocations, &rows);

    let mut without = detector("spray", None, &AnomalyConfig::default());
    assert!(
        run(without.as_mut(), &input).is_empty(),
        "no baseline, no attack tokens"
    );

    let b = with_shapes(&[(NORMAL, 100_000)]);
    let mut with = detector("spray", Some(b), &AnomalyConfig::default());
    let found = run(with.as_mut(), &input);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.level, crate::model::Level::Low);
    let p = f.stats["p_value"].as_f64().unwrap();
    assert!(p < 1e-20, "{p}");
    assert!(f.stats["expected"].as_f64().unwrap() < 0.1);
    assert!(f.stats.contains_key("baseline_window"));
}

#[test]
fn attack_tokens_in_a_shape_common_for_the_function_stay_silent() {
    // This function legitimately receives that shape (a SQL console, say).
    let b = with_shapes(&[(NORMAL, 50_000), (SQLI, 50_000)]);
    let rows: Vec<Value> = (0..100)
        .map(|i| shaped(T0 + i as i64 * SEC, i, "198.51.100.9", SQLI))
        .collect();
    let mut d = detector("spray", Some(b), &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}

#[test]
fn minimum_support_is_respected() {
    let cfg = AnomalyConfig::default();
    let n = cfg.spray.min_support as usize - 1;
    let rows: Vec<Value> = (0..n)
        .map(|i| shaped(T0 + i as i64 * SEC, i, "198.51.100.9", SQLI))
        .collect();
    let mut d = detector("spray", None, &cfg);
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
    // Many sources but fewer than min_sources: not distributed either.
    let rows: Vec<Value> = (0..40)
        .map(|i| {
            shaped(
                T0 + i as i64 * MIN,
                i,
                &format!("203.0.113.{}", i % 5),
                TRAVERSAL,
            )
        })
        .collect();
    let mut d = detector("spray", None, &cfg);
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}

#[test]
fn benign_windows_with_noise_stay_silent() {
    // A day of normal traffic (a few known shapes, Poisson counts per minute, many
    // users), scored against its baseline: nothing is rare, nothing attacks.
    let shapes = [NORMAL, "POST {body:{id:<int>,qty:<n>}}", "GET {path:/a}"];
    let b = with_shapes(&[
        (shapes[0], 70_000),
        (shapes[1], 20_000),
        (shapes[2], 10_000),
    ]);
    let mut r = rng(7);
    let mut rows = Vec::new();
    for minute in 0..(24 * 60) {
        for k in 0..poisson(&mut r, 20.0) {
            let s = match r.random_range(0..10) {
                0..=6 => shapes[0],
                7 | 8 => shapes[1],
                _ => shapes[2],
            };
            let src = format!("192.0.2.{}", r.random_range(0..200));
            rows.push(shaped(
                T0 + minute * MIN + k as i64 * SEC,
                rows.len(),
                &src,
                s,
            ));
        }
    }
    let mut d = detector("spray", Some(b), &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert!(found.is_empty(), "{found:#?}");
}
