//! `tripline simulate` + `tripline eval`: rules and detectors scored on a small labelled
//! corpus they were not tuned on (a seed of its own), end to end through the CLI.

use crate::util::{stdout_ok, tripline};

#[test]
fn small_simulated_corpus_is_detected_with_few_false_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    stdout_ok(
        tripline()
            .args([
                "simulate", "all", "--seed", "20261123", "--days", "3", "--scale", "0.3", "--out",
            ])
            .arg(&corpus),
    );
    let out = stdout_ok(tripline().arg("eval").arg(&corpus).arg("--json"));
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let scenarios = r["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 14, "every scenario is scored: {r:#}");
    let recall = r["recall"].as_f64().unwrap();
    let precision = r["precision"].as_f64().unwrap();
    assert!(recall >= 0.9, "recall {recall}: {r:#}");
    assert!(precision >= 0.9, "precision {precision}: {r:#}");
    // Repeatability of detection over a lake with baselines is checked on a small lake
    // in `baseline::build_reports_what_it_built_and_makes_it_current`: a second eval
    // here would double the slowest test of the suite.
}
