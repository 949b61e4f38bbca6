//! [`Aggregator`]: the hits of single-event rules, folded into one finding per (rule,
//! group key, window).
//!
//! A rule that matches 1,000 events of one principal in one window raises one finding
//! with `count: 1000`, the first [`MAX_RELATED`] event ids, the first [`MAX_EVIDENCE`]
//! events as evidence and the first and last times seen.
//!
//! Windows are tumbling and aligned to the epoch (`[k·w, (k+1)·w)`), so an event lands
//! in the same window whatever order or chunking it arrives in, and the finding keeps
//! the same uid across replays. "First" means earliest by (event time, event id), not
//! by arrival, for the same reason. An event id seen twice in one window (a replayed
//! file) counts once.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashSet, HashSetExt};
use std::sync::Arc;

use serde_json::Value;

use super::text::{duration, group_label, group_map};
use super::uid::{event_digest, finding_uid};
use super::{sort_findings, RULE_CONFIDENCE};
use crate::model::{EventContext, Evidence, Finding, Hit, RuleInfo, MAX_EVIDENCE, MAX_RELATED};

/// Folds single-event rule hits into findings; one instance serves a whole run (batch)
/// or the life of the streaming service.
#[derive(Debug, Default)]
pub struct Aggregator {
    windows: HashMap<WindowKey, Window>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WindowKey {
    rule_id: String,
    group: Vec<(String, Option<String>)>,
    start_us: i64,
}

/// The (time, event id) of an event: the order in which "first" is meant.
type EventKey = (i64, String);

/// What a window wants of an event it counts, beyond its time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wants {
    /// The event is the earliest so far: its actor and place become the finding's.
    pub context: bool,
    /// The event is among the [`MAX_EVIDENCE`] earliest: it becomes evidence.
    pub evidence: bool,
}

/// The open window of one (rule, group key, window start).
#[derive(Debug)]
pub(crate) struct Window {
    rule: Arc<RuleInfo>,
    /// Exclusive end; `None` for a run-long window (dedup window ≤ 0).
    end_us: Option<i64>,
    width_us: i64,
    seen: HashSet<u64>,
    count: u64,
    first_seen_us: i64,
    last_seen_us: i64,
    related: BTreeSet<EventKey>,
    evidence: BTreeMap<EventKey, Evidence>,
    first: Option<(EventKey, EventContext)>,
}

impl Aggregator {
    /// An aggregator with no open window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one hit to the window of its rule and group (`hit.group`).
    ///
    /// `dedup_window_us` is the rule's window. A window of 0 or less means one window
    /// for the whole run (starting at 0): such findings close only at [`Self::finish`].
    pub fn push(&mut self, hit: Hit, dedup_window_us: i64) {
        let Hit {
            rule,
            time_us,
            event_uid,
            group,
            context,
            evidence,
            ..
        } = hit;
        self.window(&rule, group, time_us, dedup_window_us)
            .add(time_us, &event_uid, |_| (context, evidence));
    }

    /// The window of `rule` for `group` that holds `time_us`, opened if needed: the
    /// engine looks a window up once per group and batch, then [`Window::add`]s the
    /// group's events to it without building a [`Hit`] for each.
    pub(crate) fn window(
        &mut self,
        rule: &Arc<RuleInfo>,
        group: Vec<(String, Option<String>)>,
        time_us: i64,
        dedup_window_us: i64,
    ) -> &mut Window {
        let (start_us, end_us) = window_of(time_us, dedup_window_us);
        let key = WindowKey {
            rule_id: rule.id.clone(),
            group,
            start_us,
        };
        self.windows.entry(key).or_insert_with(|| Window {
            rule: Arc::clone(rule),
            end_us,
            width_us: dedup_window_us,
            seen: HashSet::new(),
            count: 0,
            first_seen_us: time_us,
            last_seen_us: time_us,
            related: BTreeSet::new(),
            evidence: BTreeMap::new(),
            first: None,
        })
    }

    /// Findings of the windows that ended at or before `watermark_us` (event time), for
    /// the streaming service: once the watermark has passed a window's end, no event
    /// can still fall into it. Sorted by first seen, then uid.
    pub fn drain_closed(&mut self, watermark_us: i64) -> Vec<Finding> {
        let closed: Vec<WindowKey> = self
            .windows
            .iter()
            .filter(|(_, w)| w.end_us.is_some_and(|end| end <= watermark_us))
            .map(|(k, _)| k.clone())
            .collect();
        let mut findings: Vec<Finding> = closed
            .into_iter()
            .filter_map(|k| self.windows.remove_entry(&k))
            .map(|(k, w)| w.into_finding(k))
            .collect();
        sort_findings(&mut findings);
        findings
    }

    /// Every finding, open windows included (the batch command's end of input).
    /// Sorted by first seen, then uid.
    pub fn finish(self) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .windows
            .into_iter()
            .map(|(k, w)| w.into_finding(k))
            .collect();
        sort_findings(&mut findings);
        findings
    }

    /// Windows still open: what the streaming service holds in memory.
    pub fn open_windows(&self) -> usize {
        self.windows.len()
    }
}

/// The epoch-aligned window of `time_us`: (start, exclusive end).
pub(crate) fn window_of(time_us: i64, width_us: i64) -> (i64, Option<i64>) {
    if width_us <= 0 {
        return (0, None);
    }
    let start = time_us.saturating_sub(time_us.rem_euclid(width_us));
    (start, Some(start.saturating_add(width_us)))
}

impl Window {
    /// Counts the event `(time_us, event_uid)` unless this window has counted it
    /// already (a replayed file). Only when the event displaces one of the earliest
    /// kept, `build` is called with what is wanted and returns the event's context and
    /// evidence ([`Evidence::NONE`] for none): most events of a large group cost a hash and a few
    /// comparisons, not a JSON document.
    pub(crate) fn add(
        &mut self,
        time_us: i64,
        event_uid: &str,
        build: impl FnOnce(Wants) -> (EventContext, Evidence),
    ) {
        if !self.seen.insert(event_digest(event_uid)) {
            return; // the same event again
        }
        self.count += 1;
        self.first_seen_us = self.first_seen_us.min(time_us);
        self.last_seen_us = self.last_seen_us.max(time_us);
        let earlier = |last: Option<&EventKey>| {
            last.is_none_or(|(t, id)| (time_us, event_uid) < (*t, id.as_str()))
        };
        if self.related.len() < MAX_RELATED || earlier(self.related.last()) {
            self.related.insert((time_us, event_uid.to_owned()));
            if self.related.len() > MAX_RELATED {
                self.related.pop_last();
            }
        }
        let wants = Wants {
            context: earlier(self.first.as_ref().map(|(k, _)| k)),
            evidence: self.evidence.len() < MAX_EVIDENCE
                || earlier(self.evidence.last_key_value().map(|(k, _)| k)),
        };
        if !wants.context && !wants.evidence {
            return;
        }
        let (context, evidence) = build(wants);
        let event_key = (time_us, event_uid.to_owned());
        if wants.evidence && !evidence.is_none() {
            self.evidence.insert(event_key.clone(), evidence);
            if self.evidence.len() > MAX_EVIDENCE {
                self.evidence.pop_last();
            }
        }
        if wants.context {
            self.first = Some((event_key, context));
        }
    }

    fn into_finding(self, key: WindowKey) -> Finding {
        let group = group_map(&key.group);
        let context = self.first.map(|(_, c)| c).unwrap_or_default();
        let mut stats = BTreeMap::new();
        if self.width_us > 0 {
            stats.insert(
                "window_s".to_owned(),
                Value::from(self.width_us / 1_000_000),
            );
        }
        Finding {
            uid: finding_uid(&key.rule_id, &group, key.start_us),
            message: message(&self.rule, self.count, &key.group, &context, self.width_us),
            level: self.rule.level,
            confidence: RULE_CONFIDENCE,
            rule: self.rule,
            group,
            window_start_us: key.start_us,
            first_seen_us: self.first_seen_us,
            last_seen_us: self.last_seen_us,
            count: self.count,
            related: self.related.into_iter().map(|(_, id)| id).collect(),
            evidence: self.evidence.into_values().collect(),
            context,
            stats,
        }
    }
}

/// "Console Login Without MFA: ConsoleLogin by arn:… from 203.0.113.7", or with a
/// count: "Console Login Without MFA: 12 events (ConsoleLogin, …) by … within 1h".
fn message(
    rule: &RuleInfo,
    count: u64,
    group: &[(String, Option<String>)],
    context: &EventContext,
    width_us: i64,
) -> String {
    let mut out = format!("{}:", rule.title);
    if count > 1 {
        out.push_str(&format!(" {count} events"));
        if let Some(op) = &context.operation {
            out.push_str(&format!(" ({op}, …)"));
        }
    } else if let Some(op) = &context.operation {
        out.push_str(&format!(" {op}"));
    } else {
        out.push_str(" 1 event");
    }
    let label = group_label(group);
    if !label.is_empty() {
        out.push_str(&format!(" by {label}"));
    } else if let Some(principal) = &context.principal {
        out.push_str(&format!(" by {principal}"));
    }
    if let Some(function) = &context.function {
        out.push_str(&format!(" on {function}"));
    }
    if count == 1 {
        if let Some(ip) = &context.source_ip {
            out.push_str(&format!(" from {ip}"));
        }
    } else if width_us > 0 {
        out.push_str(&format!(" within {}", duration(width_us)));
    }
    out
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
