//! Running a [`RuleSet`] over batches: each rule of the batch's table evaluated in
//! columns, each matching row turned into a [`Hit`], hits of stateless rules grouped
//! into findings by the [`Aggregator`], hits of correlated rules fed to their
//! [`Correlator`]s.
//!
//! Batch order: correlation hits are collected and sorted by event time before they
//! reach the correlators, because files are read in parallel and need not be in time
//! order. Hits are far fewer than events, so this stays small.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use tripline_ingest::Table;

use super::event::EventReader;
use super::ruleset::RuleSet;
use crate::correlate::Correlator;
use crate::error::DetectError;
use crate::finding::Aggregator;
use crate::model::{Finding, Hit, MAX_EVIDENCE};
use crate::sigma::BatchFields;

/// Which rules of a set run (rule tests run one rule, or one correlation and its bases).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Detection rule indices; `None` = all.
    pub rules: Option<Vec<usize>>,
    /// Correlation indices; `None` = all.
    pub correlations: Option<Vec<usize>>,
    /// Make every selected rule raise findings of its own, even when a correlation uses it.
    pub force_emit: bool,
}

/// Counts of a detection run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunStats {
    /// Events evaluated, per table.
    pub events: BTreeMap<String, u64>,
    /// Matching events, per rule id.
    pub hits: BTreeMap<String, u64>,
}

/// A detection run in progress.
pub struct Detector<'r> {
    set: &'r RuleSet,
    rules: Vec<bool>,
    correlations: Vec<bool>,
    force_emit: bool,
    aggregator: Aggregator,
    corr_hits: Vec<Vec<Hit>>,
    stats: RunStats,
}

impl<'r> Detector<'r> {
    /// A run of the rules of `set` chosen by `sel`.
    pub fn new(set: &'r RuleSet, sel: Selection) -> Self {
        let pick = |n: usize, only: &Option<Vec<usize>>| -> Vec<bool> {
            match only {
                None => vec![true; n],
                Some(list) => (0..n).map(|i| list.contains(&i)).collect(),
            }
        };
        Detector {
            set,
            rules: pick(set.rules.len(), &sel.rules),
            correlations: pick(set.correlations.len(), &sel.correlations),
            force_emit: sel.force_emit,
            aggregator: Aggregator::new(),
            corr_hits: vec![Vec::new(); set.correlations.len()],
            stats: RunStats::default(),
        }
    }

    /// Evaluates the selected rules of `table` over `batch`.
    pub fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        *self
            .stats
            .events
            .entry(table.name().to_string())
            .or_default() += batch.num_rows() as u64;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let mut fields = BatchFields::new(table, batch);
        let reader = EventReader::new(table, batch);
        for i in self.set.rules_for(table) {
            if !self.rules[i] {
                continue;
            }
            let rule = &self.set.rules[i];
            let mask = rule.compiled.eval(&mut fields)?;
            let n = mask.true_count();
            if n == 0 {
                continue;
            }
            let info = rule.compiled.info().clone();
            *self.stats.hits.entry(info.id.clone()).or_default() += n as u64;
            let emits = rule.emits || self.force_emit;
            let rows: Vec<usize> = (0..mask.len())
                .filter(|&r| mask.is_valid(r) && mask.value(r))
                .collect();
            let group_cols = if emits {
                columns(&mut fields, &rule.group_by)?
            } else {
                Vec::new()
            };
            let corr: Vec<usize> = rule
                .correlations
                .iter()
                .copied()
                .filter(|&c| self.correlations[c])
                .collect();
            let mut corr_cols = Vec::with_capacity(corr.len());
            for &c in &corr {
                let spec = &self.set.correlations[c].spec;
                let group = columns(&mut fields, &spec.group_by)?;
                let value = match &spec.value_field {
                    Some(f) => Some(fields.strings(f)?),
                    None => None,
                };
                corr_cols.push((group, value));
            }
            // Findings keep the context of their first event and the evidence of
            // their first few: build those whole only for the first hits of each group
            // in this batch (a rule matching 100k rows must not serialise 100k rows).
            // Keys borrow from the batch's arrays: no allocation to count.
            let mut per_group: std::collections::HashMap<Vec<Option<&str>>, usize> =
                std::collections::HashMap::new();
            let key_cols: Vec<&arrow::array::StringArray> = if emits {
                &group_cols[..]
            } else {
                corr_cols.first().map_or(&[][..], |(g, _)| &g[..])
            }
            .iter()
            .filter_map(|c| c.as_string_opt::<i32>())
            .collect();
            for &row in &rows {
                let key: Vec<Option<&str>> = key_cols
                    .iter()
                    .map(|c| (!c.is_null(row)).then(|| c.value(row)))
                    .collect();
                let n = per_group.entry(key).or_insert(0);
                let whole = *n < MAX_EVIDENCE;
                *n += 1;
                let base = Hit {
                    rule: info.clone(),
                    time_us: reader.time_us(row),
                    event_uid: reader.event_uid(row),
                    group: Vec::new(),
                    value: None,
                    context: reader.context_with(row, whole),
                    evidence: if whole {
                        reader.evidence(row)
                    } else {
                        serde_json::Value::Null
                    },
                };
                for (k, &c) in corr.iter().enumerate() {
                    let (group, value) = &corr_cols[k];
                    let spec = &self.set.correlations[c].spec;
                    let mut hit = base.clone();
                    hit.group = values(&spec.group_by, group, row);
                    hit.value = value.as_ref().and_then(|v| str_at(v, row));
                    self.corr_hits[c].push(hit);
                }
                if emits {
                    let mut hit = base;
                    hit.group = values(&rule.group_by, &group_cols, row);
                    self.aggregator.push(hit, rule.dedup_window_us);
                }
            }
        }
        Ok(())
    }

    /// Ends the run: every finding, in a deterministic order (first seen, then uid).
    pub fn finish(mut self) -> (Vec<Finding>, RunStats) {
        let mut findings = self.aggregator.finish();
        for (c, mut hits) in std::mem::take(&mut self.corr_hits).into_iter().enumerate() {
            if !self.correlations[c] || hits.is_empty() {
                continue;
            }
            hits.sort_by(|a, b| {
                (a.time_us, &a.event_uid, &a.rule.id).cmp(&(b.time_us, &b.event_uid, &b.rule.id))
            });
            let mut corr = Correlator::new(self.set.correlations[c].spec.clone());
            for h in &hits {
                corr.push(h);
            }
            findings.extend(corr.finish());
        }
        findings.sort_by(|a, b| (a.first_seen_us, &a.uid).cmp(&(b.first_seen_us, &b.uid)));
        (findings, self.stats)
    }

    /// The rule set this run evaluates.
    pub fn rule_set(&self) -> &'r RuleSet {
        self.set
    }
}

fn columns(fields: &mut BatchFields<'_>, names: &[String]) -> Result<Vec<ArrayRef>, DetectError> {
    names.iter().map(|f| fields.strings(f)).collect()
}

fn str_at(a: &ArrayRef, row: usize) -> Option<String> {
    let s = a.as_string_opt::<i32>()?;
    (!s.is_null(row)).then(|| s.value(row).to_string())
}

fn values(names: &[String], cols: &[ArrayRef], row: usize) -> Vec<(String, Option<String>)> {
    names
        .iter()
        .zip(cols)
        .map(|(n, c)| (n.clone(), str_at(c, row)))
        .collect()
}
