//! Rule evaluation throughput once events are in Arrow: the whole library, and growing
//! subsets of it (1, 8, 32 rules, all) to show how cost grows with rules that share
//! fields. One thread.
//!
//! Events: `TRIPLINE_BENCH_JSONL` (CloudTrail JSON lines, e.g. from
//! `../shared/tools/gen_cloudtrail.py --jsonl FILE`), else a corpus generated with that
//! script into `target/bench-corpus/`. `TRIPLINE_BENCH_EVENTS` caps how many are read
//! (default 1,000,000).
//!
//! `cargo bench -p tripline-detect --bench rules` (criterion reports elements/s =
//! events/s).

use std::io::BufRead;
use std::path::PathBuf;

use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tripline_detect::engine::{read_dir, Detector, RuleSet, Selection};
use tripline_ingest::stream::parse_records;
use tripline_ingest::Table;

fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("TRIPLINE_BENCH_JSONL") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("target/bench-corpus/rules-bench.jsonl");
    if !out.exists() {
        let gen = root.join("../shared/tools/gen_cloudtrail.py");
        let status = std::process::Command::new("python3")
            .arg(&gen)
            .args([
                "--records",
                "1000000",
                "--files",
                "8",
                "--seed",
                "7",
                "--out",
            ])
            .arg(root.join("target/bench-corpus/rules-bench"))
            .arg("--jsonl")
            .arg(&out)
            .status()
            .expect("python3 runs");
        assert!(
            status.success(),
            "generating the corpus with {}",
            gen.display()
        );
    }
    out
}

fn load_batches() -> Vec<RecordBatch> {
    let limit: usize = std::env::var("TRIPLINE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let file = std::fs::File::open(corpus()).expect("corpus readable");
    let mut lines = std::io::BufReader::new(file).lines();
    let mut batches = Vec::new();
    let mut n = 0;
    while n < limit {
        let chunk: Vec<String> = lines
            .by_ref()
            .take(16_384.min(limit - n))
            .map(|l| l.expect("utf-8 line"))
            .collect();
        if chunk.is_empty() {
            break;
        }
        n += chunk.len();
        let parsed = parse_records("bench", chunk.iter().map(|l| l.as_bytes()));
        batches.extend(
            parsed
                .batches
                .into_iter()
                .filter(|(t, _)| *t == Table::CloudTrail)
                .map(|(_, b)| b),
        );
    }
    batches
}

fn bench(c: &mut Criterion) {
    let rules_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let files = read_dir(&rules_dir).expect("rules folder");
    let set = std::sync::Arc::new(RuleSet::load(&files));
    let batches = load_batches();
    let events: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
    let ct: Vec<usize> = set.rules_for(Table::CloudTrail).collect();
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    let mut sizes = vec![1, 8, 32];
    sizes.retain(|&n| n < ct.len());
    sizes.push(ct.len());
    for n in sizes {
        let sel = Selection {
            rules: Some(ct[..n].to_vec()),
            correlations: None,
            force_emit: false,
        };
        group.bench_with_input(BenchmarkId::new("cloudtrail_rules", n), &n, |b, _| {
            b.iter(|| {
                let mut det = Detector::new(set.clone(), sel.clone());
                for batch in &batches {
                    det.process(Table::CloudTrail, batch).expect("evaluates");
                }
                det.finish()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
