//! Parsing: documents, metadata, correlations, extensions, tests, and error lines.

use super::*;
use crate::model::{CmpOp, CorrelationKind, Level, Service, WindowMode};
use crate::sigma::{lint_text, resolve, Timespan};

const MULTI: &str = r#"title: Failed console logins
id: 11111111-1111-4111-8111-111111111111
name: failed_console_login
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    errorMessage: Failed authentication
  condition: selection
level: low
---
# A broken document in the middle.
title: Broken
id: 22222222-2222-4222-8222-222222222222
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName|contians: x
  condition: selection
---
title: Console login succeeded
id: 33333333-3333-4333-8333-333333333333
name: console_login_ok
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Success
  condition: selection
---
title: Brute force then success
id: 44444444-4444-4444-8444-444444444444
correlation:
  type: temporal_ordered
  rules:
    - failed_console_login
    - console_login_ok
  group-by:
    - userIdentity.arn
  timespan: 10m
level: high
tripline:
  window: session
  session_gap: 2m
  lateness: 1m
tests:
  - name: three failures then a success
    match: true
    events:
      - {eventName: ConsoleLogin}
      - {eventName: ConsoleLogin}
  - name: a success alone
    match: false
    event: {eventName: ConsoleLogin}
    findings: 0
"#;

#[test]
fn one_bad_document_does_not_stop_the_others() {
    let (docs, errors) = parse_rules("multi.yml", MULTI);
    assert_eq!(docs.len(), 3, "{errors:#?}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].line, 22, "{}", errors[0]);
    assert_eq!(errors[0].construct, "modifier `contians`");
    assert!(errors[0]
        .to_string()
        .starts_with("multi.yml:22: modifier `contians`: unknown modifier"));

    let RuleDoc::Detection(first) = &docs[0] else {
        panic!("{:?}", docs[0])
    };
    assert_eq!(first.info.name.as_deref(), Some("failed_console_login"));
    assert_eq!(first.info.level, Level::Low);
    assert_eq!(first.info.service, Some(Service::CloudTrail));
    assert_eq!(first.info.kind, "rule");
    assert_eq!(first.info.path, "multi.yml");
    assert_eq!(first.tripline.group_by, vec!["userIdentity.arn"]);
    // Used by a correlation without `generate: true`: a building block only.
    assert!(!first.generate);
    assert_eq!(docs[1].line(), 25);

    let RuleDoc::Correlation(c) = &docs[2] else {
        panic!("{:?}", docs[2])
    };
    assert_eq!(c.spec.kind, CorrelationKind::TemporalOrdered);
    assert_eq!(
        c.spec.rules,
        vec!["failed_console_login", "console_login_ok"]
    );
    assert_eq!(c.spec.group_by, vec!["userIdentity.arn"]);
    assert_eq!(c.spec.timespan_us, 600_000_000);
    // Temporal correlations without a condition need every rule.
    assert_eq!(c.spec.condition, vec![(CmpOp::Gte, 2)]);
    assert_eq!(
        c.spec.window,
        WindowMode::Session {
            gap_us: 120_000_000
        }
    );
    assert_eq!(c.spec.lateness_us, 60_000_000);
    assert_eq!(c.spec.info.kind, "correlation");
    assert_eq!(c.spec.info.service, None);
    assert!(!c.spec.generate);
    assert_eq!(c.tests.len(), 2);
    assert!(c.tests[0].expect_match);
    assert_eq!(c.tests[0].events.len(), 2);
    assert_eq!(c.tests[1].events[0]["eventName"], "ConsoleLogin");
    assert_eq!(c.tests[1].findings, Some(0));
    assert!(resolve(&docs).is_empty(), "{:?}", resolve(&docs));
}

#[test]
fn error_lines_point_at_the_construct() {
    let unknown_modifier =
        ct_rule("selection:\n  eventName: x\n  userAgent|startwith: y\ncondition: selection");
    let e = errors_of(&unknown_modifier);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.yml:9: modifier `startwith`: unknown modifier"),
        "{e:?}"
    );
    assert!(e[0].contains("did you mean `startswith`"), "{e:?}");

    let unknown_field = ct_rule("selection:\n  eventName: x\nfilter:\n  srcCountry: FR\ncondition: selection and not filter");
    let e = errors_of(&unknown_field);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.yml:10: field `srcCountry`: unknown field"),
        "{e:?}"
    );

    let undefined = ct_rule("selection:\n  eventName: x\ncondition: selection and not filter");
    let e = errors_of(&undefined);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.yml:9: condition: undefined selection `filter`"),
        "{e:?}"
    );

    let syntax = ct_rule("selection:\n  eventName: x\ncondition: selection and (not selection");
    let e = errors_of(&syntax);
    assert!(
        e[0].starts_with("bad.yml:9: condition: missing `)`"),
        "{e:?}"
    );

    let dangling = ct_rule("selection:\n  eventName: x\ncondition: selection or");
    assert!(errors_of(&dangling)[0].contains("ends after `or`"));
}

#[test]
fn every_problem_of_a_document_is_reported() {
    let text = ct_rule(
        "a:\n  eventName|foo: x\nb:\n  nosuchField: y\nc:\n  sourceIPAddress|cidr: not-a-net\ncondition: a or b or c",
    );
    let e = errors_of(&text);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("bad.yml:8: modifier `foo`"), "{e:?}");
    assert!(e[1].starts_with("bad.yml:10: field `nosuchField`"), "{e:?}");
    assert!(
        e[2].starts_with("bad.yml:12: field `sourceIPAddress`"),
        "{e:?}"
    );
}

#[test]
fn unsupported_constructs_say_so() {
    let cases = [
        (
            ct_rule("s:\n  src_ip|expand: '%ips%'\ncondition: s"),
            "unsupported modifier",
        ),
        (
            ct_rule("s:\n  eventName: x\ntimeframe: 5m\ncondition: s"),
            "timeframe",
        ),
        (
            ct_rule("s:\n  eventName|re|x: a\ncondition: s"),
            "unknown modifier",
        ),
        (
            ct_rule("s:\n  eventName|re: '(unclosed'\ncondition: s"),
            "invalid regular expression",
        ),
        (
            ct_rule("s:\n  eventName|base64: 'a*'\ncondition: s"),
            "without wildcards",
        ),
        (
            ct_rule("s:\n  eventName|exists: maybe\ncondition: s"),
            "`exists` takes",
        ),
        (
            ct_rule("s:\n  eventName|gt: many\ncondition: s"),
            "takes a number",
        ),
        (
            ct_rule("s:\n  eventName|re|contains: a\ncondition: s"),
            "cannot be combined",
        ),
        (
            ct_rule("s:\n  eventName:\n    nested: map\ncondition: s"),
            "dotted path",
        ),
        (ct_rule("s:\n  eventName: x"), "missing `condition`"),
        (
            rule_text("security", "s:\n  EventID: 4625\ncondition: s"),
            "unsupported logsource service",
        ),
    ];
    for (text, needle) in cases {
        let e = errors_of(&text);
        assert!(
            !e.is_empty() && e.iter().any(|m| m.contains(needle)),
            "{needle}: {e:#?}"
        );
    }
    let windows = "title: t\nid: x\nlogsource:\n  product: windows\n  service: security\ndetection:\n  s:\n    a: 1\n  condition: s\n";
    let e = errors_of(windows);
    assert!(
        e[0].starts_with("bad.yml:4: logsource: unsupported logsource product `windows`"),
        "{e:?}"
    );
}

#[test]
fn yaml_syntax_errors_name_their_line() {
    let text = "title: ok\nid: a\n---\ntitle: broken\ndetection:\n  s: [unclosed\n  condition: s\n";
    let (docs, errors) = parse_rules("y.yml", text);
    assert!(docs.is_empty());
    // The first document has no detection; the second does not parse.
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].line, 1);
    assert_eq!(errors[1].construct, "yaml");
    assert_eq!(
        errors[1].to_string(),
        "y.yml:7: yaml: did not find expected ',' or ']' at line 7 column 12, \
         while parsing a flow sequence at line 6 column 6"
    );
}

#[test]
fn correlations_parse_counts_and_reject_what_is_unsupported() {
    let ok = r#"title: Secrets read burst
id: 55555555-5555-4555-8555-555555555555
correlation:
  type: value_count
  rules: [aaaaaaaa-0000-4000-8000-000000000000]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition:
    field: requestParameters.secretId
    gte: 10
    lt: 1000
  generate: true
tripline:
  dedup_window: 6h
"#;
    let (docs, errors) = parse_rules("c.yml", ok);
    assert!(errors.is_empty(), "{errors:#?}");
    let RuleDoc::Correlation(c) = &docs[0] else {
        panic!()
    };
    assert_eq!(c.spec.kind, CorrelationKind::ValueCount);
    assert_eq!(
        c.spec.value_field.as_deref(),
        Some("requestParameters.secretId")
    );
    assert_eq!(c.spec.condition, vec![(CmpOp::Gte, 10), (CmpOp::Lt, 1000)]);
    assert!(c.spec.generate);
    assert_eq!(c.tripline.dedup_window, Timespan::minutes(360));
    assert_eq!(c.spec.lateness_us, 300_000_000, "default lateness");
    // The referenced rule is not loaded.
    let unresolved = resolve(&docs);
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0].line, 5);
    assert!(unresolved[0].message.contains("unknown rule"));

    let bad = |body: &str| {
        errors_of(&format!(
            "title: c\nid: c1\ncorrelation:\n{}",
            body.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ))
    };
    let e = bad("type: event_count\nrules: [a]\ntimespan: 10 minutes\ncondition: {gte: 3}");
    assert!(
        e[0].starts_with("bad.yml:6: timespan: `10 minutes` is not a timespan"),
        "{e:?}"
    );
    let e = bad("type: value_sum\nrules: [a]\ntimespan: 1h\ncondition: {gt: 3, field: x}");
    assert!(
        e[0].contains("unsupported correlation type `value_sum`"),
        "{e:?}"
    );
    let e = bad("type: temporal\nrules: [a, b]\ntimespan: 1h\naliases:\n  ip:\n    a: x");
    assert!(e[0].starts_with("bad.yml:7: aliases: unsupported"), "{e:?}");
    let e = bad("type: value_count\nrules: [a]\ntimespan: 1h\ncondition: {gte: 3}");
    assert!(e[0].contains("needs `field:`"), "{e:?}");
    let e = bad("type: event_count\nrules: [a]\ntimespan: 1h");
    assert!(e[0].contains("condition: missing"), "{e:?}");
    let e = bad("type: event_count\nrules: [a]\ntimespan: 1h\ncondition: {gte: -1}");
    assert!(e[0].contains("whole number"), "{e:?}");
}

#[test]
fn tripline_extension_defaults_and_checks() {
    let lambda = rule_text("lambda", "s:\n  path|contains: '../'\ncondition: s");
    let (docs, errors) = parse_rules("l.yml", &lambda);
    assert!(errors.is_empty(), "{errors:#?}");
    let RuleDoc::Detection(d) = &docs[0] else {
        panic!()
    };
    assert_eq!(d.tripline.group_by, vec!["function_name"]);
    assert_eq!(d.tripline.dedup_window, Timespan::minutes(60));
    assert!(d.generate);

    let custom = format!(
        "{}tripline:\n  group_by: [sourceIPAddress, eventName]\n  dedup_window: 15m\n",
        ct_rule("s:\n  eventName: x\ncondition: s")
    );
    let (docs, errors) = parse_rules("c.yml", &custom);
    assert!(errors.is_empty(), "{errors:#?}");
    let RuleDoc::Detection(d) = &docs[0] else {
        panic!()
    };
    assert_eq!(d.tripline.group_by, vec!["sourceIPAddress", "eventName"]);
    assert_eq!(d.tripline.dedup_window, Timespan::minutes(15));

    let typo = format!(
        "{}tripline:\n  group_by: [userIdentity.arn]\n  dedup: 15m\n",
        ct_rule("s:\n  eventName: x\ncondition: s")
    );
    let e = errors_of(&typo);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.yml:13: tripline: unknown field `dedup`"),
        "{e:?}"
    );

    let bad_field = format!(
        "{}tripline:\n  group_by: [sourceIp]\n",
        ct_rule("s:\n  eventName: x\ncondition: s")
    );
    let e = errors_of(&bad_field);
    assert!(
        e[0].starts_with("bad.yml:12: field `sourceIp`: unknown field in `tripline.group_by`"),
        "{e:?}"
    );
}

#[test]
fn rule_tests_are_parsed_and_checked() {
    let text = format!(
        "{}tests:\n  - name: fires\n    match: true\n    event: {{eventName: CreateUser, eventSource: iam.amazonaws.com}}\n  - name: both\n    match: false\n    event: {{a: 1}}\n    events: [{{a: 2}}]\n  - name: scalar\n    match: false\n    event: 3\n  - name: typo\n    matches: false\n    event: {{a: 1}}\n",
        ct_rule("s:\n  eventName: CreateUser\ncondition: s")
    );
    let e = errors_of(&text);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(
        e[0].starts_with("bad.yml:15: test 2: give `event` or `events`"),
        "{e:?}"
    );
    assert!(e[1].starts_with("bad.yml:19: test 3:"), "{e:?}");
    assert!(
        e[2].starts_with("bad.yml:22: test 4:") && e[2].contains("matches"),
        "{e:?}"
    );

    let good = format!(
        "{}tests:\n  - name: fires\n    match: true\n    event: {{eventName: CreateUser, n: 5, ok: true}}\n",
        ct_rule("s:\n  eventName: CreateUser\ncondition: s")
    );
    let (docs, errors) = parse_rules("t.yml", &good);
    assert!(errors.is_empty(), "{errors:?}");
    let t = &docs[0].tests()[0];
    assert_eq!(t.name, "fires");
    assert!(t.expect_match);
    assert_eq!(
        t.events[0],
        json!({"eventName": "CreateUser", "n": 5, "ok": true})
    );
    assert_eq!(t.findings, None);
    assert_eq!(t.line, 12);
}

#[test]
fn whole_set_checks_find_duplicates_and_bad_group_by() {
    let base = |id: &str, name: &str| {
        format!(
            "title: base\nid: {id}\nname: {name}\nlogsource:\n  product: aws\n  service: lambda\ndetection:\n  s:\n    path: /x\n  condition: s\n"
        )
    };
    let text = format!(
        "{}---\n{}---\ntitle: corr\nid: c1\ncorrelation:\n  type: event_count\n  rules: [one]\n  group-by: [userIdentity.arn]\n  timespan: 5m\n  condition: {{gte: 5}}\n",
        base("same-id", "one"),
        base("same-id", "two")
    );
    let (docs, errors) = parse_rules("set.yml", &text);
    assert!(errors.is_empty(), "{errors:#?}");
    let e: Vec<String> = resolve(&docs).iter().map(ToString::to_string).collect();
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].starts_with("set.yml:12: id: duplicate rule id `same-id` (first at set.yml:1)"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("set.yml:28: field `userIdentity.arn`: unknown field for rule `one`"),
        "{e:?}"
    );
    assert!(lint_text("set.yml", &text).is_empty());
}

#[test]
fn directories_load_across_files_and_check_the_set() {
    use crate::sigma::{lint_dir, load_dir};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("cloudtrail/iam")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let base = "title: base\nid: b-1\nname: base_rule\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  s:\n    eventName: CreateUser\n  condition: s\n";
    std::fs::write(root.join("cloudtrail/iam/base.yml"), base).unwrap();
    let corr = |id: &str, rule: &str| {
        format!("title: {id}\nid: {id}\ncorrelation:\n  type: event_count\n  rules: [{rule}]\n  group-by: [userIdentity.arn]\n  timespan: 5m\n  condition: {{gte: 3}}\n")
    };
    std::fs::write(root.join("burst.yml"), corr("c-burst", "base_rule")).unwrap();
    // Two correlations that refer to each other.
    std::fs::write(
        root.join("loop.yaml"),
        format!("{}---\n{}", corr("c-a", "c-b"), corr("c-b", "c-a")),
    )
    .unwrap();
    std::fs::write(
        root.join("bad.yml"),
        ct_rule("s:\n  eventName|nope: x\ncondition: s"),
    )
    .unwrap();
    std::fs::write(root.join("README.md"), "not a rule").unwrap();
    std::fs::write(root.join(".git/x.yml"), "garbage: [").unwrap();

    let (docs, errors) = load_dir(root);
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(docs.len(), 4, "{rendered:#?}");
    assert_eq!(errors.len(), 3, "{rendered:#?}");
    assert!(
        rendered[0].contains("bad.yml:8: modifier `nope`"),
        "{rendered:?}"
    );
    assert!(
        rendered[1].contains("loop.yaml:1: correlation: `c-a` refers back to itself"),
        "{rendered:?}"
    );
    assert!(
        rendered[2].contains("loop.yaml:10: correlation: `c-b` refers back to itself"),
        "{rendered:?}"
    );
    let base = docs.iter().find(|d| d.info().id == "b-1").unwrap();
    assert!(
        matches!(base, RuleDoc::Detection(d) if !d.generate),
        "used by c-burst only"
    );
    assert_eq!(lint_dir(root), errors);

    let missing = lint_dir(&root.join("nope"));
    assert_eq!(missing.len(), 1);
    assert!(missing[0]
        .message
        .contains("cannot read the rules directory"));
}
