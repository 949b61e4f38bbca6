//! AccessDenied spike for a principal against its own baseline.
//!
//! Per principal (`coalesce(session_issuer_arn, principal_arn)`) and window, the
//! denied calls `k` out of `n` ([`crate::baseline::keys::is_access_denied`]) are
//! tested with a beta-binomial tail against the principal's baseline share
//! (`Beta(k_b·s + 1, (n_b − k_b)·s + 1)`, `s` capping the prior's weight at
//! `max_prior_weight` calls); a principal the baseline never saw gets the pooled share
//! of all principals with the weight of `new_principal_prior_weight` calls. A finding
//! needs `min_support` denied calls, `min_ratio` × the baseline share, and a p-value
//! under the level corrected for the principals tested. The top contributors are the
//! denied APIs — what someone holding the credentials tried to reach. Needs
//! baselines.

use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::AccessDeniedConfig;
use super::events::CloudTrailCols;
use super::sensitivity::service_of;
use super::stats::beta_binomial_tail;
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_top, fmt_width, rule_info, Contrib, Draft, Groups,
    Stats, TopCounts,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::baseline::keys::is_access_denied;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "access_denied_spike";

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.access_denied_spike",
        "AccessDenied spike for a principal",
        "A principal denied far more often than it usually is: stolen credentials \
         probing what they can reach, or permission enumeration.",
        Level::Medium,
        &[
            "attack.discovery",
            "attack.t1526",
            "attack.t1069.003",
            "attack.t1078.004",
        ],
        &[
            "A permissions change that broke a workload",
            "A new deployment calling an API its role lacks",
        ],
    )
}

#[derive(Default)]
pub(crate) struct Calls {
    n: u64,
    denied: Contrib,
    apis: TopCounts,
}

/// The detector's scorer: calls per principal.
pub(crate) struct AccessDenied {
    common: Common,
    cfg: AccessDeniedConfig,
    rule: Arc<RuleInfo>,
    evidence_after: u64,
    key: String,
}

impl AccessDenied {
    /// The prior `(a, b)` of the principal's denied share, and `(k_b, n_b)`.
    fn prior(&self, principal: &str) -> Option<((f64, f64), (u64, u64))> {
        let b = self.common.baselines()?;
        let cfg = &self.cfg;
        Some(match b.principal(principal) {
            Some(p) if p.events > 0 => {
                let s = (cfg.max_prior_weight / p.events as f64).min(1.0);
                let (k, n) = (p.access_denied.min(p.events), p.events);
                ((k as f64 * s + 1.0, (n - k) as f64 * s + 1.0), (k, n))
            }
            _ => {
                let pooled = (b.pooled_access_denied as f64 + 1.0) / (b.pooled_events as f64 + 2.0);
                let w = cfg.new_principal_prior_weight.max(1.0);
                ((pooled * w + 1.0, (1.0 - pooled) * w + 1.0), (0, 0))
            }
        })
    }
}

impl Scorer for AccessDenied {
    type Config = AccessDeniedConfig;
    type Window = Groups<Calls>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::CloudTrail];

    fn new(common: Common, cfg: AccessDeniedConfig) -> Self {
        AccessDenied {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
            key: String::new(),
        }
    }

    fn cloudtrail(&mut self, row: Row<'_, CloudTrailCols>, w: &mut Frames<Groups<Calls>>) {
        let Row { cols, i, t } = row;
        let Some(principal) = cols.principal(i) else {
            return;
        };
        let Some(c) = w.group(t, principal) else {
            return;
        };
        c.n += 1;
        if !cols.error_code.get(i).is_some_and(is_access_denied) {
            return;
        }
        let key = &mut self.key;
        key.clear();
        key.push_str(service_of(cols.event_source.get(i).unwrap_or("")));
        key.push(':');
        key.push_str(cols.event_name.get(i).unwrap_or(""));
        c.apis.add(key);
        c.denied
            .record(t, cols.event_id.get(i), self.evidence_after, || {
                cols.evidence(i)
            });
    }

    fn score(&mut self, w: Closed<Groups<Calls>>, out: &mut Vec<Draft>) {
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (principal, c) in w.state {
            let k = c.denied.count;
            if k < cfg.min_support {
                continue;
            }
            let Some(((a, bb), base)) = self.prior(&principal) else {
                continue;
            };
            let p = beta_binomial_tail(k, c.n.max(k), a, bb);
            tested.push((principal, c, a / (a + bb), p, base));
        }
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| t.3);
        for ((principal, c, rate, p, (kb, nb)), sig) in tested {
            let k = c.denied.count;
            let n = c.n.max(k);
            let observed = k as f64 / n as f64;
            if !sig || observed < cfg.min_ratio * rate {
                continue;
            }
            let top = c.apis.top(5);
            let apis = c.apis.len();
            let baseline = if nb > 0 {
                format!("its baseline share is {:.2} % ({kb} of {nb})", rate * 100.0)
            } else {
                format!(
                    "never seen in the baseline; pooled share {:.2} %",
                    rate * 100.0
                )
            };
            let message = format!(
                "{principal}: {k} of {n} calls denied in {} ({:.0} %) across {apis} APIs; {baseline}; \
                 expected {:.1}, {}. Denied: {}",
                fmt_width(w.width),
                observed * 100.0,
                rate * n as f64,
                fmt_p(p),
                fmt_top(&top, 5),
            );
            let mut stats = Stats::new("beta-binomial tail vs the principal's denied share");
            stats
                .expected(rate * n as f64)
                .observed(k as f64)
                .p_value(p)
                .score(observed / rate.max(1e-12))
                .top(&top)
                .set("calls", json!(n))
                .set("distinct_apis", json!(apis))
                .set("baseline_rate", json!(rate))
                .set("known_principal", json!(nb > 0));
            out.push(Draft {
                rule: self.rule.clone(),
                level: if apis >= 5 {
                    Level::High
                } else {
                    Level::Medium
                },
                confidence: confidence_from_p(p, threshold),
                message,
                group: vec![("principal", principal.to_string())],
                contrib: c.denied,
                stats,
            });
        }
    }
}
