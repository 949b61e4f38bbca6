//! `tripline rules test|lint|list`: the rule library's own tests, its problems, and
//! what it holds. Without a folder they act on the library embedded in the binary.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use tripline_detect::engine::{self, RuleFile, RuleSet};

/// Arguments of `tripline rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Run every rule's `tests:` (events that must fire, near misses that must not).
    Test {
        /// Rule folder (default: the embedded library).
        dir: Option<PathBuf>,
        /// Print every test, not only failures.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Report every problem in every rule file (exit 1 if any).
    Lint {
        /// Rule folder (default: the embedded library).
        dir: Option<PathBuf>,
    },
    /// List rules: id, title, level, ATT&CK techniques.
    List {
        /// Rule folder (default: the embedded library).
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

/// The embedded library as rule files.
pub fn embedded_files() -> Vec<RuleFile> {
    tripline_detect::rules::embedded_files()
}

/// Rule files of `--rules` folders (or the embedded library when none), plus
/// `--extra-rules` folders.
pub fn load_files(rules: &[PathBuf], extra: &[PathBuf]) -> anyhow::Result<Vec<RuleFile>> {
    let mut files = if rules.is_empty() {
        embedded_files()
    } else {
        dirs(rules)?
    };
    files.extend(dirs(extra)?);
    Ok(files)
}

fn dirs(dirs: &[PathBuf]) -> anyhow::Result<Vec<RuleFile>> {
    let mut out = Vec::new();
    for d in dirs {
        if !d.exists() {
            return Err(
                super::UsageError(format!("rule folder {} does not exist", d.display())).into(),
            );
        }
        out.extend(engine::read_dir(d)?);
    }
    Ok(out)
}

fn load(dir: Option<&Path>) -> anyhow::Result<RuleSet> {
    let files = match dir {
        Some(d) => dirs(&[d.to_path_buf()])?,
        None => embedded_files(),
    };
    Ok(RuleSet::load(&files))
}

/// Runs `tripline rules`.
pub fn run(args: RulesArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match args.command {
        RulesCommand::Test { dir, verbose } => {
            let set = std::sync::Arc::new(load(dir.as_deref())?);
            for e in &set.errors {
                writeln!(out, "ERROR {e}")?;
            }
            let outcomes = engine::run_tests(&set);
            let failed = outcomes.iter().filter(|o| !o.passed).count() + set.errors.len();
            for o in &outcomes {
                if !o.passed {
                    writeln!(
                        out,
                        "FAIL  {} [{}] {}: {}",
                        o.path, o.title, o.test, o.detail
                    )?;
                } else if verbose {
                    writeln!(out, "ok    {} [{}] {}", o.path, o.title, o.test)?;
                }
            }
            let untested: Vec<_> = set
                .rules
                .iter()
                .filter(|r| r.tests.is_empty() && r.correlations.is_empty())
                .map(|r| r.compiled.info().path.clone())
                .chain(
                    set.correlations
                        .iter()
                        .filter(|c| c.tests.is_empty())
                        .map(|c| c.spec.info.path.clone()),
                )
                .collect();
            for path in &untested {
                writeln!(out, "note  {path}: no tests")?;
            }
            let passed = outcomes.len() - outcomes.iter().filter(|o| !o.passed).count();
            writeln!(
                out,
                "{passed} passed, {failed} failed ({} rules, {} tests)",
                set.len(),
                outcomes.len()
            )?;
            if failed > 0 {
                anyhow::bail!("{failed} rule test(s) failed");
            }
            Ok(())
        }
        RulesCommand::Lint { dir } => {
            let set = load(dir.as_deref())?;
            for e in &set.errors {
                writeln!(out, "{e}")?;
            }
            writeln!(
                out,
                "{} rules loaded, {} problems",
                set.len(),
                set.errors.len()
            )?;
            if !set.errors.is_empty() {
                anyhow::bail!("{} problem(s) in rule files", set.errors.len());
            }
            Ok(())
        }
        RulesCommand::List { dir, format } => {
            let set = load(dir.as_deref())?;
            for e in &set.errors {
                eprintln!("tripline: skipped: {e}");
            }
            let rows: Vec<serde_json::Value> = set
                .infos()
                .iter()
                .map(|i| {
                    let techniques: Vec<String> = i
                        .tags
                        .iter()
                        .filter_map(|t| tripline_detect::finding::attack::technique(t))
                        .map(|t| t.uid)
                        .collect();
                    serde_json::json!({
                        "id": i.id,
                        "title": i.title,
                        "level": i.level.as_str(),
                        "kind": i.kind,
                        "service": i.service,
                        "techniques": techniques,
                        "path": i.path,
                    })
                })
                .collect();
            match format {
                ListFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
                ListFormat::Table => {
                    writeln!(
                        out,
                        "{:<36}  {:<13}  {:<11}  {:<18}  title",
                        "id", "level", "kind", "techniques"
                    )?;
                    for r in &rows {
                        let t: Vec<&str> = r["techniques"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                            .unwrap_or_default();
                        writeln!(
                            out,
                            "{:<36}  {:<13}  {:<11}  {:<18}  {}",
                            r["id"].as_str().unwrap_or(""),
                            r["level"].as_str().unwrap_or(""),
                            r["kind"].as_str().unwrap_or(""),
                            t.join(","),
                            r["title"].as_str().unwrap_or("")
                        )?;
                    }
                    writeln!(out, "{} rules", rows.len())?;
                }
            }
            Ok(())
        }
    }
}
