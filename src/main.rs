//! `tripline`: the command-line interface. Thin on purpose: each subcommand turns its
//! arguments into the library's configuration and calls the `tripline-ingest` /
//! `tripline-detect` crates; this file maps failures to exit codes (0 success,
//! 2 bad usage, 1 any other failure).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: a detect run allocates and frees many
/// small strings per event, and glibc's malloc was a sixth of its time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cmd;

/// Runtime anomaly detection for serverless workloads: AWS Lambda and CloudTrail logs
/// into an Arrow/Parquet lake, queried with SQL.
#[derive(Parser, Debug)]
#[command(name = "tripline", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the embedded demo scenario end to end (ingest a sample, then query it).
    Demo(cmd::demo::DemoArgs),
    /// Ingest CloudTrail and Lambda logs (files, directories, `-` for stdin) into a lake.
    Ingest(cmd::ingest::IngestArgs),
    /// Run read-only SQL over the lake (no SQL: an interactive shell).
    Query(cmd::query::QueryArgs),
    /// Run the rules (and detectors) over log files or the lake; findings as OCSF JSON.
    Detect(cmd::detect::DetectArgs),
    /// Test, lint or list detection rules (default: the embedded library).
    Rules(cmd::rules::RulesArgs),
    /// Score rules and detectors on a simulated corpus: precision, recall, time to detect.
    Eval(cmd::eval::EvalArgs),
    /// Write a labelled corpus: realistic benign traffic plus attack scenarios.
    Simulate(cmd::simulate::SimulateArgs),
    /// Behavioural baselines of principals, functions and accounts, for the detectors.
    Baseline(cmd::baseline::BaselineArgs),
}

/// Opts this process out of transparent huge pages, where the kernel backs anonymous
/// memory with them by default (`/sys/kernel/mm/transparent_hugepage/enabled` set to
/// `always`, as on many servers). mimalloc returns freed pages to the OS and takes them
/// back as batches come and go; with huge pages every such fault zeroes 2 MiB, however
/// little of it is used. On a 2-core VM that was a quarter of a `detect` run's CPU (perf:
/// `clear_page_erms` under mimalloc's page allocation), and opting out cut the run by a
/// sixth and its peak RSS by 30 MiB. mimalloc's own switch (`MIMALLOC_ALLOW_THP=0`) is
/// read before `main`, so the same `prctl` is made here; it applies to every later fault.
#[cfg(target_os = "linux")]
fn opt_out_of_huge_pages() {
    // SAFETY: `prctl` with PR_SET_THP_DISABLE reads only its integer arguments; failure
    // (an old kernel) leaves the default behaviour, which is correct, only slower.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn opt_out_of_huge_pages() {}

fn main() -> ExitCode {
    opt_out_of_huge_pages();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRIPLINE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Ingest(a) => cmd::ingest::run(a),
        Command::Query(a) => cmd::query::run(a),
        Command::Detect(a) => cmd::detect::run(a),
        Command::Rules(a) => cmd::rules::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Baseline(a) => cmd::baseline::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<cmd::UsageError>().is_some() {
                eprintln!("tripline: {e}");
                return ExitCode::from(2);
            }
            // A closed pipe (`tripline query … | head`) is not a failure.
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("tripline: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
