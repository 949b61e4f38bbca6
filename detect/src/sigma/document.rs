//! Rule files into rule documents: a file is split into its YAML documents (`---`),
//! and each becomes a [`RuleDoc`] — a detection rule or a correlation rule — or
//! errors. One bad document never keeps the others of the file from loading.

use std::sync::Arc;

use yaml_serde::{Mapping, Value};

use super::compile::compile_all;
use super::correlation::{apply_ext, parse_correlation, CorrelationRule};
use super::detection::{parse_detection, Detection};
use super::error::{Locator, SigmaError};
use super::fields;
use super::ruletest::{parse_tests, RuleTest};
use super::tripline::TriplineExt;
use crate::model::{Level, RuleInfo, Service};

/// One document of a rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleDoc {
    /// A rule with a `detection`: evaluated on single events.
    Detection(DetectionRule),
    /// A rule with a `correlation`: counts or orders the hits of other rules.
    Correlation(CorrelationRule),
}

impl RuleDoc {
    /// The rule's metadata.
    pub fn info(&self) -> &Arc<RuleInfo> {
        match self {
            RuleDoc::Detection(d) => &d.info,
            RuleDoc::Correlation(c) => &c.spec.info,
        }
    }

    /// The rule's test cases.
    pub fn tests(&self) -> &[RuleTest] {
        match self {
            RuleDoc::Detection(d) => &d.tests,
            RuleDoc::Correlation(c) => &c.tests,
        }
    }

    /// 1-based line of the document in its file.
    pub fn line(&self) -> usize {
        match self {
            RuleDoc::Detection(d) => d.line,
            RuleDoc::Correlation(c) => c.line,
        }
    }
}

/// A detection rule document.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionRule {
    /// Metadata (`kind` is `rule`; `service` is set).
    pub info: Arc<RuleInfo>,
    /// The `detection` section.
    pub detection: Detection,
    /// `tests:` of the document.
    pub tests: Vec<RuleTest>,
    /// `tripline:` extensions, `group_by` filled with the default when not given.
    pub tripline: TriplineExt,
    /// Whether hits raise findings of their own. True unless a correlation rule of the
    /// same set refers to the rule without `generate: true` (Sigma: rules used by a
    /// correlation are building blocks); see [`apply_generate`].
    pub generate: bool,
    /// 1-based line of the document in its file.
    pub line: usize,
}

/// Parses every rule document of a file. `path` names the file in messages and in
/// [`RuleInfo::path`].
pub fn parse_rules(path: &str, text: &str) -> (Vec<RuleDoc>, Vec<SigmaError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for (doc_text, first_line) in split_documents(text) {
        let loc = Locator::new(path, doc_text, first_line);
        let mut doc_errors = Vec::new();
        if let Some(doc) = parse_document(doc_text, &loc, &mut doc_errors) {
            if doc_errors.is_empty() {
                docs.push(doc);
            }
        }
        errors.extend(doc_errors);
    }
    apply_generate(&mut docs);
    (docs, errors)
}

/// Marks the detection rules that a correlation of `docs` refers to without
/// `generate: true` as not raising findings of their own.
pub fn apply_generate(docs: &mut [RuleDoc]) {
    let quiet: Vec<String> = docs
        .iter()
        .filter_map(|d| match d {
            RuleDoc::Correlation(c) if !c.spec.generate => Some(c.spec.rules.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    for doc in docs.iter_mut() {
        if let RuleDoc::Detection(d) = doc {
            let named = |r: &String| *r == d.info.id || d.info.name.as_ref() == Some(r);
            if quiet.iter().any(named) {
                d.generate = false;
            }
        }
    }
}

/// The YAML documents of a file, with the 1-based line each starts on; documents with
/// no content are left out.
fn split_documents(text: &str) -> Vec<(&str, usize)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            docs.push((&text[start..offset], start_line));
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    docs.push((&text[start..], start_line));
    docs.into_iter()
        .filter(|(d, _)| {
            d.lines().any(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#') && t != "..."
            })
        })
        .collect()
}

fn parse_document(text: &str, loc: &Locator, errors: &mut Vec<SigmaError>) -> Option<RuleDoc> {
    let value: Value = match yaml_serde::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = e.location().map_or(loc.start(), |l| loc.line_at(l.line()));
            errors.push(loc.error(line, "yaml", loc.file_lines(&e.to_string())));
            return None;
        }
    };
    let Value::Mapping(map) = value else {
        errors.push(loc.error(loc.start(), "document", "a rule must be a YAML map"));
        return None;
    };
    if map.get("action").is_some() {
        errors.push(loc.error(
            loc.path(&["action"]),
            "action",
            "unsupported: Sigma 1 rule collections (`action: global`); write one rule per \
             document",
        ));
        return None;
    }
    let is_correlation = map.contains_key("correlation");
    let is_detection = map.contains_key("detection");
    match (is_detection, is_correlation) {
        (true, false) => detection_rule(&map, loc, errors).map(RuleDoc::Detection),
        (false, true) => correlation_rule(&map, loc, errors).map(RuleDoc::Correlation),
        (true, true) => {
            errors.push(loc.error(
                loc.start(),
                "document",
                "has both `detection` and `correlation`: put each in its own document (`---`)",
            ));
            None
        }
        (false, false) => {
            errors.push(loc.error(
                loc.start(),
                "document",
                "has neither `detection` nor `correlation`",
            ));
            None
        }
    }
}

fn detection_rule(
    map: &Mapping,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<DetectionRule> {
    let service = logsource(map, loc, errors);
    let info = rule_info(map, loc, "rule", service, errors);
    let detection = parse_detection(map.get("detection")?, loc, errors);
    let tests = parse_tests(map.get("tests"), loc, errors);
    let mut tripline = match TriplineExt::parse(map.get("tripline"), loc) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            TriplineExt::default()
        }
    };
    let (service, info, detection) = (service?, info?, detection?);
    let table = fields::table_of(service);
    if tripline.group_by.is_empty() {
        tripline.group_by = vec![match service {
            Service::CloudTrail => "userIdentity.arn".to_owned(),
            Service::Lambda => "function_name".to_owned(),
        }];
    }
    for g in &tripline.group_by {
        if fields::resolve(table, g).is_none() {
            let line = loc
                .text_after(loc.path(&["tripline", "group_by"]), g)
                .unwrap_or_else(|| loc.path(&["tripline"]));
            errors.push(loc.error(
                line,
                format!("field `{g}`"),
                format!(
                    "unknown field in `tripline.group_by` (known: {})",
                    fields::known_fields(table)
                ),
            ));
        }
    }
    let rule = DetectionRule {
        info: Arc::new(info),
        detection,
        tests,
        tripline,
        generate: true,
        line: loc.start(),
    };
    // Compiling checks fields, modifiers and values, with their lines.
    if let Err(es) = compile_all(&rule) {
        errors.extend(es);
    }
    Some(rule)
}

fn correlation_rule(
    map: &Mapping,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<CorrelationRule> {
    let info = Arc::new(rule_info(map, loc, "correlation", None, errors)?);
    let tests = parse_tests(map.get("tests"), loc, errors);
    let tripline = match TriplineExt::parse(map.get("tripline"), loc) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            TriplineExt::default()
        }
    };
    if !tripline.group_by.is_empty() {
        errors.push(loc.error(
            loc.path(&["tripline", "group_by"]),
            "tripline",
            "`group_by` applies to detection rules; a correlation groups by `group-by`",
        ));
    }
    let (mut spec, rule_lines, group_by_line) = parse_correlation(map, info, loc, errors)?;
    apply_ext(&mut spec, &tripline);
    Some(CorrelationRule {
        spec,
        tests,
        tripline,
        line: loc.start(),
        rule_lines,
        group_by_line,
    })
}

/// `logsource`: `product: aws` and `service: cloudtrail | lambda`.
fn logsource(map: &Mapping, loc: &Locator, errors: &mut Vec<SigmaError>) -> Option<Service> {
    let line = loc.path(&["logsource"]);
    let Some(Value::Mapping(ls)) = map.get("logsource") else {
        errors.push(loc.error(
            line,
            "logsource",
            "missing: detection rules need `logsource: {product: aws, service: cloudtrail | lambda}`",
        ));
        return None;
    };
    let product = ls.get("product").and_then(Value::as_str);
    let service = ls.get("service").and_then(Value::as_str);
    if product != Some("aws") {
        errors.push(loc.error(
            loc.key_after(line, "product").unwrap_or(line),
            "logsource",
            format!(
                "unsupported logsource product {}: Tripline reads `product: aws`",
                product.map_or("(none)".to_owned(), |p| format!("`{p}`"))
            ),
        ));
        return None;
    }
    match service {
        Some("cloudtrail") => Some(Service::CloudTrail),
        Some("lambda") => Some(Service::Lambda),
        other => {
            errors.push(loc.error(
                loc.key_after(line, "service").unwrap_or(line),
                "logsource",
                format!(
                    "unsupported logsource service {}: use `cloudtrail` or `lambda`",
                    other.map_or("(none)".to_owned(), |s| format!("`{s}`"))
                ),
            ));
            None
        }
    }
}

/// The metadata common to both kinds.
fn rule_info(
    map: &Mapping,
    loc: &Locator,
    kind: &'static str,
    service: Option<Service>,
    errors: &mut Vec<SigmaError>,
) -> Option<RuleInfo> {
    let before = errors.len();
    let text = |key: &str, errors: &mut Vec<SigmaError>| -> Option<String> {
        match map.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                errors.push(loc.error(loc.path(&[key]), key, "must be a string"));
                None
            }
        }
    };
    let list = |key: &str, errors: &mut Vec<SigmaError>| -> Vec<String> {
        match map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => {
                        errors.push(loc.error(loc.path(&[key]), key, "must list strings"));
                        None
                    }
                })
                .collect(),
            Some(_) => {
                errors.push(loc.error(loc.path(&[key]), key, "must be a list of strings"));
                Vec::new()
            }
        }
    };
    let title = text("title", errors);
    if title.is_none() && errors.len() == before {
        errors.push(loc.error(loc.start(), "title", "missing: every rule needs a `title`"));
    }
    let id = text("id", errors);
    let name = text("name", errors);
    let level = match map.get("level") {
        None => Level::Medium,
        Some(v) => match yaml_serde::from_value::<Level>(v.clone()) {
            Ok(l) => l,
            Err(_) => {
                errors.push(loc.error(
                    loc.path(&["level"]),
                    "level",
                    "must be informational, low, medium, high or critical",
                ));
                Level::Medium
            }
        },
    };
    let description = text("description", errors).unwrap_or_default();
    let tags = list("tags", errors);
    let falsepositives = list("falsepositives", errors);
    let Some(id) = id.or_else(|| name.clone()) else {
        errors.push(loc.error(
            loc.start(),
            "id",
            "missing: a rule needs an `id` (or at least a `name`) for findings to cite",
        ));
        return None;
    };
    if errors.len() > before {
        return None;
    }
    Some(RuleInfo {
        id,
        name,
        title: title?,
        description: description.trim_end().to_owned(),
        level,
        tags,
        falsepositives,
        path: loc.file().to_owned(),
        service,
        kind,
    })
}
