use super::*;
use crate::finding::fixtures::{hit, rule, Rng};

const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;
/// 2024-05-01T10:00:00Z, on an hour boundary.
const T0: i64 = 1_714_557_600_000_000;

#[test]
fn a_thousand_events_are_one_finding() {
    let r = rule("r-1", "IAM Policy Attached");
    let mut agg = Aggregator::new();
    for i in 0..1000 {
        agg.push(
            hit(&r, T0 + i * 1_000_000, &format!("e-{i:04}"), "arn:bob"),
            HOUR,
        );
    }
    let findings = agg.finish();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.count, 1000);
    assert_eq!(f.related.len(), MAX_RELATED);
    assert_eq!(f.related[0], "e-0000");
    assert_eq!(
        f.related[MAX_RELATED - 1],
        format!("e-{:04}", MAX_RELATED - 1)
    );
    assert_eq!(f.evidence.len(), MAX_EVIDENCE);
    assert_eq!(f.evidence[0].to_value()["event_id"], "e-0000");
    assert_eq!(f.first_seen_us, T0);
    assert_eq!(f.last_seen_us, T0 + 999 * 1_000_000);
    assert_eq!(f.window_start_us, T0);
    assert_eq!(f.group["userIdentity.arn"], "arn:bob");
    assert_eq!(f.uid, finding_uid("r-1", &f.group, T0));
    assert_eq!(f.level, r.level);
    assert!(f.message.contains("1000 events"), "{}", f.message);
    assert!(
        f.message.contains("userIdentity.arn=arn:bob"),
        "{}",
        f.message
    );
}

#[test]
fn single_event_message_names_operation_and_source() {
    let r = rule("r-1", "IAM Policy Attached");
    let mut agg = Aggregator::new();
    agg.push(hit(&r, T0, "e-1", "arn:bob"), HOUR);
    let f = &agg.finish()[0];
    assert_eq!(
        f.message,
        "IAM Policy Attached: AttachUserPolicy by userIdentity.arn=arn:bob from 203.0.113.7"
    );
    assert_eq!(f.count, 1);
}

#[test]
fn duplicate_events_count_once() {
    let r = rule("r-1", "t");
    let mut agg = Aggregator::new();
    for _ in 0..3 {
        agg.push(hit(&r, T0, "same", "arn:bob"), HOUR);
    }
    agg.push(hit(&r, T0 + 1, "other", "arn:bob"), HOUR);
    let f = &agg.finish()[0];
    assert_eq!(f.count, 2);
    assert_eq!(f.related, vec!["same".to_owned(), "other".to_owned()]);
}

#[test]
fn groups_and_windows_split_findings() {
    let r = rule("r-1", "t");
    let mut agg = Aggregator::new();
    agg.push(hit(&r, T0 + HOUR - 1, "a", "arn:bob"), HOUR); // last µs of window 0
    agg.push(hit(&r, T0 + HOUR, "b", "arn:bob"), HOUR); // first µs of window 1
    agg.push(hit(&r, T0 + HOUR, "c", "arn:alice"), HOUR);
    let findings = agg.finish();
    assert_eq!(findings.len(), 3);
    let starts: Vec<i64> = findings.iter().map(|f| f.window_start_us).collect();
    assert_eq!(starts, vec![T0, T0 + HOUR, T0 + HOUR]);
    // Sorted by first seen, then uid: the two findings at T0 + HOUR in uid order.
    assert!(findings[1].uid < findings[2].uid);
    let uids: std::collections::HashSet<_> = findings.iter().map(|f| &f.uid).collect();
    assert_eq!(uids.len(), 3);
}

#[test]
fn drain_closed_returns_only_ended_windows() {
    let r = rule("r-1", "t");
    let mut agg = Aggregator::new();
    agg.push(hit(&r, T0 + 5 * MIN, "a", "arn:bob"), HOUR);
    agg.push(hit(&r, T0 + HOUR + MIN, "b", "arn:bob"), HOUR);
    assert!(agg.drain_closed(T0 + HOUR - 1).is_empty());
    let closed = agg.drain_closed(T0 + HOUR);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].related, vec!["a".to_owned()]);
    assert_eq!(agg.open_windows(), 1);
    let rest = agg.finish();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].related, vec!["b".to_owned()]);
}

#[test]
fn run_long_window_only_closes_at_finish() {
    let r = rule("r-1", "t");
    let mut agg = Aggregator::new();
    agg.push(hit(&r, T0, "a", "arn:bob"), 0);
    agg.push(hit(&r, T0 + 100 * HOUR, "b", "arn:bob"), 0);
    assert!(agg.drain_closed(i64::MAX).is_empty());
    let findings = agg.finish();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].count, 2);
    assert_eq!(findings[0].window_start_us, 0);
}

#[test]
fn negative_times_use_floor_windows() {
    let r = rule("r-1", "t");
    let mut agg = Aggregator::new();
    agg.push(hit(&r, -1, "a", "arn:bob"), HOUR);
    agg.push(hit(&r, i64::MIN, "b", "arn:bob"), HOUR);
    let findings = agg.finish();
    assert_eq!(findings.len(), 2);
    assert!(findings.iter().any(|f| f.window_start_us == -HOUR));
}

/// The same events in any order and chunking give the same findings: uids, counts,
/// related ids, evidence and context.
#[test]
fn order_and_chunking_do_not_matter() {
    let r = rule("r-1", "t");
    let r2 = rule("r-2", "u");
    let mut hits = Vec::new();
    let mut rng = Rng(7);
    for i in 0..400 {
        let rule = if i % 3 == 0 { &r2 } else { &r };
        let who = ["arn:a", "arn:b", "arn:c"][rng.below(3) as usize];
        let time = T0 + rng.below((3 * HOUR) as u64) as i64;
        hits.push(hit(rule, time, &format!("e-{i}"), who));
        if i % 10 == 0 {
            hits.push(hit(rule, time, &format!("e-{i}"), who)); // a duplicate
        }
    }
    let mut batch = Aggregator::new();
    for h in hits.clone() {
        batch.push(h, HOUR);
    }
    let expected = batch.finish();
    assert!(expected.len() > 6, "{}", expected.len());
    for seed in 0..5 {
        let mut shuffled = hits.clone();
        Rng(seed).shuffle(&mut shuffled);
        let mut agg = Aggregator::new();
        let mut out = Vec::new();
        for (i, h) in shuffled.into_iter().enumerate() {
            agg.push(h, HOUR);
            if i % 97 == 0 {
                // No window can close before every event is in: drain nothing early.
                out.extend(agg.drain_closed(T0));
            }
        }
        out.extend(agg.finish());
        crate::finding::sort_findings(&mut out);
        assert_eq!(out, expected, "seed {seed}");
    }
}
