//! Reading sources into Arrow batches for a consumer, without a lake: what
//! `tripline detect <PATH>...` and rule tests run on.
//!
//! Sources are parsed in parallel (one worker per core, as in [`crate::pipeline`]); each
//! worker hands full batches to a bounded channel and the consumer runs on the calling
//! thread, so memory stays bounded by `threads × batch + channel capacity` whatever the
//! input size. Bad records go to the quarantine directory exactly as in an ingest
//! (`<dir>/<source hash>.jsonl`), and the [`Summary`] counts them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arrow::record_batch::RecordBatch;

use crate::error::{IngestError, RecordError};
use crate::parse::{self, Family, Sink};
use crate::pipeline::{parse_source, Progress, StoredCounts, Summary};
use crate::position::{Context, Position};
use crate::quarantine::QuarantineWriter;
use crate::source::{self, FileRange, SourceId};
use crate::table::{Table, Tables};

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
    let units = work_units(source::expand(&cfg.inputs, None)?, cfg.threads.max(1));
    progress
        .sources_total
        .store(units.len() as u64, Ordering::Relaxed);
    let next = AtomicUsize::new(0);
    let threads = cfg.threads.max(1).min(units.len().max(1));
    let (tx, rx) = crossbeam_channel::bounded::<(Table, RecordBatch)>(CHANNEL_BATCHES);
    let mut consumer_error = None;
    let results: Vec<Result<Summary, IngestError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (units, next) = (&units, &next);
                s.spawn(move || {
                    let mut total = Summary::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(unit) = units.get(i) else { break };
                        let one = stream_source(cfg, unit, &tx, progress)?;
                        progress.sources_done.fetch_add(1, Ordering::Relaxed);
                        total.merge(one);
                    }
                    Ok(total)
                })
            })
            .collect();
        drop(tx);
        for (table, batch) in rx.iter() {
            if consumer_error.is_none() {
                if let Err(e) = consume(table, batch) {
                    // Keep draining so that workers blocked on the channel finish.
                    consumer_error = Some(e);
                    next.store(usize::MAX / 2, Ordering::Relaxed);
                }
            }
        }
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if let Some(e) = consumer_error {
        return Ok(Err(e));
    }
    let mut summary = Summary::default();
    for r in results {
        summary.merge(r?);
    }
    summary.bytes_read = progress.bytes.load(Ordering::Relaxed);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.quarantine_dir = cfg.quarantine.display().to_string();
    summary.damaged_sources.sort();
    Ok(Ok(summary))
}

/// What one worker reads at a time: a whole source, or a range of a large JSON-lines
/// file ([`source::line_ranges`]) so that one big file still keeps every core busy.
enum Unit {
    Whole(SourceId),
    Range(SourceId, FileRange),
}

/// The sources as units of work for `threads` workers: a large JSON-lines file is cut
/// into ranges of decreasing size ([`source::guided_line_ranges`]), anything else is
/// read whole. The consumer shares a core with a worker, so workers do not progress
/// at the same pace: with equal ranges the last one taken was parsed alone while the
/// other workers idled (~0.2 s of a 1.2 s run on 2 cores, perf); ranges that shrink
/// to a few MiB at the end keep every worker busy until the last few MiB.
fn work_units(sources: Vec<SourceId>, threads: usize) -> Vec<Unit> {
    let mut units = Vec::with_capacity(sources.len());
    for src in sources {
        match source::guided_line_ranges(&src, threads) {
            Some(ranges) => units.extend(ranges.into_iter().map(|r| Unit::Range(src.clone(), r))),
            None => units.push(Unit::Whole(src)),
        }
    }
    units
}

/// The sink of one streamed source: batches go to the channel as they fill.
struct ChannelSink<'a> {
    cfg: &'a StreamConfig,
    /// The part of the file being read, when it is a range: its quarantine lines get
    /// line numbers in the whole file.
    range: Option<&'a FileRange>,
    tables: Tables,
    tx: &'a crossbeam_channel::Sender<(Table, RecordBatch)>,
    quarantine: QuarantineWriter,
    summary: Summary,
    stored: StoredCounts,
    error: Option<IngestError>,
}

impl ChannelSink<'_> {
    fn flush(&mut self, table: Table, force: bool) {
        let b = self.tables.get_mut(table);
        if b.is_empty() || (!force && b.len() < self.cfg.batch_rows) {
            return;
        }
        let batch = b.finish();
        *self
            .summary
            .rows_written
            .entry(table.name().into())
            .or_default() += batch.num_rows() as u64;
        // The consumer only hangs up after a failure it reports itself.
        let _ = self.tx.send((table, batch));
    }
}

impl Sink for ChannelSink<'_> {
    fn tables(&mut self) -> &mut Tables {
        &mut self.tables
    }

    fn stored(&mut self, table: Table) {
        self.stored.add(table, &mut self.summary);
        self.flush(table, false);
    }

    fn quarantined(&mut self, pos: &Position, raw: &[u8], reason: &RecordError) {
        self.summary.count_quarantined(reason);
        let mut in_file;
        let pos = match self.range.filter(|r| r.start > 0) {
            Some(r) => {
                in_file = pos.clone();
                in_file.line = r.line_in_file(pos.line);
                &in_file
            }
            None => pos,
        };
        if let Err(e) = self.quarantine.write(pos, raw, reason) {
            self.error.get_or_insert(e);
        }
    }

    fn skipped(&mut self, reason: &'static str) {
        self.summary.count_skipped(reason);
    }

    fn accepts(&self, family: Family) -> bool {
        self.cfg.only.is_none_or(|f| f == family)
    }
}

fn stream_source(
    cfg: &StreamConfig,
    unit: &Unit,
    tx: &crossbeam_channel::Sender<(Table, RecordBatch)>,
    progress: &Progress,
) -> Result<Summary, IngestError> {
    let (src, range) = match unit {
        Unit::Whole(src) => (src, None),
        Unit::Range(src, r) => (src, Some(r)),
    };
    let name = src.name();
    // The hash only names the quarantine file, which most runs never write: it is
    // taken from the file afterwards when needed, not from every byte as it is read.
    let opened = match range {
        Some(r) => r.open_unhashed(progress.bytes.clone())?,
        None => source::open_unhashed(src, progress.bytes.clone())?,
    };
    let hash = opened.hash.clone();
    let tmp = cfg
        .quarantine
        .join(format!(".tmp-{}-{}", std::process::id(), unique_suffix()));
    let mut sink = ChannelSink {
        cfg,
        range,
        tables: Tables::default(),
        tx,
        quarantine: QuarantineWriter::new(tmp),
        summary: Summary::default(),
        stored: StoredCounts::default(),
        error: None,
    };
    let start = range.map_or(0, |r| r.start);
    if let Some(damage) = parse_source(opened, &name, start, cfg.max_record, progress, &mut sink) {
        sink.summary.damaged_sources.push(damage);
    }
    for t in Table::ALL {
        sink.flush(t, true);
    }
    if let Some(e) = sink.error.take() {
        return Err(e);
    }
    sink.stored.fold_into(&mut sink.summary);
    if !sink.quarantine.is_empty() {
        let hash = hash.finish()?;
        sink.quarantine
            .commit(&cfg.quarantine.join(format!("{}.jsonl", &hash[..32])))?;
    }
    // A file read in ranges is one source, counted by its first range.
    sink.summary.sources_ingested = u64::from(start == 0);
    Ok(sink.summary)
}

fn unique_suffix() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
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
    struct MemSink {
        tables: Tables,
        parsed: Parsed,
        stored: StoredCounts,
    }
    impl Sink for MemSink {
        fn tables(&mut self) -> &mut Tables {
            &mut self.tables
        }
        fn stored(&mut self, table: Table) {
            self.stored.add(table, &mut self.parsed.summary);
        }
        fn quarantined(&mut self, pos: &Position, _raw: &[u8], reason: &RecordError) {
            self.parsed.summary.count_quarantined(reason);
            self.parsed
                .quarantined
                .push((pos.render(), reason.to_string()));
        }
        fn skipped(&mut self, reason: &'static str) {
            self.parsed.summary.count_skipped(reason);
        }
    }
    let mut sink = MemSink {
        tables: Tables::default(),
        parsed: Parsed::default(),
        stored: StoredCounts::default(),
    };
    let source: std::sync::Arc<str> = std::sync::Arc::from(source);
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
    let mut rows = BTreeMap::new();
    for t in Table::ALL {
        let b = sink.tables.get_mut(t);
        if !b.is_empty() {
            let batch = b.finish();
            rows.insert(t.name().to_string(), batch.num_rows() as u64);
            sink.parsed.batches.push((t, batch));
        }
    }
    sink.parsed.summary.rows_written = rows;
    sink.stored.fold_into(&mut sink.parsed.summary);
    sink.parsed
}
