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
use tripline_detect::pipeline::{Input, PipelineConfig};
use tripline_ingest::IngestConfig;
use tripline_sim::eval::{evaluate, read_labels, EvalReport};

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

/// What [`evaluate_corpus`] produced: the report, the alerts it scored and the notes
/// of the detection run (detectors skipped, …).
pub struct EvalRun {
    /// Precision, recall and per-scenario detection.
    pub report: EvalReport,
    /// Findings at or above the minimum level, in the order detect emitted them.
    pub findings: Vec<tripline_detect::Finding>,
    /// Notes of the detection run.
    pub notes: Vec<String>,
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

/// Ingests the simulated corpus in `dir` into `dir/_eval/lake`, builds baselines over
/// its benign history, runs the rule set and the detectors over the attack day, and
/// scores the findings of level `min` and above against `labels.jsonl`.
pub fn evaluate_corpus(
    dir: &Path,
    set: Arc<RuleSet>,
    min: tripline_detect::Level,
    progress: bool,
) -> anyhow::Result<EvalRun> {
    let manifest_path = dir.join("manifest.json");
    let manifest: tripline_sim::simulate::Manifest =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).map_err(|e| {
            UsageError(format!(
                "{} is not a simulated corpus ({}: {e}); write one with `tripline simulate`",
                dir.display(),
                manifest_path.display()
            ))
        })?)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let detect_from = manifest.detect_from;
    let labels = read_labels(&dir.join("labels.jsonl"))?;

    let lake = dir.join("_eval").join("lake");
    let mut cfg = IngestConfig::new(vec![dir.to_path_buf()], lake.clone());
    cfg.quarantine = Some(dir.join("_eval").join("quarantine"));
    let ingest = super::ingest::ingest_with_progress(&cfg, progress)?;
    if ingest.records_quarantined > 0 {
        eprintln!(
            "tripline: {} records quarantined (in {})",
            ingest.records_quarantined, ingest.quarantine_dir
        );
    }

    // Baselines over the benign history only: everything before the attack day.
    let to_us = tripline_detect::baseline::parse_time(&detect_from)
        .map_err(|e| anyhow::anyhow!("manifest.json detect_from: {e}"))?;
    let opts = tripline_detect::baseline::BaselineOptions {
        to_us: Some(to_us),
        ..Default::default()
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(tripline_detect::baseline::build(&lake, &opts))?;

    let mut cfg = PipelineConfig::new(set);
    cfg.min_level = min;
    let input = Input::Lake {
        dir: lake,
        from: Some(detect_from),
        to: None,
    };
    let run = tripline_detect::pipeline::detect(&input, cfg)?;
    let report = evaluate(
        &run.output.findings,
        &labels,
        run.output.report.events_total(),
    );
    Ok(EvalRun {
        report,
        findings: run.output.findings,
        notes: run.output.report.notes,
    })
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
