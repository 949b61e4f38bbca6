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

use arrow::record_batch::RecordBatch;
use serde_json::json;
use tripline_ingest::Table;

use super::config::OutlierConfig;
use super::events::RuntimeCols;
use super::stats::{binomial_tail, robust_z};
use super::window::{
    confidence_from_p, fmt_p, fmt_width, rule_info, Clock, Contrib, Draft, Groups, Stats, Windows,
};
use super::{Common, Detector};
use crate::baseline::Robust;
use crate::error::DetectError;
use crate::model::{Finding, Level, RuleInfo};

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
struct Reports {
    n: u64,
    outliers: [Contrib; 2],
    max_z: [f64; 2],
    max_value: [f64; 2],
}

/// The detector.
pub struct Outlier {
    common: Common,
    cfg: OutlierConfig,
    rule: Arc<RuleInfo>,
    windows: Windows<Groups<Reports>>,
    clock: Clock,
    pending: Vec<Finding>,
}

impl Outlier {
    /// A detector with `cfg`.
    pub(crate) fn new(common: Common, cfg: OutlierConfig) -> Self {
        Outlier {
            clock: Clock::new(common.lateness_secs),
            windows: Windows::new(cfg.window_secs),
            common,
            cfg,
            rule: rule(),
            pending: Vec::new(),
        }
    }

    fn close(&mut self, watermark: i64) {
        let width = self.windows.width_us();
        for (start, w) in self.windows.close_until(watermark) {
            let found = self.evaluate(start, width, w);
            self.pending.extend(found);
        }
    }

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

    fn evaluate(&self, start: i64, width: i64, w: Groups<Reports>) -> Vec<Finding> {
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (function, r) in w {
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
                    m,
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
        let ps: Vec<f64> = tested.iter().map(|t| t.8).collect();
        let significant = self.common.correction.significant(&ps, cfg.alpha);
        let threshold = self.common.correction.threshold(ps.len(), cfg.alpha);
        let mut out = Vec::new();
        for ((function, _, metric, k, n, z, max, dist, p, contrib), sig) in
            tested.into_iter().zip(significant)
        {
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
                fmt_width(width),
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
                .baseline_window(self.common.baselines())
                .top(&[(metric.name().to_owned(), k)])
                .set("metric", json!(metric.name()))
                .set("max_value", json!(max))
                .set("baseline_median", json!(dist.median))
                .set("baseline_mad", json!(dist.mad))
                .set("baseline_p99", json!(dist.p99))
                .set("reports", json!(n));
            out.push(
                Draft {
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
                    window_start_us: start,
                    contrib,
                    stats,
                    context: None,
                }
                .into_finding(),
            );
        }
        out
    }
}

impl Detector for Outlier {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        if table != Table::LambdaRuntime {
            return Ok(());
        }
        let cols = RuntimeCols::new(batch)?;
        let max = self.common.max_entities;
        let z_min = self.cfg.z_threshold;
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            if cols.kind.get(i) != Some("report") {
                continue;
            }
            let Some(function) = cols.function.get(i) else {
                continue;
            };
            let values = [cols.duration.get(i), cols.max_memory.get(i)];
            // Distributions first (immutable borrow), then the window.
            let dists = [
                values[0].and_then(|_| self.distribution(function, Metric::Duration)),
                values[1].and_then(|_| self.distribution(function, Metric::Memory)),
            ];
            let Some((_, w)) = self.windows.at(t) else {
                continue;
            };
            let Some(r) = w.get(function, max) else {
                continue;
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
                if z < z_min {
                    continue;
                }
                r.max_z[m] = r.max_z[m].max(z);
                r.max_value[m] = r.max_value[m].max(x);
                if r.outliers[m].add(t, cols.request_id.get(i), 1) {
                    r.outliers[m].push_evidence(cols.evidence(i));
                }
            }
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
