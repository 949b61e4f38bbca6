//! Per-group state machines: one per window mode. Each receives its group's events in
//! time order ([`GroupState::push`]), and learns from [`GroupState::close_before`] that
//! no event before a horizon will come; both paths close an episode at the same point,
//! so batch and streaming runs produce the same episodes.
//!
//! - **Sliding**: the window ending at each event, `[t − timespan, t]`, both ends
//!   inclusive (events exactly `timespan` apart are in one window, one µs more and they
//!   are not). An event whose window satisfies the condition *qualifies*. The first
//!   qualifying event opens an episode holding the events of its window; later events
//!   within `timespan` of the last qualifying one extend it when they qualify
//!   (together with the non-qualifying ones in between). The episode closes at the
//!   first event more than `timespan` after the last qualifying one, or more than the
//!   episode cap after its start. An event belongs to one episode at most: after a cap
//!   closes an episode, the next one starts after its last event.
//! - **Tumbling**: epoch-aligned buckets `[k·timespan, (k+1)·timespan)`; the
//!   condition is checked on each bucket as a whole when it closes.
//! - **Session**: a bucket that stays open while events arrive at most `gap` apart and
//!   at most `timespan` after its first event; checked as a whole when it closes.

use std::collections::VecDeque;

use foldhash::{HashSet, HashSetExt};

use super::episode::{Counters, Episode, Event, Params};

/// The state of one group.
#[derive(Debug)]
pub(super) enum GroupState {
    /// Sliding windows.
    Sliding(Sliding),
    /// Tumbling buckets or sessions.
    Bucket(Bucket),
}

impl GroupState {
    pub fn new_sliding() -> Self {
        GroupState::Sliding(Sliding::default())
    }

    pub fn new_bucket(session_gap_us: Option<i64>) -> Self {
        GroupState::Bucket(Bucket {
            session_gap_us,
            current: None,
        })
    }

    /// Processes the group's next event in time order; closed episodes that satisfied
    /// the correlation go to `out`. False when the event was a duplicate.
    pub fn push(&mut self, ev: Event, p: &Params, out: &mut Vec<Episode>) -> bool {
        match self {
            GroupState::Sliding(s) => s.push(ev, p, out),
            GroupState::Bucket(b) => b.push(ev, p, out),
        }
    }

    /// No event before `horizon_us` will come: close what cannot grow any more.
    pub fn close_before(&mut self, horizon_us: i64, p: &Params, out: &mut Vec<Episode>) {
        match self {
            GroupState::Sliding(s) => s.close_before(horizon_us, p, out),
            GroupState::Bucket(b) => b.close_before(horizon_us, p, out),
        }
    }

    /// End of input: close everything.
    pub fn finish(&mut self, p: &Params, out: &mut Vec<Episode>) {
        match self {
            GroupState::Sliding(s) => s.close(out),
            GroupState::Bucket(b) => b.close(p, out),
        }
    }

    /// True when the group holds nothing and can be dropped.
    pub fn is_idle(&self) -> bool {
        match self {
            GroupState::Sliding(s) => s.window.is_empty() && s.open.is_none(),
            GroupState::Bucket(b) => b.current.is_none(),
        }
    }

    /// True when an event with this key was processed and is still held (to tell a
    /// duplicate from a late event).
    pub fn has_seen(&self, key: (u64, usize)) -> bool {
        match self {
            GroupState::Sliding(s) => s.seen.contains(&key),
            GroupState::Bucket(b) => b.current.as_ref().is_some_and(|c| c.seen.contains(&key)),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Sliding {
    window: VecDeque<Event>,
    counters: Option<Counters>,
    seen: HashSet<(u64, usize)>,
    open: Option<Open>,
    /// Events up to this sequence number belong to a closed episode.
    consumed_seq: u64,
}

#[derive(Debug)]
struct Open {
    episode: Episode,
    last_qualifying_us: i64,
    included_seq: u64,
}

impl Sliding {
    fn push(&mut self, ev: Event, p: &Params, out: &mut Vec<Episode>) -> bool {
        let t = ev.time_us;
        if let Some(open) = &self.open {
            if ends(open, t, p) {
                self.close(out);
            }
        }
        self.evict(t.saturating_sub(p.timespan_us), p);
        if !self.seen.insert(ev.dedup_key(p.kind)) {
            return false;
        }
        let counters = self
            .counters
            .get_or_insert_with(|| Counters::new(p.n_rules));
        counters.add(&ev);
        let seq = ev.seq;
        self.window.push_back(ev);
        let floor = t.saturating_sub(p.timespan_us);
        if !counters.qualifies(p, floor) {
            return true;
        }
        let measure = counters.measure(p.kind);
        if self.open.is_none() {
            let consumed = self.consumed_seq;
            // The new event is unconsumed, so the window has a first unconsumed event;
            // `t` is only a fallback that cannot be reached.
            let first = self.window.partition_point(|e| e.seq <= consumed);
            let start = self.window.get(first).map_or(t, |e| e.time_us);
            self.open = Some(Open {
                episode: Episode::new(start, p.n_rules),
                last_qualifying_us: t,
                included_seq: consumed,
            });
        }
        let Some(open) = self.open.as_mut() else {
            return true; // just set above
        };
        // The window is in `seq` order: the events not yet in the episode are a suffix.
        let first_new = self.window.partition_point(|e| e.seq <= open.included_seq);
        for e in self.window.range(first_new..) {
            open.episode.add(e);
        }
        open.episode.matched(measure, t);
        open.included_seq = seq;
        open.last_qualifying_us = t;
        true
    }

    fn close_before(&mut self, horizon_us: i64, p: &Params, out: &mut Vec<Episode>) {
        // Every future event has `t >= horizon`; `ends` is monotonic in `t`.
        if self.open.as_ref().is_some_and(|o| ends(o, horizon_us, p)) {
            self.close(out);
        }
        self.evict(horizon_us.saturating_sub(p.timespan_us), p);
    }

    fn close(&mut self, out: &mut Vec<Episode>) {
        if let Some(open) = self.open.take() {
            self.consumed_seq = open.included_seq;
            out.push(open.episode);
        }
    }

    /// Drops events before `floor_us` from the window.
    fn evict(&mut self, floor_us: i64, p: &Params) {
        while self.window.front().is_some_and(|e| e.time_us < floor_us) {
            if let Some(e) = self.window.pop_front() {
                if let Some(c) = &mut self.counters {
                    c.remove(&e);
                }
                self.seen.remove(&e.dedup_key(p.kind));
            }
        }
    }
}

/// True when an event at `t` can no longer extend the episode: more than `timespan`
/// after its last qualifying event, or more than the cap after its start.
fn ends(open: &Open, t: i64, p: &Params) -> bool {
    t > open.last_qualifying_us.saturating_add(p.timespan_us)
        || t.saturating_sub(open.episode.window_start_us) > p.episode_cap_us
}

#[derive(Debug)]
pub(super) struct Bucket {
    /// `Some(gap)` for sessions, `None` for tumbling buckets.
    session_gap_us: Option<i64>,
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    start_us: i64,
    last_us: i64,
    counters: Counters,
    seen: HashSet<(u64, usize)>,
    episode: Episode,
}

impl Bucket {
    fn push(&mut self, ev: Event, p: &Params, out: &mut Vec<Episode>) -> bool {
        let t = ev.time_us;
        if self.current.as_ref().is_some_and(|c| self.ends(c, t, p)) {
            self.close(p, out);
        }
        let gap = self.session_gap_us;
        let cur = self.current.get_or_insert_with(|| {
            let start = match gap {
                Some(_) => t,
                None => t.saturating_sub(t.rem_euclid(p.timespan_us.max(1))),
            };
            Current {
                start_us: start,
                last_us: t,
                counters: Counters::new(p.n_rules),
                seen: HashSet::new(),
                episode: Episode::new(start, p.n_rules),
            }
        });
        if !cur.seen.insert(ev.dedup_key(p.kind)) {
            return false;
        }
        cur.last_us = cur.last_us.max(t);
        cur.counters.add(&ev);
        cur.episode.add(&ev);
        if cur.counters.qualifies(p, i64::MIN) {
            cur.episode.matched(cur.counters.measure(p.kind), t);
        }
        true
    }

    /// True when an event at `t` falls outside the current bucket (monotonic in `t`).
    fn ends(&self, cur: &Current, t: i64, p: &Params) -> bool {
        match self.session_gap_us {
            Some(gap) => {
                t.saturating_sub(cur.last_us) > gap
                    || t.saturating_sub(cur.start_us) > p.timespan_us
            }
            None => t >= cur.start_us.saturating_add(p.timespan_us.max(1)),
        }
    }

    fn close_before(&mut self, horizon_us: i64, p: &Params, out: &mut Vec<Episode>) {
        if self
            .current
            .as_ref()
            .is_some_and(|c| self.ends(c, horizon_us, p))
        {
            self.close(p, out);
        }
    }

    /// Closes the bucket; it becomes a finding if it satisfies the condition as a
    /// whole.
    fn close(&mut self, p: &Params, out: &mut Vec<Episode>) {
        if let Some(mut cur) = self.current.take() {
            if cur.counters.qualifies(p, i64::MIN) {
                let measure = cur.counters.measure(p.kind);
                let last = cur.last_us;
                cur.episode.matched(measure, last);
                cur.episode.observed = measure;
                out.push(cur.episode);
            }
        }
    }
}
