//! `tripline detect`: every rule (and, with baselines, every detector) over log files
//! or the lake, findings out as OCSF Detection Finding JSON lines or a table, and a
//! summary on stderr.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tripline_detect::engine::{Detector, RuleSet, RunStats, Selection};
use tripline_detect::{Finding, LakeOptions, Level};
use tripline_ingest::stream::{read_batches, StreamConfig};
use tripline_ingest::{Progress, Summary};

use super::UsageError;

/// Output format of findings.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum DetectFormat {
    /// OCSF Detection Finding (class 2004), one JSON object per line.
    #[default]
    Ocsf,
    /// A readable table.
    Table,
}

/// Arguments of `tripline detect`.
#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Log files or directories (recursive), or `-` for stdin.
    #[arg(value_name = "PATH|-", conflicts_with = "lake")]
    pub inputs: Vec<PathBuf>,
    /// Read events from this lake instead of files.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// With --lake: only events at or after this time (RFC 3339 or date).
    #[arg(long, value_name = "T", requires = "lake")]
    pub from: Option<String>,
    /// With --lake: only events before this time.
    #[arg(long, value_name = "T", requires = "lake")]
    pub to: Option<String>,
    /// Use the rules in DIR instead of the embedded library (repeatable).
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Add the rules in DIR to the library (repeatable).
    #[arg(long, value_name = "DIR")]
    pub extra_rules: Vec<PathBuf>,
    /// Write findings to FILE (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Ocsf)]
    pub format: DetectFormat,
    /// Allowlist (YAML): findings it matches are suppressed and counted.
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,
    /// Also append findings to this lake's `alerts` table (idempotent: a rerun over
    /// the same input rewrites the same file).
    #[arg(long, value_name = "DIR")]
    pub alerts_lake: Option<PathBuf>,
    /// Where bad input records go (default: ./tripline-quarantine).
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Report only findings at or above this level (lower ones are hunting signals).
    #[arg(long, value_enum, default_value_t = MinLevel::Informational)]
    pub min_level: MinLevel,
    /// Print the summary as one JSON document on stderr.
    #[arg(long)]
    pub json: bool,
}

/// The lowest level of finding to report.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MinLevel {
    /// Everything.
    Informational,
    /// Low and above.
    Low,
    /// Medium and above: what a SOC alert stream usually takes.
    Medium,
    /// High and critical.
    High,
    /// Critical only.
    Critical,
}

impl MinLevel {
    /// The model's level.
    pub fn level(self) -> Level {
        match self {
            MinLevel::Informational => Level::Informational,
            MinLevel::Low => Level::Low,
            MinLevel::Medium => Level::Medium,
            MinLevel::High => Level::High,
            MinLevel::Critical => Level::Critical,
        }
    }
}

/// What a detect run did, printed on stderr.
#[derive(Debug, Default, serde::Serialize)]
struct DetectSummary {
    rules_loaded: usize,
    rule_errors: usize,
    events: std::collections::BTreeMap<String, u64>,
    records_in: u64,
    records_quarantined: u64,
    quarantine_dir: Option<String>,
    findings: usize,
    findings_by_severity: std::collections::BTreeMap<String, u64>,
    findings_by_rule: std::collections::BTreeMap<String, u64>,
    /// Matching events per rule title (before grouping into findings).
    hits_by_rule: std::collections::BTreeMap<String, u64>,
    suppressed: u64,
    /// Findings under `--min-level`, not reported.
    below_min_level: u64,
    seconds: f64,
}

/// Runs `tripline detect`.
pub fn run(args: DetectArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if args.inputs.is_empty() && args.lake.is_none() {
        return Err(UsageError("give log PATHs (or `-`) or --lake DIR".into()).into());
    }
    let files = super::rules::load_files(&args.rules, &args.extra_rules)?;
    let set = RuleSet::load(&files);
    for e in &set.errors {
        eprintln!("tripline: rule skipped: {e}");
    }
    let mut allowlist = args
        .allowlist
        .as_ref()
        .map(|p| tripline_detect::suppress::Allowlist::load(p))
        .transpose()?;
    let mut summary = DetectSummary {
        rules_loaded: set.len(),
        rule_errors: set.errors.len(),
        ..Default::default()
    };
    let (findings, stats) = match &args.lake {
        Some(lake) => {
            let run = detect_lake(&set, lake, args.from.as_deref(), args.to.as_deref(), true)?;
            for n in &run.notes {
                eprintln!("tripline: {n}");
            }
            (run.findings, run.stats)
        }
        None => {
            let quarantine = args
                .quarantine
                .clone()
                .unwrap_or_else(|| PathBuf::from("tripline-quarantine"));
            let (f, s, ingest) = detect_paths(&set, &args.inputs, quarantine)?;
            summary.records_in = ingest.records_in;
            summary.records_quarantined = ingest.records_quarantined;
            if ingest.records_quarantined > 0 {
                summary.quarantine_dir = Some(ingest.quarantine_dir.clone());
            }
            (f, s)
        }
    };
    summary.events = stats.events;
    let titles: std::collections::HashMap<String, String> = set
        .infos()
        .iter()
        .map(|i| (i.id.clone(), i.title.clone()))
        .collect();
    for (id, n) in stats.hits {
        let title = titles.get(&id).cloned().unwrap_or(id);
        *summary.hits_by_rule.entry(title).or_default() += n;
    }
    let now = chrono::Utc::now();
    let min = args.min_level.level();
    let before = findings.len();
    let mut kept: Vec<Finding> = findings.into_iter().filter(|f| f.level >= min).collect();
    summary.below_min_level = (before - kept.len()) as u64;
    if let Some(list) = allowlist.as_mut() {
        let n = kept.len();
        kept = list.apply(kept, now);
        summary.suppressed = (n - kept.len()) as u64;
        for w in list.warnings(now) {
            eprintln!("tripline: allowlist: {w}");
        }
    }
    for f in &kept {
        *summary
            .findings_by_severity
            .entry(f.level.as_str().to_string())
            .or_default() += 1;
        *summary
            .findings_by_rule
            .entry(f.rule.title.clone())
            .or_default() += 1;
    }
    summary.findings = kept.len();
    write_findings(&kept, args.format, args.out.as_ref())?;
    if let Some(lake) = &args.alerts_lake {
        tripline_detect::engine::store_alerts(lake, &kept)
            .with_context(|| format!("storing alerts in {}", lake.display()))?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    print_summary(&summary, args.json)?;
    // Everything is written: the findings (tens of thousands of strings on a large run)
    // go with the process instead of being freed one by one, which took ~0.1 s of
    // wall after the last line on the RSigma comparison's 200k events (perf).
    std::mem::forget(kept);
    Ok(())
}

fn detect_paths(
    set: &RuleSet,
    inputs: &[PathBuf],
    quarantine: PathBuf,
) -> anyhow::Result<(Vec<Finding>, RunStats, Summary)> {
    let cfg = StreamConfig::new(inputs.to_vec(), quarantine);
    let progress = Progress::default();
    let mut det = Detector::new(set, Selection::default());
    let ingest = read_batches(&cfg, &progress, |table, batch| det.process(table, &batch))??;
    let (findings, stats) = det.finish();
    Ok((findings, stats, ingest))
}

/// What a detection run over the lake produced.
pub struct DetectRun {
    /// Findings of rules and detectors, in a deterministic order.
    pub findings: Vec<Finding>,
    /// Events evaluated and hits.
    pub stats: RunStats,
    /// Notes for the user (e.g. detectors skipped for want of baselines).
    pub notes: Vec<String>,
}

/// Runs the rules of `set` (and, with `anomalies`, the behavioural detectors against
/// the lake's baselines) over the lake's events in `[from, to)`.
pub fn detect_lake(
    set: &RuleSet,
    lake: &std::path::Path,
    from: Option<&str>,
    to: Option<&str>,
    anomalies: bool,
) -> anyhow::Result<DetectRun> {
    use tripline_detect::anomaly::{self, AnomalyConfig};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut notes = Vec::new();
    let mut detectors = Vec::new();
    if anomalies {
        let cfg = AnomalyConfig::default();
        let baselines = tripline_detect::baseline::load(lake)?;
        for (name, why) in anomaly::skipped(baselines.is_some(), &cfg) {
            notes.push(format!(
                "detector {name} skipped: {why} (run `tripline baseline build --lake {}`)",
                lake.display()
            ));
        }
        detectors = anomaly::detectors(baselines, &cfg);
    }
    let mut det = Detector::new(set, Selection::default());
    runtime.block_on(tripline_detect::engine::lake_input::read_lake(
        lake,
        from,
        to,
        LakeOptions::default(),
        |table, batch| {
            for d in detectors.iter_mut() {
                d.process(table, &batch)?;
            }
            det.process(table, &batch)
        },
    ))?;
    let (mut findings, stats) = det.finish();
    for d in detectors.iter_mut() {
        findings.extend(d.finish());
    }
    tripline_detect::finding::sort_findings(&mut findings);
    Ok(DetectRun {
        findings,
        stats,
        notes,
    })
}

fn write_findings(
    findings: &[Finding],
    format: DetectFormat,
    out: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        DetectFormat::Ocsf => {
            tripline_detect::finding::write_lines(
                findings,
                &mut w,
                tripline_ingest::default_threads(),
            )?;
        }
        DetectFormat::Table => write_table(&mut w, findings)?,
    }
    w.flush()?;
    Ok(())
}

/// The `--format table` listing: one aligned line per finding under a header.
pub fn write_table(w: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    use tripline_detect::finding::{to_table_row, TABLE_HEADER};
    let rows: Vec<[String; 5]> = findings.iter().map(to_table_row).collect();
    let mut widths = TABLE_HEADER.map(str::len);
    for r in &rows {
        for (wd, cell) in widths.iter_mut().zip(r) {
            *wd = (*wd).max(cell.chars().count());
        }
    }
    let header = TABLE_HEADER.map(str::to_string);
    for r in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, wd)| format!("{c:<wd$}"))
            .collect();
        writeln!(w, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

fn print_summary(s: &DetectSummary, json: bool) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    if json {
        serde_json::to_writer_pretty(&mut err, s)?;
        writeln!(err)?;
        return Ok(());
    }
    let events: u64 = s.events.values().sum();
    let per: Vec<String> = s.events.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(
        err,
        "events {events} ({}); records quarantined {}{}",
        per.join(", "),
        s.records_quarantined,
        s.quarantine_dir
            .as_ref()
            .map(|d| format!(" (in {d})"))
            .unwrap_or_default()
    )?;
    let sev: Vec<String> = s
        .findings_by_severity
        .iter()
        .rev()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        err,
        "findings {} ({}); suppressed {}; {} rules ({} skipped with errors); {:.2}s",
        s.findings,
        sev.join(", "),
        s.suppressed,
        s.rules_loaded,
        s.rule_errors,
        s.seconds
    )?;
    for (rule, n) in &s.findings_by_rule {
        writeln!(err, "  {n:>5}  {rule}")?;
    }
    Ok(())
}
