//! Scoring findings against the labels of a simulated corpus (`tripline eval`): per
//! scenario detected or not and time to detect, and overall precision, recall and false
//! findings per million benign events.
//!
//! A finding is *true* when it names at least one labelled attack event among its
//! related events, or — for detectors, whose evidence is an aggregate — when its actor
//! or target (principal, access key, source IP, function) is an entity of an attack and
//! its time range overlaps the attack's. Every other finding is false.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

pub use crate::simulate::{Label, LabelEntities};
use crate::SimError;
use tripline_detect::Finding;

/// Per-scenario result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// Attack instances in it.
    pub attacks: usize,
    /// Instances caught by at least one finding.
    pub detected: usize,
    /// Seconds from the attack's start to the first event of the earliest finding that
    /// caught it (the median over instances), when detected.
    pub time_to_detect_s: Option<f64>,
    /// Titles of the rules/detectors that caught it.
    pub caught_by: Vec<String>,
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Per scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// Findings in all.
    pub findings: usize,
    /// Findings that belong to an attack.
    pub true_findings: usize,
    /// Findings that do not.
    pub false_findings: usize,
    /// Titles of the rules/detectors of false findings, with counts.
    pub false_by_rule: BTreeMap<String, u64>,
    /// true / all findings.
    pub precision: f64,
    /// Detected attack instances / attack instances.
    pub recall: f64,
    /// Benign events evaluated.
    pub benign_events: u64,
    /// False findings per 1,000,000 benign events.
    pub false_per_million: f64,
}

/// Reads `labels.jsonl`.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, SimError> {
    let text = std::fs::read_to_string(path).map_err(|e| SimError::Labels {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| SimError::Labels {
                path: format!("{}:{}", path.display(), i + 1),
                reason: format!("not a label line: {e}"),
            })
        })
        .collect()
}

fn parse_us(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_micros())
        .unwrap_or(0)
}

/// Scores `findings` against `labels`; `total_events` is every event evaluated.
pub fn evaluate(findings: &[Finding], labels: &[Label], total_events: u64) -> EvalReport {
    let mut by_event: HashMap<&str, usize> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        for u in &l.event_uids {
            by_event.insert(u.as_str(), i);
        }
    }
    let attack_events: u64 = labels.iter().map(|l| l.event_uids.len() as u64).sum();
    let spans: Vec<(i64, i64)> = labels
        .iter()
        .map(|l| (parse_us(&l.start), parse_us(&l.end)))
        .collect();
    // For each label: earliest catching finding's first_seen, and who caught it.
    let mut caught: Vec<Option<i64>> = vec![None; labels.len()];
    let mut caught_by: Vec<Vec<String>> = vec![Vec::new(); labels.len()];
    let mut true_findings = 0;
    let mut false_by_rule = BTreeMap::new();
    for f in findings {
        let mut hit: Vec<usize> = f
            .related
            .iter()
            .filter_map(|u| by_event.get(u.as_str()).copied())
            .collect();
        if hit.is_empty() {
            hit = labels
                .iter()
                .enumerate()
                .filter(|(i, l)| {
                    let (s, e) = spans[*i];
                    overlaps(f, s, e) && entity_match(f, &l.entities)
                })
                .map(|(i, _)| i)
                .collect();
        }
        if hit.is_empty() {
            *false_by_rule.entry(f.rule.title.clone()).or_insert(0u64) += 1;
            continue;
        }
        true_findings += 1;
        hit.sort_unstable();
        hit.dedup();
        for i in hit {
            let t = f.first_seen_us;
            caught[i] = Some(caught[i].map_or(t, |c: i64| c.min(t)));
            if !caught_by[i].contains(&f.rule.title) {
                caught_by[i].push(f.rule.title.clone());
            }
        }
    }
    let mut per: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        per.entry(&l.scenario).or_default().push(i);
    }
    let scenarios: Vec<ScenarioResult> = per
        .into_iter()
        .map(|(name, idx)| {
            let mut ttd: Vec<f64> = idx
                .iter()
                .filter_map(|&i| caught[i].map(|t| ((t - spans[i].0).max(0)) as f64 / 1e6))
                .collect();
            ttd.sort_by(f64::total_cmp);
            let mut by: Vec<String> = idx.iter().flat_map(|&i| caught_by[i].clone()).collect();
            by.sort();
            by.dedup();
            ScenarioResult {
                scenario: name.to_string(),
                attacks: idx.len(),
                detected: idx.iter().filter(|&&i| caught[i].is_some()).count(),
                time_to_detect_s: ttd.get(ttd.len() / 2).copied(),
                caught_by: by,
            }
        })
        .collect();
    let detected = caught.iter().filter(|c| c.is_some()).count();
    let false_findings = findings.len() - true_findings;
    let benign_events = total_events.saturating_sub(attack_events);
    EvalReport {
        scenarios,
        findings: findings.len(),
        true_findings,
        false_findings,
        false_by_rule,
        precision: ratio(true_findings, findings.len()),
        recall: ratio(detected, labels.len()),
        benign_events,
        false_per_million: if benign_events == 0 {
            0.0
        } else {
            false_findings as f64 * 1e6 / benign_events as f64
        },
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn overlaps(f: &Finding, start: i64, end: i64) -> bool {
    f.first_seen_us <= end && f.last_seen_us >= start
}

fn entity_match(f: &Finding, e: &LabelEntities) -> bool {
    let c = &f.context;
    let eq =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(x), Some(y)) if x == y);
    eq(&c.principal, &e.principal)
        || eq(&c.session_issuer, &e.principal)
        || eq(&c.access_key, &e.access_key)
        || eq(&c.function, &e.function)
        || c.source_ip
            .as_ref()
            .is_some_and(|ip| e.source_ips.iter().any(|s| s == ip))
        || f.group.values().any(|v| {
            Some(v) == e.principal.as_ref()
                || Some(v) == e.access_key.as_ref()
                || Some(v) == e.function.as_ref()
                || e.source_ips.iter().any(|s| s == v)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tripline_detect::{EventContext, Level, RuleInfo};

    fn finding(related: &[&str], principal: Option<&str>, t: i64) -> Finding {
        Finding {
            uid: "u".into(),
            rule: Arc::new(RuleInfo {
                id: "r".into(),
                name: None,
                title: "R".into(),
                description: String::new(),
                level: Level::High,
                tags: vec![],
                falsepositives: vec![],
                path: String::new(),
                service: None,
                kind: "rule",
            }),
            level: Level::High,
            confidence: 80,
            message: String::new(),
            group: BTreeMap::new(),
            window_start_us: t,
            first_seen_us: t,
            last_seen_us: t,
            count: 1,
            related: related.iter().map(|s| s.to_string()).collect(),
            evidence: vec![],
            context: EventContext {
                principal: principal.map(str::to_string),
                ..Default::default()
            },
            stats: BTreeMap::new(),
        }
    }

    fn label(s: &str, uids: &[&str], principal: &str) -> Label {
        Label {
            scenario: s.into(),
            attack_id: format!("{s}-1"),
            technique: String::new(),
            tactic: String::new(),
            description: String::new(),
            start: "2024-01-01T00:00:00Z".into(),
            end: "2024-01-01T01:00:00Z".into(),
            detect_from: "2024-01-01T00:00:00Z".into(),
            entities: LabelEntities {
                principal: Some(principal.into()),
                ..Default::default()
            },
            event_uids: uids.iter().map(|s| s.to_string()).collect(),
            expected: Vec::new(),
        }
    }

    #[test]
    fn true_false_and_missed_findings_are_scored() {
        let t0 = parse_us("2024-01-01T00:10:00Z");
        let labels = vec![
            label("a", &["e1", "e2"], "arn:a"),
            label("b", &["e9"], "arn:b"),
        ];
        let findings = vec![
            finding(&["e2"], None, t0),                         // true by event id
            finding(&["x"], Some("arn:a"), t0),                 // true by entity and time
            finding(&["y"], Some("arn:other"), t0),             // false
            finding(&["z"], Some("arn:b"), t0 + 7_200_000_000), // right entity, wrong time
        ];
        let r = evaluate(&findings, &labels, 1_000_003);
        assert_eq!((r.true_findings, r.false_findings), (2, 2));
        assert_eq!(r.recall, 0.5);
        assert_eq!(r.precision, 0.5);
        assert_eq!(r.benign_events, 1_000_000);
        assert_eq!(r.false_per_million, 2.0);
        let a = r.scenarios.iter().find(|s| s.scenario == "a").unwrap();
        assert_eq!((a.detected, a.time_to_detect_s), (1, Some(600.0)));
        assert_eq!(
            r.scenarios
                .iter()
                .find(|s| s.scenario == "b")
                .unwrap()
                .detected,
            0
        );
    }
}
