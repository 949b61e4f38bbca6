//! Sigma correlation rules (`correlation:` with `type`, `rules`, `group-by`,
//! `timespan`, `condition`), per the Sigma correlation specification, into the
//! [`CorrelationSpec`] the correlator runs.

use std::sync::Arc;

use yaml_serde::{Mapping, Value};

use super::error::{Locator, SigmaError};
use super::ruletest::RuleTest;
use super::tripline::{Timespan, TriplineExt};
use crate::model::{CmpOp, CorrelationKind, CorrelationSpec, RuleInfo};

/// A correlation rule document.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    /// What the correlator needs.
    pub spec: CorrelationSpec,
    /// `tests:` of the document.
    pub tests: Vec<RuleTest>,
    /// `tripline:` extensions (window, lateness, dedup window; `group_by` is empty:
    /// correlations group by `group-by`).
    pub tripline: TriplineExt,
    /// 1-based line of the document in its file.
    pub line: usize,
    /// 1-based line of each entry of `rules`, for reference errors.
    pub(crate) rule_lines: Vec<usize>,
    /// 1-based line of `group-by` (or of `correlation`).
    pub(crate) group_by_line: usize,
}

const KEYS: [&str; 7] = [
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

/// Parses a correlation document whose metadata is `info`.
pub(crate) fn parse_correlation(
    doc: &Mapping,
    info: Arc<RuleInfo>,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<(CorrelationSpec, Vec<usize>, usize)> {
    let corr_line = loc.path(&["correlation"]);
    let Some(Value::Mapping(c)) = doc.get("correlation") else {
        errors.push(loc.error(corr_line, "correlation", "must be a map"));
        return None;
    };
    let before = errors.len();
    let line_of = |key: &str| loc.key_after(corr_line, key).unwrap_or(corr_line);
    for key in c.keys() {
        let k = key.as_str().unwrap_or_default();
        if k == "aliases" {
            errors.push(loc.error(
                line_of("aliases"),
                "aliases",
                "unsupported: field name aliases; correlate rules that share the group-by \
                 field names",
            ));
        } else if !KEYS.contains(&k) {
            errors.push(loc.error(
                line_of(k),
                format!("correlation `{k}`"),
                format!("unknown key (known: {})", KEYS.join(", ")),
            ));
        }
    }
    let kind = match c.get("type").and_then(Value::as_str) {
        Some("event_count") => Some(CorrelationKind::EventCount),
        Some("value_count") => Some(CorrelationKind::ValueCount),
        Some("temporal") => Some(CorrelationKind::Temporal),
        Some("temporal_ordered") => Some(CorrelationKind::TemporalOrdered),
        Some(t @ ("value_sum" | "value_avg" | "value_percentile")) => {
            errors.push(loc.error(
                line_of("type"),
                "type",
                format!("unsupported correlation type `{t}` (supported: event_count, value_count, temporal, temporal_ordered)"),
            ));
            None
        }
        other => {
            errors.push(loc.error(
                line_of("type"),
                "type",
                format!(
                    "{}: expected event_count, value_count, temporal or temporal_ordered",
                    other.map_or("missing".to_owned(), |t| format!("unknown type `{t}`"))
                ),
            ));
            None
        }
    };
    let rules_line = line_of("rules");
    let (rules, rule_lines) = match c.get("rules") {
        Some(Value::String(s)) => (vec![s.clone()], vec![rules_line]),
        Some(Value::Sequence(items)) if !items.is_empty() => {
            let mut names = Vec::new();
            let mut lines = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) => {
                        names.push(s.to_owned());
                        lines.push(loc.text_after(rules_line, s).unwrap_or(rules_line));
                    }
                    None => {
                        errors.push(loc.error(rules_line, "rules", "must name rules by id or name"))
                    }
                }
            }
            (names, lines)
        }
        _ => {
            errors.push(loc.error(
                rules_line,
                "rules",
                "must list the correlated rules (ids or names)",
            ));
            (Vec::new(), Vec::new())
        }
    };
    let group_by_line = line_of("group-by");
    let group_by = match c.get("group-by") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) => match items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
        {
            Some(g) => g,
            None => {
                errors.push(loc.error(group_by_line, "group-by", "must list field names"));
                Vec::new()
            }
        },
        Some(_) => {
            errors.push(loc.error(group_by_line, "group-by", "must list field names"));
            Vec::new()
        }
    };
    let timespan = match c.get("timespan").and_then(Value::as_str) {
        Some(t) => match Timespan::parse(t) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(loc.error(line_of("timespan"), "timespan", e));
                None
            }
        },
        None => {
            errors.push(loc.error(
                line_of("timespan"),
                "timespan",
                "missing (e.g. `timespan: 10m`)",
            ));
            None
        }
    };
    let (condition, value_field) = parse_condition(
        c.get("condition"),
        kind,
        rules.len(),
        &|k| line_of(k),
        loc,
        errors,
    );
    let generate = match c.get("generate").or_else(|| doc.get("generate")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(loc.error(line_of("generate"), "generate", "must be `true` or `false`"));
            false
        }
    };
    if errors.len() > before {
        return None;
    }
    // Every error above pushed to `errors`; without one, each part was parsed.
    let (kind, timespan) = (kind?, timespan?);
    let spec = CorrelationSpec {
        info,
        kind,
        rules,
        group_by,
        timespan_us: timespan.us,
        condition,
        value_field,
        window: crate::model::WindowMode::Sliding,
        lateness_us: 0,
        generate,
    };
    Some((spec, rule_lines, group_by_line))
}

/// The `condition` map (`gte: 10`, plus `field:` for `value_count`).
fn parse_condition(
    value: Option<&Value>,
    kind: Option<CorrelationKind>,
    rules: usize,
    line_of: &dyn Fn(&str) -> usize,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> (Vec<(CmpOp, u64)>, Option<String>) {
    let line = line_of("condition");
    let temporal = matches!(
        kind,
        Some(CorrelationKind::Temporal | CorrelationKind::TemporalOrdered)
    );
    let Some(value) = value else {
        if temporal {
            // Temporal correlations fire when every referenced rule matched.
            return (vec![(CmpOp::Gte, rules as u64)], None);
        }
        errors.push(loc.error(line, "condition", "missing (e.g. `condition: {gte: 10}`)"));
        return (Vec::new(), None);
    };
    let Value::Mapping(map) = value else {
        errors.push(loc.error(line, "condition", "must be a map such as `{gte: 10}`"));
        return (Vec::new(), None);
    };
    let mut cmps = Vec::new();
    let mut field = None;
    for (k, v) in map {
        let k = k.as_str().unwrap_or_default();
        let op = match k {
            "gt" => CmpOp::Gt,
            "gte" => CmpOp::Gte,
            "lt" => CmpOp::Lt,
            "lte" => CmpOp::Lte,
            "eq" => CmpOp::Eq,
            "neq" => CmpOp::Neq,
            "field" => {
                match v {
                    Value::String(s) => field = Some(s.clone()),
                    _ => errors.push(loc.error(
                        line,
                        "condition",
                        "`field` must be one field name (several fields are not supported)",
                    )),
                }
                continue;
            }
            other => {
                errors.push(loc.error(
                    line,
                    "condition",
                    format!("unknown comparison `{other}` (use gt, gte, lt, lte, eq, neq)"),
                ));
                continue;
            }
        };
        match v.as_u64() {
            Some(n) => cmps.push((op, n)),
            None => {
                errors.push(loc.error(line, "condition", format!("`{k}` takes a whole number ≥ 0")))
            }
        }
    }
    if cmps.is_empty() {
        errors.push(loc.error(line, "condition", "needs a comparison such as `gte: 10`"));
    }
    match (kind, &field) {
        (Some(CorrelationKind::ValueCount), None) => errors.push(loc.error(
            line,
            "condition",
            "`value_count` needs `field:` (the field whose distinct values are counted)",
        )),
        (Some(k), Some(_)) if k != CorrelationKind::ValueCount => {
            errors.push(loc.error(line, "condition", "`field` applies only to `value_count`"))
        }
        _ => {}
    }
    (cmps, field)
}

/// Applies the `tripline:` extension to a parsed spec.
pub(crate) fn apply_ext(spec: &mut CorrelationSpec, ext: &TriplineExt) {
    spec.window = ext.window_mode();
    spec.lateness_us = ext.lateness.us;
}
