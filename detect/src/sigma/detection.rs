//! The `detection` section of a rule, as written: search identifiers (selections) of
//! field conditions, and the condition over them.
//!
//! Every selection is normalised to a disjunction of conjunctions: a map is one
//! alternative of ANDed field conditions, a list of maps is several alternatives, and
//! a list of plain values (keywords) is one alternative with one field-less condition.

use yaml_serde::Value;

use super::condition::{parse_condition, Condition};
use super::error::{Locator, SigmaError};
use super::modifiers::Modifier;

/// A value as written in a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum SigmaValue {
    /// A string (wildcards and escapes still in it).
    Str(String),
    /// A number, with its text as written.
    Num(f64, String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`: the field is absent or null.
    Null,
}

impl SigmaValue {
    /// The value as text (numbers as written, booleans as `true`/`false`).
    pub fn text(&self) -> Option<String> {
        match self {
            SigmaValue::Str(s) => Some(s.clone()),
            SigmaValue::Num(_, t) => Some(t.clone()),
            SigmaValue::Bool(b) => Some(b.to_string()),
            SigmaValue::Null => None,
        }
    }
}

/// One `field|modifiers: values` entry (or a keyword list, with no field).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCond {
    /// The Sigma field name; `None` for keywords (search the whole event).
    pub field: Option<String>,
    /// Modifiers in the order written.
    pub modifiers: Vec<Modifier>,
    /// The values (one or a list).
    pub values: Vec<SigmaValue>,
    /// 1-based line of the entry.
    pub line: usize,
}

impl FieldCond {
    /// True when `m` is among the modifiers.
    pub fn has(&self, m: Modifier) -> bool {
        self.modifiers.contains(&m)
    }
}

/// A search identifier: alternatives (ORed) of field conditions (ANDed).
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The identifier (`selection`, `filter_main_*`).
    pub name: String,
    /// 1-based line of its key.
    pub line: usize,
    /// ORed alternatives, each a list of ANDed conditions.
    pub alternatives: Vec<Vec<FieldCond>>,
}

/// A rule's `detection` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Search identifiers in definition order.
    pub selections: Vec<Selection>,
    /// The condition (a list of conditions is their disjunction).
    pub condition: Condition,
    /// 1-based line of `condition:`.
    pub condition_line: usize,
}

/// Parses a `detection` mapping, pushing every problem to `errors`.
pub(crate) fn parse_detection(
    value: &Value,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<Detection> {
    let det_line = loc.path(&["detection"]);
    let Value::Mapping(map) = value else {
        errors.push(loc.error(
            det_line,
            "detection",
            "must be a map of search identifiers and a `condition`",
        ));
        return None;
    };
    let mut selections = Vec::new();
    let mut names = Vec::new();
    let mut condition = None;
    for (key, v) in map {
        let Some(name) = key.as_str() else {
            errors.push(loc.error(det_line, "detection", "keys must be strings"));
            continue;
        };
        let line = loc.key_after(det_line, name).unwrap_or(det_line);
        match name {
            "condition" => condition = Some((v, line)),
            "timeframe" => errors.push(loc.error(
                line,
                "timeframe",
                "unsupported: Sigma 1 aggregations are obsolete; write a correlation rule \
                 (`correlation:` with `timespan`)",
            )),
            _ => {
                // A selection with errors is still a name the condition may use (its
                // errors are reported; the document is dropped).
                names.push(name.to_owned());
                if let Some(s) = parse_selection(name, v, line, loc, errors) {
                    selections.push(s);
                }
            }
        }
    }
    let Some((cond, condition_line)) = condition else {
        errors.push(loc.error(det_line, "detection", "missing `condition`"));
        return None;
    };
    let texts: Vec<&str> = match cond {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(items) if !items.is_empty() => {
            match items.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                Some(t) => t,
                None => {
                    errors.push(loc.error(
                        condition_line,
                        "condition",
                        "a list of conditions must hold strings",
                    ));
                    return None;
                }
            }
        }
        _ => {
            errors.push(loc.error(
                condition_line,
                "condition",
                "must be a string (or a list of strings, ORed)",
            ));
            return None;
        }
    };
    let mut parsed = Vec::new();
    for text in &texts {
        match parse_condition(text, &names) {
            Ok(c) => parsed.push(c),
            Err(message) => errors.push(loc.error(condition_line, "condition", message)),
        }
    }
    if parsed.len() < texts.len() {
        return None;
    }
    let condition = if parsed.len() == 1 {
        parsed.remove(0)
    } else {
        Condition::Or(parsed)
    };
    Some(Detection {
        selections,
        condition,
        condition_line,
    })
}

fn parse_selection(
    name: &str,
    value: &Value,
    line: usize,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<Selection> {
    let construct = || format!("selection `{name}`");
    let mut cursor = line;
    let alternatives = match value {
        Value::Mapping(map) => vec![parse_map(map, &mut cursor, loc, errors)?],
        Value::Sequence(items) if items.iter().all(|i| matches!(i, Value::Mapping(_))) => {
            let mut alts = Vec::new();
            let mut ok = true;
            for item in items {
                if let Value::Mapping(map) = item {
                    match parse_map(map, &mut cursor, loc, errors) {
                        Some(alt) => alts.push(alt),
                        None => ok = false,
                    }
                }
            }
            if !ok {
                return None;
            }
            if alts.is_empty() {
                errors.push(loc.error(line, construct(), "empty list"));
                return None;
            }
            alts
        }
        Value::Sequence(items) => {
            // Keywords: a list of plain values, searched in the whole event.
            let mut values = Vec::new();
            for item in items {
                match scalar(item) {
                    Ok(v) => values.push(v),
                    Err(m) => {
                        errors.push(loc.error(
                            line,
                            construct(),
                            format!("a list must hold either maps or keywords, not both ({m})"),
                        ));
                        return None;
                    }
                }
            }
            vec![vec![FieldCond {
                field: None,
                modifiers: Vec::new(),
                values,
                line,
            }]]
        }
        _ => {
            errors.push(loc.error(
                line,
                construct(),
                "must be a map of field conditions, a list of such maps, or a list of keywords",
            ));
            return None;
        }
    };
    Some(Selection {
        name: name.to_owned(),
        line,
        alternatives,
    })
}

/// One map of `field|modifiers: value(s)` entries. Entries with errors are kept
/// without what is wrong (an unknown modifier, a bad value), so that compiling the
/// rest still reports its own problems; the document is dropped anyway.
fn parse_map(
    map: &yaml_serde::Mapping,
    cursor: &mut usize,
    loc: &Locator,
    errors: &mut Vec<SigmaError>,
) -> Option<Vec<FieldCond>> {
    let mut conds = Vec::new();
    for (key, value) in map {
        let key = match key {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                errors.push(loc.error(*cursor, "field", "field names must be strings"));
                continue;
            }
        };
        let line = loc.key_after(*cursor, &key).unwrap_or(*cursor);
        *cursor = line;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().trim();
        let mut modifiers = Vec::new();
        let mut after_re = false;
        for m in parts {
            match Modifier::parse(m, after_re) {
                Ok(modifier) => {
                    after_re = modifier.is_regex();
                    modifiers.push(modifier);
                }
                Err(message) => errors.push(loc.error(line, format!("modifier `{m}`"), message)),
            }
        }
        let values = match value {
            Value::Sequence(items) if items.is_empty() => {
                errors.push(loc.error(line, format!("field `{key}`"), "empty list of values"));
                continue;
            }
            Value::Sequence(items) => {
                let mut vs = Vec::new();
                for item in items {
                    match scalar(item) {
                        Ok(v) => vs.push(v),
                        Err(m) => {
                            errors.push(loc.error(line, format!("field `{key}`"), m));
                        }
                    }
                }
                vs
            }
            other => match scalar(other) {
                Ok(v) => vec![v],
                Err(m) => {
                    errors.push(loc.error(line, format!("field `{key}`"), m));
                    continue;
                }
            },
        };
        conds.push(FieldCond {
            field: (!field.is_empty()).then(|| field.to_owned()),
            modifiers,
            values,
            line,
        });
    }
    Some(conds)
}

/// A scalar rule value.
fn scalar(v: &Value) -> Result<SigmaValue, String> {
    Ok(match v {
        Value::String(s) => SigmaValue::Str(s.clone()),
        Value::Number(n) => {
            let text = n.to_string();
            SigmaValue::Num(n.as_f64().unwrap_or(f64::NAN), text)
        }
        Value::Bool(b) => SigmaValue::Bool(*b),
        Value::Null => SigmaValue::Null,
        Value::Sequence(_) => return Err("nested lists are not Sigma values".into()),
        Value::Mapping(_) => {
            return Err(
                "a map is not a Sigma value (to reach a nested field, write its dotted path \
                 as the key)"
                    .into(),
            )
        }
        Value::Tagged(_) => return Err("YAML tags are not Sigma values".into()),
    })
}
