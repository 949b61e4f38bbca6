//! The manifest: which sources the lake holds, so ingesting the same source twice does
//! not duplicate rows. One small JSON file per source, `_manifest/<hash>.json`,
//! written atomically after the source's data files are in place.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{commit::write_atomically, layout};
use crate::error::IngestError;

/// What the lake stored from one source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestEntry {
    /// Hex blake3 of the source's raw bytes.
    pub hash: String,
    /// The path it was read from (`-` for stdin).
    pub path: String,
    /// Raw size in bytes.
    pub size: u64,
    /// Modification time (ns) of the file when read.
    pub mtime_ns: i64,
    /// Records read.
    pub records_in: u64,
    /// Records stored, per table.
    pub records_stored: BTreeMap<String, u64>,
    /// Records quarantined.
    pub records_quarantined: u64,
    /// Records skipped (no events by design).
    pub records_skipped: u64,
    /// Data files written, relative to the lake.
    pub files: Vec<String>,
    /// When it was ingested (RFC 3339).
    pub ingested_at: String,
}

/// The set of sources stored in a lake.
#[derive(Debug, Default)]
pub struct Manifest {
    dir: PathBuf,
    hashes: HashSet<String>,
    by_stat: HashMap<(String, u64, i64), String>,
}

impl Manifest {
    /// Loads `<lake>/_manifest/`.
    pub fn load(lake: &Path) -> Result<Manifest, IngestError> {
        let dir = layout::manifest_dir(lake);
        let mut m = Manifest {
            dir: dir.clone(),
            ..Default::default()
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(m),
            Err(source) => return Err(IngestError::Lake { path: dir, source }),
        };
        for e in entries {
            let path = e
                .map_err(|source| IngestError::Lake {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| IngestError::Lake {
                path: path.clone(),
                source,
            })?;
            let entry: ManifestEntry =
                serde_json::from_str(&text).map_err(|e| IngestError::Manifest {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            m.insert(&entry);
        }
        Ok(m)
    }

    fn insert(&mut self, e: &ManifestEntry) {
        self.by_stat
            .insert((e.path.clone(), e.size, e.mtime_ns), e.hash.clone());
        self.hashes.insert(e.hash.clone());
    }

    /// True when a file with this path, size and mtime was already stored: it can be
    /// skipped without reading it.
    pub fn has_file(&self, path: &str, size: u64, mtime_ns: i64) -> bool {
        self.by_stat
            .contains_key(&(path.to_string(), size, mtime_ns))
    }

    /// True when a source with this content hash was already stored.
    pub fn has_hash(&self, hash: &str) -> bool {
        self.hashes.contains(hash)
    }

    /// Number of sources stored.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when the lake holds no source.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Records a stored source, atomically (temporary file, then rename).
    pub fn record(&mut self, entry: &ManifestEntry) -> Result<(), IngestError> {
        let err = |source| IngestError::Lake {
            path: self.dir.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(err)?;
        let dest = self.dir.join(format!("{}.json", entry.hash));
        // A struct of strings, integers and maps always serialises.
        let json = serde_json::to_vec_pretty(entry).expect("manifest entry serialises");
        write_atomically(&dest, &json)?;
        self.insert(entry);
        Ok(())
    }
}
