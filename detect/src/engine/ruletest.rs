//! `tripline rules test`: every rule's own `tests:` run through the real path — each
//! test event parsed by the ingest parsers into Arrow batches, the rule evaluated over
//! them, hits grouped into findings — and compared with what the test expects.

use std::sync::Arc;

use super::ruleset::RuleSet;
use super::run::{Detector, Selection};
use crate::sigma::RuleTest;

/// The outcome of one test of one rule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestOutcome {
    /// Rule (or correlation) id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule file.
    pub path: String,
    /// The test's name.
    pub test: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub detail: String,
}

/// Runs every test of every rule and correlation in `set`, in load order.
pub fn run_tests(set: &Arc<RuleSet>) -> Vec<TestOutcome> {
    let mut out = Vec::new();
    for (i, rule) in set.rules.iter().enumerate() {
        let sel = Selection {
            rules: Some(vec![i]),
            correlations: Some(vec![]),
            force_emit: true,
        };
        let info = rule.compiled.info();
        for t in &rule.tests {
            out.push(run_one(
                set,
                sel.clone(),
                &info.id,
                &info.title,
                &info.path,
                t,
            ));
        }
    }
    for (c, corr) in set.correlations.iter().enumerate() {
        let sel = Selection {
            rules: Some(corr.bases.clone()),
            correlations: Some(vec![c]),
            force_emit: false,
        };
        let info = &corr.spec.info;
        for t in &corr.tests {
            out.push(run_one(
                set,
                sel.clone(),
                &info.id,
                &info.title,
                &info.path,
                t,
            ));
        }
    }
    out
}

fn run_one(
    set: &Arc<RuleSet>,
    sel: Selection,
    id: &str,
    title: &str,
    path: &str,
    test: &RuleTest,
) -> TestOutcome {
    let outcome = |passed: bool, detail: String| TestOutcome {
        rule_id: id.to_string(),
        title: title.to_string(),
        path: path.to_string(),
        test: test.name.clone(),
        passed,
        detail,
    };
    let lines: Vec<Vec<u8>> = test
        .events
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap_or_default())
        .collect();
    let parsed = tripline_ingest::stream::parse_records(path, lines.iter().map(|l| l.as_slice()));
    if let Some((pos, reason)) = parsed.quarantined.first() {
        return outcome(
            false,
            format!("test event does not ingest ({pos}): {reason}"),
        );
    }
    let mut det = Detector::new(Arc::clone(set), sel);
    for (table, batch) in &parsed.batches {
        if let Err(e) = det.process(*table, batch) {
            return outcome(false, format!("evaluation failed: {e}"));
        }
    }
    let (findings, _) = det.finish();
    let n = findings.iter().filter(|f| f.rule.id == id).count() as u64;
    match (test.expect_match, test.findings) {
        (_, Some(want)) if n != want => {
            outcome(false, format!("expected {want} finding(s), got {n}"))
        }
        (true, None) if n == 0 => outcome(false, "expected a finding, got none".into()),
        (false, _) if n > 0 => outcome(false, format!("expected no finding, got {n}")),
        _ => outcome(true, String::new()),
    }
}
