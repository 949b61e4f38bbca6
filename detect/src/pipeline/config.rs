//! [`PipelineConfig`]: everything a [`Pipeline`](super::Pipeline) is built from, resolved
//! by its caller (the CLI turns flags into it; the stream service a config file).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::anomaly::AnomalyConfig;
use crate::baseline::Baselines;
use crate::engine::{RuleSet, Selection};
use crate::model::Level;
use crate::suppress::Allowlist;

/// How the events fed to a pipeline are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputOrder {
    /// In event-time order across all tables, up to the detectors' lateness (the
    /// lake read through a time merge; a stream). Detectors see batches as they come.
    #[default]
    EventTime,
    /// Any order (log files read in parallel). Rules see batches as they come (they
    /// do not depend on order); detectors see them at the end of input, sorted by
    /// event time under a memory limit (spilling to disk beyond it).
    Any,
}

/// The resolved configuration of one [`Pipeline`](super::Pipeline).
pub struct PipelineConfig {
    /// The rules (detection and correlation) to run.
    pub rules: Arc<RuleSet>,
    /// Which of them run (rule tests run one; everything else all).
    pub selection: Selection,
    /// The behavioural detectors' settings; `None` runs rules only.
    pub anomaly: Option<AnomalyConfig>,
    /// Baselines for the detectors that need them; without, those detectors are
    /// skipped and said so in [`PipelineReport::notes`](super::PipelineReport::notes).
    pub baselines: Option<Arc<Baselines>>,
    /// Findings this allowlist matches are suppressed (and counted).
    pub allowlist: Option<Allowlist>,
    /// Findings below this level are not reported (and counted).
    pub min_level: Level,
    /// The date allowlist entries' expiry is checked against.
    pub now: DateTime<Utc>,
    /// How the input is ordered.
    pub order: InputOrder,
    /// Memory for sorting unordered input ([`InputOrder::Any`]) before the
    /// detectors; beyond it the sort spills to the OS temporary directory.
    pub sort_memory: usize,
}

/// Default [`PipelineConfig::sort_memory`]: 512 MiB.
pub const DEFAULT_SORT_MEMORY: usize = 512 << 20;

impl PipelineConfig {
    /// Every rule of `rules`, every detector without baselines, nothing suppressed.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        PipelineConfig {
            rules,
            selection: Selection::default(),
            anomaly: Some(AnomalyConfig::default()),
            baselines: None,
            allowlist: None,
            min_level: Level::Informational,
            now: Utc::now(),
            order: InputOrder::EventTime,
            sort_memory: DEFAULT_SORT_MEMORY,
        }
    }

    /// The lateness the detectors allow (µs): how far behind the newest event an
    /// event may arrive and still count.
    pub fn lateness_us(&self) -> i64 {
        let secs = self.anomaly.as_ref().map_or(0, |a| a.lateness_secs);
        i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
    }
}
