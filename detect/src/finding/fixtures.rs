//! Test fixtures: rules and hits with deterministic content.

use std::sync::Arc;

use serde_json::json;

use crate::model::{EventContext, Hit, Level, RuleInfo, Service};

/// A single-event CloudTrail rule.
pub(crate) fn rule(id: &str, title: &str) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.to_owned(),
        name: None,
        title: title.to_owned(),
        description: format!("Detects {title}."),
        level: Level::High,
        tags: vec![
            "attack.privilege_escalation".to_owned(),
            "attack.t1078.004".to_owned(),
        ],
        falsepositives: vec!["Administrators".to_owned()],
        path: format!("rules/cloudtrail/{id}.yml"),
        service: Some(Service::CloudTrail),
        kind: "rule",
    })
}

/// A rule with a Sigma `name`.
pub(crate) fn named_rule(id: &str, name: &str, title: &str) -> Arc<RuleInfo> {
    let mut r = (*rule(id, title)).clone();
    r.name = Some(name.to_owned());
    Arc::new(r)
}

/// A hit of `rule` at `time_us` by `principal`.
pub(crate) fn hit(rule: &Arc<RuleInfo>, time_us: i64, event_uid: &str, principal: &str) -> Hit {
    Hit {
        rule: Arc::clone(rule),
        time_us,
        event_uid: event_uid.to_owned(),
        group: vec![("userIdentity.arn".to_owned(), Some(principal.to_owned()))],
        value: None,
        context: EventContext {
            account: Some("111122223333".to_owned()),
            region: Some("us-east-1".to_owned()),
            principal: Some(principal.to_owned()),
            principal_type: Some("IAMUser".to_owned()),
            access_key: Some("AKIAIOSFODNN7EXAMPLE".to_owned()),
            source_ip: Some("203.0.113.7".to_owned()),
            user_agent: Some("aws-cli/2.15.0".to_owned()),
            operation: Some("AttachUserPolicy".to_owned()),
            service: Some("iam.amazonaws.com".to_owned()),
            resources: vec!["arn:aws:iam::111122223333:user/mallory".to_owned()],
            ..EventContext::default()
        },
        evidence: json!({
            "event_id": event_uid,
            "event_name": "AttachUserPolicy",
            "event_source": "iam.amazonaws.com",
            "principal_arn": principal,
            "source_ip": "203.0.113.7",
        })
        .into(),
    }
}

/// A small deterministic generator (SplitMix64), for shuffles in tests.
pub(crate) struct Rng(pub u64);

impl Rng {
    /// The next pseudo-random number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Shuffles in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
