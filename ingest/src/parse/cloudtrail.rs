//! CloudTrail events, on the ingest hot path.
//!
//! One typed `serde` pass over the record borrows every string it can from the input
//! buffer and keeps nested documents (`requestParameters`, …) as raw JSON text, so a
//! CloudTrail event costs one parse and no intermediate `serde_json::Value`. The same
//! struct carries the few keys that identify the *other* input forms (containers,
//! EventBridge envelopes, CloudWatch Logs payloads), so recognising a record does not
//! cost a second parse either.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::identity::with_identity;
use super::str::{flex_bool, Str};
use super::time;
use crate::error::RecordError;
use crate::redact;
use crate::table::{CloudTrailBuilder, CloudTrailRow};

const FORM: &str = "CloudTrail event";

/// The top-level keys of any JSON record: CloudTrail fields plus the keys that identify
/// envelopes. Unknown keys are ignored.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Probe<'a> {
    /// `eventTime`.
    #[serde(borrow)]
    pub event_time: Option<Str<'a>>,
    /// `@timestamp`, written by Logstash/Filebeat re-exports instead of `eventTime`.
    #[serde(borrow, rename = "@timestamp")]
    pub at_timestamp: Option<Str<'a>>,
    /// `eventSource`: `*.amazonaws.com` for CloudTrail, `aws:sqs` etc. for Lambda records.
    #[serde(borrow)]
    pub event_source: Option<Str<'a>>,
    /// `eventName`.
    #[serde(borrow)]
    pub event_name: Option<Str<'a>>,
    /// `eventID`.
    #[serde(borrow, rename = "eventID")]
    pub event_id: Option<Str<'a>>,
    /// `awsRegion`.
    #[serde(borrow)]
    pub aws_region: Option<Str<'a>>,
    /// `sourceIPAddress`.
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip_address: Option<Str<'a>>,
    /// `userAgent`.
    #[serde(borrow)]
    pub user_agent: Option<Str<'a>>,
    /// `errorCode`.
    #[serde(borrow)]
    pub error_code: Option<Str<'a>>,
    /// `errorMessage`.
    #[serde(borrow)]
    pub error_message: Option<Str<'a>>,
    /// `requestID`.
    #[serde(borrow, rename = "requestID")]
    pub request_id: Option<Str<'a>>,
    /// `eventType`.
    #[serde(borrow)]
    pub event_type: Option<Str<'a>>,
    /// `eventCategory`.
    #[serde(borrow)]
    pub event_category: Option<Str<'a>>,
    /// `recipientAccountId`.
    #[serde(borrow)]
    pub recipient_account_id: Option<Str<'a>>,
    /// `vpcEndpointId`.
    #[serde(borrow)]
    pub vpc_endpoint_id: Option<Str<'a>>,
    /// `readOnly` (boolean, sometimes a string).
    #[serde(borrow)]
    pub read_only: Option<&'a RawValue>,
    /// `managementEvent`.
    #[serde(borrow)]
    pub management_event: Option<&'a RawValue>,
    /// `userIdentity`.
    #[serde(borrow)]
    pub user_identity: Option<&'a RawValue>,
    /// `requestParameters`.
    #[serde(borrow)]
    pub request_parameters: Option<&'a RawValue>,
    /// `responseElements`.
    #[serde(borrow)]
    pub response_elements: Option<&'a RawValue>,
    /// `resources`.
    #[serde(borrow)]
    pub resources: Option<&'a RawValue>,
    /// `additionalEventData`.
    #[serde(borrow)]
    pub additional_event_data: Option<&'a RawValue>,
    /// `Records`: a CloudTrail delivery file, or an SQS/SNS/S3 Lambda event.
    #[serde(borrow, rename = "Records")]
    pub records: Option<&'a RawValue>,
    /// `detail-type` of an EventBridge envelope.
    #[serde(borrow, rename = "detail-type")]
    pub detail_type: Option<Str<'a>>,
    /// `detail` of an EventBridge envelope.
    #[serde(borrow)]
    pub detail: Option<&'a RawValue>,
    /// `awslogs` of a CloudWatch Logs subscription payload (`{"data": base64 gzip}`).
    #[serde(borrow)]
    pub awslogs: Option<&'a RawValue>,
    /// `messageType` of a decoded CloudWatch Logs payload.
    #[serde(borrow)]
    pub message_type: Option<Str<'a>>,
    /// `logEvents` of a decoded CloudWatch Logs payload.
    #[serde(borrow)]
    pub log_events: Option<&'a RawValue>,
    /// `logGroup` of a decoded CloudWatch Logs payload.
    #[serde(borrow)]
    pub log_group: Option<Str<'a>>,
    /// `owner` (account) of a decoded CloudWatch Logs payload.
    #[serde(borrow)]
    pub owner: Option<Str<'a>>,
    /// `digestStartTime`: present in CloudTrail digest files, which hold no events.
    #[serde(borrow)]
    pub digest_start_time: Option<&'a RawValue>,
}

impl Probe<'_> {
    /// True when the record is a CloudTrail event: an `eventName` and an `eventSource`
    /// that is an AWS service endpoint (Lambda trigger records use `aws:sqs` etc.).
    pub fn is_cloudtrail(&self) -> bool {
        self.event_name.is_some()
            && self.event_source.as_ref().is_some_and(|s| {
                s.as_str().ends_with(".amazonaws.com") || s.as_str().ends_with(".aws.internal")
            })
    }
}

fn s<'a>(v: &'a Option<Str<'_>>) -> Option<&'a str> {
    v.as_ref().map(Str::as_str)
}

/// JSON text of a nested document; `null` becomes a SQL NULL.
fn json(v: Option<&RawValue>) -> Option<&str> {
    v.map(RawValue::get).filter(|t| *t != "null")
}

/// Appends the CloudTrail event `p` to `out`.
pub fn append(p: &Probe<'_>, source: &str, out: &mut CloudTrailBuilder) -> Result<(), RecordError> {
    let when = p
        .event_time
        .as_ref()
        .or(p.at_timestamp.as_ref())
        .ok_or_else(|| RecordError::field(FORM, "`eventTime` (or `@timestamp`)"))?;
    let event_time = time::parse(when.as_str()).ok_or_else(|| {
        RecordError::field(
            FORM,
            format!("`eventTime` as an ISO 8601 time, got {:?}", when.as_str()),
        )
    })?;
    let request_parameters = json(p.request_parameters).map(redact::json_text);
    let response_elements = json(p.response_elements).map(redact::json_text);
    let additional = json(p.additional_event_data).map(redact::json_text);
    with_identity(json(p.user_identity), |identity| {
        fn id(v: &Option<Box<str>>) -> Option<&str> {
            v.as_deref()
        }
        let arn = id(&identity.arn);
        // An assumed-role ARN ends in `/<role>/<session>`: the session name is the part
        // responders pivot on (often the function name or the CI job).
        let session_name = arn
            .filter(|a| a.contains(":assumed-role/"))
            .and_then(|a| a.rsplit('/').next());
        out.append(&CloudTrailRow {
            event_time,
            event_id: s(&p.event_id),
            event_source: s(&p.event_source),
            event_name: s(&p.event_name),
            aws_region: s(&p.aws_region),
            account_id: s(&p.recipient_account_id).or(id(&identity.account_id)),
            source_ip: s(&p.source_ip_address),
            user_agent: s(&p.user_agent),
            principal_type: id(&identity.kind),
            principal_arn: arn.or(id(&identity.invoked_by)),
            principal_id: id(&identity.principal_id),
            user_name: id(&identity.user_name),
            access_key_id: id(&identity.access_key_id),
            session_issuer_arn: id(&identity.issuer_arn),
            session_name,
            invoked_by: id(&identity.invoked_by),
            mfa_authenticated: identity.mfa_authenticated,
            error_code: s(&p.error_code),
            error_message: s(&p.error_message),
            read_only: flex_bool(p.read_only),
            event_type: s(&p.event_type),
            management_event: flex_bool(p.management_event),
            event_category: s(&p.event_category),
            request_id: s(&p.request_id),
            vpc_endpoint_id: s(&p.vpc_endpoint_id),
            request_parameters: request_parameters.as_deref(),
            response_elements: response_elements.as_deref(),
            resources: json(p.resources),
            additional_event_data: additional.as_deref(),
            user_identity: json(p.user_identity),
            source,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;
    use arrow::array::{Array, AsArray};

    fn one(json: &str) -> Result<arrow::record_batch::RecordBatch, RecordError> {
        let p: Probe = serde_json::from_str(json).unwrap();
        assert!(p.is_cloudtrail());
        let mut b = CloudTrailBuilder::default();
        append(&p, "t@0", &mut b)?;
        Ok(b.finish())
    }

    #[test]
    fn assumed_role_session_is_flattened() {
        let b = one(r#"{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"lambda.amazonaws.com",
            "eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9",
            "userIdentity":{"type":"AssumedRole","principalId":"AROAX:ci-job","arn":"arn:aws:sts::111122223333:assumed-role/deployer/ci-job",
              "accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/deployer"},
              "attributes":{"mfaAuthenticated":"false","creationDate":"2024-03-01T09:00:00Z"}}},
            "requestParameters":{"functionName":"orders"},"responseElements":null,"readOnly":false,"eventID":"e1","recipientAccountId":"111122223333"}"#)
        .unwrap();
        let c = |n: &str| b.column_by_name(n).unwrap().clone();
        assert_eq!(c("session_name").as_string::<i32>().value(0), "ci-job");
        assert_eq!(
            c("session_issuer_arn").as_string::<i32>().value(0),
            "arn:aws:iam::111122223333:role/deployer"
        );
        assert_eq!(
            c("access_key_id").as_string::<i32>().value(0),
            "ASIAEXAMPLE"
        );
        assert!(!c("mfa_authenticated").as_boolean().value(0));
        assert!(c("response_elements").is_null(0));
        assert_eq!(
            c("request_parameters").as_string::<i32>().value(0),
            r#"{"functionName":"orders"}"#
        );
    }

    #[test]
    fn service_principal_and_error_without_message() {
        let b = one(r#"{"eventTime":"2024-03-01T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"errorCode":"AccessDenied","requestParameters":null}"#)
        .unwrap();
        let c = |n: &str| b.column_by_name(n).unwrap().clone();
        assert_eq!(
            c("principal_arn").as_string::<i32>().value(0),
            "lambda.amazonaws.com"
        );
        assert_eq!(c("error_code").as_string::<i32>().value(0), "AccessDenied");
        assert!(c("error_message").is_null(0));
        assert!(c("request_parameters").is_null(0));
    }

    #[test]
    fn missing_or_bad_time_names_the_field() {
        let e = one(r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#).unwrap_err();
        assert!(e.to_string().contains("eventTime"), "{e}");
        let e = one(
            r#"{"eventTime":"yesterday","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("yesterday"), "{e}");
    }

    #[test]
    fn logstash_timestamp_is_accepted() {
        let b = one(r#"{"@timestamp":"2024-03-01T10:00:00.000Z","@version":"1","eventSource":"iam.amazonaws.com","eventName":"ListUsers"}"#).unwrap();
        assert_eq!(b.num_rows(), 1);
    }

    #[test]
    fn secrets_in_response_are_redacted() {
        let b = one(r#"{"eventTime":"2024-03-01T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken",
            "responseElements":{"credentials":{"accessKeyId":"ASIAKEEP","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","expiration":"x"}}}"#)
        .unwrap();
        let r = b
            .column_by_name("response_elements")
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string();
        assert!(r.contains("ASIAKEEP") && !r.contains("IQoJ"), "{r}");
    }
}
