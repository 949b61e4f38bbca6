//! Defence evasion: CloudTrail and log tampering, security services switched off.

use serde_json::{json, Value};

use super::{principal_of, Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::event::KeyRef;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "audit_tampering",
                technique: "T1562.008",
                tactic: "defense-evasion",
                description: "An admin session from a new address stops or deletes the trail (or narrows its event selectors), then deletes or shortens the functions' log groups",
                expected: &["rule:cloudtrail_stop_or_delete", "rule:lambda_log_group_deleted", "rule:log_retention_one_day"],
            },
            plan: audit,
        },
        Scenario {
            info: ScenarioInfo {
                name: "defense_disable",
                technique: "T1562.001",
                tactic: "defense-evasion",
                description: "GuardDuty detectors deleted or disabled, Security Hub disabled, the Config recorder stopped, in one or more regions",
                expected: &["rule:guardduty_disabled", "rule:securityhub_disabled", "rule:config_recorder_stopped"],
            },
            plan: defenses,
        },
    ]
}

fn audit(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = c.stolen_person(true, 0);
    let acct = &w.accounts[0];
    let trail = format!(
        "arn:aws:cloudtrail:{}:{}:trail/{}-{}",
        acct.region,
        acct.id,
        w.company,
        c.r.pick(&["management-events", "audit", "org-trail-local"])
    );
    let mut p = Plan::default();
    let mut t = c.start;
    p.calls.push(actor.call(
        c,
        t,
        "cloudtrail",
        "DescribeTrails",
        Value::Null,
        true,
        None,
    ));
    t += c.pause(3, 30);
    p.calls.push(actor.call(
        c,
        t,
        "cloudtrail",
        "GetTrailStatus",
        json!({"name": trail}),
        true,
        None,
    ));
    t += c.pause(5, 60);
    match c.r.below(3) {
        0 => p.calls.push(actor.call(c, t, "cloudtrail", "StopLogging", json!({"name": trail}), false, None)),
        1 => p.calls.push(actor.call(c, t, "cloudtrail", "PutEventSelectors", json!({"trailName": trail, "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": false, "dataResources": [], "excludeManagementEventSources": []}]}), false, None)),
        _ => {
            p.calls.push(actor.call(c, t, "cloudtrail", "StopLogging", json!({"name": trail}), false, None));
            t += c.pause(5, 60);
            p.calls.push(actor.call(c, t, "cloudtrail", "DeleteTrail", json!({"name": trail}), false, None));
        }
    }
    t += c.pause(20, 300);
    p.calls.push(actor.call(
        c,
        t,
        "logs",
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/aws/lambda/"}),
        true,
        None,
    ));
    let fns: Vec<String> = w.functions_of(0).map(|(_, f)| f.name.clone()).collect();
    let k = 1 + c.r.below(3.min(fns.len()));
    let delete = c.r.chance(0.5);
    for i in c.r.sample(fns.len(), k) {
        t += c.pause(2, 40);
        let group = format!("/aws/lambda/{}", fns[i]);
        if delete {
            p.calls.push(actor.call(
                c,
                t,
                "logs",
                "DeleteLogGroup",
                json!({"logGroupName": group}),
                false,
                None,
            ));
        } else {
            p.calls.push(actor.call(
                c,
                t,
                "logs",
                "PutRetentionPolicy",
                json!({"logGroupName": group, "retentionInDays": 1}),
                false,
                None,
            ));
        }
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}

fn defenses(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = c.stolen_person(true, 0);
    let acct = &w.accounts[0];
    let mut regions = vec![acct.region.clone()];
    if c.r.chance(0.5) {
        regions.push(acct.dr_region.clone());
    }
    let mut p = Plan::default();
    let mut t = c.start;
    for region in &regions {
        let rg = Some(region.as_str());
        let detector = c.r.hex(32);
        p.calls
            .push(actor.call(c, t, "guardduty", "ListDetectors", Value::Null, true, rg));
        t += c.pause(2, 20);
        if c.r.chance(0.5) {
            p.calls.push(actor.call(
                c,
                t,
                "guardduty",
                "DeleteDetector",
                json!({"detectorId": detector}),
                false,
                rg,
            ));
        } else {
            p.calls.push(actor.call(
                c,
                t,
                "guardduty",
                "UpdateDetector",
                json!({"detectorId": detector, "enable": false}),
                false,
                rg,
            ));
        }
        t += c.pause(5, 60);
        if c.r.chance(0.7) {
            p.calls.push(actor.call(
                c,
                t,
                "securityhub",
                "DisableSecurityHub",
                Value::Null,
                false,
                rg,
            ));
            t += c.pause(5, 60);
        }
        p.calls.push(actor.call(
            c,
            t,
            "config",
            "DescribeConfigurationRecorders",
            Value::Null,
            true,
            rg,
        ));
        t += c.pause(2, 20);
        p.calls.push(actor.call(
            c,
            t,
            "config",
            "StopConfigurationRecorder",
            json!({"configurationRecorderName": "default"}),
            false,
            rg,
        ));
        if c.r.chance(0.4) {
            t += c.pause(2, 30);
            p.calls.push(actor.call(
                c,
                t,
                "config",
                "DeleteDeliveryChannel",
                json!({"deliveryChannelName": "default"}),
                false,
                rg,
            ));
        }
        t += c.pause(30, 300);
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}
