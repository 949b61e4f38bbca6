//! The Parquet lake: `<lake>/table=<name>/date=YYYY-MM-DD/part-<source>.parquet`,
//! zstd-compressed, hive-partitioned, readable as-is by DuckDB, Spark, Athena, pyarrow
//! and `tripline query`.
//!
//! Crash safety comes from two rules. Every file is written under `<lake>/_staging/`
//! and renamed into place when complete, so a reader never sees a partial file. And
//! data files are named after the blake3 hash of the source they came from, so
//! re-ingesting a source after a crash *replaces* its files instead of adding rows: the
//! [`manifest`] then records the source as stored, and later runs skip it.

pub mod manifest;
pub mod writer;

use std::path::{Path, PathBuf};

pub use manifest::{Manifest, ManifestEntry};
pub use writer::SourceWriter;

/// Directory of staging files, on the same file system as the lake (rename is atomic).
pub fn staging_dir(lake: &Path) -> PathBuf {
    lake.join("_staging")
}

/// Default quarantine directory of a lake.
pub fn default_quarantine(lake: &Path) -> PathBuf {
    lake.join("_quarantine")
}

/// Directory of one table's partitions.
pub fn table_dir(lake: &Path, table: &str) -> PathBuf {
    lake.join(format!("table={table}"))
}
