//! `tests:` of a rule document (a Tripline extension): raw log events that must, or
//! must not, make the rule fire. Parsed here; run by `tripline rules test`.

use serde::Deserialize;
use yaml_serde::Value;

use super::error::{Locator, SigmaError};

/// One test case of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTest {
    /// What the case shows (`near miss — the CI role does it daily`).
    pub name: String,
    /// `match:` whether the rule must fire on the events (for correlations: raise a
    /// finding).
    pub expect_match: bool,
    /// The events, raw log records exactly as ingest accepts them (a CloudTrail event;
    /// a Lambda event payload or log line object).
    pub events: Vec<serde_json::Value>,
    /// `findings:` the exact number of findings expected, when given.
    pub findings: Option<u64>,
    /// 1-based line of the case in the file, for messages.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    name: String,
    #[serde(rename = "match")]
    expect_match: bool,
    #[serde(default)]
    event: Option<serde_json::Value>,
    #[serde(default)]
    events: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    findings: Option<u64>,
}

/// Parses the `tests:` value of a document (absent: no tests).
pub(crate) fn parse_tests(
    value: Option<&Value>,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Vec<RuleTest> {
    let Some(value) = value else {
        return Vec::new();
    };
    let tests_line = loc.path(&["tests"]);
    let Value::Sequence(items) = value else {
        errors.push(loc.error(
            tests_line,
            "tests",
            "must be a list of {name, match, event | events, findings?}",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = tests_line;
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        let line = if name.is_empty() {
            cursor
        } else {
            loc.text_after(cursor, name).unwrap_or(cursor)
        };
        cursor = line;
        let construct = format!("test {}", i + 1);
        let raw: RawTest = match yaml_serde::from_value(item.clone()) {
            Ok(r) => r,
            Err(e) => {
                errors.push(loc.error(line, construct, e.to_string()));
                continue;
            }
        };
        let events = match (raw.event, raw.events) {
            (Some(e), None) => vec![e],
            (None, Some(es)) if !es.is_empty() => es,
            (None, Some(_)) => {
                errors.push(loc.error(line, construct, "`events` is empty"));
                continue;
            }
            (Some(_), Some(_)) => {
                errors.push(loc.error(line, construct, "give `event` or `events`, not both"));
                continue;
            }
            (None, None) => {
                errors.push(loc.error(line, construct, "missing `event` (or `events`)"));
                continue;
            }
        };
        if let Some(bad) = events.iter().position(|e| !e.is_object()) {
            errors.push(loc.error(
                line,
                construct,
                format!("event {} is not an object (a raw log record)", bad + 1),
            ));
            continue;
        }
        out.push(RuleTest {
            name: raw.name,
            expect_match: raw.expect_match,
            events,
            findings: raw.findings,
            line,
        });
    }
    out
}
