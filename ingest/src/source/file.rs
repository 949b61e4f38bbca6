//! A file on disk as a [`Source`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::SourceKey;
use super::{guided_line_ranges, open_raw, FileRange, Hashing, Opened, Rereadable, Source};
use crate::error::IngestError;

/// A file, identified by its path, size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSource {
    path: PathBuf,
    key: SourceKey,
}

impl FileSource {
    /// The file at `path` whose metadata is `meta` (read by the caller, which has it
    /// from the directory walk).
    pub fn new(path: PathBuf, meta: &std::fs::Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        Self::with_key(path, meta.len(), mtime_ns)
    }

    /// The file at `path`, taken to be `size` bytes modified at `mtime_ns`.
    pub fn with_key(path: PathBuf, size: u64, mtime_ns: i64) -> Self {
        let key = SourceKey {
            location: path.display().to_string(),
            size,
            mtime_ns,
        };
        FileSource { path, key }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size when listed.
    pub fn size(&self) -> u64 {
        self.key.size
    }
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.key.location
    }

    fn key(&self) -> Option<&SourceKey> {
        Some(&self.key)
    }

    fn size_hint(&self) -> Option<u64> {
        Some(self.key.size)
    }

    fn open(&self, hashing: Hashing, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
        let file = File::open(&self.path).map_err(|source| IngestError::Input {
            path: self.path.clone(),
            source,
        })?;
        let again = Rereadable {
            path: self.path.clone(),
            start: 0,
            end: None,
        };
        open_raw(
            self.name(),
            Box::new(file),
            Some(again),
            hashing,
            counter,
            true,
        )
    }

    fn ranges(&self, workers: usize) -> Option<Vec<FileRange>> {
        guided_line_ranges(self, workers)
    }
}
