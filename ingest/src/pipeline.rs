//! An ingest run into the lake: [`IngestConfig`] and [`ingest`], the
//! [driver](crate::driver) with the command line's sources and the
//! [lake sink](crate::sink::LakeSink).

use std::path::PathBuf;
use std::time::Instant;

use crate::driver::{self, Options, Progress};
use crate::error::IngestError;
use crate::lake;
use crate::parse::Family;
use crate::sink::LakeSink;
use crate::source;
use crate::summary::Summary;

/// How to run an ingest.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Files, directories, or `-` for stdin.
    pub inputs: Vec<PathBuf>,
    /// The lake directory (created if missing).
    pub lake: PathBuf,
    /// Where quarantined records go (default `<lake>/_quarantine`).
    pub quarantine: Option<PathBuf>,
    /// Worker threads (default: the number of cores).
    pub threads: usize,
    /// Rows per batch handed to the Parquet writer.
    pub batch_rows: usize,
    /// Bytes per batch (whichever limit is reached first).
    pub batch_bytes: usize,
    /// Largest record accepted, in bytes; larger ones are quarantined.
    pub max_record: usize,
    /// Accept only this family of records (`--format`); `None` accepts both.
    pub only: Option<Family>,
}

impl IngestConfig {
    /// Defaults for `inputs` into `lake`.
    pub fn new(inputs: Vec<PathBuf>, lake: PathBuf) -> Self {
        IngestConfig {
            inputs,
            lake,
            quarantine: None,
            threads: crate::default_threads(),
            batch_rows: 16 * 1024,
            batch_bytes: 16 << 20,
            max_record: 16 << 20,
            only: None,
        }
    }
}

/// Runs an ingest. Fails only on an unreadable input path or an unwritable lake; bad
/// records are quarantined and counted.
pub fn ingest(cfg: &IngestConfig, progress: &Progress) -> Result<Summary, IngestError> {
    let started = Instant::now();
    let quarantine = cfg
        .quarantine
        .clone()
        .unwrap_or_else(|| lake::default_quarantine(&cfg.lake));
    let sink = LakeSink::open(&cfg.lake, quarantine.clone())?;
    let sources = source::expand(&cfg.inputs, Some(&cfg.lake))?;
    let batch = (cfg.batch_rows, cfg.batch_bytes);
    let opts = Options::new(cfg.threads, batch, cfg.max_record, cfg.only);
    let mut summary = driver::run(&sources, &sink, &opts, progress)?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.quarantine_dir = quarantine.display().to_string();
    Ok(summary)
}
