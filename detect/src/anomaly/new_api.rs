//! First-seen API for a principal (new term), weighted by what the API can do and by
//! how rare it is in the account.
//!
//! A call is a new term when the principal's baseline (at least `min_history` calls)
//! never made it. Its score is `100 × sensitivity × (0.5 + 0.5 × rarity)`:
//! sensitivity from [`super::sensitivity`] (`read_only_weight` / `write_weight` for
//! APIs not in the table), rarity `1 −` the share of the account's principals that
//! call it. So a CI role calling `iam:CreateAccessKey` for the first time, which no
//! principal of the account calls, scores 95, while a new read-only call scores 0
//! and stays silent. A principal that already administers the service (at least
//! `familiar_min_apis` distinct sensitive calls to it in its baseline) has the weight
//! of its new API softened by `familiar_factor` — a deploy role creating its first
//! function is doing its job — except for credential, privilege-escalation and
//! defence-evasion APIs and account-takeover ones. A term is reported once per detector run (the first window it
//! reaches `min_score` in). Needs baselines.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::NewApiConfig;
use super::events::CloudTrailCols;
use super::sensitivity::{self, service_of, Sensitivity};
use super::window::{fmt_top, rule_info, Contrib, Draft, Groups, Stats, TopCounts};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "new_api";

/// Terms remembered as reported before the memory is reset.
const MAX_REPORTED: usize = 100_000;

const BASE_TAGS: &[&str] = &["attack.t1078.004"];

/// The detector's rule (tags of the sensitive API's technique are added per finding).
pub fn rule() -> Arc<RuleInfo> {
    rule_with(&[])
}

fn rule_with(extra: &[&str]) -> Arc<RuleInfo> {
    let mut tags: Vec<&str> = BASE_TAGS.to_vec();
    tags.extend_from_slice(extra);
    rule_info(
        "tripline.anomaly.new_api",
        "Principal calls a sensitive API for the first time",
        "A principal calls an API its baseline never shows, scored by the API's \
         sensitivity and its rarity in the account.",
        Level::Medium,
        &tags,
        &[
            "A new feature or deployment legitimately extending what a role does",
            "A baseline too short to have seen a monthly or quarterly task",
        ],
    )
}

#[derive(Default)]
pub(crate) struct Term {
    contrib: Contrib,
    principal: String,
    account: Option<String>,
    source: String,
    name: String,
    weight: f64,
    entry: Option<&'static Sensitivity>,
    networks: TopCounts,
}

/// The detector's scorer: first calls per (principal, API).
pub(crate) struct NewApi {
    common: Common,
    cfg: NewApiConfig,
    rules: HashMap<&'static str, Arc<RuleInfo>>,
    reported: HashSet<Box<str>>,
    key: String,
}

impl NewApi {
    fn rule_for(&mut self, entry: Option<&'static Sensitivity>) -> Arc<RuleInfo> {
        let (pattern, tags) = entry.map_or(("", &[][..]), |e| (e.pattern, e.tags));
        self.rules
            .entry(pattern)
            .or_insert_with(|| rule_with(tags))
            .clone()
    }

    fn evaluate(&mut self, key: &str, term: Term) -> Option<Draft> {
        if self.reported.contains(key) {
            return None;
        }
        let b = self.common.baselines()?;
        let pb = b.principal(&term.principal)?;
        let account = term.account.as_deref().or(pb.account.as_deref());
        let accounts = account.and_then(|a| b.account(a));
        let prevalence = accounts.map_or(0.0, |a| a.api_prevalence(&term.source, &term.name));
        let principals = accounts.map_or(0, |a| a.principals);
        let users = (prevalence * principals as f64).round() as u64;
        let rarity = 1.0 - prevalence;
        let score = 100.0 * term.weight * (0.5 + 0.5 * rarity);
        if score < self.cfg.min_score {
            return None;
        }
        if self.reported.len() >= MAX_REPORTED {
            self.reported.clear();
        }
        self.reported.insert(key.into());
        let api = format!("{}:{}", service_of(&term.source), term.name);
        let top = term.networks.top(5);
        let level = if score >= 80.0 {
            Level::High
        } else if score >= 60.0 {
            Level::Medium
        } else {
            Level::Low
        };
        let apis: usize = pb.apis.values().map(HashMap::len).sum();
        let since = crate::baseline::sql::literal(pb.first_seen_us);
        let message = format!(
            "{} called {api} for the first time ({} calls, from {}); its baseline has {} calls of \
             {apis} APIs since {since} without it; {users} of {principals} principals in the \
             account call it; sensitivity {:.2} × rarity {rarity:.2} → score {score:.0}",
            term.principal,
            term.contrib.count,
            fmt_top(&top, 3),
            pb.events,
            term.weight,
        );
        let mut stats = Stats::new("new term, sensitivity × account rarity");
        stats
            .expected(0.0)
            .observed(term.contrib.count as f64)
            .score(score)
            .top(&top)
            .set("api", json!(api))
            .set("sensitivity", json!(term.weight))
            .set("sensitivity_pattern", json!(term.entry.map(|e| e.pattern)))
            .set("account_prevalence", json!(prevalence))
            .set("principal_baseline_calls", json!(pb.events));
        Some(Draft {
            rule: self.rule_for(term.entry),
            level,
            confidence: score.clamp(0.0, 99.0) as u8,
            message,
            group: vec![("principal", term.principal.clone()), ("api", api)],
            contrib: term.contrib,
            stats,
        })
    }
}

/// Distinct APIs of `source` the principal calls in its baseline that weigh at least
/// 0.5 (writes that matter): how much of the service the principal administers.
fn sensitive_apis_of(
    pb: &crate::baseline::PrincipalBaseline,
    source: &str,
    read_w: f64,
    write_w: f64,
) -> u64 {
    pb.apis.get(source).map_or(0, |names| {
        names
            .keys()
            .filter(|n| sensitivity::weight(source, n, None, read_w, write_w).0 >= 0.5)
            .count() as u64
    })
}

impl Scorer for NewApi {
    type Config = NewApiConfig;
    type Window = Groups<Term>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::CloudTrail];

    fn new(common: Common, cfg: NewApiConfig) -> Self {
        NewApi {
            common,
            cfg,
            rules: HashMap::new(),
            reported: HashSet::new(),
            key: String::new(),
        }
    }

    fn cloudtrail(&mut self, row: Row<'_, CloudTrailCols>, w: &mut Frames<Groups<Term>>) {
        let Row { cols, i, t } = row;
        let Some(b) = self.common.baselines() else {
            return;
        };
        let cfg = &self.cfg;
        let (Some(principal), Some(source), Some(name)) = (
            cols.principal(i),
            cols.event_source.get(i),
            cols.event_name.get(i),
        ) else {
            return;
        };
        let Some(pb) = b.principal(principal) else {
            return;
        };
        if pb.events < cfg.min_history || pb.api(source, name).is_some() {
            return;
        }
        let (read_w, write_w) = (cfg.read_only_weight, cfg.write_weight);
        let (weight, entry) =
            sensitivity::weight(source, name, cols.read_only.get(i), read_w, write_w);
        if 100.0 * weight < cfg.min_score {
            return;
        }
        let key = &mut self.key;
        key.clear();
        key.push_str(principal);
        key.push('\0');
        key.push_str(source);
        key.push('\0');
        key.push_str(name);
        if self.reported.contains(key.as_str()) {
            return;
        }
        let Some(term) = w.group(t, key) else {
            return;
        };
        if term.contrib.count == 0 {
            term.principal = principal.to_owned();
            term.account = cols.account.get(i).map(str::to_owned);
            term.source = source.to_owned();
            term.name = name.to_owned();
            // Once per term, not per call: softening only lowers the weight, so
            // the cut above on the raw weight stays a valid pre-filter.
            let familiar = sensitivity::may_be_familiar(entry)
                && cfg.familiar_min_apis > 0
                && sensitive_apis_of(pb, source, read_w, write_w) >= cfg.familiar_min_apis;
            term.weight = if familiar {
                weight * cfg.familiar_factor
            } else {
                weight
            };
            term.entry = entry;
        }
        if let Some(net) = cols
            .source_ip
            .get(i)
            .and_then(|ip| crate::baseline::keys::network(ip, false))
        {
            term.networks.add(&net);
        }
        term.contrib
            .record(t, cols.event_id.get(i), 1, || cols.evidence(i));
    }

    fn score(&mut self, w: Closed<Groups<Term>>, out: &mut Vec<Draft>) {
        for (key, term) in w.state {
            out.extend(self.evaluate(&key, term));
        }
    }
}
