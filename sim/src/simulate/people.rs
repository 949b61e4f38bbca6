//! People and roles calling AWS, planned a day at a time: CI deploys (GitHub OIDC →
//! deploy role → UpdateFunctionCode, PublishVersion, UpdateAlias, now and then a new
//! function with its role passed, a layer, a log retention), developers and admins
//! through SSO (console and CLI sessions in office hours, mostly reads, a few writes
//! in staging, normal AccessDenied noise), the nightly security audit (List/Describe
//! across services and every region, GetFunction on every function), AWS Config
//! describing what changed, and legacy IAM users of batch jobs.

use std::sync::Arc;

use serde_json::{json, Value};

use super::catalog;
use super::event::{ApiCall, Identity, KeyRef};
use super::rng::{Rng, DAY, HOUR, MIN, SEC};
use super::world::World;

/// Read calls people make, with weights: (service, eventName, params kind).
const READS: &[(&str, &str, f64)] = &[
    ("lambda", "ListFunctions20150331", 6.0),
    ("lambda", "GetFunction20150331v2", 5.0),
    ("lambda", "GetFunctionConfiguration20150331v2", 3.0),
    ("lambda", "ListAliases20150331", 1.0),
    ("lambda", "GetPolicy20150331v2", 0.6),
    ("logs", "DescribeLogGroups", 4.0),
    ("logs", "DescribeLogStreams", 4.0),
    ("logs", "FilterLogEvents", 5.0),
    ("logs", "GetLogEvents", 3.0),
    ("logs", "StartQuery", 2.0),
    ("logs", "GetQueryResults", 3.0),
    ("monitoring", "GetMetricData", 5.0),
    ("monitoring", "DescribeAlarms", 2.0),
    ("dynamodb", "DescribeTable", 2.0),
    ("dynamodb", "ListTables", 1.0),
    ("s3", "ListBuckets", 1.5),
    ("apigateway", "GetRestApis", 1.0),
    ("sqs", "ListQueues", 1.0),
    ("sqs", "GetQueueAttributes", 1.0),
    ("cloudformation", "DescribeStacks", 2.0),
    ("cloudformation", "DescribeStackEvents", 1.5),
    ("xray", "GetTraceSummaries", 1.0),
    ("ssm", "GetParameter", 0.8),
    ("secretsmanager", "ListSecrets", 0.4),
    ("secretsmanager", "DescribeSecret", 0.4),
    ("sts", "GetCallerIdentity", 1.0),
];

/// Extra reads of administrators.
const ADMIN_READS: &[(&str, &str, f64)] = &[
    ("iam", "ListRoles", 2.0),
    ("iam", "GetRole", 2.0),
    ("iam", "ListAttachedRolePolicies", 1.5),
    ("iam", "GetPolicyVersion", 1.0),
    ("iam", "ListUsers", 0.6),
    ("guardduty", "ListFindings", 1.0),
    ("guardduty", "GetFindings", 1.0),
    ("securityhub", "GetFindings", 1.0),
    ("cloudtrail", "LookupEvents", 1.0),
    ("cloudtrail", "DescribeTrails", 0.5),
    ("ec2", "DescribeInstances", 1.0),
    ("ec2", "DescribeSecurityGroups", 0.6),
    ("config", "DescribeComplianceByConfigRule", 0.5),
];

/// Every benign call of the day starting at `day_us`, in any order.
pub(crate) fn plan_day(w: &World, r: &mut Rng, day_us: i64, scale: f64) -> Vec<ApiCall> {
    let mut out = Vec::new();
    let people_scale = scale.max(0.05).sqrt();
    let (_, weekday) = w.local(day_us + 12 * HOUR);
    let workday = weekday < 5;
    // Local office hours in UTC.
    let local = |h: f64| day_us + ((h - w.tz as f64) * HOUR as f64) as i64;
    for a in 0..w.accounts.len() {
        let deploys = if workday { [4.0, 7.0][a] } else { 0.3 } * people_scale;
        for _ in 0..r.poisson(deploys) {
            let t = local(r.uniform(9.0, 18.5));
            deploy(w, r, a, t, &mut out);
        }
        let at = local(2.0) + r.range(0, 20 * MIN as u64) as i64;
        audit(w, r, a, at, &mut out);
    }
    for p in 0..w.people.len() {
        let person = &w.people[p];
        let works = if workday { 0.85 } else { 0.06 };
        if !r.chance(works) {
            continue;
        }
        let sessions = 1 + r.poisson(if person.admin { 0.8 } else { 1.6 } * people_scale);
        for _ in 0..sessions {
            let h = if r.chance(0.05) {
                r.uniform(20.0, 23.0)
            } else {
                (11.5 + 2.6 * r.normal()).clamp(7.5, 19.0)
            };
            session(w, r, p, local(h), &mut out);
        }
    }
    users(w, r, day_us, &mut out);
    out
}

fn id(r: &mut Rng) -> String {
    r.uuid()
}

/// A CI deploy: OIDC, then update 1–4 functions (rarely create one).
fn deploy(w: &World, r: &mut Rng, a: usize, t0: i64, out: &mut Vec<ApiCall>) {
    let acct = &w.accounts[a];
    let runner_ip = catalog::ip_from(catalog::CI_RUNNERS, r);
    let os = *r.pick(catalog::SERVER_OS);
    let run = r.range(8_000_000_000, 9_999_999_999);
    let web = Arc::new(Identity::WebIdentity {
        account: acct.id.clone(),
        provider: "token.actions.githubusercontent.com".into(),
        subject: format!("repo:{}:ref:refs/heads/main", w.repo),
    });
    let key = r.key("ASIA");
    let ci = Arc::new(w.ci[a].with_session("GitHubActions", KeyRef::Fixed(key.clone()), t0));
    let sts_ua = format!("aws-sdk-js/3.540.0 ua/2.0 {os} lang/js md/nodejs#20.11.1 api/sts#3.540.0 configure-aws-credentials-for-github-actions");
    out.push(
        ApiCall::new(t0, &web, &acct.id, &acct.region, &runner_ip, &sts_ua, "sts", "AssumeRoleWithWebIdentity",
            json!({"roleArn": ci.role_arn(), "roleSessionName": "GitHubActions", "durationSeconds": 3600}), true, id(r))
        .respond(json!({"credentials": {"accessKeyId": key, "expiration": "Jun 3, 2024, 11:00:00 AM", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLEredacted"},
            "subjectFromWebIdentityToken": format!("repo:{}:ref:refs/heads/main", w.repo), "audience": "sts.amazonaws.com",
            "provider": format!("arn:aws:iam::{}:oidc-provider/token.actions.githubusercontent.com", acct.id)})),
    );
    let mut t = t0 + r.range(5, 40) as i64 * SEC;
    let fns: Vec<usize> = w.functions_of(a).map(|(i, _)| i).collect();
    if fns.is_empty() {
        return;
    }
    let cli = |r: &mut Rng, svc: &str, name: &str| {
        catalog::cli_ua(os, &catalog::cli_command(svc, name), r)
    };
    let call = |r: &mut Rng, t: i64, svc: &'static str, name: &str, params: Value, ro: bool| {
        let ua = cli(r, svc, name);
        ApiCall::new(
            t,
            &ci,
            &acct.id,
            &acct.region,
            &runner_ip,
            &ua,
            svc,
            name,
            params,
            ro,
            r.uuid(),
        )
    };
    let artifacts = &w.buckets[a][5];
    let n = 1 + r.below(4.min(fns.len()));
    for fi in r.sample(fns.len(), n).into_iter().map(|i| fns[i]) {
        let f = &w.functions[fi];
        let key = format!("builds/{}/{run}.zip", f.name);
        let mut put = call(
            r,
            t,
            "s3",
            "PutObject",
            json!({"bucketName": artifacts, "key": key, "Host": format!("{artifacts}.s3.{}.amazonaws.com", acct.region)}),
            false,
        );
        put.data = true;
        put.resources = Some(
            json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{artifacts}/{key}")}, {"accountId": acct.id, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{artifacts}")}]),
        );
        out.push(put);
        t += r.range(2, 9) as i64 * SEC;
        out.push(call(
            r,
            t,
            "lambda",
            "GetFunction20150331v2",
            json!({"functionName": f.name}),
            true,
        ));
        t += r.range(1, 4) as i64 * SEC;
        out.push(call(r, t, "lambda", "UpdateFunctionCode20150331v2", json!({"functionName": f.name, "s3Bucket": artifacts, "s3Key": key, "publish": false, "dryRun": false}), false)
            .respond(json!({"functionName": f.name, "functionArn": f.arn(w), "runtime": f.runtime.id(), "role": f.role.role_arn(), "codeSize": r.range(200_000, 9_000_000), "lastUpdateStatus": "InProgress"})));
        for _ in 0..1 + r.below(3) {
            t += r.range(2, 6) as i64 * SEC;
            out.push(call(
                r,
                t,
                "lambda",
                "GetFunctionConfiguration20150331v2",
                json!({"functionName": f.name}),
                true,
            ));
        }
        if r.chance(0.2) {
            t += r.range(1, 5) as i64 * SEC;
            let mut params = json!({"functionName": f.name, "environment": {"variables": {"LOG_LEVEL": "HIDDEN_DUE_TO_SECURITY_REASONS", "FEATURE_FLAGS": "HIDDEN_DUE_TO_SECURITY_REASONS"}}});
            if r.chance(0.3) {
                params["layers"] = json!([r.pick(&w.layers)]);
            }
            out.push(call(
                r,
                t,
                "lambda",
                "UpdateFunctionConfiguration20150331v2",
                params,
                false,
            ));
        }
        t += r.range(2, 8) as i64 * SEC;
        let version = r.range(10, 400);
        out.push(
            call(
                r,
                t,
                "lambda",
                "PublishVersion20150331",
                json!({"functionName": f.name}),
                false,
            )
            .respond(json!({"functionName": f.name, "version": version.to_string()})),
        );
        t += r.range(1, 3) as i64 * SEC;
        out.push(call(
            r,
            t,
            "lambda",
            "UpdateAlias20150331",
            json!({"functionName": f.name, "name": "live", "functionVersion": version.to_string()}),
            false,
        ));
        // A smoke test invoke, logged as a Lambda data event.
        if r.chance(0.5) {
            t += r.range(2, 10) as i64 * SEC;
            let mut inv = call(
                r,
                t,
                "lambda",
                "Invoke",
                json!({"functionName": f.arn(w), "invocationType": "RequestResponse"}),
                false,
            );
            inv.data = true;
            inv.resources = Some(
                json!([{"accountId": acct.id, "type": "AWS::Lambda::Function", "ARN": f.arn(w)}]),
            );
            out.push(inv);
        }
        // AWS Config records the change a few minutes later.
        let at = t + r.range(2, 12) as i64 * MIN;
        config_describe(w, r, a, at, &f.name, out);
    }
    if r.chance(0.04) {
        // A new function: the deploy role passes the function's role.
        let f = &w.functions[*r.pick(&fns)];
        let name = format!(
            "{}-{}",
            f.name,
            r.pick(&["canary", "v2", "worker", "backfill"])
        );
        t += r.range(5, 30) as i64 * SEC;
        out.push(call(r, t, "lambda", "CreateFunction20150331", json!({"functionName": name, "runtime": f.runtime.id(), "role": f.role.role_arn(), "handler": "index.handler", "code": {"s3Bucket": artifacts, "s3Key": format!("builds/{name}/{run}.zip")}, "timeout": f.timeout_s, "memorySize": f.memory_mb, "publish": true}), false));
        out.push(call(
            r,
            t + 3 * SEC,
            "logs",
            "CreateLogGroup",
            json!({"logGroupName": format!("/aws/lambda/{name}")}),
            false,
        ));
        let days = *r.pick(&[14, 30, 90]);
        out.push(call(
            r,
            t + 4 * SEC,
            "logs",
            "PutRetentionPolicy",
            json!({"logGroupName": format!("/aws/lambda/{name}"), "retentionInDays": days}),
            false,
        ));
        let (sid, api) = (r.hex(8), r.lower(10));
        out.push(call(r, t + 6 * SEC, "lambda", "AddPermission20150331v2", json!({"functionName": name, "statementId": format!("apigw-{sid}"), "action": "lambda:InvokeFunction", "principal": "apigateway.amazonaws.com", "sourceArn": format!("arn:aws:execute-api:{}:{}:{api}/*/*/*", acct.region, acct.id)}), false));
    }
}

/// AWS Config describing a changed function.
fn config_describe(
    w: &World,
    r: &mut Rng,
    a: usize,
    t: i64,
    function: &str,
    out: &mut Vec<ApiCall>,
) {
    let acct = &w.accounts[a];
    let who = Arc::new(Identity::Role {
        account: acct.id.clone(),
        role: "AWSServiceRoleForConfig".into(),
        path: "/aws-service-role/config.amazonaws.com/".into(),
        role_id: format!("AROA{}", &acct.id[..12]),
        session: "AWSConfig-Describe".into(),
        key: KeyRef::Fixed(r.key("ASIA")),
        created_us: t - 10 * MIN,
        mfa: false,
        console: false,
    });
    for (i, name) in [
        "GetFunction20150331v2",
        "GetPolicy20150331v2",
        "ListTags20170331",
    ]
    .iter()
    .enumerate()
    {
        let mut c = ApiCall::new(
            t + i as i64 * SEC,
            &who,
            &acct.id,
            &acct.region,
            "config.amazonaws.com",
            "config.amazonaws.com",
            "lambda",
            name,
            json!({"functionName": function}),
            true,
            r.uuid(),
        );
        if *name == "GetPolicy20150331v2" && r.chance(0.6) {
            c = c.fail(
                "ResourceNotFoundException",
                "The resource you requested does not exist.".into(),
            );
        }
        out.push(c);
    }
}

/// The nightly CSPM scan with the SecurityAudit role.
fn audit(w: &World, r: &mut Rng, a: usize, t0: i64, out: &mut Vec<ApiCall>) {
    let acct = &w.accounts[a];
    let who = Arc::new(w.auditor[a].with_session("cspm-scan", KeyRef::Fixed(r.key("ASIA")), t0));
    let ua = "aws-sdk-go/1.51.6 (go1.21.8; linux; amd64)";
    let mut t = t0;
    let mut mk = |r: &mut Rng, region: &str, svc: &'static str, name: &str, params: Value| {
        t += r.range(150, 900) as i64 * 1000;
        ApiCall::new(
            t,
            &who,
            &acct.id,
            region,
            &w.auditor_ip,
            ua,
            svc,
            name,
            params,
            true,
            r.uuid(),
        )
    };
    let home = acct.region.as_str();
    for name in [
        "GetAccountSummary",
        "ListUsers",
        "ListRoles",
        "ListPolicies",
        "GetAccountPasswordPolicy",
        "GenerateCredentialReport",
        "GetCredentialReport",
        "ListVirtualMFADevices",
    ] {
        out.push(mk(r, "us-east-1", "iam", name, Value::Null));
    }
    out.push(mk(r, home, "s3", "ListBuckets", Value::Null));
    for b in &w.buckets[a] {
        for name in [
            "GetBucketAcl",
            "GetBucketPolicy",
            "GetBucketEncryption",
            "GetBucketPublicAccessBlock",
        ] {
            let c = mk(
                r,
                home,
                "s3",
                name,
                json!({"bucketName": b, "Host": format!("{b}.s3.{home}.amazonaws.com")}),
            );
            out.push(if name == "GetBucketPolicy" && !b.contains("assets") {
                c.fail(
                    "NoSuchBucketPolicy",
                    "The bucket policy does not exist".into(),
                )
            } else {
                c
            });
        }
    }
    for name in ["DescribeTrails", "GetTrailStatus", "GetEventSelectors"] {
        out.push(mk(r, home, "cloudtrail", name, Value::Null));
    }
    out.push(mk(r, home, "guardduty", "ListDetectors", Value::Null));
    out.push(mk(
        r,
        home,
        "config",
        "DescribeConfigurationRecorders",
        Value::Null,
    ));
    out.push(mk(r, home, "securityhub", "DescribeHub", Value::Null));
    out.push(mk(
        r,
        home,
        "secretsmanager",
        "ListSecrets",
        json!({"maxResults": 100}),
    ));
    out.push(mk(r, home, "kms", "ListKeys", Value::Null));
    out.push(mk(r, home, "lambda", "ListFunctions20150331", Value::Null));
    for (_, f) in w.functions_of(a) {
        out.push(mk(
            r,
            home,
            "lambda",
            "GetPolicy20150331v2",
            json!({"functionName": f.name}),
        ));
        let c = mk(
            r,
            home,
            "lambda",
            "GetFunctionUrlConfig20211031",
            json!({"functionName": f.name}),
        );
        out.push(if f.via != super::world::Via::Url {
            c.fail(
                "ResourceNotFoundException",
                "The resource you requested does not exist.".into(),
            )
        } else {
            c
        });
    }
    for region in catalog::ALL_REGIONS {
        for name in [
            "DescribeInstances",
            "DescribeSecurityGroups",
            "DescribeVpcs",
        ] {
            out.push(mk(r, region, "ec2", name, Value::Null));
        }
        out.push(mk(
            r,
            region,
            "lambda",
            "ListFunctions20150331",
            Value::Null,
        ));
    }
}

/// One console or CLI session of a person.
fn session(w: &World, r: &mut Rng, p: usize, t0: i64, out: &mut Vec<ApiCall>) {
    let person = &w.people[p];
    let a = if r.chance(if person.admin { 0.6 } else { 0.3 }) {
        0
    } else {
        1
    };
    let acct = &w.accounts[a];
    let console = r.chance(0.55);
    let ip = if person.office && r.chance(0.8) {
        r.pick(&w.office_ips).clone()
    } else {
        person.home_ip.clone()
    };
    let base = &person.roles[a];
    let mut who = base.with_session(
        &person.email,
        KeyRef::Fixed(r.key("ASIA")),
        t0 - r.range(0, 2 * HOUR as u64) as i64,
    );
    if let Identity::Role { console: c, .. } = &mut who {
        *c = console;
    }
    let who = Arc::new(who);
    let browser = catalog::browser_ua(r);
    let n = 3 + r.poisson(18.0);
    let mut t = t0;
    let fns: Vec<&super::world::Function> = w.functions_of(a).map(|(_, f)| f).collect();
    let mut weights: Vec<(&'static str, &'static str, f64)> = READS.to_vec();
    if person.admin {
        weights.extend_from_slice(ADMIN_READS);
    }
    let ws: Vec<f64> = weights.iter().map(|x| x.2).collect();
    for _ in 0..n {
        t += r.exp(50.0 * SEC as f64) as i64 + SEC;
        let (svc, name, _) = weights[r.weighted(&ws)];
        let f = fns.get(r.below(fns.len().max(1)));
        let params = match (svc, f) {
            ("lambda", Some(f)) if !name.starts_with("List") => json!({"functionName": f.name}),
            ("logs", Some(f)) if name != "DescribeLogGroups" => {
                json!({"logGroupName": format!("/aws/lambda/{}", f.name)})
            }
            ("ssm", _) => json!({"name": r.pick(&w.params[a]), "withDecryption": false}),
            ("secretsmanager", _) if name == "DescribeSecret" => {
                json!({"secretId": r.pick(&w.secrets[a])})
            }
            _ => Value::Null,
        };
        let ua = if console {
            if r.chance(0.5) {
                "AWS Internal".to_string()
            } else {
                browser.clone()
            }
        } else {
            catalog::cli_ua(person.os, &catalog::cli_command(svc, name), r)
        };
        let region = if svc == "iam" {
            "us-east-1"
        } else {
            acct.region.as_str()
        };
        let mut c = ApiCall::new(
            t,
            &who,
            &acct.id,
            region,
            &ip,
            &ua,
            svc,
            name,
            params,
            true,
            r.uuid(),
        );
        // Normal denials: developers poking at what their permission set lacks.
        if !person.admin && (a == 0 && r.chance(0.05) || r.chance(0.01)) {
            c = c.access_denied();
        }
        out.push(c);
    }
    // A few writes in staging.
    if a == 1 && !fns.is_empty() && r.chance(0.25) {
        let f = fns[r.below(fns.len())];
        t += r.range(10, 120) as i64 * SEC;
        let ua = if console {
            "AWS Internal".to_string()
        } else {
            catalog::cli_ua(person.os, "lambda.update-function-configuration", r)
        };
        out.push(ApiCall::new(t, &who, &acct.id, &acct.region, &ip, &ua, "lambda", "UpdateFunctionConfiguration20150331v2",
            json!({"functionName": f.name, "timeout": f.timeout_s, "environment": {"variables": {"LOG_LEVEL": "HIDDEN_DUE_TO_SECURITY_REASONS"}}}), false, r.uuid()));
    }
}

/// Batch jobs with long-term IAM user keys.
fn users(w: &World, r: &mut Rng, day_us: i64, out: &mut Vec<ApiCall>) {
    let acct = &w.accounts[0];
    if let Some(u) = w.users.first() {
        let t = day_us + 6 * HOUR + r.range(0, 10 * MIN as u64) as i64;
        let ua = catalog::boto3_ua("linux#5.10.215-203.850.amzn2.x86_64");
        for (i, name) in [
            "StartQueryExecution",
            "GetQueryExecution",
            "GetQueryExecution",
            "GetQueryResults",
        ]
        .iter()
        .enumerate()
        {
            out.push(ApiCall::new(
                t + i as i64 * 5 * SEC,
                u,
                &acct.id,
                &acct.region,
                &w.user_ips[0],
                &ua,
                "athena",
                name,
                json!({"workGroup": "primary"}),
                *name != "StartQueryExecution",
                r.uuid(),
            ));
        }
    }
    if let Some(u) = w.users.get(1) {
        let ua = catalog::cli_ua("os/linux#5.15.0-107-generic", "s3.sync", r);
        for h in (0..24).step_by(4) {
            let t = day_us + h * HOUR + r.range(0, 5 * MIN as u64) as i64;
            out.push(ApiCall::new(
                t,
                u,
                &acct.id,
                &acct.dr_region,
                &w.user_ips[1],
                &ua,
                "s3",
                "ListBuckets",
                Value::Null,
                true,
                r.uuid(),
            ));
            let b = &w.buckets[0][4];
            out.push(ApiCall::new(
                t + SEC,
                u,
                &acct.id,
                &acct.dr_region,
                &w.user_ips[1],
                &ua,
                "s3",
                "GetBucketLocation",
                json!({"bucketName": b, "location": ""}),
                true,
                r.uuid(),
            ));
        }
    }
    let _ = DAY;
}
