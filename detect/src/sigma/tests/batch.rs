//! Conditions over selections, and what rules share through [`BatchFields`].

use super::*;
use crate::error::DetectError;

fn iam(name: &str) -> Value {
    ct(name, "iam.amazonaws.com", json!({}))
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

#[test]
fn repeated_json_documents_share_their_values_and_differing_ones_do_not() {
    // Long enough to be remembered by their text; A and B differ in the matched value
    // only, C in a byte after it.
    let doc = |arn: &str, tail: &str| {
        json!({"requestParameters": {
            "userName": "a-user-with-a-long-enough-name-to-be-worth-hashing",
            "policyArn": arn,
            "tail": tail,
        }})
    };
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let read = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let (a, b, c) = (doc(admin, "x"), doc(read, "x"), doc(admin, "y"));
    let events: Vec<Value> = [&a, &b, &a, &c, &b, &a]
        .iter()
        .map(|extra| ct("AttachUserPolicy", "iam.amazonaws.com", (*extra).clone()))
        .collect();
    assert_eq!(
        ct_matches(
            "selection:\n  requestParameters.policyArn|endswith: /AdministratorAccess\ncondition: selection",
            &events
        ),
        [true, false, true, true, false, true]
    );
}
