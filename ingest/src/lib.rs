//! Tripline ingest: AWS CloudTrail and Lambda logs into canonical Arrow tables, and
//! those tables into a crash-safe Parquet lake.
//!
//! # Layout
//!
//! - [`source`]: inputs — files, directories (recursive), stdin — decompressed by
//!   content (gzip magic, not file name) and split into records by [`source::Splitter`],
//!   which streams `{"Records":[…]}` documents and JSON arrays element by element and
//!   tracks the byte offset and line of every record.
//! - [`parse`]: one record into rows, recognised by content ([`parse::json_record`],
//!   [`parse::text_record`]), reporting each outcome to a [`parse::Sink`].
//! - [`table`]: the canonical schemas (`cloudtrail`, `invocations`, `lambda_runtime`),
//!   their row types and batch builders.
//! - [`shape`] and [`redact`]: `payload_shape`, and secret redaction at ingest.
//! - [`quarantine`]: where bad records go, with reason and position.
//! - [`lake`]: the hive-partitioned Parquet lake: atomic writes, the manifest of
//!   ingested sources.
//! - [`pipeline`]: an ingest run — sources in parallel across cores, bounded batches,
//!   the run summary ([`pipeline::Summary`]).
//! - [`stream`]: sources into batches for a consumer, without a lake (`tripline
//!   detect <PATH>`), and records held in memory ([`stream::parse_records`]).
//! - [`error`]: [`IngestError`] (the run fails) and [`RecordError`] (one record is
//!   quarantined).

pub mod error;
pub mod lake;
pub mod parse;
pub mod pipeline;
pub mod position;
pub mod quarantine;
pub mod redact;
pub mod shape;
pub mod source;
pub mod stream;
pub mod table;

pub use error::{IngestError, RecordError};
pub use pipeline::{ingest, IngestConfig, Progress, Summary};
pub use position::{Context, Position};
pub use table::{Table, Tables};

/// Worker threads when none are asked for: one per core the process may run on (so a
/// command pinned to one core runs one).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
