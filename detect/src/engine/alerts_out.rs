//! Findings appended to the lake's `alerts` table, so analysts query them with the
//! events (`tripline query --lake DIR "SELECT … FROM alerts"`).
//!
//! The table's place and the atomic write belong to the lake
//! ([`tripline_ingest::lake`]): `table=alerts/date=YYYY-MM-DD/part-<hash>.parquet`, one
//! file per date per run, staged under `_staging/` and renamed into place. The file
//! name is the hash of the findings' uids, and uids are stable, so running detect
//! again over the same input rewrites the same file instead of adding duplicates.

use std::collections::BTreeMap;
use std::path::Path;

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tripline_ingest::lake::{commit_file, layout, registry, staging_file, StagedParquet};

use crate::error::DetectError;
use crate::finding::to_batch;
use crate::model::Finding;

/// Writes `findings` into `<lake>/table=alerts/`. Returns the files written.
pub fn store_alerts(lake: &Path, findings: &[Finding]) -> Result<Vec<String>, DetectError> {
    let mut by_date: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for f in findings {
        let date = chrono::DateTime::from_timestamp_micros(f.last_seen_us)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "1970-01-01".into());
        by_date.entry(date).or_default().push(f.clone());
    }
    let mut written = Vec::new();
    for (date, group) in by_date {
        let mut uids: Vec<&str> = group.iter().map(|f| f.uid.as_str()).collect();
        uids.sort_unstable();
        let hash = blake3::hash(uids.join("\n").as_bytes()).to_hex();
        let name = layout::part_file_name(&hash);
        let batch = to_batch(&group)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let tmp = staging_file(lake, &format!("alerts-{name}"))?;
        let mut staged = StagedParquet::create(tmp, batch.schema(), props)?;
        staged.write(&batch)?;
        let (tmp, _) = staged.finish()?;
        let dest = lake.join(layout::partition_file(registry::ALERTS, &date, &name));
        commit_file(&tmp, &dest)?;
        written.push(dest.display().to_string());
    }
    // Best effort: the staging directory is empty unless another writer is running.
    let _ = std::fs::remove_dir(layout::staging_dir(lake));
    Ok(written)
}
