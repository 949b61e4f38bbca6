//! The `cloudtrail` table: one row per CloudTrail event.
//!
//! Columns are the flattened fields detections and pivots use; the free-form parts of
//! an event (`requestParameters`, `responseElements`, `resources`,
//! `additionalEventData`, the whole `userIdentity`) are kept as JSON text so that no
//! field is lost and rules can reach any dotted path.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::{timestamp_array, timestamp_type, utf8, TableBuilder};

/// The Arrow schema of `cloudtrail`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    super::schema_once(&SCHEMA, || {
        vec![
            // `eventTime` (or a shipper's `@timestamp`), µs UTC.
            Field::new("event_time", timestamp_type(), false),
            // `eventID`: unique per event, the id findings cite.
            utf8("event_id"),
            // `eventSource`, e.g. `iam.amazonaws.com`.
            utf8("event_source"),
            // `eventName`, the API call, e.g. `CreateAccessKey`.
            utf8("event_name"),
            // `awsRegion`.
            utf8("aws_region"),
            // `recipientAccountId`, else `userIdentity.accountId`.
            utf8("account_id"),
            // `sourceIPAddress`: an IP, or a service name for AWS-internal calls.
            utf8("source_ip"),
            // `userAgent`.
            utf8("user_agent"),
            // `userIdentity.type`: Root, IAMUser, AssumedRole, AWSService, ...
            utf8("principal_type"),
            // `userIdentity.arn`; for services, `userIdentity.invokedBy`.
            utf8("principal_arn"),
            // `userIdentity.principalId`.
            utf8("principal_id"),
            // `userIdentity.userName` (IAM users and root).
            utf8("user_name"),
            // `userIdentity.accessKeyId`: ASIA… temporary or AKIA… long-term key.
            utf8("access_key_id"),
            // `userIdentity.sessionContext.sessionIssuer.arn`: the role behind a session.
            utf8("session_issuer_arn"),
            // Role session name: the last part of an assumed-role ARN.
            utf8("session_name"),
            // `userIdentity.invokedBy`: the AWS service that made the call.
            utf8("invoked_by"),
            // `userIdentity.sessionContext.attributes.mfaAuthenticated`.
            Field::new("mfa_authenticated", DataType::Boolean, true),
            // `errorCode`, e.g. `AccessDenied`; null on success.
            utf8("error_code"),
            // `errorMessage` (often absent even when `errorCode` is set).
            utf8("error_message"),
            // `readOnly`.
            Field::new("read_only", DataType::Boolean, true),
            // `eventType`: AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, ...
            utf8("event_type"),
            // `managementEvent`.
            Field::new("management_event", DataType::Boolean, true),
            // `eventCategory`: Management, Data, Insight.
            utf8("event_category"),
            // `requestID`.
            utf8("request_id"),
            // `vpcEndpointId`.
            utf8("vpc_endpoint_id"),
            // `requestParameters` as JSON text (secrets redacted).
            utf8("request_parameters"),
            // `responseElements` as JSON text (secrets redacted).
            utf8("response_elements"),
            // `resources` as JSON text.
            utf8("resources"),
            // `additionalEventData` as JSON text.
            utf8("additional_event_data"),
            // The whole `userIdentity` as JSON text, for paths without a column.
            utf8("user_identity"),
            // Where the row came from: `path@offset`.
            Field::new("source", DataType::Utf8, false),
        ]
    })
}

/// One CloudTrail event, borrowed from the parser's buffer.
#[derive(Debug, Default, Clone)]
pub struct CloudTrailRow<'a> {
    /// µs since the epoch, UTC.
    pub event_time: i64,
    /// `eventID`.
    pub event_id: Option<&'a str>,
    /// `eventSource`.
    pub event_source: Option<&'a str>,
    /// `eventName`.
    pub event_name: Option<&'a str>,
    /// `awsRegion`.
    pub aws_region: Option<&'a str>,
    /// Account the event belongs to.
    pub account_id: Option<&'a str>,
    /// `sourceIPAddress`.
    pub source_ip: Option<&'a str>,
    /// `userAgent`.
    pub user_agent: Option<&'a str>,
    /// `userIdentity.type`.
    pub principal_type: Option<&'a str>,
    /// `userIdentity.arn` (or the invoking service).
    pub principal_arn: Option<&'a str>,
    /// `userIdentity.principalId`.
    pub principal_id: Option<&'a str>,
    /// `userIdentity.userName`.
    pub user_name: Option<&'a str>,
    /// `userIdentity.accessKeyId`.
    pub access_key_id: Option<&'a str>,
    /// `sessionContext.sessionIssuer.arn`.
    pub session_issuer_arn: Option<&'a str>,
    /// Role session name.
    pub session_name: Option<&'a str>,
    /// `userIdentity.invokedBy`.
    pub invoked_by: Option<&'a str>,
    /// `mfaAuthenticated`.
    pub mfa_authenticated: Option<bool>,
    /// `errorCode`.
    pub error_code: Option<&'a str>,
    /// `errorMessage`.
    pub error_message: Option<&'a str>,
    /// `readOnly`.
    pub read_only: Option<bool>,
    /// `eventType`.
    pub event_type: Option<&'a str>,
    /// `managementEvent`.
    pub management_event: Option<bool>,
    /// `eventCategory`.
    pub event_category: Option<&'a str>,
    /// `requestID`.
    pub request_id: Option<&'a str>,
    /// `vpcEndpointId`.
    pub vpc_endpoint_id: Option<&'a str>,
    /// `requestParameters` JSON.
    pub request_parameters: Option<&'a str>,
    /// `responseElements` JSON.
    pub response_elements: Option<&'a str>,
    /// `resources` JSON.
    pub resources: Option<&'a str>,
    /// `additionalEventData` JSON.
    pub additional_event_data: Option<&'a str>,
    /// `userIdentity` JSON.
    pub user_identity: Option<&'a str>,
    /// `path@offset`.
    pub source: &'a str,
}

/// Column builders of `cloudtrail`, in schema order.
pub struct CloudTrailBuilder {
    event_time: Vec<i64>,
    strings: Vec<StringBuilder>,
    mfa: BooleanBuilder,
    read_only: BooleanBuilder,
    management: BooleanBuilder,
    source: StringBuilder,
    bytes: usize,
}

/// Number of optional string columns between `event_time` and `mfa_authenticated`,
/// and after it; kept as constants so the append order is checked by a test.
const STRINGS: usize = 26;

impl Default for CloudTrailBuilder {
    fn default() -> Self {
        CloudTrailBuilder {
            event_time: Vec::new(),
            strings: (0..STRINGS).map(|_| StringBuilder::new()).collect(),
            mfa: BooleanBuilder::new(),
            read_only: BooleanBuilder::new(),
            management: BooleanBuilder::new(),
            source: StringBuilder::new(),
            bytes: 0,
        }
    }
}

impl CloudTrailBuilder {
    /// Appends one event.
    pub fn append(&mut self, r: &CloudTrailRow<'_>) {
        self.event_time.push(r.event_time);
        let values = [
            r.event_id,
            r.event_source,
            r.event_name,
            r.aws_region,
            r.account_id,
            r.source_ip,
            r.user_agent,
            r.principal_type,
            r.principal_arn,
            r.principal_id,
            r.user_name,
            r.access_key_id,
            r.session_issuer_arn,
            r.session_name,
            r.invoked_by,
            r.error_code,
            r.error_message,
            r.event_type,
            r.event_category,
            r.request_id,
            r.vpc_endpoint_id,
            r.request_parameters,
            r.response_elements,
            r.resources,
            r.additional_event_data,
            r.user_identity,
        ];
        for (b, v) in self.strings.iter_mut().zip(values) {
            self.bytes += v.map_or(0, str::len);
            b.append_option(v);
        }
        self.mfa.append_option(r.mfa_authenticated);
        self.read_only.append_option(r.read_only);
        self.management.append_option(r.management_event);
        self.bytes += r.source.len() + 16;
        self.source.append_value(r.source);
    }
}

impl TableBuilder for CloudTrailBuilder {
    fn len(&self) -> usize {
        self.event_time.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn finish(&mut self) -> RecordBatch {
        let mut s: Vec<ArrayRef> = self
            .strings
            .iter_mut()
            .map(|b| Arc::new(super::finish_sized(b)) as ArrayRef)
            .collect();
        // Schema order: the first 15 strings, mfa, error_code/error_message, read_only,
        // event_type, management_event, the rest.
        let rest = s.split_off(15);
        let mut rest = rest.into_iter();
        let mut cols: Vec<ArrayRef> = vec![timestamp_array(std::mem::take(&mut self.event_time))];
        cols.extend(s);
        cols.push(Arc::new(self.mfa.finish()));
        cols.push(rest.next().expect("error_code")); // 26 strings were built
        cols.push(rest.next().expect("error_message"));
        cols.push(Arc::new(self.read_only.finish()));
        cols.push(rest.next().expect("event_type"));
        cols.push(Arc::new(self.management.finish()));
        cols.extend(rest);
        cols.push(Arc::new(super::finish_sized(&mut self.source)));
        self.bytes = 0;
        // The column list mirrors `schema()` by construction; a mismatch is a bug that
        // the unit test below catches.
        RecordBatch::try_new(schema(), cols).expect("cloudtrail builder matches its schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    #[test]
    fn builder_fills_every_column_in_schema_order() {
        let mut b = CloudTrailBuilder::default();
        let row = CloudTrailRow {
            event_time: 1_700_000_000_000_000,
            event_id: Some("id"),
            event_name: Some("CreateUser"),
            principal_type: Some("IAMUser"),
            error_code: Some("AccessDenied"),
            event_type: Some("AwsApiCall"),
            mfa_authenticated: Some(true),
            read_only: Some(false),
            management_event: Some(true),
            user_identity: Some("{}"),
            source: "f@0",
            ..Default::default()
        };
        b.append(&row);
        b.append(&CloudTrailRow {
            source: "f@9",
            ..Default::default()
        });
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 2);
        let col = |n: &str| batch.column_by_name(n).unwrap().clone();
        assert_eq!(col("event_name").as_string::<i32>().value(0), "CreateUser");
        assert_eq!(col("principal_type").as_string::<i32>().value(0), "IAMUser");
        assert_eq!(
            col("error_code").as_string::<i32>().value(0),
            "AccessDenied"
        );
        assert_eq!(col("event_type").as_string::<i32>().value(0), "AwsApiCall");
        assert_eq!(col("user_identity").as_string::<i32>().value(0), "{}");
        assert!(col("mfa_authenticated").as_boolean().value(0));
        assert!(!col("read_only").as_boolean().value(0));
        assert!(col("management_event").as_boolean().value(0));
        assert!(col("event_name").is_null(1));
        assert_eq!(col("source").as_string::<i32>().value(1), "f@9");
        assert!(b.is_empty());
    }
}
