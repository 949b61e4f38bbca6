//! Invocation flood / denial of wallet: a function invoked far above its
//! hour-of-week baseline, with the extra cost estimated.
//!
//! Per function and window, the count of `invocations` rows is tested against the
//! baseline's expectation for that window ([`crate::baseline::Activity::expected`]:
//! the hour-of-week rate shrunk toward the overall rate) with a negative-binomial
//! tail when the function is bursty (variance above the mean), else Poisson. A
//! finding needs `min_support` invocations, `min_ratio` × expected, and a p-value
//! under the level corrected for the functions tested in the window. Functions the
//! baseline does not know are not tested.
//!
//! Cost: the extra invocations (observed − expected) × the request price, plus
//! GB-seconds from the function's configured memory × its median duration (from
//! the baseline's platform reports; [`DEFAULT_MEMORY_MB`] and
//! [`DEFAULT_DURATION_MS`] when unknown) × the GB-second price.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use serde_json::json;
use tripline_ingest::Table;

use super::config::FloodConfig;
use super::events::InvocationCols;
use super::stats::count_tail;
use super::window::{
    confidence_from_p, fmt_p, fmt_top, fmt_width, rule_info, Clock, Contrib, Draft, Groups, Stats,
    TopCounts, Windows,
};
use super::{Common, Detector};
use crate::error::DetectError;
use crate::model::{Finding, Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "invocation_flood";

/// Lambda request price, USD per request ($0.20 per million; x86 and arm64, all
/// commercial regions, 2024).
pub const PRICE_PER_REQUEST_USD: f64 = 0.20 / 1_000_000.0;
/// Lambda compute price, USD per GB-second (x86, us-east-1, first pricing tier,
/// 2024; arm64 is 20 % less).
pub const PRICE_PER_GB_SECOND_USD: f64 = 0.000_016_666_7;
/// Memory assumed for a function whose reports the baseline lacks (Lambda's default).
pub const DEFAULT_MEMORY_MB: f64 = 128.0;
/// Duration assumed for a function whose reports the baseline lacks.
pub const DEFAULT_DURATION_MS: f64 = 100.0;

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.invocation_flood",
        "Invocation flood (denial of wallet)",
        "A function invoked far above its hour-of-week baseline; the extra invocations \
         cost money and can exhaust concurrency.",
        Level::Medium,
        &["attack.impact", "attack.t1499.003", "attack.t1496"],
        &[
            "A launch, campaign or batch job that legitimately multiplies traffic",
            "Retries after a downstream outage",
        ],
    )
}

#[derive(Default)]
struct Traffic {
    contrib: Contrib,
    sources: TopCounts,
}

type FloodWindow = Groups<Traffic>;

/// The detector.
pub struct Flood {
    common: Common,
    cfg: FloodConfig,
    rule: Arc<RuleInfo>,
    windows: Windows<FloodWindow>,
    clock: Clock,
    pending: Vec<Finding>,
}

impl Flood {
    /// A detector with `cfg`.
    pub(crate) fn new(common: Common, cfg: FloodConfig) -> Self {
        Flood {
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

    fn evaluate(&self, start: i64, width: i64, w: FloodWindow) -> Vec<Finding> {
        let Some(b) = self.common.baselines() else {
            return Vec::new();
        };
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (function, traffic) in w {
            let n = traffic.contrib.count;
            if n < cfg.min_support {
                continue;
            }
            let Some(fb) = b.function(&function) else {
                continue;
            };
            let Some(activity) = &fb.per_minute else {
                continue;
            };
            let e = activity.expected(start, width, self.common.prior_hours);
            let p = count_tail(n, e.mean, e.variance);
            tested.push((function, traffic, e, p, fb));
        }
        let ps: Vec<f64> = tested.iter().map(|t| t.3).collect();
        let significant = self.common.correction.significant(&ps, cfg.alpha);
        let threshold = self.common.correction.threshold(ps.len(), cfg.alpha);
        let mut out = Vec::new();
        for ((function, traffic, e, p, fb), sig) in tested.into_iter().zip(significant) {
            let n = traffic.contrib.count as f64;
            let ratio = n / e.mean.max(1e-9);
            if !sig || ratio < cfg.min_ratio {
                continue;
            }
            let runtime = fb.runtime.as_ref();
            let memory_mb = runtime
                .and_then(|r| r.memory_mb)
                .map_or(DEFAULT_MEMORY_MB, |m| m as f64);
            let duration_ms = runtime
                .and_then(|r| r.duration)
                .map_or(DEFAULT_DURATION_MS, |d| d.median);
            let extra = (n - e.mean).max(0.0);
            let gb_seconds = extra * duration_ms / 1000.0 * memory_mb / 1024.0;
            let cost = extra * PRICE_PER_REQUEST_USD + gb_seconds * PRICE_PER_GB_SECOND_USD;
            let per_day = cost * 86_400_000_000.0 / width as f64;
            let top = traffic.sources.top(5);
            let level = if ratio >= 20.0 {
                Level::High
            } else {
                Level::Medium
            };
            let message = format!(
                "{function} invoked {n} times in {} against {:.1} expected for this hour of the week \
                 ({ratio:.1}×, {}); extra cost ≈ ${cost:.4} (≈ ${per_day:.2}/day at this rate: \
                 {gb_seconds:.1} GB-s at {memory_mb} MB × {duration_ms:.0} ms); top sources {}",
                fmt_width(width),
                e.mean,
                fmt_p(p),
                fmt_top(&top, 3),
            );
            let mut stats = Stats::new("negative-binomial tail vs hour-of-week baseline");
            stats
                .expected(e.mean)
                .observed(n)
                .p_value(p)
                .score(ratio)
                .baseline_window(Some(b))
                .top(&top)
                .set("expected_variance", json!(e.variance))
                .set("extra_invocations", json!(extra.round()))
                .set("extra_gb_seconds", json!(gb_seconds))
                .set("estimated_extra_cost_usd", json!(cost))
                .set("memory_mb", json!(memory_mb))
                .set("median_duration_ms", json!(duration_ms));
            out.push(
                Draft {
                    rule: self.rule.clone(),
                    level,
                    confidence: confidence_from_p(p, threshold),
                    message,
                    group: vec![("function", function.to_string())],
                    window_start_us: start,
                    contrib: traffic.contrib,
                    stats,
                    context: None,
                }
                .into_finding(),
            );
        }
        out
    }
}

impl Detector for Flood {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        if table != Table::Invocations {
            return Ok(());
        }
        let cols = InvocationCols::new(batch)?;
        let max = self.common.max_entities;
        let evidence_after = (self.cfg.min_support / 2).max(1);
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            let Some((_, w)) = self.windows.at(t) else {
                continue;
            };
            let Some(traffic) = w.get(cols.function(i), max) else {
                continue;
            };
            if let Some(src) = cols.source_ip.get(i) {
                traffic.sources.add(src);
            }
            if traffic.contrib.add(t, cols.id(i), evidence_after) {
                traffic.contrib.push_evidence(cols.evidence(i));
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
