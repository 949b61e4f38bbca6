//! `tripline eval <DIR>`: on a corpus written by `tripline simulate`, ingest it into a
//! lake (`DIR/_eval/lake`, idempotent), build baselines over the benign history (before
//! the manifest's `detect_from`), run rules and detectors over the attack day, and score
//! the findings against `labels.jsonl`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use std::sync::Arc;

use tripline_detect::engine::RuleSet;
use tripline_sim::corpus::{self, EvalRun};
use tripline_sim::eval::EvalReport;

use super::UsageError;

/// Arguments of `tripline eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A corpus written by `tripline simulate` (holds `manifest.json` and `labels.jsonl`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Use the rules in DIR instead of the embedded library.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Count only findings at or above this level as alerts (default: medium, the SOC
    /// alert stream; low and informational findings are hunting signals).
    #[arg(long, value_enum, default_value_t = super::detect::MinLevel::Medium)]
    pub min_level: super::detect::MinLevel,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Write the findings (OCSF JSON lines) to FILE, for inspection.
    #[arg(long, value_name = "FILE")]
    pub findings: Option<PathBuf>,
}

/// Runs `tripline eval`.
pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let set = super::detect::rule_set(&args.rules, &[])?;
    let run = evaluate_corpus(&args.dir, set, args.min_level.level(), !args.json)?;
    if let Some(path) = &args.findings {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        tripline_detect::finding::write_lines(
            &run.findings,
            &mut w,
            tripline_ingest::default_threads(),
        )?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &run.report)?;
        writeln!(out)?;
    } else {
        print_report(&mut out, &run.report, &run.notes)?;
    }
    Ok(())
}

/// Evaluates the corpus in `dir` ([`tripline_sim::corpus::evaluate_corpus`]) with a
/// progress bar on the ingest when `progress` and stderr is a terminal.
pub fn evaluate_corpus(
    dir: &Path,
    set: Arc<RuleSet>,
    min: tripline_detect::Level,
    progress: bool,
) -> anyhow::Result<EvalRun> {
    let run = corpus::evaluate_corpus(dir, set, min, |cfg| {
        super::ingest::ingest_with_bar(cfg, progress)
    })
    .map_err(|e| match e {
        e if e.is_user_error() => anyhow::Error::new(UsageError(e.to_string())),
        e => anyhow::Error::new(e),
    })?;
    if run.ingest.records_quarantined > 0 {
        eprintln!(
            "tripline: {} records quarantined (in {})",
            run.ingest.records_quarantined, run.ingest.quarantine_dir
        );
    }
    Ok(run)
}

/// Prints the report as `tripline eval` does.
pub fn print_report(out: &mut dyn Write, r: &EvalReport, notes: &[String]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<28} {:>8} {:>9} {:>10}  caught by",
        "scenario", "attacks", "detected", "ttd (s)"
    )?;
    for s in &r.scenarios {
        writeln!(
            out,
            "{:<28} {:>8} {:>9} {:>10}  {}",
            s.scenario,
            s.attacks,
            s.detected,
            s.time_to_detect_s
                .map(|t| format!("{t:.0}"))
                .unwrap_or_else(|| "-".into()),
            s.caught_by.join("; ")
        )?;
    }
    writeln!(
        out,
        "findings {} (true {}, false {}); precision {:.3}; recall {:.3}; \
         false findings per 1M benign events {:.2} ({} benign events)",
        r.findings,
        r.true_findings,
        r.false_findings,
        r.precision,
        r.recall,
        r.false_per_million,
        r.benign_events
    )?;
    for (rule, n) in &r.false_by_rule {
        writeln!(out, "  false: {n:>4}  {rule}")?;
    }
    for n in notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
