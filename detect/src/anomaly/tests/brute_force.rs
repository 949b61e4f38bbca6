//! Brute force: 401 storms on a login route, failed console sign-ins.

use super::*;
use crate::baseline::FunctionBaseline;

fn login(t: i64, id: &str, source: &str, user: &str, status: i64) -> Value {
    let mut r = inv(t, id, "auth", source);
    r["http_method"] = json!("POST");
    r["path"] = json!("/login");
    r["auth_principal"] = json!(user);
    r["status_code"] = json!(status);
    r
}

/// Users logging in: 1 in 20 mistypes the password.
fn benign(start: i64, n: i64, r: &mut ChaCha8Rng) -> Vec<Value> {
    (0..n)
        .map(|k| {
            let status = if r.random::<f64>() < 0.05 { 401 } else { 200 };
            login(
                start + k * SEC,
                &format!("b{start}-{k}"),
                &format!("192.0.2.{}", k % 100),
                &format!("user{}", k % 100),
                status,
            )
        })
        .collect()
}

#[test]
fn password_spraying_from_one_source_fires_for_source_and_route() {
    let mut r = rng(1);
    let mut rows = benign(T0, 300, &mut r);
    rows.extend((0..60).map(|k| {
        login(
            T0 + k * 5 * SEC,
            &format!("a{k}"),
            "198.51.100.13",
            &format!("victim{}", k % 30),
            401,
        )
    }));
    rows.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let mut d = detector("brute_force", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    let source = found
        .iter()
        .find(|f| f.group["kind"] == "source")
        .expect("source finding");
    assert_explained(source);
    assert_eq!(source.group["source_ip"], "198.51.100.13");
    assert_eq!(source.count, 60);
    assert_eq!(source.stats["distinct_counterparts"], json!(30));
    assert_eq!(source.stats["technique"], json!("T1110.003"));
    assert_eq!(source.level, crate::model::Level::High);
    assert!(
        source.message.contains("password spraying"),
        "{}",
        source.message
    );
    // The route was hammered too (60 + benign failures of 360 requests)? It fails
    // the failure-ratio gate: most of its requests succeed. Only the source fires.
    assert!(
        found.iter().all(|f| f.group["kind"] == "source"),
        "{found:#?}"
    );
}

#[test]
fn distributed_guessing_against_one_route_fires_for_the_target() {
    // 40 sources, 2 failures each, against the login route, nothing else.
    let rows: Vec<Value> = (0..80)
        .map(|k| {
            login(
                T0 + k * 5 * SEC,
                &format!("d{k}"),
                &format!("203.0.113.{}", k % 40),
                "admin",
                401,
            )
        })
        .collect();
    let mut d = detector("brute_force", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["target"], "auth POST /login");
    assert_eq!(f.stats["distinct_counterparts"], json!(40));
}

#[test]
fn failed_console_logins_fire() {
    let rows: Vec<Value> = (0..25)
        .map(|k| {
            let mut r = ct(
                T0 + k * 10 * SEC,
                &format!("e{k}"),
                "arn:aws:iam::111122223333:user/bob",
                ("signin.amazonaws.com", "ConsoleLogin"),
            );
            r["user_name"] = json!("bob");
            r["session_issuer_arn"] = Value::Null;
            r["error_message"] = json!("Failed authentication");
            r["source_ip"] = json!("198.51.100.200");
            r
        })
        .collect();
    let mut d = detector("brute_force", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    let mut kinds: Vec<&str> = found.iter().map(|f| f.group["kind"].as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["source", "target"]);
    assert!(found
        .iter()
        .any(|f| f.group.get("target").is_some_and(|t| t == "bob")));
}

#[test]
fn benign_mistypes_and_small_storms_stay_silent() {
    let mut r = rng(5);
    let mut rows = Vec::new();
    for w in 0..100 {
        rows.extend(benign(T0 + w * 10 * MIN, 500, &mut r));
    }
    let mut b = baselines();
    b.functions.insert(
        "auth".into(),
        FunctionBaseline {
            with_status: 100_000,
            auth_failures: 5_000,
            ..Default::default()
        },
    );
    let mut d = detector("brute_force", Some(b), &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
    // 19 failures from one source: under the minimum support.
    let rows: Vec<Value> = (0..19)
        .map(|k| login(T0 + k * SEC, &format!("s{k}"), "198.51.100.1", "x", 401))
        .collect();
    let mut d = detector("brute_force", None, &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}
