//! Golden tests discovered from files (see `tests/golden/README.md`): every
//! `tests/golden/<case>/input.*` and every Stratus technique fixture
//! (`tests/fixtures/stratus/*.jsonl`) runs through `tripline detect --json`, and its
//! findings are compared with the insta snapshot `tests/golden/snapshots/<case>.snap`.
//! Adding a case is adding a file; `cargo insta review` accepts new or changed output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{fixture, stdout_ok, tripline};

/// Every case: (name, input file), sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let golden = golden_dir();
    for entry in std::fs::read_dir(&golden).expect("tests/golden is readable") {
        let dir = entry.expect("tests/golden is readable").path();
        let Some(case) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !dir.is_dir() || case == "snapshots" {
            continue;
        }
        let inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("a case directory is readable")
            .map(|e| e.expect("a case directory is readable").path())
            .filter(|p| {
                p.file_stem()
                    .is_some_and(|s| s.to_string_lossy() == "input")
            })
            .collect();
        assert_eq!(inputs.len(), 1, "{case}: exactly one input.* file");
        out.push((case.to_owned(), inputs[0].clone()));
    }
    for entry in std::fs::read_dir(fixture("stratus")).expect("stratus fixtures") {
        let path = entry.expect("stratus fixtures").path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            out.push((format!("stratus-{}", stem.unwrap_or_default()), path));
        }
    }
    out.sort();
    out
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// One line per finding: the fields that identify it and do not depend on the run
/// (severity, rule, title, event times, count, ATT&CK ids, uid), sorted.
fn summarise(stdout: &str) -> String {
    let mut lines: Vec<String> = stdout
        .lines()
        .map(|l| {
            let f: Value = serde_json::from_str(l).expect("each stdout line is one finding");
            let info = &f["finding_info"];
            let attacks: Vec<&str> = info["attacks"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| {
                            x["technique"]["uid"]
                                .as_str()
                                .or_else(|| x["tactic"]["uid"].as_str())
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} | {} | {} | {}..{} | n={} | {} | {}",
                f["severity"].as_str().unwrap_or("?"),
                info["analytic"]["uid"].as_str().unwrap_or("?"),
                info["title"].as_str().unwrap_or("?"),
                info["first_seen_time"],
                info["last_seen_time"],
                f["count"],
                attacks.join(","),
                info["uid"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    lines.sort();
    if lines.is_empty() {
        return "(no findings)\n".to_owned();
    }
    lines.join("\n") + "\n"
}

#[test]
fn detect_findings_match_their_snapshots() {
    let cases = cases();
    assert!(cases.len() > 45, "{} cases", cases.len());
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(golden_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (name, input) in cases {
        let stdout = stdout_ok(
            tripline()
                .arg("detect")
                .arg(&input)
                .arg("--quarantine")
                .arg(tmp.path().join(&name))
                .arg("--json"),
        );
        let rel = input
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&input)
            .display()
            .to_string();
        settings.set_description(rel);
        settings.bind(|| insta::assert_snapshot!(name, summarise(&stdout)));
    }
}
