//! Parsers: one record (a JSON document or a text line) into rows of the canonical
//! tables. Recognition is by content, never by file name, so mixed folders work.
//!
//! - [`cloudtrail`]: CloudTrail events, on the hot path with a typed, borrowing parse
//!   (`identity`: their `userIdentity`, parsed once per distinct document).
//! - [`envelope`]: containers — `{"Records":[…]}` documents, EventBridge envelopes of
//!   CloudTrail events, CloudWatch Logs subscription payloads — opened recursively.
//! - [`lambda`]: Lambda event payloads, Powertools logs, API Gateway access logs.
//! - [`runtime`]: Lambda platform lines, text and Telemetry API JSON.
//!
//! A record is the smallest unit of input: an event, a log line, one log event inside
//! an envelope. Every record ends up in exactly one of three places, reported to a
//! [`Sink`]: stored (in a table), quarantined (with a reason), or skipped (a control
//! message or digest that carries no events, with a reason) — so
//! `records in = stored + quarantined + skipped` always holds.

pub mod cloudtrail;
pub mod envelope;
mod identity;
pub mod lambda;
pub mod runtime;
pub(crate) mod str;
pub mod time;

use crate::error::RecordError;
use crate::position::{Context, Position};
use crate::table::{Table, Tables};

/// The two families of input, for `--format cloudtrail|lambda`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// CloudTrail events, in any envelope.
    CloudTrail,
    /// Lambda event payloads, function and platform logs, access logs.
    Lambda,
}

impl Family {
    /// The error for a record of this family when the run accepts only the other.
    pub(crate) fn refused(self) -> RecordError {
        match self {
            Family::CloudTrail => RecordError::Unrecognised(
                "a CloudTrail event, but `--format lambda` accepts only Lambda logs".into(),
            ),
            Family::Lambda => RecordError::Unrecognised(
                "not a CloudTrail event (`--format cloudtrail` was given)".into(),
            ),
        }
    }
}

/// Where the outcome of each record goes. The sink owns the table builders the
/// parsers append to, and decides when to flush them.
pub trait Sink {
    /// The builders the parser appends to.
    fn tables(&mut self) -> &mut Tables;
    /// The rows of one record were appended to the builders of `table`.
    fn stored(&mut self, table: Table);
    /// The record could not be parsed.
    fn quarantined(&mut self, pos: &Position, raw: &[u8], reason: &RecordError);
    /// The record carries no event by design (e.g. a CloudWatch Logs control message).
    fn skipped(&mut self, reason: &'static str);
    /// Whether records of `family` are accepted (`--format`); refused ones are
    /// quarantined with a reason saying so, never dropped.
    fn accepts(&self, family: Family) -> bool {
        let _ = family;
        true
    }
}

/// Parses one JSON record and reports its outcome (or the outcomes of the records
/// inside it, for envelopes) to `sink`.
pub fn json_record(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) {
    envelope::dispatch(bytes, pos, ctx, sink);
}

/// Parses a JSON line that most likely holds one record (the splitter's fast path)
/// and returns true; returns false, having reported nothing, when it is not exactly
/// one valid JSON value, for the caller to split it exactly.
pub fn json_line(bytes: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) -> bool {
    envelope::dispatch_line(bytes, pos, ctx, sink)
}

/// Parses one text line (a Lambda platform or function log line).
pub fn text_record(line: &[u8], pos: &Position, ctx: &Context, sink: &mut dyn Sink) {
    if !sink.accepts(Family::Lambda) {
        return sink.quarantined(pos, line, &Family::Lambda.refused());
    }
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    let source = pos.render();
    match runtime::parse_text(text, ctx, &source, sink.tables()) {
        Ok(table) => sink.stored(table),
        Err(e) => sink.quarantined(pos, line, &e),
    }
}
