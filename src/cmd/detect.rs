//! `tripline detect`: the detection pipeline over log files or the lake; findings out
//! as OCSF Detection Finding JSON lines or a table, and a summary on stderr.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tripline_detect::engine::RuleSet;
use tripline_detect::pipeline::{
    self, AlertsTable, FindingSink, FindingTable, Input, OcsfLines, PipelineConfig, PipelineReport,
};
use tripline_detect::{Allowlist, Level};

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
    /// Run the rules only, no behavioural detector.
    #[arg(long)]
    pub no_detectors: bool,
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
#[derive(Debug, serde::Serialize)]
struct DetectSummary {
    #[serde(flatten)]
    pipeline: PipelineReport,
    records_in: u64,
    records_quarantined: u64,
    quarantine_dir: Option<String>,
    seconds: f64,
}

/// Loads the rule set the `--rules` / `--extra-rules` flags name, saying which rules
/// did not load.
pub fn rule_set(rules: &[PathBuf], extra: &[PathBuf]) -> anyhow::Result<Arc<RuleSet>> {
    let set = RuleSet::load(&super::rules::load_files(rules, extra)?);
    for e in &set.errors {
        eprintln!("tripline: rule skipped: {e}");
    }
    Ok(Arc::new(set))
}

/// Runs `tripline detect`: flags → input and pipeline config → the library → sinks.
pub fn run(args: DetectArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let input = match (&args.lake, args.inputs.is_empty()) {
        (Some(dir), _) => Input::Lake {
            dir: dir.clone(),
            from: args.from.clone(),
            to: args.to.clone(),
        },
        (None, false) => Input::Files {
            paths: args.inputs.clone(),
            quarantine: args
                .quarantine
                .clone()
                .unwrap_or_else(|| PathBuf::from("tripline-quarantine")),
        },
        (None, true) => {
            return Err(UsageError("give log PATHs (or `-`) or --lake DIR".into()).into())
        }
    };
    let mut cfg = PipelineConfig::new(rule_set(&args.rules, &args.extra_rules)?);
    cfg.min_level = args.min_level.level();
    cfg.allowlist = args.allowlist.as_deref().map(Allowlist::load).transpose()?;
    if args.no_detectors {
        cfg.anomaly = None;
    }
    let run = pipeline::detect(&input, cfg)?;
    let findings = run.output.findings;

    let out: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sinks: Vec<Box<dyn FindingSink>> = vec![match args.format {
        DetectFormat::Ocsf => Box::new(OcsfLines::new(
            BufWriter::new(out),
            tripline_ingest::default_threads(),
        )),
        DetectFormat::Table => Box::new(FindingTable::new(BufWriter::new(out))),
    }];
    if let Some(lake) = &args.alerts_lake {
        sinks.push(Box::new(AlertsTable::new(lake)));
    }
    for sink in &mut sinks {
        sink.write(&findings)?;
        sink.flush()
            .with_context(|| format!("writing findings ({})", sink.name()))?;
    }

    let ingest = run.ingest.unwrap_or_default();
    let summary = DetectSummary {
        pipeline: run.output.report,
        records_in: ingest.records_in,
        records_quarantined: ingest.records_quarantined,
        quarantine_dir: (ingest.records_quarantined > 0).then(|| ingest.quarantine_dir.clone()),
        seconds: started.elapsed().as_secs_f64(),
    };
    print_summary(&summary, args.json)?;
    // Everything is written: the findings (tens of thousands of strings on a large run)
    // go with the process instead of being freed one by one, which took ~0.1 s of
    // wall after the last line on the RSigma comparison's 200k events (perf).
    std::mem::forget(findings);
    Ok(())
}

fn print_summary(s: &DetectSummary, json: bool) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    if json {
        serde_json::to_writer_pretty(&mut err, s)?;
        writeln!(err)?;
        return Ok(());
    }
    let p = &s.pipeline;
    for n in &p.notes {
        writeln!(err, "tripline: {n}")?;
    }
    let per: Vec<String> = p.events.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(
        err,
        "events {} ({}); records quarantined {}{}",
        p.events_total(),
        per.join(", "),
        s.records_quarantined,
        s.quarantine_dir
            .as_ref()
            .map(|d| format!(" (in {d})"))
            .unwrap_or_default()
    )?;
    let sev: Vec<String> = p
        .severities()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        err,
        "findings {} ({}); suppressed {}; {} rules ({} skipped with errors), {} detectors; {:.2}s",
        p.findings,
        sev.join(", "),
        p.suppressed,
        p.rules_loaded,
        p.rule_errors,
        p.detectors.len(),
        s.seconds
    )?;
    for (rule, n) in &p.findings_by_rule {
        writeln!(err, "  {n:>5}  {rule}")?;
    }
    Ok(())
}
