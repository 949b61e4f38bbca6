//! Tests of the simulator: determinism, labels that point at real events, output that
//! ingests cleanly, diurnal rhythm, benign traffic that is never labelled.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arrow::array::{Array, AsArray};

use super::benign::Benign;
use super::rng::{stream, DAY, HOUR};
use super::world::{Via, World};
use super::*;
use tripline_detect::LakeSession;

/// A small corpus with every scenario, made once for the tests that read it.
struct Corpus {
    _dir: tempfile::TempDir,
    out: PathBuf,
    lake: PathBuf,
    summary: SimulateSummary,
    ingest: tripline_ingest::Summary,
}

fn small(out: &Path, scenarios: &[&str], seed: u64) -> SimulateConfig {
    let mut cfg = SimulateConfig::new(out);
    cfg.scenarios = scenarios.iter().map(|s| s.to_string()).collect();
    cfg.seed = seed;
    cfg.days = 1;
    cfg.scale = 0.1;
    cfg
}

fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("corpus");
        let summary = run(&small(&out, &["all"], 7)).expect("simulate runs");
        let lake = dir.path().join("lake");
        let cfg = tripline_ingest::IngestConfig::new(vec![out.clone()], lake.clone());
        let ingest = tripline_ingest::ingest(&cfg, &tripline_ingest::Progress::default())
            .expect("ingest runs");
        Corpus {
            _dir: dir,
            out,
            lake,
            summary,
            ingest,
        }
    })
}

fn labels(out: &Path) -> Vec<Label> {
    std::fs::read_to_string(out.join("labels.jsonl"))
        .expect("labels written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("label parses"))
        .collect()
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("readable file"));
            }
        }
    }
    out
}

/// Distinct values of a string column of a lake table.
fn column(lake: &Path, sql: &str) -> HashSet<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = LakeSession::open(lake).await.expect("lake opens");
        let r = s.query(sql).await.expect("query runs");
        let mut out = HashSet::new();
        for b in &r.batches {
            let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)
                .expect("castable to text");
            let c = c.as_string::<i32>();
            for i in 0..c.len() {
                if !c.is_null(i) {
                    out.insert(c.value(i).to_string());
                }
            }
        }
        out
    })
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let pick = [
        "injection_spray",
        "passrole_escalation",
        "stolen_function_credentials",
    ];
    run(&small(&a, &pick, 11)).expect("first run");
    run(&small(&b, &pick, 11)).expect("second run");
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() > 20, "only {} files", fa.len());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs between runs", k.display());
    }
    // Another seed is another corpus.
    let c = dir.path().join("c");
    run(&small(&c, &pick, 12)).expect("third run");
    assert_ne!(
        std::fs::read(a.join("labels.jsonl")).ok(),
        std::fs::read(c.join("labels.jsonl")).ok()
    );
}

#[test]
fn corpus_ingests_without_quarantine() {
    let c = corpus();
    assert_eq!(
        c.ingest.records_quarantined, 0,
        "quarantined: {:?}",
        c.ingest.quarantined_by_kind
    );
    assert_eq!(c.ingest.records_in, c.summary.manifest.records);
    for table in ["cloudtrail", "invocations", "lambda_runtime"] {
        assert!(
            c.ingest.records_stored.get(table).copied().unwrap_or(0) > 100,
            "{table}: {:?}",
            c.ingest.records_stored
        );
    }
}

#[test]
fn every_scenario_is_labelled_with_events_that_exist() {
    let c = corpus();
    let ls = labels(&c.out);
    let names: BTreeSet<&str> = ls.iter().map(|l| l.scenario.as_str()).collect();
    assert_eq!(names.len(), scenarios().len());
    assert!(scenarios().len() >= 14);
    let ct = column(&c.lake, "SELECT DISTINCT event_id FROM cloudtrail");
    let inv = column(&c.lake, "SELECT DISTINCT request_id FROM invocations");
    let detect_from = &c.summary.manifest.detect_from;
    let mut seen = HashSet::new();
    for l in &ls {
        assert!(!l.event_uids.is_empty(), "{} has no events", l.scenario);
        assert!(l.start >= *detect_from && l.end >= l.start, "{l:?}");
        for uid in &l.event_uids {
            assert!(
                ct.contains(uid) || inv.contains(uid),
                "{}: {uid} is in no table",
                l.scenario
            );
            assert!(seen.insert(uid.clone()), "{uid} labelled twice");
        }
        let e = &l.entities;
        assert!(
            e.principal.is_some() || e.function.is_some(),
            "{} names no entity",
            l.scenario
        );
    }
    assert_eq!(seen.len() as u64, c.summary.manifest.attack_events);
}

#[test]
fn status_codes_and_runtime_metrics_are_visible() {
    let c = corpus();
    let statuses = column(
        &c.lake,
        "SELECT DISTINCT status_code FROM invocations WHERE status_code IS NOT NULL",
    );
    for s in ["200", "401", "404", "500"] {
        assert!(statuses.contains(s), "no {s} in {statuses:?}");
    }
    let kinds = column(&c.lake, "SELECT DISTINCT kind FROM lambda_runtime");
    for k in ["report", "start", "timeout"] {
        assert!(kinds.contains(k), "no {k} in {kinds:?}");
    }
    let cold = column(
        &c.lake,
        "SELECT DISTINCT function_name FROM lambda_runtime WHERE init_ms IS NOT NULL",
    );
    assert!(!cold.is_empty());
    let named = column(
        &c.lake,
        "SELECT DISTINCT function_name FROM invocations WHERE status_code IS NOT NULL",
    );
    assert!(!named.is_empty() && !named.contains(""), "{named:?}");
}

#[test]
fn benign_traffic_is_never_labelled() {
    let c = corpus();
    let attacked: HashSet<String> = labels(&c.out)
        .into_iter()
        .flat_map(|l| l.event_uids)
        .collect();
    // Replay the benign stream of the same seed: none of its events is labelled.
    let start = DEFAULT_START_US;
    let w = World::new(7, start);
    let mut b = Benign::new(&w, 7, stream::BENIGN, 0.1);
    let mut n = 0;
    let mut hour = start;
    while hour < start + 2 * DAY {
        let (calls, invs) = b.hour(hour);
        for call in &calls {
            assert!(!attacked.contains(&call.event_id), "benign call labelled");
        }
        for inv in &invs {
            assert!(!attacked.contains(inv.uid()), "benign request labelled");
        }
        n += calls.len() + invs.len();
        hour += HOUR;
    }
    assert!(n > 1000, "only {n} benign events replayed");
}

#[test]
fn nights_are_quieter_than_evenings() {
    let w = World::new(3, DEFAULT_START_US);
    let mut b = Benign::new(&w, 3, stream::BENIGN, 1.0);
    let mut by_local_hour = [0usize; 24];
    let mut hour = DEFAULT_START_US;
    while hour < DEFAULT_START_US + 3 * DAY {
        let (_, invs) = b.hour(hour);
        for inv in &invs {
            if !matches!(
                w.functions[inv.function].via,
                Via::Every(_) | Via::Daily { .. }
            ) {
                by_local_hour[w.local(inv.time_us).0 as usize] += 1;
            }
        }
        hour += HOUR;
    }
    let night: usize = by_local_hour[2..5].iter().sum();
    let evening: usize = by_local_hour[18..21].iter().sum();
    assert!(
        night * 2 < evening,
        "night {night} vs evening {evening}: {by_local_hour:?}"
    );
}

#[test]
fn scenarios_vary_with_the_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = BTreeSet::new();
    for seed in [21, 22, 23] {
        let out = dir.path().join(seed.to_string());
        let mut cfg = small(&out, &["access_denied_spike", "injection_spray"], seed);
        cfg.scale = 0.02;
        run(&cfg).expect("simulate runs");
        for l in labels(&out) {
            seen.insert((l.scenario, l.entities.source_ips, l.entities.principal));
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
}

#[test]
fn bad_requests_are_user_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = run(&small(dir.path(), &["no_such_attack"], 1)).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("no_such_attack"),
        "{e}"
    );
    std::fs::write(dir.path().join("x"), "x").expect("write");
    let e = run(&small(dir.path(), &["all"], 1)).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    let mut cfg = small(&dir.path().join("y"), &["all"], 1);
    cfg.scale = -1.0;
    assert!(run(&cfg).unwrap_err().is_user_error());
}
