//! The ingest driver: sources → split → parse → batch → sink, in parallel.
//!
//! One worker per core takes the next unit of work — a [`Source`], or a range of a
//! large JSON-lines file ([`FileRange`], when the sink allows it) so that one big file
//! still keeps every core busy — opens it, streams it through the
//! [`Splitter`](crate::source::Splitter), parses each record into the table builders
//! of [`Records`], and hands a builder's rows to the unit's [`SourceOutput`] as a
//! batch whenever the [`BatchPolicy`] says it is full. When the unit ends, the sink
//! makes its output durable ([`SourceOutput::finish`]). Memory stays bounded by
//! `threads × batch` (plus what the sink buffers) whatever the input size.
//!
//! `tripline ingest` drives this with the lake sink ([`crate::pipeline::ingest`]),
//! `tripline detect <PATH>` with the channel sink ([`crate::stream::read_batches`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::error::{IngestError, RecordError};
use crate::parse::{self, Family, Sink};
use crate::position::{Context, Position};
use crate::sink::{BatchSink, Outcome, SourceOutput};
use crate::source::{self, FileRange, Kind, Opened, Piece, Source, Splitter};
use crate::summary::{StoredCounts, Summary};
use crate::table::{Table, TableBuilder, Tables};

/// When a table's pending rows become a batch: at `rows` rows or `bytes` bytes,
/// whichever comes first (and at the end of each unit of work).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Rows per batch.
    pub rows: usize,
    /// Approximate bytes per batch ([`TableBuilder::bytes`]).
    pub bytes: usize,
}

impl BatchPolicy {
    fn full(&self, b: &dyn TableBuilder) -> bool {
        b.len() >= self.rows || b.bytes() >= self.bytes
    }
}

/// How the driver runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Worker threads (at least one is used).
    pub threads: usize,
    /// When pending rows become a batch.
    pub batch: BatchPolicy,
    /// Largest record accepted, in bytes; larger ones are quarantined.
    pub max_record: usize,
    /// Accept only this family of records (`--format`); `None` accepts both.
    pub only: Option<Family>,
}

impl Options {
    /// Options of a run with `threads` workers, batches of `rows` rows or `bytes`
    /// bytes, records up to `max_record` bytes, and only the family `only` if given.
    pub fn new(
        threads: usize,
        (rows, bytes): (usize, usize),
        max_record: usize,
        only: Option<Family>,
    ) -> Self {
        Options {
            threads,
            batch: BatchPolicy { rows, bytes },
            max_record,
            only,
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
    /// Units of work finished (sources, or ranges of a large file).
    pub sources_done: AtomicU64,
    /// Units of work in the run.
    pub sources_total: AtomicU64,
}

/// One unit of work: a source whole, or a range of it.
struct Unit<'a> {
    source: &'a dyn Source,
    range: Option<FileRange>,
}

/// The sources as units of work for `threads` workers. A large JSON-lines file is cut
/// into ranges of decreasing size ([`source::guided_line_ranges`]) when the sink
/// allows it; anything else is read whole. When a consumer shares a core with a
/// worker, workers do not progress at the same pace: with equal ranges the last one
/// taken was parsed alone while the other workers idled (~0.2 s of a 1.2 s run on 2
/// cores, perf); ranges that shrink to a few MiB at the end keep every worker busy
/// until the last few MiB.
fn units<'a>(sources: &'a [Box<dyn Source>], split: bool, threads: usize) -> Vec<Unit<'a>> {
    let mut units = Vec::with_capacity(sources.len());
    for src in sources {
        let source = src.as_ref();
        match split.then(|| source.ranges(threads)).flatten() {
            Some(ranges) => units.extend(ranges.into_iter().map(|r| Unit {
                source,
                range: Some(r),
            })),
            None => units.push(Unit {
                source,
                range: None,
            }),
        }
    }
    units
}

/// Reads every source into `sink`. Fails on an unreadable source or a sink error; bad
/// records are quarantined and counted. The summary's `quarantine_dir` is left to the
/// caller, which knows where the sink puts it.
pub fn run(
    sources: &[Box<dyn Source>],
    sink: &dyn BatchSink,
    opts: &Options,
    progress: &Progress,
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    let units = units(sources, sink.splits_sources(), opts.threads.max(1));
    progress
        .sources_total
        .store(units.len() as u64, Ordering::Relaxed);
    let next = AtomicUsize::new(0);
    let threads = opts.threads.max(1).min(units.len().max(1));
    let results: Vec<Result<Summary, IngestError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut total = Summary::default();
                    while !sink.stopped() {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(unit) = units.get(i) else { break };
                        let one = run_unit(unit, sink, opts, progress)?;
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
    sink.close();
    let mut summary = Summary::default();
    for r in results {
        summary.merge(r?);
    }
    summary.bytes_read = progress.bytes.load(Ordering::Relaxed);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.damaged_sources.sort();
    Ok(summary)
}

fn run_unit(
    unit: &Unit<'_>,
    sink: &dyn BatchSink,
    opts: &Options,
    progress: &Progress,
) -> Result<Summary, IngestError> {
    let already = || Summary {
        sources_already_in_lake: 1,
        ..Default::default()
    };
    let Some(mut out) = sink.begin(unit.source, unit.range.as_ref())? else {
        return Ok(already());
    };
    let counter = progress.bytes.clone();
    let opened = match &unit.range {
        Some(r) => r.open(sink.hashing(), counter)?,
        None => unit.source.open(sink.hashing(), counter)?,
    };
    let hash = opened.hash.clone();
    let start = unit.range.as_ref().map_or(0, |r| r.start);
    let mut records = Records::new(opts, unit.range.as_ref(), out.as_mut());
    let name = unit.source.name();
    if let Some(damage) = parse_source(opened, name, start, opts.max_record, progress, &mut records)
    {
        records.summary.damaged_sources.push(damage);
    }
    let mut summary = match records.end() {
        Ok(s) => s,
        Err(e) => {
            out.abort();
            return Err(e);
        }
    };
    match out.finish(&hash, &summary)? {
        Outcome::AlreadyStored => Ok(already()),
        Outcome::Stored { files } => {
            summary.files_written = files;
            // A file read in ranges is one source, counted by its first range.
            summary.sources_ingested = u64::from(start == 0);
            Ok(summary)
        }
    }
}

/// The parsers' [`Sink`] for one unit of work: the table builders, the batching
/// policy, the counts, and the unit's output.
pub(crate) struct Records<'a> {
    batch: BatchPolicy,
    only: Option<Family>,
    /// The part of the file being read, when it is a range: its quarantine lines get
    /// line numbers in the whole file.
    range: Option<&'a FileRange>,
    tables: Tables,
    out: &'a mut dyn SourceOutput,
    summary: Summary,
    stored: StoredCounts,
    /// The first error of the output; the unit fails with it at the end.
    error: Option<IngestError>,
}

impl<'a> Records<'a> {
    /// Records of one unit going to `out`.
    pub(crate) fn new(
        opts: &Options,
        range: Option<&'a FileRange>,
        out: &'a mut dyn SourceOutput,
    ) -> Self {
        Records {
            batch: opts.batch,
            only: opts.only,
            range,
            tables: Tables::default(),
            out,
            summary: Summary::default(),
            stored: StoredCounts::default(),
            error: None,
        }
    }

    fn flush(&mut self, table: Table, force: bool) {
        let b = self.tables.get_mut(table);
        if b.is_empty() || (!force && !self.batch.full(b)) {
            return;
        }
        let batch = b.finish();
        *self
            .summary
            .rows_written
            .entry(table.name().into())
            .or_default() += batch.num_rows() as u64;
        if self.error.is_none() {
            if let Err(e) = self.out.batch(table, batch) {
                self.error = Some(e);
            }
        }
    }

    /// Hands the pending rows over and returns the unit's counts, or the first error
    /// of its output.
    pub(crate) fn end(mut self) -> Result<Summary, IngestError> {
        for t in Table::ALL {
            self.flush(t, true);
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        self.stored.fold_into(&mut self.summary);
        Ok(self.summary)
    }
}

impl Sink for Records<'_> {
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
        if let Err(e) = self.out.quarantine(pos, raw, reason) {
            self.error.get_or_insert(e);
        }
    }

    fn skipped(&mut self, reason: &'static str) {
        self.summary.count_skipped(reason);
    }

    fn accepts(&self, family: Family) -> bool {
        self.only.is_none_or(|f| f == family)
    }
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
fn parse_source(
    opened: Opened,
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

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::AtomicBool;

    use arrow::array::AsArray;
    use arrow::compute::concat_batches;
    use arrow::record_batch::RecordBatch;

    use super::*;
    use crate::sink::{ChannelSink, MemorySink};
    use crate::source::{open_raw, Hashing, SourceKey};

    /// A source that is no file: bytes held in memory (as a Kafka message or an S3
    /// object body would be), gzip or not.
    #[derive(Debug)]
    struct Bytes {
        name: String,
        data: Vec<u8>,
    }

    impl Source for Bytes {
        fn name(&self) -> &str {
            &self.name
        }
        fn key(&self) -> Option<&SourceKey> {
            None
        }
        fn size_hint(&self) -> Option<u64> {
            Some(self.data.len() as u64)
        }
        fn open(&self, hashing: Hashing, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
            let raw = Box::new(Cursor::new(self.data.clone()));
            open_raw(&self.name, raw, None, hashing, counter, true)
        }
    }

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(rel)
    }

    fn opts(rows: usize) -> Options {
        Options {
            threads: 2,
            batch: BatchPolicy {
                rows,
                bytes: usize::MAX,
            },
            max_record: 16 << 20,
            only: None,
        }
    }

    /// Every row of `table` in `batches`, as one batch.
    fn rows(batches: &[(Table, RecordBatch)], table: Table) -> RecordBatch {
        let of: Vec<&RecordBatch> = batches
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, b)| b)
            .collect();
        concat_batches(&table.schema(), of).unwrap()
    }

    #[test]
    fn a_source_in_memory_reads_like_the_file_it_came_from() {
        let path = fixture("cloudtrail/eventbridge.jsonl");
        let data = std::fs::read(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let name = path.display().to_string();
        let from_file = source::expand(std::slice::from_ref(&path), None).unwrap();
        let from_memory: Vec<Box<dyn Source>> = vec![Box::new(Bytes {
            name,
            data: gz.finish().unwrap(),
        })];
        let mut got = Vec::new();
        for sources in [from_file, from_memory] {
            let sink = MemorySink::default();
            let summary = run(&sources, &sink, &opts(1), &Progress::default()).unwrap();
            assert_eq!(summary.sources_ingested, 1);
            let collected = sink.into_collected();
            // One row a batch: the policy cut the source's rows.
            assert!(collected.batches.iter().all(|(_, b)| b.num_rows() == 1));
            got.push((
                summary.records_in,
                rows(&collected.batches, Table::CloudTrail),
            ));
        }
        assert!(got[0].0 > 1, "{} records", got[0].0);
        assert_eq!(got[0], got[1]);
    }

    #[test]
    fn the_channel_and_memory_sinks_receive_the_same_rows() {
        let sources = source::expand(&[fixture("lambda")], None).unwrap();
        let memory = MemorySink::default();
        let expected = run(&sources, &memory, &opts(2), &Progress::default()).unwrap();
        let memory = memory.into_collected();
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = AtomicBool::new(false);
        let sink = ChannelSink::new(tx, dir.path().to_path_buf(), &stop);
        let summary = run(&sources, &sink, &opts(2), &Progress::default()).unwrap();
        drop(sink);
        let sent: Vec<(Table, RecordBatch)> = rx.iter().collect();
        assert_eq!(summary.records_in, expected.records_in);
        assert_eq!(summary.rows_written, expected.rows_written);
        for t in [Table::Invocations, Table::LambdaRuntime] {
            let (a, b) = (rows(&sent, t), rows(&memory.batches, t));
            assert!(a.num_rows() > 0, "{t:?}");
            // Units finish in any order across workers: compare as sets of rows.
            let mut a: Vec<String> = (0..a.num_rows()).map(|i| row_text(&a, i)).collect();
            let mut b: Vec<String> = (0..b.num_rows()).map(|i| row_text(&b, i)).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{t:?}");
        }
    }

    fn row_text(b: &RecordBatch, i: usize) -> String {
        let options = arrow::util::display::FormatOptions::default();
        b.columns()
            .iter()
            .map(|c| match c.data_type() {
                // Displaying a timestamp in "UTC" needs chrono-tz: compare the µs.
                arrow::datatypes::DataType::Timestamp(..) => c
                    .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                    .value(i)
                    .to_string(),
                _ => arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options)
                    .unwrap()
                    .value(i)
                    .to_string(),
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn a_stopped_sink_takes_no_further_source() {
        let sources = source::expand(&[fixture("lambda")], None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = AtomicBool::new(true);
        let sink = ChannelSink::new(tx, dir.path().to_path_buf(), &stop);
        let summary = run(&sources, &sink, &opts(2), &Progress::default()).unwrap();
        drop(sink);
        assert_eq!(summary.records_in, 0);
        assert_eq!(rx.iter().count(), 0);
    }
}
