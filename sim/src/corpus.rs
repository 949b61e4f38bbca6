//! A simulated corpus evaluated end to end, as `tripline eval` and `tripline demo` do:
//! ingest it into a lake beside it, build baselines over its benign history, run the
//! library [`Pipeline`](tripline_detect::pipeline) over the attack day, and score the
//! findings against its labels.
//!
//! It lives here, not in the CLI, because it is one procedure with one result: the
//! demo, `tripline eval` and the tests must score the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tripline_detect::engine::RuleSet;
use tripline_detect::pipeline::{self, Input, PipelineConfig};
use tripline_detect::{Finding, Level};
use tripline_ingest::{IngestConfig, Summary};

use crate::eval::{evaluate, read_labels, EvalReport};
use crate::simulate::Manifest;
use crate::SimError;

/// What [`evaluate_corpus`] produced.
pub struct EvalRun {
    /// Precision, recall and per-scenario detection.
    pub report: EvalReport,
    /// Findings at or above the minimum level, in the order the pipeline emitted them.
    pub findings: Vec<Finding>,
    /// Notes of the detection run (detectors skipped, …).
    pub notes: Vec<String>,
    /// The ingest of the corpus into its lake.
    pub ingest: Summary,
}

/// Where [`evaluate_corpus`] writes its lake: `dir/_eval/lake` (re-ingesting is
/// idempotent, so a second evaluation reuses it).
pub fn lake_of(dir: &Path) -> PathBuf {
    dir.join("_eval").join("lake")
}

/// Evaluates the corpus in `dir` with the rule set `set`, counting findings of level
/// `min` and above as alerts. `ingest` runs the ingest of the configuration it is given
/// (the CLI passes one that draws a progress bar; [`tripline_ingest::ingest`] will do).
pub fn evaluate_corpus(
    dir: &Path,
    set: Arc<RuleSet>,
    min: Level,
    ingest: impl FnOnce(&IngestConfig) -> Result<Summary, tripline_ingest::IngestError>,
) -> Result<EvalRun, SimError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        SimError::Config(format!(
            "{} is not a simulated corpus ({}: {e}); write one with `tripline simulate`",
            dir.display(),
            manifest_path.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        SimError::Config(format!(
            "{}: not a corpus manifest: {e}",
            manifest_path.display()
        ))
    })?;
    let labels = read_labels(&dir.join("labels.jsonl"))?;

    let lake = lake_of(dir);
    let mut cfg = IngestConfig::new(vec![dir.to_path_buf()], lake.clone());
    cfg.quarantine = Some(dir.join("_eval").join("quarantine"));
    let ingest = ingest(&cfg).map_err(|e| SimError::Pipeline(e.to_string()))?;

    // Baselines over the benign history only: everything before the attack day.
    let to_us = tripline_detect::baseline::parse_time(&manifest.detect_from)
        .map_err(|e| SimError::Config(format!("{}: detect_from: {e}", manifest_path.display())))?;
    let opts = tripline_detect::baseline::BaselineOptions {
        to_us: Some(to_us),
        ..Default::default()
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| SimError::Internal(format!("starting the async runtime: {e}")))?
        .block_on(tripline_detect::baseline::build(&lake, &opts))
        .map_err(|e| SimError::Pipeline(e.to_string()))?;

    let mut cfg = PipelineConfig::new(set);
    cfg.min_level = min;
    let input = Input::Lake {
        dir: lake,
        from: Some(manifest.detect_from),
        to: None,
    };
    let run = pipeline::detect(&input, cfg).map_err(|e| SimError::Pipeline(e.to_string()))?;
    let report = evaluate(
        &run.output.findings,
        &labels,
        run.output.report.events_total(),
    );
    Ok(EvalRun {
        report,
        findings: run.output.findings,
        notes: run.output.report.notes,
        ingest,
    })
}
