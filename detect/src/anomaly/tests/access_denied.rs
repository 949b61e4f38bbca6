//! AccessDenied spikes against a principal denied 0.1 % of the time.

use super::*;
use crate::baseline::{Activity, PrincipalBaseline};

const APP: &str = "arn:aws:iam::111122223333:role/app";

fn principal(events: u64, denied: u64) -> PrincipalBaseline {
    PrincipalBaseline {
        account: Some("111122223333".into()),
        events,
        errors: denied,
        access_denied: denied,
        first_seen_us: T0 - 28 * 24 * HOUR,
        last_seen_us: T0,
        hourly: Activity::uniform(
            3600,
            T0 / HOUR - 672,
            672,
            events as f64 / 672.0,
            events as f64 / 672.0,
        ),
        apis: HashMap::new(),
        networks16: HashMap::new(),
        networks24: HashMap::new(),
        agents: HashMap::new(),
        regions: HashMap::new(),
    }
}

fn denied_baselines() -> Baselines {
    let mut b = baselines();
    b.principals.insert(APP.into(), principal(100_000, 100));
    b.pooled_events = 100_000;
    b.pooled_access_denied = 100;
    b
}

fn calls(start: i64, who: &str, n: u64, denied: u64, tag: &str) -> Vec<Value> {
    let apis = [
        ("iam.amazonaws.com", "ListUsers"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("lambda.amazonaws.com", "ListFunctions20150331"),
        ("kms.amazonaws.com", "ListKeys"),
    ];
    (0..n)
        .map(|k| {
            let api = apis[k as usize % apis.len()];
            let mut r = ct(start + k as i64 * SEC, &format!("{tag}-{k}"), who, api);
            if k < denied {
                r["error_code"] = json!("AccessDenied");
            }
            r
        })
        .collect()
}

#[test]
fn denial_storm_fires_with_the_denied_apis() {
    let rows = calls(T0, APP, 200, 60, "a");
    let mut d = detector(
        "access_denied_spike",
        Some(denied_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(f.group["principal"], APP);
    assert_eq!(f.count, 60);
    assert_eq!(f.stats["distinct_apis"], json!(6));
    assert_eq!(f.level, crate::model::Level::High);
    let top = f.stats["top_contributors"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert_eq!(top[0]["count"], json!(10));
    assert!(
        f.message.contains("60 of 200 calls denied"),
        "{}",
        f.message
    );
    assert_eq!(f.context.principal.as_deref(), Some(APP));
}

#[test]
fn ten_thousand_benign_windows_stay_silent() {
    let mut cfg = AnomalyConfig::default();
    cfg.access_denied.min_support = 1;
    cfg.access_denied.min_ratio = 1.0;
    cfg.access_denied.window_secs = 60;
    let mut r = rng(9);
    let mut rows = Vec::new();
    for w in 0..10_000 {
        let n = 5;
        let denied = binomial(&mut r, n, 0.001);
        rows.extend(calls(T0 + w * MIN, APP, n, denied, &format!("w{w}")));
    }
    let mut d = detector("access_denied_spike", Some(denied_baselines()), &cfg);
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert!(found.is_empty(), "{:?}", found.first().map(|f| &f.message));
}

#[test]
fn principals_that_are_often_denied_need_more() {
    // A role denied 10 % of the time: 30 of 200 is ordinary for it.
    let mut b = denied_baselines();
    b.principals.insert(APP.into(), principal(100_000, 10_000));
    let rows = calls(T0, APP, 200, 30, "n");
    let mut d = detector("access_denied_spike", Some(b), &AnomalyConfig::default());
    assert!(run(d.as_mut(), &batches(Table::CloudTrail, &rows)).is_empty());
}

#[test]
fn unknown_principals_use_the_pooled_rate_and_support_is_respected() {
    let stranger = "arn:aws:iam::111122223333:user/stranger";
    let rows = calls(T0, stranger, 40, 20, "s");
    let mut d = detector(
        "access_denied_spike",
        Some(denied_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stats["known_principal"], json!(false));
    let rows = calls(T0, APP, 20, 9, "m");
    let mut d = detector(
        "access_denied_spike",
        Some(denied_baselines()),
        &AnomalyConfig::default(),
    );
    assert!(
        run(d.as_mut(), &batches(Table::CloudTrail, &rows)).is_empty(),
        "9 < min_support"
    );
}
