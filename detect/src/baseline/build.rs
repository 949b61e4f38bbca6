//! [`build`]: run the baseline queries over the lake and persist a new version.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use arrow::array::{Array, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use tripline_ingest::lake::{commit_file, versions, write_atomically, StagedParquet};
use tripline_ingest::Table;

use super::{
    baselines_dir, keys, sql, BaselineMeta, BaselineOptions, BaselineSummary, TimeRange, FORMAT,
    META,
};
use crate::error::DetectError;
use crate::lake::LakeSession;

/// Builds a new baseline version of the lake at `lake` and makes it current.
///
/// Each table of [`sql::TABLES`] is one query, streamed (`execute_stream`) into its
/// Parquet file batch by batch, under the session's memory limit
/// ([`BaselineOptions::lake`]): aggregations and sorts spill to disk beyond it. The
/// version's directory is removed again if any step fails, and `CURRENT` keeps
/// naming the previous version.
pub async fn build(lake: &Path, opts: &BaselineOptions) -> Result<BaselineSummary, DetectError> {
    let started = Instant::now();
    let session = LakeSession::open_with(lake, opts.lake.clone()).await?;
    keys::register_udfs(session.context());
    limit_sort_reservation(&session).await?;

    let time_range = resolve_range(&session, opts).await?;
    let built_at_us = opts.now_us.unwrap_or_else(now_us);
    let root = baselines_dir(lake);
    let (version, dir) = versions::new_version_dir(&root, built_at_us.div_euclid(1_000_000))?;

    let written = write_tables(&session, &dir, time_range, opts).await;
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            // Best effort: a failed build leaves nothing behind but spill files.
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    let meta = BaselineMeta {
        format: FORMAT,
        version: version.clone(),
        built_at: sql::literal(built_at_us),
        built_at_us,
        time_range,
        rows,
        top_shapes: opts.top_shapes,
        memory_limit: opts.lake.memory_limit,
    };
    let json = serde_json::to_vec_pretty(&meta)
        .map_err(|e| DetectError::Internal(format!("serialising baseline metadata: {e}")))?;
    write_atomically(&dir.join(META), &json)?;
    versions::set_current(&root, &version)?;
    tracing::info!(%version, dir = %dir.display(), "Built baselines.");
    Ok(BaselineSummary {
        meta,
        dir,
        elapsed: started.elapsed(),
    })
}

/// Sorts reserve memory up front for merging their spill files (10 MiB each by
/// default): under a small limit, with one sort per partition, that reservation alone
/// would exhaust the pool. Reserve a share of the limit instead, so small limits spill
/// rather than fail.
async fn limit_sort_reservation(session: &LakeSession) -> Result<(), DetectError> {
    let limit = session.options().memory_limit;
    let partitions = session
        .context()
        .state()
        .config()
        .target_partitions()
        .max(1);
    let bytes = (limit / (4 * partitions)).clamp(64 << 10, 10 << 20);
    let set = format!("SET datafusion.execution.sort_spill_reservation_bytes = {bytes}");
    let df = session
        .context()
        .sql(&set)
        .await
        .map_err(|e| DetectError::Internal(format!("configuring the build session: {e}")))?;
    df.collect()
        .await
        .map_err(|e| DetectError::Internal(format!("configuring the build session: {e}")))?;
    Ok(())
}

/// The range the build covers: the options' bounds, each missing one taken from the
/// data (first event; last event + 1 µs). `None` when no event falls in the bounds.
async fn resolve_range(
    session: &LakeSession,
    opts: &BaselineOptions,
) -> Result<Option<TimeRange>, DetectError> {
    if let (Some(start), Some(end)) = (opts.from_us, opts.to_us) {
        return Ok((start < end).then(|| TimeRange::new(start, end)));
    }
    let mut bounds: Option<(i64, i64)> = None;
    for table in Table::ALL {
        let col = table.time_column();
        let mut conditions = Vec::new();
        if let Some(from) = opts.from_us {
            conditions.push(format!("{col} >= '{}'", sql::literal(from)));
        }
        if let Some(to) = opts.to_us {
            conditions.push(format!("{col} < '{}'", sql::literal(to)));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let query = format!(
            "SELECT CAST(min({col}) AS BIGINT) AS lo, CAST(max({col}) AS BIGINT) AS hi \
             FROM {}{filter}",
            table.name()
        );
        let df = session
            .context()
            .sql(&query)
            .await
            .map_err(|e| DetectError::from_planning(e, session.root()))?;
        let result = session.collect(df).await?;
        for batch in &result.batches {
            let lo = int_column(batch.column(0))?;
            let hi = int_column(batch.column(1))?;
            for i in 0..batch.num_rows() {
                if lo.is_null(i) || hi.is_null(i) {
                    continue;
                }
                let (l, h) = (lo.value(i), hi.value(i));
                bounds = Some(match bounds {
                    Some((a, b)) => (a.min(l), b.max(h)),
                    None => (l, h),
                });
            }
        }
    }
    Ok(bounds.map(|(lo, hi)| {
        TimeRange::new(
            opts.from_us.unwrap_or(lo),
            opts.to_us.unwrap_or(hi.saturating_add(1)),
        )
    }))
}

fn int_column(array: &dyn Array) -> Result<Int64Array, DetectError> {
    let cast = cast(array, &DataType::Int64)
        .map_err(|e| DetectError::Internal(format!("reading a time bound: {e}")))?;
    cast.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| DetectError::Internal("time bound is not an integer".into()))
}

/// Runs every query and writes its table; returns the rows per table.
async fn write_tables(
    session: &LakeSession,
    dir: &Path,
    range: Option<TimeRange>,
    opts: &BaselineOptions,
) -> Result<BTreeMap<String, u64>, DetectError> {
    // With no data, the queries run over an empty range and write empty tables, so
    // that loading finds every file.
    let range = range.unwrap_or(TimeRange::new(0, 0));
    let mut rows = BTreeMap::new();
    for query in sql::queries(&range, opts.top_shapes.max(1)) {
        let n = write_table(session, dir, query.name, &query.sql).await?;
        tracing::debug!(table = query.name, rows = n, "Wrote baseline table.");
        rows.insert(query.name.to_owned(), n);
    }
    Ok(rows)
}

/// Rows per Parquet row group of a baseline table.
const BASELINE_ROW_GROUP: usize = 64 * 1024;

/// Streams the queries of one table, one after the other, into `<dir>/<name>.parquet`
/// (written as `.<name>.parquet.tmp`, then renamed).
async fn write_table(
    session: &LakeSession,
    dir: &Path,
    name: &str,
    queries: &[String],
) -> Result<u64, DetectError> {
    let root = session.root();
    let limit = session.options().memory_limit;
    // Staged beside its destination: the version directory is itself unpublished
    // until `CURRENT` names it, and a failed build removes it whole.
    let tmp = dir.join(format!(".{name}.parquet.tmp"));
    let path = dir.join(format!("{name}.parquet"));
    // Row groups of 64k rows: the writer holds a whole row group in memory, and the
    // largest tables (values per principal) grow with the number of distinct values.
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(BASELINE_ROW_GROUP))
        .build();
    let mut writer: Option<(StagedParquet, arrow::datatypes::SchemaRef)> = None;
    for query in queries {
        let df = session
            .context()
            .sql(query)
            .await
            .map_err(|e| internal_query(name, DetectError::from_planning(e, root)))?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| internal_query(name, DetectError::from_planning(e, root)))?;
        let (w, schema) = match &mut writer {
            Some((w, schema)) => (w, schema.clone()),
            None => {
                let schema = stream.schema();
                let w = StagedParquet::create(tmp.clone(), schema.clone(), props.clone())?;
                (&mut writer.insert((w, schema.clone())).0, schema)
            }
        };
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| DetectError::from_execution(e, root, limit))?;
            // The parts of a table select the same columns; only nullability may
            // differ between them, so the batch takes the file's schema.
            let batch =
                RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(|e| {
                    DetectError::Internal(format!(
                        "the queries of baseline table {name} disagree on columns: {e}"
                    ))
                })?;
            w.write(&batch)?;
        }
    }
    let Some((writer, _)) = writer else {
        return Err(DetectError::Internal(format!(
            "baseline table {name} has no query"
        )));
    };
    let (tmp, rows) = writer.finish()?;
    commit_file(&tmp, &path)?;
    Ok(rows)
}

/// A planning error of one of our own queries is a bug, not the user's SQL; other
/// errors (the lake, memory) keep their blame.
fn internal_query(table: &str, err: DetectError) -> DetectError {
    match err {
        DetectError::Plan(e) => DetectError::Internal(format!(
            "the query of baseline table {table} does not plan: {}",
            e.strip_backtrace()
        )),
        other => other,
    }
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
