//! Findings as rows: the lake's `alerts` table ([`alerts_schema`], [`to_batch`]) and
//! the `--format table` listing ([`TABLE_HEADER`], [`to_table_row`]).
//!
//! The `alerts` table flattens what a query filters on (who, where, which rule, how
//! severe) and keeps the full OCSF document in `json`, so notebooks can query findings
//! next to the events they came from. Times are `Timestamp(µs, "UTC")` like every
//! other table; `time` (the last event seen, the OCSF `time`) is the column the lake
//! partitions by.

use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use tripline_ingest::table::timestamp_type;

use super::ocsf::write_ocsf;
use super::text::{map_label, rfc3339};
use crate::error::DetectError;
use crate::model::Finding;

/// Name of the lake table (`table=alerts/`).
pub const ALERTS_TABLE: &str = tripline_ingest::lake::registry::ALERTS;
/// Its time column, the one the lake partitions by date.
pub const ALERTS_TIME_COLUMN: &str = "time";

/// The Arrow schema of the `alerts` table.
pub fn alerts_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
            Arc::new(Schema::new(vec![
                // Stable finding uid (rule id, group key, window start).
                utf8("uid", false),
                // Last event seen: the OCSF `time`.
                Field::new("time", timestamp_type(), false),
                // First event seen.
                Field::new("first_seen", timestamp_type(), false),
                // Last event seen.
                Field::new("last_seen", timestamp_type(), false),
                // Rule or detector id (OCSF `analytic.uid`).
                utf8("rule_id", false),
                // Rule title.
                utf8("title", false),
                // `rule`, `correlation` or `anomaly`.
                utf8("kind", false),
                // `Informational` … `Critical`.
                utf8("severity", false),
                // 1 (informational) … 5 (critical).
                Field::new("severity_id", DataType::Int32, false),
                // 0–100.
                Field::new("confidence", DataType::Int32, false),
                // Contributing events.
                Field::new("count", DataType::Int64, false),
                // AWS account of the first event.
                utf8("account", true),
                // AWS region of the first event.
                utf8("region", true),
                // Principal ARN of the first event.
                utf8("principal", true),
                // Caller IP of the first event.
                utf8("source_ip", true),
                // Lambda function of the first event.
                utf8("function", true),
                // Group key as a JSON object (field → value).
                utf8("group", false),
                // One-line description.
                utf8("message", false),
                // The full OCSF Detection Finding.
                utf8("json", false),
            ]))
        })
        .clone()
}

/// Findings as one batch of the `alerts` table.
pub fn to_batch(findings: &[Finding]) -> Result<RecordBatch, DetectError> {
    let strings = |get: &dyn Fn(&Finding) -> Option<String>| -> ArrayRef {
        Arc::new(findings.iter().map(get).collect::<StringArray>())
    };
    let times = |get: &dyn Fn(&Finding) -> i64| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(findings.iter().map(get).collect::<Vec<_>>())
                .with_timezone("UTC"),
        )
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|f| Some(f.uid.clone())),
        times(&|f| f.last_seen_us),
        times(&|f| f.first_seen_us),
        times(&|f| f.last_seen_us),
        strings(&|f| Some(f.rule.id.clone())),
        strings(&|f| Some(f.rule.title.clone())),
        strings(&|f| Some(f.rule.kind.to_owned())),
        strings(&|f| Some(f.level.severity().to_owned())),
        Arc::new(Int32Array::from_iter_values(
            findings.iter().map(|f| i32::from(f.level.severity_id())),
        )),
        Arc::new(Int32Array::from_iter_values(
            findings.iter().map(|f| i32::from(f.confidence)),
        )),
        Arc::new(Int64Array::from_iter_values(
            findings
                .iter()
                .map(|f| i64::try_from(f.count).unwrap_or(i64::MAX)),
        )),
        strings(&|f| f.context.account.clone()),
        strings(&|f| f.context.region.clone()),
        strings(&|f| f.context.principal.clone()),
        strings(&|f| f.context.source_ip.clone()),
        strings(&|f| f.context.function.clone()),
        strings(&|f| serde_json::to_string(&f.group).ok()),
        strings(&|f| Some(tripline_ingest::redact::text(&f.message).into_owned())),
        strings(&|f| {
            let mut line = Vec::new();
            write_ocsf(f, &mut line).ok()?;
            String::from_utf8(line).ok()
        }),
    ];
    RecordBatch::try_new(alerts_schema(), columns)
        .map_err(|e| DetectError::Internal(format!("alerts batch does not match its schema: {e}")))
}

/// Column names of the `--format table` listing.
pub const TABLE_HEADER: [&str; 5] = ["time", "severity", "rule", "group", "count"];

/// One line of the `--format table` listing, in [`TABLE_HEADER`] order: last seen
/// (RFC 3339, UTC), severity, rule title, group (`field=value, …`, else the principal),
/// count.
pub fn to_table_row(f: &Finding) -> [String; 5] {
    let group = if f.group.is_empty() {
        f.context.principal.clone().unwrap_or_default()
    } else {
        map_label(&f.group)
    };
    [
        rfc3339(f.last_seen_us),
        f.level.severity().to_owned(),
        f.rule.title.clone(),
        group,
        f.count.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use arrow::array::Array;

    use super::*;
    use crate::finding::fixtures::{hit, rule};
    use crate::finding::Aggregator;

    const T0: i64 = 1_714_557_600_000_000;

    fn findings() -> Vec<Finding> {
        let r = rule("r-1", "IAM Policy Attached");
        let mut agg = Aggregator::new();
        agg.push(hit(&r, T0, "a", "arn:aws:iam::1:user/bob"), 3_600_000_000);
        agg.push(
            hit(&r, T0 + 5_000_000, "b", "arn:aws:iam::1:user/bob"),
            3_600_000_000,
        );
        let mut h = hit(&r, T0 + 1, "c", "arn:aws:iam::1:user/eve");
        h.group.clear();
        agg.push(h, 3_600_000_000);
        agg.finish()
    }

    #[test]
    fn batch_matches_schema_and_findings() {
        let fs = findings();
        let batch = to_batch(&fs).expect("builds");
        assert_eq!(batch.schema(), alerts_schema());
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column_by_name(name).expect("column exists").clone();
        let uid = col("uid");
        let uid = uid.as_any().downcast_ref::<StringArray>().expect("utf8");
        assert_eq!(uid.value(0), fs[0].uid);
        let count = col("count");
        let count = count.as_any().downcast_ref::<Int64Array>().expect("int64");
        assert_eq!(count.value(0), 2);
        assert_eq!(count.value(1), 1);
        let json = col("json");
        let json = json.as_any().downcast_ref::<StringArray>().expect("utf8");
        let doc: serde_json::Value = serde_json::from_str(json.value(0)).expect("valid JSON");
        assert_eq!(doc["finding_info"]["uid"], fs[0].uid.as_str());
        let group = col("group");
        let group = group.as_any().downcast_ref::<StringArray>().expect("utf8");
        assert_eq!(
            group.value(0),
            r#"{"userIdentity.arn":"arn:aws:iam::1:user/bob"}"#
        );
        assert_eq!(group.value(1), "{}");
        assert!(col("function").is_null(0));
        let time = col("time");
        let time = time
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("timestamp");
        assert_eq!(time.value(0), T0 + 5_000_000);
    }

    #[test]
    fn empty_batch_is_fine() {
        let batch = to_batch(&[]).expect("builds");
        assert_eq!(batch.num_rows(), 0);
    }

    #[test]
    fn table_rows_are_readable() {
        let fs = findings();
        assert_eq!(
            to_table_row(&fs[0]),
            [
                "2024-05-01T10:00:05Z".to_owned(),
                "High".to_owned(),
                "IAM Policy Attached".to_owned(),
                "userIdentity.arn=arn:aws:iam::1:user/bob".to_owned(),
                "2".to_owned(),
            ]
        );
        // No group: the principal stands in.
        assert_eq!(to_table_row(&fs[1])[3], "arn:aws:iam::1:user/eve");
    }
}
