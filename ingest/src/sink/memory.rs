//! Batches collected in memory: for tests and library users that want the tables of a
//! few sources without a lake or a consumer thread.

use std::sync::Mutex;

use arrow::record_batch::RecordBatch;

use super::{BatchSink, Outcome, SourceOutput};
use crate::error::{IngestError, RecordError};
use crate::position::Position;
use crate::source::{FileRange, Source, SourceHash};
use crate::summary::Summary;
use crate::table::Table;

/// What a [`MemorySink`] collected.
#[derive(Debug, Default)]
pub struct Collected {
    /// The batches, those of one unit of work together and in order (units in the
    /// order they finished).
    pub batches: Vec<(Table, RecordBatch)>,
    /// `(position, reason)` of each quarantined record.
    pub quarantined: Vec<(String, String)>,
}

/// Collects every batch and quarantined record; read them with
/// [`MemorySink::into_collected`] after the run.
#[derive(Debug, Default)]
pub struct MemorySink {
    collected: Mutex<Collected>,
}

impl MemorySink {
    /// What the run produced.
    pub fn into_collected(self) -> Collected {
        // A worker that panicked mid-push leaves whole entries: the data is still valid.
        self.collected
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl BatchSink for MemorySink {
    fn begin(
        &self,
        _source: &dyn Source,
        _range: Option<&FileRange>,
    ) -> Result<Option<Box<dyn SourceOutput + '_>>, IngestError> {
        Ok(Some(Box::new(MemoryOutput {
            sink: Some(self),
            own: Collected::default(),
        })))
    }
}

/// The output of one unit; `sink: None` keeps everything in `own` (records parsed in
/// memory, [`crate::stream::parse_records`]).
pub(crate) struct MemoryOutput<'a> {
    sink: Option<&'a MemorySink>,
    own: Collected,
}

impl MemoryOutput<'_> {
    /// An output that belongs to no sink: read it with [`Self::take`].
    pub(crate) fn detached() -> Self {
        MemoryOutput {
            sink: None,
            own: Collected::default(),
        }
    }

    /// What was collected so far.
    pub(crate) fn take(&mut self) -> Collected {
        std::mem::take(&mut self.own)
    }
}

impl SourceOutput for MemoryOutput<'_> {
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), IngestError> {
        self.own.batches.push((table, batch));
        Ok(())
    }

    fn quarantine(
        &mut self,
        pos: &Position,
        _raw: &[u8],
        reason: &RecordError,
    ) -> Result<(), IngestError> {
        self.own
            .quarantined
            .push((pos.render(), reason.to_string()));
        Ok(())
    }

    fn finish(self: Box<Self>, _: &SourceHash, _: &Summary) -> Result<Outcome, IngestError> {
        if let Some(sink) = self.sink {
            let mut all = sink.collected.lock().unwrap_or_else(|p| p.into_inner());
            all.batches.extend(self.own.batches);
            all.quarantined.extend(self.own.quarantined);
        }
        Ok(Outcome::Stored { files: 0 })
    }

    fn abort(self: Box<Self>) {}
}
