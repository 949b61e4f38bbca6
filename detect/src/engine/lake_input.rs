//! Events read back from the lake for detection (`tripline detect --lake DIR`), in
//! event-time order, streamed batch by batch through the read-only session and conformed to each table's
//! canonical schema (the lake adds a `date` partition column, and Parquet may hand
//! strings back as views).

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use futures::StreamExt;
use tripline_ingest::Table;

use crate::error::DetectError;
use crate::lake::{LakeOptions, LakeSession};

/// Calls `consume` with every event of the detection tables in the lake, optionally
/// only those with `from <= time < to` (RFC 3339 or a date).
pub async fn read_lake(
    lake: &Path,
    from: Option<&str>,
    to: Option<&str>,
    options: LakeOptions,
    mut consume: impl FnMut(Table, RecordBatch) -> Result<(), DetectError>,
) -> Result<(), DetectError> {
    let session = LakeSession::open_with(lake, options).await?;
    for table in [Table::CloudTrail, Table::Invocations] {
        let time = table.time_column();
        let mut filter = Vec::new();
        for (op, t) in [(">=", from), ("<", to)] {
            if let Some(t) = t {
                let us = crate::baseline::parse_time(t).map_err(|reason| DetectError::Rules {
                    path: "--from/--to".into(),
                    reason,
                })?;
                // A literal we formatted ourselves: user text never reaches the SQL.
                filter.push(format!(
                    "{time} {op} TIMESTAMP '{}'",
                    crate::finding::text::rfc3339(us)
                ));
            }
        }
        let columns: Vec<String> = table
            .schema()
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name()))
            .collect();
        let mut sql = format!("SELECT {} FROM {}", columns.join(", "), table.name());
        if !filter.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&filter.join(" AND "));
        }
        // Time order: detectors close windows as event time advances (lateness), and
        // the lake's files are scanned in parallel, in no particular order. The sort
        // spills under the session's memory limit.
        sql.push_str(&format!(" ORDER BY {time}"));
        let df = session.sql(&sql).await?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| DetectError::Execution(Box::new(e)))?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| DetectError::Execution(Box::new(e)))?;
            consume(table, conform(table, &batch)?)?;
        }
    }
    Ok(())
}

/// Casts `batch` to `table`'s canonical schema, column by column by name.
pub fn conform(table: Table, batch: &RecordBatch) -> Result<RecordBatch, DetectError> {
    let schema = table.schema();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col = batch.column_by_name(field.name()).ok_or_else(|| {
            DetectError::Internal(format!(
                "lake table {} lacks column {}",
                table.name(),
                field.name()
            ))
        })?;
        columns.push(if col.data_type() == field.data_type() {
            col.clone()
        } else {
            cast(col, field.data_type()).map_err(|e| DetectError::Internal(e.to_string()))?
        });
    }
    RecordBatch::try_new(schema, columns).map_err(|e| DetectError::Internal(e.to_string()))
}
