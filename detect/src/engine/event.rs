//! Reading one event out of a batch when a rule matched it: its time and id, the
//! actor/target/place ([`EventContext`]) and the row as JSON for evidence.
//!
//! Only matching rows are read this way; the per-batch column lookups are done once in
//! [`EventReader::new`].

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use serde_json::{Map, Value};
use tripline_ingest::Table;

use crate::model::{EventContext, Evidence};

/// Bound on the characters of one evidence string (payloads can be large).
const MAX_EVIDENCE_STRING: usize = 4096;
/// The column index standing for the evidence key `table`, which is not a column.
const TABLE_KEY: usize = usize::MAX;
/// Bound on resources listed per event.
const MAX_RESOURCES: usize = 10;

/// Columns of one batch, looked up once.
pub struct EventReader<'a> {
    table: Table,
    batch: &'a RecordBatch,
    time: Option<&'a arrow::array::PrimitiveArray<TimestampMicrosecondType>>,
    /// The batch's text columns by name.
    text: HashMap<&'a str, &'a StringArray>,
    /// Evidence keys in the order of a `serde_json::Map` (sorted), with their column
    /// index: every column but `table`, and `table` itself at [`TABLE_KEY`] (the
    /// table's name, not a column).
    sorted: Vec<(&'a str, usize)>,
}

impl<'a> EventReader<'a> {
    /// A reader over `batch`, which has `table`'s schema.
    pub fn new(table: Table, batch: &'a RecordBatch) -> Self {
        let time = batch
            .column_by_name(table.time_column())
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
        let schema: &'a arrow::datatypes::Schema = batch.schema_ref();
        let text = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .filter_map(|(f, c)| Some((f.name().as_str(), c.as_string_opt::<i32>()?)))
            .collect();
        let mut sorted: Vec<(&'a str, usize)> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().as_str(), i))
            .filter(|(name, _)| *name != "table")
            .chain([("table", TABLE_KEY)])
            .collect();
        sorted.sort_by_key(|(name, _)| *name);
        EventReader {
            table,
            batch,
            time,
            text,
            sorted,
        }
    }

    /// The string value of `column` at `row` (None when null or absent).
    pub fn str(&self, column: &str, row: usize) -> Option<&'a str> {
        let a = self.text.get(column)?;
        (!a.is_null(row)).then(|| a.value(row))
    }

    fn owned(&self, column: &str, row: usize) -> Option<String> {
        self.str(column, row).map(str::to_string)
    }

    /// Event time in µs (0 when the batch has no time column, which ingest forbids).
    pub fn time_us(&self, row: usize) -> i64 {
        self.time.map_or(0, |t| t.value(row))
    }

    /// The id findings cite: `eventID`, the Lambda request id, else the trigger's,
    /// else the source position (always present).
    pub fn event_uid(&self, row: usize) -> String {
        self.event_uid_ref(row).to_string()
    }

    /// [`Self::event_uid`], borrowed from the batch.
    pub fn event_uid_ref(&self, row: usize) -> &'a str {
        let candidates: &[&str] = match self.table {
            Table::CloudTrail => &["event_id", "request_id"],
            Table::Invocations => &["request_id", "trigger_request_id"],
            Table::LambdaRuntime => &["request_id"],
        };
        candidates
            .iter()
            .find_map(|c| self.str(c, row).filter(|s| !s.is_empty()))
            .or_else(|| self.str("source", row))
            .unwrap_or_default()
    }

    /// Actor, target and place of the event at `row`.
    pub fn context(&self, row: usize) -> EventContext {
        self.context_with(row, true)
    }

    /// Like [`Self::context`]; without `resources` the JSON columns are not parsed
    /// (no function or resources), for hits beyond the few a finding keeps whole.
    pub fn context_with(&self, row: usize, resources_too: bool) -> EventContext {
        match self.table {
            Table::CloudTrail => {
                // Parsed once, for the function name and the resources.
                let params: Option<Value> = self
                    .str("request_parameters", row)
                    .filter(|_| resources_too)
                    .and_then(|p| serde_json::from_str(p).ok());
                EventContext {
                    account: self.owned("account_id", row),
                    region: self.owned("aws_region", row),
                    principal: self.owned("principal_arn", row),
                    principal_type: self.owned("principal_type", row),
                    session_issuer: self.owned("session_issuer_arn", row),
                    access_key: self.owned("access_key_id", row),
                    source_ip: self.owned("source_ip", row),
                    user_agent: self.owned("user_agent", row),
                    function: params
                        .as_ref()
                        .and_then(|p| p.get("functionName"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    service: self.owned("event_source", row),
                    operation: self.owned("event_name", row),
                    resources: if resources_too {
                        resources(self.str("resources", row), params.as_ref())
                    } else {
                        Vec::new()
                    },
                }
            }
            Table::Invocations => {
                let op = match (self.str("http_method", row), self.str("path", row)) {
                    (Some(m), Some(p)) => Some(format!("{m} {p}")),
                    (None, Some(p)) => Some(p.to_string()),
                    (m, None) => m.map(str::to_string),
                };
                EventContext {
                    account: self.owned("account_id", row),
                    region: self.owned("region", row),
                    principal: self.owned("auth_principal", row),
                    source_ip: self.owned("source_ip", row),
                    user_agent: self.owned("user_agent", row),
                    function: self.owned("function_name", row),
                    service: self.owned("trigger", row),
                    operation: op,
                    ..Default::default()
                }
            }
            Table::LambdaRuntime => EventContext {
                function: self.owned("function_name", row),
                operation: self.owned("kind", row),
                ..Default::default()
            },
        }
    }

    /// [`Self::evidence`] as JSON text, for hits that may never be shown: the text is
    /// written straight from the columns (JSON-text columns are checked, not parsed),
    /// and parses to the same document as [`Self::evidence`].
    pub fn evidence_text(&self, row: usize) -> Evidence {
        use std::io::Write as _;
        // Bytes, made a `String` once at the end: every piece pushed is UTF-8.
        let mut text: Vec<u8> = Vec::with_capacity(2048);
        text.push(b'{');
        let mut first = true;
        let mut key = |text: &mut Vec<u8>, name: &str| {
            if !std::mem::take(&mut first) {
                text.push(b',');
            }
            push_json_str(text, name);
            text.push(b':');
        };
        for &(name, i) in &self.sorted {
            if i == TABLE_KEY {
                key(&mut text, name);
                push_json_str(&mut text, self.table.name());
                continue;
            }
            let col = self.batch.column(i);
            if col.is_null(row) {
                continue;
            }
            match col.data_type() {
                DataType::Utf8 => {
                    let s = col.as_string::<i32>().value(row);
                    key(&mut text, name);
                    if is_json_column(name) && is_json(s) {
                        text.extend_from_slice(s.trim().as_bytes());
                    } else if s.len() <= MAX_EVIDENCE_STRING {
                        push_json_str(&mut text, s);
                    } else {
                        push_json_str(&mut text, &cut(s));
                    }
                }
                DataType::Boolean => {
                    key(&mut text, name);
                    text.extend_from_slice(if col.as_boolean().value(row) {
                        b"true"
                    } else {
                        b"false"
                    });
                }
                DataType::Int64 => {
                    key(&mut text, name);
                    let v = col.as_primitive::<arrow::datatypes::Int64Type>().value(row);
                    let _ = write!(text, "{v}");
                }
                DataType::Int32 => {
                    key(&mut text, name);
                    let v = col.as_primitive::<arrow::datatypes::Int32Type>().value(row);
                    let _ = write!(text, "{v}");
                }
                DataType::Float64 => {
                    key(&mut text, name);
                    let f = col
                        .as_primitive::<arrow::datatypes::Float64Type>()
                        .value(row);
                    let _ = write!(text, "{}", Value::from(f));
                }
                DataType::Timestamp(_, _) => {
                    key(&mut text, name);
                    let us = col.as_primitive::<TimestampMicrosecondType>().value(row);
                    push_json_str(&mut text, &crate::finding::text::rfc3339(us));
                }
                _ => continue,
            }
        }
        text.push(b'}');
        Evidence::from_json_text(String::from_utf8(text).unwrap_or_default())
    }

    /// The row as a JSON object: every non-null column, JSON-text columns parsed,
    /// long strings cut. Secrets were redacted at ingest.
    pub fn evidence(&self, row: usize) -> Value {
        let mut obj = Map::new();
        obj.insert("table".into(), Value::from(self.table.name()));
        for (field, col) in self
            .batch
            .schema()
            .fields()
            .iter()
            .zip(self.batch.columns())
        {
            if col.is_null(row) {
                continue;
            }
            let name = field.name();
            let v = match col.data_type() {
                DataType::Utf8 => {
                    let s = col.as_string::<i32>().value(row);
                    if is_json_column(name) {
                        serde_json::from_str(s).unwrap_or_else(|_| Value::from(cut(s)))
                    } else {
                        Value::from(cut(s))
                    }
                }
                DataType::Boolean => Value::from(col.as_boolean().value(row)),
                DataType::Int64 => {
                    Value::from(col.as_primitive::<arrow::datatypes::Int64Type>().value(row))
                }
                DataType::Int32 => {
                    Value::from(col.as_primitive::<arrow::datatypes::Int32Type>().value(row))
                }
                DataType::Float64 => Value::from(
                    col.as_primitive::<arrow::datatypes::Float64Type>()
                        .value(row),
                ),
                DataType::Timestamp(_, _) => {
                    let us = col.as_primitive::<TimestampMicrosecondType>().value(row);
                    Value::from(crate::finding::text::rfc3339(us))
                }
                _ => continue,
            };
            obj.insert(name.clone(), v);
        }
        Value::Object(obj)
    }
}

/// `s` as a JSON string literal. Most values (ids, ARNs, names) need no escape: one
/// vectorisable pass finds that out and the bytes are copied as they are; the rest go
/// through serde_json's escaper, whose byte-at-a-time table lookups were the larger
/// part of building evidence.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20 && b != b'"' && b != b'\\'));
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing into a `Vec` cannot fail.
    let _ = serde::Serializer::serialize_str(&mut serde_json::Serializer::new(out), s);
}

/// True when `s` is one whole JSON value (checked by skipping, without building it).
fn is_json(s: &str) -> bool {
    let mut j = jiter::Jiter::new(s.as_bytes());
    j.next_skip().and_then(|_| j.finish()).is_ok()
}

/// Columns that hold JSON text.
fn is_json_column(name: &str) -> bool {
    matches!(
        name,
        "request_parameters"
            | "response_elements"
            | "resources"
            | "additional_event_data"
            | "user_identity"
            | "headers"
            | "payload"
    )
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_EVIDENCE_STRING {
        return s.to_string();
    }
    let mut end = MAX_EVIDENCE_STRING;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// ARNs from CloudTrail `resources`, else well-known name fields of the request.
fn resources(resources: Option<&str>, params: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = resources.and_then(|r| serde_json::from_str(r).ok()) {
        out.extend(
            items
                .iter()
                .filter_map(|i| i.get("ARN").or_else(|| i.get("arn")))
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    if out.is_empty() {
        if let Some(Value::Object(p)) = params {
            const NAMES: [&str; 12] = [
                "functionName",
                "roleName",
                "userName",
                "policyArn",
                "bucketName",
                "name",
                "secretId",
                "logGroupName",
                "trailName",
                "detectorId",
                "groupName",
                "instanceId",
            ];
            out.extend(
                NAMES
                    .iter()
                    .filter_map(|k| p.get(*k))
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
        }
    }
    out.truncate(MAX_RESOURCES);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain arn:aws:iam::1:role/x",
            "quote \" in",
            "back\\slash",
            "tab\t",
            "\u{1}",
            "é ü 日本",
            "\u{7f}",
        ] {
            let mut out = Vec::new();
            super::push_json_str(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    use tripline_ingest::stream::parse_records;

    use super::*;

    /// The text form written for buffered hits parses to the same document as the
    /// evidence built directly, for CloudTrail and invocation rows (a JSON body and a
    /// body that only looks like JSON).
    #[test]
    fn evidence_text_is_the_same_document() {
        let lines = [
            r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a\"b","accountId":"111122223333"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2 \u00e9","requestParameters":{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","n":[1,2.5,{"x":null}]},"responseElements":null,"eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#,
            r#"{"resource":"/p","path":"/p","httpMethod":"POST","headers":{"User-Agent":"curl"},"requestContext":{"requestId":"r-1","accountId":"111122223333","stage":"prod","requestTimeEpoch":1714557600000,"identity":{"sourceIp":"198.51.100.1"}},"body":"{not json","isBase64Encoded":false}"#,
            r#"{"resource":"/p","path":"/p","httpMethod":"POST","headers":{},"requestContext":{"requestId":"r-2","accountId":"111122223333","stage":"prod","requestTimeEpoch":1714557600000,"identity":{"sourceIp":"198.51.100.1"}},"body":"{\"q\":\"' OR 1=1\"}","isBase64Encoded":false}"#,
        ];
        // A string over the evidence bound, cut inside a two-byte character.
        let long = format!(
            r#"{{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"x{}","eventID":"e-2"}}"#,
            "é".repeat(3000)
        );
        let lines: Vec<&str> = lines.iter().copied().chain([long.as_str()]).collect();
        let parsed = parse_records("test", lines.iter().map(|l| l.as_bytes()));
        let mut rows = 0;
        for (table, batch) in &parsed.batches {
            let reader = EventReader::new(*table, batch);
            for row in 0..batch.num_rows() {
                let direct = reader.evidence(row);
                assert!(direct.as_object().is_some_and(|o| o.len() > 3), "{direct}");
                assert_eq!(reader.evidence_text(row).to_value(), direct);
                rows += 1;
            }
        }
        assert_eq!(rows, 4, "every line parsed: {:?}", parsed.batches.len());
    }
}
