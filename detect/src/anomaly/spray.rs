//! Stateless attack spray: the same rare or attack-bearing payload shape across many
//! request ids — from one source in a short window (a scanner's burst), or from many
//! sources sending a few requests each over hours (low and slow).
//!
//! A shape is grouped per function; two window lengths run side by side. A group is
//! reported when it has the support (requests from the top source for a burst;
//! distinct sources, requests and a small median per source for a distributed spray)
//! and it is either attack-bearing ([`super::families`]) or rare for the function:
//! it was never seen or its baseline share `f` is under `rare_frequency`, and `P(X ≥ n)` for
//! `X ~ Poisson(N·f)`, `N` the function's requests in the window, passes the
//! corrected level. A shape common in the function's baseline is never reported,
//! attack tokens or not (a query builder that receives SQL is not under attack).
//! Without baselines, only attack-bearing shapes are reported.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use serde_json::json;
use tripline_ingest::Table;

use super::config::SprayConfig;
use super::events::InvocationCols;
use super::families::{classify, FamilySet};
use super::stats::poisson_tail;
use super::window::{
    confidence_from_p, fmt_p, fmt_top, fmt_width, key_hash, rule_info, Clock, Contrib, Draft,
    Groups, Stats, TopCounts, Windows,
};
use super::{Common, Detector};
use crate::error::DetectError;
use crate::model::{Finding, Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "spray";

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.spray",
        "Payload template sprayed across many invocations",
        "One payload shape (values replaced by type tokens) that is rare for the function \
         or carries attack tokens, sent in many requests: from one source in a burst, or \
         from many sources a few requests each (low and slow).",
        Level::Medium,
        &[
            "attack.initial_access",
            "attack.t1190",
            "attack.reconnaissance",
            "attack.t1595.002",
        ],
        &[
            "A deployment that changes the request format makes a new shape common at once",
            "Load tests and vulnerability scans run by the owners",
        ],
    )
}

#[derive(Default)]
struct ShapeGroup {
    contrib: Contrib,
    sources: TopCounts,
    families: FamilySet,
}

#[derive(Default)]
struct FunctionTraffic {
    requests: u64,
    shapes: Groups<ShapeGroup>,
}

#[derive(Default)]
struct SprayWindow {
    functions: Groups<FunctionTraffic>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Burst,
    Distributed,
}

/// The detector.
pub struct Spray {
    common: Common,
    cfg: SprayConfig,
    rule: Arc<RuleInfo>,
    burst: Windows<SprayWindow>,
    slow: Windows<SprayWindow>,
    clock: Clock,
    pending: Vec<Finding>,
}

impl Spray {
    /// A detector with `cfg`.
    pub(crate) fn new(common: Common, cfg: SprayConfig) -> Self {
        Spray {
            clock: Clock::new(common.lateness_secs),
            burst: Windows::new(cfg.burst_window_secs),
            slow: Windows::new(cfg.slow_window_secs),
            common,
            cfg,
            rule: rule(),
            pending: Vec::new(),
        }
    }

    fn close(&mut self, watermark: i64) {
        let width = self.burst.width_us();
        for (start, w) in self.burst.close_until(watermark) {
            let found = self.evaluate(start, width, w, Mode::Burst);
            self.pending.extend(found);
        }
        let width = self.slow.width_us();
        for (start, w) in self.slow.close_until(watermark) {
            let found = self.evaluate(start, width, w, Mode::Distributed);
            self.pending.extend(found);
        }
    }

    fn evaluate(&self, start: i64, width: i64, w: SprayWindow, mode: Mode) -> Vec<Finding> {
        let cfg = &self.cfg;
        let b = self.common.baselines();
        struct Candidate {
            function: Box<str>,
            shape: Box<str>,
            group: ShapeGroup,
            requests: u64,
            frequency: Option<f64>,
            p: Option<f64>,
        }
        let mut candidates = Vec::new();
        for (function, traffic) in w.functions {
            let fb = b.and_then(|b| b.function(&function));
            for (shape, g) in traffic.shapes {
                let n = g.contrib.count;
                let supported = match mode {
                    Mode::Burst => g
                        .sources
                        .top(1)
                        .first()
                        .is_some_and(|(_, c)| *c >= cfg.min_support),
                    Mode::Distributed => {
                        let mut per_source: Vec<u64> = g.sources.values().collect();
                        per_source.sort_unstable();
                        let median = per_source.get(per_source.len() / 2).copied().unwrap_or(0);
                        n >= cfg.min_support
                            && per_source.len() as u64 >= cfg.min_sources
                            && median <= cfg.max_per_source
                    }
                };
                if !supported {
                    continue;
                }
                let seen = fb
                    .filter(|f| f.shaped > 0)
                    .map(|f| f.shape_frequency(&shape));
                let frequency = seen.map(|f| f.frequency);
                // Never seen, or seen less often than the threshold.
                let rare = seen.map(|f| f.unseen || f.frequency < cfg.rare_frequency);
                if rare == Some(false) || (rare.is_none() && g.families.is_empty()) {
                    continue;
                }
                let p = frequency.map(|f| poisson_tail(n, traffic.requests as f64 * f));
                candidates.push(Candidate {
                    function: function.clone(),
                    shape,
                    group: g,
                    requests: traffic.requests,
                    frequency,
                    p,
                });
            }
        }
        let ps: Vec<f64> = candidates.iter().map(|c| c.p.unwrap_or(1.0)).collect();
        let significant = self.common.correction.significant(&ps, cfg.alpha);
        let threshold = self.common.correction.threshold(ps.len(), cfg.alpha);

        let mut out = Vec::new();
        for (c, sig) in candidates.into_iter().zip(significant) {
            let attack = !c.group.families.is_empty();
            if !attack && !sig {
                continue;
            }
            let n = c.group.contrib.count;
            let top = c.group.sources.top(5);
            let sources = c.group.sources.len() as u64 + u64::from(c.group.sources.overflow > 0);
            let families = c.group.families.names();
            let severity = c.group.families.severity();
            let level = match (severity, mode) {
                (3, _) => Level::High,
                (2, _) | (1, Mode::Distributed) => Level::Medium,
                (1, Mode::Burst) => Level::Low,
                _ => Level::Low,
            };
            let confidence = if attack {
                60 + 10 * severity + if sig { 5 } else { 0 }
            } else {
                confidence_from_p(c.p.unwrap_or(1.0), threshold)
            };
            let what = if attack {
                format!("attack tokens: {}", families.join(", "))
            } else {
                "shape rare for the function".to_owned()
            };
            let expected = c.frequency.map(|f| c.requests as f64 * f);
            let baseline = match (c.frequency, expected, c.p) {
                (Some(f), Some(e), Some(p)) => format!(
                    "; baseline share {f:.1e}: expected {e:.2} of {} requests, {}",
                    c.requests,
                    fmt_p(p)
                ),
                _ => "; no baseline for the function".to_owned(),
            };
            let shape_short: String = c.shape.chars().take(120).collect();
            let message = match mode {
                Mode::Burst => format!(
                    "One payload shape sprayed at {}: {n} requests in {} ({what}), top sources {}{baseline}. Shape: {shape_short}",
                    c.function,
                    fmt_width(width),
                    fmt_top(&top, 3),
                ),
                Mode::Distributed => format!(
                    "Low-and-slow spray at {}: {n} requests of one payload shape from {sources} sources over {} ({what}){baseline}. Shape: {shape_short}",
                    c.function,
                    fmt_width(width),
                ),
            };
            let mut stats = Stats::new(match mode {
                Mode::Burst => "shape rarity vs baseline (Poisson), one-source burst",
                Mode::Distributed => "shape rarity vs baseline (Poisson), distributed low-and-slow",
            });
            stats.observed(n as f64).baseline_window(b).top(&top);
            if let Some(e) = expected {
                stats.expected(e);
            }
            if let Some(p) = c.p {
                stats.p_value(p);
            }
            stats
                .score(f64::from(severity) * 10.0 + c.p.map_or(0.0, |p| -p.max(1e-300).log10()))
                .set("families", json!(families))
                .set("distinct_sources", json!(sources))
                .set("window_requests", json!(c.requests))
                .set("baseline_frequency", json!(c.frequency))
                .set(
                    "attack_tags",
                    json!(c
                        .group
                        .families
                        .families()
                        .flat_map(|f| f.tags.iter().copied())
                        .collect::<Vec<_>>()),
                );
            let mut group = vec![
                ("function", c.function.to_string()),
                ("payload_shape", c.shape.to_string()),
                (
                    "mode",
                    if mode == Mode::Burst {
                        "burst"
                    } else {
                        "distributed"
                    }
                    .to_owned(),
                ),
            ];
            if mode == Mode::Burst {
                if let Some((src, _)) = top.first() {
                    group.push(("source_ip", src.clone()));
                }
            }
            out.push(
                Draft {
                    rule: self.rule.clone(),
                    level,
                    confidence: confidence.min(99),
                    message,
                    group,
                    window_start_us: start,
                    contrib: c.group.contrib,
                    stats,
                    context: None,
                }
                .into_finding(),
            );
        }
        out
    }
}

/// Folds one row into a window of the spray.
#[allow(clippy::too_many_arguments)]
fn add_row(
    windows: &mut Windows<SprayWindow>,
    t: i64,
    function: (u64, &str),
    shape: Option<(u64, &str)>,
    source: &str,
    payload_families: FamilySet,
    cols: &InvocationCols,
    i: usize,
    max: usize,
    evidence_after: u64,
) {
    let Some((_, w)) = windows.at(t) else { return };
    let Some(traffic) = w.functions.get_hashed(function.0, function.1, max) else {
        return;
    };
    traffic.requests += 1;
    let Some((hash, shape)) = shape else { return };
    let Some(g) = traffic.shapes.get_hashed(hash, shape, max) else {
        return;
    };
    if g.contrib.count == 0 {
        // Scanned once per group, not per row.
        g.families = classify(shape);
    }
    g.families.0 |= payload_families.0;
    g.sources.add(source);
    if g.contrib.add(t, cols.id(i), evidence_after) {
        g.contrib.push_evidence(cols.evidence(i));
    }
}

impl Detector for Spray {
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
            // Hashed once for both windows.
            let shape = cols.shape.get(i).map(|s| (key_hash(s), s));
            let mut families = FamilySet::default();
            if self.cfg.scan_payloads {
                if let Some(payload) = cols.payload.get(i) {
                    families = classify(payload);
                }
            }
            let function = cols.function(i);
            let function = (key_hash(function), function);
            let source = cols.source_ip.get(i).unwrap_or("(unknown)");
            add_row(
                &mut self.burst,
                t,
                function,
                shape,
                source,
                families,
                &cols,
                i,
                max,
                evidence_after,
            );
            add_row(
                &mut self.slow,
                t,
                function,
                shape,
                source,
                families,
                &cols,
                i,
                max,
                evidence_after,
            );
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
