use std::path::Path;

use chrono::TimeZone;

use super::*;
use crate::finding::fixtures::{hit, named_rule};
use crate::finding::Aggregator;

fn finding(rule_id: &str, principal: &str, ip: &str) -> Finding {
    let r = named_rule(rule_id, "aws_iam_policy_attached", "IAM Policy Attached");
    let mut h = hit(&r, 1_714_557_600_000_000, "e-1", principal);
    h.context.source_ip = Some(ip.to_owned());
    h.context.function = Some("billing-export".to_owned());
    let mut agg = Aggregator::new();
    agg.push(h, 3_600_000_000);
    agg.finish().remove(0)
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("a valid date")
}

fn list(yaml: &str) -> Allowlist {
    Allowlist::from_yaml(yaml, Path::new("allow.yml")).expect("valid allowlist")
}

fn error(yaml: &str) -> String {
    Allowlist::from_yaml(yaml, Path::new("allow.yml"))
        .expect_err("invalid allowlist")
        .to_string()
}

const NOW: (i32, u32, u32) = (2024, 6, 1);

fn now() -> DateTime<Utc> {
    day(NOW.0, NOW.1, NOW.2)
}

fn suppressed(yaml: &str, f: &Finding) -> bool {
    list(yaml).check(f, now()).is_some()
}

#[test]
fn rule_matches_id_name_and_globs() {
    let f = finding("4a7c-id", "arn:aws:iam::1:role/ci-deploy", "10.1.2.3");
    let entry = |rule: &str| format!("- rule: \"{rule}\"\n  expires: 2024-12-31\n  reason: r\n");
    assert!(suppressed(&entry("4a7c-id"), &f));
    assert!(suppressed(&entry("aws_iam_policy_attached"), &f));
    assert!(suppressed(&entry("aws_iam_*"), &f));
    assert!(suppressed(&entry("4a7c-?d"), &f));
    assert!(!suppressed(&entry("4a7c"), &f));
    assert!(!suppressed(&entry("aws_s3_*"), &f));
}

#[test]
fn principal_function_account_region_globs() {
    let f = finding("r", "arn:aws:iam::1:role/ci-deploy", "10.1.2.3");
    let entry = |field: &str, value: &str| {
        format!("- rule: \"*\"\n  {field}: \"{value}\"\n  expires: 2024-12-31\n  reason: r\n")
    };
    assert!(suppressed(
        &entry("principal", "arn:aws:iam::1:role/ci-*"),
        &f
    ));
    assert!(!suppressed(
        &entry("principal", "arn:aws:iam::1:role/CI-*"),
        &f
    ));
    assert!(suppressed(&entry("function", "billing-*"), &f));
    assert!(!suppressed(&entry("function", "orders-*"), &f));
    assert!(suppressed(&entry("account", "111122223333"), &f));
    assert!(!suppressed(&entry("account", "999*"), &f));
    assert!(suppressed(&entry("region", "us-*"), &f));
    assert!(!suppressed(&entry("region", "eu-*"), &f));
}

#[test]
fn every_field_must_match() {
    let f = finding("r", "arn:aws:iam::1:role/ci-deploy", "10.1.2.3");
    let yaml = "- rule: r\n  principal: \"*ci-*\"\n  region: eu-west-1\n  expires: 2024-12-31\n  reason: r\n";
    assert!(!suppressed(yaml, &f));
}

#[test]
fn ip_cidr_exact_and_glob() {
    let f = finding("r", "arn:x", "10.1.2.3");
    let v6 = finding("r", "arn:x", "2001:db8::17");
    let mapped = finding("r", "arn:x", "::ffff:10.1.2.3");
    let entry =
        |ip: &str| format!("- rule: r\n  ip: \"{ip}\"\n  expires: 2024-12-31\n  reason: r\n");
    assert!(suppressed(&entry("10.0.0.0/8"), &f));
    assert!(suppressed(&entry("10.1.2.3/32"), &f));
    assert!(!suppressed(&entry("10.1.2.4/32"), &f));
    assert!(!suppressed(&entry("192.168.0.0/16"), &f));
    assert!(suppressed(&entry("0.0.0.0/0"), &f));
    assert!(suppressed(&entry("10.1.2.3"), &f));
    assert!(suppressed(&entry("10.1.*"), &f));
    assert!(!suppressed(&entry("10.2.*"), &f));
    assert!(suppressed(&entry("2001:db8::/32"), &v6));
    assert!(!suppressed(&entry("2001:db9::/32"), &v6));
    assert!(!suppressed(&entry("10.0.0.0/8"), &v6));
    assert!(suppressed(&entry("10.0.0.0/8"), &mapped));
}

#[test]
fn expiry_is_inclusive_of_the_day() {
    let f = finding("r", "arn:x", "10.1.2.3");
    let yaml = "- rule: r\n  expires: 2024-06-01\n  reason: temporary\n";
    let l = list(yaml);
    assert!(l.check(&f, day(2024, 6, 1)).is_some());
    assert!(l.check(&f, day(2024, 6, 2)).is_none());
    assert!(l.warnings(day(2024, 6, 1)).is_empty());
    let warnings = l.warnings(day(2024, 6, 2));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("entry 1"), "{}", warnings[0]);
    assert!(warnings[0].contains("2024-06-01"), "{}", warnings[0]);
}

#[test]
fn apply_filters_and_counts() {
    let keep = finding("other", "arn:x", "10.1.2.3");
    let drop = finding("r", "arn:x", "10.1.2.3");
    let yaml = "\
- rule: r
  expires: 2024-01-01
  reason: old ticket
- rule: r
  principal: arn:x
  expires: 2024-12-31
  reason: TICKET-1
";
    let mut l = list(yaml);
    let kept = l.apply(vec![keep.clone(), drop.clone(), drop], now());
    assert_eq!(kept, vec![keep]);
    let stats = l.stats();
    assert_eq!(stats[0].suppressed, 0);
    assert_eq!(stats[0].expired_matches, 2);
    assert_eq!(stats[1].suppressed, 2);
    let warnings = l.warnings(now());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("matched 2 finding(s)"),
        "{}",
        warnings[0]
    );
    assert_eq!(
        l.check(&finding("r", "arn:x", "1.1.1.1"), now())
            .map(|e| e.reason.as_str()),
        Some("TICKET-1")
    );
}

#[test]
fn bad_files_name_the_file_entry_and_problem() {
    let e = error("- rule: r\n  expires: 2024-12-31\n");
    assert!(e.contains("allow.yml") && e.contains("reason"), "{e}");
    let e = error("- rule: r\n  expires: 2024-12-31\n  reason: \"  \"\n");
    assert!(e.contains("entry 1") && e.contains("reason"), "{e}");
    let e = error("- rule: r\n  principle: arn:x\n  expires: 2024-12-31\n  reason: r\n");
    assert!(e.contains("principle"), "{e}");
    let e = error("- rule: r\n  reason: r\n");
    assert!(e.contains("expires"), "{e}");
    let e = error("- rule: r\n  expires: 2024-13-01\n  reason: r\n");
    assert!(e.contains("entry 1") && e.contains("2024-13-01"), "{e}");
    let e = error("- rule: ok\n  expires: 2024-12-31\n  reason: r\n- rule: r2\n  ip: 10.0.0.0/33\n  expires: 2024-12-31\n  reason: r\n");
    assert!(
        e.contains("entry 2") && e.contains("rule 'r2'") && e.contains("prefix"),
        "{e}"
    );
    let e = error("- rule: r\n  ip: 10.0.0/8\n  expires: 2024-12-31\n  reason: r\n");
    assert!(e.contains("CIDR"), "{e}");
    let e = error("rule: r\n");
    assert!(e.contains("list"), "{e}");
}

#[test]
fn load_reads_files_and_reports_missing_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("allow.yml");
    std::fs::write(&path, "- rule: r\n  expires: 2030-01-01\n  reason: r\n").expect("write");
    let l = Allowlist::load(&path).expect("loads");
    assert_eq!(l.entries().count(), 1);
    let empty = dir.path().join("empty.yml");
    std::fs::write(&empty, "\n").expect("write");
    assert_eq!(Allowlist::load(&empty).expect("loads").entries().count(), 0);
    let missing = dir.path().join("missing.yml");
    let e = Allowlist::load(&missing)
        .expect_err("missing file")
        .to_string();
    assert!(e.contains("missing.yml"), "{e}");
}

#[test]
fn globs() {
    assert!(glob("*", ""));
    assert!(glob("a*b*c", "axxbyyc"));
    assert!(glob("a*b*c", "abc"));
    assert!(!glob("a*b*c", "axxbyy"));
    assert!(glob("*.amazonaws.com", "iam.amazonaws.com"));
    assert!(glob("a?c", "abc"));
    assert!(!glob("a?c", "ac"));
    assert!(glob("**", "x"));
    assert!(!glob("abc", "abcd"));
    assert!(glob("é*", "été"));
}
