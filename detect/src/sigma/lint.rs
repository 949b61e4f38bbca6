//! Loading and checking a set of rule files: every parse and compile problem of every
//! file, plus what only the whole set can tell — duplicate ids and names, correlations
//! referring to rules that are not loaded, group-by fields the referenced rules'
//! tables do not have.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::document::{apply_generate, parse_rules, RuleDoc};
use super::error::SigmaError;
use super::fields;

/// Every problem in one file's text (parse and compile; references to rules in other
/// files are checked by [`resolve`]).
pub fn lint_text(path: &str, text: &str) -> Vec<SigmaError> {
    parse_rules(path, text).1
}

/// Loads every `*.yml`/`*.yaml` file under `dir` (recursively, in path order): the
/// documents that parsed, and every problem found, including [`resolve`]'s. Rules
/// referred to by correlations without `generate: true` are marked as not raising
/// findings of their own.
pub fn load_dir(dir: &Path) -> (Vec<RuleDoc>, Vec<SigmaError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let files = rule_files(dir).unwrap_or_else(|e| {
        errors.push(SigmaError {
            file: dir.display().to_string(),
            line: 1,
            construct: "directory".into(),
            message: format!("cannot read the rules directory: {e}"),
        });
        Vec::new()
    });
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let (d, e) = parse_rules(&name, &text);
                docs.extend(d);
                errors.extend(e);
            }
            Err(e) => errors.push(SigmaError {
                file: name,
                line: 1,
                construct: "file".into(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    errors.extend(resolve(&docs));
    apply_generate(&mut docs);
    (docs, errors)
}

/// Every problem in the rule files under `dir` ([`load_dir`]'s errors).
pub fn lint_dir(dir: &Path) -> Vec<SigmaError> {
    load_dir(dir).1
}

/// Every `*.yml` / `*.yaml` file under `dir`, recursively, skipping hidden entries, in
/// path order.
pub fn rule_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks a loaded set of rules as a whole: ids and names are unique, every rule a
/// correlation refers to is in the set, and the correlation's `group-by` and counted
/// field exist in the tables of the detection rules it refers to.
pub fn resolve(docs: &[RuleDoc]) -> Vec<SigmaError> {
    let mut errors = Vec::new();
    let mut ids: HashMap<&str, &RuleDoc> = HashMap::new();
    let mut names: HashMap<&str, &RuleDoc> = HashMap::new();
    for doc in docs {
        let info = doc.info();
        let keys = [("id", Some(&info.id)), ("name", info.name.as_ref())];
        for (key, value) in keys {
            let Some(value) = value else { continue };
            let map = if key == "id" { &mut ids } else { &mut names };
            match map.entry(value.as_str()) {
                Entry::Occupied(first) => errors.push(SigmaError {
                    file: info.path.clone(),
                    line: doc.line(),
                    construct: key.into(),
                    message: format!(
                        "duplicate rule {key} `{value}` (first at {}:{})",
                        first.get().info().path,
                        first.get().line()
                    ),
                }),
                Entry::Vacant(slot) => {
                    slot.insert(doc);
                }
            }
        }
    }
    errors.extend(cycles(docs, &ids, &names));
    for doc in docs {
        let RuleDoc::Correlation(c) = doc else {
            continue;
        };
        let file = &c.spec.info.path;
        for (i, r) in c.spec.rules.iter().enumerate() {
            let line = c.rule_lines.get(i).copied().unwrap_or(c.line);
            let target = ids.get(r.as_str()).or_else(|| names.get(r.as_str()));
            let Some(target) = target else {
                errors.push(SigmaError {
                    file: file.clone(),
                    line,
                    construct: format!("rule `{r}`"),
                    message: "unknown rule: no loaded rule has this id or name".into(),
                });
                continue;
            };
            if std::ptr::eq(*target, doc) {
                errors.push(SigmaError {
                    file: file.clone(),
                    line,
                    construct: format!("rule `{r}`"),
                    message: "a correlation cannot refer to itself".into(),
                });
                continue;
            }
            let RuleDoc::Detection(d) = target else {
                continue;
            };
            let Some(service) = d.info.service else {
                continue;
            };
            let table = fields::table_of(service);
            let counted = c.spec.value_field.iter();
            for field in c.spec.group_by.iter().chain(counted) {
                if fields::resolve(table, field).is_none() {
                    errors.push(SigmaError {
                        file: file.clone(),
                        line: c.group_by_line,
                        construct: format!("field `{field}`"),
                        message: format!(
                            "unknown field for rule `{r}` ({} table; known: {})",
                            table.name(),
                            fields::known_fields(table)
                        ),
                    });
                }
            }
        }
    }
    errors
}

/// Correlations that refer back to themselves through other correlations.
fn cycles(
    docs: &[RuleDoc],
    ids: &HashMap<&str, &RuleDoc>,
    names: &HashMap<&str, &RuleDoc>,
) -> Vec<SigmaError> {
    let lookup = |r: &str| ids.get(r).or_else(|| names.get(r)).copied();
    let mut errors = Vec::new();
    for doc in docs {
        let RuleDoc::Correlation(start) = doc else {
            continue;
        };
        // Depth-first over the correlations reachable from `start`.
        let mut stack: Vec<&RuleDoc> = start.spec.rules.iter().filter_map(|r| lookup(r)).collect();
        let mut seen: Vec<*const RuleDoc> = Vec::new();
        while let Some(next) = stack.pop() {
            let RuleDoc::Correlation(c) = next else {
                continue;
            };
            if std::ptr::eq(next, doc) {
                // Referring to itself directly is reported with its reference.
                if !start
                    .spec
                    .rules
                    .iter()
                    .any(|r| lookup(r).is_some_and(|d| std::ptr::eq(d, doc)))
                {
                    errors.push(SigmaError {
                        file: start.spec.info.path.clone(),
                        line: start.line,
                        construct: "correlation".into(),
                        message: format!(
                            "`{}` refers back to itself through other correlations",
                            start.spec.info.id
                        ),
                    });
                }
                break;
            }
            if seen.contains(&(next as *const RuleDoc)) {
                continue;
            }
            seen.push(next);
            stack.extend(c.spec.rules.iter().filter_map(|r| lookup(r)));
        }
    }
    errors
}
