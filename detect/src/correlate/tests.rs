//! Correlations over synthetic time series: window edges, bursts across bucket
//! boundaries, late and out-of-order events, duplicates, each kind, interleaved
//! groups, and batch = streaming.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::finding::fixtures::named_rule;
use crate::model::{Level, RuleInfo};

const S: i64 = 1_000_000;
const MIN: i64 = 60 * S;
const HOUR: i64 = 60 * MIN;
/// 2024-05-01T10:00:00Z: on an hour (and ten-minute) boundary.
const T0: i64 = 1_714_557_600_000_000;

fn info(kind: &'static str) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: "corr-1".to_owned(),
        name: Some("brute_force".to_owned()),
        title: "Brute force".to_owned(),
        description: "Many failures by one user.".to_owned(),
        level: Level::Critical,
        tags: vec![
            "attack.credential_access".to_owned(),
            "attack.t1110".to_owned(),
        ],
        falsepositives: vec![],
        path: "rules/correlations/brute.yml".to_owned(),
        service: None,
        kind,
    })
}

fn spec(
    kind: CorrelationKind,
    rules: &[&str],
    timespan_us: i64,
    cond: &[(CmpOp, u64)],
) -> CorrelationSpec {
    CorrelationSpec {
        info: info("correlation"),
        kind,
        rules: rules.iter().map(|r| (*r).to_owned()).collect(),
        group_by: vec!["user".to_owned()],
        timespan_us,
        condition: cond.to_vec(),
        value_field: (kind == CorrelationKind::ValueCount).then(|| "sourceIPAddress".to_owned()),
        window: WindowMode::Sliding,
        lateness_us: 5 * MIN,
        generate: false,
    }
}

fn count_spec(threshold: u64, timespan_us: i64) -> CorrelationSpec {
    spec(
        CorrelationKind::EventCount,
        &["failed_login"],
        timespan_us,
        &[(CmpOp::Gte, threshold)],
    )
}

struct Rules {
    failed: Arc<RuleInfo>,
    a: Arc<RuleInfo>,
    b: Arc<RuleInfo>,
    c: Arc<RuleInfo>,
}

fn rules() -> Rules {
    Rules {
        failed: named_rule("id-failed", "failed_login", "Failed Login"),
        a: named_rule("id-a", "rule_a", "Recon A"),
        b: named_rule("id-b", "rule_b", "Recon B"),
        c: named_rule("id-c", "rule_c", "Recon C"),
    }
}

fn hit(rule: &Arc<RuleInfo>, time_us: i64, uid: &str, user: &str) -> Hit {
    Hit {
        rule: Arc::clone(rule),
        time_us,
        event_uid: uid.to_owned(),
        group: vec![("userIdentity.arn".to_owned(), Some(user.to_owned()))],
        value: None,
        context: EventContext {
            principal: Some(user.to_owned()),
            operation: Some(rule.title.clone()),
            ..EventContext::default()
        },
        evidence: json!({ "event_id": uid, "rule": rule.title }).into(),
    }
}

/// `n` hits of `rule` by `user`, `step` apart from `start`, ids `prefix-i`.
fn series(
    rule: &Arc<RuleInfo>,
    start: i64,
    step: i64,
    n: usize,
    user: &str,
    prefix: &str,
) -> Vec<Hit> {
    (0..n)
        .map(|i| {
            hit(
                rule,
                start + i as i64 * step,
                &format!("{prefix}-{i}"),
                user,
            )
        })
        .collect()
}

fn batch(spec: &CorrelationSpec, hits: &[Hit]) -> Vec<Finding> {
    let mut c = Correlator::new(spec.clone());
    for h in hits {
        c.push(h);
    }
    c.finish()
}

/// Streams `hits` in the given order, advancing the watermark to the latest event time
/// seen every `every` hits, then finishes.
fn stream(spec: &CorrelationSpec, hits: &[Hit], every: usize) -> (Vec<Finding>, Correlator) {
    let mut c = Correlator::new(spec.clone());
    let mut out = Vec::new();
    let mut watermark = i64::MIN;
    for (i, h) in hits.iter().enumerate() {
        c.push(h);
        watermark = watermark.max(h.time_us);
        if (i + 1) % every.max(1) == 0 {
            out.extend(c.advance(watermark));
        }
    }
    out.extend(c.finish());
    crate::finding::sort_findings(&mut out);
    (out, c)
}

#[test]
fn event_count_fires_at_threshold() {
    let r = rules();
    let s = count_spec(20, 10 * MIN);
    let hits = series(&r.failed, T0, 10 * S, 20, "bob", "e");
    let f = batch(&s, &hits);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.count, 20);
    assert_eq!(f.window_start_us, T0);
    assert_eq!(f.first_seen_us, T0);
    assert_eq!(f.last_seen_us, T0 + 190 * S);
    assert_eq!(f.level, Level::Critical);
    assert_eq!(f.group.get("user").map(String::as_str), Some("bob"));
    assert_eq!(
        f.message,
        "20 events of Failed Login by user=bob within 10m (threshold ≥ 20)"
    );
    assert_eq!(f.stats["observed"], 20);
    assert_eq!(f.stats["threshold"], "≥ 20");
    assert_eq!(f.stats["timespan_s"], 600);
    assert_eq!(f.stats["first_match_us"], T0 + 190 * S);
    assert_eq!(f.related.len(), 20);
    assert_eq!(f.evidence.len(), crate::model::MAX_EVIDENCE);
    assert_eq!(f.uid, finding_uid("corr-1", &f.group, T0));
    assert!(batch(&s, &hits[..19]).is_empty());
}

#[test]
fn window_edges_are_inclusive() {
    let r = rules();
    let s = count_spec(2, 10 * MIN);
    let exactly = vec![
        hit(&r.failed, T0, "a", "bob"),
        hit(&r.failed, T0 + 10 * MIN, "b", "bob"),
    ];
    assert_eq!(
        batch(&s, &exactly).len(),
        1,
        "events exactly timespan apart share a window"
    );
    let beyond = vec![
        hit(&r.failed, T0, "a", "bob"),
        hit(&r.failed, T0 + 10 * MIN + 1, "b", "bob"),
    ];
    assert!(batch(&s, &beyond).is_empty(), "one µs more and they do not");
}

#[test]
fn sliding_catches_a_burst_straddling_a_bucket_boundary() {
    let r = rules();
    // 10 events from 9:30 to 10:30 past the first 10-minute boundary.
    let hits = series(&r.failed, T0 + 10 * MIN - 30 * S, 6 * S, 10, "bob", "e");
    let mut s = count_spec(10, 10 * MIN);
    assert_eq!(batch(&s, &hits).len(), 1);
    s.window = WindowMode::Tumbling;
    assert!(batch(&s, &hits).is_empty(), "each bucket holds only 5");
    // Moved inside one bucket, tumbling fires too, with the bucket as its window.
    let inside = series(&r.failed, T0 + 11 * MIN, 6 * S, 10, "bob", "e");
    let f = batch(&s, &inside);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].window_start_us, T0 + 10 * MIN);
    assert_eq!(f[0].count, 10);
    assert_eq!(f[0].stats["window"], "tumbling");
}

#[test]
fn sessions_close_after_a_gap_and_at_timespan() {
    let r = rules();
    let mut s = count_spec(10, 10 * MIN);
    s.window = WindowMode::Session { gap_us: MIN };
    let steady = series(&r.failed, T0 + 7 * S, 30 * S, 10, "bob", "e");
    let f = batch(&s, &steady);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].window_start_us,
        T0 + 7 * S,
        "a session starts at its first event"
    );
    assert_eq!(f[0].stats["gap_s"], 60);
    // A gap of more than a minute splits the same events into two sessions of 5.
    let mut split = series(&r.failed, T0, 30 * S, 5, "bob", "a");
    split.extend(series(
        &r.failed,
        T0 + 2 * MIN + 1 + 4 * 30 * S,
        30 * S,
        5,
        "bob",
        "b",
    ));
    assert!(batch(&s, &split).is_empty());
    // A session is at most `timespan` long: 30 events 30 s apart make two sessions.
    s.condition = vec![(CmpOp::Gte, 1)];
    let long = series(&r.failed, T0, 30 * S, 30, "bob", "e");
    let f = batch(&s, &long);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].count + f[1].count, 30);
    assert_eq!(f[0].count, 21, "0 s … 600 s inclusive");
}

#[test]
fn an_episode_grows_while_qualifying_events_keep_coming() {
    let r = rules();
    let s = count_spec(20, 10 * MIN);
    let mut hits = series(&r.failed, T0, 10 * S, 30, "bob", "burst1");
    hits.extend(series(&r.failed, T0 + HOUR, 10 * S, 25, "bob", "burst2"));
    let f = batch(&s, &hits);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].count, 30);
    assert_eq!(f[0].window_start_us, T0);
    assert_eq!(f[0].last_seen_us, T0 + 290 * S);
    assert_eq!(f[0].stats["peak"], 30);
    assert_eq!(f[1].count, 25);
    assert_eq!(f[1].window_start_us, T0 + HOUR);
    assert_ne!(f[0].uid, f[1].uid);
}

#[test]
fn sustained_activity_is_split_at_the_episode_cap() {
    let r = rules();
    let s = count_spec(5, MIN);
    // One event every 10 s for three hours: always qualifying.
    let hits = series(&r.failed, T0, 10 * S, 3 * 360, "bob", "e");
    let f = batch(&s, &hits);
    assert_eq!(
        f.len(),
        3,
        "{:?}",
        f.iter().map(|f| f.count).collect::<Vec<_>>()
    );
    assert_eq!(
        f.iter().map(|f| f.count).sum::<u64>(),
        3 * 360,
        "each event in one finding"
    );
    assert!(f[0].message.contains("over 1h"), "{}", f[0].message);
    let uids: HashSet<_> = f.iter().map(|f| f.uid.clone()).collect();
    assert_eq!(uids.len(), 3);
}

#[test]
fn duplicates_count_once() {
    let r = rules();
    let mut hits = series(&r.failed, T0, S, 10, "bob", "e");
    hits.extend(series(&r.failed, T0, S, 10, "bob", "e"));
    assert!(batch(&count_spec(11, 10 * MIN), &hits).is_empty());
    let mut c = Correlator::new(count_spec(10, 10 * MIN));
    for h in &hits {
        c.push(h);
    }
    let f = c.finish();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 10);
    assert_eq!(c.duplicate_events(), 10);
}

#[test]
fn late_and_out_of_order_events() {
    let r = rules();
    let s = count_spec(5, 10 * MIN);
    let hits = series(&r.failed, T0, 30 * S, 5, "bob", "e");
    // Out of order but within lateness (5 min): same finding as in order.
    let mut shuffled = hits.clone();
    shuffled.reverse();
    let (f, c) = stream(&s, &shuffled, 1);
    assert_eq!(f, batch(&s, &hits));
    assert_eq!(c.late_events(), 0);
    // Beyond lateness: the first event arrives after the watermark moved 6 min past it.
    let mut c = Correlator::new(s.clone());
    for h in &hits[1..] {
        c.push(h);
    }
    let mut out = c.advance(T0 + 6 * MIN + 30 * S); // horizon T0 + 1m30s
    c.push(&hits[0]);
    assert_eq!(c.late_events(), 1);
    // A repeat of an event already processed is a duplicate, not a late event.
    c.push(&hits[1]);
    assert_eq!(c.duplicate_events(), 1);
    assert_eq!(c.late_events(), 1);
    out.extend(c.finish());
    assert!(out.is_empty(), "only 4 events counted");
}

#[test]
fn nothing_panics_at_the_ends_of_time() {
    let r = rules();
    let mut s = count_spec(1, 10 * MIN);
    for window in [
        WindowMode::Sliding,
        WindowMode::Tumbling,
        WindowMode::Session { gap_us: MIN },
    ] {
        s.window = window;
        let mut c = Correlator::new(s.clone());
        c.push(&hit(&r.failed, i64::MIN, "a", "bob"));
        c.push(&hit(&r.failed, i64::MAX, "b", "bob"));
        let mut out = c.advance(i64::MAX);
        c.push(&hit(&r.failed, 0, "late", "bob"));
        out.extend(c.advance(i64::MIN));
        out.extend(c.finish());
        assert_eq!(out.iter().map(|f| f.count).sum::<u64>(), 2, "{window:?}");
        assert_eq!(c.late_events(), 1);
    }
}

#[test]
fn value_count_counts_distinct_values() {
    let r = rules();
    let mut hits = series(&r.failed, T0, 10 * S, 6, "bob", "e");
    for (h, ip) in hits.iter_mut().zip([
        "1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3", "2.2.2.2", "1.1.1.1",
    ]) {
        h.value = Some(ip.to_owned());
    }
    hits.push(hit(&r.failed, T0 + 70 * S, "no-value", "bob"));
    let s = spec(
        CorrelationKind::ValueCount,
        &["failed_login"],
        10 * MIN,
        &[(CmpOp::Gte, 3)],
    );
    let f = batch(&s, &hits);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].count, 7,
        "every event of the episode, with or without a value"
    );
    assert_eq!(f[0].stats["distinct_values"], 3);
    assert_eq!(
        f[0].stats["values"],
        json!(["1.1.1.1", "2.2.2.2", "3.3.3.3"])
    );
    assert_eq!(f[0].stats["first_match_us"], T0 + 30 * S);
    assert_eq!(
        f[0].message,
        "3 distinct sourceIPAddress in 7 events of Failed Login by user=bob within 10m (threshold ≥ 3)"
    );
    let s4 = spec(
        CorrelationKind::ValueCount,
        &["failed_login"],
        10 * MIN,
        &[(CmpOp::Gte, 4)],
    );
    assert!(batch(&s4, &hits).is_empty());
}

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let r = rules();
    let s = spec(
        CorrelationKind::Temporal,
        &["rule_a", "rule_b", "id-c"],
        5 * MIN,
        &[],
    );
    let all = vec![
        hit(&r.c, T0, "c", "bob"),
        hit(&r.a, T0 + MIN, "a", "bob"),
        hit(&r.b, T0 + 2 * MIN, "b", "bob"),
    ];
    let f = batch(&s, &all);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].message,
        "Recon A, Recon B and Recon C by user=bob within 5m (3 events)"
    );
    assert_eq!(f[0].stats["threshold"], "all 3 rules");
    assert!(batch(&s, &all[..2]).is_empty(), "rule_b missing");
    let spread = vec![
        hit(&r.c, T0, "c", "bob"),
        hit(&r.a, T0 + MIN, "a", "bob"),
        hit(&r.b, T0 + 5 * MIN + 1, "b", "bob"),
    ];
    assert!(batch(&s, &spread).is_empty(), "longer than the timespan");
    let other_user = vec![
        hit(&r.c, T0, "c", "bob"),
        hit(&r.a, T0 + MIN, "a", "bob"),
        hit(&r.b, T0 + 2 * MIN, "b", "alice"),
    ];
    assert!(batch(&s, &other_user).is_empty(), "groups are separate");
}

#[test]
fn temporal_evidence_shows_every_rule() {
    let r = rules();
    let s = spec(
        CorrelationKind::Temporal,
        &["rule_a", "rule_b"],
        5 * MIN,
        &[],
    );
    let mut hits = series(&r.a, T0, S, 10, "bob", "a");
    hits.push(hit(&r.b, T0 + MIN, "b", "bob"));
    let f = batch(&s, &hits);
    assert_eq!(f.len(), 1);
    let rules_in_evidence: HashSet<_> = f[0]
        .evidence
        .iter()
        .map(|e| e.to_value()["rule"].clone())
        .collect();
    assert_eq!(rules_in_evidence.len(), 2, "{:?}", f[0].evidence);
    assert_eq!(f[0].evidence.len(), crate::model::MAX_EVIDENCE);
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let r = rules();
    let s = spec(
        CorrelationKind::TemporalOrdered,
        &["rule_a", "rule_b"],
        10 * MIN,
        &[],
    );
    let right = vec![hit(&r.a, T0, "a", "bob"), hit(&r.b, T0 + MIN, "b", "bob")];
    let f = batch(&s, &right);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].message,
        "Recon A, then Recon B by user=bob within 10m (2 events)"
    );
    let wrong = vec![hit(&r.b, T0, "b", "bob"), hit(&r.a, T0 + MIN, "a", "bob")];
    assert!(batch(&s, &wrong).is_empty());
    let same_time = vec![hit(&r.b, T0, "b", "bob"), hit(&r.a, T0, "a", "bob")];
    assert_eq!(
        batch(&s, &same_time).len(),
        1,
        "same time counts as in order"
    );
    // B, A, then B again: the second B completes the order.
    let mut again = wrong.clone();
    again.push(hit(&r.b, T0 + 2 * MIN, "b2", "bob"));
    let f = batch(&s, &again);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 3, "the window's events, the first B included");
    // Temporal (unordered) fires on the wrong order.
    let unordered = spec(
        CorrelationKind::Temporal,
        &["rule_a", "rule_b"],
        10 * MIN,
        &[],
    );
    assert_eq!(batch(&unordered, &wrong).len(), 1);
}

#[test]
fn groups_are_independent_when_interleaved() {
    let r = rules();
    let s = count_spec(20, 10 * MIN);
    let bob = series(&r.failed, T0, 10 * S, 20, "bob", "b");
    let alice = series(&r.failed, T0 + 5 * S, 10 * S, 19, "alice", "a");
    let mut hits: Vec<Hit> = bob.into_iter().chain(alice).collect();
    hits.sort_by_key(|h| h.time_us);
    let f = batch(&s, &hits);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].group["user"], "bob");
    assert_eq!(f[0].count, 20);
}

#[test]
fn rules_are_referenced_by_id_or_name_and_others_ignored() {
    let r = rules();
    let by_id = spec(
        CorrelationKind::EventCount,
        &["id-failed"],
        10 * MIN,
        &[(CmpOp::Gte, 2)],
    );
    let mut hits = series(&r.failed, T0, S, 2, "bob", "e");
    hits.push(hit(&r.a, T0, "x", "bob"));
    let mut c = Correlator::new(by_id);
    for h in &hits {
        c.push(h);
    }
    let f = c.finish();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 2);
    assert_eq!(c.ignored_hits(), 1);
}

#[test]
fn range_conditions() {
    let r = rules();
    let s = spec(
        CorrelationKind::EventCount,
        &["failed_login"],
        10 * MIN,
        &[(CmpOp::Gt, 3), (CmpOp::Lte, 5)],
    );
    let f = batch(&s, &series(&r.failed, T0, S, 4, "bob", "e"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].stats["threshold"], "> 3 and ≤ 5");
    // With 8 events, windows of 4 and 5 qualify, 6 and more do not: the episode stays
    // open (the later events are within the timespan) but they do not join it.
    let f = batch(&s, &series(&r.failed, T0, S, 8, "bob", "e"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 5);
}

#[test]
fn correlations_chain() {
    // "Many failed logins" (event_count), then a successful login: temporal_ordered
    // over the inner correlation's findings.
    let r = rules();
    let success = named_rule("id-ok", "successful_login", "Successful Login");
    let inner = count_spec(5, 10 * MIN);
    let mut outer = spec(
        CorrelationKind::TemporalOrdered,
        &["brute_force", "successful_login"],
        HOUR,
        &[],
    );
    outer.info = Arc::new(RuleInfo {
        id: "corr-2".to_owned(),
        title: "Brute force then success".to_owned(),
        ..(*info("correlation")).clone()
    });
    let fails = series(&r.failed, T0, S, 6, "bob", "f");
    let inner_findings = batch(&inner, &fails);
    assert_eq!(inner_findings.len(), 1);
    let chained = chain_hit(&inner_findings[0], &outer.group_by);
    assert_eq!(
        chained.time_us,
        T0 + 4 * S,
        "when the inner condition first held"
    );
    let hits = vec![chained, hit(&success, T0 + 20 * MIN, "ok", "bob")];
    let f = batch(&outer, &hits);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].related,
        vec![inner_findings[0].uid.clone(), "ok".to_owned()]
    );
}

/// Random series: batch = streaming, and no event in two findings.
#[path = "stream_tests.rs"]
mod stream;
