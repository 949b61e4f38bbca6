//! Statistical anomaly detectors: what rules cannot name — one attack template
//! sprayed across many short-lived invocations, a function suddenly invoked at twenty
//! times its usual rate, a role calling an API it never called.
//!
//! Detectors are batch-in operators ([`Detector`]): the caller hands each batch of
//! each table to every detector ([`Detector::process`]); a detector folds the batch
//! into per-window state and scores a window once it is complete — when the newest
//! event seen is `lateness_secs` past the window's end ([`Detector::advance`] lets a
//! stream drive that with its own watermark) or at the end of the input
//! ([`Detector::finish`]). Closed windows are dropped, so state stays bounded by the
//! open windows.
//!
//! Every detector is one operator, `windowed::Windowed`, around a `Scorer`: the
//! operator owns the tables read, the clock and its lateness, the windows and their
//! bound on entities, the pending findings and the assembly of a finding; the scorer
//! (one per file below) says what it folds per row and how it scores a closed
//! window.
//!
//! # Detectors (one file each)
//!
//! | id (`tripline.anomaly.*`) | file | needs baselines |
//! |---|---|---|
//! | `spray` | [`spray`] | no (rarity needs them; attack tokens do not) |
//! | `invocation_flood` | [`flood`] | yes |
//! | `error_spike` | [`error_spike`] | yes |
//! | `resource_outlier` | [`outlier`] | yes |
//! | `enumeration` | [`enumeration`] | no |
//! | `brute_force` | [`brute_force`] | no (baselines sharpen the expected failure rate) |
//! | `access_denied_spike` | [`access_denied`] | yes |
//! | `new_api` | [`new_api`] | yes |
//! | `exec_role_outside_lambda` | [`exec_role`] | no (baselines add the function's networks) |
//! | `unusual_region`, `unusual_service` | [`new_region`] | yes |
//!
//! Supporting modules: `windowed` (the operator `Windowed` and the `Scorer` trait),
//! [`config`] ([`AnomalyConfig`]), [`stats`] (tail probabilities, robust z,
//! corrections), [`families`] (attack tokens), [`sensitivity`] (sensitive APIs),
//! `window` (windows, the clock, contributing events, finding drafts), `groups` (the
//! per-window maps, one hash per lookup) and `events` (the columns each table
//! offers).
//!
//! Every finding explains itself: its message says observed against expected, the
//! p-value or score, and the top contributors; `Finding::stats` carries the numbers
//! under `expected`, `observed`, `p_value` / `score`, `baseline_window`,
//! `top_contributors` and `method`. Its uid is a blake3 hash of (detector id, group,
//! window start), stable across replays.

pub mod access_denied;
pub mod brute_force;
pub mod config;
pub mod enumeration;
pub mod error_spike;
mod events;
pub mod exec_role;
pub mod families;
pub mod flood;
mod groups;
pub mod new_api;
pub mod new_region;
pub mod outlier;
pub mod sensitivity;
pub mod spray;
pub mod stats;
mod window;
mod windowed;

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use tripline_ingest::Table;

use crate::baseline::Baselines;
use crate::error::DetectError;
use crate::model::{Finding, RuleInfo};

pub use config::{AnomalyConfig, Correction};

use config::Section;
use windowed::{Scorer, Windowed};

/// A streaming anomaly detector: batches in, findings out.
pub trait Detector: Send {
    /// The detector's short name (`spray`, `invocation_flood`…), for logs.
    fn name(&self) -> &'static str;

    /// Folds one batch of `table` into the detector's state. Tables the detector
    /// does not read are ignored. Windows that the newest event has left behind by
    /// more than the lateness are scored; their findings wait for the next
    /// [`Self::advance`] or [`Self::finish`].
    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError>;

    /// Scores every window that ends at or before `watermark_us` and returns the
    /// findings pending so far. Events for a closed window that arrive later are
    /// dropped.
    fn advance(&mut self, watermark_us: i64) -> Vec<Finding>;

    /// The end of the input: scores every open window and returns all pending
    /// findings.
    fn finish(&mut self) -> Vec<Finding>;
}

/// Settings every detector shares.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub(crate) baselines: Option<Arc<Baselines>>,
    pub(crate) correction: Correction,
    pub(crate) lateness_secs: u64,
    pub(crate) prior_hours: f64,
    pub(crate) max_entities: usize,
}

impl Common {
    fn new(b: Option<Arc<Baselines>>, cfg: &AnomalyConfig) -> Self {
        Common {
            baselines: b,
            correction: cfg.correction,
            lateness_secs: cfg.lateness_secs,
            prior_hours: cfg.profile_prior_hours.max(0.0),
            max_entities: cfg.max_entities.max(1),
        }
    }

    pub(crate) fn baselines(&self) -> Option<&Baselines> {
        self.baselines.as_deref()
    }
}

/// One entry of the detector catalogue.
struct Entry {
    name: &'static str,
    needs_baselines: bool,
    enabled: fn(&AnomalyConfig) -> bool,
    make: fn(Common, &AnomalyConfig) -> Box<dyn Detector>,
}

impl Entry {
    /// The detector that runs `S` in windows.
    fn of<S: Scorer>() -> Entry {
        Entry {
            name: S::NAME,
            needs_baselines: S::NEEDS_BASELINES,
            enabled: |cfg| S::Config::of(cfg).enabled(),
            make: Windowed::<S>::boxed,
        }
    }
}

fn catalogue() -> [Entry; 10] {
    [
        Entry::of::<spray::Spray>(),
        Entry::of::<flood::Flood>(),
        Entry::of::<error_spike::ErrorSpike>(),
        Entry::of::<outlier::Outlier>(),
        Entry::of::<enumeration::Enumeration>(),
        Entry::of::<brute_force::BruteForce>(),
        Entry::of::<access_denied::AccessDenied>(),
        Entry::of::<new_api::NewApi>(),
        Entry::of::<exec_role::ExecRole>(),
        Entry::of::<new_region::NewRegion>(),
    ]
}

/// The enabled detectors. Without baselines (`b` is `None`: the lake has no
/// `CURRENT`), the detectors that need them are skipped (logged; see [`skipped`]) and
/// the others work within the input alone.
pub fn detectors(b: Option<Arc<Baselines>>, cfg: &AnomalyConfig) -> Vec<Box<dyn Detector>> {
    let common = Common::new(b, cfg);
    let mut out = Vec::new();
    for entry in catalogue() {
        if !(entry.enabled)(cfg) {
            continue;
        }
        if entry.needs_baselines && common.baselines.is_none() {
            tracing::info!(
                detector = entry.name,
                "Skipped: no baselines (run `tripline baseline build`)."
            );
            continue;
        }
        out.push((entry.make)(common.clone(), cfg));
    }
    out
}

/// The detectors [`detectors`] leaves out, with the reason (`disabled` or `needs
/// baselines`), for the CLI to say so.
pub fn skipped(has_baselines: bool, cfg: &AnomalyConfig) -> Vec<(&'static str, &'static str)> {
    catalogue()
        .into_iter()
        .filter_map(|entry| {
            if !(entry.enabled)(cfg) {
                Some((entry.name, "disabled"))
            } else if entry.needs_baselines && !has_baselines {
                Some((entry.name, "needs baselines"))
            } else {
                None
            }
        })
        .collect()
}

/// The [`RuleInfo`] of every detector (for `rules list` and the OCSF analytic).
pub fn catalog() -> Vec<Arc<RuleInfo>> {
    vec![
        spray::rule(),
        flood::rule(),
        error_spike::rule(),
        outlier::rule(),
        enumeration::rule(),
        brute_force::rule(),
        access_denied::rule(),
        new_api::rule(),
        exec_role::rule(),
        new_region::region_rule(),
        new_region::service_rule(),
    ]
}

#[cfg(test)]
mod tests;
