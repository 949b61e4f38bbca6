//! [`AnomalyConfig`]: which detectors run and how sensitive each one is.
//!
//! Every detector has an `enabled` flag, its window, a minimum support (the least
//! evidence worth a finding, whatever the statistics say) and, where it tests a
//! count or a rate, a significance level `alpha`. The p-values of one closed window
//! are corrected for the number of entities tested in it ([`Correction`]), so a quiet
//! baseline and a thousand functions do not alert on noise. Defaults are the named
//! `default_*` functions; the YAML/JSON form uses the same field names.

use serde::{Deserialize, Serialize};

pub use super::stats::Correction;

/// Significance level of one window's family of tests: the chance that noise alone
/// raises a finding in a window, before the minimum-support and effect-size gates.
pub fn default_alpha() -> f64 {
    1e-6
}
fn default_true() -> bool {
    true
}
/// Events may arrive this late (by event time) and still count: 5 minutes.
pub fn default_lateness_secs() -> u64 {
    300
}
/// Hours of the overall rate blended into each hour-of-week rate.
pub fn default_profile_prior_hours() -> f64 {
    4.0
}
/// Distinct entities one detector tracks per window before it stops adding new ones.
pub fn default_max_entities() -> usize {
    200_000
}
fn default_spray_burst_window() -> u64 {
    600
}
fn default_spray_slow_window() -> u64 {
    6 * 3600
}
fn default_spray_min_support() -> u64 {
    20
}
fn default_spray_min_sources() -> u64 {
    10
}
fn default_spray_max_per_source() -> u64 {
    5
}
fn default_rare_frequency() -> f64 {
    1e-3
}
fn default_flood_window() -> u64 {
    300
}
fn default_flood_min_support() -> u64 {
    100
}
fn default_flood_min_ratio() -> f64 {
    5.0
}
fn default_short_window() -> u64 {
    300
}
fn default_errors_min_support() -> u64 {
    5
}
fn default_rate_min_ratio() -> f64 {
    3.0
}
fn default_max_prior_weight() -> f64 {
    1000.0
}
fn default_outlier_min_support() -> u64 {
    3
}
fn default_outlier_z() -> f64 {
    6.0
}
fn default_outlier_null_rate() -> f64 {
    0.002
}
fn default_min_baseline_reports() -> u64 {
    30
}
fn default_ten_minutes() -> u64 {
    600
}
fn default_enum_min_support() -> u64 {
    20
}
fn default_enum_min_paths() -> u64 {
    20
}
fn default_enum_min_functions() -> u64 {
    5
}
fn default_enum_min_error_ratio() -> f64 {
    0.3
}
fn default_brute_min_support() -> u64 {
    20
}
fn default_brute_min_ratio() -> f64 {
    0.5
}
fn default_failure_rate() -> f64 {
    0.05
}
fn default_hour() -> u64 {
    3600
}
fn default_denied_min_support() -> u64 {
    10
}
fn default_new_principal_prior_weight() -> f64 {
    100.0
}
fn default_day() -> u64 {
    86_400
}
fn default_min_score() -> f64 {
    40.0
}
fn default_familiar_min_apis() -> u64 {
    2
}

fn default_familiar_factor() -> f64 {
    0.6
}

fn default_new_api_min_history() -> u64 {
    20
}
fn default_write_weight() -> f64 {
    0.2
}
fn default_one() -> u64 {
    1
}
fn default_key_ttl() -> u64 {
    12 * 3600
}
fn default_region_min_history() -> u64 {
    100
}

/// Configuration of every anomaly detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalyConfig {
    /// How each window's p-values are corrected for the entities tested in it.
    #[serde(default)]
    pub correction: Correction,
    /// Seconds an event may arrive late (by event time): a window is scored once the
    /// newest event seen is this far past its end. Later events are dropped.
    #[serde(default = "default_lateness_secs")]
    pub lateness_secs: u64,
    /// Weight, in hours, of an entity's overall rate in its hour-of-week rate, so
    /// that an hour of the week seen once (or never) does not decide alone.
    #[serde(default = "default_profile_prior_hours")]
    pub profile_prior_hours: f64,
    /// Entities (functions, sources, principals…) one detector tracks per window;
    /// beyond it, new entities are ignored until the window closes (bounded memory).
    #[serde(default = "default_max_entities")]
    pub max_entities: usize,
    /// 1. One payload shape sprayed across many requests.
    #[serde(default)]
    pub spray: SprayConfig,
    /// 2. Invocation flood / denial of wallet.
    #[serde(default)]
    pub flood: FloodConfig,
    /// 3. Error, timeout and throttle spikes per function.
    #[serde(default)]
    pub errors: ErrorSpikeConfig,
    /// 3. Duration and memory outliers per function.
    #[serde(default)]
    pub outliers: OutlierConfig,
    /// 4. One source enumerating paths or functions.
    #[serde(default)]
    pub enumeration: EnumerationConfig,
    /// 5. Authentication failures per source and per target.
    #[serde(default)]
    pub brute_force: BruteForceConfig,
    /// 6. AccessDenied spike for a principal.
    #[serde(default)]
    pub access_denied: AccessDeniedConfig,
    /// 7. First-seen sensitive API for a principal.
    #[serde(default)]
    pub new_api: NewApiConfig,
    /// 8. Lambda execution-role credentials used outside Lambda.
    #[serde(default)]
    pub exec_role: ExecRoleConfig,
    /// 9. Region or service new to the account.
    #[serde(default)]
    pub new_region: NewRegionConfig,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            correction: Correction::default(),
            lateness_secs: default_lateness_secs(),
            profile_prior_hours: default_profile_prior_hours(),
            max_entities: default_max_entities(),
            spray: SprayConfig::default(),
            flood: FloodConfig::default(),
            errors: ErrorSpikeConfig::default(),
            outliers: OutlierConfig::default(),
            enumeration: EnumerationConfig::default(),
            brute_force: BruteForceConfig::default(),
            access_denied: AccessDeniedConfig::default(),
            new_api: NewApiConfig::default(),
            exec_role: ExecRoleConfig::default(),
            new_region: NewRegionConfig::default(),
        }
    }
}

/// Defines a detector's config struct with its `Default` from the field defaults.
macro_rules! detector_config {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:path ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        // A missing field takes its value from `Default`, i.e. its `default_*` fn.
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default(), )* }
            }
        }
    };
}

detector_config! {
    /// Stateless attack spray: one rare or attack-bearing payload shape across many
    /// request ids, from one source in a short window, or from many sources sending a
    /// few requests each over hours (low and slow).
    SprayConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window of the one-source burst, seconds.
        burst_window_secs: u64 = default_spray_burst_window,
        /// Window of the distributed, low-and-slow spray, seconds.
        slow_window_secs: u64 = default_spray_slow_window,
        /// Requests of one shape (from the top source, for a burst) needed to report.
        min_support: u64 = default_spray_min_support,
        /// Distinct sources needed to call a spray distributed.
        min_sources: u64 = default_spray_min_sources,
        /// A distributed spray sends at most this many requests per source (median).
        max_per_source: u64 = default_spray_max_per_source,
        /// A shape is rare when under this share of the function's baseline traffic.
        rare_frequency: f64 = default_rare_frequency,
        /// Significance level for rare (not attack-bearing) shapes.
        alpha: f64 = default_alpha,
        /// Also look for attack tokens in the raw payload, not only its shape (slower).
        scan_payloads: bool = bool::default,
    }
}

detector_config! {
    /// Invocation flood (denial of wallet): a function's rate far above its
    /// hour-of-week baseline, with the estimated extra cost. Needs baselines.
    FloodConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_flood_window,
        /// Invocations in the window needed to report.
        min_support: u64 = default_flood_min_support,
        /// Observed must be at least this multiple of expected.
        min_ratio: f64 = default_flood_min_ratio,
        /// Significance level.
        alpha: f64 = default_alpha,
    }
}

detector_config! {
    /// Error, timeout, 5xx, 4xx and throttle rates per function against its baseline
    /// (beta-binomial). Needs baselines.
    ErrorSpikeConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_short_window,
        /// Failures of one kind in the window needed to report.
        min_support: u64 = default_errors_min_support,
        /// The window's rate must be at least this multiple of the baseline rate.
        min_ratio: f64 = default_rate_min_ratio,
        /// Significance level.
        alpha: f64 = default_alpha,
        /// Largest weight (in invocations) the baseline rate gets as a prior, so that
        /// a long baseline still lets the rate drift.
        max_prior_weight: f64 = default_max_prior_weight,
    }
}

detector_config! {
    /// Duration and peak-memory outliers per function (ReDoS, payload bombs):
    /// reports far above the baseline's median (robust z) and its p99. Needs
    /// baselines.
    OutlierConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_short_window,
        /// Outlying reports in the window needed to report.
        min_support: u64 = default_outlier_min_support,
        /// Robust z-score from which a report is an outlier.
        z_threshold: f64 = default_outlier_z,
        /// Share of normal reports assumed to be outliers (above the p99 and the z
        /// threshold): the null rate the window's outlier count is tested against.
        null_rate: f64 = default_outlier_null_rate,
        /// Reports the baseline must hold for its distribution to be trusted.
        min_baseline_reports: u64 = default_min_baseline_reports,
        /// Significance level.
        alpha: f64 = default_alpha,
    }
}

detector_config! {
    /// Enumeration: one source hitting many distinct paths or functions, mostly
    /// failing. Works without baselines.
    EnumerationConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_ten_minutes,
        /// Requests from the source in the window needed to report.
        min_support: u64 = default_enum_min_support,
        /// Distinct path templates (ids collapsed) that make a path enumeration.
        min_distinct_paths: u64 = default_enum_min_paths,
        /// Distinct functions that make a function enumeration.
        min_distinct_functions: u64 = default_enum_min_functions,
        /// Share of 4xx responses an enumeration must have (when statuses are
        /// known): benign clients get what they ask for.
        min_error_ratio: f64 = default_enum_min_error_ratio,
        /// Significance level of the 4xx count.
        alpha: f64 = default_alpha,
    }
}

detector_config! {
    /// Authentication brute force: 401/403 storms per source and per target route or
    /// principal (invocations), failed sign-ins and bad credentials (CloudTrail).
    /// Works without baselines.
    BruteForceConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_ten_minutes,
        /// Failures in the window needed to report.
        min_support: u64 = default_brute_min_support,
        /// Share of the source's requests that failed, at least.
        min_failure_ratio: f64 = default_brute_min_ratio,
        /// Failure rate assumed when the baseline does not know the function.
        default_failure_rate: f64 = default_failure_rate,
        /// Significance level.
        alpha: f64 = default_alpha,
    }
}

detector_config! {
    /// AccessDenied spike for a principal against its own baseline rate
    /// (beta-binomial). Needs baselines.
    AccessDeniedConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_hour,
        /// Denied calls in the window needed to report.
        min_support: u64 = default_denied_min_support,
        /// The window's denied share must be at least this multiple of the baseline's.
        min_ratio: f64 = default_rate_min_ratio,
        /// Significance level.
        alpha: f64 = default_alpha,
        /// Largest weight (in calls) of the principal's baseline rate as a prior.
        max_prior_weight: f64 = default_max_prior_weight,
        /// Weight (in calls) of the pooled rate of all principals, the prior of a
        /// principal the baseline never saw.
        new_principal_prior_weight: f64 = default_new_principal_prior_weight,
    }
}

detector_config! {
    /// First-seen API for a principal (new term), scored by the API's sensitivity and
    /// its rarity across the account. Needs baselines.
    NewApiConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window that groups the calls of one finding, seconds.
        window_secs: u64 = default_day,
        /// Score (0–100) from which a new term is reported.
        min_score: f64 = default_min_score,
        /// Calls a principal must have in the baseline for "new" to mean anything.
        min_history: u64 = default_new_api_min_history,
        /// Sensitivity of a read-only API not in the sensitivity table (0: silent).
        read_only_weight: f64 = f64::default,
        /// Sensitivity of a mutating API not in the sensitivity table.
        write_weight: f64 = default_write_weight,
        /// A principal already making this many distinct sensitive calls (weight ≥
        /// 0.5) to a service is one that administers it: its first call of another
        /// API of that service is an extension of its job (a deploy role creating its
        /// first function), and the sensitivity is multiplied by `familiar_factor`.
        /// Never for credential, privilege-escalation or defence-evasion APIs, nor
        /// for APIs of weight 0.9 and above (account takeover). 0 disables.
        familiar_min_apis: u64 = default_familiar_min_apis,
        /// Multiplier of the sensitivity of a familiar service's new API.
        familiar_factor: f64 = default_familiar_factor,
    }
}

detector_config! {
    /// Lambda execution-role credentials used outside Lambda: a function's role
    /// session from a network or user agent that is not the function's, or one
    /// access key from Lambda and then from elsewhere. Partly works without
    /// baselines (the access-key check).
    ExecRoleConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window, seconds.
        window_secs: u64 = default_hour,
        /// Calls from outside needed to report.
        min_support: u64 = default_one,
        /// Seconds an access key seen in Lambda is remembered (session credentials
        /// last at most 12 hours).
        key_ttl_secs: u64 = default_key_ttl,
    }
}

detector_config! {
    /// Region or service new to the account. Needs baselines.
    NewRegionConfig {
        /// Run the detector.
        enabled: bool = default_true,
        /// Window that groups the calls of one finding, seconds.
        window_secs: u64 = default_day,
        /// Calls in the new region or service needed to report.
        min_support: u64 = default_one,
        /// Events the account must have in the baseline.
        min_history: u64 = default_region_min_history,
        /// Also report services new to the account (not only regions).
        services: bool = default_true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_empty_config_is_default() {
        let json = serde_json::to_value(AnomalyConfig::default()).unwrap();
        let back: AnomalyConfig = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, AnomalyConfig::default());
        let empty: AnomalyConfig = yaml_serde::from_str("{}").unwrap();
        assert_eq!(empty, AnomalyConfig::default());
        // Every detector section is there, with its enable flag.
        for section in [
            "spray",
            "flood",
            "errors",
            "outliers",
            "enumeration",
            "brute_force",
            "access_denied",
            "new_api",
            "exec_role",
            "new_region",
        ] {
            assert_eq!(json[section]["enabled"], true, "{section}");
        }
    }

    #[test]
    fn partial_yaml_overrides_and_unknown_fields_are_refused() {
        let cfg: AnomalyConfig = yaml_serde::from_str(
            "correction: benjamini_hochberg\nflood:\n  min_ratio: 10\n  enabled: false\n",
        )
        .unwrap();
        assert_eq!(cfg.correction, Correction::BenjaminiHochberg);
        assert!(!cfg.flood.enabled);
        assert_eq!(cfg.flood.min_ratio, 10.0);
        assert_eq!(cfg.flood.window_secs, 300);
        assert!(yaml_serde::from_str::<AnomalyConfig>("flood:\n  min_ration: 3\n").is_err());
        assert!(yaml_serde::from_str::<AnomalyConfig>("floods: {}\n").is_err());
    }
}
