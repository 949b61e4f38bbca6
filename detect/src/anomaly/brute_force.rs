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

use serde_json::{json, Value};
use tripline_ingest::Table;

use super::config::BruteForceConfig;
use super::events::{CloudTrailCols, InvocationCols};
use super::stats::binomial_tail;
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_top, fmt_width, rule_info, Contrib, Draft, Groups,
    Stats, TopCounts,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

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

/// One request, as the tallies of its source and its target count it.
struct Attempt<'a> {
    t: i64,
    id: Option<&'a str>,
    /// Its expected failure rate.
    rate: f64,
    failed: bool,
    evidence_after: u64,
}

impl Tally {
    /// Counts `a`, whose counterpart (target of a source, source of a target) is
    /// `other`.
    fn count(&mut self, a: &Attempt<'_>, other: &str, evidence: impl FnOnce() -> Value) {
        self.requests += 1;
        self.rate_sum += a.rate;
        if a.failed {
            self.others.add(other);
            self.failures.record(a.t, a.id, a.evidence_after, evidence);
        }
    }
}

#[derive(Default)]
pub(crate) struct BruteWindow {
    sources: Groups<Tally>,
    targets: Groups<Tally>,
}

impl BruteWindow {
    /// Counts `a` for its source and, when it has one, its target (`target_label`
    /// is how the source's tally names the target).
    fn count(
        &mut self,
        a: &Attempt<'_>,
        max: usize,
        (source, target, target_label): (&str, Option<&str>, &str),
        evidence: impl Fn() -> Value,
    ) {
        if let Some(s) = self.sources.get(source, max) {
            s.count(a, target_label, &evidence);
        }
        if let Some(g) = target.and_then(|target| self.targets.get(target, max)) {
            g.count(a, source, &evidence);
        }
    }
}

/// The detector's scorer: authentication failures per source and per target.
pub(crate) struct BruteForce {
    common: Common,
    cfg: BruteForceConfig,
    rule: Arc<RuleInfo>,
    evidence_after: u64,
    /// Reused buffer for target keys.
    key: String,
}

impl BruteForce {
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
}

impl Scorer for BruteForce {
    type Config = BruteForceConfig;
    type Window = BruteWindow;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = false;
    const TABLES: &'static [Table] = &[Table::Invocations, Table::CloudTrail];

    fn new(common: Common, cfg: BruteForceConfig) -> Self {
        BruteForce {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
            key: String::new(),
        }
    }

    fn invocation(&mut self, row: Row<'_, InvocationCols>, w: &mut Frames<BruteWindow>) {
        let Row { cols, i, t } = row;
        let Some(status) = cols.status.get(i) else {
            return;
        };
        let function = cols.function(i);
        let attempt = Attempt {
            t,
            id: cols.id(i),
            rate: self.function_rate(function),
            failed: status == 401 || status == 403,
            evidence_after: self.evidence_after,
        };
        let key = &mut self.key;
        key.clear();
        key.push_str(function);
        key.push(' ');
        key.push_str(cols.method.get(i).unwrap_or(""));
        key.push(' ');
        let path = cols.path.get(i).unwrap_or("");
        key.push_str(path.split('?').next().unwrap_or(path));
        let key = self.key.as_str();
        let source = cols.source_ip.get(i).unwrap_or("(unknown)");
        let label = cols.auth_principal.get(i).unwrap_or(key);
        let max = w.max_entities();
        if let Some(w) = w.at(t) {
            w.count(&attempt, max, (source, Some(key), label), || {
                cols.evidence(i)
            });
        }
    }

    fn cloudtrail(&mut self, row: Row<'_, CloudTrailCols>, w: &mut Frames<BruteWindow>) {
        let Row { cols, i, t } = row;
        let failed = match (cols.event_name.get(i), cols.error_code.get(i)) {
            (Some("ConsoleLogin"), code) => {
                code.is_some() || cols.error_message.get(i) == Some("Failed authentication")
            }
            (_, Some(code)) => AUTH_FAILURE_CODES.contains(&code),
            _ => false,
        };
        let attempt = Attempt {
            t,
            id: cols.event_id.get(i),
            rate: self.cfg.default_failure_rate,
            failed,
            evidence_after: self.evidence_after,
        };
        let source = cols.source_ip.get(i).unwrap_or("(unknown)");
        let target = cols.user_name.get(i).or_else(|| cols.principal_arn.get(i));
        let label = target.unwrap_or("(unknown)");
        let max = w.max_entities();
        if let Some(w) = w.at(t) {
            w.count(&attempt, max, (source, target, label), || cols.evidence(i));
        }
    }

    fn score(&mut self, w: Closed<BruteWindow>, out: &mut Vec<Draft>) {
        let (width, w) = (w.width, w.state);
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
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| t.5);
        for ((kind, key, t, n, rate, p), sig) in tested {
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
                .top(&top)
                .set("requests", json!(n))
                .set("distinct_counterparts", json!(others))
                .set(
                    "technique",
                    json!(if spraying { "T1110.003" } else { "T1110.001" }),
                );
            let key_name = if kind == "source" {
                "source_ip"
            } else {
                "target"
            };
            out.push(Draft {
                rule: self.rule.clone(),
                level: if spraying || others >= 5 {
                    Level::High
                } else {
                    Level::Medium
                },
                confidence: confidence_from_p(p, threshold),
                message,
                group: vec![("kind", kind.to_owned()), (key_name, key.to_string())],
                contrib: t.failures,
                stats,
            });
        }
    }
}
