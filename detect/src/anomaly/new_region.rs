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

use arrow::record_batch::RecordBatch;
use serde_json::json;
use tripline_ingest::Table;

use super::config::NewRegionConfig;
use super::events::CloudTrailCols;
use super::sensitivity::service_of;
use super::window::{fmt_top, rule_info, Clock, Contrib, Draft, Groups, Stats, TopCounts, Windows};
use super::{Common, Detector};
use crate::error::DetectError;
use crate::model::{Finding, Level, RuleInfo};

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
struct Term {
    contrib: Contrib,
    account: String,
    value: String,
    region: bool,
    principals: TopCounts,
    apis: TopCounts,
}

/// The detector.
pub struct NewRegion {
    common: Common,
    cfg: NewRegionConfig,
    region_rule: Arc<RuleInfo>,
    service_rule: Arc<RuleInfo>,
    windows: Windows<Groups<Term>>,
    reported: HashSet<Box<str>>,
    clock: Clock,
    pending: Vec<Finding>,
    key: String,
}

impl NewRegion {
    /// A detector with `cfg`.
    pub(crate) fn new(common: Common, cfg: NewRegionConfig) -> Self {
        NewRegion {
            clock: Clock::new(common.lateness_secs),
            windows: Windows::new(cfg.window_secs),
            common,
            cfg,
            region_rule: region_rule(),
            service_rule: service_rule(),
            reported: HashSet::new(),
            pending: Vec::new(),
            key: String::new(),
        }
    }

    fn close(&mut self, watermark: i64) {
        for (start, w) in self.windows.close_until(watermark) {
            for (key, term) in w {
                if term.contrib.count < self.cfg.min_support || self.reported.contains(&key) {
                    continue;
                }
                if self.reported.len() >= MAX_REPORTED {
                    self.reported.clear();
                }
                self.reported.insert(key);
                let f = self.finding(start, term);
                self.pending.push(f);
            }
        }
    }

    fn finding(&self, start: i64, t: Term) -> Finding {
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
            .baseline_window(b)
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
            window_start_us: start,
            contrib: t.contrib,
            stats,
            context: None,
        }
        .into_finding()
    }
}

impl Detector for NewRegion {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        if table != Table::CloudTrail {
            return Ok(());
        }
        let Some(b) = self.common.baselines.clone() else {
            return Ok(());
        };
        let cols = CloudTrailCols::new(batch)?;
        let max = self.common.max_entities;
        let mut key = std::mem::take(&mut self.key);
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            let Some(account) = cols.account.get(i) else {
                continue;
            };
            if cols.principal_type.get(i) == Some("AWSService") || cols.invoked_by.get(i).is_some()
            {
                continue;
            }
            let Some(ab) = b
                .account(account)
                .filter(|a| a.events >= self.cfg.min_history)
            else {
                continue;
            };
            let region = cols.region.get(i).filter(|r| !ab.regions.contains_key(*r));
            let service = cols
                .event_source
                .get(i)
                .filter(|s| self.cfg.services && !ab.services.contains_key(*s));
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
                let Some((_, w)) = self.windows.at(t) else {
                    continue;
                };
                let Some(term) = w.get(&key, max) else {
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
                if term.contrib.add(t, cols.event_id.get(i), 1) {
                    term.contrib.push_evidence(cols.evidence(i));
                }
            }
        }
        self.key = key;
        self.close(self.clock.watermark());
        Ok(())
    }

    fn advance(&mut self, watermark_us: i64) -> Vec<Finding> {
        self.close(watermark_us);
        std::mem::take(&mut self.pending)
    }

    fn finish(&mut self) -> Vec<Finding> {
        self.close(i64::MAX);
        std::mem::take(&mut self.pending)
    }
}
