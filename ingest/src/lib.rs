//! Tripline ingest: AWS CloudTrail and Lambda logs into canonical Arrow tables, and
//! those tables into a crash-safe Parquet lake.
//!
//! # Layout
//!
//! The flow is `source → split → parse → batch → sink`, one module per stage:
//!
//! - [`source`]: where records come from — the [`source::Source`] seam, implemented by
//!   files, stdin and directory walks ([`source::expand`]); opened with decompression
//!   chosen by content and split into records by [`source::Splitter`], which streams
//!   `{"Records":[…]}` documents and JSON arrays element by element and tracks the byte
//!   offset and line of every record. Large JSON-lines files are cut into ranges
//!   ([`source::FileRange`]) so every core parses a part.
//! - [`parse`]: one record into rows, recognised by content ([`parse::json_record`],
//!   [`parse::text_record`]), reporting each outcome to a [`parse::Sink`].
//! - [`driver`]: the worker pool that runs the stages — units of work, the
//!   [`driver::BatchPolicy`] that turns pending rows into batches, [`Progress`].
//! - [`sink`]: where batches go — the [`sink::BatchSink`] seam, implemented by the lake
//!   ([`sink::LakeSink`]), a channel to a consumer ([`sink::ChannelSink`]) and memory
//!   ([`sink::MemorySink`]).
//! - [`pipeline`]: `tripline ingest` — [`IngestConfig`] and [`ingest`], the driver into
//!   the lake.
//! - [`stream`]: `tripline detect <PATH>` — [`stream::read_batches`], the driver into a
//!   consumer on the calling thread, and records held in memory
//!   ([`stream::parse_records`]).
//! - [`summary`]: [`Summary`], what a run did.
//! - [`table`]: the canonical schemas (`cloudtrail`, `invocations`, `lambda_runtime`),
//!   their row types and batch builders.
//! - [`shape`] and [`redact`]: `payload_shape`, and secret redaction at ingest.
//! - [`quarantine`]: where bad records go, with reason and position.
//! - [`lake`]: the hive-partitioned Parquet lake: atomic writes, the manifest of
//!   ingested sources.
//! - [`position`]: where a record came from ([`Position`]) and what its envelope said
//!   ([`Context`]).
//! - [`error`]: [`IngestError`] (the run fails) and [`RecordError`] (one record is
//!   quarantined).

pub mod driver;
pub mod error;
pub mod lake;
pub mod parse;
pub mod pipeline;
pub mod position;
pub mod quarantine;
pub mod redact;
pub mod shape;
pub mod sink;
pub mod source;
pub mod stream;
pub mod summary;
pub mod table;

pub use driver::Progress;
pub use error::{IngestError, RecordError};
pub use pipeline::{ingest, IngestConfig};
pub use position::{Context, Position};
pub use summary::Summary;
pub use table::{Table, Tables};

/// Worker threads when none are asked for: one per core the process may run on (so a
/// command pinned to one core runs one).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
