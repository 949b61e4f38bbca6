//! From a matched event to the bytes the SOC receives.
//!
//! - [`aggregate`]: [`Aggregator`] folds the [`Hit`](crate::model::Hit)s of
//!   single-event rules into one [`Finding`] per (rule, group key, epoch-aligned
//!   window).
//! - [`uid`]: [`finding_uid`], the stable id of a finding (rule id, group key, window
//!   start), so replays and restarts re-emit the same uid.
//! - [`ocsf`]: [`to_ocsf`], a finding as an OCSF 1.3 Detection Finding (class 2004),
//!   secrets redacted.
//! - [`attack`]: the MITRE ATT&CK table behind `finding_info.attacks` (rule tags such
//!   as `attack.privilege_escalation`, `attack.t1078.004`).
//! - [`alerts`]: findings as rows of the lake's `alerts` table ([`to_batch`]) and of the
//!   `--format table` listing ([`to_table_row`]).
//!
//! Correlation rules have their own state machine in [`crate::correlate`]; suppression
//! is [`crate::suppress`].

pub mod aggregate;
pub mod alerts;
pub mod attack;
pub mod ocsf;
pub(crate) mod text;
pub mod uid;

#[cfg(test)]
pub(crate) mod fixtures;

pub use aggregate::Aggregator;
pub use alerts::{alerts_schema, to_batch, to_table_row, TABLE_HEADER};
pub use ocsf::{to_ocsf, write_lines};
pub use uid::finding_uid;

use crate::model::Finding;

/// `confidence` of a finding raised by a single-event Sigma rule: a rule match is
/// strong evidence that the activity happened, not that it was malicious.
pub const RULE_CONFIDENCE: u8 = 80;

/// `confidence` of a finding raised by a correlation rule: several matches in one
/// group and window make a benign explanation less likely than one match does.
pub const CORRELATION_CONFIDENCE: u8 = 85;

/// Sorts findings the way every stage outputs them: by first seen, then uid, so that
/// the same input always prints in the same order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.first_seen_us
            .cmp(&b.first_seen_us)
            .then_with(|| a.uid.cmp(&b.uid))
    });
}
