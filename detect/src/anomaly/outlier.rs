//! Duration and peak-memory outliers per function: ReDoS, decompression and payload
//! bombs, anything that makes one invocation far slower or hungrier than usual.
//!
//! A platform report is an outlier when its duration (or peak memory) is above the
//! baseline's p99 and its robust z-score `0.6745 (x − median) / MAD` reaches
//! `z_threshold` (the MAD floored at 1 % of the median, so a function without spread
//! does not flag every millisecond). Under the baseline at most 1 % of reports exceed
//! the p99, so the window's count of outliers is tested with `P(X ≥ k)`,
//! `X ~ Binomial(n, 0.01)`: conservative, since outliers must also clear the z
//! threshold. A finding needs `min_support` outliers and a p-value under the level
//! corrected for the (function, metric) pairs tested. Needs baselines with at least
//! `min_baseline_reports` reports for the function.

use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::OutlierConfig;
use super::events::RuntimeCols;
use super::stats::{binomial_tail, robust_z};
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_width, rule_info, Contrib, Draft, Groups, Stats,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::baseline::Robust;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "resource_outlier";

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.resource_outlier",
        "Function duration or memory far beyond its baseline",
        "Invocations whose duration or peak memory is many robust deviations above the \
         function's baseline and its 99th percentile: catastrophic regex backtracking, \
         decompression or payload bombs, resource exhaustion.",
        Level::Medium,
        &["attack.impact", "attack.t1499.004"],
        &[
            "A new release that is slower or loads more data",
            "A legitimately large request (a report, an export)",
        ],
    )
}

#[derive(Clone, Copy)]
enum Metric {
    Duration,
    Memory,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Duration => "duration_ms",
            Metric::Memory => "max_memory_mb",
        }
    }
}

#[derive(Default)]
pub(crate) struct Reports {
    n: u64,
    outliers: [Contrib; 2],
    max_z: [f64; 2],
    max_value: [f64; 2],
}

/// The detector's scorer: platform reports per function.
pub(crate) struct Outlier {
    common: Common,
    cfg: OutlierConfig,
    rule: Arc<RuleInfo>,
}

impl Outlier {
    /// The baseline distribution of `metric` for `function`, when trustworthy.
    fn distribution(&self, function: &str, metric: Metric) -> Option<Robust> {
        let rt = self
            .common
            .baselines()?
            .function(function)?
            .runtime
            .as_ref()?;
        if rt.reports < self.cfg.min_baseline_reports {
            return None;
        }
        match metric {
            Metric::Duration => rt.duration,
            Metric::Memory => rt.memory,
        }
    }
}

impl Scorer for Outlier {
    type Config = OutlierConfig;
    type Window = Groups<Reports>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::LambdaRuntime];

    fn new(common: Common, cfg: OutlierConfig) -> Self {
        Outlier {
            common,
            cfg,
            rule: rule(),
        }
    }

    fn runtime(&mut self, row: Row<'_, RuntimeCols>, w: &mut Frames<Self::Window>) {
        let Row { cols, i, t } = row;
        if cols.kind.get(i) != Some("report") {
            return;
        }
        let Some(function) = cols.function.get(i) else {
            return;
        };
        let values = [cols.duration.get(i), cols.max_memory.get(i)];
        let dists = [
            values[0].and_then(|_| self.distribution(function, Metric::Duration)),
            values[1].and_then(|_| self.distribution(function, Metric::Memory)),
        ];
        let Some(r) = w.group(t, function) else {
            return;
        };
        r.n += 1;
        for m in 0..2 {
            let (Some(x), Some(d)) = (values[m], dists[m]) else {
                continue;
            };
            if x <= d.p99 {
                continue;
            }
            let z = robust_z(x, d.median, d.mad, (d.median.abs() * 0.01).max(1e-3));
            if z < self.cfg.z_threshold {
                continue;
            }
            r.max_z[m] = r.max_z[m].max(z);
            r.max_value[m] = r.max_value[m].max(x);
            r.outliers[m].record(t, cols.request_id.get(i), 1, || cols.evidence(i));
        }
    }

    fn score(&mut self, w: Closed<Self::Window>, out: &mut Vec<Draft>) {
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (function, r) in w.state {
            for (m, metric) in [Metric::Duration, Metric::Memory].into_iter().enumerate() {
                let k = r.outliers[m].count;
                if k < cfg.min_support {
                    continue;
                }
                let Some(dist) = self.distribution(&function, metric) else {
                    continue;
                };
                let p = binomial_tail(k, r.n.max(k), cfg.null_rate);
                tested.push((
                    function.clone(),
                    metric,
                    k,
                    r.n.max(k),
                    r.max_z[m],
                    r.max_value[m],
                    dist,
                    p,
                    r.outliers[m].clone(),
                ));
            }
        }
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| t.7);
        for ((function, metric, k, n, z, max, dist, p, contrib), sig) in tested {
            if !sig {
                continue;
            }
            let unit = match metric {
                Metric::Duration => "ms",
                Metric::Memory => "MB",
            };
            let message = format!(
                "{function}: {k} of {n} invocations in {} with {} far above baseline \
                 (max {max:.0} {unit}, robust z {z:.1}; baseline median {:.0} {unit}, MAD {:.1}, \
                 p99 {:.0}); expected at most {:.2} such, {}",
                fmt_width(w.width),
                metric.name(),
                dist.median,
                dist.mad,
                dist.p99,
                cfg.null_rate * n as f64,
                fmt_p(p),
            );
            let mut stats =
                Stats::new("robust z (median/MAD) above p99; binomial tail of outlier count");
            stats
                .expected(cfg.null_rate * n as f64)
                .observed(k as f64)
                .p_value(p)
                .score(z)
                .top(&[(metric.name().to_owned(), k)])
                .set("metric", json!(metric.name()))
                .set("max_value", json!(max))
                .set("baseline_median", json!(dist.median))
                .set("baseline_mad", json!(dist.mad))
                .set("baseline_p99", json!(dist.p99))
                .set("reports", json!(n));
            out.push(Draft {
                rule: self.rule.clone(),
                level: if z >= 3.0 * cfg.z_threshold {
                    Level::High
                } else {
                    Level::Medium
                },
                confidence: confidence_from_p(p, threshold),
                message,
                group: vec![
                    ("function", function.to_string()),
                    ("metric", metric.name().to_owned()),
                ],
                contrib,
                stats,
            });
        }
    }
}
