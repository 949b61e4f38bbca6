//! Field mapping: Sigma field names → columns of the canonical tables, as data.
//!
//! CloudTrail rules use CloudTrail's own names (`eventName`, `userIdentity.arn`,
//! `requestParameters.policyDocument`), so published SigmaHQ rules load unchanged;
//! Lambda rules use the `invocations` column names plus dotted paths into the event
//! the function received (`payload.queryStringParameters.q`) and into its headers
//! (`headers.x-forwarded-for`). Every mapping is a row in the tables below; adding a
//! field is adding a row.

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

const fn col(name: &'static str) -> ColumnInfo {
    ColumnInfo {
        name,
        low_cardinality: false,
        json_text: false,
    }
}

const fn low(name: &'static str) -> ColumnInfo {
    ColumnInfo {
        name,
        low_cardinality: true,
        json_text: false,
    }
}

const fn json(name: &'static str) -> ColumnInfo {
    ColumnInfo {
        name,
        low_cardinality: false,
        json_text: true,
    }
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

// ---------------------------------------------------------------------------------
// cloudtrail

/// Columns of `cloudtrail` that rules reach.
const CT_EVENT_NAME: ColumnInfo = low("event_name");
const CT_REQUEST_PARAMETERS: ColumnInfo = json("request_parameters");
const CT_RESPONSE_ELEMENTS: ColumnInfo = json("response_elements");
const CT_ADDITIONAL: ColumnInfo = json("additional_event_data");
const CT_RESOURCES: ColumnInfo = json("resources");
const CT_USER_IDENTITY: ColumnInfo = json("user_identity");

/// CloudTrail field → column.
const CLOUDTRAIL_FIELDS: &[(&str, ColumnInfo)] = &[
    ("eventTime", col("event_time")),
    ("eventName", CT_EVENT_NAME),
    ("eventSource", low("event_source")),
    ("awsRegion", low("aws_region")),
    ("sourceIPAddress", col("source_ip")),
    ("userAgent", col("user_agent")),
    ("errorCode", low("error_code")),
    ("errorMessage", col("error_message")),
    ("eventType", low("event_type")),
    ("eventID", col("event_id")),
    ("requestID", col("request_id")),
    ("readOnly", low("read_only")),
    ("managementEvent", low("management_event")),
    ("eventCategory", low("event_category")),
    ("vpcEndpointId", col("vpc_endpoint_id")),
    ("recipientAccountId", low("account_id")),
    ("userIdentity.accountId", low("account_id")),
    ("userIdentity.type", low("principal_type")),
    ("userIdentity.arn", col("principal_arn")),
    ("userIdentity.principalId", col("principal_id")),
    ("userIdentity.userName", col("user_name")),
    ("userIdentity.accessKeyId", col("access_key_id")),
    ("userIdentity.invokedBy", col("invoked_by")),
    (
        "userIdentity.sessionContext.sessionIssuer.arn",
        col("session_issuer_arn"),
    ),
    (
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        low("mfa_authenticated"),
    ),
    // The whole JSON documents, as text (`requestParameters|contains: x`).
    ("requestParameters", CT_REQUEST_PARAMETERS),
    ("responseElements", CT_RESPONSE_ELEMENTS),
    ("additionalEventData", CT_ADDITIONAL),
    ("resources", CT_RESOURCES),
    ("userIdentity", CT_USER_IDENTITY),
];

/// CloudTrail field prefix → JSON column the rest of the dotted path goes into.
const CLOUDTRAIL_PATHS: &[(&str, ColumnInfo)] = &[
    ("requestParameters", CT_REQUEST_PARAMETERS),
    ("responseElements", CT_RESPONSE_ELEMENTS),
    ("additionalEventData", CT_ADDITIONAL),
    ("resources", CT_RESOURCES),
    ("userIdentity", CT_USER_IDENTITY),
];

/// Fields (and their sub-paths) that CloudTrail events have but the `cloudtrail`
/// table does not keep, so a test on them never holds (and `null` always does).
/// `status` is not a CloudTrail field at all; SigmaHQ's `aws_delete_saml_provider`
/// uses it, and it never matches in any backend either.
const CLOUDTRAIL_ABSENT: &[&str] = &[
    "eventVersion",
    "apiVersion",
    "sharedEventID",
    "tlsDetails",
    "sessionCredentialFromConsole",
    "serviceEventDetails",
    "insightDetails",
    "edgeDeviceDetails",
    "addendum",
    "status",
];

/// Columns keyword searches (a list of values without a field) look in.
const CLOUDTRAIL_KEYWORDS: &[ColumnInfo] = &[
    CT_EVENT_NAME,
    low("event_source"),
    col("user_agent"),
    low("error_code"),
    col("error_message"),
    col("principal_arn"),
    col("source_ip"),
    CT_REQUEST_PARAMETERS,
    CT_RESPONSE_ELEMENTS,
    CT_ADDITIONAL,
    CT_USER_IDENTITY,
];

// ---------------------------------------------------------------------------------
// invocations (service: lambda)

const INV_PAYLOAD: ColumnInfo = json("payload");
const INV_HEADERS: ColumnInfo = json("headers");

/// `invocations` columns, reachable by their own names.
const LAMBDA_FIELDS: &[(&str, ColumnInfo)] = &[
    ("time", col("time")),
    ("account_id", low("account_id")),
    ("region", low("region")),
    ("function_name", low("function_name")),
    ("request_id", col("request_id")),
    ("trigger_request_id", col("trigger_request_id")),
    ("trigger", low("trigger")),
    ("source_ip", col("source_ip")),
    ("user_agent", col("user_agent")),
    ("http_method", low("http_method")),
    ("path", col("path")),
    ("query", col("query")),
    ("headers", INV_HEADERS),
    ("body_size", col("body_size")),
    ("payload", INV_PAYLOAD),
    ("payload_shape", json("payload_shape")),
    ("auth_principal", col("auth_principal")),
    ("status_code", low("status_code")),
];

/// `payload.<path>` and `headers.<name>`: keys compare case-insensitively (header
/// names are stored lower-cased; payload header keys arrive in any case).
const LAMBDA_PATHS: &[(&str, ColumnInfo)] = &[("payload", INV_PAYLOAD), ("headers", INV_HEADERS)];

const LAMBDA_KEYWORDS: &[ColumnInfo] = &[
    INV_PAYLOAD,
    col("path"),
    col("query"),
    col("user_agent"),
    INV_HEADERS,
];

/// The mapping of one table.
struct Mapping {
    fields: &'static [(&'static str, ColumnInfo)],
    paths: &'static [(&'static str, ColumnInfo)],
    paths_any_case: bool,
    absent: &'static [&'static str],
    keywords: &'static [ColumnInfo],
}

fn mapping(table: Table) -> Option<Mapping> {
    match table {
        Table::CloudTrail => Some(Mapping {
            fields: CLOUDTRAIL_FIELDS,
            paths: CLOUDTRAIL_PATHS,
            paths_any_case: false,
            absent: CLOUDTRAIL_ABSENT,
            keywords: CLOUDTRAIL_KEYWORDS,
        }),
        Table::Invocations => Some(Mapping {
            fields: LAMBDA_FIELDS,
            paths: LAMBDA_PATHS,
            paths_any_case: true,
            absent: &[],
            keywords: LAMBDA_KEYWORDS,
        }),
        Table::LambdaRuntime => None,
    }
}

/// Resolves a Sigma field name for rules on `table`; `None` when it has no mapping.
pub(crate) fn resolve(table: Table, field: &str) -> Option<Target> {
    let m = mapping(table)?;
    if let Some((_, c)) = m.fields.iter().find(|(f, _)| *f == field) {
        return Some(Target::Column(*c));
    }
    for (prefix, column) in m.paths {
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
    mapping(table).map_or(&[], |m| m.keywords)
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
        assert_eq!(resolve(t, "eventName"), Some(Target::Column(CT_EVENT_NAME)));
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
    fn every_mapped_column_exists_in_its_table() {
        for table in [Table::CloudTrail, Table::Invocations] {
            let schema = table.schema();
            let m = mapping(table).unwrap();
            let columns = m
                .fields
                .iter()
                .map(|(_, c)| c)
                .chain(m.paths.iter().map(|(_, c)| c))
                .chain(m.keywords);
            for c in columns {
                assert!(
                    schema.column_with_name(c.name).is_some(),
                    "{}: {}",
                    table.name(),
                    c.name
                );
            }
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
