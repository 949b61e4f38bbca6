//! Opening a source's bytes: buffered, counted for progress, hashed for the lake's
//! manifest, and decompressed when they are gzip (by content, never by name).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flate2::bufread::MultiGzDecoder;

use crate::error::IngestError;

/// When the hash of a source's raw bytes is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashing {
    /// As the bytes are read: the lake needs every source's hash for its manifest.
    WhileReading,
    /// Only if [`SourceHash::finish`] is called, from the bytes read again: for a
    /// consumer that needs the hash now and then (`detect` names its quarantine files
    /// by it). A source that cannot be read twice (stdin, a stream) is still hashed as
    /// it is read.
    OnDemand,
}

/// Counts and hashes the raw (possibly compressed) bytes read from a source.
struct Hashed<R> {
    inner: R,
    /// `None` when the hash is taken later from the file itself ([`SourceHash`]).
    hasher: Option<Arc<Mutex<blake3::Hasher>>>,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Hashed<R> {
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
fn hashed_reader(
    inner: Box<dyn Read + Send>,
    hasher: Option<Arc<Mutex<blake3::Hasher>>>,
    counter: Arc<AtomicU64>,
) -> BufReader<impl Read + Send> {
    BufReader::with_capacity(
        256 * 1024,
        Hashed {
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

/// Where the raw bytes of a source can be read again to hash them on demand: `None`
/// for a source read once (its hash is always taken while reading).
#[derive(Debug, Clone)]
pub struct Rereadable {
    /// The file.
    pub path: PathBuf,
    /// Offset of the first byte.
    pub start: u64,
    /// Offset past the last byte (`None`: to the end).
    pub end: Option<u64>,
}

/// Opens raw bytes `raw` of the source `name` as a source: hashed as `hashing` and
/// `again` allow, counted into `counter`, and — when `detect_gzip` and the bytes start
/// with the gzip magic — decompressed (concatenated gzip members as one stream).
pub fn open_raw(
    name: &str,
    raw: Box<dyn Read + Send>,
    again: Option<Rereadable>,
    hashing: Hashing,
    counter: Arc<AtomicU64>,
    detect_gzip: bool,
) -> Result<Opened, IngestError> {
    let (hasher, hash) = match again {
        Some(r) if hashing == Hashing::OnDemand => (None, SourceHash(HashState::Deferred(r))),
        _ => {
            let h = Arc::new(Mutex::new(blake3::Hasher::new()));
            (Some(h.clone()), SourceHash(HashState::Running(h)))
        }
    };
    let mut buffered = hashed_reader(raw, hasher, counter);
    let head = buffered.fill_buf().map_err(|source| IngestError::Input {
        path: name.into(),
        source,
    })?;
    let gzip = detect_gzip && head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok(Opened { reader, gzip, hash })
}

/// The blake3 hash of a source's raw bytes: fed as the source is read, or — for a
/// file read by a consumer that needs the hash only now and then — taken from the file
/// when asked, which spares hashing every byte of every run.
#[derive(Clone)]
pub struct SourceHash(HashState);

#[derive(Clone)]
enum HashState {
    Running(Arc<Mutex<blake3::Hasher>>),
    Deferred(Rereadable),
}

impl SourceHash {
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
            HashState::Deferred(Rereadable { path, start, end }) => {
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
