//! Batch sinks: where the Arrow batches the driver ([`crate::driver`]) parses go.
//!
//! The driver owns batching (one [`BatchPolicy`](crate::driver::BatchPolicy) of rows
//! and bytes for every sink) and counting; a sink only receives full batches and the
//! records to quarantine of each source, and says what happens when a source ends.
//!
//! # Layout
//!
//! - [`BatchSink`] and [`SourceOutput`] (this file): the seam.
//! - [`lake`]: [`LakeSink`], the Parquet lake (staging files, manifest, quarantine).
//! - [`channel`]: [`ChannelSink`], batches to a bounded channel for a consumer on
//!   another thread (`tripline detect <PATH>`).
//! - [`memory`]: [`MemorySink`], batches collected in memory (tests, library users).

mod channel;
mod lake;
mod memory;

pub use channel::ChannelSink;
pub use lake::LakeSink;
pub(crate) use memory::MemoryOutput;
pub use memory::{Collected, MemorySink};

use arrow::record_batch::RecordBatch;

use crate::error::{IngestError, RecordError};
use crate::position::Position;
use crate::source::{FileRange, Hashing, Source, SourceHash};
use crate::summary::Summary;
use crate::table::Table;

/// Where batches go: shared by the driver's workers, it starts one [`SourceOutput`]
/// per unit of work (a source, or a range of a large file).
pub trait BatchSink: Sync {
    /// When a source's hash is taken; the lake needs it for every source.
    fn hashing(&self) -> Hashing {
        Hashing::OnDemand
    }

    /// Whether a large JSON-lines file may be parsed in ranges by several workers. A
    /// sink that stores one entry per whole source (the lake's manifest) says no.
    fn splits_sources(&self) -> bool {
        true
    }

    /// Starts a unit of work: `source` whole, or its `range`. `None` when the sink
    /// already holds the source, which is then skipped unread.
    fn begin(
        &self,
        source: &dyn Source,
        range: Option<&FileRange>,
    ) -> Result<Option<Box<dyn SourceOutput + '_>>, IngestError>;

    /// True once no more data is wanted (the consumer failed): workers start no
    /// further unit.
    fn stopped(&self) -> bool {
        false
    }

    /// Called once after every unit has ended, whatever the result.
    fn close(&self) {}
}

/// What a sink does with one unit of work.
pub trait SourceOutput {
    /// A full batch of `table`.
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), IngestError>;

    /// A record that could not be parsed (its position in the whole source).
    fn quarantine(
        &mut self,
        pos: &Position,
        raw: &[u8],
        reason: &RecordError,
    ) -> Result<(), IngestError>;

    /// The unit was read to the end: make its output durable. `hash` is the source's
    /// (or range's) raw bytes; `summary` counts its records.
    fn finish(
        self: Box<Self>,
        hash: &SourceHash,
        summary: &Summary,
    ) -> Result<Outcome, IngestError>;

    /// The unit failed: discard what was written.
    fn abort(self: Box<Self>);
}

/// How a unit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its rows were kept; `files` data files were written.
    Stored {
        /// Data files written for it.
        files: u64,
    },
    /// The sink already held a source with the same content: nothing was kept.
    AlreadyStored,
}
