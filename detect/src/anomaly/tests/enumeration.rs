//! Enumeration: a wordlist scan among ordinary users.

use super::*;

fn req(t: i64, id: &str, source: &str, function: &str, path: &str, status: i64) -> Value {
    let mut r = inv(t, id, function, source);
    r["path"] = json!(path);
    r["status_code"] = json!(status);
    r
}

/// Ten users paging through their orders (ids vary, one template) with 200s.
fn users(start: i64) -> Vec<Value> {
    let mut rows = Vec::new();
    for u in 0..10 {
        for k in 0..30 {
            let t = start + (u * 30 + k) * SEC;
            rows.push(req(
                t,
                &format!("u{u}-{k}"),
                &format!("192.0.2.{u}"),
                "orders",
                &format!("/orders/{}", 1000 + k * 7 + u),
                if k % 15 == 0 { 404 } else { 200 },
            ));
        }
    }
    rows
}

#[test]
fn wordlist_scan_fires_and_users_do_not() {
    let words = [
        "admin",
        ".env",
        "backup",
        "config",
        "debug",
        "wp-login.php",
        "api/v1",
        "graphql",
        ".git/HEAD",
        "server-status",
    ];
    let mut rows = users(T0);
    for k in 0..60 {
        let path = format!("/{}/{k}x", words[k as usize % words.len()]);
        rows.push(req(
            T0 + k * 5 * SEC,
            &format!("scan{k}"),
            "198.51.100.66",
            "orders",
            &path,
            if k % 20 == 0 { 200 } else { 404 },
        ));
    }
    rows.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let mut d = detector("enumeration", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["source_ip"], "198.51.100.66");
    assert_eq!(f.stats["distinct_paths"], json!(60));
    assert_eq!(f.stats["errors_4xx"], json!(57));
    assert!(f.stats["p_value"].as_f64().unwrap() < 1e-10);
    assert!(
        f.stats["score"].as_f64().unwrap() > 10.0,
        "far above the other sources"
    );
    assert!(f.message.contains("/admin/0x"), "{}", f.message);
}

#[test]
fn walking_many_functions_fires() {
    let rows: Vec<Value> = (0..30)
        .map(|k| {
            req(
                T0 + k * SEC,
                &format!("f{k}"),
                "198.51.100.7",
                &format!("fn-{}", k % 8),
                "/",
                403,
            )
        })
        .collect();
    let mut d = detector("enumeration", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::Invocations, &rows));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stats["distinct_functions"], json!(8));
}

#[test]
fn minimum_support_and_error_ratio_are_respected() {
    // 15 distinct paths, all 404: under 20 requests.
    let rows: Vec<Value> = (0..15)
        .map(|k| {
            req(
                T0 + k * SEC,
                &format!("s{k}"),
                "198.51.100.5",
                "orders",
                &format!("/p{k}"),
                404,
            )
        })
        .collect();
    let mut d = detector("enumeration", None, &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
    // A client using 25 distinct, working endpoints.
    let rows: Vec<Value> = (0..50)
        .map(|k| {
            req(
                T0 + k * SEC,
                &format!("c{k}"),
                "198.51.100.5",
                "orders",
                &format!("/feature{}", k % 25),
                200,
            )
        })
        .collect();
    let mut d = detector("enumeration", None, &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}

#[test]
fn benign_windows_stay_silent() {
    let mut rows = Vec::new();
    for w in 0..200 {
        rows.extend(users(T0 + w * 10 * MIN));
    }
    let mut d = detector("enumeration", None, &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::Invocations, &rows)).is_empty());
}
