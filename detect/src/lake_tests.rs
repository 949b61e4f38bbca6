//! Tests of [`LakeSession`] over a tiny lake written in a temporary directory with the
//! real ingest schemas.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;
use tripline_ingest::Table;

use super::*;
use crate::output::{write_result, OutputFormat};

/// Rows as JSON objects (missing keys are nulls) into a batch of `schema`.
fn batch(schema: SchemaRef, rows: &[serde_json::Value]) -> RecordBatch {
    let mut decoder = arrow::json::ReaderBuilder::new(schema)
        .build_decoder()
        .expect("the schema is supported by the JSON reader");
    decoder.serialize(rows).expect("rows match the schema");
    decoder
        .flush()
        .expect("rows match the schema")
        .expect("there is at least one row")
}

/// Writes `batch` as zstd Parquet at `lake/table=<table>/date=<date>/part-0.parquet`.
fn write_part(lake: &Path, table: &str, date: &str, batch: &RecordBatch) {
    let dir = lake
        .join(format!("table={table}"))
        .join(format!("date={date}"));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let file = File::create(dir.join("part-0.parquet")).expect("temp dir is writable");
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("valid Parquet schema");
    writer.write(batch).expect("batch matches the schema");
    writer.close().expect("file is writable");
}

fn cloudtrail(time: &str, source: &str, name: &str, params: Option<&str>) -> serde_json::Value {
    json!({
        "event_time": time,
        "event_id": format!("id-{time}"),
        "event_source": source,
        "event_name": name,
        "aws_region": "us-east-1",
        "account_id": "111122223333",
        "principal_arn": "arn:aws:iam::111122223333:user/alice",
        "request_parameters": params,
        "source": "fixture.json:0",
    })
}

/// A lake with 5 CloudTrail events over two days, 2 invocations, one quarantined
/// record, nothing else (no `lambda_runtime` directory at all), plus the reserved
/// directories (`_manifest/`, `_quarantine/`, `_staging/`, `_baselines/`) holding
/// Parquet files that must never be read.
fn tiny_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path();
    let ct = Table::CloudTrail.schema();
    let attach =
        r#"{"roleName":"app-role","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#;
    write_part(
        lake,
        "cloudtrail",
        "2024-01-01",
        &batch(
            ct.clone(),
            &[
                cloudtrail(
                    "2024-01-01T10:00:00Z",
                    "iam.amazonaws.com",
                    "AttachRolePolicy",
                    Some(attach),
                ),
                cloudtrail(
                    "2024-01-01T10:05:00Z",
                    "s3.amazonaws.com",
                    "ListBuckets",
                    None,
                ),
                cloudtrail(
                    "2024-01-01T11:00:00Z",
                    "sts.amazonaws.com",
                    "GetCallerIdentity",
                    Some("{}"),
                ),
            ],
        ),
    );
    write_part(
        lake,
        "cloudtrail",
        "2024-01-02",
        &batch(
            ct.clone(),
            &[
                cloudtrail(
                    "2024-01-02T09:00:00Z",
                    "s3.amazonaws.com",
                    "ListBuckets",
                    None,
                ),
                cloudtrail(
                    "2024-01-02T09:30:00Z",
                    "iam.amazonaws.com",
                    "CreateAccessKey",
                    Some(r#"{"userName":"bob"}"#),
                ),
            ],
        ),
    );
    let inv = batch(
        Table::Invocations.schema(),
        &[
            json!({"time": "2024-01-01T10:00:00Z", "function_name": "api", "trigger": "apigw_http",
                   "path": "/login", "status_code": 200, "source": "fixture.json:1"}),
            json!({"time": "2024-01-01T10:00:01Z", "function_name": "api", "trigger": "apigw_http",
                   "path": "/admin", "status_code": 403, "source": "fixture.json:2"}),
        ],
    );
    write_part(lake, "invocations", "2024-01-01", &inv);
    // Beside the tables: never tables, never read.
    for reserved in RESERVED_DIRS {
        let path = lake.join(reserved).join("table=cloudtrail");
        std::fs::create_dir_all(&path).expect("temp dir is writable");
        std::fs::write(path.join("junk.parquet"), b"not parquet").expect("temp dir is writable");
    }
    // A quarantine file as ingest writes it (a line without `index`).
    std::fs::write(
        lake.join("_quarantine").join("0123abcd.jsonl"),
        concat!(
            r#"{"reason":"invalid JSON: EOF","kind":"invalid_json","source":"bad.json","#,
            r#""offset":12,"line":2,"raw":"{\"eventName\":","raw_len":13}"#,
            "\n"
        ),
    )
    .expect("temp dir is writable");
    dir
}

async fn count(session: &LakeSession, sql: &str) -> i64 {
    let result = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let column = result.batches[0].column(0);
    column
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .expect("count(*) is Int64")
        .value(0)
}

fn csv(result: &QueryResult) -> String {
    let mut out = Vec::new();
    write_result(&mut out, OutputFormat::Csv, result).expect("writes to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

/// Every file under `dir`, recursively, to check nothing was written.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        }
        out.push(path);
    }
    out.sort();
    out
}

#[tokio::test]
async fn counts_rows_across_partitions() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    assert_eq!(count(&session, "SELECT count(*) FROM cloudtrail").await, 5);
    assert_eq!(count(&session, "SELECT count(*) FROM invocations").await, 2);
    assert_eq!(
        session.tables(),
        ["cloudtrail", "invocations", "lambda_runtime", "quarantine"]
    );
}

#[tokio::test]
async fn groups_by() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let result = session
        .query(
            "SELECT event_name, count(*) AS n, min(event_time) AS first FROM cloudtrail \
             GROUP BY event_name ORDER BY n DESC, event_name",
        )
        .await
        .expect("runs");
    insta::assert_snapshot!(csv(&result), @r"
    event_name,n,first
    ListBuckets,2,2024-01-01T10:05:00Z
    AttachRolePolicy,1,2024-01-01T10:00:00Z
    CreateAccessKey,1,2024-01-02T09:30:00Z
    GetCallerIdentity,1,2024-01-01T11:00:00Z
    ");
}

#[tokio::test]
async fn json_functions_and_operators_read_request_parameters() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let result = session
        .query(
            "SELECT json_get_str(request_parameters, 'policyArn') AS policy, \
                    request_parameters->>'roleName' AS role, \
                    request_parameters->'roleName' AS role_value \
             FROM cloudtrail \
             WHERE json_get_str(request_parameters, 'policyArn') LIKE '%AdministratorAccess'",
        )
        .await
        .expect("runs");
    insta::assert_snapshot!(csv(&result), @r"
    policy,role,role_value
    arn:aws:iam::aws:policy/AdministratorAccess,app-role,app-role
    ");
}

#[tokio::test]
async fn date_partition_filters_rows() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let n = |sql| count(&session, sql);
    assert_eq!(
        n("SELECT count(*) FROM cloudtrail WHERE date >= '2024-01-02'").await,
        2
    );
    assert_eq!(
        n("SELECT count(*) FROM cloudtrail WHERE date = '2024-01-01'").await,
        3
    );
    assert_eq!(
        n("SELECT count(*) FROM cloudtrail WHERE date BETWEEN DATE '2024-01-01' AND DATE '2024-01-01'").await,
        3
    );
    let result = session
        .query("SELECT DISTINCT date FROM cloudtrail ORDER BY date")
        .await
        .expect("runs");
    assert_eq!(csv(&result), "date\n2024-01-01\n2024-01-02\n");
}

#[tokio::test]
async fn date_filter_prunes_directories_before_reading() {
    let lake = tiny_lake();
    // A corrupt file in a partition the filter excludes: pruning means it is never
    // opened.
    let bad = lake.path().join("table=cloudtrail/date=2023-12-31");
    std::fs::create_dir_all(&bad).expect("temp dir is writable");
    std::fs::write(bad.join("part-0.parquet"), b"definitely not parquet").expect("writable");
    let session = LakeSession::open(lake.path()).await.expect("opens");

    assert_eq!(
        count(
            &session,
            "SELECT count(*) FROM cloudtrail WHERE date >= '2024-01-01'"
        )
        .await,
        5
    );
    let err = session
        .query("SELECT count(*) FROM cloudtrail")
        .await
        .expect_err("the corrupt file is read without a filter");
    match &err {
        DetectError::Lake { path, .. } => assert_eq!(path, &bad.join("part-0.parquet")),
        other => panic!("expected a lake error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("date=2023-12-31/part-0.parquet"),
        "{err}"
    );
}

#[tokio::test]
async fn tables_without_files_are_empty_not_missing() {
    let fresh = tempfile::tempdir().expect("temp dir");
    let session = LakeSession::open(fresh.path())
        .await
        .expect("an empty dir is a fresh lake");
    for table in Table::ALL {
        let sql = format!("SELECT count(*) FROM {}", table.name());
        assert_eq!(count(&session, &sql).await, 0, "{sql}");
    }
    // With the canonical schema, `date` included.
    let result = session
        .query("SELECT event_name, date FROM cloudtrail WHERE date >= '2024-01-01'")
        .await
        .expect("runs");
    assert_eq!(result.num_rows(), 0);
    assert_eq!(csv(&result), "event_name,date\n");

    // Tables appearing after opening are picked up.
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    assert_eq!(
        count(&session, "SELECT count(*) FROM lambda_runtime").await,
        0
    );
    write_part(
        lake.path(),
        "lambda_runtime",
        "2024-01-01",
        &batch(
            Table::LambdaRuntime.schema(),
            &[json!({"time": "2024-01-01T10:00:00Z", "kind": "start", "source": "f:0"})],
        ),
    );
    assert_eq!(
        count(&session, "SELECT count(*) FROM lambda_runtime").await,
        1
    );
}

#[tokio::test]
async fn other_tables_are_registered_with_their_inferred_schema() {
    let lake = tiny_lake();
    let alerts = RecordBatch::try_from_iter([
        (
            "uid",
            std::sync::Arc::new(arrow::array::StringArray::from(vec!["a1", "a2"])) as _,
        ),
        (
            "severity_id",
            std::sync::Arc::new(arrow::array::Int32Array::from(vec![4, 2])) as _,
        ),
    ])
    .expect("equal lengths");
    write_part(lake.path(), "alerts", "2024-01-02", &alerts);
    std::fs::create_dir_all(lake.path().join("table=baseline_api_calls")).expect("writable");
    let session = LakeSession::open(lake.path()).await.expect("opens");

    assert_eq!(
        count(
            &session,
            "SELECT count(*) FROM alerts WHERE severity_id > 3"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &session,
            "SELECT count(*) FROM alerts WHERE date = '2024-01-02'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&session, "SELECT count(*) FROM baseline_api_calls").await,
        0
    );
    assert_eq!(
        session.tables(),
        [
            "alerts",
            "baseline_api_calls",
            "cloudtrail",
            "invocations",
            "lambda_runtime",
            "quarantine"
        ]
    );
}

#[tokio::test]
async fn quarantine_is_a_table_of_rejected_records() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let result = session
        .query("SELECT kind, source, line, index, raw_len FROM quarantine")
        .await
        .expect("runs");
    assert_eq!(
        csv(&result),
        "kind,source,line,index,raw_len\ninvalid_json,bad.json,2,,13\n"
    );
    // A lake without a quarantine has no such table.
    let fresh = tempfile::tempdir().expect("temp dir");
    let session = LakeSession::open(fresh.path()).await.expect("opens");
    assert!(!session.tables().contains(&"quarantine".to_owned()));
}

#[tokio::test]
async fn declared_schemas_register_empty_tables() {
    let fresh = tempfile::tempdir().expect("temp dir");
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("uid", arrow::datatypes::DataType::Utf8, false),
    ]));
    let options = LakeOptions::default().with_table_schema("alerts", schema);
    let session = LakeSession::open_with(fresh.path(), options)
        .await
        .expect("opens");
    let result = session
        .query("SELECT uid, date FROM alerts")
        .await
        .expect("runs");
    assert_eq!(csv(&result), "uid,date\n");
}

#[tokio::test]
async fn show_and_describe_work() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let tables = csv(&session
        .query("SHOW TABLES")
        .await
        .expect("SHOW TABLES runs"));
    for table in ["cloudtrail", "invocations", "lambda_runtime"] {
        assert!(tables.contains(&format!(",{table},")), "{tables}");
    }
    let described = session
        .query("DESCRIBE cloudtrail")
        .await
        .expect("DESCRIBE runs");
    let text = csv(&described);
    assert!(
        text.starts_with("column_name,data_type,is_nullable\nevent_time,"),
        "{text}"
    );
    assert!(
        text.ends_with("\nsource,Utf8,NO\ndate,Date32,NO\n"),
        "{text}"
    );
    assert_eq!(
        described.num_rows(),
        Table::CloudTrail.schema().fields().len() + 1
    );

    session
        .query("SHOW COLUMNS FROM invocations")
        .await
        .expect("SHOW COLUMNS runs");
    session
        .query("SHOW datafusion.execution.batch_size")
        .await
        .expect("SHOW variable runs");
    let explain = csv(&session
        .query("EXPLAIN SELECT count(*) FROM cloudtrail WHERE date >= '2024-01-02'")
        .await
        .expect("EXPLAIN runs"));
    assert!(explain.contains("cloudtrail"), "{explain}");
}

#[tokio::test]
async fn every_writing_statement_is_refused_and_writes_nothing() {
    let lake = tiny_lake();
    let out = tempfile::tempdir().expect("temp dir");
    let target = out.path().display().to_string();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let lake_files = files(lake.path());

    let cases = [
        (format!("COPY (SELECT 1) TO '{target}/x.csv'"), "COPY"),
        (
            format!("COPY cloudtrail TO '{target}/ct.parquet' STORED AS PARQUET"),
            "COPY",
        ),
        (
            format!("CREATE EXTERNAL TABLE t (x INT) STORED AS CSV LOCATION '{target}/t/'"),
            "CREATE EXTERNAL TABLE",
        ),
        (
            "CREATE TABLE t AS SELECT * FROM cloudtrail".into(),
            "CREATE TABLE AS",
        ),
        ("CREATE TABLE t (x INT)".into(), "CREATE TABLE"),
        ("CREATE VIEW v AS SELECT 1".into(), "CREATE VIEW"),
        (
            "INSERT INTO cloudtrail SELECT * FROM cloudtrail".into(),
            "INSERT",
        ),
        ("INSERT INTO t VALUES (1)".into(), "INSERT"),
        ("UPDATE cloudtrail SET event_name = 'x'".into(), "UPDATE"),
        ("DELETE FROM cloudtrail".into(), "DELETE"),
        ("DROP TABLE cloudtrail".into(), "DROP"),
        ("SET datafusion.execution.batch_size = 1".into(), "SET"),
        ("RESET datafusion.execution.batch_size".into(), "RESET"),
        ("TRUNCATE cloudtrail".into(), "TRUNCATE"),
        ("SELECT 1 AS x INTO t2".into(), "SELECT INTO"),
        (
            format!("EXPLAIN ANALYZE COPY (SELECT 1) TO '{target}/y.csv'"),
            "COPY",
        ),
        (
            "EXPLAIN INSERT INTO cloudtrail SELECT * FROM cloudtrail".into(),
            "INSERT",
        ),
        ("PREPARE q AS SELECT 1".into(), "PREPARE"),
        ("BEGIN TRANSACTION".into(), "BEGIN TRANSACTION"),
    ];
    for (sql, kind) in &cases {
        let err = session.sql(sql).await.expect_err(sql);
        match &err {
            DetectError::ReadOnly { statement } => assert_eq!(statement, kind, "{sql}"),
            other => panic!("{sql}: expected a read-only error, got {other:?}"),
        }
        assert!(err.to_string().contains("the lake is read-only"), "{err}");
        assert!(err.is_user_error());
    }
    // In a script, the refusal comes before anything runs.
    let err = session
        .parse(&format!("SELECT 1; COPY (SELECT 2) TO '{target}/z.csv'"))
        .expect_err("refused");
    assert!(matches!(err, DetectError::ReadOnly { .. }), "{err:?}");

    assert_eq!(
        files(out.path()),
        Vec::<PathBuf>::new(),
        "nothing written outside"
    );
    assert_eq!(
        files(lake.path()),
        lake_files,
        "nothing written in the lake"
    );
    assert_eq!(
        session.tables(),
        ["cloudtrail", "invocations", "lambda_runtime", "quarantine"]
    );
    assert_eq!(count(&session, "SELECT count(*) FROM cloudtrail").await, 5);
    assert!(
        session.sql("SELECT * FROM t").await.is_err(),
        "no table t was created"
    );
}

#[tokio::test]
async fn plans_that_write_are_refused_even_past_the_parser() {
    // The second layer alone: plans built without the statement check.
    let lake = tiny_lake();
    let out = tempfile::tempdir().expect("temp dir");
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let state = session.context().state();
    for sql in [
        format!("COPY (SELECT 1) TO '{}/x.csv'", out.path().display()),
        "CREATE TABLE t AS SELECT 1".into(),
        "INSERT INTO cloudtrail SELECT * FROM cloudtrail".into(),
        "SET datafusion.execution.batch_size = 1".into(),
        "SELECT 1 INTO t2".into(),
    ] {
        let plan = state.create_logical_plan(&sql).await.expect("plans");
        let err = check_plan_read_only(&plan).expect_err(&sql);
        assert!(
            matches!(err, DetectError::ReadOnly { .. }),
            "{sql}: {err:?}"
        );
    }
    assert!(!out.path().join("x.csv").exists());
}

#[tokio::test]
async fn scripts_parse_into_statements() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    let statements = session
        .parse("SELECT 'a;b' AS s; -- a comment; still fine\nSELECT count(*) FROM cloudtrail;")
        .expect("parses");
    assert_eq!(statements.len(), 2);
    let result = session.execute(&statements[0]).await.expect("plans");
    let result = session.collect(result).await.expect("runs");
    assert_eq!(csv(&result), "s\na;b\n");

    let err = session
        .sql("SELECT 1; SELECT 2")
        .await
        .expect_err("one statement only");
    assert!(matches!(err, DetectError::Plan(_)), "{err:?}");
}

#[tokio::test]
async fn bad_sql_blames_the_query() {
    let lake = tiny_lake();
    let session = LakeSession::open(lake.path()).await.expect("opens");
    for sql in [
        "SELEC 1",
        "SELECT nope FROM cloudtrail",
        "SELECT * FROM no_such_table",
    ] {
        let err = session.query(sql).await.expect_err(sql);
        assert!(matches!(err, DetectError::Plan(_)), "{sql}: {err:?}");
        assert!(err.to_string().starts_with("invalid query: "), "{err}");
    }
}

#[tokio::test]
async fn opening_something_that_is_not_a_lake_names_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing");
    let err = LakeSession::open(&missing).await.expect_err("missing");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");

    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").expect("writable");
    let err = LakeSession::open(&file).await.expect_err("a file");
    assert!(err.to_string().contains("is not a directory"), "{err}");

    let err = LakeSession::open(dir.path()).await.expect_err("not a lake");
    assert!(err.to_string().contains("is not a Tripline lake"), "{err}");
    assert!(matches!(err, DetectError::Lake { .. }));
}

#[tokio::test]
async fn lake_paths_with_special_characters_work() {
    let parent = tempfile::tempdir().expect("temp dir");
    let odd = parent.path().join("my lake [*]%20");
    let lake = tiny_lake();
    std::fs::rename(lake.path(), &odd).expect("same filesystem");
    let session = LakeSession::open(&odd).await.expect("opens");
    assert_eq!(count(&session, "SELECT count(*) FROM cloudtrail").await, 5);
}

#[test]
fn statements_complete_at_a_semicolon_outside_strings() {
    assert!(statement_complete("SELECT 1;"));
    assert!(statement_complete("SELECT 1;  -- done\n"));
    assert!(statement_complete("SELECT\n  1\n;"));
    assert!(!statement_complete("SELECT 1"));
    assert!(!statement_complete("SELECT ';"));
    assert!(!statement_complete("SELECT 1 /* ; "));
    assert!(!statement_complete(""));
}
