//! What a run did: [`Summary`], the counts every driver run returns, and
//! [`StoredCounts`], the per-record counter that feeds it without allocating.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::RecordError;
use crate::table::Table;

/// What a run did. `records_in = Σ records_stored + records_quarantined +
/// records_skipped` always holds.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Records read from the sources ingested in this run.
    pub records_in: u64,
    /// Records stored, per table.
    pub records_stored: BTreeMap<String, u64>,
    /// Rows written, per table (an SQS event of 10 messages is one record, 10 rows).
    pub rows_written: BTreeMap<String, u64>,
    /// Records quarantined.
    pub records_quarantined: u64,
    /// Records quarantined, per kind of reason.
    pub quarantined_by_kind: BTreeMap<String, u64>,
    /// Records that carry no event by design (control messages, digests), per reason.
    pub records_skipped: BTreeMap<String, u64>,
    /// Sources read and stored in this run.
    pub sources_ingested: u64,
    /// Sources skipped because the lake already holds them.
    pub sources_already_in_lake: u64,
    /// Sources whose stream ended early (truncated gzip, read error), with the error;
    /// the records before the damage were kept.
    pub damaged_sources: Vec<String>,
    /// Parquet files written.
    pub files_written: u64,
    /// Raw bytes read.
    pub bytes_read: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Where quarantined records were written.
    pub quarantine_dir: String,
}

impl Summary {
    /// Total records stored across tables.
    pub fn stored_total(&self) -> u64 {
        self.records_stored.values().sum()
    }

    /// Counts one quarantined record.
    pub(crate) fn count_quarantined(&mut self, reason: &RecordError) {
        self.records_in += 1;
        self.records_quarantined += 1;
        *self
            .quarantined_by_kind
            .entry(reason.kind().into())
            .or_default() += 1;
    }

    /// Counts one record skipped by design.
    pub(crate) fn count_skipped(&mut self, reason: &'static str) {
        self.records_in += 1;
        *self.records_skipped.entry(reason.into()).or_default() += 1;
    }

    /// Adds another run's counts to these.
    pub fn merge(&mut self, o: Summary) {
        self.records_in += o.records_in;
        for (k, v) in o.records_stored {
            *self.records_stored.entry(k).or_default() += v;
        }
        for (k, v) in o.rows_written {
            *self.rows_written.entry(k).or_default() += v;
        }
        self.records_quarantined += o.records_quarantined;
        for (k, v) in o.quarantined_by_kind {
            *self.quarantined_by_kind.entry(k).or_default() += v;
        }
        for (k, v) in o.records_skipped {
            *self.records_skipped.entry(k).or_default() += v;
        }
        self.sources_ingested += o.sources_ingested;
        self.sources_already_in_lake += o.sources_already_in_lake;
        self.damaged_sources.extend(o.damaged_sources);
        self.files_written += o.files_written;
    }
}

/// Records stored per table, in `Table::ALL` order: counted per record without the
/// allocation a map entry would cost on the hot path, folded into a [`Summary`] at the
/// end of a source.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StoredCounts([u64; 3]);

impl StoredCounts {
    /// Counts one record stored in `table`, in `summary.records_in` too.
    pub(crate) fn add(&mut self, table: Table, summary: &mut Summary) {
        summary.records_in += 1;
        let i = Table::ALL
            .iter()
            .position(|t| *t == table)
            .expect("ALL lists every table");
        self.0[i] += 1;
    }

    /// Moves the counts into `summary.records_stored`.
    pub(crate) fn fold_into(self, summary: &mut Summary) {
        for (t, n) in Table::ALL.iter().zip(self.0) {
            if n > 0 {
                *summary.records_stored.entry(t.name().into()).or_default() += n;
            }
        }
    }
}
