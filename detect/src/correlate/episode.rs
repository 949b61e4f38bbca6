//! The pieces the window state machines share: a processed [`Event`], the
//! [`Counters`] that measure a window against the condition, and the [`Episode`] that
//! accumulates what a finding reports.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::model::{CmpOp, CorrelationKind, EventContext, Evidence, MAX_EVIDENCE, MAX_RELATED};

/// A hit, once accepted and put in time order.
#[derive(Debug, Clone)]
pub(super) struct Event {
    /// Processing order (time order), unique within a correlator.
    pub seq: u64,
    pub time_us: i64,
    pub uid: String,
    /// Digest of `uid`, for duplicate detection.
    pub digest: u64,
    /// Positions in `spec.rules` the hit's rule matches (usually one), ascending.
    pub positions: Vec<usize>,
    pub value: Option<String>,
    pub context: EventContext,
    pub evidence: Evidence,
}

impl Event {
    /// What makes two events the same for duplicate detection: the event id, and for
    /// temporal kinds also the rule (one event may legitimately match two rules).
    pub fn dedup_key(&self, kind: CorrelationKind) -> (u64, usize) {
        match kind {
            CorrelationKind::EventCount | CorrelationKind::ValueCount => (self.digest, 0),
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => (
                self.digest,
                self.positions.first().copied().unwrap_or(0) + 1,
            ),
        }
    }
}

/// What the state machines need to know of the spec.
#[derive(Debug, Clone)]
pub(super) struct Params {
    pub kind: CorrelationKind,
    pub timespan_us: i64,
    pub condition: Vec<(CmpOp, u64)>,
    /// `spec.rules.len()`.
    pub n_rules: usize,
    /// Longest episode (sliding windows) before a new finding starts.
    pub episode_cap_us: i64,
}

impl Params {
    /// True when every comparison of the condition holds for `x` (an empty condition
    /// always holds).
    pub fn holds(&self, x: u64) -> bool {
        self.condition.iter().all(|&(op, v)| match op {
            CmpOp::Gt => x > v,
            CmpOp::Gte => x >= v,
            CmpOp::Lt => x < v,
            CmpOp::Lte => x <= v,
            CmpOp::Eq => x == v,
            CmpOp::Neq => x != v,
        })
    }
}

/// The measures of a set of events: a sliding window (events added and removed) or a
/// bucket (events added only).
#[derive(Debug, Clone)]
pub(super) struct Counters {
    events: u64,
    values: HashMap<String, u32>,
    per_rule: Vec<u32>,
    /// Ordered matching (temporal_ordered): `best_start[k]` is the latest start time of
    /// an in-order match of rules `0..=k` among the events seen, so the window
    /// `[floor, now]` holds a full in-order match iff `best_start[n-1] >= floor`.
    /// Events leaving the window need no update: their starts fall below the floor.
    best_start: Vec<Option<i64>>,
}

impl Counters {
    pub fn new(n_rules: usize) -> Self {
        Counters {
            events: 0,
            values: HashMap::new(),
            per_rule: vec![0; n_rules],
            best_start: vec![None; n_rules],
        }
    }

    pub fn add(&mut self, ev: &Event) {
        self.events += 1;
        if let Some(v) = &ev.value {
            *self.values.entry(v.clone()).or_default() += 1;
        }
        for &p in &ev.positions {
            if let Some(c) = self.per_rule.get_mut(p) {
                *c += 1;
            }
        }
        // Descending (positions are ascending), so that one event fills at most one
        // step of a match even when a rule is listed twice.
        for &k in ev.positions.iter().rev() {
            if k >= self.best_start.len() {
                continue;
            }
            let start = if k == 0 {
                Some(ev.time_us)
            } else {
                self.best_start[k - 1]
            };
            if let Some(s) = start {
                self.best_start[k] = Some(self.best_start[k].map_or(s, |b| b.max(s)));
            }
        }
    }

    /// Removes an event that left a sliding window.
    pub fn remove(&mut self, ev: &Event) {
        self.events = self.events.saturating_sub(1);
        if let Some(v) = &ev.value {
            if let Some(c) = self.values.get_mut(v) {
                *c -= 1;
                if *c == 0 {
                    self.values.remove(v);
                }
            }
        }
        for &p in &ev.positions {
            if let Some(c) = self.per_rule.get_mut(p) {
                *c = c.saturating_sub(1);
            }
        }
    }

    /// The number the condition is compared with: events, distinct values, or rules
    /// matched.
    pub fn measure(&self, kind: CorrelationKind) -> u64 {
        match kind {
            CorrelationKind::EventCount => self.events,
            CorrelationKind::ValueCount => self.values.len() as u64,
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => {
                self.per_rule.iter().filter(|c| **c > 0).count() as u64
            }
        }
    }

    /// True when the events since `floor_us` satisfy the correlation.
    ///
    /// `temporal` with no condition needs every rule; with one, the number of distinct
    /// rules is compared. `temporal_ordered` needs every rule in order (its condition,
    /// if any, is not used).
    pub fn qualifies(&self, p: &Params, floor_us: i64) -> bool {
        match p.kind {
            CorrelationKind::EventCount | CorrelationKind::ValueCount => {
                self.events > 0 && p.holds(self.measure(p.kind))
            }
            CorrelationKind::Temporal => {
                let matched = self.measure(p.kind);
                if p.condition.is_empty() {
                    p.n_rules > 0 && matched == p.n_rules as u64
                } else {
                    p.holds(matched)
                }
            }
            CorrelationKind::TemporalOrdered => self
                .best_start
                .last()
                .copied()
                .flatten()
                .is_some_and(|s| s >= floor_us),
        }
    }
}

/// One finding in the making: the events of one episode (sliding) or one bucket
/// (tumbling, session), bounded.
#[derive(Debug, Clone)]
pub(super) struct Episode {
    pub window_start_us: i64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub count: u64,
    pub related: Vec<String>,
    first_evidence: Vec<(u64, Evidence)>,
    rule_evidence: Vec<Option<(u64, Evidence)>>,
    pub context: Option<EventContext>,
    pub values: HashSet<String>,
    pub rules: BTreeSet<usize>,
    /// The measure when the condition first held.
    pub observed: u64,
    /// The largest measure of a qualifying window.
    pub peak: u64,
    /// Time of the event at which the condition first held.
    pub first_match_us: Option<i64>,
}

impl Episode {
    pub fn new(window_start_us: i64, n_rules: usize) -> Self {
        Episode {
            window_start_us,
            first_seen_us: i64::MAX,
            last_seen_us: i64::MIN,
            count: 0,
            related: Vec::new(),
            first_evidence: Vec::new(),
            rule_evidence: vec![None; n_rules],
            context: None,
            values: HashSet::new(),
            rules: BTreeSet::new(),
            observed: 0,
            peak: 0,
            first_match_us: None,
        }
    }

    /// Adds an event (events arrive in time order).
    pub fn add(&mut self, ev: &Event) {
        self.count += 1;
        self.first_seen_us = self.first_seen_us.min(ev.time_us);
        self.last_seen_us = self.last_seen_us.max(ev.time_us);
        if self.related.len() < MAX_RELATED {
            self.related.push(ev.uid.clone());
        }
        // No evidence: the engine kept this event's row only in part (`engine::run`).
        let whole = !ev.evidence.is_none();
        if whole && self.first_evidence.len() < MAX_EVIDENCE {
            self.first_evidence.push((ev.seq, ev.evidence.clone()));
        }
        for &p in &ev.positions {
            if let Some(slot @ None) = self.rule_evidence.get_mut(p) {
                if whole {
                    *slot = Some((ev.seq, ev.evidence.clone()));
                }
            }
            self.rules.insert(p);
        }
        if self.context.is_none() && whole {
            self.context = Some(ev.context.clone());
        }
        if let Some(v) = &ev.value {
            if !self.values.contains(v) {
                self.values.insert(v.clone());
            }
        }
    }

    /// Records a qualifying window's measure.
    pub fn matched(&mut self, measure: u64, time_us: i64) {
        if self.first_match_us.is_none() {
            self.first_match_us = Some(time_us);
            self.observed = measure;
        }
        self.peak = self.peak.max(measure);
    }

    /// The evidence: the first event of each rule (so that every step of a temporal
    /// correlation is shown), then the earliest others, at most [`MAX_EVIDENCE`], in
    /// time order.
    pub fn take_evidence(&mut self) -> Vec<Evidence> {
        let mut picked: Vec<(u64, Evidence)> = Vec::new();
        let per_rule = self.rule_evidence.iter_mut().filter_map(Option::take);
        for (seq, v) in per_rule.chain(self.first_evidence.drain(..)) {
            if picked.len() == MAX_EVIDENCE {
                break;
            }
            if !picked.iter().any(|(s, _)| *s == seq) {
                picked.push((seq, v));
            }
        }
        picked.sort_by_key(|(seq, _)| *seq);
        picked.into_iter().map(|(_, v)| v).collect()
    }
}
