//! Splits a byte stream into records without loading it whole.
//!
//! The stream may hold, in any mix: one `{"Records":[…]}` document (a CloudTrail
//! delivery file, minified or pretty-printed), a bare JSON array of events, JSON lines,
//! concatenated JSON values, or text lines (Lambda platform logs). `Records` arrays and
//! top-level arrays are streamed element by element, so memory is bounded by the
//! largest single record, not by the file. Every record is reported with its byte
//! offset and 1-based line, for the `source` column and quarantine lines.
//!
//! Malformed input is contained: once the stream is known to be line-oriented (its
//! first value fits on one line), a newline inside an unfinished value ends that value
//! as a broken record and scanning resumes on the next line, so one bad line never
//! swallows the rest of the file. A record over the size limit is reported (with a
//! bounded sample) and skipped. A read error (truncated gzip) ends the stream after
//! every complete record before it has been reported.
//!
//! JSON lines have a fast path ([`Splitter::fast_lines`]): in a line-oriented stream,
//! a line that starts with `{`, ends with `}` and holds no `"Records"` is almost always
//! exactly one JSON object, so it is handed over whole as a [`Kind::Line`] without the
//! byte-by-byte scan, which was an eighth of `tripline detect` over JSON lines. The
//! consumer's parse is the check: a line that is not exactly one valid JSON value goes
//! back through [`split_line`], which reports what the scanner would have.

use std::io::{self, Read};
use std::sync::OnceLock;

use memchr::memmem::Finder;
use memchr::{memchr, memchr3};

use crate::error::RecordError;

/// What a piece of the stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON value (object, array or scalar).
    Json,
    /// A text line (without its line terminator).
    Text,
    /// A whole line of a line-oriented stream (with its line terminator) that most
    /// likely holds one JSON object: only from a splitter with
    /// [`Splitter::fast_lines`]. Parse [`line_value`] of it as one JSON value; if it is
    /// not exactly one valid value, report nothing and pass it to [`split_line`].
    Line,
}

/// One record of the stream.
#[derive(Debug)]
pub struct Piece<'a> {
    /// JSON or text.
    pub kind: Kind,
    /// The record's bytes (a bounded sample when `problem` is set).
    pub bytes: &'a [u8],
    /// Byte offset of the record in the stream.
    pub offset: u64,
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// Set when the record is broken (truncated, unterminated, too large).
    pub problem: Option<RecordError>,
}

/// Bytes of a broken record kept for the quarantine.
const SAMPLE: usize = 4096;
/// Bytes read at a time.
const CHUNK: usize = 256 * 1024;

/// The streaming record splitter. See the module docs.
pub struct Splitter<R> {
    reader: R,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Scan position in `buf`.
    pos: usize,
    /// Line number at `pos`.
    line: u64,
    eof: bool,
    error: Option<io::Error>,
    max_record: usize,
    /// Decided after the first value: `Some(true)` when the stream is line-oriented.
    compact: Option<bool>,
    /// Hand over plain JSON lines whole ([`Kind::Line`]).
    fast_lines: bool,
    /// Bytes asked of the reader at a time ([`CHUNK`], or a whole line's length when
    /// [`split_line`] re-splits one).
    chunk: usize,
}

/// Finds `"Records"`, whose lines need the scanner (it streams their elements).
fn records_key() -> &'static Finder<'static> {
    static F: OnceLock<Finder<'static>> = OnceLock::new();
    F.get_or_init(|| Finder::new(b"\"Records\""))
}

/// Scanner state of one top-level value.
struct Value {
    /// Start of the retained bytes of the value or of the current element.
    start: usize,
    start_off: u64,
    start_line: u64,
    depth: u32,
    /// Depth at which container elements are emitted one by one.
    stream: Option<u32>,
    /// In stream mode: an element is in progress.
    in_elem: bool,
    /// The last string at depth 1 was the key `Records`.
    records_key: bool,
    /// Whether this value has streamed elements (then it is not emitted whole).
    streamed: bool,
    /// Sample kept once the current record exceeded the size limit.
    oversize: Option<Vec<u8>>,
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader`, refusing records larger than `max_record` bytes.
    pub fn new(reader: R, max_record: usize) -> Self {
        Self::sized(reader, max_record, CHUNK)
    }

    /// A splitter asking `chunk` bytes of the reader at a time.
    fn sized(reader: R, max_record: usize, chunk: usize) -> Self {
        Splitter {
            reader,
            buf: Vec::with_capacity(chunk * 2),
            base: 0,
            pos: 0,
            line: 1,
            eof: false,
            error: None,
            max_record: max_record.max(SAMPLE),
            compact: None,
            fast_lines: false,
            chunk,
        }
    }

    /// Enables the JSON-lines fast path: the consumer must handle [`Kind::Line`].
    pub fn fast_lines(mut self) -> Self {
        self.fast_lines = true;
        self
    }

    /// A splitter over a part of a line-oriented stream that starts at byte `offset`
    /// of it, just after a newline: offsets are reported in the whole stream, lines
    /// from 1 at the part's start, and a newline inside a value breaks it, as in the
    /// one-pass splitter once it has seen the stream's first line.
    pub fn line_oriented_at(reader: R, max_record: usize, offset: u64) -> Self {
        Self::line_oriented_sized(reader, max_record, offset, CHUNK)
    }

    fn line_oriented_sized(reader: R, max_record: usize, offset: u64, chunk: usize) -> Self {
        Splitter {
            base: offset,
            compact: Some(true),
            ..Splitter::sized(reader, max_record, chunk)
        }
    }

    /// Bytes consumed from the stream so far.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Drops `buf[..keep]` and reads more. Returns false at the end of the stream.
    fn refill(&mut self, keep: usize) -> bool {
        if self.eof {
            return false;
        }
        if keep > 0 {
            self.buf.drain(..keep);
            self.base += keep as u64;
            self.pos -= keep;
        }
        let len = self.buf.len();
        self.buf.resize(len + self.chunk, 0);
        loop {
            match self.reader.read(&mut self.buf[len..]) {
                Ok(0) => {
                    self.buf.truncate(len);
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.buf.truncate(len + n);
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(len);
                    self.eof = true;
                    self.error = Some(e);
                    return false;
                }
            }
        }
    }

    /// Reports every record to `f`. Returns the read error that ended the stream
    /// early, if any, after the records before it (and the broken one) were reported.
    pub fn run(&mut self, f: &mut dyn FnMut(Piece<'_>)) -> Result<(), io::Error> {
        loop {
            // Skip whitespace between top-level values.
            loop {
                if self.pos == self.buf.len() && !self.refill(self.pos) {
                    break;
                }
                match self.buf[self.pos] {
                    b'\n' => {
                        self.line += 1;
                        self.pos += 1;
                    }
                    b' ' | b'\t' | b'\r' | 0xEF | 0xBB | 0xBF => self.pos += 1, // BOM too
                    _ => break,
                }
            }
            if self.pos == self.buf.len() {
                break;
            }
            if self.starts_json() {
                if !(self.fast_lines && self.compact == Some(true) && self.plain_line(f)) {
                    self.value(f)
                }
            } else {
                self.text_line(f)
            }
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// True when the record at `pos` starts like JSON: `{` then a key or `}`, or `[` then
    /// a value or `]`. Text lines that merely start with a bracket — Python's
    /// `[ERROR] 2024-… message` — are text.
    fn starts_json(&mut self) -> bool {
        let open = self.buf[self.pos];
        if open != b'{' && open != b'[' {
            return false;
        }
        // Look at the first non-blank byte after the bracket, reading more if needed.
        let mut i = self.pos + 1;
        loop {
            if i == self.buf.len() {
                let old = self.pos;
                let more = self.refill(self.pos);
                i -= old - self.pos;
                if !more {
                    // `{` or `[` alone at the end: let the JSON scanner report it.
                    return true;
                }
                continue;
            }
            match self.buf[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'"' => return true,
                b'}' => return open == b'{',
                b'{' | b'[' | b']' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                    return open == b'['
                }
                _ => return false,
            }
        }
    }

    /// The fast path: reports the line at `pos` as a [`Kind::Line`] when it starts with
    /// `{`, ends with `}`, holds no `"Records"` and fits in the size limit, and returns
    /// true; otherwise leaves it to the scanner. A line that runs past the buffer gets
    /// one more read (lines are far shorter than a chunk).
    fn plain_line(&mut self, f: &mut dyn FnMut(Piece<'_>)) -> bool {
        if self.buf[self.pos] != b'{' {
            return false;
        }
        let mut end = memchr(b'\n', &self.buf[self.pos..]);
        if end.is_none() && self.refill(self.pos) {
            end = memchr(b'\n', &self.buf[self.pos..]);
        }
        let Some(len) = end else { return false };
        if len > self.max_record {
            return false;
        }
        let line = &self.buf[self.pos..=self.pos + len];
        let body = trim_end(line);
        if body.last() != Some(&b'}') || records_key().find(body).is_some() {
            return false;
        }
        f(Piece {
            kind: Kind::Line,
            bytes: line,
            offset: self.offset(),
            line: self.line,
            problem: None,
        });
        self.pos += len + 1;
        self.line += 1;
        true
    }

    fn text_line(&mut self, f: &mut dyn FnMut(Piece<'_>)) {
        let start_off = self.offset();
        let line = self.line;
        let mut start = self.pos;
        let mut sample: Option<Vec<u8>> = None;
        let end = loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.pos..]) {
                break Some(self.pos + i);
            }
            self.pos = self.buf.len();
            if self.pos - start > self.max_record && sample.is_none() {
                sample = Some(self.buf[start..start + SAMPLE].to_vec());
            }
            let keep = if sample.is_some() { self.pos } else { start };
            let old = self.pos;
            let more = self.refill(keep);
            start = start.saturating_sub(old - self.pos);
            if !more {
                break None;
            }
        };
        let stop = end.unwrap_or(self.buf.len());
        let size = self.offset() + (stop - self.pos) as u64 - start_off;
        let mut bytes = &self.buf[start.min(stop)..stop];
        if bytes.last() == Some(&b'\r') {
            bytes = &bytes[..bytes.len() - 1];
        }
        match sample {
            Some(s) => f(Piece {
                kind: Kind::Text,
                bytes: &s,
                offset: start_off,
                line,
                problem: Some(RecordError::TooLarge {
                    size,
                    limit: self.max_record as u64,
                }),
            }),
            None => {
                let problem = match (&self.error, end) {
                    (Some(e), None) => Some(RecordError::Truncated(e.to_string())),
                    _ => None,
                };
                f(Piece {
                    kind: Kind::Text,
                    bytes,
                    offset: start_off,
                    line,
                    problem,
                })
            }
        }
        self.pos = stop;
        if end.is_some() {
            self.pos += 1;
            self.line += 1;
        }
        if self.compact.is_none() {
            self.compact = Some(true);
        }
    }

    fn value(&mut self, f: &mut dyn FnMut(Piece<'_>)) {
        let mut v = Value {
            start: self.pos,
            start_off: self.offset(),
            start_line: self.line,
            depth: 0,
            stream: None,
            in_elem: false,
            records_key: false,
            streamed: false,
            oversize: None,
        };
        let first_line = self.line;
        let mut in_str = false;
        let mut str_start = 0usize;
        loop {
            if self.pos == self.buf.len() {
                let keep = if v.stream.is_some() && !v.in_elem {
                    self.pos
                } else {
                    v.start
                };
                let keep = if v.oversize.is_some() { self.pos } else { keep };
                let old = self.pos;
                let more = self.refill(keep);
                let shift = old - self.pos;
                v.start = v.start.saturating_sub(shift);
                str_start = str_start.saturating_sub(shift);
                if !more {
                    return self.unterminated(&mut v, f);
                }
                continue;
            }
            if in_str {
                match memchr3(b'"', b'\\', b'\n', &self.buf[self.pos..]) {
                    None => self.pos = self.buf.len(),
                    Some(i) => {
                        self.pos += i;
                        match self.buf[self.pos] {
                            b'"' => {
                                in_str = false;
                                self.pos += 1;
                                if v.depth == 1 && v.stream.is_none() {
                                    v.records_key =
                                        &self.buf[str_start..self.pos] == b"\"Records\"";
                                }
                                if v.stream == Some(v.depth) && v.in_elem {
                                    // A string element of a streamed array.
                                    self.emit_elem(&mut v, f);
                                }
                            }
                            b'\\' => {
                                // Skip the escaped byte (it may be a quote); it may lie
                                // past the buffer end, which the next round handles.
                                if self.pos + 1 < self.buf.len() {
                                    self.pos += 2;
                                } else {
                                    let keep = if v.oversize.is_some() {
                                        self.pos
                                    } else {
                                        v.start
                                    };
                                    let old = self.pos;
                                    let more = self.refill(keep);
                                    let shift = old - self.pos;
                                    v.start = v.start.saturating_sub(shift);
                                    str_start = str_start.saturating_sub(shift);
                                    if !more {
                                        return self.unterminated(&mut v, f);
                                    }
                                }
                            }
                            _ => {
                                // A raw newline inside a string: invalid JSON.
                                if self.compact == Some(true) {
                                    return self.broken_line(&mut v, f);
                                }
                                self.line += 1;
                                self.pos += 1;
                            }
                        }
                    }
                }
                self.check_size(&mut v);
                continue;
            }
            let b = self.buf[self.pos];
            match b {
                b'"' => {
                    if v.stream == Some(v.depth) && !v.in_elem {
                        self.begin_elem(&mut v);
                    }
                    in_str = true;
                    str_start = self.pos;
                    self.pos += 1;
                }
                b'{' | b'[' => {
                    if v.stream == Some(v.depth) && !v.in_elem {
                        self.begin_elem(&mut v);
                    }
                    let records = b == b'['
                        && v.depth == 1
                        && v.records_key
                        && v.stream.is_none()
                        && !v.streamed;
                    let top_array = b == b'[' && v.depth == 0;
                    v.depth += 1;
                    self.pos += 1;
                    if records || top_array {
                        v.stream = Some(v.depth);
                        v.streamed = true;
                        v.in_elem = false;
                    }
                }
                b'}' | b']' => {
                    if v.stream == Some(v.depth) {
                        // End of a streamed container; a scalar element may end here.
                        if v.in_elem {
                            self.emit_elem(&mut v, f);
                        }
                        v.stream = None;
                    }
                    v.depth = v.depth.saturating_sub(1);
                    self.pos += 1;
                    if v.stream == Some(v.depth) && v.in_elem {
                        self.emit_elem(&mut v, f);
                    } else if v.depth == 0 {
                        return self.finish_value(&mut v, first_line, f);
                    }
                }
                b',' => {
                    if v.stream == Some(v.depth) && v.in_elem {
                        self.emit_elem(&mut v, f);
                    }
                    v.records_key = false;
                    self.pos += 1;
                }
                b'\n' => {
                    if self.compact == Some(true) && (v.stream.is_none() || v.in_elem) {
                        return self.broken_line(&mut v, f);
                    }
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b':' => self.pos += 1,
                _ => {
                    if v.stream == Some(v.depth) && !v.in_elem {
                        self.begin_elem(&mut v);
                    }
                    v.records_key = false;
                    self.pos += 1;
                }
            }
            self.check_size(&mut v);
        }
    }

    fn begin_elem(&mut self, v: &mut Value) {
        v.in_elem = true;
        v.start = self.pos;
        v.start_off = self.offset();
        v.start_line = self.line;
        v.oversize = None;
    }

    /// Notes a record over the size limit: keeps a sample, stops retaining bytes.
    fn check_size(&mut self, v: &mut Value) {
        if v.oversize.is_none()
            && (v.stream.is_none() || v.in_elem)
            && self.pos - v.start > self.max_record
        {
            v.oversize = Some(self.buf[v.start..v.start + SAMPLE].to_vec());
        }
    }

    fn emit_elem(&mut self, v: &mut Value, f: &mut dyn FnMut(Piece<'_>)) {
        v.in_elem = false;
        self.emit(v, self.pos, None, f);
    }

    fn emit(
        &mut self,
        v: &mut Value,
        end: usize,
        problem: Option<RecordError>,
        f: &mut dyn FnMut(Piece<'_>),
    ) {
        let size = self.base + end as u64 - v.start_off;
        let (bytes, problem) = match v.oversize.take() {
            Some(sample) => {
                let p = RecordError::TooLarge {
                    size,
                    limit: self.max_record as u64,
                };
                f(Piece {
                    kind: Kind::Json,
                    bytes: &sample,
                    offset: v.start_off,
                    line: v.start_line,
                    problem: Some(p),
                });
                return;
            }
            None => (trim_end(&self.buf[v.start.min(end)..end]), problem),
        };
        f(Piece {
            kind: Kind::Json,
            bytes,
            offset: v.start_off,
            line: v.start_line,
            problem,
        });
    }

    fn finish_value(&mut self, v: &mut Value, first_line: u64, f: &mut dyn FnMut(Piece<'_>)) {
        if !v.streamed {
            self.emit(v, self.pos, None, f);
        }
        if self.compact.is_none() {
            self.compact = Some(self.line == first_line);
        }
    }

    /// A newline inside a value of a line-oriented stream: the value is broken.
    fn broken_line(&mut self, v: &mut Value, f: &mut dyn FnMut(Piece<'_>)) {
        let p = RecordError::Json(format!(
            "line {} ends inside a JSON value (unbalanced brackets or quotes)",
            self.line
        ));
        if v.stream.is_some() && !v.in_elem {
            // Between elements of a streamed container: nothing to report but the
            // container itself, which is broken from here on.
            v.start = self.pos;
            v.start_off = self.offset();
            v.start_line = self.line;
        }
        self.emit(v, self.pos, Some(p), f);
        // Resume at the next line, outside any value.
        self.pos += 1;
        self.line += 1;
    }

    /// The stream ended inside a value.
    fn unterminated(&mut self, v: &mut Value, f: &mut dyn FnMut(Piece<'_>)) {
        let reason = match &self.error {
            Some(e) => format!("read error: {e}"),
            None => "end of input before the JSON value closed".to_string(),
        };
        if v.stream.is_some() && !v.in_elem {
            v.start = self.pos;
            v.start_off = self.offset();
            v.start_line = self.line;
        }
        let end = self.buf.len();
        let has_bytes = end > v.start || v.oversize.is_some();
        if has_bytes || !v.streamed {
            let mut sample_end = end;
            if v.oversize.is_none() && end - v.start > SAMPLE {
                sample_end = v.start + SAMPLE;
            }
            self.emit(v, sample_end, Some(RecordError::Truncated(reason)), f);
        } else {
            // The stream broke between elements of a container: report the damage as
            // a record so it is counted and visible.
            f(Piece {
                kind: Kind::Json,
                bytes: b"",
                offset: self.offset(),
                line: self.line,
                problem: Some(RecordError::Truncated(reason)),
            });
        }
        self.pos = end;
    }
}

/// The JSON text of a [`Kind::Line`]: the line without its terminator and trailing
/// blanks.
pub fn line_value(line: &[u8]) -> &[u8] {
    trim_end(line)
}

/// Splits a [`Kind::Line`] that its consumer found is not exactly one JSON value, as
/// the scanner would have split it in place: broken values, several values on one
/// line, all with their positions in the stream.
pub fn split_line(piece: &Piece<'_>, max_record: usize, f: &mut dyn FnMut(Piece<'_>)) {
    // Buffers sized to the line: a file of broken lines must not cost a chunk-sized
    // allocation and fill per line.
    let chunk = piece.bytes.len().max(1);
    let mut s = Splitter::line_oriented_sized(piece.bytes, max_record, piece.offset, chunk);
    s.line = piece.line;
    // Reading a slice cannot fail.
    let _ = s.run(f);
}

fn trim_end(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &b[..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One split record: (text, offset, line, problem).
    type Rec = (String, u64, u64, Option<String>);

    /// `input` read at most `step` bytes at a time.
    struct Slow<'a>(&'a [u8], usize);

    impl Read for Slow<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Splits `input` fed in reads of `step` bytes.
    fn split_with(input: &[u8], step: usize, max: usize) -> (Vec<Rec>, bool) {
        let mut s = Splitter::new(Slow(input, step), max);
        let mut out = vec![];
        let r = s.run(&mut |p| {
            out.push((
                String::from_utf8_lossy(p.bytes).into_owned(),
                p.offset,
                p.line,
                p.problem.map(|e| e.to_string()),
            ))
        });
        (out, r.is_err())
    }

    fn split(input: &str) -> Vec<Rec> {
        let (a, _) = split_with(input.as_bytes(), usize::MAX, 1 << 20);
        // Every read size gives the same records.
        for step in [1, 2, 3, 7, 64] {
            let (b, _) = split_with(input.as_bytes(), step, 1 << 20);
            assert_eq!(a, b, "step {step}");
        }
        a
    }

    /// Splits `input` with the fast path on, a consumer taking a [`Kind::Line`] when it
    /// parses as one JSON value (as the parsers do) and splitting it exactly otherwise.
    fn split_fast(input: &[u8], step: usize, max: usize) -> Vec<Rec> {
        fn take(p: Piece<'_>, max: usize, out: &mut Vec<Rec>) {
            if p.kind == Kind::Line {
                let value = line_value(p.bytes);
                if serde_json::from_slice::<serde::de::IgnoredAny>(value).is_ok() {
                    let text = String::from_utf8_lossy(value).into_owned();
                    return out.push((text, p.offset, p.line, None));
                }
                return split_line(&p, max, &mut |q| take(q, max, out));
            }
            let text = String::from_utf8_lossy(p.bytes).into_owned();
            out.push((text, p.offset, p.line, p.problem.map(|e| e.to_string())));
        }
        let mut s = Splitter::new(Slow(input, step), max).fast_lines();
        let mut out = vec![];
        let _ = s.run(&mut |p| take(p, max, &mut out));
        out
    }

    /// The fast path reports what the scanner reports, for any mix of lines.
    fn same_as_scanner(input: &str) {
        let (exact, _) = split_with(input.as_bytes(), usize::MAX, 1 << 20);
        for step in [3, 64, usize::MAX] {
            assert_eq!(
                split_fast(input.as_bytes(), step, 1 << 20),
                exact,
                "step {step}: {input:?}"
            );
        }
    }

    #[test]
    fn fast_lines_report_what_the_scanner_reports() {
        same_as_scanner("{\"a\":1}\n{\"b\":\"}\"}\r\n  {\"c\":[1,2]}  \n");
        // Broken, several values on a line, brackets inside strings, text, arrays.
        same_as_scanner("{\"a\":1}\n{\"b\":\"x}\n{\"c\":3}\n{\"d\":1} {\"e\":2}\n{\"f\":1}}\n");
        same_as_scanner(
            "{\"a\":1}\nSTART RequestId: x\n[{\"b\":2}]\n{\"Records\":[{\"c\":3},{\"d\":4}]}\n",
        );
        same_as_scanner(
            "{\"a\":1}\n{\"x\":\"a\\\"}\"}\n{\"bad\":\u{1}}\n{}\n{\"t\":\"no newline at end\"}",
        );
        same_as_scanner("{\"a\":1}\n{\"nested\":{\"Records\":[1]}}\n{\"q\":\"\\u0041\"}\n");
    }

    proptest::proptest! {
        #[test]
        fn fast_lines_match_the_scanner_on_random_lines(
            lines in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("{\"a\":1}".to_string()),
                proptest::strategy::Just("{\"b\":\"}{\"}".to_string()),
                proptest::strategy::Just("{\"c\":".to_string()),
                proptest::strategy::Just("{\"d\":1}{\"e\":2}".to_string()),
                proptest::strategy::Just("{\"Records\":[{\"f\":1}]}".to_string()),
                proptest::strategy::Just("text line }".to_string()),
                proptest::strategy::Just("".to_string()),
                "[{}\"a-z:,\\\\ ]{0,12}",
            ], 1..12),
            crlf in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            // A first line that makes the stream line-oriented, as real JSON lines are.
            let input = format!("{{\"first\":0}}{eol}{}", lines.join(eol));
            same_as_scanner(&input);
        }
    }

    #[test]
    fn records_document_is_streamed_per_element() {
        let doc = r#"{"Records":[{"a":1},{"b":"x}]"} , {"c":[1,{"d":2}]}]}"#;
        let r = split(doc);
        let texts: Vec<_> = r.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            texts,
            [r#"{"a":1}"#, r#"{"b":"x}]"}"#, r#"{"c":[1,{"d":2}]}"#]
        );
        assert_eq!(r[1].1, doc.find(r#"{"b""#).unwrap() as u64);
    }

    #[test]
    fn records_key_after_other_keys_and_pretty_printing() {
        let doc = "{\n  \"other\": {\"Records\": 1},\n  \"Records\": [\n    {\"a\": 1},\n    {\"b\": 2}\n  ]\n}\n";
        let r = split(doc);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].0.as_str(), r[0].2), ("{\"a\": 1}", 4));
        assert_eq!((r[1].0.as_str(), r[1].2), ("{\"b\": 2}", 5));
    }

    #[test]
    fn json_lines_array_and_text_mixed() {
        let input = "{\"a\":1}\n[{\"b\":2},{\"c\":3}]\nSTART RequestId: x\r\n\n{\"d\":\"q\\\"\"}\n[ERROR] boom [1]\n{not json}";
        let r = split(input);
        let texts: Vec<_> = r.iter().map(|x| (x.0.as_str(), x.2)).collect();
        assert_eq!(
            texts,
            [
                ("{\"a\":1}", 1),
                ("{\"b\":2}", 2),
                ("{\"c\":3}", 2),
                ("START RequestId: x", 3),
                ("{\"d\":\"q\\\"\"}", 5),
                ("[ERROR] boom [1]", 6),
                ("{not json}", 7)
            ]
        );
    }

    #[test]
    fn a_broken_line_does_not_swallow_the_next() {
        let r = split("{\"a\":1}\n{\"b\": [1, 2\n{\"c\":3}\n");
        assert_eq!(r.len(), 3);
        assert!(r[1].3.as_deref().unwrap().contains("line 2"), "{:?}", r[1]);
        assert_eq!(r[2].0, "{\"c\":3}");
        assert!(r[2].3.is_none());
    }

    #[test]
    fn truncated_input_keeps_complete_records() {
        let r = split("{\"Records\":[{\"a\":1},{\"b\":2},{\"c\":");
        assert_eq!(r.len(), 3);
        assert!(r[0].3.is_none() && r[1].3.is_none());
        assert!(
            r[2].3.as_deref().unwrap().contains("end of input"),
            "{:?}",
            r[2]
        );
    }

    #[test]
    fn oversized_records_are_reported_with_a_sample() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(20_000));
        let input = format!("{{\"Records\":[{big},{{\"ok\":1}}]}}");
        for step in [1000, usize::MAX] {
            let (r, _) = split_with(input.as_bytes(), step, 8192);
            assert_eq!(r.len(), 2, "step {step}");
            assert!(
                r[0].3.as_deref().unwrap().contains("exceeds"),
                "{:?}",
                r[0].3
            );
            assert_eq!(r[0].0.len(), SAMPLE);
            assert_eq!(r[1].0, "{\"ok\":1}");
        }
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert!(split("").is_empty());
        assert!(split(" \n\n ").is_empty());
        assert!(split("{\"Records\":[]}").is_empty());
    }

    #[test]
    fn read_error_is_returned_after_the_records() {
        struct Fails(bool);
        impl Read for Fails {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "corrupt deflate stream",
                    ));
                }
                self.0 = true;
                let s = b"{\"a\":1}\n{\"b\":";
                out[..s.len()].copy_from_slice(s);
                Ok(s.len())
            }
        }
        let mut s = Splitter::new(Fails(false), 1 << 20);
        let mut got = vec![];
        let r = s.run(&mut |p| got.push((p.bytes.to_vec(), p.problem.map(|e| e.to_string()))));
        assert!(r.is_err());
        assert_eq!(got[0].0, b"{\"a\":1}");
        assert!(
            got[1].1.as_deref().unwrap().contains("corrupt deflate"),
            "{:?}",
            got[1]
        );
    }
}
