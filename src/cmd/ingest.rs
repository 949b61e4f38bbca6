//! `tripline ingest`: inputs into the lake, with a progress bar on a terminal and a
//! summary (human, or one JSON document with `--json`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tripline_ingest::parse::Family;
use tripline_ingest::{IngestConfig, Progress, Summary};

/// Input format. Recognition is always by content, record by record; `cloudtrail` or
/// `lambda` restricts the run to that family, and records of the other family are
/// quarantined with a reason that says so (never dropped).
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    /// Recognise every record by its content.
    #[default]
    Auto,
    /// CloudTrail (delivery files, JSON lines, EventBridge, CloudWatch Logs).
    Cloudtrail,
    /// Lambda (event payloads, Powertools logs, platform lines, access logs).
    Lambda,
}

/// Arguments of `tripline ingest`.
#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files or directories (walked recursively), or `-` for stdin.
    #[arg(required = true, value_name = "PATH|-")]
    pub inputs: Vec<PathBuf>,
    /// The lake directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub lake: PathBuf,
    /// Input format.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Where quarantined records go (default: DIR/_quarantine).
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Print the summary as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs `tripline ingest`.
pub fn run(args: IngestArgs) -> anyhow::Result<()> {
    let mut cfg = IngestConfig::new(args.inputs, args.lake);
    cfg.quarantine = args.quarantine;
    cfg.only = match args.format {
        Format::Auto => None,
        Format::Cloudtrail => Some(Family::CloudTrail),
        Format::Lambda => Some(Family::Lambda),
    };
    if let Some(t) = args.threads {
        cfg.threads = t;
    }
    let summary = ingest_with_progress(&cfg, !args.json)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    Ok(())
}

/// Runs an ingest with a progress bar on stderr when it is a terminal.
pub fn ingest_with_progress(cfg: &IngestConfig, allow_bar: bool) -> anyhow::Result<Summary> {
    ingest_with_bar(cfg, allow_bar).with_context(|| format!("ingest into {}", cfg.lake.display()))
}

/// [`ingest_with_progress`] with the library's error, for library callers that take an
/// ingest function.
pub fn ingest_with_bar(
    cfg: &IngestConfig,
    allow_bar: bool,
) -> Result<Summary, tripline_ingest::IngestError> {
    let progress = Progress::default();
    let bar = (allow_bar && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {pos}/{len} files {msg}")
                .expect("static template parses"),
        );
        bar
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let summary = std::thread::scope(|s| {
        if let Some(bar) = &bar {
            let (progress, done) = (&progress, &done);
            s.spawn(move || {
                let start = std::time::Instant::now();
                while !done.load(Ordering::Relaxed) {
                    bar.set_length(progress.sources_total.load(Ordering::Relaxed));
                    bar.set_position(progress.sources_done.load(Ordering::Relaxed));
                    let mb = progress.bytes.load(Ordering::Relaxed) as f64 / 1e6;
                    let secs = start.elapsed().as_secs_f64().max(1e-3);
                    bar.set_message(format!(
                        "{} records, {mb:.0} MB, {:.1} MB/s",
                        progress.records.load(Ordering::Relaxed),
                        mb / secs
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            });
        }
        let r = tripline_ingest::ingest(cfg, &progress);
        done.store(true, Ordering::Relaxed);
        r
    });
    summary
}

/// The human summary: the conservation law first, then the details.
pub fn print_summary(out: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    let skipped: u64 = s.records_skipped.values().sum();
    writeln!(
        out,
        "records in {} = stored {} + quarantined {} + skipped {}",
        s.records_in,
        s.stored_total(),
        s.records_quarantined,
        skipped
    )?;
    for (table, n) in &s.records_stored {
        let rows = s.rows_written.get(table).copied().unwrap_or(0);
        writeln!(out, "  {table:<15} {n:>10} records  {rows:>10} rows")?;
    }
    for (kind, n) in &s.quarantined_by_kind {
        writeln!(out, "  quarantined     {n:>10} {kind}")?;
    }
    for (why, n) in &s.records_skipped {
        writeln!(out, "  skipped         {n:>10} {why}")?;
    }
    writeln!(
        out,
        "sources: {} ingested, {} already in the lake; {} files written; {:.1} MB in {:.2} s ({:.0} records/s)",
        s.sources_ingested,
        s.sources_already_in_lake,
        s.files_written,
        s.bytes_read as f64 / 1e6,
        s.seconds,
        s.records_in as f64 / s.seconds.max(1e-9)
    )?;
    for d in &s.damaged_sources {
        writeln!(out, "warning: {d} (records before the damage were kept)")?;
    }
    if s.records_quarantined > 0 {
        writeln!(out, "quarantine: {}", s.quarantine_dir)?;
    }
    Ok(())
}
