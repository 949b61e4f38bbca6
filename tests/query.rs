//! `tripline query` through the CLI: output formats and read-only enforcement.

use crate::util::*;

fn lake() -> tempfile::TempDir {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(
        &[
            &fixture("cloudtrail/AWSLogs"),
            &fixture("cloudtrail/pretty-delivery.json"),
        ],
        lake.path(),
    );
    lake
}

fn run(lake: &std::path::Path, args: &[&str]) -> std::process::Output {
    tripline()
        .arg("query")
        .arg("--lake")
        .arg(lake)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn formats_table_csv_json() {
    let lake = lake();
    let sql = "SELECT event_name, error_code FROM cloudtrail WHERE event_id IN ('ct-0001', 'ct-0004') ORDER BY event_id";
    let csv = run(lake.path(), &["--format", "csv", sql]);
    assert_eq!(
        String::from_utf8(csv.stdout).unwrap(),
        "event_name,error_code\nGetSecretValue,\nCreateAccessKey,AccessDenied\n"
    );
    let json = run(lake.path(), &["--format", "json", sql]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[1]["event_name"], "CreateAccessKey");
    assert_eq!(v[1]["error_code"], "AccessDenied");
    assert_eq!(v.as_array().unwrap().len(), 2);
    let table = run(lake.path(), &[sql]);
    insta::assert_snapshot!(String::from_utf8(table.stdout).unwrap(), @r"
    +-----------------+--------------+
    | event_name      | error_code   |
    +-----------------+--------------+
    | GetSecretValue  |              |
    | CreateAccessKey | AccessDenied |
    +-----------------+--------------+
    ");
}

#[test]
fn json_functions_and_partition_column() {
    let lake = lake();
    let rows = query_csv(
        lake.path(),
        "SELECT json_get_str(request_parameters, 'secretId'), date FROM cloudtrail WHERE event_name = 'GetSecretValue'",
    );
    assert_eq!(rows, ["prod/orders/db,2024-03-01"]);
}

#[test]
fn writes_are_refused_and_nothing_is_written() {
    let lake = lake();
    let target = lake.path().join("stolen.csv");
    for sql in [
        format!("COPY (SELECT * FROM cloudtrail) TO '{}'", target.display()),
        format!(
            "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '{}'",
            target.display()
        ),
        "INSERT INTO cloudtrail SELECT * FROM cloudtrail".to_string(),
        "DROP TABLE cloudtrail".to_string(),
        "CREATE TABLE t AS SELECT 1".to_string(),
    ] {
        let out = run(lake.path(), &[&sql]);
        assert_eq!(out.status.code(), Some(1), "{sql} must fail");
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(err.contains("read-only"), "{sql}: {err}");
        assert!(!target.exists(), "{sql} wrote a file");
    }
    assert_eq!(
        query_csv(lake.path(), "SELECT count(*) FROM cloudtrail"),
        ["6"]
    );
}

#[test]
fn statements_from_stdin() {
    let lake = lake();
    let out = tripline()
        .args(["query", "--format", "csv", "--lake"])
        .arg(lake.path())
        .write_stdin(
            "SELECT count(*) AS n FROM cloudtrail;\nSELECT count(*) AS m FROM invocations;\n",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("n\n6\n") && text.contains("m\n0\n"), "{text}");
}

#[test]
fn a_missing_lake_is_named() {
    let out = tripline()
        .args(["query", "--lake", "/no/such/lake", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/lake"));
}
