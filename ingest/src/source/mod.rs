//! Sources: where records come from, opened with decompression chosen by content,
//! hashed as they are read (the hash identifies a source in the lake's manifest), and
//! split into records by [`Splitter`].
//!
//! # Layout
//!
//! - [`Source`] (this file): the seam every input implements — a name, a stable
//!   [`SourceKey`] when one is known before reading, a size hint, and raw bytes.
//! - [`file`]: [`FileSource`], a file on disk (the only source cut into ranges).
//! - [`stdin`]: [`StdinSource`], standard input (`-`).
//! - [`walk`]: [`expand`], the command line's paths into sources (directories walked
//!   recursively with `walkdir`, symlink loops detected).
//! - [`open`]: [`Opened`], the reader of a source: buffered, counted, hashed
//!   ([`SourceHash`]), gunzipped.
//! - [`range`]: [`FileRange`], byte ranges of a large JSON-lines file, so every core
//!   parses a part of it.
//! - [`split`]: [`Splitter`], a byte stream into records.

mod file;
mod open;
mod range;
mod split;
mod stdin;
mod walk;

use std::fmt::Debug;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

pub use file::FileSource;
pub use open::{open_raw, Hashing, Opened, Rereadable, SourceHash};
pub use range::{
    guided_line_ranges, line_ranges, FileRange, MIN_RANGE_BYTES, MIN_TAIL_RANGE_BYTES,
};
pub use split::{line_value, split_line, Kind, Piece, Splitter};
pub use stdin::StdinSource;
pub use walk::expand;

use crate::error::IngestError;

/// What identifies a source before it is read, so a sink that already holds it (the
/// lake's manifest) can skip it unread: a path with its size and modification time, or
/// (for an object store) an object key with its size and version tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceKey {
    /// The path or object key, as named in `source` columns.
    pub location: String,
    /// Size of the raw bytes.
    pub size: u64,
    /// Modification time in ns since the epoch (0 when the source has none), the
    /// version of a file; with `size` the cheap identity of unchanged content.
    pub mtime_ns: i64,
}

/// Something that yields records to parse: a file, stdin, and later a Kafka partition,
/// an S3 object, an SQS message or a CloudWatch Logs stream. The driver
/// ([`crate::driver`]) opens it on a worker thread, splits its bytes into records and
/// parses them; nothing in the driver assumes a file.
pub trait Source: Send + Sync + Debug {
    /// The name in `source` columns and quarantine lines (a path, `-`, an object key).
    fn name(&self) -> &str;

    /// The stable key, when one is known before reading (not for stdin).
    fn key(&self) -> Option<&SourceKey>;

    /// Raw bytes expected, when known: used to cut a source into ranges.
    fn size_hint(&self) -> Option<u64>;

    /// Opens the source's bytes, decompressed, counting raw bytes into `counter` and
    /// hashing them as `hashing` says.
    fn open(&self, hashing: Hashing, counter: Arc<AtomicU64>) -> Result<Opened, IngestError>;

    /// Byte ranges for `workers` to parse in parallel ([`guided_line_ranges`]); `None`
    /// (the default) reads the source whole. Only a plain JSON-lines file can be cut.
    fn ranges(&self, workers: usize) -> Option<Vec<FileRange>> {
        let _ = workers;
        None
    }
}
