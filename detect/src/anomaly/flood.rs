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

use serde_json::json;
use tripline_ingest::Table;

use super::config::FloodConfig;
use super::events::InvocationCols;
use super::stats::count_tail;
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_top, fmt_width, rule_info, Contrib, Draft, Groups,
    Stats, TopCounts,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

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
pub(crate) struct Traffic {
    contrib: Contrib,
    sources: TopCounts,
}

/// The detector's scorer: invocations per function.
pub(crate) struct Flood {
    common: Common,
    cfg: FloodConfig,
    rule: Arc<RuleInfo>,
    evidence_after: u64,
}

impl Scorer for Flood {
    type Config = FloodConfig;
    type Window = Groups<Traffic>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = true;
    const TABLES: &'static [Table] = &[Table::Invocations];

    fn new(common: Common, cfg: FloodConfig) -> Self {
        Flood {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
        }
    }

    fn invocation(&mut self, row: Row<'_, InvocationCols>, w: &mut Frames<Self::Window>) {
        let Row { cols, i, t } = row;
        let Some(traffic) = w.group(t, cols.function(i)) else {
            return;
        };
        if let Some(src) = cols.source_ip.get(i) {
            traffic.sources.add(src);
        }
        let evidence = || cols.evidence(i);
        traffic
            .contrib
            .record(t, cols.id(i), self.evidence_after, evidence);
    }

    fn score(&mut self, w: Closed<Self::Window>, out: &mut Vec<Draft>) {
        let Some(b) = self.common.baselines() else {
            return;
        };
        let (start, width) = (w.start, w.width);
        let cfg = &self.cfg;
        let mut tested = Vec::new();
        for (function, traffic) in w.state {
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
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| t.3);
        for ((function, traffic, e, p, fb), sig) in tested {
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
                .top(&top)
                .set("expected_variance", json!(e.variance))
                .set("extra_invocations", json!(extra.round()))
                .set("extra_gb_seconds", json!(gb_seconds))
                .set("estimated_extra_cost_usd", json!(cost))
                .set("memory_mb", json!(memory_mb))
                .set("median_duration_ms", json!(duration_ms));
            out.push(Draft {
                rule: self.rule.clone(),
                level,
                confidence: confidence_from_p(p, threshold),
                message,
                group: vec![("function", function.to_string())],
                contrib: traffic.contrib,
                stats,
            });
        }
    }
}
