//! `tripline baseline build --lake DIR [--from T] [--to T] [--memory-limit SIZE]`:
//! compute behavioural baselines over the lake (DataFusion SQL, spilling under the
//! memory limit) and persist them as a new version under `DIR/_baselines/`, which
//! `detect` and `run` then score against.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tripline_detect::baseline::{self, BaselineOptions, BaselineSummary};
use tripline_detect::error::ByteSize;
use tripline_detect::LakeOptions;

use super::query::parse_size;
use super::UsageError;

/// Arguments of `tripline baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// The action.
    #[command(subcommand)]
    pub command: BaselineCommand,
}

/// What `tripline baseline` does.
#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Build baselines from the lake and make them current.
    Build(BuildArgs),
}

/// Arguments of `tripline baseline build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The lake directory (as written by `tripline ingest --lake`).
    #[arg(long, value_name = "DIR")]
    pub lake: PathBuf,

    /// Only events at or after this time: RFC 3339 (2024-03-01T10:00:00Z) or a date
    /// (2024-03-01, midnight UTC). Default: the first event.
    #[arg(long, value_name = "T", value_parser = baseline::parse_time)]
    pub from: Option<i64>,

    /// Only events before this time (same forms). Default: through the last event.
    #[arg(long, value_name = "T", value_parser = baseline::parse_time)]
    pub to: Option<i64>,

    /// Memory the queries may use before spilling to disk, e.g. `512MiB` or `4GiB`.
    /// Default: 1GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

    /// Payload shapes kept per function (the most frequent).
    #[arg(long, value_name = "N", default_value_t = baseline::DEFAULT_TOP_SHAPES)]
    pub top_shapes: usize,
}

/// Runs `tripline baseline`.
pub fn run(args: BaselineArgs) -> anyhow::Result<()> {
    match args.command {
        BaselineCommand::Build(a) => build(a),
    }
}

fn build(args: BuildArgs) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from >= to {
            return Err(UsageError("--from must be before --to".into()).into());
        }
    }
    let mut lake = LakeOptions::default();
    if let Some(limit) = args.memory_limit {
        lake = lake.with_memory_limit(limit);
    }
    let opts = BaselineOptions {
        from_us: args.from,
        to_us: args.to,
        lake,
        top_shapes: args.top_shapes.max(1),
        now_us: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime.block_on(baseline::build(&args.lake, &opts))?;
    print!("{}", report(&summary));
    Ok(())
}

/// What was built, for people.
fn report(s: &BaselineSummary) -> String {
    let meta = &s.meta;
    let range = match meta.time_range {
        Some(r) => {
            let (start, end) = r.rfc3339();
            format!("{start} to {end}")
        }
        None => "no events (empty baselines)".to_owned(),
    };
    let mut out = format!(
        "Built baselines {} in {:.1} s\n  directory:    {}\n  time range:   {range}\n  memory limit: {}\n  rows:\n",
        meta.version,
        s.elapsed.as_secs_f64(),
        s.dir.display(),
        ByteSize(meta.memory_limit),
    );
    let width = meta.rows.keys().map(String::len).max().unwrap_or(0);
    for (table, rows) in &meta.rows {
        out.push_str(&format!("    {table:<width$}  {rows:>10}\n"));
    }
    out
}
