//! Privilege escalation through Lambda and a poisoned CI pipeline.

use std::sync::Arc;

use serde_json::json;

use super::{principal_of, Actor, Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::event::KeyRef;
use crate::simulate::rng::{MIN, SEC};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "passrole_escalation",
                technique: "T1548",
                tactic: "privilege-escalation",
                description: "A principal that never deploys passes a privileged role to a new (or reconfigured) function, invokes it, and the function's session grants the attacker more access",
                expected: &["rule:lambda_create_function_passrole", "correlation:passrole_then_invoke", "detector:new_api"],
            },
            plan: passrole,
        },
        Scenario {
            info: ScenarioInfo {
                name: "ci_role_new_api",
                technique: "T1098.001",
                tactic: "persistence",
                description: "The CI deploy role, from its usual runners, suddenly creates an IAM user, an access key and attaches an admin policy (poisoned pipeline)",
                expected: &["rule:iam_create_access_key", "rule:iam_attach_admin_policy", "detector:new_api"],
            },
            plan: ci_new_api,
        },
    ]
}

fn passrole(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    // A developer's session or a legacy user's key, from somewhere new.
    let actor = if c.r.chance(0.5) {
        c.stolen_person(false, 0)
    } else {
        c.stolen_user()
    };
    let acct = &w.accounts[0];
    let mut p = Plan::default();
    let mut t = c.start;
    let recon = [
        ("sts", "GetCallerIdentity"),
        ("iam", "ListRoles"),
        ("lambda", "ListFunctions20150331"),
        ("iam", "ListAttachedRolePolicies"),
    ];
    for (svc, name) in recon {
        let params = if name == "ListAttachedRolePolicies" {
            json!({"roleName": w.admin_roles[0].rsplit('/').next()})
        } else {
            serde_json::Value::Null
        };
        p.calls
            .push(actor.call(c, t, svc, name, params, true, None));
        t += c.pause(2, 40);
    }
    let role = w.admin_roles[0].clone();
    let runtime = *c.r.pick(&["python3.12", "nodejs20.x", "python3.11"]);
    let reuse = c.r.chance(0.35);
    let fname = if reuse {
        let fi = c.any_function();
        w.functions[fi].name.clone()
    } else {
        format!(
            "{}-{}",
            c.r.pick(&[
                "data-export",
                "log-cleanup",
                "metrics-sync",
                "tmp-job",
                "healthcheck"
            ]),
            c.r.lower(4)
        )
    };
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{fname}",
        acct.region, acct.id
    );
    if reuse {
        p.calls.push(actor.call(
            c,
            t,
            "lambda",
            "UpdateFunctionConfiguration20150331v2",
            json!({"functionName": fname, "role": role}),
            false,
            None,
        ));
        t += c.pause(3, 20);
        p.calls.push(actor.call(c, t, "lambda", "UpdateFunctionCode20150331v2", json!({"functionName": fname, "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS", "publish": false}), false, None));
    } else {
        // Sometimes a first try with an unpassable role is denied.
        if c.r.chance(0.4) {
            let call = actor.call(c, t, "lambda", "CreateFunction20150331", json!({"functionName": fname, "runtime": runtime, "role": format!("arn:aws:iam::{}:role/OrganizationAccountAccessRole", acct.id), "handler": "index.handler", "code": {}}), false, None);
            p.calls.push(call.access_denied());
            t += c.pause(10, 90);
        }
        p.calls.push(actor.call(c, t, "lambda", "CreateFunction20150331", json!({"functionName": fname, "runtime": runtime, "role": role, "handler": "index.handler", "code": {}, "timeout": 60, "memorySize": 128, "publish": false}), false, None)
            .respond(json!({"functionName": fname, "functionArn": arn, "runtime": runtime, "role": role, "state": "Pending"})));
    }
    t += c.pause(10, 60);
    let mut invoke = actor.call(
        c,
        t,
        "lambda",
        "Invoke",
        json!({"functionName": arn, "invocationType": "RequestResponse"}),
        false,
        None,
    );
    invoke.data = true;
    invoke.resources =
        Some(json!([{"accountId": acct.id, "type": "AWS::Lambda::Function", "ARN": arn}]));
    p.calls.push(invoke);
    // The function, running with the privileged role, grants the attacker access.
    let role_name = role.rsplit('/').next().unwrap_or("admin").to_string();
    let session = crate::simulate::event::Identity::Role {
        account: acct.id.clone(),
        role: role_name,
        path: "/".into(),
        role_id: format!("AROA{}", c.r.upper(17)),
        session: fname.clone(),
        key: KeyRef::Fixed(c.r.key("ASIA")),
        created_us: t,
        mfa: false,
        console: false,
    };
    let fn_actor = Actor {
        who: Arc::new(session),
        ip: catalog::aws_ip(&acct.region, &mut c.r),
        os: "",
        ua: Some(if runtime.starts_with("python") {
            format!("Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214-224.821.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_{runtime} cfg/retry-mode#legacy Botocore/1.34.42")
        } else {
            format!("aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.214-223.792.amzn2.x86_64 lang/js md/nodejs#20.12.0 api/iam#3.540.0 exec-env/AWS_Lambda_{runtime}")
        }),
        account: 0,
        region: acct.region.clone(),
    };
    t += c.pause(1, 4);
    let target = match &*actor.who {
        crate::simulate::event::Identity::User { name, .. } => name.clone(),
        _ => format!("svc-{}", c.r.lower(6)),
    };
    if !matches!(&*actor.who, crate::simulate::event::Identity::User { .. }) {
        p.calls.push(fn_actor.call(
            c,
            t,
            "iam",
            "CreateUser",
            json!({"userName": target}),
            false,
            None,
        ));
        t += c.pause(1, 3);
    }
    p.calls.push(fn_actor.call(
        c,
        t,
        "iam",
        "AttachUserPolicy",
        json!({"userName": target, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        false,
        None,
    ));
    t += c.pause(1, 3);
    p.calls.push(fn_actor.call(c, t, "iam", "CreateAccessKey", json!({"userName": target}), false, None)
        .respond(json!({"accessKey": {"userName": target, "accessKeyId": c.r.key("AKIA"), "status": "Active", "createDate": "Jun 3, 2024 10:00:00 AM"}})));
    if !reuse && c.r.chance(0.6) {
        t += c.pause(60, 600);
        p.calls.push(actor.call(
            c,
            t,
            "lambda",
            "DeleteFunction20150331",
            json!({"functionName": fname}),
            false,
            None,
        ));
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: Some(fname),
    };
    p
}

fn ci_new_api(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let acct = &w.accounts[0];
    let key = c.r.key("ASIA");
    let who =
        Arc::new(w.ci[0].with_session("GitHubActions", KeyRef::Fixed(key), c.start - 30 * SEC));
    let os = *c.r.pick(catalog::SERVER_OS);
    let actor = Actor {
        who,
        ip: catalog::ip_from(catalog::CI_RUNNERS, &mut c.r),
        os,
        ua: None,
        account: 0,
        region: acct.region.clone(),
    };
    let mut p = Plan::default();
    let mut t = c.start;
    // A normal-looking start: the pipeline still touches a function.
    let fi = c.any_function();
    let fname = w.functions[fi].name.clone();
    p.calls.push(actor.call(
        c,
        t,
        "lambda",
        "GetFunction20150331v2",
        json!({"functionName": fname}),
        true,
        None,
    ));
    t += c.pause(5, 30);
    let user = format!(
        "{}-{}",
        c.r.pick(&["deploy-bot", "svc-backup", "ci-cache", "monitoring"]),
        c.r.lower(4)
    );
    p.calls.push(actor.call(
        c,
        t,
        "iam",
        "CreateUser",
        json!({"userName": user, "tags": [{"key": "owner", "value": "platform"}]}),
        false,
        None,
    ));
    t += c.pause(1, 8);
    let policy = *c.r.pick(&[
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
    ]);
    p.calls.push(actor.call(
        c,
        t,
        "iam",
        "AttachUserPolicy",
        json!({"userName": user, "policyArn": policy}),
        false,
        None,
    ));
    t += c.pause(1, 8);
    p.calls.push(actor.call(c, t, "iam", "CreateAccessKey", json!({"userName": user}), false, None)
        .respond(json!({"accessKey": {"userName": user, "accessKeyId": c.r.key("AKIA"), "status": "Active", "createDate": "Jun 3, 2024 10:00:00 AM"}})));
    if c.r.chance(0.5) {
        t += c.pause(1, 8);
        p.calls.push(actor.call(
            c,
            t,
            "iam",
            "CreateLoginProfile",
            json!({"userName": user, "passwordResetRequired": false}),
            false,
            None,
        ));
    }
    if c.r.chance(0.5) {
        t += c.pause(30, 5 * MIN as u64 / 1_000_000);
        let run = c.r.range(8_000_000_000, 9_999_999_999);
        p.calls.push(actor.call(c, t, "lambda", "UpdateFunctionCode20150331v2", json!({"functionName": fname, "s3Bucket": w.buckets[0][5], "s3Key": format!("builds/{fname}/{run}.zip"), "publish": false}), false, None));
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}
