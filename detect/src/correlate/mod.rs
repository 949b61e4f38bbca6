//! [`Correlator`]: the state machine of one Sigma correlation rule (`event_count`,
//! `value_count`, `temporal`, `temporal_ordered`), shared by the batch command and the
//! streaming service.
//!
//! Hits of the base rules go in with [`Correlator::push`]; findings come out of
//! [`Correlator::advance`] (streaming: the event-time watermark moved) and
//! [`Correlator::finish`] (batch: end of input). Window semantics are in [`window`].
//!
//! # Order, lateness and duplicates
//!
//! Hits are buffered and processed in time order (ties: the order of the rules in the
//! spec, then event id), so the result does not depend on arrival order or chunking.
//! `advance(w)` moves the *horizon* to `w − lateness` and processes every buffered hit
//! before it: the state machines then know that no earlier event will come, and close
//! what cannot grow any more. A hit older than the horizon arrives too late: it is
//! dropped and counted ([`Correlator::late_events`]) rather than reopening a window, so
//! that a finding, once emitted, is final and a replay gives the same findings. Batch
//! runs never call `advance`, so nothing is late.
//!
//! The same event id twice (a replayed file) counts once, for `temporal` kinds once per
//! rule it matched ([`Correlator::duplicate_events`]).
//!
//! # Findings
//!
//! One per episode (sliding) or bucket (tumbling, session): `count` is the number of
//! events in it; the uid hashes the correlation id, the group and `window_start_us`
//! (the first event of the window that first satisfied the condition, or the bucket
//! start), so it is the same for the same input however it arrived. `stats` holds
//! `observed` (the measure when the condition first held), `peak`, `threshold`,
//! `timespan_s`, `window`, `first_match_us`, and for `value_count` the distinct values.

mod episode;
pub mod window;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::finding::text::{duration, group_label};
use crate::finding::uid::{event_digest, finding_uid};
use crate::finding::{sort_findings, CORRELATION_CONFIDENCE};
use crate::model::{
    CmpOp, CorrelationKind, CorrelationSpec, EventContext, Evidence, Finding, Hit, WindowMode,
};
use episode::{Episode, Event, Params};
use window::GroupState;

/// Shortest episode cap: a sliding episode lasts at most `max(timespan, 1 h)` before a
/// new finding starts, so that a sustained attack is reported while it goes on rather
/// than once at its end.
pub const MIN_EPISODE_CAP_US: i64 = 3_600_000_000;

/// How many distinct values a `value_count` finding lists in `stats.values`.
pub const MAX_VALUES: usize = 20;

/// A buffered hit: (time, first rule position, event id).
type PendingKey = (i64, usize, String);

#[derive(Debug)]
struct Pending {
    group: Vec<Option<String>>,
    positions: Vec<usize>,
    value: Option<String>,
    context: EventContext,
    evidence: Evidence,
}

/// The state of one correlation rule over a stream of base-rule hits.
#[derive(Debug)]
pub struct Correlator {
    spec: CorrelationSpec,
    params: Params,
    /// Title of each referenced rule, learnt from its hits (for messages).
    titles: Vec<Option<String>>,
    horizon_us: i64,
    pending: BTreeMap<PendingKey, Pending>,
    groups: HashMap<Key, GroupState>,
    seq: u64,
    late: u64,
    duplicates: u64,
    ignored: u64,
}

impl Correlator {
    /// A correlator for `spec`, with no state.
    pub fn new(spec: CorrelationSpec) -> Self {
        let params = Params {
            kind: spec.kind,
            timespan_us: spec.timespan_us.max(0),
            condition: spec.condition.clone(),
            n_rules: spec.rules.len(),
            episode_cap_us: spec.timespan_us.max(MIN_EPISODE_CAP_US),
        };
        Correlator {
            titles: vec![None; spec.rules.len()],
            spec,
            params,
            horizon_us: i64::MIN,
            pending: BTreeMap::new(),
            groups: HashMap::new(),
            seq: 0,
            late: 0,
            duplicates: 0,
            ignored: 0,
        }
    }

    /// The correlation rule.
    pub fn spec(&self) -> &CorrelationSpec {
        &self.spec
    }

    /// Takes one hit of a base rule (`hit.rule.id` or `name` in `spec.rules`; other
    /// hits are ignored and counted in [`Self::ignored_hits`]). `hit.group` holds the
    /// `group-by` values in order, `hit.value` the counted field of `value_count`.
    pub fn push(&mut self, hit: &Hit) {
        self.push_hit(hit.clone());
    }

    /// [`Self::push`], taking the hit: its context and evidence move into the buffer
    /// instead of being copied.
    pub fn push_hit(&mut self, hit: Hit) {
        let positions: Vec<usize> = self
            .spec
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| **r == hit.rule.id || hit.rule.name.as_deref() == Some(r.as_str()))
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = positions.first() else {
            self.ignored += 1;
            return;
        };
        let mut hit = hit;
        let mut group: Vec<Option<String>> = std::mem::take(&mut hit.group)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        group.resize(self.spec.group_by.len(), None);
        if hit.time_us < self.horizon_us {
            let digest = event_digest(&hit.event_uid);
            let key = match self.spec.kind {
                CorrelationKind::EventCount | CorrelationKind::ValueCount => (digest, 0),
                _ => (digest, first + 1),
            };
            if self.groups.get(&group).is_some_and(|g| g.has_seen(key)) {
                self.duplicates += 1;
            } else {
                self.late += 1;
            }
            return;
        }
        for &p in &positions {
            if self.titles[p].is_none() {
                self.titles[p] = Some(hit.rule.title.clone());
            }
        }
        let key = (hit.time_us, first, hit.event_uid);
        match self.pending.entry(key) {
            std::collections::btree_map::Entry::Occupied(_) => self.duplicates += 1,
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(Pending {
                    group,
                    positions,
                    value: hit.value,
                    context: hit.context,
                    evidence: hit.evidence,
                });
            }
        }
    }

    /// Streaming: the event-time watermark reached `watermark_us`. Processes the hits
    /// before `watermark_us − lateness` and returns the findings that closed (sorted
    /// by first seen, then uid). The horizon never moves back.
    pub fn advance(&mut self, watermark_us: i64) -> Vec<Finding> {
        let horizon = watermark_us
            .saturating_sub(self.spec.lateness_us.max(0))
            .max(self.horizon_us);
        self.horizon_us = horizon;
        let rest = self.pending.split_off(&(horizon, 0, String::new()));
        let ready = std::mem::replace(&mut self.pending, rest);
        let mut episodes = Vec::new();
        self.process(ready, &mut episodes);
        let params = &self.params;
        for (group, state) in &mut self.groups {
            let mut closed = Vec::new();
            state.close_before(horizon, params, &mut closed);
            episodes.extend(closed.into_iter().map(|e| (e, group.clone())));
        }
        self.groups.retain(|_, g| !g.is_idle());
        self.findings(episodes)
    }

    /// Batch: end of input. Processes every buffered hit and closes every window;
    /// returns the findings (sorted by first seen, then uid).
    pub fn finish(&mut self) -> Vec<Finding> {
        let ready = std::mem::take(&mut self.pending);
        let mut episodes = Vec::new();
        self.process(ready, &mut episodes);
        let params = &self.params;
        for (group, mut state) in self.groups.drain() {
            let mut closed = Vec::new();
            state.finish(params, &mut closed);
            episodes.extend(closed.into_iter().map(|e| (e, group.clone())));
        }
        self.findings(episodes)
    }

    /// Hits dropped because they arrived after the horizon had passed their time.
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Hits dropped as repeats of an event already counted.
    pub fn duplicate_events(&self) -> u64 {
        self.duplicates
    }

    /// Hits of rules this correlation does not reference.
    pub fn ignored_hits(&self) -> u64 {
        self.ignored
    }

    /// Hits buffered, waiting for the horizon to pass them.
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    fn process(&mut self, ready: BTreeMap<PendingKey, Pending>, out: &mut Vec<(Episode, Key)>) {
        for ((time_us, _, uid), p) in ready {
            self.seq += 1;
            let ev = Event {
                seq: self.seq,
                time_us,
                digest: event_digest(&uid),
                uid,
                positions: p.positions,
                value: p.value,
                context: p.context,
                evidence: p.evidence,
            };
            let mode = self.spec.window;
            if !self.groups.contains_key(&p.group) {
                let state = match mode {
                    WindowMode::Sliding => GroupState::new_sliding(),
                    WindowMode::Tumbling => GroupState::new_bucket(None),
                    WindowMode::Session { gap_us } => GroupState::new_bucket(Some(gap_us.max(0))),
                };
                self.groups.insert(p.group.clone(), state);
            }
            let state = self
                .groups
                .get_mut(&p.group)
                .expect("inserted just above when missing");
            let mut closed = Vec::new();
            if !state.push(ev, &self.params, &mut closed) {
                self.duplicates += 1;
            }
            out.extend(closed.into_iter().map(|e| (e, p.group.clone())));
        }
    }

    fn findings(&self, episodes: Vec<(Episode, Key)>) -> Vec<Finding> {
        let mut findings: Vec<Finding> = episodes
            .into_iter()
            .map(|(e, group)| self.finding(e, &group))
            .collect();
        sort_findings(&mut findings);
        findings
    }

    fn finding(&self, mut e: Episode, group: &[Option<String>]) -> Finding {
        let spec = &self.spec;
        let named: Vec<(String, Option<String>)> = spec
            .group_by
            .iter()
            .cloned()
            .zip(group.iter().cloned())
            .collect();
        let group_map = crate::finding::text::group_map(&named);
        let mut stats = BTreeMap::new();
        stats.insert("observed".to_owned(), json!(e.observed));
        stats.insert("peak".to_owned(), json!(e.peak));
        stats.insert("threshold".to_owned(), json!(self.threshold()));
        stats.insert("timespan_s".to_owned(), json!(spec.timespan_us / 1_000_000));
        let window = match spec.window {
            WindowMode::Sliding => "sliding",
            WindowMode::Tumbling => "tumbling",
            WindowMode::Session { gap_us } => {
                stats.insert("gap_s".to_owned(), json!(gap_us / 1_000_000));
                "session"
            }
        };
        stats.insert("window".to_owned(), json!(window));
        let first_match = e.first_match_us.unwrap_or(e.last_seen_us);
        stats.insert("first_match_us".to_owned(), json!(first_match));
        if spec.kind == CorrelationKind::ValueCount {
            let mut values: Vec<&String> = e.values.iter().collect();
            values.sort();
            stats.insert("distinct_values".to_owned(), json!(values.len()));
            stats.insert(
                "values".to_owned(),
                json!(values.into_iter().take(MAX_VALUES).collect::<Vec<_>>()),
            );
        }
        Finding {
            uid: finding_uid(&spec.info.id, &group_map, e.window_start_us),
            rule: Arc::clone(&spec.info),
            level: spec.info.level,
            confidence: CORRELATION_CONFIDENCE,
            message: self.message(&e, &named),
            group: group_map,
            window_start_us: e.window_start_us,
            first_seen_us: e.first_seen_us,
            last_seen_us: e.last_seen_us,
            count: e.count,
            related: std::mem::take(&mut e.related),
            evidence: e.take_evidence(),
            context: e.context.take().unwrap_or_default(),
            stats,
        }
    }

    /// The condition as people read it: `≥ 20`, `> 100 and ≤ 200`, `all 3 rules`.
    fn threshold(&self) -> String {
        let n = self.spec.rules.len();
        match self.spec.kind {
            CorrelationKind::TemporalOrdered => return format!("all {n} rules in order"),
            CorrelationKind::Temporal if self.spec.condition.is_empty() => {
                return format!("all {n} rules")
            }
            _ => {}
        }
        if self.spec.condition.is_empty() {
            return "any".to_owned();
        }
        let parts: Vec<String> = self
            .spec
            .condition
            .iter()
            .map(|(op, v)| {
                let sym = match op {
                    CmpOp::Gt => ">",
                    CmpOp::Gte => "≥",
                    CmpOp::Lt => "<",
                    CmpOp::Lte => "≤",
                    CmpOp::Eq => "=",
                    CmpOp::Neq => "≠",
                };
                format!("{sym} {v}")
            })
            .collect();
        parts.join(" and ")
    }

    fn title(&self, position: usize) -> String {
        self.titles
            .get(position)
            .cloned()
            .flatten()
            .or_else(|| self.spec.rules.get(position).cloned())
            .unwrap_or_default()
    }

    fn message(&self, e: &Episode, group: &[(String, Option<String>)]) -> String {
        let spec = &self.spec;
        let ts = duration(spec.timespan_us);
        let label = group_label(group);
        let by = if label.is_empty() {
            String::new()
        } else {
            format!(" by {label}")
        };
        let titles = |sep: &str, last: &str| -> String {
            let names: Vec<String> = match spec.kind {
                CorrelationKind::EventCount | CorrelationKind::ValueCount => {
                    e.rules.iter().map(|&p| self.title(p)).collect()
                }
                _ => (0..spec.rules.len()).map(|p| self.title(p)).collect(),
            };
            join(&names, sep, last)
        };
        let span = e.last_seen_us.saturating_sub(e.window_start_us);
        let within = if span <= spec.timespan_us || spec.window != WindowMode::Sliding {
            format!("within {ts}")
        } else {
            format!("over {} (peak {} within {ts})", duration(span), e.peak)
        };
        let threshold = self.threshold();
        match spec.kind {
            CorrelationKind::EventCount => format!(
                "{} events of {}{by} {within} (threshold {threshold})",
                e.count,
                titles(", ", " and ")
            ),
            CorrelationKind::ValueCount => format!(
                "{} distinct {} in {} events of {}{by} {within} (threshold {threshold})",
                e.values.len(),
                spec.value_field.as_deref().unwrap_or("values"),
                e.count,
                titles(", ", " and ")
            ),
            CorrelationKind::Temporal => format!(
                "{}{by} {within} ({} events)",
                titles(", ", " and "),
                e.count
            ),
            CorrelationKind::TemporalOrdered => format!(
                "{}{by} {within} ({} events)",
                titles(", then ", ", then "),
                e.count
            ),
        }
    }
}

/// The group-by values of a group, in `group-by` order.
type Key = Vec<Option<String>>;

fn join(items: &[String], sep: &str, last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{}{last}{tail}", init.join(sep)),
    }
}

/// A correlation finding as a hit of its correlation rule, for chaining: a correlation
/// that references another correlation (Sigma "correlation chains") receives its
/// findings as hits. The time is the moment the inner condition first held; the event
/// id is the finding uid; `group_by` are the outer rule's group-by fields, looked up
/// in the finding's group.
pub fn chain_hit(f: &Finding, group_by: &[String]) -> Hit {
    let time_us = f
        .stats
        .get("first_match_us")
        .and_then(Value::as_i64)
        .unwrap_or(f.last_seen_us);
    Hit {
        rule: Arc::clone(&f.rule),
        time_us,
        event_uid: f.uid.clone(),
        group: group_by
            .iter()
            .map(|k| (k.clone(), f.group.get(k).cloned()))
            .collect(),
        value: None,
        context: f.context.clone(),
        evidence: json!({"finding_uid": f.uid, "message": f.message, "count": f.count}).into(),
    }
}
