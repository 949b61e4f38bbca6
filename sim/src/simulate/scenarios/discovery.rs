//! Discovery: walking every function's code, configuration and policy.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{principal_of, Actor, Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::event::KeyRef;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![Scenario {
        info: ScenarioInfo {
            name: "lambda_enumeration",
            technique: "T1526",
            tactic: "discovery",
            description: "Stolen credentials list every function and read each one's code location, configuration (environment) and resource policy in a burst",
            expected: &["correlation:lambda_get_function_many", "detector:new_api"],
        },
        plan: lambda_enum,
    }]
}

fn lambda_enum(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = match c.r.below(3) {
        0 => c.stolen_person(false, 0),
        1 => c.stolen_user(),
        _ => {
            // A function's own session, used off Lambda with a scripting SDK.
            let fi = c.any_function();
            let f = &w.functions[fi];
            let who = Arc::new(f.role.with_session(
                &f.name,
                KeyRef::Env {
                    function: fi,
                    pin: c.pin,
                },
                c.start - c.pause(600, 3000),
            ));
            let os = c.attacker_os();
            Actor {
                who,
                ip: c.attacker_ip(),
                os,
                ua: Some(catalog::boto3_ua(os.trim_start_matches("os/"))),
                account: 0,
                region: f.region.clone(),
            }
        }
    };
    let mut p = Plan::default();
    let mut t = c.start;
    let pages = 1 + w.functions_of(0).count() / 50;
    for i in 0..pages {
        let params = if i == 0 {
            Value::Null
        } else {
            json!({"marker": c.r.alnum(40)})
        };
        p.calls
            .push(actor.call(c, t, "lambda", "ListFunctions20150331", params, true, None));
        t += c.pause(0, 2);
    }
    let fns: Vec<String> = w.functions_of(0).map(|(_, f)| f.name.clone()).collect();
    let mut order: Vec<usize> = (0..fns.len()).collect();
    c.r.shuffle(&mut order);
    let with_policy = c.r.chance(0.6);
    for i in order {
        let name = &fns[i];
        t += c.pause(0, 4);
        p.calls.push(actor.call(
            c,
            t,
            "lambda",
            "GetFunction20150331v2",
            json!({"functionName": name}),
            true,
            None,
        ));
        t += c.pause(0, 2);
        p.calls.push(actor.call(
            c,
            t,
            "lambda",
            "GetFunctionConfiguration20150331v2",
            json!({"functionName": name}),
            true,
            None,
        ));
        if with_policy {
            t += c.pause(0, 2);
            let call = actor.call(
                c,
                t,
                "lambda",
                "GetPolicy20150331v2",
                json!({"functionName": name}),
                true,
                None,
            );
            p.calls.push(if c.r.chance(0.6) {
                call.fail(
                    "ResourceNotFoundException",
                    "The resource you requested does not exist.".into(),
                )
            } else {
                call
            });
        }
    }
    for name in [
        "ListLayers20181031",
        "ListEventSourceMappings20150331",
        "GetAccountSettings20160819",
    ] {
        t += c.pause(0, 3);
        p.calls
            .push(actor.call(c, t, "lambda", name, Value::Null, true, None));
    }
    let key = match &*actor.who {
        crate::simulate::event::Identity::Role { key, .. } => Some(key.clone()),
        other => other.fixed_key().map(|k| KeyRef::Fixed(k.into())),
    };
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: key,
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}
