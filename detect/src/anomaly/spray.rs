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

use serde_json::json;
use tripline_ingest::Table;

use super::config::SprayConfig;
use super::events::InvocationCols;
use super::families::{classify, FamilySet};
use super::stats::poisson_tail;
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_top, fmt_width, key_hash, rule_info, Contrib, Draft,
    Groups, Stats, TopCounts,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

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
pub(crate) struct ShapeGroup {
    contrib: Contrib,
    sources: TopCounts,
    families: FamilySet,
}

#[derive(Default)]
pub(crate) struct FunctionTraffic {
    requests: u64,
    shapes: Groups<ShapeGroup>,
}

#[derive(Default)]
pub(crate) struct SprayWindow {
    functions: Groups<FunctionTraffic>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Burst,
    Distributed,
}

/// The detector's scorer: payload shapes per function, in two window sets (the
/// burst's and the low-and-slow spray's).
pub(crate) struct Spray {
    common: Common,
    cfg: SprayConfig,
    rule: Arc<RuleInfo>,
    evidence_after: u64,
}

impl Spray {
    fn evaluate(&self, width: i64, w: SprayWindow, mode: Mode, out: &mut Vec<Draft>) {
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
        let (candidates, threshold) =
            corrected(self.common.correction, cfg.alpha, candidates, |c| {
                c.p.unwrap_or(1.0)
            });
        for (c, sig) in candidates {
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
            stats.observed(n as f64).top(&top);
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
            out.push(Draft {
                rule: self.rule.clone(),
                level,
                confidence: confidence.min(99),
                message,
                group,
                contrib: c.group.contrib,
                stats,
            });
        }
    }
}

/// The mode of each window set (`burst_window_secs`, `slow_window_secs`).
const MODES: [Mode; 2] = [Mode::Burst, Mode::Distributed];

impl Scorer for Spray {
    type Config = SprayConfig;
    type Window = SprayWindow;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = false;
    const TABLES: &'static [Table] = &[Table::Invocations];

    fn new(common: Common, cfg: SprayConfig) -> Self {
        Spray {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
        }
    }

    fn invocation(&mut self, row: Row<'_, InvocationCols>, w: &mut Frames<SprayWindow>) {
        let Row { cols, i, t } = row;
        // Hashed once for both windows.
        let shape = cols.shape.get(i).map(|s| (key_hash(s), s));
        let mut families = FamilySet::default();
        if self.cfg.scan_payloads {
            if let Some(payload) = cols.payload.get(i) {
                families = classify(payload);
            }
        }
        let function = cols.function(i);
        let function_hash = key_hash(function);
        let source = cols.source_ip.get(i).unwrap_or("(unknown)");
        let max = w.max_entities();
        for set in 0..MODES.len() {
            let Some(window) = w.at_in(set, t) else {
                continue;
            };
            let functions = &mut window.functions;
            let Some(traffic) = functions.get_hashed(function_hash, function, max) else {
                continue;
            };
            traffic.requests += 1;
            let Some((hash, shape)) = shape else { continue };
            let Some(g) = traffic.shapes.get_hashed(hash, shape, max) else {
                continue;
            };
            if g.contrib.count == 0 {
                // Scanned once per group, not per row.
                g.families = classify(shape);
            }
            g.families.0 |= families.0;
            g.sources.add(source);
            g.contrib
                .record(t, cols.id(i), self.evidence_after, || cols.evidence(i));
        }
    }

    fn score(&mut self, w: Closed<SprayWindow>, out: &mut Vec<Draft>) {
        self.evaluate(w.width, w.state, MODES[w.set], out);
    }
}
