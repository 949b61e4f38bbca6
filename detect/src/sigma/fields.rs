//! Field mapping: Sigma field names → columns of the canonical tables, as data.
//!
//! One YAML file per log source, `detect/mappings/<service>.yml` (chainsaw's mapping
//! files), embedded in the crate and parsed once: `fields` (`from` Sigma field → `to`
//! column), `paths` (a field prefix whose dotted rest walks into a JSON column),
//! `absent` (fields the table does not keep), `keywords` (where a keyword search
//! looks) and the columns' kinds (`low_cardinality`, `json`). CloudTrail rules use
//! CloudTrail's own names, so published SigmaHQ rules load unchanged; Lambda rules
//! use the `invocations` column names plus paths into the payload and headers.
//! Adding a field is adding a line to a file.
//!
//! The files live in the crate (`detect/mappings/`), not under `rules/`: they are the
//! engine's contract with the table schemas (a test checks every column they name
//! exists), they ship with the crate that reads them, and everything under `rules/`
//! is embedded as a rule.

use std::sync::OnceLock;

use serde::Deserialize;
use tripline_ingest::Table;

/// A column of a table, with what the matcher should know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ColumnInfo {
    /// Column name.
    pub(crate) name: &'static str,
    /// Few distinct values per batch (event names, sources, regions): values are
    /// interned once per batch and each test runs once per distinct value.
    pub(crate) low_cardinality: bool,
    /// The column holds JSON text: literal needles are also tried JSON-escaped
    /// (`"` → `\"`), so `requestParameters|contains: '"Allow"'` finds a policy
    /// document held as a JSON string.
    pub(crate) json_text: bool,
}

/// Where a Sigma field's values come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// A column (cast to text when it is not: booleans compare as `true`/`false`).
    Column(ColumnInfo),
    /// A dotted path into a JSON text column; arrays on the way yield every element.
    Json {
        /// The JSON column.
        column: ColumnInfo,
        /// Keys below the column.
        path: Vec<String>,
        /// Keys compare ASCII-case-insensitively (HTTP headers, event payloads).
        any_case: bool,
    },
    /// A field of the log that the table does not keep: never has a value.
    Absent,
}

impl Target {
    /// A key naming the values (same key, same values), for the per-batch cache.
    pub(crate) fn key(&self) -> String {
        match self {
            Target::Column(c) => c.name.to_owned(),
            Target::Json {
                column,
                path,
                any_case,
            } => format!(
                "{}{}{}",
                column.name,
                if *any_case { "~" } else { ":" },
                path.join("\u{1f}")
            ),
            Target::Absent => "\u{0}absent".to_owned(),
        }
    }

    /// Relative cost of reading the values, to order ANDed tests cheapest first.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            Target::Absent => 0,
            Target::Column(c) if c.low_cardinality => 1,
            Target::Column(_) => 4,
            Target::Json { .. } => 40,
        }
    }

    /// True when the values are JSON text (see [`ColumnInfo::json_text`]).
    pub(crate) fn json_text(&self) -> bool {
        matches!(self, Target::Column(c) if c.json_text)
    }
}

/// The mapping files: (path for messages, YAML text).
const FILES: [(&str, &str); 2] = [
    (
        "detect/mappings/cloudtrail.yml",
        include_str!("../../mappings/cloudtrail.yml"),
    ),
    (
        "detect/mappings/lambda.yml",
        include_str!("../../mappings/lambda.yml"),
    ),
];

/// One `from`/`to` line of a mapping file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    /// The Sigma field (or field prefix).
    from: String,
    /// The column.
    to: String,
}

/// A mapping file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    /// The Sigma `logsource.service` its rules name. The code maps services to
    /// tables by type (`table_of`); this names it in the file for readers and a
    /// test checks the two agree.
    #[cfg_attr(not(test), allow(dead_code))]
    service: String,
    /// The table those rules read.
    table: String,
    /// Columns with few distinct values per batch.
    low_cardinality: Vec<String>,
    /// Columns holding JSON text.
    json: Vec<String>,
    /// Field → column.
    fields: Vec<FromTo>,
    /// Field prefix → JSON column the rest of the path goes into.
    paths: Vec<FromTo>,
    /// Whether the keys of those paths compare ASCII-case-insensitively.
    paths_any_case: bool,
    /// Fields the table does not keep (with their sub-paths).
    absent: Vec<String>,
    /// Columns keyword searches look in.
    keywords: Vec<String>,
}

/// The mapping of one table, resolved from its file.
struct Mapping {
    table: Table,
    fields: Vec<(&'static str, ColumnInfo)>,
    paths: Vec<(&'static str, ColumnInfo)>,
    paths_any_case: bool,
    absent: Vec<&'static str>,
    keywords: Vec<ColumnInfo>,
}

/// Parses one mapping file.
fn parse_file(text: &str) -> Result<MappingFile, String> {
    yaml_serde::from_str(text).map_err(|e| e.to_string())
}

/// Resolves a parsed file: names its table and gives each column its kind.
fn resolve_file(file: &'static MappingFile) -> Result<Mapping, String> {
    let table = Table::ALL
        .into_iter()
        .find(|t| t.name() == file.table)
        .ok_or_else(|| format!("unknown table {:?}", file.table))?;
    let column = |name: &'static String| ColumnInfo {
        name: name.as_str(),
        low_cardinality: file.low_cardinality.contains(name),
        json_text: file.json.contains(name),
    };
    let pairs = |lines: &'static [FromTo]| {
        lines
            .iter()
            .map(|l| (l.from.as_str(), column(&l.to)))
            .collect()
    };
    Ok(Mapping {
        table,
        fields: pairs(&file.fields),
        paths: pairs(&file.paths),
        paths_any_case: file.paths_any_case,
        absent: file.absent.iter().map(String::as_str).collect(),
        keywords: file.keywords.iter().map(column).collect(),
    })
}

/// Every mapping, parsed on first use.
fn mappings() -> &'static [Mapping] {
    // The parsed files live as long as the program, so the mappings borrow names
    // from them instead of copying each into a `'static` string.
    static FILES_PARSED: OnceLock<Vec<MappingFile>> = OnceLock::new();
    static MAPPINGS: OnceLock<Vec<Mapping>> = OnceLock::new();
    MAPPINGS.get_or_init(|| {
        let files = FILES_PARSED.get_or_init(|| {
            FILES
                .iter()
                // The files are compiled in and parsed by a test
                // (`every_mapping_file_parses_and_names_real_columns`): a failure here
                // is a bug in the build, not something a user can cause.
                .map(|(path, text)| parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}")))
                .collect()
        });
        files
            .iter()
            .zip(FILES)
            .map(|(file, (path, _))| resolve_file(file).unwrap_or_else(|e| panic!("{path}: {e}")))
            .collect()
    })
}

fn mapping(table: Table) -> Option<&'static Mapping> {
    mappings().iter().find(|m| m.table == table)
}

/// Resolves a Sigma field name for rules on `table`; `None` when it has no mapping.
pub(crate) fn resolve(table: Table, field: &str) -> Option<Target> {
    let m = mapping(table)?;
    if let Some((_, c)) = m.fields.iter().find(|(f, _)| *f == field) {
        return Some(Target::Column(*c));
    }
    for (prefix, column) in &m.paths {
        if let Some(rest) = field.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            let path: Vec<String> = rest
                .split('.')
                .map(|k| {
                    if m.paths_any_case {
                        k.to_ascii_lowercase()
                    } else {
                        k.to_owned()
                    }
                })
                .collect();
            if path.iter().any(String::is_empty) {
                return None;
            }
            return Some(Target::Json {
                column: *column,
                path,
                any_case: m.paths_any_case,
            });
        }
    }
    let absent = m.absent.iter().any(|a| {
        field == *a
            || field
                .strip_prefix(a)
                .is_some_and(|rest| rest.starts_with('.'))
    });
    absent.then_some(Target::Absent)
}

/// The columns a keyword search looks in, for rules on `table`.
pub(crate) fn keyword_columns(table: Table) -> &'static [ColumnInfo] {
    mapping(table).map_or(&[], |m| m.keywords.as_slice())
}

/// The field names of `table` a rule may use, for "unknown field" messages.
pub(crate) fn known_fields(table: Table) -> String {
    let Some(m) = mapping(table) else {
        return String::new();
    };
    let mut names: Vec<String> = m.fields.iter().map(|(f, _)| (*f).to_owned()).collect();
    names.extend(m.paths.iter().map(|(p, _)| format!("{p}.<path>")));
    names.dedup();
    names.join(", ")
}

/// The table a rule of `service` reads.
pub(crate) fn table_of(service: crate::model::Service) -> Table {
    match service {
        crate::model::Service::CloudTrail => Table::CloudTrail,
        crate::model::Service::Lambda => Table::Invocations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_names_map_to_columns_and_paths() {
        let t = Table::CloudTrail;
        assert!(matches!(
            resolve(t, "eventName"),
            Some(Target::Column(c)) if c.name == "event_name" && c.low_cardinality && !c.json_text
        ));
        assert!(matches!(
            resolve(t, "userIdentity.arn"),
            Some(Target::Column(c)) if c.name == "principal_arn"
        ));
        assert!(matches!(
            resolve(t, "userIdentity.sessionContext.sessionIssuer.type"),
            Some(Target::Json { column, path, .. })
                if column.name == "user_identity" && path == ["sessionContext", "sessionIssuer", "type"]
        ));
        assert!(matches!(
            resolve(t, "requestParameters"),
            Some(Target::Column(c)) if c.json_text
        ));
        assert_eq!(resolve(t, "tlsDetails.tlsVersion"), Some(Target::Absent));
        assert_eq!(resolve(t, "requestParametersX"), None);
        assert_eq!(resolve(t, "requestParameters..a"), None);
        assert_eq!(resolve(t, "function_name"), None);
    }

    #[test]
    fn every_mapping_file_parses_and_names_real_columns() {
        for (path, text) in FILES {
            let file = parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let table = Table::ALL
                .into_iter()
                .find(|t| t.name() == file.table)
                .unwrap_or_else(|| panic!("{path}: no table {}", file.table));
            let schema = table.schema();
            let columns = file
                .fields
                .iter()
                .chain(&file.paths)
                .map(|l| &l.to)
                .chain(&file.keywords)
                .chain(&file.low_cardinality)
                .chain(&file.json);
            for c in columns {
                assert!(
                    schema.column_with_name(c).is_some(),
                    "{path}: {c} is not a column of {}",
                    table.name()
                );
            }
            for l in &file.paths {
                assert!(file.json.contains(&l.to), "{path}: {} holds no JSON", l.to);
            }
        }
        // Each service's rules read the table its file maps.
        for service in [
            crate::model::Service::CloudTrail,
            crate::model::Service::Lambda,
        ] {
            let table = table_of(service);
            let file = FILES
                .iter()
                .map(|(path, text)| parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}")))
                .find(|f| f.table == table.name())
                .expect("every rule table has a mapping");
            assert_eq!(
                serde_json::to_value(service).expect("serialises"),
                file.service.as_str(),
                "{}",
                table.name()
            );
        }
    }

    #[test]
    fn lambda_paths_ignore_case() {
        assert!(matches!(
            resolve(Table::Invocations, "headers.X-Forwarded-For"),
            Some(Target::Json { path, any_case: true, .. }) if path == ["x-forwarded-for"]
        ));
        assert_eq!(resolve(Table::LambdaRuntime, "kind"), None);
    }
}
