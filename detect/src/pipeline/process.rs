//! [`Pipeline`]: rules, correlations and behavioural detectors over batches of every
//! table, findings filtered (minimum level, allowlist) and ordered once.

use arrow::array::RecordBatch;
use chrono::{DateTime, Utc};
use tripline_ingest::Table;

use super::config::{InputOrder, PipelineConfig};
use super::reorder::Reorder;
use super::report::PipelineReport;
use crate::anomaly;
use crate::engine::Detector as RuleRun;
use crate::error::DetectError;
use crate::finding::sort_findings;
use crate::model::{Finding, Level};
use crate::suppress::Allowlist;

/// One detection pipeline: the same object behind `tripline detect` (files or lake),
/// `eval`, `demo` and the stream service.
///
/// Lifecycle (an operator in arroyo's sense: batches in, findings out):
/// [`Pipeline::process`] each batch of each table, [`Pipeline::advance`] as event
/// time moves (a stream; batch runs may skip it), [`Pipeline::finish`] at the end of
/// input. Every finding handed out has passed the minimum level and the allowlist.
pub struct Pipeline {
    rules: RuleRun,
    detectors: Vec<Box<dyn anomaly::Detector>>,
    /// Present for unordered input with detectors: their events, sorted at the end.
    reorder: Option<Reorder>,
    allowlist: Option<Allowlist>,
    min_level: Level,
    now: DateTime<Utc>,
    report: PipelineReport,
}

/// What a finished pipeline produced.
pub struct PipelineOutput {
    /// Findings at or above the minimum level that no allowlist entry suppressed,
    /// ordered by first seen, then uid.
    pub findings: Vec<Finding>,
    /// Counts and notes of the run.
    pub report: PipelineReport,
}

impl Pipeline {
    /// A pipeline as `cfg` says. Detectors that need baselines run only with them
    /// (the others are named in the report's notes).
    pub fn new(cfg: PipelineConfig) -> Result<Self, DetectError> {
        let mut report = PipelineReport {
            rules_loaded: cfg.rules.len(),
            rule_errors: cfg.rules.errors.len(),
            ..Default::default()
        };
        let detectors = match &cfg.anomaly {
            None => Vec::new(),
            Some(a) => {
                for (name, why) in anomaly::skipped(cfg.baselines.is_some(), a) {
                    if why != "disabled" {
                        report.notes.push(format!("detector {name} skipped: {why}"));
                    }
                }
                anomaly::detectors(cfg.baselines.clone(), a)
            }
        };
        report.detectors = detectors.iter().map(|d| d.name().to_string()).collect();
        let reorder = if cfg.order == InputOrder::Any && !detectors.is_empty() {
            Some(Reorder::new(cfg.sort_memory, cfg.lateness_us() / 2)?)
        } else {
            None
        };
        Ok(Pipeline {
            rules: RuleRun::new(cfg.rules.clone(), cfg.selection.clone()),
            detectors,
            reorder,
            allowlist: cfg.allowlist,
            min_level: cfg.min_level,
            now: cfg.now,
            report,
        })
    }

    /// Evaluates every rule and detector of `table` over `batch`.
    pub fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        self.rules.process(table, batch)?;
        match &mut self.reorder {
            Some(r) => r.push(table, batch.clone()),
            None => {
                for d in &mut self.detectors {
                    d.process(table, batch)?;
                }
                Ok(())
            }
        }
    }

    /// The findings that event time `watermark_us` makes final (windows it has closed),
    /// filtered. With unordered input the detectors wait for [`Self::finish`].
    pub fn advance(&mut self, watermark_us: i64) -> Vec<Finding> {
        let mut findings = self.rules.advance(watermark_us);
        if self.reorder.is_none() {
            for d in &mut self.detectors {
                findings.extend(d.advance(watermark_us));
            }
        }
        self.keep(findings)
    }

    /// Ends the input: every remaining finding, filtered and ordered by first seen,
    /// then uid, with the run's report.
    pub fn finish(mut self) -> Result<PipelineOutput, DetectError> {
        if let Some(reorder) = self.reorder.take() {
            let detectors = &mut self.detectors;
            reorder.finish(|table, batch| {
                for d in detectors.iter_mut() {
                    d.process(table, &batch)?;
                }
                Ok(())
            })?;
        }
        let (mut found, stats) = self.rules.finish();
        for d in &mut self.detectors {
            found.extend(d.finish());
        }
        let set = self.rules.rule_set();
        for (id, n) in &stats.hits {
            let title = set
                .rules
                .iter()
                .map(|r| r.compiled.info())
                .find(|i| &i.id == id)
                .map_or(id.as_str(), |i| i.title.as_str());
            *self
                .report
                .hits_by_rule
                .entry(title.to_string())
                .or_default() += n;
        }
        self.report.events = stats.events;
        let mut findings = self.keep(found);
        sort_findings(&mut findings);
        if let Some(list) = &self.allowlist {
            self.report.notes.extend(
                list.warnings(self.now)
                    .into_iter()
                    .map(|w| format!("allowlist: {w}")),
            );
        }
        Ok(PipelineOutput {
            findings,
            report: self.report,
        })
    }

    /// The findings at or above the minimum level that the allowlist lets through;
    /// counts the rest and what is kept.
    fn keep(&mut self, findings: Vec<Finding>) -> Vec<Finding> {
        let before = findings.len();
        let mut kept: Vec<Finding> = findings
            .into_iter()
            .filter(|f| f.level >= self.min_level)
            .collect();
        self.report.below_min_level += (before - kept.len()) as u64;
        if let Some(list) = self.allowlist.as_mut() {
            let n = kept.len();
            kept = list.apply(kept, self.now);
            self.report.suppressed += (n - kept.len()) as u64;
        }
        for f in &kept {
            self.report.count(f);
        }
        kept
    }
}
