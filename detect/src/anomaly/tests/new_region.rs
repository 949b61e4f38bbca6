//! New regions and services for an account living in us-east-1.

use super::*;
use crate::baseline::AccountBaseline;

fn region_baselines() -> Baselines {
    let mut b = baselines();
    let mut a = AccountBaseline {
        events: 10_000,
        principals: 3,
        ..Default::default()
    };
    a.regions.insert("us-east-1".into(), 10_000);
    for s in [
        "s3.amazonaws.com",
        "lambda.amazonaws.com",
        "ec2.amazonaws.com",
    ] {
        a.services.insert(s.into(), 3_000);
    }
    b.accounts.insert("111122223333".into(), a);
    b
}

fn call(t: i64, id: &str, region: &str, api: (&str, &str)) -> Value {
    let mut r = ct(t, id, "arn:aws:iam::111122223333:user/mallory", api);
    r["aws_region"] = json!(region);
    r["principal_type"] = json!("IAMUser");
    r["session_issuer_arn"] = Value::Null;
    r
}

#[test]
fn miners_in_a_new_region_and_a_new_service_fire_once() {
    let mut rows = vec![
        call(T0, "e1", "us-east-1", ("s3.amazonaws.com", "GetObject")),
        call(
            T0 + SEC,
            "e2",
            "ap-south-1",
            ("ec2.amazonaws.com", "RunInstances"),
        ),
        call(
            T0 + 2 * SEC,
            "e3",
            "ap-south-1",
            ("ec2.amazonaws.com", "RunInstances"),
        ),
        call(
            T0 + 3 * SEC,
            "e4",
            "us-east-1",
            ("bedrock.amazonaws.com", "InvokeModel"),
        ),
        // Next day: the same terms again, not reported again.
        call(
            T0 + 30 * HOUR,
            "e5",
            "ap-south-1",
            ("ec2.amazonaws.com", "RunInstances"),
        ),
    ];
    // A service acting on the account's behalf in another region is not a term.
    let mut service = call(
        T0 + 4 * SEC,
        "e6",
        "eu-north-1",
        ("s3.amazonaws.com", "PutObject"),
    );
    service["principal_type"] = json!("AWSService");
    rows.push(service);
    rows.sort_by(|a, b| a["event_time"].as_str().cmp(&b["event_time"].as_str()));
    let mut d = detector(
        "unusual_region_or_service",
        Some(region_baselines()),
        &AnomalyConfig::default(),
    );
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    let mut ids: Vec<(&str, String)> = found
        .iter()
        .map(|f| {
            (
                f.rule.id.as_str(),
                f.group
                    .get("region")
                    .or(f.group.get("service"))
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            ("tripline.anomaly.unusual_region", "ap-south-1".to_owned()),
            (
                "tripline.anomaly.unusual_service",
                "bedrock.amazonaws.com".to_owned()
            ),
        ]
    );
    for f in &found {
        assert_explained(f);
    }
    let region = found
        .iter()
        .find(|f| f.group.contains_key("region"))
        .unwrap();
    assert_eq!(region.count, 2);
    assert!(region.message.contains("us-east-1"), "{}", region.message);
}

#[test]
fn accounts_with_short_history_are_ignored() {
    let mut b = region_baselines();
    if let Some(a) = b.accounts.get_mut("111122223333") {
        a.events = 50;
    }
    let rows = vec![call(
        T0,
        "e1",
        "ap-south-1",
        ("ec2.amazonaws.com", "RunInstances"),
    )];
    let mut d = detector(
        "unusual_region_or_service",
        Some(b),
        &AnomalyConfig::default(),
    );
    assert!(run(d.as_mut(), &batches(Table::CloudTrail, &rows)).is_empty());
}
