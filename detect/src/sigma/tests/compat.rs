//! Compatibility with published SigmaHQ rules: every CloudTrail rule parses,
//! compiles and runs unchanged.

use std::path::{Path, PathBuf};

use super::*;
use crate::sigma::load_dir;

const SIGMA: &str = "/work/shared/data/sigma";

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    out.sort();
    out
}

/// Events on which some of the published rules must fire.
fn sample_events() -> Vec<Value> {
    vec![
        ct("StopLogging", "cloudtrail.amazonaws.com", json!({})),
        ct(
            "GetCallerIdentity",
            "sts.amazonaws.com",
            json!({"userAgent": "TruffleHog"}),
        ),
        ct(
            "ListBuckets",
            "s3.amazonaws.com",
            json!({"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"}}),
        ),
        ct(
            "ModifyInstanceAttribute",
            "ec2.amazonaws.com",
            json!({"requestParameters": {"instanceId": "i-1", "attribute": "userData"}}),
        ),
        ct(
            "ConsoleLogin",
            "signin.amazonaws.com",
            json!({"additionalEventData": {"MFAUsed": "No"}, "responseElements": {"ConsoleLogin": "Success"}}),
        ),
        ct(
            "UpdateFunctionConfiguration20150331v2",
            "lambda.amazonaws.com",
            json!({"requestParameters": {"functionName": "f", "layers": ["arn:aws:lambda:eu-west-1:999999999999:layer:x:1"]}}),
        ),
        ct(
            "GetObject",
            "s3.amazonaws.com",
            json!({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc"}}),
        ),
        ct("DescribeInstances", "ec2.amazonaws.com", json!({})),
    ]
}

#[test]
fn every_sigmahq_cloudtrail_rule_loads_compiles_and_runs() {
    let dir = Path::new(SIGMA).join("rules/cloud/aws/cloudtrail");
    if !dir.is_dir() {
        eprintln!("skipped: {} is not present", dir.display());
        return;
    }
    let files = yml_files(&dir);
    assert!(files.len() >= 57, "{} files", files.len());
    let mut failures = Vec::new();
    let mut rules = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let (docs, errors) = parse_rules(&name, &text);
        failures.extend(errors.iter().map(ToString::to_string));
        for d in docs {
            match d {
                RuleDoc::Detection(d) => match compile(&d) {
                    Ok(r) => rules.push((name.clone(), r)),
                    Err(e) => failures.push(e.to_string()),
                },
                RuleDoc::Correlation(_) => {}
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
    assert_eq!(rules.len(), files.len());
    println!("{} SigmaHQ CloudTrail rules compiled", rules.len());

    let events = sample_events();
    let b = batch(Table::CloudTrail, &events);
    let mut fields = BatchFields::new(Table::CloudTrail, &b);
    let mut fired: Vec<(String, usize)> = Vec::new();
    for (name, rule) in &rules {
        let hits = rule.eval(&mut fields).unwrap();
        for row in 0..hits.len() {
            if hits.value(row) {
                fired.push((name.clone(), row));
            }
        }
    }
    let expect = [
        ("aws_cloudtrail_disable_logging.yml", 0),
        ("aws_sts_getcalleridentity_trufflehog.yml", 1),
        ("aws_cloudtrail_pua_trufflehog.yml", 1),
        ("aws_enum_buckets.yml", 2),
        ("aws_root_account_usage.yml", 2),
        ("aws_ec2_startup_script_change.yml", 3),
        ("aws_cloudtrail_console_login_success_without_mfa.yml", 4),
        ("aws_new_lambda_layer_attached.yml", 5),
        ("aws_cloudtrail_imds_malicious_usage.yml", 6),
    ];
    for (name, row) in expect {
        assert!(
            fired.contains(&(name.to_owned(), row)),
            "{name} should fire on event {row}; fired: {fired:?}"
        );
    }
    // The ordinary DescribeInstances call fires nothing.
    assert!(!fired.iter().any(|(_, row)| *row == 7), "{fired:?}");
}

#[test]
fn placeholder_rules_are_refused_with_a_reason() {
    let dir = Path::new(SIGMA).join("rules-placeholder/cloud/aws/cloudtrail");
    if !dir.is_dir() {
        eprintln!("skipped: {} is not present", dir.display());
        return;
    }
    let (docs, errors) = load_dir(&dir);
    for e in &errors {
        println!("{e}");
    }
    // Placeholders need a pipeline Tripline does not have: refused, and said why
    // (the placeholder fields, `src_country` and `src_ip`, have no mapping either).
    assert!(docs.is_empty());
    assert!(
        errors.iter().any(|e| e.message.contains("placeholders")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.construct == "modifier `expand`" || e.message.starts_with("unknown field")),
        "{errors:#?}"
    );
}
