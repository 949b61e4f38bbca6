//! Findings appended to the lake's `alerts` table, so analysts query them with the
//! events (`tripline query --lake DIR "SELECT … FROM alerts"`).
//!
//! Layout as for the other tables: `table=alerts/date=YYYY-MM-DD/part-<hash>.parquet`,
//! one file per date per run, written under `_staging/` and renamed into place. The
//! file name is the hash of the findings' uids, and uids are stable, so running detect
//! again over the same input rewrites the same file instead of adding duplicates.

use std::collections::BTreeMap;
use std::path::Path;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

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
    let lake_err = |path: &Path, e: &dyn std::fmt::Display| DetectError::Lake {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let staging = lake.join("_staging");
    std::fs::create_dir_all(&staging).map_err(|e| lake_err(&staging, &e))?;
    let mut written = Vec::new();
    for (date, group) in by_date {
        let mut uids: Vec<&str> = group.iter().map(|f| f.uid.as_str()).collect();
        uids.sort_unstable();
        let hash = blake3::hash(uids.join("\n").as_bytes()).to_hex();
        let dir = lake.join("table=alerts").join(format!("date={date}"));
        std::fs::create_dir_all(&dir).map_err(|e| lake_err(&dir, &e))?;
        let name = format!("part-{}.parquet", &hash[..32]);
        let tmp = staging.join(format!("alerts-{}-{name}", std::process::id()));
        let batch = to_batch(&group)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let file = std::fs::File::create(&tmp).map_err(|e| lake_err(&tmp, &e))?;
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props))
            .map_err(|e| lake_err(&tmp, &e))?;
        w.write(&batch).map_err(|e| lake_err(&tmp, &e))?;
        let file = w.into_inner().map_err(|e| lake_err(&tmp, &e))?;
        file.sync_all().map_err(|e| lake_err(&tmp, &e))?;
        let dest = dir.join(&name);
        std::fs::rename(&tmp, &dest).map_err(|e| lake_err(&dest, &e))?;
        written.push(dest.display().to_string());
    }
    let _ = std::fs::remove_dir(&staging);
    Ok(written)
}
