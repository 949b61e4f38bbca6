//! Tests of the Sigma engine, on batches built by ingest's own parser from raw events.
//!
//! - `parse`: documents, metadata, correlations, extensions, and error lines.
//! - `cloudtrail`: every value form and modifier on CloudTrail batches.
//! - `batch`: conditions over selections; what rules share through `BatchFields`.
//! - `lambda`: `invocations` fields, payload paths, headers, keywords.
//! - `compat`: every SigmaHQ CloudTrail rule loads, compiles and runs.

mod batch;
mod cloudtrail;
mod compat;
mod lambda;
mod parse;

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::record_batch::RecordBatch;
use serde_json::{json, Value};
use tripline_ingest::error::RecordError;
use tripline_ingest::parse::{json_record, Sink};
use tripline_ingest::{Context, Position, Table, Tables};

use super::{compile, parse_rules, BatchFields, CompiledRule, RuleDoc};

/// Collects what ingest's parser stores.
#[derive(Default)]
struct Collect {
    tables: Tables,
    quarantined: Vec<String>,
}

impl Sink for Collect {
    fn tables(&mut self) -> &mut Tables {
        &mut self.tables
    }
    fn stored(&mut self, _table: Table) {}
    fn quarantined(&mut self, _pos: &Position, _raw: &[u8], reason: &RecordError) {
        self.quarantined.push(reason.to_string());
    }
    fn skipped(&mut self, _reason: &'static str) {}
}

/// A batch of `table` from raw events, through ingest's parser.
fn batch(table: Table, events: &[Value]) -> RecordBatch {
    let mut sink = Collect::default();
    for (i, e) in events.iter().enumerate() {
        let bytes = serde_json::to_vec(e).unwrap();
        let pos = Position {
            source: Arc::from("test"),
            offset: i as u64,
            line: i as u64 + 1,
            index: None,
        };
        json_record(&bytes, &pos, &Context::default(), &mut sink);
    }
    assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
    let b = sink.tables.get_mut(table).finish();
    assert_eq!(b.num_rows(), events.len(), "every event lands in {table:?}");
    b
}

/// A CloudTrail event: `eventName`/`eventSource` and other top-level fields in
/// `extra` (replacing the defaults).
fn ct(name: &str, source: &str, extra: Value) -> Value {
    let mut e = json!({
        "eventVersion": "1.08",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "alice"
        },
        "requestParameters": null,
        "responseElements": null,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "eventCategory": "Management",
        "recipientAccountId": "111122223333",
        "eventID": format!("id-{name}")
    });
    if let (Some(obj), Value::Object(more)) = (e.as_object_mut(), extra) {
        obj.extend(more);
    }
    e
}

/// A CloudTrail rule document with `detection` (indented by the caller's text).
fn ct_rule(detection: &str) -> String {
    rule_text("cloudtrail", detection)
}

fn rule_text(service: &str, detection: &str) -> String {
    let body: String = detection
        .trim_matches('\n')
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    format!(
        "title: test rule\nid: 7d6c1b9e-0000-4000-8000-000000000001\nlogsource:\n  product: aws\n  service: {service}\ndetection:\n{body}level: high\n"
    )
}

/// Parses and compiles one rule document, failing the test on any error.
fn compiled(text: &str) -> CompiledRule {
    let (docs, errors) = parse_rules("test.yml", text);
    assert!(errors.is_empty(), "{errors:#?}");
    match docs.as_slice() {
        [RuleDoc::Detection(d)] => compile(d).unwrap(),
        other => panic!("expected one detection rule, got {other:?}"),
    }
}

/// Which rows of `batch` the rule matches.
fn eval(rule: &CompiledRule, table: Table, batch: &RecordBatch) -> Vec<bool> {
    let mut fields = BatchFields::new(table, batch);
    let hits = rule.eval(&mut fields).unwrap();
    assert_eq!(hits.len(), batch.num_rows());
    assert_eq!(hits.null_count(), 0);
    (0..hits.len()).map(|i| hits.value(i)).collect()
}

/// Which of the CloudTrail `events` the detection matches.
fn ct_matches(detection: &str, events: &[Value]) -> Vec<bool> {
    let rule = compiled(&ct_rule(detection));
    eval(&rule, Table::CloudTrail, &batch(Table::CloudTrail, events))
}

/// The errors of a document, rendered.
fn errors_of(text: &str) -> Vec<String> {
    parse_rules("bad.yml", text)
        .1
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The string values of a column, for assertions.
fn strings(array: &dyn Array) -> Vec<Option<String>> {
    let a = array.as_string::<i32>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_owned()))
        .collect()
}
