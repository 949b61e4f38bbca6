//! The corpus's ground truth: `labels.jsonl` (one [`Label`] per attack instance) and
//! `manifest.json` ([`Manifest`]). Both deserialise, so `tripline eval` reads them
//! with the same types.
//!
//! A label lists the ids of every event the attack produced (`event_uids`: CloudTrail
//! `eventID`s and invocation `request_id`s — the Lambda request id, or the API
//! Gateway request id when the function was never invoked) and the entities it used;
//! benign events never appear in a label.

use serde::{Deserialize, Serialize};

/// One attack instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Scenario name (`passrole_escalation`).
    pub scenario: String,
    /// Unique in the corpus: `<scenario>-<seed>-<n>`.
    pub attack_id: String,
    /// ATT&CK technique id (`T1078.004`).
    pub technique: String,
    /// ATT&CK tactic (`privilege-escalation`).
    pub tactic: String,
    /// What the attacker does.
    pub description: String,
    /// First event, RFC 3339.
    pub start: String,
    /// Last event, RFC 3339.
    pub end: String,
    /// Start of the attack day: everything before is benign history.
    pub detect_from: String,
    /// Who and what the attack used.
    pub entities: LabelEntities,
    /// Ids of the attack's events (CloudTrail `eventID`, invocation `request_id`).
    pub event_uids: Vec<String>,
    /// Signals expected to catch it (`rule:…`, `detector:…`).
    pub expected: Vec<String>,
}

/// Entities of an attack.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelEntities {
    /// Principal ARN (user, assumed-role session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Source addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    /// Function name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

/// A time range, RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Inclusive start.
    pub start: String,
    /// Exclusive end.
    pub end: String,
}

/// What the corpus holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The seed.
    pub seed: u64,
    /// Days of benign history before the attack day.
    pub days: u32,
    /// Benign volume multiplier.
    pub scale: f64,
    /// Scenarios in the corpus.
    pub scenarios: Vec<String>,
    /// Benign events: CloudTrail records plus requests to functions.
    pub benign_events: u64,
    /// Benign CloudTrail records.
    pub benign_cloudtrail: u64,
    /// Benign requests to functions.
    pub benign_invocations: u64,
    /// Events in labels.
    pub attack_events: u64,
    /// Log records written in all (CloudTrail records, Lambda log lines, access logs).
    pub records: u64,
    /// Files written (besides labels and manifest).
    pub files: u64,
    /// The whole corpus.
    pub time_range: TimeRange,
    /// Start of the attack day.
    pub detect_from: String,
    /// AWS accounts of the simulated organisation.
    pub accounts: Vec<String>,
    /// Functions of the simulated organisation.
    pub functions: Vec<String>,
}
