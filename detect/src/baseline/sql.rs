//! The SQL of each baseline table: one aggregate query per table over the lake,
//! restricted to the build's time range.
//!
//! Conventions every query follows (and [`super::store`] relies on when loading):
//!
//! - a principal is `coalesce(session_issuer_arn, principal_arn)`: the role behind an
//!   assumed-role session, else the user or service;
//! - a function is `function_name`, or `(unknown)` for invocations whose log did not
//!   name one ([`UNKNOWN_FUNCTION`]);
//! - hours and minutes are counted in UTC from the epoch (`to_unixtime(t) / 3600`),
//!   and the hour of the week is `(epoch_hour + 72) % 168`, 0 being Monday 00:00 UTC
//!   (the epoch fell on a Thursday, 72 hours after a Monday midnight);
//! - a rate's mean and variance count every bucket from the entity's first bucket to
//!   the end of the range, empty buckets included: the mean of a principal that calls
//!   once a day is 1/24 per hour, not 1;
//! - networks, user-agent families and "access denied" come from the `tl_*` UDFs of
//!   [`super::keys`], the functions the detectors call.
//!
//! The SQL itself is data: one file per table under `baseline/sql/` (embedded), with
//! `{name}` placeholders for what depends on the build (the range's filters, its last
//! hour and minute, the number of shapes kept) and for the common tables `ct` and
//! `inv` shared by several queries. A file is read as its lines trimmed and joined by
//! one space, `--` comment lines dropped; the `*_values` tables name their owner,
//! rows and kinds of value in `-- owner:`, `-- from:` and `-- kind <name>: <expr>`
//! header lines, each kind one query of `values.sql`.

use chrono::{DateTime, Utc};

use super::TimeRange;

/// The function key of invocations whose log does not name the function.
pub const UNKNOWN_FUNCTION: &str = "(unknown)";

/// The hour of the week (0 = Monday 00:00 UTC … 167) of an epoch hour.
pub fn hour_of_week(epoch_hour: i64) -> usize {
    // rem_euclid keeps times before 1970 in range; the result is in 0..168.
    (epoch_hour + 72).rem_euclid(168) as usize
}

/// One baseline table: its file name (without `.parquet`) and its queries.
pub(crate) struct TableQuery {
    /// The table's name, e.g. `principal_api`.
    pub name: &'static str,
    /// The SQL that produces it: queries with the same columns whose rows are
    /// written one after the other. Value tables are one query per kind of value
    /// (their groups are disjoint), so that one scan of the lake is in flight at a
    /// time instead of one per kind — Parquet decoding buffers are outside the
    /// memory pool, and a union of four scans held four sets of them.
    pub sql: Vec<String>,
}

/// Every baseline table, in build order.
pub const TABLES: [&str; 10] = [
    "principal_api",
    "principal_activity",
    "principal_profile",
    "principal_values",
    "function_rate",
    "function_profile",
    "function_runtime",
    "function_shapes",
    "function_values",
    "account_values",
];

/// A time as a SQL timestamp literal (RFC 3339, µs, UTC).
pub(crate) fn literal(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn date_literal(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// `time_col` within the range, plus the `date` partition bounds that prune files.
pub(crate) fn filter(time_col: &str, range: &TimeRange) -> String {
    format!(
        "{time_col} >= '{}' AND {time_col} < '{}' AND date >= '{}' AND date <= '{}'",
        literal(range.start_us),
        literal(range.end_us),
        date_literal(range.start_us),
        date_literal(range.end_us),
    )
}

/// The SQL files: (name, text).
const FILES: [(&str, &str); 13] = [
    ("ct", include_str!("sql/ct.sql")),
    ("inv", include_str!("sql/inv.sql")),
    ("values", include_str!("sql/values.sql")),
    ("principal_api", include_str!("sql/principal_api.sql")),
    (
        "principal_activity",
        include_str!("sql/principal_activity.sql"),
    ),
    (
        "principal_profile",
        include_str!("sql/principal_profile.sql"),
    ),
    ("principal_values", include_str!("sql/principal_values.sql")),
    ("function_rate", include_str!("sql/function_rate.sql")),
    ("function_profile", include_str!("sql/function_profile.sql")),
    ("function_runtime", include_str!("sql/function_runtime.sql")),
    ("function_shapes", include_str!("sql/function_shapes.sql")),
    ("function_values", include_str!("sql/function_values.sql")),
    ("account_values", include_str!("sql/account_values.sql")),
];

/// The text of SQL file `name` (one of [`FILES`]).
fn file(name: &str) -> &'static str {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, text)| text)
}

/// A file's SQL: its lines trimmed and joined by one space, comments dropped.
fn statement(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value of header directive `-- <key>: value` in a file, if present.
fn directive<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("--"))
        .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

/// The `-- kind <name>: <expr>` directives of a file, in order.
fn kinds(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("--")?.trim().strip_prefix("kind "))
        .filter_map(|l| l.split_once(':'))
        .map(|(kind, expr)| (kind.trim(), expr.trim()))
        .collect()
}

/// Replaces each `{name}` of `template` by its value in `vars`, in one pass (values
/// are not scanned again). A placeholder without a value stays as written, which the
/// tests catch.
fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The queries of every table of [`TABLES`], in that order.
pub(crate) fn queries(range: &TimeRange, top_shapes: usize) -> Vec<TableQuery> {
    // The last bucket of the range (its end is exclusive).
    let last_us = (range.end_us - 1).max(range.start_us);
    let end_hour = last_us.div_euclid(3_600_000_000).to_string();
    let end_minute = last_us.div_euclid(60_000_000).to_string();
    let ct_filter = filter("event_time", range);
    let inv_filter = filter("time", range);
    let rt_filter = filter("time", range);
    let top_shapes = top_shapes.to_string();

    let filters = [
        ("ct_filter", ct_filter.as_str()),
        ("inv_filter", inv_filter.as_str()),
        ("rt_filter", rt_filter.as_str()),
        ("unknown_function", UNKNOWN_FUNCTION),
    ];
    let ct = render(&statement(file("ct")), &filters);
    let inv = render(&statement(file("inv")), &filters);
    let mut vars = filters.to_vec();
    vars.extend([
        ("ct", ct.as_str()),
        ("inv", inv.as_str()),
        ("end_hour", end_hour.as_str()),
        ("end_minute", end_minute.as_str()),
        ("top_shapes", top_shapes.as_str()),
    ]);

    TABLES
        .iter()
        .map(|&name| {
            let text = file(name);
            let body = render(&statement(text), &vars);
            let sql = match directive(text, "owner") {
                // A values table: one query per kind, over the file's common tables.
                Some(owner) => {
                    let from = directive(text, "from").unwrap_or_default();
                    kinds(text)
                        .into_iter()
                        .map(|(kind, expr)| {
                            render(
                                &statement(file("values")),
                                &[
                                    ("with", body.as_str()),
                                    ("owner", owner),
                                    ("kind", kind),
                                    ("expr", expr),
                                    ("from", from),
                                ],
                            )
                        })
                        .collect()
                }
                None => vec![body],
            };
            TableQuery { name, sql }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_of_week_starts_on_monday() {
        // 2024-01-01 was a Monday: 00:00 UTC is bucket 0, 13:00 is 13.
        let monday = 1_704_067_200 / 3600;
        assert_eq!(hour_of_week(monday), 0);
        assert_eq!(hour_of_week(monday + 13), 13);
        assert_eq!(hour_of_week(monday + 167), 167);
        assert_eq!(hour_of_week(monday + 168), 0);
        // The epoch itself, a Thursday midnight.
        assert_eq!(hour_of_week(0), 72);
    }

    #[test]
    fn every_table_has_a_query() {
        let range = TimeRange::new(0, 3_600_000_000);
        let q = queries(&range, 10);
        assert_eq!(q.len(), TABLES.len());
        assert!(q
            .iter()
            .all(|t| t.sql.iter().all(|s| s.contains("1970-01-01"))));
    }

    #[test]
    fn every_placeholder_is_filled_and_every_file_used() {
        let range = TimeRange::new(1_704_067_200_000_000, 1_704_153_600_000_000);
        let q = queries(&range, 7);
        for t in &q {
            assert!(!t.sql.is_empty(), "{}", t.name);
            for sql in &t.sql {
                assert!(!sql.contains(['{', '}']), "{}: {sql}", t.name);
                assert!(!sql.contains("--"), "{}: {sql}", t.name);
            }
        }
        let values: Vec<usize> = q
            .iter()
            .filter(|t| t.name.ends_with("_values"))
            .map(|t| t.sql.len())
            .collect();
        assert_eq!(values, [4, 4, 2]);
        for (name, _) in FILES {
            assert!(
                TABLES.contains(&name) || ["ct", "inv", "values"].contains(&name),
                "{name}"
            );
        }
        assert!(q[7].sql[0].ends_with("rank <= 7"), "{}", q[7].sql[0]);
    }

    #[test]
    fn render_fills_once_and_keeps_unknown_braces() {
        assert_eq!(render("a {x} {y} {", &[("x", "{y}")]), "a {y} {y} {");
    }
}
