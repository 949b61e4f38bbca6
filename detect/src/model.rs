//! The types the detection side passes between its stages: what a rule is
//! ([`RuleInfo`]), one event that matched ([`Hit`], with its [`EventContext`]), and
//! what the SOC receives ([`Finding`]).
//!
//! ```text
//!  sigma::CompiledRule ──(rows that match)──► Hit ──► finding::Aggregator  (stateless rules)
//!                                               └──► correlate::Correlator (correlation rules)
//!                                                          │
//!  anomaly detectors ────────────────────────────────────► Finding ──► suppress ──► ocsf / sinks
//! ```
//!
//! Stages agree on these types only, so the batch command (`tripline detect`) and the
//! streaming service (`tripline run`) share every stage after parsing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Sigma rule level, the finding's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational: context, not an alert on its own.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Level {
    /// Name as written in rules (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// OCSF `severity_id` (1 informational … 5 critical).
    pub fn severity_id(self) -> u8 {
        match self {
            Level::Informational => 1,
            Level::Low => 2,
            Level::Medium => 3,
            Level::High => 4,
            Level::Critical => 5,
        }
    }

    /// OCSF `severity` caption.
    pub fn severity(self) -> &'static str {
        match self {
            Level::Informational => "Informational",
            Level::Low => "Low",
            Level::Medium => "Medium",
            Level::High => "High",
            Level::Critical => "Critical",
        }
    }
}

/// Which table a rule reads: its Sigma `logsource.service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// `service: cloudtrail` → the `cloudtrail` table.
    CloudTrail,
    /// `service: lambda` → the `invocations` table.
    Lambda,
}

/// What findings need to know about the rule (or detector) that raised them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// Sigma `id` (a UUID for published rules), the OCSF `analytic.uid`.
    pub id: String,
    /// Sigma `name` when present (correlation rules refer to rules by it).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: String,
    /// `level`.
    pub level: Level,
    /// `tags`, e.g. `attack.privilege_escalation`, `attack.t1078.004`.
    pub tags: Vec<String>,
    /// `falsepositives`: what benign activity can fire it.
    pub falsepositives: Vec<String>,
    /// The file it was loaded from (or `embedded:<path>`), for messages.
    pub path: String,
    /// Which table it reads; `None` for correlations and detectors.
    pub service: Option<Service>,
    /// `rule`, `correlation` or `anomaly`: the OCSF `analytic.type`.
    pub kind: &'static str,
}

/// The actor, target and place of one event, pulled out of its row so that findings
/// can name them without going back to the batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventContext {
    /// AWS account.
    pub account: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// Principal ARN (CloudTrail `userIdentity.arn`; for invocations the
    /// authenticated principal, if any).
    pub principal: Option<String>,
    /// `userIdentity.type`.
    pub principal_type: Option<String>,
    /// The role behind an assumed-role session.
    pub session_issuer: Option<String>,
    /// Access key id.
    pub access_key: Option<String>,
    /// Caller IP.
    pub source_ip: Option<String>,
    /// Caller user agent.
    pub user_agent: Option<String>,
    /// Function name (invocations), or the function a CloudTrail call targets.
    pub function: Option<String>,
    /// `eventSource` (CloudTrail) or trigger (invocations).
    pub service: Option<String>,
    /// `eventName` (CloudTrail) or `METHOD path` (invocations).
    pub operation: Option<String>,
    /// Resources the event names (ARNs or names), bounded.
    pub resources: Vec<String>,
}

/// One event that matched one detection rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The rule that matched.
    #[serde(skip)]
    pub rule: Arc<RuleInfo>,
    /// Event time, µs since the epoch (UTC).
    pub time_us: i64,
    /// The event's id: CloudTrail `eventID`, invocation `request_id` (else the
    /// trigger's). Duplicates of one event (a replayed file) share it.
    pub event_uid: String,
    /// Values of the fields findings are grouped by, in the rule's `group-by` order
    /// (field name as written in the rule → value; `None` when the event lacks it).
    pub group: Vec<(String, Option<String>)>,
    /// For `value_count` correlations: the value of the counted field.
    pub value: Option<String>,
    /// Actor, target, place.
    pub context: EventContext,
    /// The event as JSON (canonical columns, JSON columns parsed), for evidence;
    /// [`Evidence::NONE`] when the engine did not keep this event whole.
    pub evidence: Evidence,
}

/// One event kept as evidence, as JSON text: parsed into a document
/// ([`Evidence::to_value`]) only for the few events a finding keeps. Correlations buffer
/// many candidate events until the end of input and keep five of each episode, so
/// building a document for every candidate would be wasted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence(Option<Arc<str>>);

impl Evidence {
    /// No evidence.
    pub const NONE: Evidence = Evidence(None);

    /// Evidence from a JSON document's text. The caller vouches that `text` is valid
    /// JSON (sinks embed it as it is); a document spread over several lines is made
    /// compact, so that it cannot break a JSON-lines output.
    pub fn from_json_text(text: String) -> Self {
        debug_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok());
        if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
            return match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => v.into(),
                Err(_) => serde_json::Value::String(text).into(),
            };
        }
        Evidence(Some(text.into()))
    }

    /// True when there is none.
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    /// The JSON text, one line (no newline in it), if any.
    pub fn json_text(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The document (`Null` when none).
    pub fn to_value(&self) -> serde_json::Value {
        match &self.0 {
            None => serde_json::Value::Null,
            Some(text) => serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_string())),
        }
    }
}

impl From<serde_json::Value> for Evidence {
    fn from(v: serde_json::Value) -> Self {
        // Compact serialisation: one line, whatever the document.
        if v.is_null() {
            Evidence::NONE
        } else {
            Evidence(Some(v.to_string().into()))
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

/// One finding: a rule, correlation or detector firing for one group in one window.
/// Serialised to OCSF Detection Finding by `finding::ocsf`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: a hash of (rule id, group key, window start), so a replay of the same
    /// input gives the same uid.
    pub uid: String,
    /// The rule or detector.
    pub rule: Arc<RuleInfo>,
    /// Severity (the rule's level, or the detector's scoring).
    pub level: Level,
    /// 0–100.
    pub confidence: u8,
    /// One-line description of this occurrence (e.g. "42 AccessDenied across 9
    /// services by arn:… in 5 min").
    pub message: String,
    /// The group key: field → value.
    pub group: BTreeMap<String, String>,
    /// Start of the window (µs), part of the uid.
    pub window_start_us: i64,
    /// First contributing event (µs).
    pub first_seen_us: i64,
    /// Last contributing event (µs).
    pub last_seen_us: i64,
    /// Contributing events in all.
    pub count: u64,
    /// Contributing event ids, bounded (the first [`MAX_RELATED`]).
    pub related: Vec<String>,
    /// Contributing events, bounded (the first [`MAX_EVIDENCE`]), kept as JSON text:
    /// sinks that write JSON embed the text as it is instead of building documents.
    pub evidence: Vec<Evidence>,
    /// Actor and place, from the first contributing event.
    pub context: EventContext,
    /// Detector statistics: expected, observed, score / p-value, baseline window, top
    /// contributors (OCSF `anomaly_analyses` and `unmapped`).
    pub stats: BTreeMap<String, serde_json::Value>,
}

/// How many event ids a finding lists in `related_events`.
pub const MAX_RELATED: usize = 50;
/// How many events a finding carries as evidence.
pub const MAX_EVIDENCE: usize = 5;

/// The kind of a Sigma correlation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationKind {
    /// Count of matching events per group in the timespan.
    EventCount,
    /// Count of distinct values of a field per group in the timespan.
    ValueCount,
    /// All referenced rules matched (any order) per group within the timespan.
    Temporal,
    /// All referenced rules matched in the order listed, within the timespan.
    TemporalOrdered,
}

/// A comparison in a correlation `condition` (`gte: 10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `==`
    Eq,
    /// `!=`
    Neq,
}

/// How a correlation's window moves (documented per rule under `tripline: window:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowMode {
    /// Default: any `timespan`-long interval, so a burst straddling a bucket boundary
    /// is never missed.
    Sliding,
    /// Fixed buckets aligned to the epoch.
    Tumbling,
    /// A window that stays open while events keep arriving less than `gap_us` apart
    /// (and at most `timespan` long).
    Session {
        /// Largest gap between two events of one session.
        gap_us: i64,
    },
}

/// A Sigma correlation rule, resolved: what the correlator needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelationSpec {
    /// The correlation rule itself.
    pub info: Arc<RuleInfo>,
    /// Its kind.
    pub kind: CorrelationKind,
    /// The rules it correlates, by `id` or `name` as written.
    pub rules: Vec<String>,
    /// `group-by` fields (Sigma field names).
    pub group_by: Vec<String>,
    /// `timespan`, µs.
    pub timespan_us: i64,
    /// `condition` comparisons, all of which must hold (`gte: 10` and `lt: 100`).
    pub condition: Vec<(CmpOp, u64)>,
    /// `condition.field` of `value_count`.
    pub value_field: Option<String>,
    /// Window semantics (`tripline: window:`; default sliding).
    pub window: WindowMode,
    /// How late (µs, by event time) an event may arrive and still count
    /// (`tripline: lateness:`; default 5 minutes). Batch input is sorted, so lateness
    /// matters to the streaming service only.
    pub lateness_us: i64,
    /// Sigma `generate`: whether the referenced rules also raise findings of their own.
    pub generate: bool,
}
