//! The lake, and its one owner: every path, table, atomic write and the manifest of
//! `<lake>/` is defined here, and every writer and reader (ingest, detect's alerts
//! and baselines, `tripline query`) goes through it.
//!
//! Tables are `<lake>/table=<name>/date=YYYY-MM-DD/part-<hash>.parquet`,
//! zstd-compressed, hive-partitioned, readable as-is by DuckDB, Spark, Athena, pyarrow
//! and `tripline query`.
//!
//! Crash safety comes from two rules. Every file is written under `<lake>/_staging/`
//! and renamed into place when complete, so a reader never sees a partial file. And
//! data files are named after the blake3 hash of what they hold (the source they came
//! from, or the findings' uids), so writing the same content again after a crash
//! *replaces* its files instead of adding rows: the [`manifest`] then records the
//! source as stored, and later runs skip it.
//!
//! # Modules
//!
//! - [`layout`]: the paths (`table=<name>`, `_manifest`, `_quarantine`, `_staging`,
//!   `_baselines`) and the reserved directory names.
//! - [`registry`]: [`LakeTable`], every table with its directory, partitioning, format
//!   and schema ([`registry::TABLES`]).
//! - [`commit`]: atomic writes — [`StagedParquet`], [`commit_file`],
//!   [`write_atomically`].
//! - [`writer`]: [`SourceWriter`], one ingested source into staged files per table and
//!   date.
//! - [`manifest`]: [`Manifest`], the sources the lake holds.
//! - [`versions`]: versioned tables (`_baselines/v<ts>/` and `CURRENT`).

pub mod commit;
pub mod layout;
pub mod manifest;
pub mod registry;
pub mod versions;
pub mod writer;

pub use commit::{commit_file, staging_file, write_atomically, StagedParquet};
pub use layout::{default_quarantine, staging_dir, table_dir};
pub use manifest::{Manifest, ManifestEntry};
pub use registry::{Format, LakeTable, Partitioning};
pub use writer::SourceWriter;
