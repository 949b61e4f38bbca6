//! Property tests: over random bursty series, batch (`finish`) and streaming
//! (`advance` in small steps over input shuffled within lateness) agree exactly.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::finding::fixtures::Rng;

/// One random input: events of rules a/b for three users over about 75 minutes,
/// some duplicated, shuffled within lateness for streaming.
fn random_hits(seed: u64, n: usize) -> Vec<Hit> {
    let r = rules();
    let mut rng = Rng(seed);
    let mut hits = Vec::new();
    for i in 0..n {
        let rule = if rng.below(3) == 0 { &r.b } else { &r.a };
        let user = ["bob", "alice", "eve"][rng.below(3) as usize];
        // Bursts of varying width that overlap, so windows, episodes and buckets
        // straddle the horizon at every advance.
        let centre = T0 + rng.below(6) as i64 * 10 * MIN;
        let width = [2 * MIN, 8 * MIN, 25 * MIN][rng.below(3) as usize];
        let time = centre + rng.below(width as u64) as i64;
        let mut h = hit(rule, time, &format!("e-{i}"), user);
        h.value = Some(format!("v{}", rng.below(6)));
        if rng.below(10) == 0 {
            hits.push(h.clone());
        }
        hits.push(h);
    }
    hits
}

/// Arrival order: sorted by time plus a jitter below the lateness, so every event
/// arrives before the watermark (the latest time seen) passes it by the lateness.
fn arrival_order(hits: &[Hit], seed: u64, max_jitter: i64) -> Vec<Hit> {
    let mut rng = Rng(seed);
    let mut keyed: Vec<(i64, Hit)> = hits
        .iter()
        .map(|h| {
            (
                h.time_us + rng.below(max_jitter as u64 + 1) as i64,
                h.clone(),
            )
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, h)| h).collect()
}

fn specs() -> Vec<CorrelationSpec> {
    let mut out = Vec::new();
    for window in [
        WindowMode::Sliding,
        WindowMode::Tumbling,
        WindowMode::Session { gap_us: 2 * MIN },
    ] {
        for (kind, cond) in [
            (CorrelationKind::EventCount, vec![(CmpOp::Gte, 6)]),
            (CorrelationKind::ValueCount, vec![(CmpOp::Gte, 4)]),
            (CorrelationKind::Temporal, vec![]),
            (CorrelationKind::TemporalOrdered, vec![]),
        ] {
            let mut s = spec(kind, &["rule_a", "rule_b"], 10 * MIN, &cond);
            s.window = window;
            out.push(s);
        }
    }
    out
}

/// The random inputs below are not vacuous: every spec fires on some of them.
#[test]
fn random_inputs_exercise_every_spec() {
    for s in specs() {
        let fired: usize = (0..20u64)
            .map(|seed| batch(&s, &random_hits(seed, 120)).len())
            .sum();
        assert!(fired > 0, "{:?} {:?} never fired", s.kind, s.window);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Batch (`finish`) and streaming (`advance` in small steps over input shuffled
    /// within lateness) produce identical findings: uids, counts, times, evidence.
    #[test]
    fn batch_equals_streaming(seed in any::<u64>(), n in 1usize..160, every in 1usize..12) {
        let hits = random_hits(seed, n);
        let arrived = arrival_order(&hits, seed ^ 0x5eed, 4 * MIN);
        for s in specs() {
            let expected = batch(&s, &hits);
            let (got, c) = stream(&s, &arrived, every);
            prop_assert_eq!(c.late_events(), 0);
            prop_assert_eq!(&got, &expected, "{:?} {:?}", s.kind, s.window);
            // No event is in two findings.
            let total: u64 = got.iter().map(|f| f.count).sum();
            let distinct: HashSet<&str> = hits.iter().map(|h| h.event_uid.as_str()).collect();
            prop_assert!(total <= distinct.len() as u64);
        }
    }
}
