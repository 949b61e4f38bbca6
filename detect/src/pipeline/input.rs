//! Where a batch run's events come from: log files (through ingest's parsers, straight
//! to the pipeline) or the lake (every table, merged in event-time order). [`detect`]
//! runs a [`Pipeline`] over either; `tripline detect`, `eval` and `demo` call it.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use tripline_ingest::stream::{read_batches, StreamConfig};
use tripline_ingest::{Progress, Summary, Table};

use super::config::{InputOrder, PipelineConfig};
use super::merge::merge_streams;
use super::process::{Pipeline, PipelineOutput};
use crate::error::DetectError;
use crate::lake::{LakeOptions, LakeSession};

/// The events of a batch detection run.
#[derive(Debug, Clone)]
pub enum Input {
    /// Log files or directories (recursive), `-` for stdin; records that do not parse
    /// go to `quarantine`.
    Files {
        /// Paths to read.
        paths: Vec<PathBuf>,
        /// Where bad records go.
        quarantine: PathBuf,
    },
    /// The lake's tables, optionally only events in `[from, to)`.
    Lake {
        /// The lake's root.
        dir: PathBuf,
        /// Events at or after this time (RFC 3339 or a date).
        from: Option<String>,
        /// Events before this time.
        to: Option<String>,
    },
}

/// What [`detect`] produced.
pub struct DetectRun {
    /// The pipeline's findings and report.
    pub output: PipelineOutput,
    /// What ingest read, for file input.
    pub ingest: Option<Summary>,
}

/// Runs a pipeline over `input`. Files are unordered input: rules see batches as they
/// are parsed, detectors see them sorted at the end. A lake is read in event-time
/// order; its baselines (if built) are loaded for the detectors that need them unless
/// `cfg` brings its own.
pub fn detect(input: &Input, mut cfg: PipelineConfig) -> Result<DetectRun, DetectError> {
    match input {
        Input::Files { paths, quarantine } => {
            cfg.order = InputOrder::Any;
            let mut pipeline = Pipeline::new(cfg)?;
            let stream = StreamConfig::new(paths.clone(), quarantine.clone());
            let ingest = read_batches(&stream, &Progress::default(), |table, batch| {
                pipeline.process(table, &batch)
            })
            .map_err(|e| DetectError::Input(Box::new(e)))??;
            Ok(DetectRun {
                output: pipeline.finish()?,
                ingest: Some(ingest),
            })
        }
        Input::Lake { dir, from, to } => {
            cfg.order = InputOrder::EventTime;
            let hint = cfg.anomaly.is_some() && cfg.baselines.is_none();
            if hint {
                cfg.baselines = crate::baseline::load(dir)?;
            }
            let slack = cfg.lateness_us() / 2;
            let mut pipeline = Pipeline::new(cfg)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| DetectError::Internal(format!("starting the async runtime: {e}")))?;
            runtime.block_on(read_lake(
                dir,
                from.as_deref(),
                to.as_deref(),
                LakeOptions::default(),
                slack,
                |table, batch| pipeline.process(table, &batch),
            ))?;
            let mut output = pipeline.finish()?;
            for n in output.report.notes.iter_mut() {
                if n.ends_with("needs baselines") {
                    n.push_str(&format!(
                        " (run `tripline baseline build --lake {}`)",
                        dir.display()
                    ));
                }
            }
            Ok(DetectRun {
                output,
                ingest: None,
            })
        }
    }
}

/// Calls `consume` with every event of every table of the lake (optionally only
/// those with `from <= time < to`, RFC 3339 or a date), in event-time order across
/// tables up to `slack_us` (see [`merge_streams`]).
pub async fn read_lake(
    lake: &Path,
    from: Option<&str>,
    to: Option<&str>,
    options: LakeOptions,
    slack_us: i64,
    consume: impl FnMut(Table, RecordBatch) -> Result<(), DetectError>,
) -> Result<(), DetectError> {
    let session = LakeSession::open_with(lake, options).await?;
    let mut filter = Vec::new();
    for (op, t) in [(">=", from), ("<", to)] {
        if let Some(t) = t {
            let us = crate::baseline::parse_time(t).map_err(|reason| DetectError::Rules {
                path: "--from/--to".into(),
                reason,
            })?;
            // A literal we formatted ourselves: user text never reaches the SQL.
            filter.push((op, crate::finding::text::rfc3339(us)));
        }
    }
    let mut streams = Vec::new();
    for table in Table::ALL {
        let time = table.time_column();
        let columns: Vec<String> = table
            .schema()
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name()))
            .collect();
        let mut sql = format!("SELECT {} FROM {}", columns.join(", "), table.name());
        let conds: Vec<String> = filter
            .iter()
            .map(|(op, t)| format!("{time} {op} TIMESTAMP '{t}'"))
            .collect();
        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        // Each table in time order (the lake's files are scanned in parallel, in no
        // particular order; the sort spills under the session's memory limit); the
        // merge interleaves the tables.
        sql.push_str(&format!(" ORDER BY {time} ASC NULLS LAST"));
        let df = session.sql(&sql).await?;
        let stream = df
            .execute_stream()
            .await
            .map_err(|e| DetectError::Execution(Box::new(e)))?;
        streams.push((table, stream));
    }
    merge_streams(streams, slack_us, consume).await
}
