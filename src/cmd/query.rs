//! `tripline query --lake DIR [SQL] [--format table|csv|json] [--memory-limit SIZE]`:
//! read-only SQL over the lake.
//!
//! - With SQL: run it (several `;`-separated statements are allowed, one result
//!   each); `-` reads the SQL from stdin.
//! - Without SQL, stdin a terminal: an interactive shell (statements end with `;`
//!   and may span lines; `\d` lists tables, `\d NAME` describes one, `\q`, `exit` or
//!   Ctrl-D leaves; Ctrl-C clears the statement being typed or cancels the running
//!   query; errors are printed and the shell goes on). History is kept in
//!   `$HOME/.tripline_history`, never in the lake.
//! - Without SQL, stdin not a terminal: the statements piped on stdin.
//!
//! Every statement is checked before anything runs; one that would write (`COPY`,
//! `CREATE`, `INSERT`, `DROP`, `SET`, …) fails the command: the lake is read-only.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use tripline_detect::lake::statement_complete;
use tripline_detect::{DetectError, LakeOptions, LakeSession, OutputFormat, QueryResult};

use super::UsageError;

/// Arguments of `tripline query`.
#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// The lake directory (as written by `tripline ingest --lake`).
    #[arg(long, value_name = "DIR")]
    pub lake: PathBuf,

    /// SQL to run; several `;`-separated statements are allowed. `-` reads the SQL
    /// from stdin. Without it: an interactive shell, or the statements piped on stdin.
    #[arg(value_name = "SQL")]
    pub sql: Option<String>,

    /// How results are written: an aligned table, CSV (a header line, then one line
    /// per row) or JSON (one array of row objects).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Memory queries may use before spilling to disk, e.g. `512MiB` or `4GiB`
    /// (units are powers of 1024). Default: 1GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
}

/// The `--format` of `tripline query`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// A header line, then one CSV line per row.
    Csv,
    /// One JSON array of row objects.
    Json,
}

impl From<Format> for OutputFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Table => OutputFormat::Table,
            Format::Csv => OutputFormat::Csv,
            Format::Json => OutputFormat::Json,
        }
    }
}

/// Runs `tripline query` on a Tokio runtime of its own.
///
/// Must not be called from inside a Tokio runtime (use [`run_async`] there).
pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(args))
}

/// Runs `tripline query` on the current Tokio runtime.
pub async fn run_async(args: QueryArgs) -> anyhow::Result<()> {
    let mut options = LakeOptions::default();
    if let Some(limit) = args.memory_limit {
        options = options.with_memory_limit(limit);
    }
    let session = LakeSession::open_with(&args.lake, options).await?;
    let format = OutputFormat::from(args.format);

    let sql = match args.sql {
        Some(sql) if sql == "-" => read_stdin()?,
        Some(sql) => sql,
        None if std::io::stdin().is_terminal() => return shell(&session, format).await,
        None => read_stdin()?,
    };
    match run_script(&session, &sql, format).await {
        Ok(0) => Err(UsageError("no SQL statement given".into()).into()),
        Ok(_) => Ok(()),
        // The reader went away (e.g. `| head`): not a failure.
        Err(err) if err.is_broken_pipe() => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Runs every statement of `sql`, after checking them all, writing each result to
/// stdout. Returns the number of statements run.
async fn run_script(
    session: &LakeSession,
    sql: &str,
    format: OutputFormat,
) -> Result<usize, DetectError> {
    let statements = session.parse(sql)?;
    for statement in &statements {
        let df = session.execute(statement).await?;
        let result = session.collect(df).await?;
        print_result(&result, format)?;
    }
    Ok(statements.len())
}

fn print_result(result: &QueryResult, format: OutputFormat) -> Result<(), DetectError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    tripline_detect::write_result(&mut out, format, result)?;
    out.flush().map_err(DetectError::Output)?;
    Ok(())
}

fn read_stdin() -> anyhow::Result<String> {
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .context("reading SQL from stdin")?;
    Ok(sql)
}

const HELP: &str = "\
Statements end with ';' and may span lines. The lake is read-only: SELECT, WITH,
VALUES, EXPLAIN, SHOW and DESCRIBE are allowed.
  \\d          list the tables
  \\d NAME     describe a table
  \\?          this help
  \\q, exit    leave (or Ctrl-D); Ctrl-C clears the statement or cancels a query";

/// The interactive shell.
async fn shell(session: &LakeSession, format: OutputFormat) -> anyhow::Result<()> {
    let mut editor = DefaultEditor::new().context("starting the interactive shell")?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing or unreadable history only means starting without one.
        let _ = editor.load_history(path);
    }
    eprintln!(
        "Tripline SQL over {} — tables: {}. \\? for help, \\q to quit.",
        session.root().display(),
        session.tables().join(", ")
    );

    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "tripline> "
        } else {
            "     ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(err) => return Err(err).context("reading from the terminal"),
        };
        if buffer.is_empty() {
            let command = line.trim();
            if command.is_empty() {
                continue;
            }
            if matches!(command, "\\q" | "exit" | "quit" | "exit;" | "quit;") {
                break;
            }
            if command.starts_with('\\') {
                let _ = editor.add_history_entry(command);
                meta_command(session, command, format).await;
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if statement_complete(&buffer) {
            let sql = std::mem::take(&mut buffer);
            let _ = editor.add_history_entry(sql.trim());
            run_interactive(session, &sql, format).await;
        }
    }

    if let Some(path) = &history {
        if let Err(err) = editor.save_history(path) {
            tracing::debug!(path = %path.display(), %err, "Could not save the shell history.");
        }
    }
    Ok(())
}

/// Runs statements typed in the shell; errors are printed, not returned.
async fn run_interactive(session: &LakeSession, sql: &str, format: OutputFormat) {
    let statements = match session.parse(sql) {
        Ok(statements) => statements,
        Err(err) => return eprintln!("error: {err}"),
    };
    for statement in &statements {
        let started = Instant::now();
        let run = async {
            let df = session.execute(statement).await?;
            session.collect(df).await
        };
        let result = tokio::select! {
            result = run => result,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("cancelled");
                return;
            }
        };
        match result.and_then(|result| {
            print_result(&result, format)?;
            Ok(result.num_rows())
        }) {
            Ok(rows) => eprintln!(
                "({rows} row{}, {:.3}s)",
                if rows == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64()
            ),
            Err(err) => {
                eprintln!("error: {err}");
                return;
            }
        }
    }
}

/// `\d`, `\d NAME`, `\?`.
async fn meta_command(session: &LakeSession, command: &str, format: OutputFormat) {
    let mut words = command.split_whitespace();
    match (words.next(), words.next()) {
        (Some("\\d"), None) => {
            for table in session.tables() {
                println!("{table}");
            }
        }
        (Some("\\d"), Some(name)) => {
            let name = name.trim_end_matches(';');
            let sql = format!("DESCRIBE {};", quote_identifier(name));
            run_interactive(session, &sql, format).await;
        }
        (Some("\\?" | "\\h" | "\\help"), _) => eprintln!("{HELP}"),
        _ => eprintln!("unknown command {command:?}; \\? for help"),
    }
}

/// `name` as a SQL identifier: bare when it is lower-case letters, digits and `_`,
/// double-quoted otherwise.
fn quote_identifier(name: &str) -> String {
    let bare = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if bare && !name.is_empty() {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `$HOME/.tripline_history`, when there is a home.
fn history_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(".tripline_history"))
}

/// Parses a size such as `1GiB`, `512 MiB`, `2G` or `1073741824` into bytes. Units
/// (case-insensitive) are powers of 1024: `K`/`KB`/`KiB`, `M`…, `G`…, `T`….
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 512MiB or 2GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use KiB, MiB, GiB or TiB)"
            ))
        }
    };
    let bytes = number * (1_u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("{text:?} is not a usable memory size"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512 mib"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_identifier("cloudtrail"), "cloudtrail");
        assert_eq!(quote_identifier("Alerts"), "\"Alerts\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
