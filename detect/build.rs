//! Embeds the rule library (`rules/**/*.yml` at the repository root) in this crate, so
//! [`tripline_detect::rules::EMBEDDED`] — and the binary's `tripline detect` and
//! `tripline rules` — work from any directory without a checkout. The crate that owns
//! the rules' engine owns their embedding.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
}

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // The workspace root: rule paths are shown relative to it (`rules/cloudtrail/…`).
    let root = crate_dir.parent().unwrap_or(&crate_dir).to_path_buf();
    let rules = root.join("rules");
    // Cargo watches a directory recursively: any rule added, changed or removed
    // re-runs this script.
    println!("cargo:rerun-if-changed={}", rules.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    walk(&rules, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The rule library: (path relative to the repository, YAML text), sorted by path.\n\
         pub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            rel.display().to_string(),
            f.display().to_string()
        )
        .expect("write to String");
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded_rules.rs");
    std::fs::write(out, code).expect("write embedded_rules.rs");
}
