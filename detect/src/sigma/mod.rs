//! The Sigma rule engine: rule files parsed into rule documents, detection rules
//! compiled into predicate trees evaluated column by column over Arrow batches.
//!
//! ```text
//!  rule file ──parse_rules──► RuleDoc::Detection ──compile──► CompiledRule ──eval(BatchFields)──► BooleanArray
//!      │                      RuleDoc::Correlation ──────────► CorrelationSpec (for the correlator)
//!      └──lint_text / load_dir / resolve──► SigmaError (file:line: construct: message)
//! ```
//!
//! # Layout
//!
//! - [`document`]: files into YAML documents and [`RuleDoc`]s ([`parse_rules`]);
//!   metadata, `logsource`, and the [`DetectionRule`] type.
//! - [`detection`]: the `detection` section as written ([`Detection`], [`Selection`],
//!   [`FieldCond`]); [`condition`]: the condition grammar ([`Condition`]);
//!   [`modifiers`]: value modifiers ([`Modifier`]) and the value transformations.
//! - [`correlation`]: correlation documents ([`CorrelationRule`]) into
//!   [`CorrelationSpec`](crate::model::CorrelationSpec).
//! - [`tripline`]: the `tripline:` extensions ([`TriplineExt`], [`Timespan`]);
//!   [`ruletest`]: the `tests:` cases ([`RuleTest`]).
//! - `fields`: the field mapping, as data: Sigma names → columns and JSON paths.
//! - [`mod@compile`]: [`CompiledRule`], the predicate tree; `eval`: its masked, columnar
//!   evaluation; `matcher`: value tests (Aho-Corasick for substring lists); `json`:
//!   JSON paths walked without building values.
//! - [`batch`]: [`BatchFields`], a batch and its resolved field values, shared by all
//!   rules evaluated on it.
//! - [`lint`]: whole-set checks ([`resolve`]) and directory loading ([`load_dir`],
//!   [`lint_dir`]).
//! - [`error`]: the error type, [`SigmaError`].
//!
//! # Semantics
//!
//! Sigma's: strings match case-insensitively with `*`/`?` wildcards; a map ANDs its
//! fields, a list of maps ORs them, a list of values ORs them (ANDs with `|all`);
//! `null` means absent; keyword lists search the event's text and JSON columns. A
//! JSON path through an array holds when any element matches. Booleans compare as
//! `true`/`false`, numbers numerically. `base64`/`base64offset` values match
//! case-sensitively (encodings are). Unsupported constructs are errors, never silent.
//!
//! # Field names
//!
//! - `service: cloudtrail` rules use CloudTrail's names: `eventName`, `eventSource`,
//!   `awsRegion`, `sourceIPAddress`, `userAgent`, `errorCode`, `errorMessage`,
//!   `eventType`, `eventID`, `requestID`, `readOnly`, `managementEvent`,
//!   `eventCategory`, `vpcEndpointId`, `recipientAccountId`, `userIdentity.type`,
//!   `userIdentity.arn`, `userIdentity.userName`, … (each a column), and dotted paths
//!   below `requestParameters`, `responseElements`, `additionalEventData`, `resources`
//!   and `userIdentity` (into their JSON text); the bare names are the whole JSON text.
//!   Fields CloudTrail has but the table does not keep (`tlsDetails.*`, …) never have a
//!   value ([`CompiledRule::absent_fields`]).
//! - `service: lambda` rules use the `invocations` column names (`function_name`,
//!   `path`, `query`, `source_ip`, `user_agent`, `http_method`, `status_code`,
//!   `body_size`, `trigger`, …), `payload.<path>` into the event the function received
//!   (a JSON string on the way, such as an API Gateway `body`, is parsed), and
//!   `headers.<name>`; keys of both compare case-insensitively.
//! - Keyword lists search the text and JSON columns of the event (CloudTrail: names,
//!   agent, error, principal, IP, and the JSON documents; Lambda: payload, path, query,
//!   user agent, headers).

pub mod batch;
pub mod compile;
pub mod condition;
pub mod correlation;
pub mod detection;
pub mod document;
pub mod error;
mod eval;
mod fields;
mod json;
pub mod lint;
mod matcher;
pub mod modifiers;
mod pattern;
pub mod ruletest;
pub mod tripline;

#[cfg(test)]
mod tests;

pub use batch::BatchFields;
pub use compile::{compile, CompiledRule};
pub use condition::Condition;
pub use correlation::CorrelationRule;
pub use detection::{Detection, FieldCond, Selection, SigmaValue};
pub use document::{apply_generate, parse_rules, DetectionRule, RuleDoc};
pub use error::SigmaError;
pub use lint::{lint_dir, lint_text, load_dir, resolve, rule_files};
pub use modifiers::Modifier;
pub use ruletest::RuleTest;
pub use tripline::{Timespan, TriplineExt, WindowKind};
