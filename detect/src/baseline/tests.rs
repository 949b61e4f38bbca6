//! Baselines built over a small lake written in a temporary directory (real ingest
//! schemas, Parquet as ingest writes it), loaded back, and compared with what the
//! generator put in.

use std::fs::File;
use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use serde_json::{json, Value};
use tripline_ingest::Table;

use super::*;
use crate::error::DetectError;

/// 2024-01-01T00:00:00Z, a Monday.
pub(crate) const T0: i64 = 1_704_067_200_000_000;
const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

pub(crate) fn batch(schema: SchemaRef, rows: &[Value]) -> RecordBatch {
    let mut decoder = arrow::json::ReaderBuilder::new(schema)
        .build_decoder()
        .expect("the schema is supported by the JSON reader");
    decoder.serialize(rows).expect("rows match the schema");
    decoder
        .flush()
        .expect("rows match the schema")
        .expect("there is at least one row")
}

fn write_part(lake: &Path, table: Table, date: &str, rows: &[Value]) {
    let dir = lake
        .join(format!("table={}", table.name()))
        .join(format!("date={date}"));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let file = File::create(dir.join("part-0.parquet")).expect("temp dir is writable");
    let b = batch(table.schema(), rows);
    let mut writer = ArrowWriter::try_new(file, b.schema(), None).expect("valid schema");
    writer.write(&b).expect("batch matches the schema");
    writer.close().expect("file is writable");
}

pub(crate) fn ts(us: i64) -> String {
    sql::literal(us)
}

const CI: &str = "arn:aws:iam::111122223333:role/ci";
const ORDERS_ROLE: &str = "arn:aws:iam::111122223333:role/orders-role";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const EXEC_UA: &str = "Boto3/1.34.2 md/Botocore#1.34.2 exec-env/AWS_Lambda_python3.12";

fn ct(t: i64, n: usize, principal: (&str, Option<&str>), api: (&str, &str)) -> Value {
    let (arn, issuer) = principal;
    json!({
        "event_time": ts(t),
        "event_id": format!("ct-{t}-{n}"),
        "event_source": api.0,
        "event_name": api.1,
        "aws_region": if arn == ALICE { "eu-west-1" } else { "us-east-1" },
        "account_id": "111122223333",
        "source_ip": if issuer == Some(ORDERS_ROLE) { "3.5.1.2" } else { "203.0.113.7" },
        "user_agent": if issuer == Some(ORDERS_ROLE) { EXEC_UA } else { "aws-cli/2.15.0 Python/3.11" },
        "principal_arn": arn,
        "session_issuer_arn": issuer,
        "session_name": if issuer == Some(ORDERS_ROLE) { Some("orders") } else { None },
        "source": "fixture@0",
    })
}

/// What the generator wrote, to compare with what is loaded.
struct Truth {
    ci_events: u64,
    ci_get_object: u64,
    orders_invocations: u64,
    orders_shape_a: u64,
}

/// Two days of activity: a CI role (3 reads an hour, a deploy a day, one denied
/// call), the `orders` function's execution role (one write an hour), alice in
/// eu-west-1; `orders` invoked twice a minute for 2 hours a day with two payload
/// shapes, and its platform reports.
fn lake() -> (tempfile::TempDir, Truth) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut truth = Truth {
        ci_events: 0,
        ci_get_object: 0,
        orders_invocations: 0,
        orders_shape_a: 0,
    };
    for (day, date) in ["2024-01-01", "2024-01-02"].iter().enumerate() {
        let base = T0 + day as i64 * 24 * HOUR;
        let mut ct_rows = Vec::new();
        for h in 0..24 {
            let t = base + h * HOUR;
            for k in 0..3 {
                ct_rows.push(ct(
                    t + k * MINUTE,
                    k as usize,
                    (CI, Some(CI)),
                    ("s3.amazonaws.com", "GetObject"),
                ));
                truth.ci_events += 1;
                truth.ci_get_object += 1;
            }
            ct_rows.push(ct(
                t + 30 * MINUTE,
                9,
                (
                    "arn:aws:sts::111122223333:assumed-role/orders-role/orders",
                    Some(ORDERS_ROLE),
                ),
                ("dynamodb.amazonaws.com", "PutItem"),
            ));
        }
        let mut deploy = ct(
            base + 10 * HOUR,
            7,
            (CI, Some(CI)),
            ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
        );
        if day == 1 {
            deploy["error_code"] = json!("AccessDenied");
        }
        ct_rows.push(deploy);
        truth.ci_events += 1;
        ct_rows.push(ct(
            base + 12 * HOUR,
            1,
            (ALICE, None),
            ("ec2.amazonaws.com", "DescribeInstances"),
        ));
        write_part(dir.path(), Table::CloudTrail, date, &ct_rows);

        let mut inv = Vec::new();
        let mut rt = Vec::new();
        for m in 0..120 {
            for k in 0..2 {
                let t = base + 9 * HOUR + m * MINUTE + k * 20_000_000;
                let id = format!("req-{day}-{m}-{k}");
                let shape = if k == 0 {
                    "GET {path:/a}"
                } else {
                    "POST {body:{id:<int>}}"
                };
                truth.orders_invocations += 1;
                truth.orders_shape_a += u64::from(k == 0);
                inv.push(json!({
                    "time": ts(t), "account_id": "111122223333", "region": "us-east-1",
                    "function_name": "orders", "request_id": id, "trigger": "apigw_http",
                    "source_ip": format!("198.51.100.{}", m % 5), "http_method": "GET",
                    "path": "/orders", "payload_shape": shape,
                    "status_code": if m % 10 == 0 { 404 } else { 200 }, "source": "f@0",
                }));
                let duration = 100.0 + (m % 7) as f64;
                rt.push(json!({
                    "time": ts(t + 1000), "function_name": "orders", "request_id": id,
                    "kind": "report", "duration_ms": duration, "billed_ms": duration.ceil(),
                    "memory_mb": 128, "max_memory_mb": 60 + (m % 3),
                    "init_ms": if m == 0 { Some(250.0) } else { None }, "source": "f@0",
                }));
            }
        }
        rt.push(json!({"time": ts(base + 10 * HOUR), "function_name": "orders", "request_id": format!("req-{day}-5-0"), "kind": "timeout", "duration_ms": 3000.0, "source": "f@0"}));
        rt.push(json!({"time": ts(base + 10 * HOUR), "function_name": "orders", "request_id": format!("req-{day}-6-0"), "kind": "error", "message": "boom", "source": "f@0"}));
        rt.push(json!({"time": ts(base + 10 * HOUR), "function_name": "orders", "request_id": format!("req-{day}-6-0"), "kind": "error", "message": "boom again", "source": "f@0"}));
        write_part(dir.path(), Table::Invocations, date, &inv);
        write_part(dir.path(), Table::LambdaRuntime, date, &rt);
    }
    (dir, truth)
}

fn options() -> BaselineOptions {
    BaselineOptions {
        now_us: Some(T0 + 3 * 24 * HOUR),
        ..Default::default()
    }
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn build_then_load_gives_back_what_was_built() {
    let (dir, truth) = lake();
    let summary = run(build(dir.path(), &options())).expect("builds");
    let meta = &summary.meta;
    assert_eq!(
        meta.version,
        format!("v{}", (T0 + 3 * 24 * HOUR) / 1_000_000)
    );
    let range = meta.time_range.expect("the lake has events");
    assert_eq!(range.start_us, T0);
    assert!(range.end_us > T0 + 24 * HOUR + 23 * HOUR && range.end_us <= T0 + 48 * HOUR);
    for table in sql::TABLES {
        assert!(meta.rows[table] > 0, "{table} is empty");
        assert!(summary.dir.join(format!("{table}.parquet")).is_file());
    }
    let current = std::fs::read_to_string(baselines_dir(dir.path()).join(CURRENT)).unwrap();
    assert_eq!(current.trim(), meta.version);

    let b = load(dir.path()).expect("loads").expect("has baselines");
    assert_eq!(&b.meta, meta);
    assert_eq!(b.rows_loaded, meta.rows);

    // Principals: the CI role, the orders role, alice.
    assert_eq!(b.principals.len(), 3);
    let ci = b.principal(CI).expect("ci role");
    assert_eq!(ci.events, truth.ci_events);
    assert_eq!(ci.access_denied, 1);
    assert_eq!(ci.errors, 1);
    assert_eq!(
        ci.api("s3.amazonaws.com", "GetObject").unwrap().events,
        truth.ci_get_object
    );
    assert!(ci.api("iam.amazonaws.com", "CreateAccessKey").is_none());
    assert_eq!(ci.networks16.get("203.0.0.0/16"), Some(&truth.ci_events));
    assert_eq!(ci.networks24.get("203.0.113.0/24"), Some(&truth.ci_events));
    assert_eq!(ci.agents.get("aws-cli"), Some(&truth.ci_events));
    // Hourly: 48 hours from the first, 3 or 4 calls each.
    let hourly = &ci.hourly;
    assert_eq!(hourly.span_buckets, 48);
    assert_eq!(hourly.active_buckets, 48);
    assert!((hourly.mean - truth.ci_events as f64 / 48.0).abs() < 1e-9);
    assert!(hourly.variance > 0.0 && hourly.variance < 1.0);
    assert_eq!(hourly.profile.iter().sum::<f64>() as u64, truth.ci_events);
    // Monday and Tuesday 10:00 are buckets 10 and 34: 3 reads + 1 deploy each.
    assert_eq!((hourly.profile[10], hourly.profile[34]), (4.0, 4.0));
    assert_eq!(hourly.profile[11], 3.0);

    // The function.
    let orders = b.function("orders").expect("orders");
    assert_eq!(orders.invocations, truth.orders_invocations);
    assert_eq!(
        orders.shapes.get("GET {path:/a}"),
        Some(&truth.orders_shape_a)
    );
    assert_eq!(orders.distinct_shapes, 2);
    assert_eq!(orders.status_4xx, 2 * 12 * 2);
    assert_eq!(orders.sources_per_hour_max, 5);
    let per_minute = orders.per_minute.as_ref().expect("invocations");
    assert!(
        (per_minute.mean * per_minute.span_buckets as f64 - truth.orders_invocations as f64).abs()
            < 1e-6
    );
    let rt = orders.runtime.as_ref().expect("reports");
    assert_eq!(rt.reports, truth.orders_invocations);
    // The first minute of each day is a cold start for both of its invocations.
    assert_eq!((rt.timeouts, rt.errors, rt.cold_starts), (2, 2, 4));
    let duration = rt.duration.expect("durations");
    assert!((100.0..=106.0).contains(&duration.median), "{duration:?}");
    assert!(duration.mad >= 1.0 && duration.mad <= 3.0, "{duration:?}");
    assert!(
        duration.p99 >= 105.0 && duration.p99 <= 106.5,
        "{duration:?}"
    );
    assert_eq!(rt.memory_mb, Some(128));
    // Its execution role's session, from CloudTrail.
    assert!(orders.exec_networks16.contains_key("3.5.0.0/16"));
    assert!(orders.exec_agents.contains_key(keys::LAMBDA_EXEC_ENV));
    assert_eq!(orders.roles, vec![ORDERS_ROLE.to_owned()]);
    assert_eq!(b.function_roles[ORDERS_ROLE], vec!["orders".to_owned()]);

    // The account.
    let account = b.account("111122223333").expect("account");
    let mut regions: Vec<_> = account.regions.keys().cloned().collect();
    regions.sort();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    assert!(account.services.contains_key("lambda.amazonaws.com"));
    assert_eq!(account.principals, 3);
    assert!((account.api_prevalence("s3.amazonaws.com", "GetObject") - 1.0 / 3.0).abs() < 1e-9);
}

#[test]
fn from_and_to_restrict_the_range() {
    let (dir, truth) = lake();
    let opts = BaselineOptions {
        from_us: Some(T0),
        to_us: Some(T0 + 24 * HOUR),
        ..options()
    };
    let summary = run(build(dir.path(), &opts)).expect("builds");
    assert_eq!(
        summary.meta.time_range,
        Some(TimeRange::new(T0, T0 + 24 * HOUR))
    );
    let b = load(dir.path()).unwrap().unwrap();
    assert_eq!(b.principal(CI).unwrap().events, truth.ci_events / 2);
    assert_eq!(
        b.function("orders").unwrap().invocations,
        truth.orders_invocations / 2
    );
    assert_eq!(
        b.principal(CI).unwrap().access_denied,
        0,
        "the denial was on day 2"
    );
}

#[test]
fn newest_build_becomes_current_and_missing_baselines_load_as_none() {
    let (dir, _) = lake();
    assert!(load(dir.path()).unwrap().is_none());
    let first = run(build(dir.path(), &options())).unwrap();
    let second = run(build(dir.path(), &options())).unwrap();
    assert_ne!(
        first.meta.version, second.meta.version,
        "same second gets a suffix"
    );
    let b = load(dir.path()).unwrap().unwrap();
    assert_eq!(b.meta.version, second.meta.version);
    // Baseline files are not lake tables.
    let session = run(crate::LakeSession::open(dir.path())).unwrap();
    assert!(!session.tables().iter().any(|t| t.contains("baseline")));
}

#[test]
fn empty_lake_builds_empty_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(build(dir.path(), &options())).unwrap();
    assert_eq!(summary.meta.time_range, None);
    assert!(summary.meta.rows.values().all(|&n| n == 0));
    let b = load(dir.path()).unwrap().unwrap();
    assert!(b.principals.is_empty() && b.functions.is_empty());
}

#[test]
fn memory_limit_is_honoured() {
    let (dir, _) = lake();
    // A limit far below what the shape ranking needs: the build fails with the limit
    // named, and leaves no version behind.
    let tiny = BaselineOptions {
        lake: crate::LakeOptions::default().with_memory_limit(1024),
        ..options()
    };
    match run(build(dir.path(), &tiny)) {
        Err(DetectError::MemoryLimit { limit, .. }) => assert_eq!(limit, 1024),
        other => panic!("expected a memory-limit error, got {other:?}"),
    }
    assert!(load(dir.path()).unwrap().is_none());
    let versions = std::fs::read_dir(baselines_dir(dir.path()))
        .unwrap()
        .count();
    assert_eq!(versions, 0, "the failed version was removed");
    // A small limit that spilling can live with still builds, and is recorded.
    let small = BaselineOptions {
        lake: crate::LakeOptions::default().with_memory_limit(8 << 20),
        ..options()
    };
    let summary = run(build(dir.path(), &small)).expect("builds within 8 MiB");
    assert_eq!(summary.meta.memory_limit, 8 << 20);
}

#[test]
fn corrupt_current_is_a_lake_error() {
    let (dir, _) = lake();
    run(build(dir.path(), &options())).unwrap();
    std::fs::write(baselines_dir(dir.path()).join(CURRENT), "../etc\n").unwrap();
    assert!(matches!(load(dir.path()), Err(DetectError::Lake { .. })));
    std::fs::write(baselines_dir(dir.path()).join(CURRENT), "v1\n").unwrap();
    let err = load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("meta.json"), "{err}");
}

#[test]
fn time_bounds_parse_in_utc() {
    assert_eq!(parse_time("2024-01-01").unwrap(), T0);
    assert_eq!(parse_time("2024-01-01T00:00:00Z").unwrap(), T0);
    assert_eq!(parse_time("2024-01-01T02:00:00+02:00").unwrap(), T0);
    assert_eq!(parse_time("2024-01-01T01:00:00").unwrap(), T0 + HOUR);
    assert_eq!(
        parse_time("2024-01-01 00:00:30.5").unwrap(),
        T0 + 30_500_000
    );
    assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
}

/// The whole path: baselines built by SQL over a lake, loaded, and the detectors
/// scoring batches read back from the lake through DataFusion (normal: silent) and
/// a Wednesday of attacks (each found by its detector).
#[test]
fn detectors_score_against_built_baselines() {
    use crate::anomaly::{detectors, AnomalyConfig};

    let (dir, _) = lake();
    run(build(dir.path(), &options())).expect("builds");
    let b = load(dir.path()).unwrap().unwrap();
    let mut dets = detectors(Some(b), &AnomalyConfig::default());
    assert_eq!(dets.len(), 10);

    // Day 2 of the lake itself, as DataFusion returns it.
    let session = run(crate::LakeSession::open(dir.path())).unwrap();
    let mut normal = Vec::new();
    for table in Table::ALL {
        let sql = format!("SELECT * FROM {} WHERE date = '2024-01-02'", table.name());
        let result = run(session.query(&sql)).unwrap();
        for batch in result.batches {
            normal.push((table, batch));
        }
    }
    assert!(!normal.is_empty());
    for (table, batch) in &normal {
        for d in dets.iter_mut() {
            d.process(*table, batch).expect("lake batches are readable");
        }
    }
    let quiet: Vec<_> = dets.iter_mut().flat_map(|d| d.finish()).collect();
    assert!(
        quiet.is_empty(),
        "{:#?}",
        quiet.iter().map(|f| &f.message).collect::<Vec<_>>()
    );

    // Wednesday 2024-01-03, 09:00.
    let wed = T0 + 2 * 24 * HOUR + 9 * HOUR;
    let mut ct_rows = vec![ct(
        wed,
        1,
        (CI, Some(CI)),
        ("iam.amazonaws.com", "CreateAccessKey"),
    )];
    let mut stolen = ct(
        wed + MINUTE,
        2,
        (
            "arn:aws:sts::111122223333:assumed-role/orders-role/orders",
            Some(ORDERS_ROLE),
        ),
        ("s3.amazonaws.com", "ListBuckets"),
    );
    stolen["source_ip"] = json!("198.51.100.7");
    stolen["user_agent"] = json!("aws-cli/2.15.0 Python/3.11");
    ct_rows.push(stolen);
    let inv: Vec<Value> = (0..300)
        .map(|k| {
            json!({
                "time": ts(wed + k * 1_000_000), "function_name": "orders",
                "request_id": format!("flood-{k}"), "trigger": "apigw_http",
                "source_ip": "203.0.113.99", "payload_shape": "GET {path:/a,query:{q:' or 0=0--}}",
                "status_code": 200, "source": "attack@0",
            })
        })
        .collect();
    let mut dets = detectors(load(dir.path()).unwrap(), &AnomalyConfig::default());
    let attacks = [
        (
            Table::CloudTrail,
            batch(Table::CloudTrail.schema(), &ct_rows),
        ),
        (Table::Invocations, batch(Table::Invocations.schema(), &inv)),
    ];
    for (table, b) in &attacks {
        for d in dets.iter_mut() {
            d.process(*table, b).unwrap();
        }
    }
    let mut ids: Vec<String> = dets
        .iter_mut()
        .flat_map(|d| d.finish())
        .map(|f| f.rule.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids,
        [
            "tripline.anomaly.exec_role_outside_lambda",
            "tripline.anomaly.invocation_flood",
            "tripline.anomaly.new_api",
            "tripline.anomaly.spray",
            "tripline.anomaly.unusual_service",
        ]
    );
}
