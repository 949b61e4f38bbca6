//! What a function's log group receives, and the AWS calls its code makes.
//!
//! [`Lambda`] keeps each function's execution environments (a cold start creates
//! one: an `INIT_START` line, an `Init Duration` in the `REPORT`, the Lambda service
//! assuming the execution role, the code's init-time calls such as `GetSecretValue`;
//! an environment is reused while warm and recycled after an idle time). Each
//! environment has its own log stream, credentials (`ASIA…` key, session name = the
//! function name) and egress address (the region's AWS range, or the VPC's NAT).
//!
//! Per request the log group gets `START`, the event logged by the function
//! (Powertools or Lambda's JSON log format: this is what `invocations` is read from),
//! application lines, `Task timed out` on a timeout, `END`, `REPORT`; API Gateway
//! access log lines (with the status code) go to the same log group so their rows
//! carry the function name. Lines are batched per log stream into CloudWatch Logs
//! subscription payloads, one JSON document per line of `lambda/<fn>/…/HH.jsonl.gz`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::catalog;
use super::event::{ApiCall, Identity, KeyRef};
use super::invocation::Invocation;
use super::rng::{rfc3339_ms, utc, Rng, HOUR, MIN};
use super::world::{Function, LogStyle, Runtime, World};
use super::writer::Output;
use crate::SimError;

/// Log events per subscription payload at most.
const BATCH: usize = 40;

struct Env {
    id: String,
    key: String,
    ip: String,
    vpce: Option<String>,
    created_us: i64,
    busy_until: i64,
    last_us: i64,
    ttl_us: i64,
}

/// The execution environments of every function, across hours.
pub(crate) struct Lambda {
    envs: Vec<Vec<Env>>,
    /// Keys handed out to pinned (stolen) credentials.
    pins: BTreeMap<u32, String>,
    rng: Rng,
}

/// One log event: (log stream, ms, message).
type LogEvent = (String, i64, String);

impl Lambda {
    /// No environments yet.
    pub fn new(functions: usize, rng: Rng) -> Lambda {
        Lambda {
            envs: (0..functions).map(|_| Vec::new()).collect(),
            pins: BTreeMap::new(),
            rng,
        }
    }

    /// Resolves a key reference: fixed keys as they are, environment keys pinned on
    /// first use to the function's most recent environment.
    pub fn key(&mut self, w: &World, k: &KeyRef, at_us: i64) -> String {
        match k {
            KeyRef::Fixed(k) => k.clone(),
            KeyRef::Env { function, pin } => {
                if let Some(k) = self.pins.get(pin) {
                    return k.clone();
                }
                let f = *function;
                if self.envs[f].is_empty() {
                    let env = self.new_env(w, f, at_us);
                    self.envs[f].push(env);
                }
                let k = self.envs[f]
                    .iter()
                    .max_by_key(|e| e.last_us)
                    .map(|e| e.key.clone())
                    .unwrap_or_default();
                self.pins.insert(*pin, k.clone());
                k
            }
        }
    }

    /// The key pinned under `pin`, once resolved.
    pub fn pinned(&self, pin: u32) -> Option<&str> {
        self.pins.get(&pin).map(String::as_str)
    }

    fn new_env(&mut self, w: &World, f: usize, t: i64) -> Env {
        let func = &w.functions[f];
        let r = &mut self.rng;
        let (ip, vpce) = if func.nat.is_empty() {
            (catalog::aws_ip(&func.region, r), None)
        } else {
            (r.pick(&func.nat).clone(), None)
        };
        Env {
            id: r.hex(32),
            key: r.key("ASIA"),
            ip,
            vpce,
            created_us: t,
            busy_until: t,
            last_us: t,
            ttl_us: (r.uniform(6.0, 45.0) * MIN as f64) as i64,
        }
    }

    /// Writes one hour of invocations of every function (`invs` in any order) and
    /// returns the AWS calls they caused (execution role and Lambda service).
    pub fn hour(
        &mut self,
        w: &World,
        hour_us: i64,
        mut invs: Vec<Invocation>,
        out: &mut Output,
    ) -> Result<Vec<(ApiCall, Option<u32>)>, SimError> {
        invs.sort_by(|a, b| {
            (a.function, a.time_us, &a.request_id).cmp(&(b.function, b.time_us, &b.request_id))
        });
        let mut calls = Vec::new();
        let mut i = 0;
        while i < invs.len() {
            let f = invs[i].function;
            let end = invs[i..]
                .iter()
                .position(|x| x.function != f)
                .map_or(invs.len(), |n| i + n);
            let events = self.function_hour(w, f, &invs[i..end], &mut calls);
            let lines = payloads(w, &w.functions[f], events);
            out.records += lines.1;
            let t = utc(hour_us);
            let rel = PathBuf::from(format!(
                "lambda/{}/{}/{}.jsonl.gz",
                w.functions[f].name,
                t.format("%Y/%m/%d"),
                t.format("%H")
            ));
            out.write_gz(&rel, &lines.0)?;
            i = end;
        }
        Ok(calls)
    }

    fn function_hour(
        &mut self,
        w: &World,
        fi: usize,
        invs: &[Invocation],
        calls: &mut Vec<(ApiCall, Option<u32>)>,
    ) -> Vec<LogEvent> {
        let f = &w.functions[fi];
        let mut events = Vec::new();
        for inv in invs {
            let t = inv.time_us;
            if let Some(a) = inv.access_log(w) {
                let at = t + (inv.dur_ms * 1000.0) as i64 + 20_000;
                events.push(("access".to_string(), at / 1000, a.to_string()));
            }
            if !inv.invoked {
                continue;
            }
            // Recycle idle environments, then take the warm one used last.
            self.envs[fi].retain(|e| e.last_us + e.ttl_us > t && e.created_us + 3 * HOUR > t);
            let warm = self.envs[fi]
                .iter()
                .enumerate()
                .filter(|(_, e)| e.busy_until <= t)
                .max_by_key(|(_, e)| e.last_us)
                .map(|(i, _)| i);
            let (idx, init_ms) = match warm {
                Some(i) => (i, None),
                None => {
                    let env = self.new_env(w, fi, t);
                    let mem_factor = (1024.0 / f.memory_mb as f64).sqrt().clamp(0.6, 2.0);
                    let init = self.rng.lognormal(f.runtime.init_ms() * mem_factor, 0.25);
                    self.envs[fi].push(env);
                    (self.envs[fi].len() - 1, Some(init))
                }
            };
            let init_us = init_ms.map_or(0, |m| (m * 1000.0) as i64);
            let dur_us = (inv.dur_ms * 1000.0) as i64;
            let env = &mut self.envs[fi][idx];
            env.busy_until = t + init_us + dur_us;
            env.last_us = env.busy_until;
            let stream = format!(
                "{}/[$LATEST]{}",
                utc(env.created_us).format("%Y/%m/%d"),
                env.id
            );
            let who = Arc::new(f.role.with_session(
                &f.name,
                KeyRef::Fixed(env.key.clone()),
                env.created_us,
            ));
            let (ip, vpce) = (env.ip.clone(), env.vpce.clone());
            if init_ms.is_some() {
                let assume = ApiCall::new(
                    t - 5_000,
                    &Arc::new(Identity::Service {
                        invoked_by: "lambda.amazonaws.com".into(),
                    }),
                    &w.accounts[f.account].id,
                    &f.region,
                    "lambda.amazonaws.com",
                    "lambda.amazonaws.com",
                    "sts",
                    "AssumeRole",
                    json!({"roleArn": who.role_arn(), "roleSessionName": f.name,
                           "durationSeconds": 43200}),
                    true,
                    self.rng.uuid(),
                );
                calls.push((assume, inv.attack));
                for (si, s) in f.side.iter().enumerate() {
                    if s.at_init && self.rng.chance(s.p) {
                        let at = t + (self.rng.f() * init_us as f64) as i64;
                        let made =
                            side_call(w, f, si, at, &who, &ip, vpce.as_deref(), &mut self.rng);
                        calls.extend(made.into_iter().map(|c| (c, inv.attack)));
                    }
                }
            }
            let start = t + init_us;
            for si in &inv.side {
                let at = start + (self.rng.f() * dur_us as f64) as i64;
                let made = side_call(w, f, *si, at, &who, &ip, vpce.as_deref(), &mut self.rng);
                calls.extend(made.into_iter().map(|c| (c, inv.attack)));
            }
            render_lines(w, f, inv, &stream, start, init_ms, &mut events);
        }
        events
    }
}

/// The log lines of one invocation.
fn render_lines(
    w: &World,
    f: &Function,
    inv: &Invocation,
    stream: &str,
    start: i64,
    init_ms: Option<f64>,
    events: &mut Vec<LogEvent>,
) {
    let ms = |us: i64| us / 1000;
    let id = &inv.request_id;
    let mut push = |at: i64, m: String| events.push((stream.to_string(), ms(at), m));
    if let Some(init) = init_ms {
        push(
            start - (init * 1000.0) as i64,
            format!(
                "INIT_START Runtime Version: {}.v{}\tRuntime Version ARN: arn:aws:lambda:{}::runtime:{}",
                f.runtime.id().trim_end_matches(".x"),
                18 + (f.memory_mb % 7),
                f.region,
                blake3::hash(f.runtime.id().as_bytes()).to_hex()
            ),
        );
    }
    push(start, format!("START RequestId: {id} Version: $LATEST"));
    let event = inv.event(w);
    let arn = f.arn(w);
    let at = start + 900;
    let line = match f.log {
        LogStyle::PowertoolsPy => json!({
            "level": "INFO", "location": "decorate:448", "message": "Lambda invocation event",
            "timestamp": utc(at).format("%Y-%m-%d %H:%M:%S,%3f+0000").to_string(),
            "service": f.name, "cold_start": init_ms.is_some(), "function_name": f.name,
            "function_memory_size": f.memory_mb.to_string(), "function_arn": arn,
            "function_request_id": id, "event": event,
            "xray_trace_id": format!("1-{:08x}-{}", at / 1_000_000, &id.replace('-', "")[..24]),
        }),
        LogStyle::PowertoolsTs => json!({
            "level": "INFO", "message": "Lambda invocation event", "sampling_rate": 0,
            "service": f.name, "timestamp": rfc3339_ms(at),
            "xray_trace_id": format!("1-{:08x}-{}", at / 1_000_000, &id.replace('-', "")[..24]),
            "cold_start": init_ms.is_some(), "function_arn": arn,
            "function_memory_size": f.memory_mb, "function_name": f.name,
            "function_request_id": id, "event": event,
        }),
        LogStyle::NativeJson => json!({
            "timestamp": rfc3339_ms(at), "level": "INFO", "requestId": id,
            "message": event.to_string(),
        }),
    };
    push(at, line.to_string());
    for (i, (level, msg)) in inv.logs.iter().enumerate() {
        let at = start + 2000 + i as i64 * 1500;
        let m = match (f.log, f.runtime) {
            (LogStyle::PowertoolsPy | LogStyle::PowertoolsTs, _) => json!({
                "level": level, "message": msg, "service": f.name,
                "timestamp": rfc3339_ms(at), "function_request_id": id,
                "function_name": f.name, "cold_start": init_ms.is_some(),
            })
            .to_string(),
            (_, Runtime::Py311 | Runtime::Py312) => {
                format!("[{level}]\t{}\t{id}\t{msg}", rfc3339_ms(at))
            }
            _ => format!("{}\t{id}\t{level}\t{msg}", rfc3339_ms(at)),
        };
        push(at, m);
    }
    let dur_us = (inv.dur_ms * 1000.0) as i64;
    let end = start + dur_us;
    if inv.timeout {
        push(
            end,
            format!(
                "{} {id} Task timed out after {}.00 seconds",
                rfc3339_ms(end),
                f.timeout_s
            ),
        );
    }
    push(end, format!("END RequestId: {id}"));
    let billed = inv.dur_ms.ceil() as i64;
    let mut report = format!(
        "REPORT RequestId: {id}\tDuration: {:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
        inv.dur_ms,
        f.memory_mb,
        inv.mem_mb.round().min(f.memory_mb as f64) as i64
    );
    if let Some(init) = init_ms {
        report.push_str(&format!("\tInit Duration: {init:.2} ms"));
    }
    if inv.timeout {
        report.push_str("\tStatus: timeout");
    }
    push(end + 1000, report);
}

/// Log events batched per stream into subscription payloads, ordered by first time.
fn payloads(w: &World, f: &Function, mut events: Vec<LogEvent>) -> (Vec<String>, u64) {
    events.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let owner = &w.accounts[f.account].id;
    let group = format!("/aws/lambda/{}", f.name);
    let mut out: Vec<(i64, String)> = Vec::new();
    let mut seq = 0u64;
    let records = events.len() as u64;
    let mut i = 0;
    while i < events.len() {
        let stream = events[i].0.clone();
        let first = events[i].1;
        let mut batch = Vec::new();
        while i < events.len()
            && events[i].0 == stream
            && batch.len() < BATCH
            && events[i].1 - first < 60_000
        {
            let (_, ts, msg) = &events[i];
            seq += 1;
            batch.push(json!({"id": format!("{ts}{seq:043}"), "timestamp": ts, "message": msg}));
            i += 1;
        }
        let stream_name = if stream == "access" {
            "api-gateway-access/prod".to_string()
        } else {
            stream
        };
        let doc = json!({
            "messageType": "DATA_MESSAGE", "owner": owner, "logGroup": group,
            "logStream": stream_name, "subscriptionFilters": ["tripline-shipper"],
            "logEvents": batch,
        });
        out.push((first, doc.to_string()));
    }
    out.sort_by_key(|(t, _)| *t);
    (out.into_iter().map(|(_, s)| s).collect(), records)
}

/// The CloudTrail record of side call `si` of `f`.
#[allow(clippy::too_many_arguments)]
fn side_call(
    w: &World,
    f: &Function,
    si: usize,
    at: i64,
    who: &Arc<Identity>,
    ip: &str,
    vpce: Option<&str>,
    r: &mut Rng,
) -> Vec<ApiCall> {
    let s = &f.side[si];
    let acct = &w.accounts[f.account].id;
    let api = match s.service {
        "secretsmanager" => "secrets-manager",
        other => other,
    };
    let ua = f.runtime.sdk_ua(api);
    let mk = |name: &str, params: Value, ro: bool, r: &mut Rng, at: i64| {
        let mut c = ApiCall::new(
            at,
            who,
            acct,
            &f.region,
            ip,
            &ua,
            s.service,
            name,
            params,
            ro,
            r.uuid(),
        );
        c.vpce = vpce.map(str::to_string);
        c
    };
    match (s.service, s.name) {
        ("secretsmanager", "GetSecretValue") => vec![mk(s.name, json!({"secretId": s.target}), true, r, at)],
        ("ssm", "GetParameter") => vec![mk(s.name, json!({"name": s.target, "withDecryption": true}), true, r, at)],
        ("kms", "Sign") => vec![mk(s.name, json!({"keyId": s.target, "signingAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256", "messageType": "RAW"}), true, r, at)],
        ("athena", "StartQueryExecution") => vec![mk(s.name, json!({"queryString": "SELECT order_date, sum(total) FROM orders_daily WHERE order_date = current_date - interval '1' day GROUP BY 1", "workGroup": s.target, "queryExecutionContext": {"database": "analytics"}}), false, r, at)
            .respond(json!({"queryExecutionId": r.uuid()}))],
        ("athena", "GetQueryExecution") => (0..3).map(|i| mk(s.name, json!({"queryExecutionId": r.uuid()}), true, r, at + i * 4_000_000)).collect(),
        ("s3", _) => {
            let (bucket, prefix) = s.target.split_once('/').unwrap_or((&s.target, ""));
            let key = format!("{prefix}{}/{}.json", utc(at).format("%Y/%m/%d"), r.hex(12));
            let mut c = mk(s.name, json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{}.amazonaws.com", f.region), "key": key}), s.name == "GetObject", r, at);
            c.data = true;
            c.resources = Some(json!([
                {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
                {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")},
            ]));
            vec![c]
        }
        ("secretsmanager", "ListSecrets") => {
            // The weekly rotation job: list, then read and rotate a handful of secrets.
            let mut v = vec![mk("ListSecrets", json!({"maxResults": 100}), true, r, at)];
            let secrets = &w.secrets[f.account];
            let n = secrets.len().min(8);
            for (i, si) in r.sample(secrets.len(), n).into_iter().enumerate() {
                let t = at + (i as i64 + 1) * 3_000_000;
                let id = &secrets[si];
                v.push(mk("GetSecretValue", json!({"secretId": id}), true, r, t));
                let token = r.uuid();
                v.push(mk("PutSecretValue", json!({"secretId": id, "clientRequestToken": token, "versionStages": ["AWSPENDING"]}), false, r, t + 400_000));
                v.push(mk("UpdateSecretVersionStage", json!({"secretId": id, "versionStage": "AWSCURRENT", "moveToVersionId": token}), false, r, t + 900_000));
            }
            v
        }
        _ => vec![mk(s.name, json!({}), true, r, at)],
    }
}
