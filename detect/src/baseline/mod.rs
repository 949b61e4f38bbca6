//! Behavioural baselines: what each principal, function and account normally does,
//! computed with DataFusion SQL over the lake and persisted beside it.
//!
//! Rules catch what can be named; baselines let the detectors of
//! [`crate::anomaly`] score what only stands out against an entity's own history — a
//! function invoked at twenty times its usual Tuesday-morning rate, a CI role calling
//! `iam:CreateAccessKey` for the first time.
//!
//! # Layout on disk
//!
//! ```text
//! <lake>/_baselines/CURRENT               "v1718000000": the newest complete version
//! <lake>/_baselines/v<unix_ts>/meta.json  BaselineMeta: version, time range, rows
//! <lake>/_baselines/v<unix_ts>/<table>.parquet   one file per table of sql::TABLES
//! ```
//!
//! The `_` prefix keeps the directory out of the lake's table listing. The layout, the
//! version directories, `CURRENT` and the atomic writes are the lake's
//! ([`tripline_ingest::lake::versions`], [`tripline_ingest::lake::commit`]): every
//! file is written under a temporary name and renamed when complete, and `CURRENT` is
//! written last (also by rename), so a reader sees either the previous version or the
//! new one, never a partial build.
//!
//! # Modules
//!
//! - [`keys`]: networks, user-agent families, "access denied" — one definition for
//!   SQL (as UDFs) and for the detectors.
//! - [`sql`]: the query of each table and its conventions (principal key, hour of
//!   week, rates counting empty buckets).
//! - `build`: [`build`] runs the queries under the session's memory limit (operators
//!   spill rather than fail), streams each result into Parquet, writes `meta.json` and
//!   `CURRENT`.
//! - [`store`]: [`load`] reads `CURRENT` into [`Baselines`].
//! - [`types`]: [`Baselines`], hash maps keyed by principal, function and account,
//!   and the statistics they hold, for scoring.

mod build;
pub mod keys;
pub mod sql;
pub mod store;
pub mod types;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lake::LakeOptions;

pub use build::build;
pub use store::{load, load_version};
pub use types::{
    AccountBaseline, Activity, ApiStats, Baselines, Expected, FunctionBaseline, PrincipalBaseline,
    Robust, RuntimeBaseline, ShapeFrequency,
};

/// The directory of all baseline versions of a lake (the lake's layout decides it).
pub fn baselines_dir(lake: &Path) -> PathBuf {
    tripline_ingest::lake::layout::baselines_dir(lake)
}

/// The file naming the current version.
pub use tripline_ingest::lake::versions::CURRENT;

/// The metadata file of a version.
pub const META: &str = "meta.json";

/// Version of the on-disk layout, bumped when a table changes incompatibly.
pub const FORMAT: u32 = 1;

/// Default number of payload shapes kept per function (the most frequent).
pub const DEFAULT_TOP_SHAPES: usize = 200;

/// A half-open time range `[start, end)`, µs since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// First µs covered.
    pub start_us: i64,
    /// First µs after the range.
    pub end_us: i64,
}

impl TimeRange {
    /// `[start_us, end_us)`.
    pub fn new(start_us: i64, end_us: i64) -> Self {
        TimeRange { start_us, end_us }
    }

    /// The range as RFC 3339 `(start, end)`, for messages and findings.
    pub fn rfc3339(&self) -> (String, String) {
        (sql::literal(self.start_us), sql::literal(self.end_us))
    }
}

/// Parses a time bound of `--from`/`--to`: RFC 3339 (`2024-03-01T10:00:00Z`,
/// `…+02:00`), a date-time without zone (taken as UTC), or a date (its midnight UTC).
/// Returns µs since the epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    Err(format!(
        "{text:?} is not a time: use RFC 3339 (2024-03-01T10:00:00Z) or a date (2024-03-01)"
    ))
}

/// How to build baselines.
#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// Only events at or after this time (µs); `None`: from the first event.
    pub from_us: Option<i64>,
    /// Only events before this time (µs); `None`: through the last event.
    pub to_us: Option<i64>,
    /// The query session's options: its memory limit (operators spill to disk beyond
    /// it) and spill directory.
    pub lake: LakeOptions,
    /// Payload shapes kept per function, the most frequent first.
    pub top_shapes: usize,
    /// The build time (µs), which names the version; `None`: now. Tests pin it.
    pub now_us: Option<i64>,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            from_us: None,
            to_us: None,
            lake: LakeOptions::default(),
            top_shapes: DEFAULT_TOP_SHAPES,
            now_us: None,
        }
    }
}

/// `meta.json` of a version: what it covers and holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineMeta {
    /// [`FORMAT`] of the writer.
    pub format: u32,
    /// The version, e.g. `v1718000000` (also the directory name).
    pub version: String,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// When it was built, µs.
    pub built_at_us: i64,
    /// The events it covers; `None` when the lake held none.
    pub time_range: Option<TimeRange>,
    /// Rows per table.
    pub rows: BTreeMap<String, u64>,
    /// Payload shapes kept per function.
    pub top_shapes: usize,
    /// The memory limit the queries ran under, bytes.
    pub memory_limit: usize,
}

/// What [`build`] did, for the CLI to print.
#[derive(Debug, Clone)]
pub struct BaselineSummary {
    /// The version's metadata (also written to `meta.json`).
    pub meta: BaselineMeta,
    /// The version's directory.
    pub dir: PathBuf,
    /// Wall-clock time of the build.
    pub elapsed: Duration,
}

#[cfg(test)]
pub(crate) mod tests;
