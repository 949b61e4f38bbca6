//! `tripline demo`: the embedded scenario end to end. Writes a sample of every input
//! form (CloudTrail delivery files, JSON lines, EventBridge and CloudWatch Logs
//! envelopes, Lambda event payloads, Powertools and platform logs — plus deliberately
//! bad records) to a fresh directory, ingests it into a lake, and runs the queries an
//! analyst starts with. Then the detection half: the rule library over that lake, and
//! a small simulated week (benign traffic plus every labelled attack scenario) through
//! baselines, rules and detectors, with the alerts and the measured precision and
//! recall. Everything it shows is computed, nothing is canned.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tripline_detect::output::{write_result, OutputFormat};
use tripline_detect::pipeline::{self, FindingSink, FindingTable, Input, PipelineConfig};
use tripline_detect::LakeSession;
use tripline_detect::{Finding, Level};
use tripline_ingest::IngestConfig;
use tripline_sim::simulate::{self, SimulateConfig};

/// The embedded sample: (relative path, bytes). The same files are the fixtures of
/// the integration tests, so the demo shows what the tests check.
const SAMPLE: &[(&str, &[u8])] = &[
    (
        "cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1000Z_fixture01.json.gz",
        include_bytes!("../../tests/fixtures/cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1000Z_fixture01.json.gz"),
    ),
    ("cloudtrail/pretty-delivery.json", include_bytes!("../../tests/fixtures/cloudtrail/pretty-delivery.json")),
    ("cloudtrail/edge-cases.json", include_bytes!("../../tests/fixtures/cloudtrail/edge-cases.json")),
    ("cloudtrail/eventbridge.jsonl", include_bytes!("../../tests/fixtures/cloudtrail/eventbridge.jsonl")),
    ("cloudtrail/cwl-subscription.jsonl", include_bytes!("../../tests/fixtures/cloudtrail/cwl-subscription.jsonl")),
    ("cloudtrail/bad-records.jsonl", include_bytes!("../../tests/fixtures/cloudtrail/bad-records.jsonl")),
    ("lambda/apigw_rest.json", include_bytes!("../../tests/fixtures/lambda/apigw_rest.json")),
    ("lambda/apigw_http.json", include_bytes!("../../tests/fixtures/lambda/apigw_http.json")),
    ("lambda/function_url.json", include_bytes!("../../tests/fixtures/lambda/function_url.json")),
    ("lambda/sqs.json", include_bytes!("../../tests/fixtures/lambda/sqs.json")),
    ("lambda/sns.json", include_bytes!("../../tests/fixtures/lambda/sns.json")),
    ("lambda/s3.json", include_bytes!("../../tests/fixtures/lambda/s3.json")),
    ("lambda/eventbridge.json", include_bytes!("../../tests/fixtures/lambda/eventbridge.json")),
    ("lambda/powertools.jsonl", include_bytes!("../../tests/fixtures/lambda/powertools.jsonl")),
    ("lambda/telemetry.jsonl", include_bytes!("../../tests/fixtures/lambda/telemetry.jsonl")),
    ("lambda/apigw_access.jsonl", include_bytes!("../../tests/fixtures/lambda/apigw_access.jsonl")),
];

/// The analyst's first questions, as (title, SQL).
const QUERIES: &[(&str, &str)] = &[
    (
        "What is in the lake",
        "SELECT 'cloudtrail' AS tbl, count(*) AS rows FROM cloudtrail \
         UNION ALL SELECT 'invocations', count(*) FROM invocations \
         UNION ALL SELECT 'lambda_runtime', count(*) FROM lambda_runtime ORDER BY tbl",
    ),
    (
        "Denied and sensitive calls, by principal",
        "SELECT principal_type, coalesce(session_name, user_name, principal_arn) AS who, event_name, \
         coalesce(error_code, '') AS error, source_ip FROM cloudtrail \
         WHERE error_code IS NOT NULL OR event_name IN ('DeleteTrail', 'ConsoleLogin', 'CreateAccessKey', 'PutRolePolicy') \
         ORDER BY event_time",
    ),
    (
        "Requests that reached functions, grouped by payload shape",
        "SELECT trigger, coalesce(function_name, '?') AS function, count(*) AS n, \
         count(DISTINCT source_ip) AS sources, substr(payload_shape, 1, 70) AS shape \
         FROM invocations GROUP BY 1, 2, 5 ORDER BY n DESC, trigger LIMIT 12",
    ),
    (
        "Function runtime: durations, memory, cold starts, timeouts",
        "SELECT coalesce(function_name, '?') AS function, kind, count(*) AS n, max(duration_ms) AS max_ms, \
         max(max_memory_mb) AS max_mem_mb, max(init_ms) AS init_ms FROM lambda_runtime \
         WHERE kind IN ('report', 'timeout', 'error') GROUP BY 1, 2 ORDER BY 1, 2",
    ),
];

/// The simulated week of the demo: small enough to run in seconds, large enough for
/// baselines (3 days of history, a third of the default volume).
const DEMO_SEED: u64 = 7;
const DEMO_DAYS: u32 = 3;
const DEMO_SCALE: f64 = 0.3;

/// Arguments of `tripline demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Directory for the sample and its lake (default: a fresh `tripline-demo` in the
    /// system temporary directory; replaced if it exists).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs `tripline demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .unwrap_or_else(|| std::env::temp_dir().join("tripline-demo"));
    let input = dir.join("input");
    let lake = dir.join("lake");
    for d in [&input, &lake] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("clearing {}", d.display()))?;
        }
    }
    for (rel, bytes) in SAMPLE {
        let p = input.join(rel);
        std::fs::create_dir_all(p.parent().expect("sample paths have a parent"))?;
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Tripline demo: {} sample files in {}\n",
        SAMPLE.len(),
        input.display()
    )?;
    writeln!(
        out,
        "$ tripline ingest {} --lake {}",
        input.display(),
        lake.display()
    )?;
    let cfg = IngestConfig::new(vec![input.clone()], lake.clone());
    let summary = super::ingest::ingest_with_progress(&cfg, true)?;
    super::ingest::print_summary(&mut out, &summary)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let session = LakeSession::open(&lake).await?;
        for (title, sql) in QUERIES {
            writeln!(out, "\n-- {title}")?;
            let result = session
                .query(sql)
                .await
                .with_context(|| format!("demo query failed: {sql}"))?;
            write_result(&mut out, OutputFormat::Table, &result)?;
        }
        anyhow::Ok(())
    })?;

    // Detection, part 1: the rule library over the sample's lake.
    writeln!(
        out,
        "\n$ tripline detect --lake {} --format table",
        lake.display()
    )?;
    let set = super::detect::rule_set(&[], &[])?;
    let sample = pipeline::detect(
        &Input::Lake {
            dir: lake.clone(),
            from: None,
            to: None,
        },
        PipelineConfig::new(set.clone()),
    )?;
    write_table(&mut out, &sample.output.findings)?;

    // Detection, part 2: a simulated week with labelled attacks, end to end.
    let sim = dir.join("simulated");
    if sim.exists() {
        std::fs::remove_dir_all(&sim).with_context(|| format!("clearing {}", sim.display()))?;
    }
    let mut cfg = SimulateConfig::new(&sim);
    (cfg.seed, cfg.days, cfg.scale) = (DEMO_SEED, DEMO_DAYS, DEMO_SCALE);
    writeln!(
        out,
        "\n$ tripline simulate all --out {} --seed {DEMO_SEED} --days {DEMO_DAYS} --scale {DEMO_SCALE}",
        sim.display()
    )?;
    let written = simulate::run(&cfg)?;
    writeln!(
        out,
        "{} benign events and {} attack events of {} scenarios",
        written.manifest.benign_events,
        written.manifest.attack_events,
        written.attacks.len()
    )?;
    writeln!(out, "\n$ tripline eval {}", sim.display())?;
    let eval = super::eval::evaluate_corpus(&sim, set, Level::Medium, false)?;
    writeln!(out, "alerts (medium and above):")?;
    write_table(&mut out, &eval.findings)?;
    writeln!(out)?;
    super::eval::print_report(&mut out, &eval.report, &eval.notes)?;

    writeln!(
        out,
        "\nExplore it yourself:\n  tripline query --lake {}            # interactive SQL shell\n  head -n 3 {}/*.jsonl   # quarantined records, with reasons\n  tripline detect --lake {}/_eval/lake --from {}   # the alerts as OCSF JSON",
        lake.display(),
        summary.quarantine_dir,
        sim.display(),
        written.manifest.detect_from
    )?;
    Ok(())
}

/// Findings as the `--format table` listing.
fn write_table(out: &mut dyn Write, findings: &[Finding]) -> anyhow::Result<()> {
    let mut table = FindingTable::new(out);
    table.write(findings)?;
    table.flush()?;
    Ok(())
}
