//! Versioned tables (the baselines): immutable version directories `v<unix_ts>/` and
//! a `CURRENT` file naming the newest complete one.
//!
//! A version is built in its own new directory, which no reader opens until `CURRENT`
//! names it; `CURRENT` is replaced atomically ([`write_atomically`]) as the last step,
//! so a reader sees the previous version or the new one, never a partial build.

use std::path::{Path, PathBuf};

use super::commit::write_atomically;
use crate::error::IngestError;

/// The file naming the current version.
pub const CURRENT: &str = "CURRENT";

/// Creates `<root>/v<ts>` (or `v<ts>-<n>` when a version of the same second exists),
/// creating `root` if needed. Returns the version's name and directory.
pub fn new_version_dir(root: &Path, ts: i64) -> Result<(String, PathBuf), IngestError> {
    let lake_err = |path: &Path, source| IngestError::Lake {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(root).map_err(|e| lake_err(root, e))?;
    for n in 0..1000 {
        let version = if n == 0 {
            format!("v{ts}")
        } else {
            format!("v{ts}-{n}")
        };
        let dir = root.join(&version);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((version, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(lake_err(&dir, e)),
        }
    }
    Err(lake_err(
        root,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("too many versions built at {ts}"),
        ),
    ))
}

/// Makes `version` the current one of `root`.
pub fn set_current(root: &Path, version: &str) -> Result<(), IngestError> {
    write_atomically(&root.join(CURRENT), format!("{version}\n").as_bytes())
}

/// The directory of the version `CURRENT` names; `Ok(None)` when there is no
/// `CURRENT` (nothing built yet). A `CURRENT` that does not hold a plain version name
/// (a path, empty, hidden) is [`IngestError::Corrupt`].
pub fn current_dir(root: &Path) -> Result<Option<PathBuf>, IngestError> {
    let current = root.join(CURRENT);
    let version = match std::fs::read_to_string(&current) {
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(IngestError::Lake {
                path: current,
                source,
            })
        }
    };
    if version.is_empty() || version.contains(['/', '\\']) || version.starts_with('.') {
        return Err(IngestError::Corrupt {
            path: current,
            message: format!("does not name a version: {version:?}"),
        });
    }
    Ok(Some(root.join(version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_and_current_names_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("_baselines");
        assert!(current_dir(&root).expect("no CURRENT is fine").is_none());
        let (a, _) = new_version_dir(&root, 7).expect("creates");
        let (b, b_dir) = new_version_dir(&root, 7).expect("creates");
        assert_eq!((a.as_str(), b.as_str()), ("v7", "v7-1"));
        set_current(&root, &b).expect("writes");
        assert_eq!(current_dir(&root).expect("reads"), Some(b_dir));
        std::fs::write(root.join(CURRENT), "../etc\n").expect("writes");
        assert!(matches!(
            current_dir(&root),
            Err(IngestError::Corrupt { .. })
        ));
    }
}
