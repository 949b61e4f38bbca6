//! Writes the batches of one source into staging Parquet files, one per table and
//! date, then moves them into their partitions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::TimestampMicrosecondType;
use arrow::record_batch::RecordBatch;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use super::commit::{commit_file, sync_dir, StagedParquet};
use super::layout;
use crate::error::IngestError;
use crate::parse::time::date_of;
use crate::table::Table;

/// Rows per Parquet row group: small enough to bound the memory the encoder holds per
/// open file, large enough for good compression and fast scans.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

const DAY_US: i64 = 86_400_000_000;

/// Columns whose values are (nearly) unique per row: dictionary encoding only costs
/// hashing there before Parquet falls back to plain encoding, so it is off for them.
const HIGH_CARDINALITY: &[&str] = &[
    "event_id",
    "request_id",
    "trigger_request_id",
    "source",
    "request_parameters",
    "response_elements",
    "resources",
    "additional_event_data",
    "user_identity",
    "payload",
    "headers",
    "message",
];

fn properties() -> WriterProperties {
    let mut b = WriterProperties::builder();
    for c in HIGH_CARDINALITY {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    b.set_writer_version(WriterVersion::PARQUET_2_0)
        // Level 1: most of zstd's ratio on log data at a fraction of the CPU of the
        // default level; ingest must outrun decompression.
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("level 1 is valid"),
        ))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("tripline {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The open files of one source.
pub struct SourceWriter {
    staging: PathBuf,
    files: BTreeMap<(Table, i64), StagedParquet>,
}

/// A data file ready to be moved into the lake.
#[derive(Debug)]
pub struct Written {
    /// Its table.
    pub table: Table,
    /// `YYYY-MM-DD` partition.
    pub date: String,
    /// Temporary path under staging.
    pub tmp: PathBuf,
    /// Rows in it.
    pub rows: u64,
}

impl SourceWriter {
    /// A writer whose files go to `staging` (a directory private to this source).
    pub fn new(staging: PathBuf) -> Self {
        SourceWriter {
            staging,
            files: BTreeMap::new(),
        }
    }

    /// Writes a batch of `table`, split by the UTC date of its time column.
    pub fn write(&mut self, table: Table, batch: RecordBatch) -> Result<(), IngestError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let col = batch
            .column_by_name(table.time_column())
            .expect("every table has its time column")
            .as_primitive::<TimestampMicrosecondType>()
            .clone();
        let days: Vec<i64> = col.values().iter().map(|t| t.div_euclid(DAY_US)).collect();
        let (min, max) = days
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), d| (a.min(*d), b.max(*d)));
        if min == max {
            return self.write_day(table, min, &batch);
        }
        let mut distinct: Vec<i64> = days.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for day in distinct {
            let mask = BooleanArray::from(days.iter().map(|d| *d == day).collect::<Vec<_>>());
            let part = filter_record_batch(&batch, &mask).map_err(|e| self.internal(e))?;
            self.write_day(table, day, &part)?;
        }
        Ok(())
    }

    fn internal(&self, e: impl std::fmt::Display) -> IngestError {
        IngestError::Internal {
            path: self.staging.clone(),
            message: e.to_string(),
        }
    }

    fn write_day(
        &mut self,
        table: Table,
        day: i64,
        batch: &RecordBatch,
    ) -> Result<(), IngestError> {
        if !self.files.contains_key(&(table, day)) {
            std::fs::create_dir_all(&self.staging).map_err(|source| IngestError::Lake {
                path: self.staging.clone(),
                source,
            })?;
            let tmp = self.staging.join(format!(
                "{}-{}.parquet",
                table.name(),
                date_of(day * DAY_US)
            ));
            let staged = StagedParquet::create(tmp, table.schema(), properties())?;
            self.files.insert((table, day), staged);
        }
        let staged = self.files.get_mut(&(table, day)).expect("inserted above");
        staged.write(batch)
    }

    /// Closes every file (footers written, data synced to disk).
    pub fn close(self) -> Result<Vec<Written>, IngestError> {
        let mut out = Vec::new();
        for ((table, day), staged) in self.files {
            let (tmp, rows) = staged.finish()?;
            out.push(Written {
                table,
                date: date_of(day * DAY_US),
                tmp,
                rows,
            });
        }
        Ok(out)
    }
}

/// Moves closed files into their partitions as `part-<hash>.parquet`, replacing a file
/// of the same source left by an interrupted run. Returns the lake-relative paths.
pub fn commit(lake: &Path, hash: &str, files: &[Written]) -> Result<Vec<String>, IngestError> {
    let mut paths = Vec::new();
    for f in files {
        let rel = layout::partition_file(f.table.name(), &f.date, &layout::part_file_name(hash));
        commit_file(&f.tmp, &lake.join(&rel))?;
        paths.push(rel);
    }
    if !files.is_empty() {
        // Make the renames durable before the manifest says the source is stored.
        sync_dir(lake);
    }
    Ok(paths)
}
