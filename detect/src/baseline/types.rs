//! The in-memory baselines the detectors score against: [`Baselines`], hash maps
//! of [`PrincipalBaseline`], [`FunctionBaseline`] and [`AccountBaseline`], and the
//! statistics they hold ([`Activity`] rates with an hour-of-week profile, [`Robust`]
//! distributions, per-API [`ApiStats`]).
//!
//! Maps are keyed by `String` and looked up by `&str` (no allocation per event); the
//! API map of a principal is nested (`event_source` → `event_name`) for the same
//! reason.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::sql::hour_of_week;
use super::{BaselineMeta, TimeRange};

/// A count process in fixed buckets (hours or minutes): its mean and variance per
/// bucket, empty buckets included, and its hour-of-week profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Bucket width, seconds (3600 for principals, 60 for functions).
    pub bucket_secs: i64,
    /// First bucket with activity (epoch buckets).
    pub first_bucket: i64,
    /// Buckets from the first through the end of the baseline range.
    pub span_buckets: u64,
    /// Buckets with at least one event.
    pub active_buckets: u64,
    /// Events in all.
    pub total: u64,
    /// Largest count of one bucket.
    pub max_per_bucket: u64,
    /// Mean events per bucket.
    pub mean: f64,
    /// Sample variance of events per bucket.
    pub variance: f64,
    /// Events per hour of the week (168 buckets, 0 = Monday 00:00 UTC).
    pub profile: Vec<f64>,
    /// Hours of each hour-of-week bucket within the span: the profile's denominator.
    pub profile_hours: Vec<u32>,
}

/// What a window is expected to hold under a baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// Expected count.
    pub mean: f64,
    /// Variance of the count: at least `mean` (Poisson), more for a bursty entity.
    pub variance: f64,
}

impl Activity {
    /// A process with no hour-of-week profile yet (filled by the loader).
    pub(crate) fn new(bucket_secs: i64, first_bucket: i64, span: u64) -> Self {
        Activity {
            bucket_secs,
            first_bucket,
            span_buckets: span,
            active_buckets: 0,
            total: 0,
            max_per_bucket: 0,
            mean: 0.0,
            variance: 0.0,
            profile: vec![0.0; 168],
            profile_hours: profile_hours(first_bucket * bucket_secs / 3600, span, bucket_secs),
        }
    }

    /// A process with the same rate at every hour of the week: `mean` events per
    /// bucket of `bucket_secs`, with `variance`, over `span` buckets from
    /// `first_bucket`. For simulations and tests; built baselines come from
    /// [`super::load`].
    pub fn uniform(
        bucket_secs: i64,
        first_bucket: i64,
        span: u64,
        mean: f64,
        variance: f64,
    ) -> Self {
        let mut a = Activity::new(bucket_secs, first_bucket, span);
        a.mean = mean;
        a.variance = variance;
        a.total = (mean * span as f64).round() as u64;
        a.active_buckets = span;
        let per_hour = a.mean_per_hour();
        for (slot, hours) in a.profile.iter_mut().zip(&a.profile_hours) {
            *slot = per_hour * f64::from(*hours);
        }
        a
    }

    /// Mean events per hour over the span.
    pub fn mean_per_hour(&self) -> f64 {
        self.mean * 3600.0 / self.bucket_secs as f64
    }

    /// Over-dispersion: bucket variance over bucket mean, at least 1 (Poisson).
    pub fn dispersion(&self) -> f64 {
        if self.mean > 0.0 {
            (self.variance / self.mean).max(1.0)
        } else {
            1.0
        }
    }

    /// Events expected in `[start_us, start_us + width_us)`: for each hour the window
    /// covers, the hour-of-week rate shrunk toward the overall rate with the weight
    /// of `prior_hours` hours (so a bucket seen once or never does not decide
    /// alone), times the fraction of the hour covered. The variance scales the mean
    /// by the baseline's [`Self::dispersion`].
    pub fn expected(&self, start_us: i64, width_us: i64, prior_hours: f64) -> Expected {
        const HOUR: i64 = 3_600_000_000;
        let overall = self.mean_per_hour();
        let end = start_us + width_us.max(0);
        let mut mean = 0.0;
        let mut t = start_us;
        while t < end {
            let hour = t.div_euclid(HOUR);
            let hour_end = ((hour + 1) * HOUR).min(end);
            let b = hour_of_week(hour);
            let seen = f64::from(self.profile_hours.get(b).copied().unwrap_or(0));
            let events = self.profile.get(b).copied().unwrap_or(0.0);
            let rate = (events + prior_hours * overall) / (seen + prior_hours).max(1e-9);
            mean += rate * (hour_end - t) as f64 / HOUR as f64;
            t = hour_end;
        }
        Expected {
            mean,
            variance: mean * self.dispersion(),
        }
    }
}

/// How many hours of each hour-of-week bucket fall in `span` buckets of
/// `bucket_secs` starting at epoch hour `first_hour`.
fn profile_hours(first_hour: i64, span: u64, bucket_secs: i64) -> Vec<u32> {
    let hours = (span as i64 * bucket_secs).div_euclid(3600).max(1) as u64;
    let weeks = (hours / 168) as u32;
    let rest = hours % 168;
    let mut out = vec![weeks; 168];
    for k in 0..rest as i64 {
        out[hour_of_week(first_hour + k)] += 1;
    }
    out
}

/// Calls of one API by one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiStats {
    /// Calls.
    pub events: u64,
    /// Calls with an error code.
    pub errors: u64,
    /// Calls denied for lack of permission.
    pub access_denied: u64,
    /// First call, µs.
    pub first_seen_us: i64,
    /// Last call, µs.
    pub last_seen_us: i64,
}

/// One principal (a role, user or service): what it calls, how often, from where.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalBaseline {
    /// Its account.
    pub account: Option<String>,
    /// Calls in all.
    pub events: u64,
    /// Calls with an error code.
    pub errors: u64,
    /// Calls denied for lack of permission.
    pub access_denied: u64,
    /// First call, µs.
    pub first_seen_us: i64,
    /// Last call, µs.
    pub last_seen_us: i64,
    /// Calls per hour.
    pub hourly: Activity,
    /// `event_source` → `event_name` → stats.
    pub apis: HashMap<String, HashMap<String, ApiStats>>,
    /// Source networks at /16 (and `aws-internal`) → calls.
    pub networks16: HashMap<String, u64>,
    /// Source networks at /24 → calls.
    pub networks24: HashMap<String, u64>,
    /// User-agent families → calls.
    pub agents: HashMap<String, u64>,
    /// Regions → calls.
    pub regions: HashMap<String, u64>,
}

impl PrincipalBaseline {
    /// The stats of `event_source:event_name`, if the principal ever called it.
    pub fn api(&self, event_source: &str, event_name: &str) -> Option<&ApiStats> {
        self.apis.get(event_source)?.get(event_name)
    }
}

/// A robust summary of a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Robust {
    /// Median.
    pub median: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
    /// 99th percentile (approximate).
    pub p99: f64,
}

/// A function's platform reports: outcomes, durations, memory.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeBaseline {
    /// `REPORT` lines (one per invocation).
    pub reports: u64,
    /// `START` lines.
    pub starts: u64,
    /// Invocations that logged an error.
    pub errors: u64,
    /// Timeouts.
    pub timeouts: u64,
    /// Reports with an init phase (cold starts).
    pub cold_starts: u64,
    /// Duration, ms.
    pub duration: Option<Robust>,
    /// Peak memory, MB.
    pub memory: Option<Robust>,
    /// Configured memory, MB.
    pub memory_mb: Option<i64>,
}

impl RuntimeBaseline {
    /// Invocations the outcome rates are relative to: reports, else starts.
    pub fn invocations(&self) -> u64 {
        self.reports.max(self.starts)
    }
}

/// One Lambda function: rate, outcomes, payload shapes, and its execution role's
/// usual networks and user agents.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionBaseline {
    /// Its account.
    pub account: Option<String>,
    /// Its region.
    pub region: Option<String>,
    /// Invocations in all (`invocations` table).
    pub invocations: u64,
    /// Invocations per minute; `None` when no invocation was logged.
    pub per_minute: Option<Activity>,
    /// Invocations with an HTTP status.
    pub with_status: u64,
    /// 4xx responses.
    pub status_4xx: u64,
    /// 5xx responses.
    pub status_5xx: u64,
    /// 429 responses.
    pub throttles: u64,
    /// 401 and 403 responses.
    pub auth_failures: u64,
    /// Invocations with a payload shape.
    pub shaped: u64,
    /// Distinct payload shapes.
    pub distinct_shapes: u64,
    /// Distinct source IPs per active hour: mean.
    pub sources_per_hour_mean: f64,
    /// Distinct source IPs per active hour: maximum.
    pub sources_per_hour_max: u64,
    /// The most frequent payload shapes → invocations.
    pub shapes: HashMap<String, u64>,
    /// Platform reports; `None` when the function logged none.
    pub runtime: Option<RuntimeBaseline>,
    /// Execution-role session: source networks at /16 → calls.
    pub exec_networks16: HashMap<String, u64>,
    /// Execution-role session: source networks at /24 → calls.
    pub exec_networks24: HashMap<String, u64>,
    /// Execution-role session: user-agent families → calls.
    pub exec_agents: HashMap<String, u64>,
    /// Execution-role ARNs.
    pub roles: Vec<String>,
}

/// How often a payload shape appears in a function's baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeFrequency {
    /// Estimated share of invocations carrying it.
    pub frequency: f64,
    /// Invocations with it in the baseline (0 when outside the kept top shapes).
    pub count: u64,
    /// True when it is one of the kept top shapes.
    pub known: bool,
    /// True when the baseline certainly never saw it (every shape was kept).
    pub unseen: bool,
}

impl FunctionBaseline {
    /// The frequency of `shape`: its share when among the kept shapes; else the
    /// average share of the shapes not kept (an upper bound for a shape that may
    /// never have been seen), or half an invocation's share when every shape was
    /// kept (it was never seen).
    pub fn shape_frequency(&self, shape: &str) -> ShapeFrequency {
        let total = self.shaped.max(1) as f64;
        if let Some(&count) = self.shapes.get(shape) {
            return ShapeFrequency {
                frequency: count as f64 / total,
                count,
                known: true,
                unseen: false,
            };
        }
        let kept: u64 = self.shapes.values().sum();
        let tail_shapes = self
            .distinct_shapes
            .saturating_sub(self.shapes.len() as u64);
        let frequency = if tail_shapes > 0 {
            self.shaped.saturating_sub(kept) as f64 / total / tail_shapes as f64
        } else {
            0.5 / (total + 1.0)
        };
        ShapeFrequency {
            frequency,
            count: 0,
            known: false,
            unseen: tail_shapes == 0,
        }
    }
}

/// One account: the regions and services it uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountBaseline {
    /// Regions → events.
    pub regions: HashMap<String, u64>,
    /// Services (`event_source`) → events.
    pub services: HashMap<String, u64>,
    /// Events in all.
    pub events: u64,
    /// Principals seen.
    pub principals: u64,
    /// `event_source` → `event_name` → principals that called it.
    pub api_principals: HashMap<String, HashMap<String, u32>>,
}

impl AccountBaseline {
    /// Share of the account's principals that called the API (0 when none did).
    pub fn api_prevalence(&self, event_source: &str, event_name: &str) -> f64 {
        let users = self
            .api_principals
            .get(event_source)
            .and_then(|m| m.get(event_name))
            .copied()
            .unwrap_or(0);
        if self.principals == 0 {
            0.0
        } else {
            f64::from(users) / self.principals as f64
        }
    }
}

/// The current baselines of a lake, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Baselines {
    /// The version's metadata.
    pub meta: BaselineMeta,
    /// The version's directory.
    pub dir: PathBuf,
    /// By principal (`coalesce(session_issuer_arn, principal_arn)`).
    pub principals: HashMap<String, PrincipalBaseline>,
    /// By function name.
    pub functions: HashMap<String, FunctionBaseline>,
    /// By account id.
    pub accounts: HashMap<String, AccountBaseline>,
    /// Execution-role ARN → the functions whose sessions used it.
    pub function_roles: HashMap<String, Vec<String>>,
    /// All principals pooled: calls.
    pub pooled_events: u64,
    /// All principals pooled: denied calls (the prior of a principal never seen).
    pub pooled_access_denied: u64,
    /// Rows read per table (equals `meta.rows` for an intact version).
    pub rows_loaded: BTreeMap<String, u64>,
}

impl Baselines {
    /// The time range the baselines cover.
    pub fn time_range(&self) -> Option<TimeRange> {
        self.meta.time_range
    }

    /// The principal's baseline.
    pub fn principal(&self, principal: &str) -> Option<&PrincipalBaseline> {
        self.principals.get(principal)
    }

    /// The function's baseline.
    pub fn function(&self, function: &str) -> Option<&FunctionBaseline> {
        self.functions.get(function)
    }

    /// The account's baseline.
    pub fn account(&self, account: &str) -> Option<&AccountBaseline> {
        self.accounts.get(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_hours_cover_the_span() {
        // Ten days from a Monday midnight: every bucket once, 72 buckets twice.
        let monday = 1_704_067_200 / 3600;
        let h = profile_hours(monday, 240, 3600);
        assert_eq!(h.iter().map(|&x| u64::from(x)).sum::<u64>(), 240);
        assert_eq!(h[0], 2);
        assert_eq!(h[71], 2);
        assert_eq!(h[72], 1);
        // Minutes: 120 minutes are two hours.
        let m = profile_hours(monday, 120, 60);
        assert_eq!(m.iter().map(|&x| u64::from(x)).sum::<u64>(), 2);
    }

    #[test]
    fn expected_follows_the_hour_of_week_profile() {
        // A week of baseline: 100 events every Monday 09:00 hour, nothing else.
        let monday = 1_704_067_200 / 3600;
        let mut a = Activity::new(3600, monday, 168);
        a.total = 100;
        a.mean = 100.0 / 168.0;
        a.variance = 100.0 * 100.0 / 168.0;
        a.profile[9] = 100.0;
        let nine = (monday + 168 + 9) * 3_600_000_000;
        let busy = a.expected(nine, 3_600_000_000, 1.0);
        let quiet = a.expected(nine + 3_600_000_000, 3_600_000_000, 1.0);
        assert!(busy.mean > 40.0 && busy.mean < 100.0, "{busy:?}");
        assert!(quiet.mean < 1.0, "{quiet:?}");
        assert!(
            busy.variance > busy.mean,
            "bursty process is over-dispersed"
        );
        // Half an hour expects half as much.
        let half = a.expected(nine, 1_800_000_000, 1.0);
        assert!((half.mean * 2.0 - busy.mean).abs() < 1e-9);
    }

    #[test]
    fn unseen_shapes_get_the_tail_share() {
        let mut f = FunctionBaseline {
            shaped: 1000,
            distinct_shapes: 2,
            ..Default::default()
        };
        f.shapes.insert("a".into(), 990);
        f.shapes.insert("b".into(), 10);
        assert!((f.shape_frequency("a").frequency - 0.99).abs() < 1e-12);
        let new = f.shape_frequency("c");
        assert!(!new.known && new.unseen && new.frequency < 0.001);
        // Shapes beyond the kept ones share the rest.
        f.shapes.remove("b");
        let tail = f.shape_frequency("c");
        assert!((tail.frequency - 0.01).abs() < 1e-12 && !tail.unseen);
    }
}
