//! An ingest run: every source split, parsed and written to the lake, in parallel
//! across sources (one worker per core), with bounded batches so memory does not grow
//! with the input.
//!
//! Each worker takes the next source, streams it through the [`Splitter`], appends rows
//! to its builders, and hands a builder to the source's Parquet files whenever it holds
//! `batch_rows` rows or `batch_bytes` bytes. When the source ends, its files are moved
//! into the lake and the manifest records it — unless the manifest already holds a
//! source with the same content, in which case everything written is discarded.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{IngestError, RecordError};
use crate::lake::{self, Manifest, ManifestEntry, SourceWriter};
use crate::parse::{self, Family, Sink};
use crate::position::{Context, Position};
use crate::quarantine::QuarantineWriter;
use crate::source::{self, Kind, Piece, SourceId, Splitter};
use crate::table::{Table, Tables};

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

/// Live counters, readable while a run is in progress (for progress bars).
#[derive(Debug, Default)]
pub struct Progress {
    /// Raw bytes read.
    pub bytes: Arc<AtomicU64>,
    /// Records read.
    pub records: AtomicU64,
    /// Sources finished.
    pub sources_done: AtomicU64,
    /// Sources in the run.
    pub sources_total: AtomicU64,
}

/// What a run did. `records_in = Σ records_stored + records_quarantined +
/// records_skipped` always holds.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Records read from the sources ingested in this run.
    pub records_in: u64,
    /// Records stored, per table.
    pub records_stored: BTreeMap<String, u64>,
    /// Rows written, per table (an SQS event of 10 messages is one record, 10 rows).
    pub rows_written: BTreeMap<String, u64>,
    /// Records quarantined.
    pub records_quarantined: u64,
    /// Records quarantined, per kind of reason.
    pub quarantined_by_kind: BTreeMap<String, u64>,
    /// Records that carry no event by design (control messages, digests), per reason.
    pub records_skipped: BTreeMap<String, u64>,
    /// Sources read and stored in this run.
    pub sources_ingested: u64,
    /// Sources skipped because the lake already holds them.
    pub sources_already_in_lake: u64,
    /// Sources whose stream ended early (truncated gzip, read error), with the error;
    /// the records before the damage were kept.
    pub damaged_sources: Vec<String>,
    /// Parquet files written.
    pub files_written: u64,
    /// Raw bytes read.
    pub bytes_read: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Where quarantined records were written.
    pub quarantine_dir: String,
}

impl Summary {
    /// Total records stored across tables.
    pub fn stored_total(&self) -> u64 {
        self.records_stored.values().sum()
    }

    /// Counts one quarantined record.
    pub(crate) fn count_quarantined(&mut self, reason: &RecordError) {
        self.records_in += 1;
        self.records_quarantined += 1;
        *self
            .quarantined_by_kind
            .entry(reason.kind().into())
            .or_default() += 1;
    }

    /// Counts one record skipped by design.
    pub(crate) fn count_skipped(&mut self, reason: &'static str) {
        self.records_in += 1;
        *self.records_skipped.entry(reason.into()).or_default() += 1;
    }

    /// Adds another run's counts to these.
    pub fn merge(&mut self, o: Summary) {
        self.records_in += o.records_in;
        for (k, v) in o.records_stored {
            *self.records_stored.entry(k).or_default() += v;
        }
        for (k, v) in o.rows_written {
            *self.rows_written.entry(k).or_default() += v;
        }
        self.records_quarantined += o.records_quarantined;
        for (k, v) in o.quarantined_by_kind {
            *self.quarantined_by_kind.entry(k).or_default() += v;
        }
        for (k, v) in o.records_skipped {
            *self.records_skipped.entry(k).or_default() += v;
        }
        self.sources_ingested += o.sources_ingested;
        self.sources_already_in_lake += o.sources_already_in_lake;
        self.damaged_sources.extend(o.damaged_sources);
        self.files_written += o.files_written;
    }
}

/// Records stored per table, in `Table::ALL` order: counted per record without the
/// allocation a map entry would cost on the hot path, folded into a [`Summary`] at the
/// end of a source.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StoredCounts([u64; 3]);

impl StoredCounts {
    /// Counts one record stored in `table`, in `summary.records_in` too.
    pub(crate) fn add(&mut self, table: Table, summary: &mut Summary) {
        summary.records_in += 1;
        let i = Table::ALL
            .iter()
            .position(|t| *t == table)
            .expect("ALL lists every table");
        self.0[i] += 1;
    }

    /// Moves the counts into `summary.records_stored`.
    pub(crate) fn fold_into(self, summary: &mut Summary) {
        for (t, n) in Table::ALL.iter().zip(self.0) {
            if n > 0 {
                *summary.records_stored.entry(t.name().into()).or_default() += n;
            }
        }
    }
}

/// Runs an ingest. Fails only on an unreadable input path or an unwritable lake; bad
/// records are quarantined and counted.
pub fn ingest(cfg: &IngestConfig, progress: &Progress) -> Result<Summary, IngestError> {
    let started = Instant::now();
    std::fs::create_dir_all(&cfg.lake).map_err(|source| IngestError::Lake {
        path: cfg.lake.clone(),
        source,
    })?;
    let sources = source::expand(&cfg.inputs, Some(&cfg.lake))?;
    progress
        .sources_total
        .store(sources.len() as u64, Ordering::Relaxed);
    let manifest = Mutex::new(Manifest::load(&cfg.lake)?);
    let next = AtomicUsize::new(0);
    let quarantine = cfg
        .quarantine
        .clone()
        .unwrap_or_else(|| lake::default_quarantine(&cfg.lake));
    let threads = cfg.threads.max(1).min(sources.len().max(1));
    let results: Vec<Result<Summary, IngestError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut total = Summary::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(src) = sources.get(i) else { break };
                        let one = ingest_source(cfg, src, &manifest, &quarantine, progress)?;
                        progress.sources_done.fetch_add(1, Ordering::Relaxed);
                        total.merge(one);
                    }
                    Ok(total)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut summary = Summary::default();
    for r in results {
        summary.merge(r?);
    }
    summary.bytes_read = progress.bytes.load(Ordering::Relaxed);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.quarantine_dir = quarantine.display().to_string();
    summary.damaged_sources.sort();
    // Best effort: the staging directory is empty unless another run is in progress.
    let _ = std::fs::remove_dir(lake::staging_dir(&cfg.lake));
    Ok(summary)
}

/// The sink of one source: builders, files, quarantine and counts.
struct SourceSink<'a> {
    cfg: &'a IngestConfig,
    tables: Tables,
    writer: SourceWriter,
    quarantine: QuarantineWriter,
    summary: Summary,
    /// Records stored per table.
    stored: StoredCounts,
    error: Option<IngestError>,
}

impl SourceSink<'_> {
    fn flush(&mut self, table: Table, force: bool) {
        let b = self.tables.get_mut(table);
        if b.is_empty()
            || (!force && b.len() < self.cfg.batch_rows && b.bytes() < self.cfg.batch_bytes)
        {
            return;
        }
        let batch = b.finish();
        *self
            .summary
            .rows_written
            .entry(table.name().into())
            .or_default() += batch.num_rows() as u64;
        if let Err(e) = self.writer.write(table, batch) {
            self.error.get_or_insert(e);
        }
    }
}

impl Sink for SourceSink<'_> {
    fn tables(&mut self) -> &mut Tables {
        &mut self.tables
    }

    fn stored(&mut self, table: Table) {
        self.stored.add(table, &mut self.summary);
        self.flush(table, false);
    }

    fn quarantined(&mut self, pos: &Position, raw: &[u8], reason: &RecordError) {
        self.summary.count_quarantined(reason);
        if let Err(e) = self.quarantine.write(pos, raw, reason) {
            self.error.get_or_insert(e);
        }
    }

    fn accepts(&self, family: Family) -> bool {
        self.cfg.only.is_none_or(|f| f == family)
    }

    fn skipped(&mut self, reason: &'static str) {
        self.summary.count_skipped(reason);
    }
}

fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_nanos();
    format!(
        "{}-{t}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn ingest_source(
    cfg: &IngestConfig,
    src: &SourceId,
    manifest: &Mutex<Manifest>,
    quarantine_dir: &std::path::Path,
    progress: &Progress,
) -> Result<Summary, IngestError> {
    let name = src.name();
    if src.path.is_some()
        && manifest
            .lock()
            .expect("manifest lock")
            .has_file(&name, src.size, src.mtime_ns)
    {
        return Ok(Summary {
            sources_already_in_lake: 1,
            ..Default::default()
        });
    }
    let staging = lake::staging_dir(&cfg.lake).join(unique());
    let mut sink = SourceSink {
        cfg,
        tables: Tables::default(),
        writer: SourceWriter::new(staging.clone()),
        quarantine: QuarantineWriter::new(staging.join("quarantine.jsonl")),
        summary: Summary::default(),
        stored: StoredCounts::default(),
        error: None,
    };
    let opened = source::open(src, progress.bytes.clone())?;
    let hash = opened.hash.clone();
    if let Some(damage) = parse_source(opened, &name, 0, cfg.max_record, progress, &mut sink) {
        sink.summary.damaged_sources.push(damage);
    }
    for t in Table::ALL {
        sink.flush(t, true);
    }
    if let Some(e) = sink.error.take() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let hash = hash.finish()?;
    let SourceSink {
        writer,
        quarantine,
        mut summary,
        stored,
        ..
    } = sink;
    stored.fold_into(&mut summary);
    let files = writer.close()?;
    let mut manifest = manifest.lock().expect("manifest lock");
    if manifest.has_hash(&hash) {
        quarantine.discard();
        let _ = std::fs::remove_dir_all(&staging);
        return Ok(Summary {
            sources_already_in_lake: 1,
            ..Default::default()
        });
    }
    let paths = lake::writer::commit(&cfg.lake, &hash, &files)?;
    quarantine.commit(&quarantine_dir.join(format!("{}.jsonl", &hash[..32])))?;
    let _ = std::fs::remove_dir_all(&staging);
    summary.files_written = paths.len() as u64;
    summary.sources_ingested = 1;
    manifest.record(&ManifestEntry {
        hash,
        path: name,
        size: src.size,
        mtime_ns: src.mtime_ns,
        records_in: summary.records_in,
        records_stored: summary.records_stored.clone(),
        records_quarantined: summary.records_quarantined,
        records_skipped: summary.records_skipped.values().sum(),
        files: paths,
        ingested_at: chrono::Utc::now().to_rfc3339(),
    })?;
    Ok(summary)
}

/// Parses one piece of a source into `sink`: a record, or a JSON line that is one
/// record unless its parse says otherwise (then it is split exactly and each record
/// inside is parsed).
fn record(
    piece: Piece<'_>,
    source: &Arc<str>,
    ctx: &Context,
    max_record: usize,
    progress: &Progress,
    sink: &mut dyn Sink,
) {
    let pos = Position {
        source: source.clone(),
        offset: piece.offset,
        line: piece.line,
        index: None,
    };
    if piece.kind == Kind::Line {
        if parse::json_line(source::line_value(piece.bytes), &pos, ctx, sink) {
            progress.records.fetch_add(1, Ordering::Relaxed);
            return;
        }
        return source::split_line(&piece, max_record, &mut |inner| {
            record(inner, source, ctx, max_record, progress, sink)
        });
    }
    progress.records.fetch_add(1, Ordering::Relaxed);
    if let Some(problem) = &piece.problem {
        return sink.quarantined(&pos, piece.bytes, problem);
    }
    match piece.kind {
        Kind::Json => parse::json_record(piece.bytes, &pos, ctx, sink),
        _ => parse::text_record(piece.bytes, &pos, ctx, sink),
    }
}

/// Splits one opened source into records and parses each into `sink`. Returns a
/// description of the damage when the stream ended early (truncated gzip, read
/// error); the records before it were parsed. `start` is the byte offset the reader
/// starts at in the source: 0, or a line start of a JSON-lines file read in ranges.
pub(crate) fn parse_source(
    opened: source::Opened,
    name: &str,
    start: u64,
    max_record: usize,
    progress: &Progress,
    sink: &mut dyn Sink,
) -> Option<String> {
    let source_name: Arc<str> = Arc::from(name);
    let ctx = Context::default();
    let gzip = opened.gzip;
    let mut splitter = match start {
        0 => Splitter::new(opened.reader, max_record),
        at => Splitter::line_oriented_at(opened.reader, max_record, at),
    }
    .fast_lines();
    let read = splitter.run(&mut |piece| {
        record(piece, &source_name, &ctx, max_record, progress, sink);
    });
    read.err().map(|e| {
        let what = if gzip {
            "gzip stream damaged"
        } else {
            "read error"
        };
        format!("{name}: {what} at byte {}: {e}", splitter.offset())
    })
}
