//! Scoring throughput of the anomaly detectors: synthetic batches of the three
//! tables (built with ingest's own builders), hand-made baselines, each detector
//! timed on its own, then all of them together.
//!
//! `cargo bench -p tripline-detect --bench anomaly [-- ROWS_PER_TABLE]` (default rows
//! per table in `main`). Target (issue 5): scoring keeps pace with ingest, ≥ 500,000
//! events/s on one core for every detector; the program prints events/s per detector
//! and through all of them.
//!
//! It asserts that the injected attack (an SQL-injection burst) is found, so the
//! numbers are of detectors doing their work.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use tripline_detect::anomaly::{detectors, AnomalyConfig};
use tripline_detect::baseline::{
    AccountBaseline, Activity, ApiStats, BaselineMeta, Baselines, FunctionBaseline,
    PrincipalBaseline, Robust, RuntimeBaseline, TimeRange,
};
use tripline_ingest::table::{
    CloudTrailBuilder, CloudTrailRow, InvocationBuilder, InvocationRow, RuntimeBuilder,
    RuntimeKind, RuntimeRow, TableBuilder, Trigger,
};
use tripline_ingest::Table;

const T0: i64 = 1_704_067_200_000_000;
const BATCH: usize = 8192;
const FUNCTIONS: usize = 50;
const PRINCIPALS: usize = 200;
const SHAPES: [&str; 5] = [
    "GET {headers:{user-agent:a/0},path:/a,query:{id:<int>}}",
    "POST {body:{id:<int>,items:[{qty:<n>,sku:<word>}]},path:/a}",
    "GET {path:/a/<int>}",
    "PUT {body:{email:<email>,name:a a},path:/a}",
    "GET {path:/a,query:{page:<int>,q:<word>}}",
];
const APIS: [(&str, &str); 6] = [
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("dynamodb.amazonaws.com", "PutItem"),
    ("sqs.amazonaws.com", "SendMessage"),
    ("kms.amazonaws.com", "Decrypt"),
];

/// A tiny deterministic generator (xorshift), enough for synthetic traffic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `rows` rows appended by `row(builder, i)`, cut into batches of [`BATCH`].
fn batched<B: TableBuilder + Default>(
    rows: usize,
    mut row: impl FnMut(&mut B, usize),
) -> Vec<RecordBatch> {
    let mut b = B::default();
    let mut out = Vec::new();
    for i in 0..rows {
        row(&mut b, i);
        if b.len() == BATCH {
            out.push(b.finish());
        }
    }
    if !b.is_empty() {
        out.push(b.finish());
    }
    out
}

fn invocations(rows: usize, rng: &mut Rng) -> Vec<RecordBatch> {
    batched(rows, |b: &mut InvocationBuilder, i| {
        let t = T0 + (i as i64) * 1_000; // 1000 events per second
        let attack = (1000..1100).contains(&i);
        b.append(&InvocationRow {
            time: t,
            account_id: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            function_name: Some(if attack {
                "fn-0".into()
            } else {
                format!("fn-{}", rng.below(FUNCTIONS as u64))
            }),
            request_id: Some(format!("req-{i}")),
            trigger: Trigger::ApigwHttp,
            source_ip: Some(if attack {
                "198.51.100.66".into()
            } else {
                format!("192.0.{}.{}", rng.below(40), rng.below(250))
            }),
            http_method: Some("GET".into()),
            path: Some(format!("/orders/{}", rng.below(10_000))),
            payload_shape: Some(if attack {
                "GET {path:/a,query:{q:' or 0=0--}}".into()
            } else {
                SHAPES[rng.below(5) as usize].into()
            }),
            status_code: Some(if rng.below(50) == 0 { 404 } else { 200 }),
            source: "bench@0".into(),
            ..Default::default()
        });
    })
}

fn cloudtrail(rows: usize, rng: &mut Rng) -> Vec<RecordBatch> {
    let principals: Vec<String> = (0..PRINCIPALS)
        .map(|p| format!("arn:aws:iam::111122223333:role/app-{p}"))
        .collect();
    let ids: Vec<String> = (0..rows).map(|i| format!("ev-{i}")).collect();
    let ips: Vec<String> = (0..256)
        .map(|i| format!("203.0.{}.{}", i % 16, i))
        .collect();
    batched(rows, |b: &mut CloudTrailBuilder, i| {
        let id = &ids[i];
        let p = &principals[rng.below(PRINCIPALS as u64) as usize];
        let api = APIS[rng.below(APIS.len() as u64) as usize];
        b.append(&CloudTrailRow {
            event_time: T0 + (i as i64) * 1_000,
            event_id: Some(id),
            event_source: Some(api.0),
            event_name: Some(api.1),
            aws_region: Some("us-east-1"),
            account_id: Some("111122223333"),
            source_ip: Some(&ips[rng.below(256) as usize]),
            user_agent: Some("aws-sdk-go-v2/1.24.0 os/linux"),
            principal_type: Some("AssumedRole"),
            principal_arn: Some(p),
            session_issuer_arn: Some(p),
            access_key_id: Some("ASIAEXAMPLE"),
            error_code: (rng.below(1000) == 0).then_some("AccessDenied"),
            read_only: Some(api.1.starts_with("Get")),
            source: "bench@0",
            ..Default::default()
        });
    })
}

fn runtime(rows: usize, rng: &mut Rng) -> Vec<RecordBatch> {
    batched(rows, |b: &mut RuntimeBuilder, i| {
        b.append(&RuntimeRow {
            time: T0 + (i as i64) * 1_000,
            function_name: Some(format!("fn-{}", rng.below(FUNCTIONS as u64))),
            request_id: Some(format!("req-{i}")),
            kind: if i % 500 == 0 {
                RuntimeKind::Error
            } else {
                RuntimeKind::Report
            },
            duration_ms: Some(90.0 + rng.below(20) as f64),
            billed_ms: Some(100.0),
            memory_mb: Some(256),
            max_memory_mb: Some(60 + rng.below(8) as i64),
            source: "bench@0".into(),
            ..Default::default()
        });
    })
}

fn baselines() -> Baselines {
    let span = 28 * 24 * 60;
    let mut functions = HashMap::new();
    for f in 0..FUNCTIONS {
        let per_minute = 60_000.0 / FUNCTIONS as f64;
        let mut fb = FunctionBaseline {
            invocations: (per_minute * span as f64) as u64,
            per_minute: Some(Activity::uniform(
                60,
                T0 / 60_000_000 - span as i64,
                span,
                per_minute,
                per_minute,
            )),
            with_status: 1_000_000,
            status_4xx: 20_000,
            status_5xx: 100,
            shaped: 1_000_000,
            distinct_shapes: 5,
            runtime: Some(RuntimeBaseline {
                reports: 1_000_000,
                starts: 1_000_000,
                errors: 2_000,
                timeouts: 10,
                cold_starts: 100,
                duration: Some(Robust {
                    median: 100.0,
                    mad: 5.0,
                    p99: 120.0,
                }),
                memory: Some(Robust {
                    median: 64.0,
                    mad: 2.0,
                    p99: 70.0,
                }),
                memory_mb: Some(256),
            }),
            ..Default::default()
        };
        for s in SHAPES {
            fb.shapes.insert(s.into(), 200_000);
        }
        functions.insert(format!("fn-{f}"), fb);
    }
    let mut principals = HashMap::new();
    let mut account = AccountBaseline {
        events: 10_000_000,
        principals: PRINCIPALS as u64,
        ..Default::default()
    };
    account.regions.insert("us-east-1".into(), 10_000_000);
    for p in 0..PRINCIPALS {
        let mut apis: HashMap<String, HashMap<String, ApiStats>> = HashMap::new();
        for (src, name) in APIS {
            apis.entry(src.into()).or_default().insert(
                name.into(),
                ApiStats {
                    events: 1000,
                    errors: 1,
                    access_denied: 1,
                    first_seen_us: T0 - 1,
                    last_seen_us: T0,
                },
            );
            account.services.insert(src.into(), 1000);
        }
        principals.insert(
            format!("arn:aws:iam::111122223333:role/app-{p}"),
            PrincipalBaseline {
                account: Some("111122223333".into()),
                events: 50_000,
                errors: 50,
                access_denied: 50,
                first_seen_us: T0 - 28 * 24 * 3_600_000_000,
                last_seen_us: T0,
                hourly: Activity::uniform(3600, T0 / 3_600_000_000 - 672, 672, 75.0, 75.0),
                apis,
                networks16: HashMap::new(),
                networks24: HashMap::new(),
                agents: HashMap::new(),
                regions: HashMap::new(),
            },
        );
    }
    Baselines {
        meta: BaselineMeta {
            format: 1,
            version: "bench".into(),
            built_at: String::new(),
            built_at_us: T0,
            time_range: Some(TimeRange::new(T0 - 28 * 24 * 3_600_000_000, T0)),
            rows: BTreeMap::new(),
            top_shapes: 200,
            memory_limit: 1 << 30,
        },
        dir: PathBuf::new(),
        principals,
        functions,
        accounts: HashMap::from([("111122223333".into(), account)]),
        function_roles: HashMap::new(),
        pooled_events: 10_000_000,
        pooled_access_denied: 10_000,
        rows_loaded: BTreeMap::new(),
    }
}

/// Which tables (invocations, cloudtrail, lambda_runtime) a detector reads.
fn reads(name: &str) -> [bool; 3] {
    match name {
        "spray" | "invocation_flood" | "enumeration" => [true, false, false],
        "error_spike" => [true, false, true],
        "resource_outlier" => [false, false, true],
        "brute_force" => [true, true, false],
        _ => [false, true, false],
    }
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500_000);
    let mut rng = Rng(0x5eed);
    let input: Vec<(Table, Vec<RecordBatch>)> = vec![
        (Table::Invocations, invocations(rows, &mut rng)),
        (Table::CloudTrail, cloudtrail(rows, &mut rng)),
        (Table::LambdaRuntime, runtime(rows, &mut rng)),
    ];
    let b = Arc::new(baselines());
    let cfg = AnomalyConfig::default();
    println!("{rows} rows per table, batches of {BATCH}");
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>14} {:>9}",
        "detector", "inv ms", "ct ms", "rt ms", "events/s", "findings"
    );
    let mut total = Duration::ZERO;
    let mut spray_found = false;
    let names: Vec<&'static str> = detectors(Some(b.clone()), &cfg)
        .iter()
        .map(|d| d.name())
        .collect();
    for name in names {
        let Some(mut d) = detectors(Some(b.clone()), &cfg)
            .into_iter()
            .find(|d| d.name() == name)
        else {
            continue;
        };
        let mut times = [Duration::ZERO; 3];
        for (k, (table, batches)) in input.iter().enumerate() {
            let start = Instant::now();
            for batch in batches {
                d.process(*table, batch)
                    .expect("synthetic batches are well formed");
            }
            times[k] = start.elapsed();
        }
        let start = Instant::now();
        let found = d.finish();
        let finish = start.elapsed();
        // Rows of the tables the detector reads, over the time it spent.
        let read = reads(name);
        let events: usize = read.iter().filter(|&&r| r).count() * rows;
        let spent: Duration = times
            .iter()
            .zip(read)
            .filter(|(_, r)| *r)
            .map(|(t, _)| *t)
            .sum::<Duration>()
            + finish;
        total += times.iter().sum::<Duration>() + finish;
        spray_found |= found.iter().any(|f| f.rule.id == "tripline.anomaly.spray");
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<28} {:>10.1} {:>10.1} {:>10.1} {:>14.0} {:>9}",
            name,
            ms(times[0]),
            ms(times[1]),
            ms(times[2]),
            events as f64 / spent.as_secs_f64(),
            found.len()
        );
    }
    println!(
        "{:<28} {:>10.1} ms in all: {:.0} events/s through every detector",
        "all",
        total.as_secs_f64() * 1000.0,
        (3 * rows) as f64 / total.as_secs_f64()
    );
    let rate = (3 * rows) as f64 / total.as_secs_f64();
    println!(
        "target: every event through all detectors at >= 500,000 events/s on one core: {}",
        if rate >= 500_000.0 { "PASS" } else { "FAIL" }
    );
    assert!(spray_found, "the injected SQL-injection burst is found");
}
