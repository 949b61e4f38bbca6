//! Enumeration: one source walking many distinct paths or functions, mostly failing.
//!
//! Per source IP and window (`invocations`): requests, distinct path templates (a
//! path with numeric and hex/uuid segments collapsed, so a user paging through
//! `/orders/1…/orders/99` is one template), distinct functions, and 4xx responses.
//! A source is reported when it has `min_support` requests and either
//!
//! - `min_distinct_paths` templates, or
//! - `min_distinct_functions` functions (a site whose routes are separate
//!   functions is walked by every visitor, hence the next condition),
//!
//! and, when statuses are known, at least `min_error_ratio` 4xx responses whose
//! count is significant against the 4xx rate of the other sources in the window
//! (binomial tail, corrected for the sources tested).
//!
//! The score is the robust z of the source's distinct templates among the window's
//! sources. Works without baselines.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::EnumerationConfig;
use super::events::InvocationCols;
use super::stats::{binomial_tail, robust_z};
use super::window::{
    confidence_from_p, corrected, fmt_p, fmt_width, key_hash, rule_info, Contrib, Draft, Groups,
    PreHashedState, Stats, TopCounts,
};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "enumeration";

/// Distinct templates remembered per source (counting stops there).
const MAX_TEMPLATES: usize = 4096;
/// Sample paths kept per source, for the finding.
const SAMPLE_PATHS: usize = 10;

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.enumeration",
        "One source enumerating paths or functions",
        "A source requesting many distinct path templates, mostly answered with 4xx, or \
         many distinct functions: content discovery, wordlist scanning, API mapping.",
        Level::Medium,
        &[
            "attack.reconnaissance",
            "attack.t1595.003",
            "attack.discovery",
            "attack.t1580",
        ],
        &[
            "Crawlers and uptime monitors the owners run",
            "A client whose links broke after a release (many 404s)",
        ],
    )
}

#[derive(Default)]
pub(crate) struct Source {
    contrib: Contrib,
    templates: HashSet<u64, PreHashedState>,
    /// Hashes of the functions requested (all requests).
    functions: HashSet<u64, PreHashedState>,
    /// Functions of the failed (4xx) requests: the top contributors.
    failing: TopCounts,
    with_status: u64,
    errors: u64,
    samples: Vec<String>,
}

/// The detector's scorer: requests per source.
pub(crate) struct Enumeration {
    common: Common,
    cfg: EnumerationConfig,
    rule: Arc<RuleInfo>,
    hasher: RandomState,
    evidence_after: u64,
}

/// The hash of a path's template: query string dropped, numeric segments → `0`,
/// long hex or uuid-like segments → `*`.
fn template_hash(path: &str, state: &RandomState) -> u64 {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut h = state.build_hasher();
    for segment in path.split('/') {
        let norm: &[u8] = if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            b"0"
        } else if segment.len() >= 16
            && segment
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_')
        {
            b"*"
        } else {
            segment.as_bytes()
        };
        h.write(norm);
        h.write_u8(b'/');
    }
    h.finish()
}

impl Scorer for Enumeration {
    type Config = EnumerationConfig;
    type Window = Groups<Source>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = false;
    const TABLES: &'static [Table] = &[Table::Invocations];

    fn new(common: Common, cfg: EnumerationConfig) -> Self {
        Enumeration {
            evidence_after: (cfg.min_support / 2).max(1),
            common,
            cfg,
            rule: rule(),
            hasher: RandomState::new(),
        }
    }

    fn invocation(&mut self, row: Row<'_, InvocationCols>, w: &mut Frames<Groups<Source>>) {
        let Row { cols, i, t } = row;
        let Some(source) = cols.source_ip.get(i) else {
            return;
        };
        let Some(s) = w.group(t, source) else {
            return;
        };
        if let Some(path) = cols.path.get(i) {
            if s.templates.len() < MAX_TEMPLATES
                && s.templates.insert(template_hash(path, &self.hasher))
                && s.samples.len() < SAMPLE_PATHS
            {
                s.samples.push(path.chars().take(100).collect());
            }
        }
        let function = cols.function(i);
        if s.functions.len() < MAX_TEMPLATES {
            s.functions.insert(key_hash(function));
        }
        if let Some(status) = cols.status.get(i) {
            s.with_status += 1;
            if (400..500).contains(&status) {
                s.errors += 1;
                s.failing.add(function);
            }
        }
        s.contrib
            .record(t, cols.id(i), self.evidence_after, || cols.evidence(i));
    }

    fn score(&mut self, w: Closed<Groups<Source>>, out: &mut Vec<Draft>) {
        let (width, w) = (w.width, w.state);
        let cfg = &self.cfg;
        let total_status: u64 = w.values().map(|s| s.with_status).sum();
        let total_errors: u64 = w.values().map(|s| s.errors).sum();
        let mut distinct: Vec<f64> = w.values().map(|s| s.templates.len() as f64).collect();
        let (median, mad) = median_mad(&mut distinct);
        let compare = w.len() >= 5;

        let mut tested = Vec::new();
        for (source, s) in w {
            if s.contrib.count < cfg.min_support {
                continue;
            }
            let paths = s.templates.len() as u64;
            let functions = s.functions.len() as u64;
            // Benign clients get what they ask for; a walk mostly fails.
            let failing =
                s.with_status == 0 || s.errors as f64 >= cfg.min_error_ratio * s.with_status as f64;
            let path_walk = paths >= cfg.min_distinct_paths && failing;
            let function_walk = functions >= cfg.min_distinct_functions && failing;
            if !(path_walk || function_walk) {
                continue;
            }
            // The other sources' 4xx rate, with a weak prior so one source alone
            // still has a reference.
            let others_rate =
                (total_errors - s.errors + 1) as f64 / (total_status - s.with_status + 20) as f64;
            let p =
                (s.with_status > 0).then(|| binomial_tail(s.errors, s.with_status, others_rate));
            tested.push((
                source,
                s,
                paths,
                functions,
                path_walk,
                function_walk,
                p,
                others_rate,
            ));
        }
        let (tested, threshold) = corrected(self.common.correction, cfg.alpha, tested, |t| {
            t.6.unwrap_or(0.0)
        });
        for ((source, s, paths, functions, path_walk, function_walk, p, others_rate), sig) in tested
        {
            // With statuses, a walk must fail significantly more than the others.
            let path_walk = path_walk && (p.is_none() || sig);
            let function_walk = function_walk && (p.is_none() || sig);
            if !(path_walk || function_walk) {
                continue;
            }
            let z = if compare {
                robust_z(paths as f64, median, mad, 0.6745)
            } else {
                paths as f64 / cfg.min_distinct_paths.max(1) as f64
            };
            let top = s.failing.top(5);
            let what = match (path_walk, function_walk) {
                (true, true) => "paths and functions",
                (true, false) => "paths",
                _ => "functions",
            };
            let status = match p {
                Some(p) => format!(
                    "{} of {} answered 4xx ({:.0} %, others {:.1} %, {})",
                    s.errors,
                    s.with_status,
                    100.0 * s.errors as f64 / s.with_status as f64,
                    100.0 * others_rate,
                    fmt_p(p)
                ),
                None => "no status codes logged".to_owned(),
            };
            let message = format!(
                "{source} enumerated {what}: {} requests in {} over {paths} distinct path templates \
                 and {functions} functions; {status}; robust z of distinct paths among {} sources: {z:.1}. \
                 Paths: {}",
                s.contrib.count,
                fmt_width(width),
                distinct.len(),
                s.samples.join(" "),
            );
            let mut stats = Stats::new(
                "distinct templates/functions per source; binomial tail of 4xx vs other sources",
            );
            stats
                .observed(paths as f64)
                .expected(median)
                .score(z)
                .top(&top)
                .set("distinct_paths", json!(paths))
                .set("distinct_functions", json!(functions))
                .set("errors_4xx", json!(s.errors))
                .set("with_status", json!(s.with_status))
                .set("sample_paths", json!(s.samples));
            if let Some(p) = p {
                stats.p_value(p);
            }
            out.push(Draft {
                rule: self.rule.clone(),
                level: if path_walk && function_walk {
                    Level::High
                } else {
                    Level::Medium
                },
                confidence: p.map_or(60, |p| confidence_from_p(p, threshold)),
                message,
                group: vec![("source_ip", source.to_string())],
                contrib: s.contrib,
                stats,
            });
        }
    }
}

/// Median and MAD of `xs` (sorted in place); `(0, 0)` when empty.
pub(crate) fn median_mad(xs: &mut [f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    xs.sort_by(f64::total_cmp);
    let median = xs[xs.len() / 2];
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    (median, dev[dev.len() / 2])
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn templates_collapse_ids() {
        let s = RandomState::new();
        assert_eq!(
            template_hash("/orders/1", &s),
            template_hash("/orders/99?x=1", &s)
        );
        assert_eq!(
            template_hash("/u/0f8fad5b-d9cb-469f-a165-70867728950e", &s),
            template_hash("/u/7c9e6679-7425-40de-944b-e07fc1f90ae7", &s)
        );
        assert_ne!(template_hash("/admin", &s), template_hash("/backup", &s));
    }

    #[test]
    fn median_and_mad() {
        assert_eq!(median_mad(&mut [1.0, 2.0, 3.0, 4.0, 100.0]), (3.0, 1.0));
        assert_eq!(median_mad(&mut []), (0.0, 0.0));
    }
}
