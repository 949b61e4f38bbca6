//! Stolen credentials at work: a function's session used off Lambda, a user key tried
//! everywhere, resources in a region nobody uses, secrets read in bulk.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{principal_of, Actor, Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::event::KeyRef;
use crate::simulate::invocation::encode;
use crate::simulate::world::Route;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "stolen_function_credentials",
                technique: "T1078.004",
                tactic: "initial-access",
                description: "A function's execution-role credentials, read from the function through a file-read bug, are used from a laptop outside AWS: identity, buckets, instances, secrets",
                expected: &["detector:lambda_creds_outside_lambda", "rule:lambda_env_file_read", "detector:new_api"],
            },
            plan: stolen_function,
        },
        Scenario {
            info: ScenarioInfo {
                name: "access_denied_spike",
                technique: "T1580",
                tactic: "discovery",
                description: "A leaked IAM user key is tried against many services from a new address; most calls are denied",
                expected: &["detector:access_denied", "correlation:access_denied_many_services"],
            },
            plan: access_denied,
        },
        Scenario {
            info: ScenarioInfo {
                name: "unusual_region",
                technique: "T1535",
                tactic: "defense-evasion",
                description: "Stolen credentials launch GPU instances (or a function) in a region the account never uses",
                expected: &["detector:unusual_region", "rule:ec2_run_instances_gpu"],
            },
            plan: unusual_region,
        },
        Scenario {
            info: ScenarioInfo {
                name: "secrets_harvest",
                technique: "T1555.006",
                tactic: "credential-access",
                description: "A principal lists and reads dozens of secrets and decrypted parameters in minutes",
                expected: &["correlation:secrets_burst", "detector:new_api"],
            },
            plan: secrets,
        },
    ]
}

fn stolen_function(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let mut p = Plan::default();
    let fi = c
        .function_with(&[
            Route::Search,
            Route::Proxy,
            Route::OrdersList,
            Route::ProductGet,
        ])
        .unwrap_or_else(|| c.any_function());
    let f = &w.functions[fi];
    let ip = c.attacker_ip();
    let os = c.attacker_os();
    let mut t = c.start;
    // The read: a traversal to the process environment through a query parameter.
    let ua = catalog::browser_ua(&mut c.r);
    let client = c.client(ip.clone(), ua);
    let route = *c.r.pick(&f.routes);
    let tries = 1 + c.r.below(4);
    for i in 0..tries {
        let mut inv = c.request(fi, route, t, &client);
        let depth = 3 + c.r.below(5);
        let target = if i + 1 == tries {
            "proc/self/environ"
        } else {
            *c.r.pick(&["etc/passwd", "proc/self/cmdline", "var/task/.env"])
        };
        let value = format!("{}{target}", "../".repeat(depth));
        let key =
            c.r.pick(&["file", "template", "lang", "export"])
                .to_string();
        inv.query.push((
            key,
            if c.r.chance(0.5) {
                value
            } else {
                encode(&value)
            },
        ));
        inv.status = 200;
        p.invs.push(inv);
        t += c.pause(3, 40);
    }
    // The key: the environment's session, pinned so the label can name it.
    let key = KeyRef::Env {
        function: fi,
        pin: c.pin,
    };
    let who = Arc::new(
        f.role
            .with_session(&f.name, key.clone(), t - c.pause(600, 3000)),
    );
    let ua = if c.r.chance(0.5) {
        Some(catalog::boto3_ua(os.trim_start_matches("os/")))
    } else {
        None
    };
    let actor = Actor {
        who,
        ip: ip.clone(),
        os,
        ua,
        account: f.account,
        region: f.region.clone(),
    };
    t += c.pause(120, 1500);
    let mut steps: Vec<(&'static str, &str, Value)> = vec![
        ("sts", "GetCallerIdentity", Value::Null),
        ("s3", "ListBuckets", Value::Null),
        (
            "iam",
            "ListAttachedRolePolicies",
            json!({"roleName": f.role.role_arn().unwrap_or_default().rsplit('/').next().unwrap_or_default()}),
        ),
        ("lambda", "ListFunctions20150331", Value::Null),
        ("secretsmanager", "ListSecrets", json!({"maxResults": 100})),
        ("ec2", "DescribeInstances", Value::Null),
        ("dynamodb", "ListTables", Value::Null),
        ("ssm", "DescribeParameters", Value::Null),
    ];
    c.r.shuffle(&mut steps[1..]);
    let n = 4 + c.r.below(steps.len() - 3);
    for (svc, name, params) in steps.into_iter().take(n) {
        let mut call = actor.call(c, t, svc, name, params, true, None);
        if matches!(svc, "iam" | "ec2") && c.r.chance(0.6) {
            call = call.access_denied();
        }
        p.calls.push(call);
        t += c.pause(2, 50);
    }
    let k = 1 + c.r.below(3);
    for s in c.r.sample(w.secrets[f.account].len(), k) {
        let id = w.secrets[f.account][s].clone();
        let call = actor.call(
            c,
            t,
            "secretsmanager",
            "GetSecretValue",
            json!({"secretId": id}),
            true,
            None,
        );
        p.calls.push(if c.r.chance(0.5) {
            call.access_denied()
        } else {
            call
        });
        t += c.pause(2, 20);
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: Some(key),
        source_ips: vec![ip],
        function: Some(f.name.clone()),
    };
    p
}

fn access_denied(c: &mut Ctx<'_>) -> Plan {
    let actor = c.stolen_user();
    let mut p = Plan::default();
    let mut t = c.start;
    let apis: &[(&'static str, &str)] = &[
        ("iam", "ListUsers"),
        ("iam", "ListRoles"),
        ("iam", "GetAccountAuthorizationDetails"),
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeSnapshots"),
        ("s3", "ListBuckets"),
        ("rds", "DescribeDBInstances"),
        ("lambda", "ListFunctions20150331"),
        ("secretsmanager", "ListSecrets"),
        ("ssm", "DescribeParameters"),
        ("kms", "ListKeys"),
        ("dynamodb", "ListTables"),
        ("sns", "ListTopics"),
        ("sqs", "ListQueues"),
        ("cloudtrail", "DescribeTrails"),
        ("guardduty", "ListDetectors"),
        ("organizations", "DescribeOrganization"),
        ("ecr", "DescribeRepositories"),
        ("eks", "ListClusters"),
        ("ecs", "ListClusters"),
        ("route53", "ListHostedZones"),
        ("cloudformation", "ListStacks"),
        ("logs", "DescribeLogGroups"),
        ("elasticloadbalancing", "DescribeLoadBalancers"),
        ("apigateway", "GetRestApis"),
        ("cognito-idp", "ListUserPools"),
        ("sesv2", "ListEmailIdentities"),
    ];
    p.calls
        .push(actor.call(c, t, "sts", "GetCallerIdentity", Value::Null, true, None));
    let n = 25 + c.r.below(50);
    let allowed = ["athena", "s3"];
    for _ in 0..n {
        t += c.pause(1, 25);
        let (svc, name) = *c.r.pick(apis);
        let region = if c.r.chance(0.3) {
            Some(*c.r.pick(catalog::HOME_REGIONS))
        } else {
            None
        };
        let call = actor.call(c, t, svc, name, Value::Null, true, region);
        p.calls.push(if allowed.contains(&svc) && c.r.chance(0.5) {
            call
        } else {
            call.access_denied()
        });
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}

fn unusual_region(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = if c.r.chance(0.5) {
        c.stolen_person(true, 0)
    } else {
        c.stolen_user()
    };
    let region = loop {
        let r = *c.r.pick(catalog::FAR_REGIONS);
        if r != w.accounts[0].region && r != w.accounts[0].dr_region {
            break r;
        }
    };
    let mut p = Plan::default();
    let mut t = c.start;
    p.calls.push(actor.call(
        c,
        t,
        "ec2",
        "DescribeRegions",
        Value::Null,
        true,
        Some(region),
    ));
    t += c.pause(5, 60);
    if c.r.chance(0.7) {
        let key = format!(
            "{}-{}",
            c.r.pick(&["deploy", "ops", "build", "default"]),
            c.r.lower(4)
        );
        p.calls.push(actor.call(
            c,
            t,
            "ec2",
            "CreateKeyPair",
            json!({"keyName": key, "keyType": "rsa"}),
            false,
            Some(region),
        ));
        t += c.pause(2, 20);
        let sg = format!("sg-{}", c.r.hex(17));
        p.calls.push(actor.call(c, t, "ec2", "AuthorizeSecurityGroupIngress", json!({"groupId": sg, "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}), false, Some(region)));
        t += c.pause(2, 20);
        let kind =
            *c.r.pick(&["g4dn.xlarge", "g5.2xlarge", "p3.2xlarge", "c6i.8xlarge"]);
        let count = 1 + c.r.below(8);
        for _ in 0..1 + c.r.below(3) {
            let ami = c.r.hex(17);
            p.calls.push(actor.call(c, t, "ec2", "RunInstances", json!({"instancesSet": {"items": [{"imageId": format!("ami-{ami}"), "minCount": count, "maxCount": count, "keyName": key}]}, "instanceType": kind, "blockDeviceMapping": {}, "monitoring": {"enabled": false}, "disableApiTermination": false}), false, Some(region)));
            t += c.pause(20, 300);
        }
    } else {
        let fname = format!(
            "{}-{}",
            c.r.pick(&["edge-sync", "cdn-warmup", "worker"]),
            c.r.lower(4)
        );
        let role = w.functions[c.any_function()]
            .role
            .role_arn()
            .unwrap_or_default();
        p.calls.push(actor.call(c, t, "lambda", "CreateFunction20150331", json!({"functionName": fname, "runtime": "python3.12", "role": role, "handler": "app.handler", "code": {}, "timeout": 900, "memorySize": 10240}), false, Some(region)));
        t += c.pause(5, 60);
        p.calls.push(actor.call(
            c,
            t,
            "lambda",
            "CreateFunctionUrlConfig20211031",
            json!({"functionName": fname, "authType": "NONE"}),
            false,
            Some(region),
        ));
        t += c.pause(5, 60);
        p.calls.push(actor.call(c, t, "events", "PutRule", json!({"name": format!("{fname}-every-minute"), "scheduleExpression": "rate(1 minute)", "state": "ENABLED"}), false, Some(region)));
    }
    p.entities = Entities {
        principal: principal_of(&actor),
        access_key: actor.who.fixed_key().map(|k| KeyRef::Fixed(k.into())),
        source_ips: vec![actor.ip.clone()],
        function: None,
    };
    p
}

fn secrets(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let actor = match c.r.below(3) {
        0 => c.stolen_person(false, 0),
        1 => c.stolen_user(),
        _ => c.stolen_person(true, 0),
    };
    let mut p = Plan::default();
    let mut t = c.start;
    p.calls.push(actor.call(
        c,
        t,
        "secretsmanager",
        "ListSecrets",
        json!({"maxResults": 100}),
        true,
        None,
    ));
    let secrets = w.secrets[0].clone();
    let n = secrets.len().min(10 + c.r.below(40));
    for i in c.r.sample(secrets.len(), n) {
        t += c.pause(0, 6);
        p.calls.push(actor.call(
            c,
            t,
            "secretsmanager",
            "GetSecretValue",
            json!({"secretId": secrets[i]}),
            true,
            None,
        ));
    }
    if c.r.chance(0.7) {
        t += c.pause(5, 60);
        p.calls.push(actor.call(
            c,
            t,
            "ssm",
            "DescribeParameters",
            json!({"maxResults": 50}),
            true,
            None,
        ));
        let params = w.params[0].clone();
        let m = params.len().min(8 + c.r.below(25));
        let batch = c.r.chance(0.4);
        let picked = c.r.sample(params.len(), m);
        if batch {
            for chunk in picked.chunks(10) {
                t += c.pause(0, 5);
                let names: Vec<&String> = chunk.iter().map(|i| &params[*i]).collect();
                p.calls.push(actor.call(
                    c,
                    t,
                    "ssm",
                    "GetParameters",
                    json!({"names": names, "withDecryption": true}),
                    true,
                    None,
                ));
            }
        } else {
            for i in picked {
                t += c.pause(0, 4);
                p.calls.push(actor.call(
                    c,
                    t,
                    "ssm",
                    "GetParameter",
                    json!({"name": params[i], "withDecryption": true}),
                    true,
                    None,
                ));
            }
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
