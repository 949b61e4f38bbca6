//! The command line's inputs as sources: `-` is stdin, a file is itself, a directory
//! is walked recursively with `walkdir` (sorted by name, symlinks followed, a symlink
//! loop reported and skipped instead of walked forever).

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{FileSource, Source, StdinSource};
use crate::error::IngestError;

/// The ground truth next to a `tripline simulate` corpus: not logs, so a walk skips
/// them (naming one of them explicitly still reads it).
const CORPUS_SIDECARS: &[&str] = &["labels.jsonl", "manifest.json"];

/// Entries a walk skips: hidden `.x` and `_x` ones (the lake's own `_manifest`,
/// `_quarantine` and `_staging` among them) and a corpus's sidecars.
fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.starts_with('_') || CORPUS_SIDECARS.contains(&n))
}

/// Expands the inputs: `-` is stdin, a directory is walked recursively (sorted, hidden
/// entries and a simulated corpus's `labels.jsonl` and `manifest.json` skipped: see
/// [`is_hidden`]), and `exclude` (the lake being written) is never read. A path named
/// explicitly is read even when its name looks hidden.
pub fn expand(
    inputs: &[PathBuf],
    exclude: Option<&Path>,
) -> Result<Vec<Box<dyn Source>>, IngestError> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let excluded = |p: &Path| {
        exclude
            .as_deref()
            .is_some_and(|ex| p.canonicalize().is_ok_and(|c| c == ex))
    };
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            out.push(Box::new(StdinSource));
            continue;
        }
        let walk = WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                (e.depth() == 0 || !is_hidden(e.path()))
                    && !(e.file_type().is_dir() && excluded(e.path()))
            });
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if e.loop_ancestor().is_some() => {
                    tracing::warn!(path = ?e.path(), "symlink loop skipped");
                    continue;
                }
                Err(e) => return Err(walk_error(input, e)),
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let meta = entry.metadata().map_err(|e| walk_error(input, e))?;
            out.push(Box::new(FileSource::new(entry.into_path(), &meta)));
        }
    }
    Ok(out)
}

fn walk_error(input: &Path, e: walkdir::Error) -> IngestError {
    let path = e.path().unwrap_or(input).to_path_buf();
    let source = e
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("directory walk failed"));
    IngestError::Input { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sources: &[Box<dyn Source>], root: &Path) -> Vec<String> {
        sources
            .iter()
            .map(|s| {
                Path::new(s.name())
                    .strip_prefix(root)
                    .map_or_else(|_| s.name().to_string(), |p| p.display().to_string())
            })
            .collect()
    }

    #[test]
    fn walks_sorted_skipping_hidden_sidecars_and_the_lake() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b/2.json",
            "b/1.json",
            "a.jsonl",
            ".hidden/x.json",
            "_lake/y.json",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        std::fs::write(root.join("labels.jsonl"), "{}").unwrap();
        std::fs::create_dir_all(root.join("lake")).unwrap();
        std::fs::write(root.join("lake/z.json"), "{}").unwrap();
        let got = expand(&[root.to_path_buf()], Some(&root.join("lake"))).unwrap();
        assert_eq!(names(&got, root), ["a.jsonl", "b/1.json", "b/2.json"]);
        assert_eq!(got[0].key().unwrap().size, 2);
        // Named explicitly, a hidden file and stdin are read.
        let got = expand(&[root.join(".hidden/x.json"), "-".into()], None).unwrap();
        assert_eq!(got[1].name(), "-");
        assert!(got[1].key().is_none());
        assert!(got[0].name().ends_with("x.json"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_skipped_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::write(root.join("logs/a.json"), "{}").unwrap();
        std::os::unix::fs::symlink(root, root.join("logs/up")).unwrap();
        let got = expand(&[root.join("logs")], None).unwrap();
        // `up` leads back to the root, which holds `logs` again; the walk reads the
        // file once through the loop's first turn, then stops at the loop.
        assert!(!got.is_empty() && got.len() <= 2, "{:?}", names(&got, root));
        assert!(got.iter().all(|s| s.name().ends_with("a.json")));
    }

    #[test]
    fn a_missing_input_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = expand(std::slice::from_ref(&missing), None).expect_err("missing input fails");
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
