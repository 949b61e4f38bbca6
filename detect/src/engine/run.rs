//! Running a [`RuleSet`] over batches: each rule of the batch's table evaluated in
//! columns, each matching row turned into a [`Hit`], hits of stateless rules grouped
//! into findings by the [`Aggregator`], hits of correlated rules fed to their
//! [`Correlator`]s.
//!
//! Batch order: files are read in parallel and need not be in time order. The
//! aggregator's windows are epoch-aligned and keep the earliest events by (time, id),
//! and correlators buffer hits in time order until the end of input, so the findings
//! do not depend on the order batches arrive in.
//!
//! Cost: a rule's matching rows are grouped per batch by (group key, window) with
//! keys borrowed from the batch, so a finding's window is looked up once per group and
//! batch; context and evidence are built only for the events a finding keeps.

use std::collections::BTreeMap;

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::buffer::BooleanBuffer;
use foldhash::{HashMap, HashMapExt};
use tripline_ingest::Table;

use super::event::EventReader;
use super::ruleset::RuleSet;
use crate::correlate::Correlator;
use crate::error::DetectError;
use crate::finding::aggregate::window_of;
use crate::finding::Aggregator;
use crate::model::{EventContext, Evidence, Finding, Hit, MAX_EVIDENCE};
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

/// A detection run in progress. It shares the rule set (`Arc`), so a long-running
/// pipeline can own it without borrowing from its caller.
pub struct Detector {
    set: Arc<RuleSet>,
    rules: Vec<bool>,
    correlations: Vec<bool>,
    force_emit: bool,
    aggregator: Aggregator,
    correlators: Vec<Correlator>,
    stats: RunStats,
}

impl Detector {
    /// A run of the rules of `set` chosen by `sel`.
    pub fn new(set: Arc<RuleSet>, sel: Selection) -> Self {
        let pick = |n: usize, only: &Option<Vec<usize>>| -> Vec<bool> {
            match only {
                None => vec![true; n],
                Some(list) => (0..n).map(|i| list.contains(&i)).collect(),
            }
        };
        Detector {
            rules: pick(set.rules.len(), &sel.rules),
            correlations: pick(set.correlations.len(), &sel.correlations),
            force_emit: sel.force_emit,
            aggregator: Aggregator::new(),
            correlators: set
                .correlations
                .iter()
                .map(|c| Correlator::new(c.spec.clone()))
                .collect(),
            stats: RunStats::default(),
            set,
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
            let info = rule.compiled.info();
            *self.stats.hits.entry(info.id.clone()).or_default() += n as u64;
            let emits = rule.emits || self.force_emit;
            // Nulls are false. Group keys and counted values are read for these rows only.
            let matched = match mask.nulls() {
                None => mask.values().clone(),
                Some(n) => mask.values() & n.inner(),
            };
            let rows: Vec<usize> = matched.set_indices().collect();
            let matched = Some(&matched);
            if emits {
                let group_cols = columns(&mut fields, &rule.group_by, matched)?;
                let keys = string_columns(&group_cols);
                let width = rule.dedup_window_us;
                // One window lookup per (group, window) of this batch; each event then
                // costs a hash and a few comparisons, and context and evidence are
                // built only for the events a finding keeps.
                for g in group_rows(&keys, &rows, |row| window_of(reader.time_us(row), width).0) {
                    let first = g.rows[0];
                    let window = self.aggregator.window(
                        info,
                        values(&rule.group_by, &group_cols, first),
                        reader.time_us(first),
                        width,
                    );
                    for &row in &g.rows {
                        window.add(reader.time_us(row), reader.event_uid_ref(row), |wants| {
                            let context = if wants.context {
                                reader.context(row)
                            } else {
                                EventContext::default()
                            };
                            let evidence = if wants.evidence {
                                reader.evidence_text(row)
                            } else {
                                Evidence::NONE
                            };
                            (context, evidence)
                        });
                    }
                }
            }
            let corr: Vec<usize> = rule
                .correlations
                .iter()
                .copied()
                .filter(|&c| self.correlations[c])
                .collect();
            if corr.is_empty() {
                continue;
            }
            let mut corr_cols = Vec::with_capacity(corr.len());
            for &c in &corr {
                let spec = &self.set.correlations[c].spec;
                let group = columns(&mut fields, &spec.group_by, matched)?;
                let value = match &spec.value_field {
                    Some(f) => Some(fields.strings_for(f, matched)?),
                    None => None,
                };
                corr_cols.push((group, value));
            }
            // Correlation findings keep the context and evidence of their first few
            // events: build them only for the first hits of each group in this batch (a
            // rule matching 100k rows must not serialise 100k rows). Correlators order
            // hits only at the end of input, so which events come first is not known
            // here.
            let keys = string_columns(&corr_cols[0].0);
            let (set, correlators) = (&*self.set, &mut self.correlators);
            for g in group_rows(&keys, &rows, |_| 0) {
                for (rank, &row) in g.rows.iter().enumerate() {
                    let whole = rank < MAX_EVIDENCE;
                    let base = Hit {
                        rule: Arc::clone(info),
                        time_us: reader.time_us(row),
                        event_uid: reader.event_uid(row),
                        group: Vec::new(),
                        value: None,
                        // Episodes take their context from their first event kept
                        // whole: the group key (usually the principal) is the same.
                        context: if whole {
                            reader.context(row)
                        } else {
                            EventContext::default()
                        },
                        evidence: if whole {
                            reader.evidence_text(row)
                        } else {
                            Evidence::NONE
                        },
                    };
                    let mut push = |k: usize, mut hit: Hit| {
                        let c = corr[k];
                        let (group, value) = &corr_cols[k];
                        hit.group = values(&set.correlations[c].spec.group_by, group, row);
                        hit.value = value.as_ref().and_then(|v| str_at(v, row));
                        correlators[c].push_hit(hit);
                    };
                    // Every correlation but the first gets a copy; the first, the hit.
                    for k in 1..corr.len() {
                        push(k, base.clone());
                    }
                    push(0, base);
                }
            }
        }
        Ok(())
    }

    /// The findings that event time `watermark_us` makes final: windows of
    /// single-event rules that end at or before it, and correlation windows it has
    /// closed. A stream calls this as its watermark moves; a batch run need not.
    pub fn advance(&mut self, watermark_us: i64) -> Vec<Finding> {
        let mut findings = self.aggregator.drain_closed(watermark_us);
        for (c, corr) in self.correlators.iter_mut().enumerate() {
            if self.correlations[c] {
                findings.extend(corr.advance(watermark_us));
            }
        }
        findings
    }

    /// Ends the run: every finding still open, in no particular order (the
    /// [`Pipeline`](crate::pipeline::Pipeline) orders what it reports, once).
    pub fn finish(&mut self) -> (Vec<Finding>, RunStats) {
        let mut findings = std::mem::replace(&mut self.aggregator, Aggregator::new()).finish();
        // Correlators buffer their hits in event-time order and process them at the
        // end of input, so files read in any order give the same findings.
        for (c, corr) in self.correlators.iter_mut().enumerate() {
            if self.correlations[c] {
                findings.extend(corr.finish());
            }
        }
        (findings, std::mem::take(&mut self.stats))
    }

    /// The rule set this run evaluates.
    pub fn rule_set(&self) -> &RuleSet {
        &self.set
    }
}

fn columns(
    fields: &mut BatchFields<'_>,
    names: &[String],
    rows: Option<&BooleanBuffer>,
) -> Result<Vec<ArrayRef>, DetectError> {
    names.iter().map(|f| fields.strings_for(f, rows)).collect()
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

/// The string arrays among `cols` (group-by columns are strings).
fn string_columns(cols: &[ArrayRef]) -> Vec<&StringArray> {
    cols.iter()
        .filter_map(|c| c.as_string_opt::<i32>())
        .collect()
}

/// Rows of one batch with equal key values and window start.
struct RowGroup {
    rows: Vec<usize>,
}

fn value(c: &StringArray, r: usize) -> Option<&str> {
    (!c.is_null(r)).then(|| c.value(r))
}

/// Groups `rows` by their values in `keys` and by `start(row)`, groups in order of
/// their first row and rows in order within a group. Keys are compared in place in the
/// batch: no allocation per row.
fn group_rows(
    keys: &[&StringArray],
    rows: &[usize],
    start: impl Fn(usize) -> i64,
) -> Vec<RowGroup> {
    let mut groups: Vec<(i64, RowGroup)> = Vec::new();
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    let hasher = foldhash::fast::FixedState::default();
    for &row in rows {
        let s = start(row);
        let mut h = hasher.build_hasher();
        s.hash(&mut h);
        for c in keys {
            value(c, row).hash(&mut h);
        }
        let candidates = index.entry(h.finish()).or_default();
        let found = candidates.iter().copied().find(|&g| {
            let (gs, group) = &groups[g];
            *gs == s
                && keys
                    .iter()
                    .all(|c| value(c, group.rows[0]) == value(c, row))
        });
        match found {
            Some(g) => groups[g].1.rows.push(row),
            None => {
                candidates.push(groups.len());
                groups.push((s, RowGroup { rows: vec![row] }));
            }
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}
