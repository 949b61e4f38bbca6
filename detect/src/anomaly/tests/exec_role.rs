//! A function's execution-role credentials used from a laptop.

use super::*;
use crate::baseline::FunctionBaseline;

const ROLE: &str = "arn:aws:iam::111122223333:role/orders-role";
const EXEC_UA: &str = "Boto3/1.34.2 md/Botocore#1.34.2 exec-env/AWS_Lambda_python3.12";

fn exec_baselines() -> Baselines {
    let mut b = baselines();
    let mut f = FunctionBaseline {
        roles: vec![ROLE.into()],
        ..Default::default()
    };
    f.exec_networks16.insert("3.5.0.0/16".into(), 1000);
    f.exec_agents
        .insert(crate::baseline::keys::LAMBDA_EXEC_ENV.into(), 1000);
    b.functions.insert("orders".into(), f);
    b.function_roles.insert(ROLE.into(), vec!["orders".into()]);
    b
}

fn session_call(t: i64, id: &str, key: &str, ip: &str, ua: &str) -> Value {
    let mut r = ct(
        t,
        id,
        "arn:aws:sts::111122223333:assumed-role/orders-role/orders",
        ("s3.amazonaws.com", "ListBuckets"),
    );
    r["session_issuer_arn"] = json!(ROLE);
    r["session_name"] = json!("orders");
    r["access_key_id"] = json!(key);
    r["source_ip"] = json!(ip);
    r["user_agent"] = json!(ua);
    r
}

#[test]
fn stolen_credentials_used_from_a_laptop_fire() {
    let rows = vec![
        session_call(T0, "e1", "ASIA1", "3.5.1.2", EXEC_UA),
        session_call(T0 + SEC, "e2", "ASIA1", "3.99.1.2", EXEC_UA),
        session_call(T0 + 2 * SEC, "e3", "ASIA1", "AWS Internal", "AWS Internal"),
        session_call(
            T0 + MIN,
            "e4",
            "ASIA1",
            "198.51.100.7",
            "aws-cli/2.15.0 Python/3.11",
        ),
        session_call(
            T0 + 2 * MIN,
            "e5",
            "ASIA1",
            "198.51.100.7",
            "aws-cli/2.15.0 Python/3.11",
        ),
    ];
    let mut d = detector(
        "exec_role_outside_lambda",
        Some(exec_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_explained(f);
    assert_eq!(
        f.related,
        ["e4", "e5"],
        "Lambda's own calls, new IP or not, are not counted"
    );
    assert_eq!(f.group["function"], "orders");
    assert_eq!(f.group["access_key"], "ASIA1");
    assert_eq!(
        f.level,
        crate::model::Level::Critical,
        "network, agent and key all differ"
    );
    assert!(
        f.message.contains("198.51.100.0/24") && f.message.contains("aws-cli"),
        "{}",
        f.message
    );
}

#[test]
fn one_key_from_two_networks_fires_without_baselines() {
    let rows = vec![
        session_call(T0, "e1", "ASIA2", "3.5.1.2", EXEC_UA),
        session_call(T0 + MIN, "e2", "ASIA2", "198.51.100.7", "curl/8.4"),
        // Another key never seen in Lambda: no evidence either way.
        session_call(T0 + MIN, "e3", "ASIA3", "198.51.100.7", "aws-cli/2.15.0"),
    ];
    let mut d = detector("exec_role_outside_lambda", None, &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].group["access_key"], "ASIA2");
    assert_eq!(found[0].level, crate::model::Level::High);
    assert!(
        found[0].message.contains("another network"),
        "{}",
        found[0].message
    );
}

#[test]
fn the_functions_own_calls_stay_silent() {
    let mut r = rng(2);
    let rows: Vec<Value> = (0..2_000)
        .map(|k| {
            let ip = format!(
                "3.{}.{}.{}",
                r.random_range(0..255),
                r.random_range(0..255),
                r.random_range(1..255)
            );
            session_call(
                T0 + k * SEC,
                &format!("e{k}"),
                &format!("ASIA{}", k / 100),
                &ip,
                EXEC_UA,
            )
        })
        .collect();
    let mut d = detector(
        "exec_role_outside_lambda",
        Some(exec_baselines()),
        &AnomalyConfig::default(),
    );
    assert!(run(d.as_mut(), &batches(Table::CloudTrail, &rows)).is_empty());
}
