//! Atomic commit: every file of the lake is written somewhere readers do not look
//! (`_staging/`, or a dot-file beside its destination), synced, then renamed into
//! place, so a reader sees the old content or the new, never a partial file.
//!
//! - [`StagedParquet`]: a Parquet file written batch by batch, then closed and synced
//!   ([`StagedParquet::finish`]), ready for [`commit_file`].
//! - [`commit_file`]: the rename into place (parent created, directory synced).
//! - [`write_atomically`]: a small file (manifest entry, `CURRENT`, `meta.json`) in
//!   one call.
//! - [`staging_file`]: a fresh path under the lake's `_staging/`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::layout;
use crate::error::IngestError;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Lake {
        path: path.to_path_buf(),
        source,
    }
}

fn internal(path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Internal {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A new path under `<lake>/_staging/` (the directory is created), unique to this
/// process and call, ending in `-<name>`.
pub fn staging_file(lake: &Path, name: &str) -> Result<PathBuf, IngestError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = layout::staging_dir(lake);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Ok(dir.join(format!("{}-{n}-{name}", std::process::id())))
}

/// A Parquet file being written at a temporary path.
pub struct StagedParquet {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    rows: u64,
}

impl StagedParquet {
    /// Creates the file at `tmp` (its directory must exist) for batches of `schema`.
    pub fn create(
        tmp: PathBuf,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<Self, IngestError> {
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        let writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| internal(&tmp, e))?;
        Ok(StagedParquet {
            writer,
            tmp,
            rows: 0,
        })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        self.writer
            .write(batch)
            .map_err(|e| internal(&self.tmp, e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The temporary path.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Writes the footer and syncs the data to disk. Returns the temporary path and
    /// the rows written, for [`commit_file`].
    pub fn finish(self) -> Result<(PathBuf, u64), IngestError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| internal(&self.tmp, e))?;
        file.sync_all().map_err(io_err(&self.tmp))?;
        Ok((self.tmp, self.rows))
    }
}

/// Moves the complete file `tmp` to `dest` by rename (replacing a file there), after
/// creating `dest`'s directory. `tmp` and `dest` must be on one file system (both in
/// the lake). A writer that must know the renames are durable before it records them
/// elsewhere (ingest, before its manifest entry) calls [`sync_dir`] once after its
/// last commit, rather than paying a directory sync per file.
pub fn commit_file(tmp: &Path, dest: &Path) -> Result<(), IngestError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    std::fs::rename(tmp, dest).map_err(io_err(dest))
}

/// Makes the entries of `dir` durable. Best effort: not every file system can sync a
/// directory, and the data itself was synced before the rename.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` through `.<name>.tmp` in the same directory and a rename,
/// so readers see the old content or the new, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    let Some(name) = path.file_name() else {
        return Err(internal(path, "no file name"));
    };
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let mut file = File::create(&tmp).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    drop(file);
    commit_file(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn staged_files_appear_only_when_committed() {
        let lake = tempfile::tempdir().expect("temp dir");
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(vec![1, 2, 3]))],
        )
        .expect("valid batch");
        let tmp = staging_file(lake.path(), "t.parquet").expect("staging");
        assert!(tmp.starts_with(layout::staging_dir(lake.path())));
        let mut staged =
            StagedParquet::create(tmp, schema, WriterProperties::default()).expect("creates");
        staged.write(&batch).expect("writes");
        let dest = lake
            .path()
            .join(layout::partition_file("t", "2024-01-01", "part-x.parquet"));
        assert!(!dest.exists());
        let (tmp, rows) = staged.finish().expect("closes");
        assert_eq!(rows, 3);
        commit_file(&tmp, &dest).expect("commits");
        assert!(dest.is_file() && !tmp.exists());

        let current = lake.path().join("CURRENT");
        write_atomically(&current, b"v1\n").expect("writes");
        write_atomically(&current, b"v2\n").expect("rewrites");
        assert_eq!(std::fs::read_to_string(&current).expect("reads"), "v2\n");
        let left: Vec<_> = std::fs::read_dir(lake.path())
            .expect("lists")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
