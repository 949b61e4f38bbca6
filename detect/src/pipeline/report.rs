//! [`PipelineReport`]: what a pipeline run did, for the summary a user reads and the
//! metrics a service exports.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Finding, Level};

/// Counts and notes of one pipeline run. Field names are the `--json` summary's keys.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelineReport {
    /// Rules loaded (detection and correlation).
    pub rules_loaded: usize,
    /// Rules skipped because they did not load.
    pub rule_errors: usize,
    /// Behavioural detectors that ran.
    pub detectors: Vec<String>,
    /// Events evaluated, per table.
    pub events: BTreeMap<String, u64>,
    /// Findings reported.
    pub findings: usize,
    /// Findings reported, per severity.
    pub findings_by_severity: BTreeMap<String, u64>,
    /// Findings reported, per rule title.
    pub findings_by_rule: BTreeMap<String, u64>,
    /// Matching events per rule title (before grouping into findings).
    pub hits_by_rule: BTreeMap<String, u64>,
    /// Findings an allowlist entry suppressed.
    pub suppressed: u64,
    /// Findings under the minimum level, not reported.
    pub below_min_level: u64,
    /// Things the user should know: detectors skipped for want of baselines,
    /// expired allowlist entries.
    pub notes: Vec<String>,
}

impl PipelineReport {
    /// Counts a reported finding.
    pub(crate) fn count(&mut self, f: &Finding) {
        self.findings += 1;
        *self
            .findings_by_severity
            .entry(f.level.as_str().to_string())
            .or_default() += 1;
        *self
            .findings_by_rule
            .entry(f.rule.title.clone())
            .or_default() += 1;
    }

    /// Events evaluated over all tables.
    pub fn events_total(&self) -> u64 {
        self.events.values().sum()
    }

    /// Severities with their counts, most severe first (`critical 1, high 17, …`).
    pub fn severities(&self) -> Vec<(&'static str, u64)> {
        [
            Level::Critical,
            Level::High,
            Level::Medium,
            Level::Low,
            Level::Informational,
        ]
        .into_iter()
        .filter_map(|l| {
            let n = *self.findings_by_severity.get(l.as_str())?;
            Some((l.as_str(), n))
        })
        .collect()
    }
}
