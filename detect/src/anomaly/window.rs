//! What every detector shares: tumbling windows closed by a watermark, the running
//! record of a group's contributing events, and the assembly of a [`Finding`] with
//! its stable uid and statistics. The per-window group maps are in `groups`.
//!
//! State is per window: a window holds the groups seen in it and is dropped when it
//! closes, so memory is bounded by the events of the open windows (and by
//! `max_entities` groups per window), whether the input is a file or a stream.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::stats::Correction;
use crate::baseline::{Baselines, TimeRange};
use crate::model::{Evidence, Finding, Level, RuleInfo, MAX_EVIDENCE, MAX_RELATED};

pub(crate) use super::groups::{key_hash, Groups, PreHashedState, TopCounts};

/// Tumbling windows of one width, aligned to the epoch, keyed by their start (µs).
#[derive(Debug)]
pub(crate) struct Windows<S> {
    width_us: i64,
    open: BTreeMap<i64, S>,
    /// Every window starting before this has been closed: later events for them are
    /// late and dropped, so a window is scored once.
    closed_before: i64,
    /// Events dropped for arriving after their window closed.
    pub(crate) late: u64,
}

impl<S: Default> Windows<S> {
    /// Windows `width_secs` wide (at least one second).
    pub(crate) fn new(width_secs: u64) -> Self {
        Windows {
            width_us: (width_secs.max(1) as i64).saturating_mul(1_000_000),
            open: BTreeMap::new(),
            closed_before: i64::MIN,
            late: 0,
        }
    }

    /// Width, µs.
    pub(crate) fn width_us(&self) -> i64 {
        self.width_us
    }

    /// The window holding time `t`, created if needed; `None` when it already closed.
    #[inline]
    pub(crate) fn at(&mut self, t: i64) -> Option<(i64, &mut S)> {
        let start = t - t.rem_euclid(self.width_us);
        if start < self.closed_before {
            self.late += 1;
            return None;
        }
        Some((start, self.open.entry(start).or_default()))
    }

    /// Removes and returns the windows that end at or before `watermark`, oldest
    /// first.
    pub(crate) fn close_until(&mut self, watermark: i64) -> Vec<(i64, S)> {
        let mut closed = Vec::new();
        while let Some(entry) = self.open.first_entry() {
            let start = *entry.key();
            if start.saturating_add(self.width_us) > watermark {
                break;
            }
            closed.push((start, entry.remove()));
            self.closed_before = self.closed_before.max(start.saturating_add(1));
        }
        // Windows that never opened up to the watermark are closed too.
        let aligned = watermark.saturating_sub(watermark.rem_euclid(self.width_us));
        let bound = aligned.saturating_sub(self.width_us).saturating_add(1);
        self.closed_before = self.closed_before.max(bound);
        closed
    }
}

/// The newest event time seen, and how far behind it windows may still change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    max_seen: i64,
    lateness_us: i64,
}

impl Clock {
    /// A clock allowing `lateness_secs` of lateness.
    pub(crate) fn new(lateness_secs: u64) -> Self {
        Clock {
            max_seen: i64::MIN,
            lateness_us: (lateness_secs as i64).saturating_mul(1_000_000),
        }
    }

    /// Notes an event time.
    #[inline]
    pub(crate) fn observe(&mut self, t: i64) {
        if t > self.max_seen {
            self.max_seen = t;
        }
    }

    /// Windows ending at or before this are complete.
    pub(crate) fn watermark(&self) -> i64 {
        self.max_seen.saturating_sub(self.lateness_us)
    }
}

/// The contributing events of one group in one window: count, time span, the first
/// ids and (once the group is worth it) the first events as evidence.
#[derive(Debug, Clone)]
pub(crate) struct Contrib {
    pub(crate) count: u64,
    pub(crate) first_us: i64,
    pub(crate) last_us: i64,
    pub(crate) related: Vec<String>,
    pub(crate) evidence: Vec<Value>,
}

impl Default for Contrib {
    fn default() -> Self {
        Contrib {
            count: 0,
            first_us: i64::MAX,
            last_us: i64::MIN,
            related: Vec::new(),
            evidence: Vec::new(),
        }
    }
}

impl Contrib {
    /// Counts one event. Returns true when the caller should attach the event as
    /// evidence: the group has reached `evidence_after` events (groups that never
    /// get there never pay for building JSON) and holds fewer than
    /// [`MAX_EVIDENCE`].
    #[inline]
    pub(crate) fn add(&mut self, t: i64, id: Option<&str>, evidence_after: u64) -> bool {
        self.count += 1;
        self.first_us = self.first_us.min(t);
        self.last_us = self.last_us.max(t);
        if let Some(id) = id {
            if self.related.len() < MAX_RELATED {
                self.related.push(id.to_owned());
            }
        }
        self.count >= evidence_after && self.evidence.len() < MAX_EVIDENCE
    }

    /// Counts one event ([`Self::add`]) and attaches it as evidence, built by
    /// `evidence` only when wanted.
    #[inline]
    pub(crate) fn record(
        &mut self,
        t: i64,
        id: Option<&str>,
        evidence_after: u64,
        evidence: impl FnOnce() -> Value,
    ) {
        if self.add(t, id, evidence_after) {
            self.push_evidence(evidence());
        }
    }

    /// Attaches one event as evidence (see [`Self::add`]).
    pub(crate) fn push_evidence(&mut self, event: Value) {
        if self.evidence.len() < MAX_EVIDENCE {
            self.evidence.push(event);
        }
    }
}

/// The statistics of a finding, under the keys the OCSF side reads: `expected`,
/// `observed`, `p_value`, `score`, `baseline_window`, `top_contributors`, `method`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats(pub(crate) BTreeMap<String, Value>);

impl Stats {
    /// Statistics computed by `method` (a short description of the test).
    pub(crate) fn new(method: &str) -> Self {
        let mut s = Stats::default();
        s.set("method", json!(method));
        s
    }

    pub(crate) fn set(&mut self, key: &str, value: Value) -> &mut Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn expected(&mut self, v: f64) -> &mut Self {
        self.set("expected", json!(round(v)))
    }

    pub(crate) fn observed(&mut self, v: f64) -> &mut Self {
        self.set("observed", json!(round(v)))
    }

    pub(crate) fn p_value(&mut self, p: f64) -> &mut Self {
        self.set("p_value", json!(p))
    }

    pub(crate) fn score(&mut self, s: f64) -> &mut Self {
        self.set("score", json!(round(s)))
    }

    /// The baselines' time range, when there are baselines.
    pub(crate) fn baseline_window(&mut self, b: Option<&Baselines>) -> &mut Self {
        if let Some(range) = b.and_then(Baselines::time_range) {
            self.set("baseline_window", window_json(range));
        }
        self
    }

    pub(crate) fn top(&mut self, top: &[(String, u64)]) -> &mut Self {
        let list: Vec<Value> = top
            .iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect();
        self.set("top_contributors", Value::Array(list))
    }
}

fn window_json(range: TimeRange) -> Value {
    let (start, end) = range.rfc3339();
    json!({"start": start, "end": end})
}

/// Rounds for display (6 significant decimals) without losing small values.
fn round(v: f64) -> f64 {
    if v.abs() >= 1.0 {
        (v * 1000.0).round() / 1000.0
    } else {
        v
    }
}

/// A p-value for messages: `p=3.1e-12`.
pub(crate) fn fmt_p(p: f64) -> String {
    if p >= 0.001 {
        format!("p={p:.3}")
    } else {
        format!("p={p:.1e}")
    }
}

/// A window width for messages: `10 min`, `6 h`.
pub(crate) fn fmt_width(width_us: i64) -> String {
    let secs = width_us / 1_000_000;
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// `(value, count)` pairs as `a (3), b (2)` for messages.
pub(crate) fn fmt_top(top: &[(String, u64)], n: usize) -> String {
    top.iter()
        .take(n)
        .map(|(v, c)| format!("{v} ({c})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A detector's [`RuleInfo`] (`kind: "anomaly"`).
pub(crate) fn rule_info(
    id: &str,
    title: &str,
    description: &str,
    level: Level,
    tags: &[&str],
    falsepositives: &[&str],
) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.to_owned(),
        name: id.rsplit('.').next().map(str::to_owned),
        title: title.to_owned(),
        description: description.to_owned(),
        level,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        falsepositives: falsepositives.iter().map(|t| (*t).to_owned()).collect(),
        path: format!("builtin:anomaly/{}", id.rsplit('.').next().unwrap_or(id)),
        service: None,
        kind: "anomaly",
    })
}

/// What a scorer has decided to report about one group of a closed window; the
/// [`super::windowed::Windowed`] operator adds the window's start and the baselines'
/// time range and turns it into a [`Finding`].
pub(crate) struct Draft {
    pub(crate) rule: Arc<RuleInfo>,
    pub(crate) level: Level,
    pub(crate) confidence: u8,
    pub(crate) message: String,
    pub(crate) group: Vec<(&'static str, String)>,
    pub(crate) contrib: Contrib,
    pub(crate) stats: Stats,
}

impl Draft {
    /// The finding of the window starting at `window_start_us`, with its stable uid;
    /// its actor and place are those of the first evidence event.
    pub(crate) fn into_finding(mut self, window_start_us: i64, b: Option<&Baselines>) -> Finding {
        self.stats.baseline_window(b);
        let group: BTreeMap<String, String> = self
            .group
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let uid = crate::finding::finding_uid(&self.rule.id, &group, window_start_us);
        let context = self
            .contrib
            .evidence
            .first()
            .map(super::events::context_of)
            .unwrap_or_default();
        let (first, last) = if self.contrib.count == 0 {
            (window_start_us, window_start_us)
        } else {
            (self.contrib.first_us, self.contrib.last_us)
        };
        Finding {
            uid,
            rule: self.rule,
            level: self.level,
            confidence: self.confidence.min(100),
            message: self.message,
            group,
            window_start_us,
            first_seen_us: first,
            last_seen_us: last,
            count: self.contrib.count,
            related: self.contrib.related,
            evidence: self
                .contrib
                .evidence
                .into_iter()
                .map(Evidence::from)
                .collect(),
            context,
            stats: self.stats.0,
        }
    }
}

/// The candidates of one window tested together: each with whether its p-value (by
/// `p`) passes the level `alpha` corrected for all of them, and the per-test
/// threshold that [`confidence_from_p`] measures against.
pub(crate) fn corrected<T>(
    correction: Correction,
    alpha: f64,
    tested: Vec<T>,
    p: impl Fn(&T) -> f64,
) -> (Vec<(T, bool)>, f64) {
    let ps: Vec<f64> = tested.iter().map(p).collect();
    let significant = correction.significant(&ps, alpha);
    let threshold = correction.threshold(ps.len(), alpha);
    (tested.into_iter().zip(significant).collect(), threshold)
}

/// Confidence (0–100) from a p-value: 50 at the threshold, rising with each decade
/// below it.
pub(crate) fn confidence_from_p(p: f64, threshold: f64) -> u8 {
    if p.is_nan() || p <= 0.0 {
        return 99;
    }
    let decades = (threshold.max(f64::MIN_POSITIVE) / p).log10().max(0.0);
    (50.0 + decades * 5.0).min(99.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_close_once_and_drop_late_events() {
        let mut w: Windows<u32> = Windows::new(60);
        let min = 60_000_000;
        *w.at(10).unwrap().1 += 1;
        *w.at(min + 5).unwrap().1 += 1;
        *w.at(min + 6).unwrap().1 += 1;
        let closed = w.close_until(min);
        assert_eq!(closed, vec![(0, 1)]);
        assert!(w.at(20).is_none(), "window 0 is closed");
        assert_eq!(w.late, 1);
        assert_eq!(w.close_until(i64::MAX), vec![(min, 2)]);
        assert!(w.close_until(i64::MAX).is_empty());
    }

    #[test]
    fn uid_is_stable_and_depends_on_every_part() {
        let g = |v: &str| BTreeMap::from([("function".to_owned(), v.to_owned())]);
        let a = crate::finding::finding_uid("tripline.anomaly.flood", &g("orders"), 60);
        assert_eq!(
            a,
            crate::finding::finding_uid("tripline.anomaly.flood", &g("orders"), 60)
        );
        assert_ne!(
            a,
            crate::finding::finding_uid("tripline.anomaly.flood", &g("orders"), 120)
        );
        assert_ne!(
            a,
            crate::finding::finding_uid("tripline.anomaly.flood", &g("users"), 60)
        );
        assert_ne!(
            a,
            crate::finding::finding_uid("tripline.anomaly.spray", &g("orders"), 60)
        );
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn contrib_bounds_ids_and_evidence() {
        let mut c = Contrib::default();
        let mut wanted = 0;
        for i in 0..200 {
            if c.add(i, Some("id"), 10) {
                wanted += 1;
                c.push_evidence(json!(i));
            }
        }
        assert_eq!(c.count, 200);
        assert_eq!(c.related.len(), MAX_RELATED);
        assert_eq!(c.evidence.len(), MAX_EVIDENCE);
        assert_eq!(wanted, MAX_EVIDENCE);
        assert_eq!(c.evidence[0], json!(9), "evidence starts at the 10th event");
        assert_eq!((c.first_us, c.last_us), (0, 199));
    }

    #[test]
    fn confidence_grows_with_significance() {
        assert_eq!(confidence_from_p(1e-6, 1e-6), 50);
        assert!(confidence_from_p(1e-12, 1e-6) > confidence_from_p(1e-8, 1e-6));
        assert_eq!(confidence_from_p(0.0, 1e-6), 99);
    }
}
