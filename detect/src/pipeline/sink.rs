//! [`FindingSink`]: where findings go — OCSF JSON lines, a table for people, the lake's
//! `alerts` table, memory — each saying what it has made durable, so that an
//! at-least-once service commits its input only behind what its sinks acknowledged.

use std::io::Write;
use std::path::PathBuf;

use comfy_table::{presets, ContentArrangement};

use crate::error::DetectError;
use crate::finding::{to_table_row, write_lines, TABLE_HEADER};
use crate::model::Finding;

/// A destination for findings.
///
/// [`FindingSink::write`] may buffer; [`FindingSink::flush`] returns once everything
/// written before it is durable (written out, acknowledged by a broker, renamed into
/// the lake) and says how many findings that is in all.
pub trait FindingSink {
    /// A short name for logs and errors (`ocsf`, `table`, `alerts`…).
    fn name(&self) -> &'static str;

    /// Hands `findings` to the sink, in order.
    fn write(&mut self, findings: &[Finding]) -> Result<(), DetectError>;

    /// Makes every finding written so far durable; returns how many findings the
    /// sink has acknowledged since it was made.
    fn flush(&mut self) -> Result<u64, DetectError>;
}

/// OCSF Detection Finding JSON, one object per line, to any writer.
pub struct OcsfLines<W: Write> {
    out: W,
    threads: usize,
    written: u64,
}

impl<W: Write> OcsfLines<W> {
    /// Lines to `out`, encoded on up to `threads` threads.
    pub fn new(out: W, threads: usize) -> Self {
        OcsfLines {
            out,
            threads,
            written: 0,
        }
    }
}

impl<W: Write> FindingSink for OcsfLines<W> {
    fn name(&self) -> &'static str {
        "ocsf"
    }

    fn write(&mut self, findings: &[Finding]) -> Result<(), DetectError> {
        write_lines(findings, &mut self.out, self.threads).map_err(DetectError::Output)?;
        self.written += findings.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, DetectError> {
        self.out.flush().map_err(DetectError::Output)?;
        Ok(self.written)
    }
}

/// A table for people: time, severity, rule, group, count; columns aligned over all
/// findings, so it is written at [`FindingSink::flush`].
pub struct FindingTable<W: Write> {
    out: W,
    rows: Vec<[String; 5]>,
    written: u64,
}

impl<W: Write> FindingTable<W> {
    /// A table written to `out`.
    pub fn new(out: W) -> Self {
        FindingTable {
            out,
            rows: Vec::new(),
            written: 0,
        }
    }
}

impl<W: Write> FindingSink for FindingTable<W> {
    fn name(&self) -> &'static str {
        "table"
    }

    fn write(&mut self, findings: &[Finding]) -> Result<(), DetectError> {
        self.rows.extend(findings.iter().map(to_table_row));
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, DetectError> {
        let rows = std::mem::take(&mut self.rows);
        let n = rows.len() as u64;
        let mut t = comfy_table::Table::new();
        t.load_preset(presets::NOTHING)
            // Fitted to the terminal when there is one; piped output is not wrapped.
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(TABLE_HEADER)
            .add_rows(rows);
        // Flush left, as the CLI's other tables: lines start with the time.
        if let Some(c) = t.column_mut(0) {
            c.set_padding((0, 1));
        }
        for line in t.lines() {
            writeln!(self.out, "{}", line.trim_end()).map_err(DetectError::Output)?;
        }
        self.out.flush().map_err(DetectError::Output)?;
        self.written += n;
        Ok(self.written)
    }
}

/// The lake's `alerts` table: findings buffered, then written as Parquet and renamed
/// into place at [`FindingSink::flush`] (idempotent: the file name is the hash of the
/// findings' uids).
pub struct AlertsTable {
    lake: PathBuf,
    pending: Vec<Finding>,
    written: u64,
}

impl AlertsTable {
    /// The `alerts` table of the lake at `lake`.
    pub fn new(lake: impl Into<PathBuf>) -> Self {
        AlertsTable {
            lake: lake.into(),
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl FindingSink for AlertsTable {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn write(&mut self, findings: &[Finding]) -> Result<(), DetectError> {
        self.pending.extend_from_slice(findings);
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, DetectError> {
        if !self.pending.is_empty() {
            crate::engine::store_alerts(&self.lake, &self.pending)?;
            self.written += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(self.written)
    }
}

/// Findings kept in memory (tests, library users).
#[derive(Debug, Default)]
pub struct Memory {
    /// Everything written, in order.
    pub findings: Vec<Finding>,
}

impl FindingSink for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn write(&mut self, findings: &[Finding]) -> Result<(), DetectError> {
        self.findings.extend_from_slice(findings);
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, DetectError> {
        Ok(self.findings.len() as u64)
    }
}
