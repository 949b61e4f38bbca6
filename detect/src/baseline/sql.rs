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

/// The queries of every table of [`TABLES`], in that order.
pub(crate) fn queries(range: &TimeRange, top_shapes: usize) -> Vec<TableQuery> {
    // The last bucket of the range (its end is exclusive).
    let last_us = (range.end_us - 1).max(range.start_us);
    let end_hour = last_us.div_euclid(3_600_000_000);
    let end_minute = last_us.div_euclid(60_000_000);
    let ct_filter = filter("event_time", range);
    let inv_filter = filter("time", range);
    let rt_filter = filter("time", range);

    let ct = format!(
        "ct AS (SELECT event_time, coalesce(session_issuer_arn, principal_arn) AS principal, \
         account_id, coalesce(event_source, '') AS event_source, \
         coalesce(event_name, '') AS event_name, aws_region, source_ip, user_agent, error_code \
         FROM cloudtrail WHERE {ct_filter} \
         AND coalesce(session_issuer_arn, principal_arn) IS NOT NULL)"
    );
    let inv = format!(
        "inv AS (SELECT time, coalesce(function_name, '{UNKNOWN_FUNCTION}') AS function_name, \
         account_id, region, source_ip, status_code, payload_shape \
         FROM invocations WHERE {inv_filter})"
    );
    let denied = "sum(CASE WHEN tl_denied(error_code) THEN 1 ELSE 0 END)";
    let how = |t: &str| format!("CAST((to_unixtime({t}) / 3600 + 72) % 168 AS INT)");

    let principal_api = format!(
        "WITH {ct} \
         SELECT principal, event_source, event_name, count(*) AS events, \
         count(error_code) AS errors, {denied} AS access_denied, \
         min(event_time) AS first_seen, max(event_time) AS last_seen, \
         min(account_id) AS account_id \
         FROM ct GROUP BY principal, event_source, event_name"
    );

    let principal_activity = format!(
        "WITH {ct}, \
         hourly AS (SELECT principal, to_unixtime(event_time) / 3600 AS hour, count(*) AS n \
           FROM ct GROUP BY principal, to_unixtime(event_time) / 3600), \
         h AS (SELECT principal, min(hour) AS first_hour, count(*) AS active_hours, \
           sum(CAST(n AS DOUBLE) * CAST(n AS DOUBLE)) AS sum_sq, max(n) AS max_hourly \
           FROM hourly GROUP BY principal), \
         t AS (SELECT principal, min(account_id) AS account_id, count(*) AS events, \
           count(error_code) AS errors, {denied} AS access_denied, \
           min(event_time) AS first_seen, max(event_time) AS last_seen \
           FROM ct GROUP BY principal), \
         j AS (SELECT t.principal, t.account_id, t.events, t.errors, t.access_denied, \
           t.first_seen, t.last_seen, h.first_hour, \
           CAST({end_hour} - h.first_hour + 1 AS DOUBLE) AS span, \
           h.active_hours, h.sum_sq, h.max_hourly \
           FROM t JOIN h ON t.principal = h.principal) \
         SELECT principal, account_id, events, errors, access_denied, first_seen, last_seen, \
         first_hour, CAST(span AS BIGINT) AS span_hours, active_hours, sum_sq, max_hourly, \
         CAST(events AS DOUBLE) / span AS hourly_mean, \
         CASE WHEN span > 1 THEN \
           greatest(sum_sq - CAST(events AS DOUBLE) * CAST(events AS DOUBLE) / span, 0.0) \
           / (span - 1) ELSE 0.0 END AS hourly_variance \
         FROM j"
    );

    let principal_profile = format!(
        "WITH {ct} \
         SELECT principal, {how_ct} AS hour_of_week, count(*) AS events \
         FROM ct GROUP BY principal, {how_ct}",
        how_ct = how("event_time"),
    );

    // `WITH <ctes>` + one aggregate per kind of value: `(kind, expression)` over the
    // rows of `from`.
    let values = |with: &str, owner: &str, from: &str, kinds: &[(&str, &str)]| -> Vec<String> {
        kinds
            .iter()
            .map(|(kind, expr)| {
                format!(
                    "{with} SELECT {owner}, '{kind}' AS kind, value, count(*) AS events, \
                     min(event_time) AS first_seen, max(event_time) AS last_seen \
                     FROM (SELECT {owner}, {expr} AS value, event_time FROM {from}) v \
                     WHERE value IS NOT NULL GROUP BY {owner}, value"
                )
            })
            .collect()
    };

    let principal_values = values(
        &format!("WITH {ct}"),
        "principal",
        "ct",
        &[
            ("net16", "tl_net16(source_ip)"),
            ("net24", "tl_net24(source_ip)"),
            ("agent", "tl_ua_family(user_agent)"),
            ("region", "aws_region"),
        ],
    );

    let function_rate = format!(
        "WITH {inv}, \
         minutes AS (SELECT function_name, to_unixtime(time) / 60 AS minute, count(*) AS n \
           FROM inv GROUP BY function_name, to_unixtime(time) / 60), \
         m AS (SELECT function_name, min(minute) AS first_minute, count(*) AS active_minutes, \
           sum(CAST(n AS DOUBLE) * CAST(n AS DOUBLE)) AS sum_sq, max(n) AS max_per_minute \
           FROM minutes GROUP BY function_name), \
         hours AS (SELECT function_name, to_unixtime(time) / 3600 AS hour, \
           count(DISTINCT source_ip) AS sources FROM inv \
           GROUP BY function_name, to_unixtime(time) / 3600), \
         s AS (SELECT function_name, avg(CAST(sources AS DOUBLE)) AS sources_per_hour_mean, \
           max(sources) AS sources_per_hour_max FROM hours GROUP BY function_name), \
         t AS (SELECT function_name, min(account_id) AS account_id, min(region) AS region, \
           count(*) AS invocations, count(status_code) AS with_status, \
           sum(CASE WHEN status_code BETWEEN 400 AND 499 THEN 1 ELSE 0 END) AS status_4xx, \
           sum(CASE WHEN status_code BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS status_5xx, \
           sum(CASE WHEN status_code = 429 THEN 1 ELSE 0 END) AS throttles, \
           sum(CASE WHEN status_code IN (401, 403) THEN 1 ELSE 0 END) AS auth_failures, \
           count(payload_shape) AS shaped, count(DISTINCT payload_shape) AS distinct_shapes, \
           min(time) AS first_seen, max(time) AS last_seen FROM inv GROUP BY function_name), \
         j AS (SELECT t.*, m.first_minute, \
           CAST({end_minute} - m.first_minute + 1 AS DOUBLE) AS span, \
           m.active_minutes, m.sum_sq, m.max_per_minute, \
           s.sources_per_hour_mean, s.sources_per_hour_max \
           FROM t JOIN m ON t.function_name = m.function_name \
           JOIN s ON t.function_name = s.function_name) \
         SELECT function_name, account_id, region, invocations, with_status, status_4xx, \
         status_5xx, throttles, auth_failures, shaped, distinct_shapes, first_seen, last_seen, \
         first_minute, CAST(span AS BIGINT) AS span_minutes, active_minutes, sum_sq, \
         max_per_minute, CAST(invocations AS DOUBLE) / span AS minute_mean, \
         CASE WHEN span > 1 THEN \
           greatest(sum_sq - CAST(invocations AS DOUBLE) * CAST(invocations AS DOUBLE) / span, 0.0) \
           / (span - 1) ELSE 0.0 END AS minute_variance, \
         sources_per_hour_mean, sources_per_hour_max \
         FROM j"
    );

    let function_profile = format!(
        "WITH {inv} \
         SELECT function_name, {how_inv} AS hour_of_week, count(*) AS invocations \
         FROM inv GROUP BY function_name, {how_inv}",
        how_inv = how("time"),
    );

    let function_runtime = format!(
        "WITH rt AS (SELECT time, function_name, request_id, kind, status, duration_ms, \
           max_memory_mb, memory_mb, init_ms, cold_start, source \
           FROM lambda_runtime WHERE {rt_filter} AND function_name IS NOT NULL), \
         rep AS (SELECT function_name, duration_ms, CAST(max_memory_mb AS DOUBLE) AS mem, \
           memory_mb, init_ms, cold_start FROM rt WHERE kind = 'report'), \
         med AS (SELECT function_name, median(duration_ms) AS duration_median, \
           median(mem) AS memory_median FROM rep GROUP BY function_name), \
         dist AS (SELECT rep.function_name, count(*) AS reports, \
           median(abs(rep.duration_ms - med.duration_median)) AS duration_mad, \
           approx_percentile_cont(rep.duration_ms, 0.99) AS duration_p99, \
           median(abs(rep.mem - med.memory_median)) AS memory_mad, \
           approx_percentile_cont(rep.mem, 0.99) AS memory_p99, \
           max(rep.memory_mb) AS memory_mb, \
           sum(CASE WHEN rep.init_ms IS NOT NULL OR rep.cold_start THEN 1 ELSE 0 END) \
             AS cold_starts \
           FROM rep JOIN med ON rep.function_name = med.function_name \
           GROUP BY rep.function_name), \
         ev AS (SELECT function_name, \
           sum(CASE WHEN kind = 'start' THEN 1 ELSE 0 END) AS starts, \
           count(DISTINCT CASE WHEN kind = 'error' THEN coalesce(request_id, source) END) \
             AS errors, \
           sum(CASE WHEN kind = 'timeout' THEN 1 ELSE 0 END) AS timeouts, \
           min(time) AS first_seen, max(time) AS last_seen FROM rt GROUP BY function_name) \
         SELECT ev.function_name, coalesce(dist.reports, 0) AS reports, ev.starts, ev.errors, \
         ev.timeouts, coalesce(dist.cold_starts, 0) AS cold_starts, \
         med.duration_median, dist.duration_mad, dist.duration_p99, \
         med.memory_median, dist.memory_mad, dist.memory_p99, dist.memory_mb, \
         ev.first_seen, ev.last_seen \
         FROM ev LEFT JOIN dist ON ev.function_name = dist.function_name \
         LEFT JOIN med ON ev.function_name = med.function_name"
    );

    let function_shapes = format!(
        "WITH {inv}, \
         s AS (SELECT function_name, payload_shape, count(*) AS invocations, \
           min(time) AS first_seen, max(time) AS last_seen FROM inv \
           WHERE payload_shape IS NOT NULL GROUP BY function_name, payload_shape), \
         r AS (SELECT function_name, payload_shape, invocations, first_seen, last_seen, \
           row_number() OVER (PARTITION BY function_name \
             ORDER BY invocations DESC, payload_shape) AS rank FROM s) \
         SELECT function_name, payload_shape, invocations, first_seen, last_seen, rank \
         FROM r WHERE rank <= {top_shapes}"
    );

    // A function's execution-role sessions: Lambda names the session after the
    // function, and the runtime's SDK marks its user agent with `exec-env/AWS_Lambda`.
    let function_values = values(
        &format!(
            "WITH fns AS (SELECT DISTINCT function_name FROM invocations \
           WHERE {inv_filter} AND function_name IS NOT NULL \
           UNION SELECT DISTINCT function_name FROM lambda_runtime \
           WHERE {rt_filter} AND function_name IS NOT NULL), \
         s AS (SELECT event_time, session_name AS function_name, source_ip, user_agent, \
           session_issuer_arn FROM cloudtrail \
           WHERE {ct_filter} AND session_name IS NOT NULL \
           AND (strpos(coalesce(user_agent, ''), 'exec-env/AWS_Lambda') > 0 \
             OR session_name IN (SELECT function_name FROM fns)))",
        ),
        "function_name",
        "s",
        &[
            ("net16", "tl_net16(source_ip)"),
            ("net24", "tl_net24(source_ip)"),
            ("agent", "tl_ua_family(user_agent)"),
            ("role", "session_issuer_arn"),
        ],
    );

    let account_values = values(
        &format!(
            "WITH a AS (SELECT event_time, account_id, aws_region, event_source FROM cloudtrail \
           WHERE {ct_filter} AND account_id IS NOT NULL)",
        ),
        "account_id",
        "a",
        &[("region", "aws_region"), ("service", "event_source")],
    );

    let sql = [
        vec![principal_api],
        vec![principal_activity],
        vec![principal_profile],
        principal_values,
        vec![function_rate],
        vec![function_profile],
        vec![function_runtime],
        vec![function_shapes],
        function_values,
        account_values,
    ];
    TABLES
        .iter()
        .zip(sql)
        .map(|(&name, sql)| TableQuery { name, sql })
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
}
