//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `tripline` binary built by cargo for this test run.
pub fn tripline() -> Command {
    let mut c = Command::cargo_bin("tripline").expect("tripline binary is built");
    c.env_remove("TRIPLINE_LOG");
    c
}

/// A fixture path under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs `cmd`, asserts it succeeded (showing its stderr if not) and returns its stdout.
pub fn stdout_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `tripline ingest --json` and returns the parsed summary.
pub fn ingest_json(inputs: &[&Path], lake: &Path) -> serde_json::Value {
    let mut cmd = tripline();
    cmd.arg("ingest")
        .args(inputs)
        .arg("--lake")
        .arg(lake)
        .arg("--json");
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ingest --json prints one JSON document")
}

/// Runs `tripline query --format csv` and returns the rows below the header.
pub fn query_csv(lake: &Path, sql: &str) -> Vec<String> {
    let out = tripline()
        .args(["query", "--format", "csv", "--lake"])
        .arg(lake)
        .arg(sql)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// `records_in == Σ records_stored + records_quarantined + Σ records_skipped`.
pub fn assert_conservation(s: &serde_json::Value) {
    let sum = |v: &serde_json::Value| {
        v.as_object()
            .map_or(0, |m| m.values().map(|x| x.as_u64().unwrap()).sum::<u64>())
    };
    let stored = sum(&s["records_stored"]);
    let skipped = sum(&s["records_skipped"]);
    let q = s["records_quarantined"].as_u64().unwrap();
    assert_eq!(
        s["records_in"].as_u64().unwrap(),
        stored + q + skipped,
        "{s:#}"
    );
}

/// Every Parquet file under `dir`, recursively.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(parquet_files(&p));
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
