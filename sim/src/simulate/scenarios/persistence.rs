//! Persistence in functions: overwritten code behind a public URL, a layer from an
//! account the organisation does not own.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{principal_of, Actor, Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::event::KeyRef;
use crate::simulate::world::{Route, Via};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "function_backdoor",
                technique: "T1648",
                tactic: "persistence",
                description: "An unusual principal overwrites a function's code, opens it to everyone (AddPermission principal *, a Function URL with AuthType NONE) and calls it from outside",
                expected: &["rule:lambda_update_code_unusual_principal", "rule:lambda_permission_public", "rule:lambda_url_auth_none"],
            },
            plan: function_backdoor,
        },
        Scenario {
            info: ScenarioInfo {
                name: "layer_backdoor",
                technique: "T1525",
                tactic: "persistence",
                description: "A function is given a layer published in a foreign account; the function's role then reads secrets it never read",
                expected: &["rule:lambda_layer_foreign_account", "detector:new_api"],
            },
            plan: layer_backdoor,
        },
    ]
}

fn function_backdoor(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = if c.r.chance(0.5) {
        c.stolen_person(false, 0)
    } else {
        c.stolen_user()
    };
    let fi = c
        .function_with(&[
            Route::OrdersList,
            Route::Search,
            Route::OrderEvent,
            Route::EmailJob,
            Route::Profile,
        ])
        .unwrap_or_else(|| c.any_function());
    let f = &w.functions[fi];
    let mut p = Plan::default();
    let mut t = c.start;
    p.calls.push(actor.call(
        c,
        t,
        "lambda",
        "ListFunctions20150331",
        Value::Null,
        true,
        None,
    ));
    t += c.pause(5, 60);
    p.calls.push(actor.call(
        c,
        t,
        "lambda",
        "GetFunction20150331v2",
        json!({"functionName": f.name}),
        true,
        None,
    ));
    t += c.pause(20, 240);
    p.calls.push(actor.call(c, t, "lambda", "UpdateFunctionCode20150331v2", json!({"functionName": f.name, "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS", "publish": false, "dryRun": false}), false, None)
        .respond(json!({"functionName": f.name, "functionArn": f.arn(w), "runtime": f.runtime.id(), "codeSize": c.r.range(900, 9000), "lastUpdateStatus": "InProgress"})));
    t += c.pause(10, 120);
    let sid = *c.r.pick(&[
        "public-invoke",
        "FunctionURLAllowPublicAccess",
        "allow-all",
        "url",
    ]);
    p.calls.push(actor.call(c, t, "lambda", "AddPermission20150331v2", json!({"functionName": f.name, "statementId": sid, "action": "lambda:InvokeFunctionUrl", "principal": "*", "functionUrlAuthType": "NONE"}), false, None));
    t += c.pause(3, 40);
    let url_id = c.r.lower(32);
    p.calls.push(actor.call(c, t, "lambda", "CreateFunctionUrlConfig20211031", json!({"functionName": f.name, "authType": "NONE", "cors": {"allowOrigins": ["*"]}}), false, None)
        .respond(json!({"functionUrl": format!("https://{url_id}.lambda-url.{}.on.aws/", f.region), "functionArn": f.arn(w), "authType": "NONE"})));
    // The attacker calls the backdoor through its new URL.
    t += c.pause(60, 900);
    let ua = if c.r.chance(0.5) {
        "curl/8.5.0".to_string()
    } else {
        catalog::client_ua(&mut c.r)
    };
    let client = c.client(actor.ip.clone(), ua);
    for _ in 0..2 + c.r.below(6) {
        let route = *c.r.pick(&f.routes);
        let mut inv = c.request(fi, route, t, &client);
        inv.via = Via::Url;
        inv.principal = None;
        inv.headers.retain(|(k, _)| k != "authorization");
        inv.method = "POST".into();
        inv.route = "/".into();
        inv.path = "/".into();
        inv.query.clear();
        let cmd = *c.r.pick(&[
            "env",
            "id",
            "cat /var/task/config.json",
            "ls -la /tmp",
            "aws sts get-caller-identity",
        ]);
        inv.body = Some(json!({"k": c.r.hex(8), "c": cmd}).to_string());
        inv.status = 200;
        inv.invoked = true;
        // Routed through the URL, with the URL's own id in the event.
        p.invs.push(inv);
        t += c.pause(10, 300);
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: Some(f.name.clone()),
    };
    p
}

fn layer_backdoor(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = if c.r.chance(0.6) {
        c.stolen_person(false, 0)
    } else {
        c.stolen_user()
    };
    let fi = c.any_function();
    let f = &w.functions[fi];
    let foreign = format!("{}{}", 1 + c.r.below(9), c.r.digits(11));
    let layer = format!(
        "arn:aws:lambda:{}:{foreign}:layer:{}:{}",
        f.region,
        c.r.pick(catalog::LAYER_NAMES),
        c.r.range(1, 12)
    );
    let mut p = Plan::default();
    let mut t = c.start;
    p.calls.push(actor.call(
        c,
        t,
        "lambda",
        "GetFunctionConfiguration20150331v2",
        json!({"functionName": f.name}),
        true,
        None,
    ));
    t += c.pause(5, 60);
    p.calls.push(actor.call(c, t, "lambda", "GetLayerVersion20181031", json!({"layerName": layer.rsplit_once(':').map(|x| x.0), "versionNumber": layer.rsplit(':').next()}), true, None));
    t += c.pause(5, 60);
    let mut layers = vec![layer.clone()];
    if c.r.chance(0.5) {
        layers.insert(0, w.layers[0].clone());
    }
    p.calls.push(actor.call(c, t, "lambda", "UpdateFunctionConfiguration20150331v2", json!({"functionName": f.name, "layers": layers}), false, None)
        .respond(json!({"functionName": f.name, "functionArn": f.arn(w), "layers": layers.iter().map(|l| json!({"arn": l, "codeSize": 48213})).collect::<Vec<_>>(), "lastUpdateStatus": "InProgress"})));
    // The layer's code runs with the function's role: it reads secrets it never read.
    t += c.pause(300, 3600);
    let key = KeyRef::Env {
        function: fi,
        pin: c.pin,
    };
    let who = Arc::new(
        f.role
            .with_session(&f.name, key.clone(), t - c.pause(10, 600)),
    );
    let ip = if f.nat.is_empty() {
        catalog::aws_ip(&f.region, &mut c.r)
    } else {
        c.r.pick(&f.nat).clone()
    };
    let fn_actor = Actor {
        who,
        ip,
        os: "",
        ua: Some(f.runtime.sdk_ua("secrets-manager")),
        account: 0,
        region: f.region.clone(),
    };
    p.calls.push(fn_actor.call(
        c,
        t,
        "secretsmanager",
        "ListSecrets",
        json!({"maxResults": 100}),
        true,
        None,
    ));
    let secrets = w.secrets[0].clone();
    let k = 2 + c.r.below(6);
    for i in c.r.sample(secrets.len(), k) {
        t += c.pause(0, 3);
        p.calls.push(fn_actor.call(
            c,
            t,
            "secretsmanager",
            "GetSecretValue",
            json!({"secretId": secrets[i]}),
            true,
            None,
        ));
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: Some(f.name.clone()),
    };
    p
}
