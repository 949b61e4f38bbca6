//! `tripline simulate`: a labelled corpus to measure detection on — realistic,
//! varied benign serverless traffic over a seeded world, plus multi-step attack
//! scenarios, written in the real input formats (CloudTrail S3 delivery files, Lambda
//! CloudWatch Logs subscription payloads) with `labels.jsonl` and `manifest.json`.
//!
//! # Layout
//!
//! - [`rng`]: seeded ChaCha8 streams per purpose, distributions, id formats.
//! - [`catalog`]: address ranges, user agents, words.
//! - [`world`]: accounts, regions, functions, people and roles, secrets, buckets.
//! - [`event`]: an AWS call ([`event::ApiCall`]) and its CloudTrail record.
//! - [`invocation`] and [`requests`]: a request to a function, the event the function
//!   receives, the API Gateway access log line; benign request content per route.
//! - [`benign`] and [`people`]: benign traffic hour by hour (rhythms, customers,
//!   partners, monitors, background scanners; CI, developers, auditors, batch users).
//! - [`scenarios`]: the attacks, one file per family.
//! - [`lambda_log`]: execution environments, cold starts, log lines, the code's AWS
//!   calls; [`writer`]: the files; [`labels`]: [`Label`] and [`Manifest`].
//!
//! # Time, volume, memory
//!
//! The corpus covers `days` days of benign history from a Monday (default
//! 2024-06-03), then the attack day (`detect_from`), which has benign traffic too.
//! At `scale` 1 and 7 days it holds about 10k benign events a day (roughly 80k in
//! all: requests to functions and CloudTrail records); volume grows linearly with
//! `scale` for requests (and the CloudTrail calls their code makes) and with its
//! square root for people, so `--scale 12` gives about 1M benign events and
//! `--scale 120` about 10M. Generation runs hour by hour and writes each hour's
//! files before the next: memory holds one hour of traffic, one day of planned
//! people activity and the planned attacks (floods are capped at 200k requests).
//!
//! # Determinism
//!
//! Every random choice comes from `ChaCha8Rng::seed_from_u64(seed)` with a stream
//! per purpose, gzip headers carry no time, and nothing iterates a hash map: one
//! seed and configuration give byte-identical files. Benign traffic has its own
//! streams, so it is the same whichever scenarios are added.

mod benign;
mod catalog;
mod event;
mod invocation;
mod labels;
mod lambda_log;
mod people;
mod requests;
mod rng;
mod scenarios;
mod world;
mod writer;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

pub use labels::{Label, LabelEntities, Manifest, TimeRange};
pub use scenarios::ScenarioInfo;

use crate::SimError;
use event::{ApiCall, Identity, KeyRef};
use invocation::Invocation;
use rng::{rfc3339_s, stream, Rng, DAY, HOUR, MIN};

/// Default start of the corpus: Monday 2024-06-03 00:00 UTC, µs.
pub const DEFAULT_START_US: i64 = 1_717_372_800_000_000;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateConfig {
    /// Scenario names; `all` (or an empty list) means every scenario.
    pub scenarios: Vec<String>,
    /// Output directory (created; must be empty if it exists).
    pub out: PathBuf,
    /// Seed of every random choice.
    pub seed: u64,
    /// Days of benign history before the attack day.
    pub days: u32,
    /// Benign volume multiplier.
    pub scale: f64,
    /// Start of the corpus (µs since the epoch); [`DEFAULT_START_US`] when `None`.
    pub start_us: Option<i64>,
}

impl SimulateConfig {
    /// Defaults: seed 1, 7 days, scale 1, every scenario.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        SimulateConfig {
            scenarios: vec!["all".into()],
            out: out.into(),
            seed: 1,
            days: 7,
            scale: 1.0,
            start_us: None,
        }
    }
}

/// One attack in the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackSummary {
    /// Scenario name.
    pub scenario: String,
    /// Label id.
    pub attack_id: String,
    /// Events in its label.
    pub events: u64,
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateSummary {
    /// The manifest written to `manifest.json`.
    pub manifest: Manifest,
    /// Per attack.
    pub attacks: Vec<AttackSummary>,
    /// Wall time.
    pub seconds: f64,
}

/// Every scenario: name, technique, tactic, description (`--list`).
pub fn scenarios() -> Vec<ScenarioInfo> {
    scenarios::all().into_iter().map(|s| s.info).collect()
}

/// An attack's events, time-ordered, tagged with the attack's number.
enum Step {
    Call(ApiCall),
    Request(Invocation),
}

struct Planned {
    info: ScenarioInfo,
    entities: scenarios::Entities,
    uids: Vec<String>,
    start: i64,
    end: i64,
}

fn check(cfg: &SimulateConfig) -> Result<Vec<scenarios::Scenario>, SimError> {
    let bad = |m: String| Err(SimError::Config(m));
    if !cfg.scale.is_finite() || cfg.scale < 0.0 || cfg.scale > 10_000.0 {
        return bad(format!(
            "--scale must be between 0 and 10000, got {}",
            cfg.scale
        ));
    }
    if cfg.days == 0 || cfg.days > 366 {
        return bad(format!(
            "--days must be between 1 and 366, got {}",
            cfg.days
        ));
    }
    let all = scenarios::all();
    let wanted: BTreeSet<&str> = cfg.scenarios.iter().map(String::as_str).collect();
    if wanted.is_empty() || wanted.contains("all") {
        return Ok(all);
    }
    let known: BTreeSet<&str> = all.iter().map(|s| s.info.name).collect();
    if let Some(u) = wanted.iter().find(|w| !known.contains(**w)) {
        return bad(format!(
            "unknown scenario `{u}` (see `tripline simulate --list`; or `all`)"
        ));
    }
    Ok(all
        .into_iter()
        .filter(|s| wanted.contains(s.info.name))
        .collect())
}

/// Writes the corpus described by `cfg` and returns what was written.
pub fn run(cfg: &SimulateConfig) -> Result<SimulateSummary, SimError> {
    let started = Instant::now();
    let chosen = check(cfg)?;
    let out_dir = &cfg.out;
    if out_dir.exists() {
        let mut entries = std::fs::read_dir(out_dir).map_err(|error| SimError::Write {
            path: out_dir.clone(),
            error,
        })?;
        if entries.next().is_some() {
            return Err(SimError::Config(format!(
                "output directory {} is not empty (the corpus must be written to a new or empty directory)",
                out_dir.display()
            )));
        }
    }
    std::fs::create_dir_all(out_dir).map_err(|error| SimError::Write {
        path: out_dir.clone(),
        error,
    })?;
    let seed = cfg.seed;
    let start = cfg.start_us.unwrap_or(DEFAULT_START_US);
    let w = world::World::new(seed, start);
    let detect_from = start + cfg.days as i64 * DAY;
    let end = detect_from + DAY;

    // Plan the attacks: spread over the attack day, each from its own stream.
    let mut sched = Rng::new(seed, stream::SCHEDULE);
    let all_names: Vec<&str> = scenarios::all().iter().map(|s| s.info.name).collect();
    let n = chosen.len();
    let mut slots: Vec<usize> = (0..n).collect();
    sched.shuffle(&mut slots);
    let mut steps: Vec<(i64, u32, Step)> = Vec::new();
    let mut planned: Vec<Planned> = Vec::new();
    for (i, sc) in chosen.iter().enumerate() {
        let at = if n == 1 {
            detect_from + HOUR + sched.range(0, 19 * HOUR as u64) as i64
        } else {
            let slot = (21 * HOUR) / n as i64;
            detect_from
                + 30 * MIN
                + slots[i] as i64 * slot
                + sched.range(0, (slot / 2) as u64) as i64
        };
        let idx = all_names
            .iter()
            .position(|x| *x == sc.info.name)
            .unwrap_or(i) as u64;
        let mut ctx = scenarios::Ctx {
            w: &w,
            r: Rng::new(seed, stream::SCENARIO_BASE + idx),
            start: at,
            end: end - 10 * MIN,
            pin: i as u32,
            scale: cfg.scale,
        };
        let plan = (sc.plan)(&mut ctx);
        let mut uids = Vec::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let clamp = |t: i64| t.clamp(detect_from, end - MIN);
        for mut c in plan.calls {
            c.time_us = clamp(c.time_us);
            uids.push(c.event_id.clone());
            steps.push((c.time_us, i as u32, Step::Call(c)));
        }
        for mut inv in plan.invs {
            inv.time_us = clamp(inv.time_us);
            inv.attack = Some(i as u32);
            uids.push(inv.uid().to_string());
            steps.push((inv.time_us, i as u32, Step::Request(inv)));
        }
        for (t, a, _) in steps.iter().filter(|s| s.1 == i as u32) {
            let _ = a;
            first = first.min(*t);
            last = last.max(*t);
        }
        planned.push(Planned {
            info: sc.info,
            entities: plan.entities,
            uids,
            start: first,
            end: last,
        });
    }
    steps.sort_by_key(|s| std::cmp::Reverse(s.0));

    let mut out = writer::Output::new(out_dir, Rng::new(seed, stream::FILES));
    let mut lambda = lambda_log::Lambda::new(w.functions.len(), Rng::new(seed, stream::ENVS));
    let mut benign = benign::Benign::new(&w, seed, stream::BENIGN, cfg.scale);
    let (mut benign_ct, mut benign_inv) = (0u64, 0u64);
    let mut hour = start;
    while hour < end {
        let (mut calls, mut invs) = benign.hour(hour);
        benign_inv += invs.len() as u64;
        let mut tagged: Vec<(ApiCall, Option<u32>)> = calls.drain(..).map(|c| (c, None)).collect();
        while steps.last().is_some_and(|s| s.0 < hour + HOUR) {
            if let Some((_, a, step)) = steps.pop() {
                match step {
                    Step::Call(c) => tagged.push((c, Some(a))),
                    Step::Request(i) => invs.push(i),
                }
            }
        }
        let caused = lambda.hour(&w, hour, invs, &mut out)?;
        for (c, a) in caused {
            if let Some(a) = a {
                planned[a as usize].uids.push(c.event_id.clone());
            }
            tagged.push((c, a));
        }
        benign_ct += tagged.iter().filter(|(_, a)| a.is_none()).count() as u64;
        let calls: Vec<ApiCall> = tagged.into_iter().map(|(c, _)| c).collect();
        let mut render = |c: &ApiCall| {
            let key = match &*c.who {
                Identity::Role { key, .. } => Some(lambda.key(&w, key, c.time_us)),
                Identity::User { key, .. } => Some(key.clone()),
                _ => None,
            };
            let h = blake3::hash(c.event_id.as_bytes()).to_hex();
            let request_id = format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            );
            c.render(key.as_deref(), &request_id).to_string()
        };
        out.cloudtrail(&calls, &mut render)?;
        hour += HOUR;
    }

    // Labels and manifest.
    let mut labels = Vec::new();
    let mut attacks = Vec::new();
    let mut attack_events = 0u64;
    for (i, p) in planned.into_iter().enumerate() {
        let key = p.entities.access_key.as_ref().and_then(|k| match k {
            KeyRef::Fixed(k) => Some(k.clone()),
            KeyRef::Env { pin, .. } => lambda.pinned(*pin).map(str::to_string),
        });
        let attack_id = format!("{}-{seed}-{i}", p.info.name);
        attack_events += p.uids.len() as u64;
        attacks.push(AttackSummary {
            scenario: p.info.name.into(),
            attack_id: attack_id.clone(),
            events: p.uids.len() as u64,
        });
        labels.push(Label {
            scenario: p.info.name.into(),
            attack_id,
            technique: p.info.technique.into(),
            tactic: p.info.tactic.into(),
            description: p.info.description.into(),
            start: rfc3339_s(p.start),
            end: rfc3339_s(p.end),
            detect_from: rfc3339_s(detect_from),
            entities: LabelEntities {
                principal: p.entities.principal,
                access_key: key,
                source_ips: p.entities.source_ips,
                function: p.entities.function,
            },
            event_uids: p.uids,
            expected: p.info.expected.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut text = String::new();
    for l in &labels {
        text.push_str(&serde_json::to_string(l).map_err(|e| SimError::Internal(e.to_string()))?);
        text.push('\n');
    }
    out.write_plain("labels.jsonl", &text)?;
    let manifest = Manifest {
        seed,
        days: cfg.days,
        scale: cfg.scale,
        scenarios: chosen.iter().map(|s| s.info.name.to_string()).collect(),
        benign_events: benign_ct + benign_inv,
        benign_cloudtrail: benign_ct,
        benign_invocations: benign_inv,
        attack_events,
        records: out.records,
        files: out.files,
        time_range: TimeRange {
            start: rfc3339_s(start),
            end: rfc3339_s(end),
        },
        detect_from: rfc3339_s(detect_from),
        accounts: w.accounts.iter().map(|a| a.id.clone()).collect(),
        functions: w.functions.iter().map(|f| f.name.clone()).collect(),
    };
    let text =
        serde_json::to_string_pretty(&manifest).map_err(|e| SimError::Internal(e.to_string()))?;
    out.write_plain("manifest.json", &(text + "\n"))?;
    Ok(SimulateSummary {
        manifest,
        attacks,
        seconds: started.elapsed().as_secs_f64(),
    })
}
