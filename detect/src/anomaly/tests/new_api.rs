//! New terms: a CI role that deploys code and reads objects.

use super::*;
use crate::baseline::{AccountBaseline, Activity, ApiStats, PrincipalBaseline};

const CI: &str = "arn:aws:iam::111122223333:role/ci";
const ADMIN: &str = "arn:aws:iam::111122223333:role/admin";
const NEWBIE: &str = "arn:aws:iam::111122223333:role/newbie";

fn principal(events: u64, apis: &[(&str, &str)]) -> PrincipalBaseline {
    let mut map: HashMap<String, HashMap<String, ApiStats>> = HashMap::new();
    for (src, name) in apis {
        map.entry((*src).to_owned()).or_default().insert(
            (*name).to_owned(),
            ApiStats {
                events: events / apis.len() as u64,
                errors: 0,
                access_denied: 0,
                first_seen_us: T0 - 20 * 24 * HOUR,
                last_seen_us: T0,
            },
        );
    }
    PrincipalBaseline {
        account: Some("111122223333".into()),
        events,
        errors: 0,
        access_denied: 0,
        first_seen_us: T0 - 20 * 24 * HOUR,
        last_seen_us: T0,
        hourly: Activity::uniform(
            3600,
            T0 / HOUR - 480,
            480,
            events as f64 / 480.0,
            events as f64 / 480.0,
        ),
        apis: map,
        networks16: HashMap::new(),
        networks24: HashMap::new(),
        agents: HashMap::new(),
        regions: HashMap::new(),
    }
}

fn api_baselines() -> Baselines {
    let mut b = baselines();
    let ci_apis = [
        ("s3.amazonaws.com", "GetObject"),
        ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
    ];
    let admin_apis = [
        ("iam.amazonaws.com", "AttachRolePolicy"),
        ("ssm.amazonaws.com", "GetParameter"),
    ];
    b.principals.insert(CI.into(), principal(5_000, &ci_apis));
    b.principals
        .insert(ADMIN.into(), principal(500, &admin_apis));
    b.principals.insert(NEWBIE.into(), principal(5, &ci_apis));
    let mut account = AccountBaseline {
        principals: 3,
        events: 5_505,
        ..Default::default()
    };
    for (src, name) in ci_apis.iter().chain(&admin_apis) {
        *account
            .api_principals
            .entry((*src).into())
            .or_default()
            .entry((*name).into())
            .or_default() += 1;
    }
    b.accounts.insert("111122223333".into(), account);
    b
}

fn call(t: i64, id: &str, who: &str, api: (&str, &str), read_only: bool) -> Value {
    let mut r = ct(t, id, who, api);
    r["read_only"] = json!(read_only);
    r
}

#[test]
fn ci_role_creating_an_access_key_ranks_first_and_read_only_news_stay_silent() {
    let rows = vec![
        call(
            T0,
            "e1",
            CI,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        call(
            T0 + SEC,
            "e2",
            CI,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        call(
            T0 + 2 * SEC,
            "e3",
            CI,
            ("s3.amazonaws.com", "ListBuckets"),
            true,
        ),
        call(
            T0 + 3 * SEC,
            "e4",
            CI,
            ("ec2.amazonaws.com", "CreateTags"),
            false,
        ),
        call(
            T0 + 4 * SEC,
            "e5",
            CI,
            ("ssm.amazonaws.com", "GetParameter"),
            true,
        ),
        call(
            T0 + 5 * SEC,
            "e6",
            CI,
            ("s3.amazonaws.com", "GetObject"),
            true,
        ),
    ];
    let mut d = detector("new_api", Some(api_baselines()), &AnomalyConfig::default());
    let mut found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    found.sort_by(|a, b| {
        b.stats["score"]
            .as_f64()
            .partial_cmp(&a.stats["score"].as_f64())
            .unwrap()
    });
    let apis: Vec<&str> = found.iter().map(|f| f.group["api"].as_str()).collect();
    assert_eq!(
        apis,
        ["iam:CreateAccessKey", "ssm:GetParameter"],
        "{found:#?}"
    );
    let top = &found[0];
    assert_explained(top);
    assert_eq!(top.count, 2);
    assert!((top.stats["score"].as_f64().unwrap() - 95.0).abs() < 1e-9);
    assert_eq!(top.level, crate::model::Level::High);
    assert!(
        top.rule.tags.contains(&"attack.t1098.001".to_owned()),
        "{:?}",
        top.rule.tags
    );
    // GetParameter: sensitive, but one of the account's 3 principals uses it.
    let second = found[1].stats["score"].as_f64().unwrap();
    assert!(
        (second - 100.0 * 0.6 * (0.5 + 0.5 * (2.0 / 3.0))).abs() < 1e-9,
        "{second}"
    );
}

#[test]
fn a_term_is_reported_once_and_short_histories_are_ignored() {
    let rows = vec![
        call(
            T0,
            "e1",
            CI,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        call(
            T0 + 30 * HOUR,
            "e2",
            CI,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        call(
            T0,
            "e3",
            NEWBIE,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        call(
            T0,
            "e4",
            "arn:aws:iam::111122223333:role/unknown",
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
    ];
    let mut d = detector("new_api", Some(api_baselines()), &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].group["principal"], CI);
    assert_eq!(found[0].related, ["e1"]);
}

#[test]
fn a_deploy_role_extending_its_own_service_is_softened_but_not_for_credentials() {
    const DEPLOY: &str = "arn:aws:iam::111122223333:role/deploy";
    let mut b = api_baselines();
    let deploy_apis = [
        ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
        ),
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ];
    b.principals
        .insert(DEPLOY.into(), principal(3_000, &deploy_apis));
    let create = ("lambda.amazonaws.com", "CreateFunction20150331");
    let rows = vec![
        // The deploy role's first function: lambda is a service it administers.
        call(T0, "d1", DEPLOY, create, false),
        // The same role minting an access key: never softened.
        call(
            T0 + SEC,
            "d2",
            DEPLOY,
            ("iam.amazonaws.com", "CreateAccessKey"),
            false,
        ),
        // An admin role that never touched Lambda creating a function: not softened.
        call(T0 + 2 * SEC, "a1", ADMIN, create, false),
    ];
    let mut d = detector("new_api", Some(b), &AnomalyConfig::default());
    let found = run(d.as_mut(), &batches(Table::CloudTrail, &rows));
    let score = |who: &str, api: &str| {
        found
            .iter()
            .find(|f| f.group["principal"] == who && f.group["api"] == api)
            .map(|f| (f.stats["score"].as_f64().unwrap(), f.level))
    };
    let (soft, soft_level) = score(DEPLOY, "lambda:CreateFunction20150331").expect("reported");
    let (plain, plain_level) = score(ADMIN, "lambda:CreateFunction20150331").expect("reported");
    assert!((soft - plain * 0.6).abs() < 1e-9, "{soft} vs {plain}");
    assert_eq!(soft_level, crate::model::Level::Low);
    assert_eq!(plain_level, crate::model::Level::Medium);
    let (key, key_level) = score(DEPLOY, "iam:CreateAccessKey").expect("reported");
    assert!((key - 95.0).abs() < 1e-9, "{key}");
    assert_eq!(key_level, crate::model::Level::High);
}
