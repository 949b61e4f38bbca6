//! Listing and opening inputs.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flate2::bufread::MultiGzDecoder;

use crate::error::IngestError;

/// One input to ingest: a file, or stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceId {
    /// The file, or `None` for stdin.
    pub path: Option<PathBuf>,
    /// File size, to skip unchanged files already in the manifest without reading them.
    pub size: u64,
    /// Modification time (ns since the epoch), with `size` the cheap identity of a file.
    pub mtime_ns: i64,
}

impl SourceId {
    /// The name used in `source` columns and quarantine lines.
    pub fn name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "-".to_string(),
        }
    }
}

/// The ground truth next to a `tripline simulate` corpus: not logs, so a walk skips
/// them (naming one of them explicitly still reads it).
const CORPUS_SIDECARS: &[&str] = &["labels.jsonl", "manifest.json"];

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.starts_with('_') || CORPUS_SIDECARS.contains(&n))
}

/// Expands the inputs: `-` is stdin, a directory is walked recursively (sorted, hidden
/// `.x` and `_x` entries skipped — the lake's own `_manifest`/`_quarantine` among them —
/// and so are a simulated corpus's `labels.jsonl` and `manifest.json`),
/// and `exclude` (the lake being written) is never read.
pub fn expand(inputs: &[PathBuf], exclude: Option<&Path>) -> Result<Vec<SourceId>, IngestError> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut out = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            out.push(SourceId {
                path: None,
                size: 0,
                mtime_ns: 0,
            });
            continue;
        }
        walk(input, exclude.as_deref(), &mut out)?;
    }
    Ok(out)
}

fn walk(path: &Path, exclude: Option<&Path>, out: &mut Vec<SourceId>) -> Result<(), IngestError> {
    let err = |source| IngestError::Input {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if meta.is_dir() {
        if let (Some(ex), Ok(c)) = (exclude, path.canonicalize()) {
            if c == ex {
                return Ok(());
            }
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        entries.sort();
        for e in entries.iter().filter(|e| !is_hidden(e)) {
            walk(e, exclude, out)?;
        }
    } else {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        out.push(SourceId {
            path: Some(path.to_path_buf()),
            size: meta.len(),
            mtime_ns,
        });
    }
    Ok(())
}

/// Counts and hashes the raw (possibly compressed) bytes read from a source.
struct Hashing<R> {
    inner: R,
    /// `None` when the hash is taken later from the file itself ([`SourceHash`]).
    hasher: Option<Arc<Mutex<blake3::Hasher>>>,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hasher) = &self.hasher {
            // The mutex is only ever taken by this reader and by `SourceHash::finish`,
            // after reading ends; it cannot be poisoned by a panic elsewhere.
            hasher.lock().expect("hasher lock").update(&buf[..n]);
        }
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// `inner`, buffered, counted into `counter` and, with a `hasher`, hashed into it as it
/// is read.
pub(super) fn hashing_reader(
    inner: Box<dyn Read + Send>,
    hasher: Option<Arc<Mutex<blake3::Hasher>>>,
    counter: Arc<AtomicU64>,
) -> BufReader<impl Read + Send> {
    BufReader::with_capacity(
        256 * 1024,
        Hashing {
            inner,
            hasher,
            counter,
        },
    )
}

/// An opened source: a reader of decompressed bytes, and the hash of the raw bytes
/// once reading is done.
pub struct Opened {
    /// Decompressed bytes.
    pub reader: Box<dyn Read + Send>,
    /// True when the source is gzip-compressed.
    pub gzip: bool,
    /// The hash of the raw bytes.
    pub hash: SourceHash,
}

impl Opened {
    /// A source read as is (not gzip), whose hash is `hash`.
    pub(super) fn plain(reader: Box<dyn Read + Send>, hash: SourceHash) -> Self {
        Opened {
            reader,
            gzip: false,
            hash,
        }
    }
}

/// The blake3 hash of a source's raw bytes: fed as the source is read, or — for a
/// file read by a consumer that needs the hash only now and then (`detect` names its
/// quarantine files by it) — taken from the file when asked, which spares hashing
/// every byte of every run.
#[derive(Clone)]
pub struct SourceHash(HashState);

#[derive(Clone)]
enum HashState {
    Running(Arc<Mutex<blake3::Hasher>>),
    /// Bytes `start..end` (`None`: to the end) of a file.
    Deferred {
        path: PathBuf,
        start: u64,
        end: Option<u64>,
    },
}

impl SourceHash {
    /// A hash fed as the source is read: the hasher for its [`hashing_reader`], and
    /// the hash.
    pub(super) fn running() -> (Option<Arc<Mutex<blake3::Hasher>>>, Self) {
        let h = Arc::new(Mutex::new(blake3::Hasher::new()));
        (Some(h.clone()), SourceHash(HashState::Running(h)))
    }

    /// The hash of bytes `start..end` of `path`, computed by [`Self::finish`].
    pub(super) fn deferred(path: PathBuf, start: u64, end: Option<u64>) -> Self {
        SourceHash(HashState::Deferred { path, start, end })
    }

    /// Hex blake3 of the source's raw bytes: call after the reader is exhausted. A
    /// deferred hash reads the file again, which can fail.
    pub fn finish(&self) -> Result<String, IngestError> {
        match &self.0 {
            HashState::Running(h) => Ok(h
                .lock()
                .expect("hasher lock")
                .finalize()
                .to_hex()
                .to_string()),
            HashState::Deferred { path, start, end } => {
                let err = |source| IngestError::Input {
                    path: path.clone(),
                    source,
                };
                let mut file = File::open(path).map_err(err)?;
                io::Seek::seek(&mut file, io::SeekFrom::Start(*start)).map_err(err)?;
                let mut hasher = blake3::Hasher::new();
                let len = end.map_or(u64::MAX, |e| e.saturating_sub(*start));
                io::copy(&mut file.take(len), &mut hasher).map_err(err)?;
                Ok(hasher.finalize().to_hex().to_string())
            }
        }
    }
}

/// Opens a source, decompressing gzip (detected by its magic bytes, whatever the
/// file is called; concatenated gzip members are read as one stream). `counter`
/// receives the raw bytes read, for progress.
pub fn open(id: &SourceId, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
    open_with(id, counter, true)
}

/// [`open`], with the hash of a file taken only if [`SourceHash::finish`] is called
/// (stdin, which cannot be read twice, is still hashed as it is read).
pub fn open_unhashed(id: &SourceId, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
    open_with(id, counter, false)
}

fn open_with(
    id: &SourceId,
    counter: Arc<AtomicU64>,
    hash_now: bool,
) -> Result<Opened, IngestError> {
    let raw: Box<dyn Read + Send> = match &id.path {
        Some(p) => Box::new(File::open(p).map_err(|source| IngestError::Input {
            path: p.clone(),
            source,
        })?),
        None => Box::new(io::stdin()),
    };
    let (hasher, hash) = match &id.path {
        Some(p) if !hash_now => (None, SourceHash::deferred(p.clone(), 0, None)),
        _ => SourceHash::running(),
    };
    let mut buffered = hashing_reader(raw, hasher, counter);
    let head = buffered.fill_buf().map_err(|source| IngestError::Input {
        path: id.path.clone().unwrap_or_else(|| "-".into()),
        source,
    })?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if !gzip {
        return Ok(Opened::plain(Box::new(buffered), hash));
    }
    Ok(Opened {
        reader: Box::new(MultiGzDecoder::new(buffered)),
        gzip: true,
        hash,
    })
}
