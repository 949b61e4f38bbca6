//! Reading sources into Arrow batches for a consumer, without a lake: what
//! `tripline detect <PATH>...` and rule tests run on.
//!
//! [`read_batches`] runs the [driver](crate::driver) with the
//! [channel sink](crate::sink::ChannelSink): sources are parsed in parallel (one
//! worker per core) and the consumer runs on the calling thread, so memory stays
//! bounded by `threads × batch + channel capacity` whatever the input size. Bad
//! records go to the quarantine directory exactly as in an ingest
//! (`<dir>/<source hash>.jsonl`), and the [`Summary`] counts them.
//! [`parse_records`] parses records already in memory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arrow::record_batch::RecordBatch;

use crate::driver::{self, Options, Progress, Records};
use crate::error::IngestError;
use crate::parse::{self, Family};
use crate::position::{Context, Position};
use crate::sink::{ChannelSink, MemoryOutput};
use crate::source;
use crate::summary::Summary;
use crate::table::Table;

/// How to read sources into batches.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Files, directories, or `-` for stdin.
    pub inputs: Vec<PathBuf>,
    /// Where quarantined records go, one file per source.
    pub quarantine: PathBuf,
    /// Worker threads.
    pub threads: usize,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Approximate bytes per batch (whichever limit is reached first).
    pub batch_bytes: usize,
    /// Largest record accepted, in bytes.
    pub max_record: usize,
    /// Accept only this family of records; `None` accepts both.
    pub only: Option<Family>,
}

impl StreamConfig {
    /// Defaults for `inputs`, quarantining into `quarantine`.
    pub fn new(inputs: Vec<PathBuf>, quarantine: PathBuf) -> Self {
        StreamConfig {
            inputs,
            quarantine,
            threads: crate::default_threads(),
            // Small enough that a batch's builders (~1.5 KiB per CloudTrail event) stay
            // a few MiB and are reused from the allocator's free pages: at 16Ki rows a
            // run kept ~6 batches of ~25 MiB in flight, and zeroing fresh pages for
            // them was a fifth of a one-core `detect` (perf). Per-batch costs of the
            // rule engine are negligible at this size.
            batch_rows: 4 * 1024,
            // No byte limit: the row limit alone keeps batches small, and `detect`'s
            // batches stay the size its benchmarks were tuned on.
            batch_bytes: usize::MAX,
            max_record: 16 << 20,
            only: None,
        }
    }
}

/// Batches of a source in flight between a worker and the consumer.
const CHANNEL_BATCHES: usize = 2;

/// Reads every source and calls `consume` with each batch, on the calling thread.
/// Stops early, returning the consumer's error, if `consume` fails.
pub fn read_batches<E>(
    cfg: &StreamConfig,
    progress: &Progress,
    mut consume: impl FnMut(Table, RecordBatch) -> Result<(), E>,
) -> Result<Result<Summary, E>, IngestError> {
    let started = Instant::now();
    let sources = source::expand(&cfg.inputs, None)?;
    let batch = (cfg.batch_rows, cfg.batch_bytes);
    let opts = Options::new(cfg.threads, batch, cfg.max_record, cfg.only);
    let (tx, rx) = crossbeam_channel::bounded::<(Table, RecordBatch)>(CHANNEL_BATCHES);
    let stop = AtomicBool::new(false);
    let mut consumer_error = None;
    let result = std::thread::scope(|s| {
        let sink = ChannelSink::new(tx, cfg.quarantine.clone(), &stop);
        // The driver owns the sink, whose sender it drops when the run ends: that
        // ends the loop below.
        let run = s.spawn(move || driver::run(&sources, &sink, &opts, progress));
        for (table, batch) in rx.iter() {
            if consumer_error.is_none() {
                if let Err(e) = consume(table, batch) {
                    // Keep draining so that workers blocked on the channel finish.
                    consumer_error = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        run.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    if let Some(e) = consumer_error {
        return Ok(Err(e));
    }
    let mut summary = result?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.quarantine_dir = cfg.quarantine.display().to_string();
    Ok(Ok(summary))
}

/// Records parsed in memory (rule tests, the streaming service's messages): the
/// batches, and the records that could not be parsed with their reasons.
#[derive(Debug, Default)]
pub struct Parsed {
    /// One batch per table that received rows.
    pub batches: Vec<(Table, RecordBatch)>,
    /// `(position, reason)` of each quarantined record.
    pub quarantined: Vec<(String, String)>,
    /// Counts, as in a run summary.
    pub summary: Summary,
}

/// Parses JSON or text records held in memory (each item one record, as one line of a
/// JSON-lines file would be), named `source` in positions.
pub fn parse_records<'a>(source: &str, records: impl IntoIterator<Item = &'a [u8]>) -> Parsed {
    // One batch per table: the rows are already in memory, so no limit applies.
    let opts = Options::new(1, (usize::MAX, usize::MAX), usize::MAX, None);
    let mut out = MemoryOutput::detached();
    let mut sink = Records::new(&opts, None, &mut out);
    let source: Arc<str> = Arc::from(source);
    let ctx = Context::default();
    for (i, bytes) in records.into_iter().enumerate() {
        let pos = Position {
            source: source.clone(),
            offset: 0,
            line: i as u64 + 1,
            index: None,
        };
        let trimmed = bytes.trim_ascii();
        if trimmed.first().is_some_and(|b| *b == b'{' || *b == b'[') {
            parse::json_record(trimmed, &pos, &ctx, &mut sink);
        } else {
            parse::text_record(trimmed, &pos, &ctx, &mut sink);
        }
    }
    // A memory output never fails.
    let summary = sink.end().expect("memory output cannot fail");
    let collected = out.take();
    Parsed {
        batches: collected.batches,
        quarantined: collected.quarantined,
        summary,
    }
}
