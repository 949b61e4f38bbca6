//! Error, timeout, 5xx, 4xx and throttle spikes per function.
//!
//! Per function and window, each outcome is a count `k` out of `n` invocations:
//! errors (distinct request ids with an error line) and timeouts out of the
//! platform's reports (`lambda_runtime`), 5xx, 4xx and 429 responses out of the
//! invocations with a status (`invocations`). Each is tested against the function's
//! baseline rate with a beta-binomial tail: the baseline's `k_b` of `n_b` becomes a
//! `Beta(k_b·s + 1, (n_b − k_b)·s + 1)` prior, `s` capping its weight at
//! `max_prior_weight` invocations so a long baseline still lets the rate drift. A
//! finding needs `min_support` failures, a rate `min_ratio` × the baseline's, and a
//! p-value under the level corrected for every (function, outcome) tested in the
//! window. Needs baselines.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::ErrorSpikeConfig;
use super::events::{InvocationCols, RuntimeCols};
use super::stats::beta_binomial_tail;
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_width, rule_info, Contrib, Draft, Groups,
    PreHashedState, Stats,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::baseline::FunctionBaseline;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "error_spike";

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.error_spike",
        "Error, timeout or throttle spike for a function",
        "A function's error, timeout, 5xx, 4xx or throttle rate far above its baseline: \
         exploitation attempts that crash it, resource exhaustion, or probing.",
        Level::Medium,
        &[
            "attack.impact",
            "attack.t1499.004",
            "attack.initial_access",
            "attack.t1190",
        ],
        &[
            "A faulty deployment or a downstream outage",
            "A client sending malformed requests after an API change",
        ],
    )
}

/// The outcomes tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Error,
    Timeout,
    Status5xx,
    Status4xx,
    Throttle,
}

const OUTCOMES: [Outcome; 5] = [
    Outcome::Error,
    Outcome::Timeout,
    Outcome::Status5xx,
    Outcome::Status4xx,
    Outcome::Throttle,
];

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Status5xx => "5xx",
            Outcome::Status4xx => "4xx",
            Outcome::Throttle => "throttle",
        }
    }

    /// The baseline's `(k, n)`, when it knows the function's denominator.
    fn baseline(self, f: &FunctionBaseline) -> Option<(u64, u64)> {
        let (k, n) = match self {
            Outcome::Error | Outcome::Timeout => {
                let rt = f.runtime.as_ref()?;
                let k = if self == Outcome::Error {
                    rt.errors
                } else {
                    rt.timeouts
                };
                (k, rt.invocations().max(k))
            }
            Outcome::Status5xx => (f.status_5xx, f.with_status),
            Outcome::Status4xx => (f.status_4xx, f.with_status),
            Outcome::Throttle => (f.throttles, f.with_status),
        };
        (n > 0).then_some((k, n))
    }
}

#[derive(Default)]
pub(crate) struct Counts {
    reports: u64,
    starts: u64,
    with_status: u64,
    /// Hashes of request ids that logged an error (one invocation, many lines).
    error_ids: HashSet<u64, PreHashedState>,
    failures: [Contrib; 5],
}

impl Counts {
    fn failures(&self, o: Outcome) -> u64 {
        match o {
            Outcome::Error => self.error_ids.len() as u64,
            _ => self.failures[o as usize].count,
        }
    }

    fn trials(&self, o: Outcome) -> u64 {
        match o {
            Outcome::Error | Outcome::Timeout => {
                self.reports.max(self.starts).max(self.failures(o))
            }
            _ => self.with_status,
        }
    }
}

/// The detector's scorer: outcomes per function.
pub(crate) struct ErrorSpike {
    common: Common,
    cfg: ErrorSpikeConfig,
    rule: Arc<RuleInfo>,
    hasher: RandomState,
    evidence_after: u64,
}

impl Scorer for ErrorSpike {
    type Config = ErrorSpikeConfig;
    type Window = Groups<Counts>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::LambdaRuntime, Table::Invocations];

    fn new(common: Common, cfg: ErrorSpikeConfig) -> Self {
        ErrorSpike {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
            hasher: RandomState::new(),
        }
    }

    fn runtime(&mut self, row: Row<'_, RuntimeCols>, w: &mut Frames<Groups<Counts>>) {
        let Row { cols, i, t } = row;
        let Some(function) = cols.function.get(i) else {
            return;
        };
        let Some(c) = w.group(t, function) else {
            return;
        };
        let outcome = match cols.kind.get(i) {
            Some("report") => {
                c.reports += 1;
                return;
            }
            Some("start") => {
                c.starts += 1;
                return;
            }
            Some("error") => {
                let id = cols.request_id.get(i).or_else(|| cols.source.get(i));
                c.error_ids.insert(self.hasher.hash_one(id));
                Outcome::Error
            }
            Some("timeout") => Outcome::Timeout,
            _ => return,
        };
        let id = cols.request_id.get(i);
        c.failures[outcome as usize].record(t, id, self.evidence_after, || cols.evidence(i));
    }

    fn invocation(&mut self, row: Row<'_, InvocationCols>, w: &mut Frames<Groups<Counts>>) {
        let Row { cols, i, t } = row;
        let Some(status) = cols.status.get(i) else {
            return;
        };
        let Some(c) = w.group(t, cols.function(i)) else {
            return;
        };
        c.with_status += 1;
        let outcome = match status {
            429 => Outcome::Throttle,
            400..=499 => Outcome::Status4xx,
            500..=599 => Outcome::Status5xx,
            _ => return,
        };
        // A 429 is also a 4xx; count it in both rates.
        let counted = if outcome == Outcome::Throttle {
            &[Outcome::Status4xx, Outcome::Throttle][..]
        } else {
            &[outcome][..]
        };
        for &o in counted {
            c.failures[o as usize].record(t, cols.id(i), self.evidence_after, || cols.evidence(i));
        }
    }

    fn score(&mut self, w: Closed<Groups<Counts>>, out: &mut Vec<Draft>) {
        let (width, mut w) = (w.width, w.state);
        let Some(b) = self.common.baselines() else {
            return;
        };
        let cfg = &self.cfg;
        // (function, outcome, k, n, baseline rate, p)
        let mut tested = Vec::new();
        for (function, counts) in w.iter() {
            let Some(fb) = b.function(function) else {
                continue;
            };
            for o in OUTCOMES {
                let (k, n) = (counts.failures(o), counts.trials(o));
                if k < cfg.min_support || n == 0 {
                    continue;
                }
                let Some((kb, nb)) = o.baseline(fb) else {
                    continue;
                };
                let s = (cfg.max_prior_weight / nb as f64).min(1.0);
                let a = kb as f64 * s + 1.0;
                let bb = (nb - kb.min(nb)) as f64 * s + 1.0;
                let rate = a / (a + bb);
                let p = beta_binomial_tail(k, n, a, bb);
                tested.push((function.clone(), o, k, n, rate, p, (kb, nb)));
            }
        }
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| t.5);
        for ((function, o, k, n, rate, p, (kb, nb)), sig) in tested {
            let observed = k as f64 / n as f64;
            if !sig || observed < cfg.min_ratio * rate {
                continue;
            }
            let Some(counts) = w.existing_mut(&function) else {
                continue;
            };
            let contrib = std::mem::take(&mut counts.failures[o as usize]);
            let level = match o {
                Outcome::Timeout | Outcome::Status5xx | Outcome::Error if observed >= 0.5 => {
                    Level::High
                }
                Outcome::Status4xx | Outcome::Throttle => Level::Low,
                _ => Level::Medium,
            };
            let message = format!(
                "{function}: {k} {} of {n} invocations in {} ({:.1} %) against a baseline rate of \
                 {:.2} % ({kb} of {nb}); expected {:.1}, {}",
                o.name(),
                fmt_width(width),
                observed * 100.0,
                rate * 100.0,
                rate * n as f64,
                fmt_p(p),
            );
            let mut stats = Stats::new("beta-binomial tail vs baseline rate");
            stats
                .expected(rate * n as f64)
                .observed(k as f64)
                .p_value(p)
                .score(observed / rate.max(1e-12))
                .top(&[(o.name().to_owned(), k)])
                .set("outcome", json!(o.name()))
                .set("trials", json!(n))
                .set("baseline_rate", json!(rate))
                .set("observed_rate", json!(observed));
            out.push(Draft {
                rule: self.rule.clone(),
                level,
                confidence: confidence_from_p(p, threshold),
                message,
                group: vec![
                    ("function", function.to_string()),
                    ("outcome", o.name().to_owned()),
                ],
                contrib,
                stats,
            });
        }
    }
}
