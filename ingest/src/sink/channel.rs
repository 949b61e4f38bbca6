//! Batches to a bounded channel, for a consumer on another thread: `tripline detect
//! <PATH>` runs its rules on the calling thread while the driver's workers parse
//! ([`crate::stream::read_batches`]). The channel's bound keeps memory at `threads ×
//! batch + capacity` whatever the input size. Bad records go to `<quarantine>/<hash of
//! the unit's bytes>.jsonl`, as in an ingest.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arrow::record_batch::RecordBatch;
use crossbeam_channel::Sender;

use super::{BatchSink, Outcome, SourceOutput};
use crate::error::{IngestError, RecordError};
use crate::position::Position;
use crate::quarantine::QuarantineWriter;
use crate::source::{FileRange, Source, SourceHash};
use crate::summary::Summary;
use crate::table::Table;

/// Sends every batch to `tx`; stops taking sources once `stop` is set.
pub struct ChannelSink<'a> {
    tx: Sender<(Table, RecordBatch)>,
    quarantine: PathBuf,
    stop: &'a AtomicBool,
}

impl<'a> ChannelSink<'a> {
    /// A sink sending to `tx`, quarantining into the directory `quarantine`; the
    /// consumer sets `stop` when it wants no more batches (it must still drain the
    /// channel until the driver returns, so no worker stays blocked on a send).
    pub fn new(
        tx: Sender<(Table, RecordBatch)>,
        quarantine: PathBuf,
        stop: &'a AtomicBool,
    ) -> Self {
        ChannelSink {
            tx,
            quarantine,
            stop,
        }
    }
}

fn unique_suffix() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

impl BatchSink for ChannelSink<'_> {
    fn begin(
        &self,
        _source: &dyn Source,
        _range: Option<&FileRange>,
    ) -> Result<Option<Box<dyn SourceOutput + '_>>, IngestError> {
        let tmp = self
            .quarantine
            .join(format!(".tmp-{}-{}", std::process::id(), unique_suffix()));
        Ok(Some(Box::new(ChannelOutput {
            sink: self,
            quarantine: QuarantineWriter::new(tmp),
        })))
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

struct ChannelOutput<'a> {
    sink: &'a ChannelSink<'a>,
    quarantine: QuarantineWriter,
}

impl SourceOutput for ChannelOutput<'_> {
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), IngestError> {
        // The consumer only hangs up after a failure it reports itself.
        let _ = self.sink.tx.send((table, batch));
        Ok(())
    }

    fn quarantine(
        &mut self,
        pos: &Position,
        raw: &[u8],
        reason: &RecordError,
    ) -> Result<(), IngestError> {
        self.quarantine.write(pos, raw, reason)
    }

    fn finish(self: Box<Self>, hash: &SourceHash, _: &Summary) -> Result<Outcome, IngestError> {
        if !self.quarantine.is_empty() {
            // The hash only names the quarantine file, which most runs never write:
            // it is taken from the file now, not from every byte as it was read.
            let hash = hash.finish()?;
            self.quarantine
                .commit(&self.sink.quarantine.join(format!("{}.jsonl", &hash[..32])))?;
        }
        Ok(Outcome::Stored { files: 0 })
    }

    fn abort(self: Box<Self>) {
        self.quarantine.discard();
    }
}
