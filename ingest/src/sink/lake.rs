//! The lake as a [`BatchSink`]: each source's batches go to staging Parquet files,
//! moved into their partitions when the source ends, and the manifest then records
//! the source — unless it already holds one with the same content, in which case
//! everything written is discarded. Uses the layout and writers of [`crate::lake`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use arrow::record_batch::RecordBatch;

use super::{BatchSink, Outcome, SourceOutput};
use crate::error::{IngestError, RecordError};
use crate::lake::{self, Manifest, ManifestEntry, SourceWriter};
use crate::position::Position;
use crate::quarantine::QuarantineWriter;
use crate::source::{FileRange, Hashing, Source, SourceHash};
use crate::summary::Summary;
use crate::table::Table;

/// The Parquet lake at `lake`, quarantining into `quarantine`.
pub struct LakeSink {
    lake: PathBuf,
    quarantine: PathBuf,
    manifest: Mutex<Manifest>,
}

impl LakeSink {
    /// Opens (creating it if missing) the lake and loads its manifest.
    pub fn open(lake: &Path, quarantine: PathBuf) -> Result<Self, IngestError> {
        std::fs::create_dir_all(lake).map_err(|source| IngestError::Lake {
            path: lake.to_path_buf(),
            source,
        })?;
        Ok(LakeSink {
            lake: lake.to_path_buf(),
            quarantine,
            manifest: Mutex::new(Manifest::load(lake)?),
        })
    }

    fn manifest(&self) -> std::sync::MutexGuard<'_, Manifest> {
        // Held only around manifest reads and writes, which do not panic.
        self.manifest.lock().expect("manifest lock")
    }
}

/// A staging directory name no other source or run uses.
fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_nanos();
    format!(
        "{}-{t}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl BatchSink for LakeSink {
    fn hashing(&self) -> Hashing {
        Hashing::WhileReading
    }

    fn splits_sources(&self) -> bool {
        false
    }

    fn begin(
        &self,
        source: &dyn Source,
        _range: Option<&FileRange>,
    ) -> Result<Option<Box<dyn SourceOutput + '_>>, IngestError> {
        if let Some(k) = source.key() {
            if self.manifest().has_file(&k.location, k.size, k.mtime_ns) {
                return Ok(None);
            }
        }
        let staging = lake::staging_dir(&self.lake).join(unique());
        Ok(Some(Box::new(LakeOutput {
            sink: self,
            name: source.name().to_string(),
            size: source.key().map_or(0, |k| k.size),
            mtime_ns: source.key().map_or(0, |k| k.mtime_ns),
            writer: SourceWriter::new(staging.clone()),
            quarantine: QuarantineWriter::new(staging.join("quarantine.jsonl")),
            staging,
        })))
    }

    fn close(&self) {
        // Best effort: the staging directory is empty unless another run is in progress.
        let _ = std::fs::remove_dir(lake::staging_dir(&self.lake));
    }
}

/// One source on its way into the lake.
struct LakeOutput<'a> {
    sink: &'a LakeSink,
    name: String,
    size: u64,
    mtime_ns: i64,
    staging: PathBuf,
    writer: SourceWriter,
    quarantine: QuarantineWriter,
}

impl SourceOutput for LakeOutput<'_> {
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), IngestError> {
        self.writer.write(table, batch)
    }

    fn quarantine(
        &mut self,
        pos: &Position,
        raw: &[u8],
        reason: &RecordError,
    ) -> Result<(), IngestError> {
        self.quarantine.write(pos, raw, reason)
    }

    fn finish(
        self: Box<Self>,
        hash: &SourceHash,
        summary: &Summary,
    ) -> Result<Outcome, IngestError> {
        let hash = hash.finish()?;
        let files = self.writer.close()?;
        let mut manifest = self.sink.manifest();
        if manifest.has_hash(&hash) {
            self.quarantine.discard();
            let _ = std::fs::remove_dir_all(&self.staging);
            return Ok(Outcome::AlreadyStored);
        }
        let paths = lake::writer::commit(&self.sink.lake, &hash, &files)?;
        self.quarantine
            .commit(&self.sink.quarantine.join(format!("{}.jsonl", &hash[..32])))?;
        let _ = std::fs::remove_dir_all(&self.staging);
        let files = paths.len() as u64;
        manifest.record(&ManifestEntry {
            hash,
            path: self.name,
            size: self.size,
            mtime_ns: self.mtime_ns,
            records_in: summary.records_in,
            records_stored: summary.records_stored.clone(),
            records_quarantined: summary.records_quarantined,
            records_skipped: summary.records_skipped.values().sum(),
            files: paths,
            ingested_at: chrono::Utc::now().to_rfc3339(),
        })?;
        Ok(Outcome::Stored { files })
    }

    fn abort(self: Box<Self>) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}
