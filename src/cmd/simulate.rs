//! `tripline simulate`: a labelled corpus of benign traffic and attacks, written in
//! the real input formats (see `tripline_sim::simulate`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use tripline_sim::simulate::{self, SimulateConfig};

use super::UsageError;

/// Arguments of `tripline simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Scenario name, or `all` for every scenario in one corpus.
    #[arg(value_name = "SCENARIO|all", required_unless_present = "list")]
    pub scenario: Option<String>,
    /// Output directory (created; must be empty).
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    pub out: Option<PathBuf>,
    /// Seed of every random choice (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days of benign history before the attack day.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Benign volume multiplier (1 ≈ 10k benign events a day; 12 ≈ 1M events in a
    /// week, 120 ≈ 10M).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// List the scenarios (name, technique, tactic, description) and exit.
    #[arg(long)]
    pub list: bool,
}

/// Runs `tripline simulate`.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.list {
        for s in simulate::scenarios() {
            writeln!(
                out,
                "{:<28} {:<10} {:<21} {}",
                s.name, s.technique, s.tactic, s.description
            )?;
        }
        return Ok(());
    }
    let (Some(scenario), Some(dir)) = (args.scenario, args.out) else {
        return Err(UsageError("a scenario and --out DIR are required".into()).into());
    };
    let mut cfg = SimulateConfig::new(dir);
    cfg.scenarios = vec![scenario];
    cfg.seed = args.seed;
    cfg.days = args.days;
    cfg.scale = args.scale;
    let summary = match simulate::run(&cfg) {
        Ok(s) => s,
        Err(e) if e.is_user_error() => return Err(UsageError(e.to_string()).into()),
        Err(e) => return Err(e.into()),
    };
    let m = &summary.manifest;
    writeln!(
        out,
        "wrote {} files ({} records) to {} in {:.1} s",
        m.files,
        m.records,
        cfg.out.display(),
        summary.seconds
    )?;
    writeln!(
        out,
        "benign events {} (cloudtrail {}, invocations {}) from {} to {}; attack day from {}",
        m.benign_events,
        m.benign_cloudtrail,
        m.benign_invocations,
        m.time_range.start,
        m.time_range.end,
        m.detect_from
    )?;
    writeln!(out, "attack events {}:", m.attack_events)?;
    for a in &summary.attacks {
        writeln!(
            out,
            "  {:<28} {:>8} events  {}",
            a.scenario, a.events, a.attack_id
        )?;
    }
    writeln!(out, "labels: {}", cfg.out.join("labels.jsonl").display())?;
    Ok(())
}
