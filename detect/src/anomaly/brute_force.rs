//! Authentication brute force: storms of authentication failures per source and per
//! target.
//!
//! Failures are 401/403 responses (`invocations`) and, in CloudTrail, failed console
//! sign-ins and requests refused for bad credentials ([`AUTH_FAILURE_CODES`]). They
//! are counted per source IP (with the targets it tried: authenticated principal,
//! else route; or the IAM user) and per target (a function's route, or an IAM user),
//! with the distinct sources that tried it. The count of failures `k` out of `n`
//! requests is tested with a binomial tail against the expected failure rate: the
//! baseline's 401/403 share for the function (pooled over functions for a source),
//! else `default_failure_rate`. A finding needs `min_support` failures, a failure
//! share of at least `min_failure_ratio`, and a p-value under the level corrected
//! for the sources and targets tested in the window. Works without baselines.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use serde_json::json;
use tripline_ingest::Table;

use super::config::BruteForceConfig;
use super::events::{CloudTrailCols, InvocationCols};
use super::stats::binomial_tail;
use super::window::{
    confidence_from_p, fmt_p, fmt_top, fmt_width, rule_info, Clock, Contrib, Draft, Groups, Stats,
    TopCounts, Windows,
};
use super::{Common, Detector};
use crate::error::DetectError;
use crate::model::{Finding, Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "brute_force";

/// CloudTrail error codes of requests refused for bad or unknown credentials.
pub const AUTH_FAILURE_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "AuthFailure",
    "InvalidSignatureException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "NotAuthorizedException",
];

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.brute_force",
        "Authentication failure storm",
        "Many authentication failures (HTTP 401/403, failed console sign-ins, invalid \
         credentials) from one source or against one target: password guessing, \
         credential stuffing or spraying.",
        Level::Medium,
        &[
            "attack.credential_access",
            "attack.t1110",
            "attack.t1110.003",
            "attack.t1110.004",
        ],
        &[
            "A client with an expired token retrying in a loop",
            "A misconfigured integration after a key rotation",
        ],
    )
}

#[derive(Default)]
struct Tally {
    requests: u64,
    failures: Contrib,
    /// Targets tried (for a source) or sources trying (for a target).
    others: TopCounts,
    /// Expected failure rate of the requests, summed (divided by `requests`).
    rate_sum: f64,
}

#[derive(Default)]
struct BruteWindow {
    sources: Groups<Tally>,
    targets: Groups<Tally>,
}

/// The detector.
pub struct BruteForce {
    common: Common,
    cfg: BruteForceConfig,
    rule: Arc<RuleInfo>,
    windows: Windows<BruteWindow>,
    clock: Clock,
    pending: Vec<Finding>,
    /// Reused buffer for target keys.
    key: String,
}

impl BruteForce {
    /// A detector with `cfg`.
    pub(crate) fn new(common: Common, cfg: BruteForceConfig) -> Self {
        BruteForce {
            clock: Clock::new(common.lateness_secs),
            windows: Windows::new(cfg.window_secs),
            common,
            cfg,
            rule: rule(),
            pending: Vec::new(),
            key: String::new(),
        }
    }

    /// The expected 401/403 share of a function's requests.
    fn function_rate(&self, function: &str) -> f64 {
        self.common
            .baselines()
            .and_then(|b| b.function(function))
            .filter(|f| f.with_status >= 100)
            .map_or(self.cfg.default_failure_rate, |f| {
                (f.auth_failures as f64 + 1.0) / (f.with_status as f64 + 2.0)
            })
    }

    fn close(&mut self, watermark: i64) {
        let width = self.windows.width_us();
        for (start, w) in self.windows.close_until(watermark) {
            let found = self.evaluate(start, width, w);
            self.pending.extend(found);
        }
    }

    fn evaluate(&self, start: i64, width: i64, w: BruteWindow) -> Vec<Finding> {
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (kind, groups) in [("source", w.sources), ("target", w.targets)] {
            for (key, t) in groups {
                let k = t.failures.count;
                let n = t.requests.max(k);
                if k < cfg.min_support || (k as f64) < cfg.min_failure_ratio * n as f64 {
                    continue;
                }
                let rate = (t.rate_sum / t.requests.max(1) as f64).clamp(1e-4, 0.999);
                let p = binomial_tail(k, n, rate);
                tested.push((kind, key, t, n, rate, p));
            }
        }
        let ps: Vec<f64> = tested.iter().map(|t| t.5).collect();
        let significant = self.common.correction.significant(&ps, cfg.alpha);
        let threshold = self.common.correction.threshold(ps.len(), cfg.alpha);
        let mut out = Vec::new();
        for ((kind, key, t, n, rate, p), sig) in tested.into_iter().zip(significant) {
            if !sig {
                continue;
            }
            let k = t.failures.count;
            let others = t.others.len() as u64 + u64::from(t.others.overflow > 0);
            let top = t.others.top(5);
            let (who, spread) = if kind == "source" {
                (
                    format!("from {key}"),
                    format!("against {others} targets (top: {})", fmt_top(&top, 3)),
                )
            } else {
                (
                    format!("against {key}"),
                    format!("from {others} sources (top: {})", fmt_top(&top, 3)),
                )
            };
            let spraying = kind == "source" && others >= 5;
            let message = format!(
                "{k} authentication failures of {n} requests {who} in {} {spread}; expected \
                 failure rate {:.1} % ({:.1} expected), {}{}",
                fmt_width(width),
                rate * 100.0,
                rate * n as f64,
                fmt_p(p),
                if spraying {
                    "; many targets: password spraying"
                } else {
                    ""
                },
            );
            let mut stats = Stats::new("binomial tail of failures vs expected failure rate");
            stats
                .expected(rate * n as f64)
                .observed(k as f64)
                .p_value(p)
                .score(k as f64 / (rate * n as f64).max(1e-9))
                .baseline_window(self.common.baselines())
                .top(&top)
                .set("requests", json!(n))
                .set("distinct_counterparts", json!(others))
                .set(
                    "technique",
                    json!(if spraying { "T1110.003" } else { "T1110.001" }),
                );
            out.push(
                Draft {
                    rule: self.rule.clone(),
                    level: if spraying || others >= 5 {
                        Level::High
                    } else {
                        Level::Medium
                    },
                    confidence: confidence_from_p(p, threshold),
                    message,
                    group: vec![
                        ("kind", kind.to_owned()),
                        (
                            if kind == "source" {
                                "source_ip"
                            } else {
                                "target"
                            },
                            key.to_string(),
                        ),
                    ],
                    window_start_us: start,
                    contrib: t.failures,
                    stats,
                    context: None,
                }
                .into_finding(),
            );
        }
        out
    }

    fn process_invocations(&mut self, batch: &RecordBatch) -> Result<(), DetectError> {
        let cols = InvocationCols::new(batch)?;
        let max = self.common.max_entities;
        let evidence_after = (self.cfg.min_support / 2).max(1);
        let mut key = std::mem::take(&mut self.key);
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            let Some(status) = cols.status.get(i) else {
                continue;
            };
            let failed = status == 401 || status == 403;
            let function = cols.function(i);
            let rate = self.function_rate(function);
            key.clear();
            key.push_str(function);
            key.push(' ');
            key.push_str(cols.method.get(i).unwrap_or(""));
            key.push(' ');
            let path = cols.path.get(i).unwrap_or("");
            key.push_str(path.split('?').next().unwrap_or(path));
            let source = cols.source_ip.get(i).unwrap_or("(unknown)");
            let target_label = cols.auth_principal.get(i).unwrap_or(&key);
            let Some((_, w)) = self.windows.at(t) else {
                continue;
            };
            if let Some(s) = w.sources.get(source, max) {
                s.requests += 1;
                s.rate_sum += rate;
                if failed {
                    s.others.add(target_label);
                    if s.failures.add(t, cols.id(i), evidence_after) {
                        s.failures.push_evidence(cols.evidence(i));
                    }
                }
            }
            if let Some(g) = w.targets.get(&key, max) {
                g.requests += 1;
                g.rate_sum += rate;
                if failed {
                    g.others.add(source);
                    if g.failures.add(t, cols.id(i), evidence_after) {
                        g.failures.push_evidence(cols.evidence(i));
                    }
                }
            }
        }
        self.key = key;
        Ok(())
    }

    fn process_cloudtrail(&mut self, batch: &RecordBatch) -> Result<(), DetectError> {
        let cols = CloudTrailCols::new(batch)?;
        let max = self.common.max_entities;
        let evidence_after = (self.cfg.min_support / 2).max(1);
        let rate = self.cfg.default_failure_rate;
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            let failed = match (cols.event_name.get(i), cols.error_code.get(i)) {
                (Some("ConsoleLogin"), code) => {
                    code.is_some() || cols.error_message.get(i) == Some("Failed authentication")
                }
                (_, Some(code)) => AUTH_FAILURE_CODES.contains(&code),
                _ => false,
            };
            let source = cols.source_ip.get(i).unwrap_or("(unknown)");
            let target = cols.user_name.get(i).or_else(|| cols.principal_arn.get(i));
            let Some((_, w)) = self.windows.at(t) else {
                continue;
            };
            if let Some(s) = w.sources.get(source, max) {
                s.requests += 1;
                s.rate_sum += rate;
                if failed {
                    s.others.add(target.unwrap_or("(unknown)"));
                    if s.failures.add(t, cols.event_id.get(i), evidence_after) {
                        s.failures.push_evidence(cols.evidence(i));
                    }
                }
            }
            let Some(target) = target else { continue };
            if let Some(g) = w.targets.get(target, max) {
                g.requests += 1;
                g.rate_sum += rate;
                if failed {
                    g.others.add(source);
                    if g.failures.add(t, cols.event_id.get(i), evidence_after) {
                        g.failures.push_evidence(cols.evidence(i));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        match table {
            Table::Invocations => self.process_invocations(batch)?,
            Table::CloudTrail => self.process_cloudtrail(batch)?,
            Table::LambdaRuntime => return Ok(()),
        }
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
