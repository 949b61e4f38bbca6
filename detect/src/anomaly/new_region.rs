//! Region or service new to the account.
//!
//! Attackers with stolen keys run miners in regions the victim never uses (where
//! nobody looks), and reach for services the account never touched (Bedrock for
//! LLM-jacking, SES for spam). A CloudTrail call by a principal (not an AWS service
//! acting for one) is a new term when its region, or its `eventSource`, is absent
//! from the account's baseline (with at least `min_history` events). Calls are
//! grouped per (account, region or service) per window and each term is reported
//! once per detector run. Needs baselines.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::NewRegionConfig;
use super::events::CloudTrailCols;
use super::sensitivity::service_of;
use super::window::{fmt_top, rule_info, Contrib, Draft, Groups, Stats, TopCounts};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "unusual_region_or_service";

const MAX_REPORTED: usize = 100_000;

/// The rule of a region new to the account.
pub fn region_rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.unusual_region",
        "Activity in a region the account does not use",
        "API calls in an AWS region absent from the account's baseline: resources started \
         where nobody looks.",
        Level::Medium,
        &[
            "attack.defense_evasion",
            "attack.t1535",
            "attack.impact",
            "attack.t1496",
        ],
        &[
            "Expansion to a new region",
            "A global service logged in a new region",
        ],
    )
}

/// The rule of a service new to the account.
pub fn service_rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.unusual_service",
        "Service the account does not use",
        "API calls to an AWS service absent from the account's baseline.",
        Level::Low,
        &["attack.discovery", "attack.t1526", "attack.t1078.004"],
        &["A new workload adopting a service", "Console browsing"],
    )
}

#[derive(Default)]
pub(crate) struct NewValue {
    contrib: Contrib,
    account: String,
    value: String,
    region: bool,
    principals: TopCounts,
    apis: TopCounts,
}

/// The detector's scorer: calls per (account, new region or service).
pub(crate) struct NewRegion {
    common: Common,
    cfg: NewRegionConfig,
    region_rule: Arc<RuleInfo>,
    service_rule: Arc<RuleInfo>,
    reported: HashSet<Box<str>>,
    key: String,
}

impl NewRegion {
    fn finding(&self, t: NewValue) -> Draft {
        let b = self.common.baselines();
        let ab = b.and_then(|b| b.account(&t.account));
        let known = |set: Option<&std::collections::HashMap<String, u64>>| {
            let mut v: Vec<(String, u64)> = set
                .map(|m| m.iter().map(|(k, c)| (k.clone(), *c)).collect())
                .unwrap_or_default();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let usual = known(ab.map(|a| if t.region { &a.regions } else { &a.services }));
        let what = if t.region { "region" } else { "service" };
        let principals = t.principals.top(3);
        let apis = t.apis.top(5);
        let message = format!(
            "Account {} used {what} {} for the first time: {} calls by {} ({}); the account's \
             baseline ({} events) uses {}",
            t.account,
            t.value,
            t.contrib.count,
            fmt_top(&principals, 3),
            fmt_top(&apis, 5),
            ab.map_or(0, |a| a.events),
            usual
                .iter()
                .take(5)
                .map(|(v, _)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        let mut stats = Stats::new("new term vs the account's baseline");
        stats
            .expected(0.0)
            .observed(t.contrib.count as f64)
            .score(t.contrib.count as f64)
            .top(&principals)
            .set("kind", json!(what))
            .set("value", json!(t.value))
            .set("apis", json!(apis.iter().map(|a| &a.0).collect::<Vec<_>>()))
            .set(
                "baseline_values",
                json!(usual.iter().map(|(v, _)| v).collect::<Vec<_>>()),
            );
        Draft {
            rule: if t.region {
                self.region_rule.clone()
            } else {
                self.service_rule.clone()
            },
            level: if t.region { Level::Medium } else { Level::Low },
            confidence: if t.region { 70 } else { 50 },
            message,
            group: vec![("account", t.account.clone()), (what, t.value.clone())],
            contrib: t.contrib,
            stats,
        }
    }
}

impl Scorer for NewRegion {
    type Config = NewRegionConfig;
    type Window = Groups<NewValue>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::CloudTrail];

    fn new(common: Common, cfg: NewRegionConfig) -> Self {
        NewRegion {
            common,
            cfg,
            region_rule: region_rule(),
            service_rule: service_rule(),
            reported: HashSet::new(),
            key: String::new(),
        }
    }

    fn cloudtrail(&mut self, row: Row<'_, CloudTrailCols>, w: &mut Frames<Groups<NewValue>>) {
        let Row { cols, i, t } = row;
        let Some(b) = self.common.baselines() else {
            return;
        };
        let Some(account) = cols.account.get(i) else {
            return;
        };
        if cols.principal_type.get(i) == Some("AWSService") || cols.invoked_by.get(i).is_some() {
            return;
        }
        let Some(ab) = b
            .account(account)
            .filter(|a| a.events >= self.cfg.min_history)
        else {
            return;
        };
        let region = cols.region.get(i).filter(|r| !ab.regions.contains_key(*r));
        let service = cols
            .event_source
            .get(i)
            .filter(|s| self.cfg.services && !ab.services.contains_key(*s));
        let key = &mut self.key;
        for (is_region, value) in [(true, region), (false, service)] {
            let Some(value) = value else { continue };
            key.clear();
            key.push_str(account);
            key.push_str(if is_region {
                "\0region\0"
            } else {
                "\0service\0"
            });
            key.push_str(value);
            if self.reported.contains(key.as_str()) {
                continue;
            }
            let Some(term) = w.group(t, key) else {
                continue;
            };
            if term.contrib.count == 0 {
                term.account = account.to_owned();
                term.value = value.to_owned();
                term.region = is_region;
            }
            term.principals
                .add(cols.principal(i).unwrap_or("(unknown)"));
            term.apis.add(&format!(
                "{}:{}",
                service_of(cols.event_source.get(i).unwrap_or("")),
                cols.event_name.get(i).unwrap_or("")
            ));
            term.contrib
                .record(t, cols.event_id.get(i), 1, || cols.evidence(i));
        }
    }

    fn score(&mut self, w: Closed<Groups<NewValue>>, out: &mut Vec<Draft>) {
        for (key, term) in w.state {
            if term.contrib.count < self.cfg.min_support || self.reported.contains(&key) {
                continue;
            }
            if self.reported.len() >= MAX_REPORTED {
                self.reported.clear();
            }
            self.reported.insert(key);
            out.push(self.finding(term));
        }
    }
}
