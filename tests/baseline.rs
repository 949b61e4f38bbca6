//! `tripline baseline build` through the CLI.

use crate::util::*;

fn lake() -> tempfile::TempDir {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(
        &[
            &fixture("cloudtrail/AWSLogs"),
            &fixture("cloudtrail/pretty-delivery.json"),
            &fixture("lambda"),
        ],
        lake.path(),
    );
    lake
}

#[test]
fn build_reports_what_it_built_and_makes_it_current() {
    let lake = lake();
    let out = tripline()
        .args(["baseline", "build", "--memory-limit", "256MiB", "--lake"])
        .arg(lake.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("Built baselines v"), "{text}");
    assert!(text.contains("memory limit: 256 MiB"), "{text}");
    for table in ["principal_api", "function_rate", "account_values"] {
        assert!(text.contains(table), "{table} missing:\n{text}");
    }
    let current = std::fs::read_to_string(lake.path().join("_baselines/CURRENT")).unwrap();
    let version = current.trim();
    assert!(text.contains(version), "{text}");
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            lake.path()
                .join("_baselines")
                .join(version)
                .join("meta.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        meta["rows"]["principal_api"].as_u64().unwrap() > 0,
        "{meta}"
    );
    // The lake's tables are unchanged: baselines are not a table.
    let tables = query_csv(
        lake.path(),
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%baseline%'",
    );
    assert_eq!(tables, ["0"]);
    // Rules and detectors over the lake, with these baselines, give the same findings
    // (uids, counts, evidence) run after run.
    let detect = || {
        stdout_ok(
            tripline()
                .args(["detect", "--lake"])
                .arg(lake.path())
                .arg("--quarantine")
                .arg(lake.path().join("q")),
        )
    };
    let first = detect();
    assert!(first.lines().count() > 0, "the fixtures hold findings");
    assert_eq!(first, detect());
}

#[test]
fn bad_time_bounds_are_usage_errors() {
    let lake = lake();
    let out = tripline()
        .args(["baseline", "build", "--from", "last tuesday", "--lake"])
        .arg(lake.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    let out = tripline()
        .args([
            "baseline",
            "build",
            "--from",
            "2024-03-02",
            "--to",
            "2024-03-01",
            "--lake",
        ])
        .arg(lake.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_lake_fails_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let out = tripline()
        .args(["baseline", "build", "--lake"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}
