//! Byte ranges of one large JSON-lines file, so that every core parses a part of it.
//!
//! A JSON-lines file is one record per line, so a line boundary is a record boundary
//! and a range that starts right after a newline can be split on its own. Only plain
//! (not gzip) files qualify, whose first line is one whole JSON object: that is what
//! makes the [`Splitter`](super::Splitter) treat the stream as line-oriented, and a
//! range splitter started in that mode ([`Splitter::line_oriented_at`]) then reports
//! exactly the records, byte offsets and damage the one-pass splitter would. Delivery
//! files (`{"Records":[…]}` pretty-printed, or gzip) stay whole.
//!
//! Line numbers are only needed for quarantine lines; a range knows its first line
//! lazily ([`FileRange::first_line`]), by counting the newlines before it, so a clean
//! file never pays for the count.
//!
//! [`Splitter::line_oriented_at`]: super::Splitter::line_oriented_at

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use super::{open_raw, FileSource, Hashing, Opened, Rereadable};
use crate::error::IngestError;

/// Smallest range worth a worker of its own: below this, one pass is as fast.
pub const MIN_RANGE_BYTES: u64 = 16 << 20;

/// How far the first-line check reads: a first line longer than this is not split.
const FIRST_LINE_LIMIT: usize = 1 << 20;

/// `[start, end)` of a file, parsed as a source of its own.
#[derive(Debug)]
pub struct FileRange {
    /// The file.
    pub path: PathBuf,
    /// Offset of the range's first byte (0, or just after a newline).
    pub start: u64,
    /// Offset just past the range's last byte.
    pub end: u64,
    first_line: OnceLock<u64>,
}

impl FileRange {
    /// The 1-based line number at `start`: counted once, on first use.
    pub fn first_line(&self) -> u64 {
        *self.first_line.get_or_init(|| {
            if self.start == 0 {
                return 1;
            }
            // A read error here only costs exact line numbers in quarantine lines;
            // offsets stay exact.
            count_newlines(&self.path, self.start).map_or(0, |n| n + 1)
        })
    }

    /// The line in the whole file of `line`, a 1-based line of the range (0 when the
    /// lines before the range could not be counted).
    pub fn line_in_file(&self, line: u64) -> u64 {
        match self.first_line() {
            0 => 0,
            first => first + line - 1,
        }
    }

    /// Opens the range: a reader of its bytes (never gzip: only plain files are cut),
    /// hashed as `hashing` says.
    pub fn open(&self, hashing: Hashing, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
        let err = |source| IngestError::Input {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(err)?;
        file.seek(SeekFrom::Start(self.start)).map_err(err)?;
        let again = Rereadable {
            path: self.path.clone(),
            start: self.start,
            end: Some(self.end),
        };
        let raw = Box::new(file.take(self.end - self.start));
        let name = self.path.display().to_string();
        open_raw(&name, raw, Some(again), hashing, counter, false)
    }
}

/// Splits `id` into up to `parts` ranges at line boundaries, each at least
/// [`MIN_RANGE_BYTES`] long, when it is a plain JSON-lines file; `None` when it should
/// be read whole (stdin, gzip, small, or not line-oriented).
pub fn line_ranges(id: &FileSource, parts: usize) -> Option<Vec<FileRange>> {
    let parts = parts.min((id.size() / MIN_RANGE_BYTES) as usize) as u64;
    // In u128: a size near u64::MAX (an unknown length) must not overflow.
    let guesses: Vec<u64> = (1..parts)
        .map(|k| (u128::from(id.size()) * u128::from(k) / u128::from(parts)) as u64)
        .collect();
    cut(id, &guesses)
}

/// Smallest range [`guided_line_ranges`] cuts at the end of a file.
pub const MIN_TAIL_RANGE_BYTES: u64 = 4 << 20;

/// Splits `id` for `workers` that take ranges from a shared queue, in guided
/// self-scheduling order: each range is `1 / (2 × workers)` of what is left, down to
/// [`MIN_TAIL_RANGE_BYTES`]. The first ranges are large (few opens, few partial
/// batches) and the last ones small, so the workers finish within a small range of
/// each other instead of one of them parsing a whole equal share while the others
/// idle. `None` as for [`line_ranges`]: a file under two [`MIN_RANGE_BYTES`] or one
/// that is not plain JSON lines is read whole.
pub fn guided_line_ranges(id: &FileSource, workers: usize) -> Option<Vec<FileRange>> {
    if workers < 2 || id.size() < 2 * MIN_RANGE_BYTES {
        return None;
    }
    let mut guesses = Vec::new();
    let mut at = 0u64;
    loop {
        let left = id.size() - at;
        let step = (left / (2 * workers as u64)).max(MIN_TAIL_RANGE_BYTES);
        if left < step + MIN_TAIL_RANGE_BYTES {
            break;
        }
        at += step;
        guesses.push(at);
    }
    cut(id, &guesses)
}

/// Ranges of `id` starting at 0 and at the first line start at or after each of the
/// ascending `guesses`; `None` when there is no guess or `id` is not plain JSON lines.
fn cut(id: &FileSource, guesses: &[u64]) -> Option<Vec<FileRange>> {
    let path = id.path();
    if guesses.is_empty() || !first_line_is_json(path).unwrap_or(false) {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mut starts = vec![0u64];
    for &guess in guesses {
        let Some(at) = next_line_start(&mut file, guess.max(*starts.last()?)).ok()? else {
            break;
        };
        if at > *starts.last()? && at < id.size() {
            starts.push(at);
        }
    }
    if starts.len() < 2 {
        return None;
    }
    let ends = starts[1..].iter().copied().chain([id.size()]);
    Some(
        starts
            .iter()
            .zip(ends)
            .map(|(&start, end)| FileRange {
                path: path.to_path_buf(),
                start,
                end,
                first_line: OnceLock::new(),
            })
            .collect(),
    )
}

/// True when the file starts (after whitespace) with a JSON object that ends its first
/// line: a JSON-lines file, not a pretty-printed document or gzip.
fn first_line_is_json(path: &Path) -> io::Result<bool> {
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?
        .take(FIRST_LINE_LIMIT as u64)
        .read_to_end(&mut head)?;
    let text = head.trim_ascii_start();
    if text.first() != Some(&b'{') {
        return Ok(false);
    }
    let Some(nl) = memchr::memchr(b'\n', text) else {
        return Ok(false);
    };
    Ok(serde_json::from_slice::<serde::de::IgnoredAny>(&text[..nl]).is_ok())
}

/// The offset just after the first newline at or after `from`, if any.
fn next_line_start(file: &mut File, from: u64) -> io::Result<Option<u64>> {
    file.seek(SeekFrom::Start(from))?;
    let mut at = from;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
}

/// Newlines in the file's first `len` bytes.
fn count_newlines(path: &Path, len: u64) -> io::Result<u64> {
    let mut r = File::open(path)?.take(len);
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let got = r.read(&mut buf)?;
        if got == 0 {
            return Ok(n);
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn source(path: &Path) -> FileSource {
        let meta = std::fs::metadata(path).unwrap();
        FileSource::with_key(path.to_path_buf(), meta.len(), 0)
    }

    fn jsonl(dir: &Path, lines: usize) -> PathBuf {
        let path = dir.join("events.jsonl");
        let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
        let pad = "x".repeat(900);
        for i in 0..lines {
            writeln!(f, r#"{{"eventName":"E{i}","pad":"{pad}"}}"#).unwrap();
        }
        f.flush().unwrap();
        path
    }

    #[test]
    fn ranges_cover_the_file_at_line_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = jsonl(dir.path(), 60_000);
        let bytes = std::fs::read(&path).unwrap();
        let ranges = line_ranges(&source(&path), 3).expect("splittable");
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, bytes.len() as u64);
        let mut lines = 0;
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(bytes[w[1].start as usize - 1], b'\n');
        }
        for r in &ranges {
            assert_eq!(r.first_line(), lines + 1);
            lines +=
                memchr::memchr_iter(b'\n', &bytes[r.start as usize..r.end as usize]).count() as u64;
            let mut got = Vec::new();
            r.open(Hashing::WhileReading, Arc::new(AtomicU64::new(0)))
                .unwrap()
                .reader
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, &bytes[r.start as usize..r.end as usize]);
        }
    }

    #[test]
    fn guided_ranges_shrink_towards_the_end_and_cover_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // ~60 MiB: over two MIN_RANGE_BYTES, so it is cut.
        let path = jsonl(dir.path(), 66_000);
        let size = std::fs::metadata(&path).unwrap().len();
        let ranges = guided_line_ranges(&source(&path), 2).expect("splittable");
        assert!(ranges.len() >= 4, "{} ranges", ranges.len());
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, size);
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        let len = |r: &FileRange| r.end - r.start;
        // A quarter of the file first, then smaller ranges, none under the tail bound
        // (but for the rounding of a cut to the next line start).
        assert!(len(&ranges[0]) >= size / 4 && len(&ranges[0]) < size / 4 + 1024);
        assert!(len(&ranges[1]) < len(&ranges[0]));
        let last = ranges.last().unwrap();
        assert!(len(last) < len(&ranges[0]) / 2);
        assert!(ranges.iter().all(|r| len(r) + 1024 >= MIN_TAIL_RANGE_BYTES));
        assert!(guided_line_ranges(&source(&path), 1).is_none());
        let other = tempfile::tempdir().unwrap();
        let small = jsonl(other.path(), 100);
        assert!(guided_line_ranges(&source(&small), 2).is_none());
    }

    #[test]
    fn small_pretty_or_gzip_files_stay_whole() {
        let dir = tempfile::tempdir().unwrap();
        let small = jsonl(dir.path(), 100);
        assert!(line_ranges(&source(&small), 4).is_none());
        let pretty = dir.path().join("pretty.json");
        let mut f = std::io::BufWriter::new(File::create(&pretty).unwrap());
        writeln!(f, "{{\"Records\": [").unwrap();
        for _ in 0..40_000 {
            writeln!(f, "  {{\"eventName\": \"{}\"}},", "y".repeat(900)).unwrap();
        }
        writeln!(f, "  {{}}]}}").unwrap();
        f.flush().unwrap();
        drop(f);
        assert!(source(&pretty).size() > 2 * MIN_RANGE_BYTES);
        assert!(line_ranges(&source(&pretty), 4).is_none());
        let gz = dir.path().join("events.jsonl.gz");
        let mut e =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        e.write_all(&std::fs::read(jsonl(dir.path(), 40_000)).unwrap())
            .unwrap();
        e.finish().unwrap();
        // Sized as if large, so that only the content check can refuse it.
        let big_gz = FileSource::with_key(gz.clone(), 1 << 30, 0);
        assert!(line_ranges(&big_gz, 4).is_none());
        // Stdin has no size and is never cut.
        assert!(crate::source::Source::ranges(&crate::source::StdinSource, 4).is_none());
    }
}
