//! [`AnomalyConfig`]: which detectors run and how sensitive each one is.
//!
//! Every detector has an `enabled` flag, its window, a minimum support (the least
//! evidence worth a finding, whatever the statistics say) and, where it tests a
//! count or a rate, a significance level `alpha`. The p-values of one closed window
//! are corrected for the number of entities tested in it ([`Correction`]), so a quiet
//! baseline and a thousand functions do not alert on noise. The defaults of the
//! shared settings are the named `default_*` functions, a detector's stand next to
//! its fields; the YAML/JSON form uses the same field names.

use serde::{Deserialize, Serialize};

pub use super::stats::Correction;

/// Significance level of one window's family of tests: the chance that noise alone
/// raises a finding in a window, before the minimum-support and effect-size gates.
pub fn default_alpha() -> f64 {
    1e-6
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

/// A detector's section of [`AnomalyConfig`] (what the catalogue needs of it).
pub(crate) trait Section: Clone + Send + 'static {
    /// The section in `cfg`.
    fn of(cfg: &AnomalyConfig) -> &Self;

    /// Whether the detector runs.
    fn enabled(&self) -> bool;

    /// The widths, seconds, of the detector's window sets.
    fn widths(&self) -> Vec<u64>;
}

/// Defines a detector's config struct (`Name in field`: the type and its field in
/// [`AnomalyConfig`]) and its `Default`. Between brackets come the
/// knobs detectors share, each with its default and its doc (the doc says what the
/// knob means for that detector): the window widths in seconds (usually one,
/// `window_secs`), `min_support` and `alpha`; every section also gets `enabled`
/// (default true). Then come the detector's own fields with their defaults.
macro_rules! detector_config {
    (
        $(#[$meta:meta])*
        $name:ident in $section:ident [
            windows { $($window:ident = $window_default:expr, $window_doc:literal;)+ }
            $(min_support = $support:literal, $support_doc:literal;)?
            $(alpha = $alpha:expr, $alpha_doc:literal;)?
        ] {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        // A missing field takes its value from `Default`.
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            /// Run the detector.
            pub enabled: bool,
            $( #[doc = $window_doc] pub $window: u64, )+
            $( #[doc = $support_doc] pub min_support: u64, )?
            $( #[doc = $alpha_doc] pub alpha: f64, )?
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    $( $window: $window_default, )+
                    $( min_support: $support, )?
                    $( alpha: $alpha, )?
                    $( $field: $default, )*
                }
            }
        }

        impl Section for $name {
            fn of(cfg: &AnomalyConfig) -> &Self {
                &cfg.$section
            }

            fn enabled(&self) -> bool {
                self.enabled
            }

            fn widths(&self) -> Vec<u64> {
                vec![$(self.$window),+]
            }
        }
    };
}

detector_config! {
    /// Stateless attack spray: one rare or attack-bearing payload shape across many
    /// request ids, from one source in a short window, or from many sources sending a
    /// few requests each over hours (low and slow).
    SprayConfig in spray [
        windows {
            burst_window_secs = 600, "Window of the one-source burst, seconds.";
            slow_window_secs = 6 * 3600, "Window of the distributed, low-and-slow spray, seconds.";
        }
        min_support = 20, "Requests of one shape (from the top source, for a burst) needed to report.";
        alpha = default_alpha(), "Significance level for rare (not attack-bearing) shapes.";
    ] {
        /// Distinct sources needed to call a spray distributed.
        min_sources: u64 = 10,
        /// A distributed spray sends at most this many requests per source (median).
        max_per_source: u64 = 5,
        /// A shape is rare when under this share of the function's baseline traffic.
        rare_frequency: f64 = 1e-3,
        /// Also look for attack tokens in the raw payload, not only its shape (slower).
        scan_payloads: bool = false,
    }
}

detector_config! {
    /// Invocation flood (denial of wallet): a function's rate far above its
    /// hour-of-week baseline, with the estimated extra cost. Needs baselines.
    FloodConfig in flood [
        windows { window_secs = 300, "Window, seconds."; }
        min_support = 100, "Invocations in the window needed to report.";
        alpha = default_alpha(), "Significance level.";
    ] {
        /// Observed must be at least this multiple of expected.
        min_ratio: f64 = 5.0,
    }
}

detector_config! {
    /// Error, timeout, 5xx, 4xx and throttle rates per function against its baseline
    /// (beta-binomial). Needs baselines.
    ErrorSpikeConfig in errors [
        windows { window_secs = 300, "Window, seconds."; }
        min_support = 5, "Failures of one kind in the window needed to report.";
        alpha = default_alpha(), "Significance level.";
    ] {
        /// The window's rate must be at least this multiple of the baseline rate.
        min_ratio: f64 = 3.0,
        /// Largest weight (in invocations) the baseline rate gets as a prior, so that
        /// a long baseline still lets the rate drift.
        max_prior_weight: f64 = 1000.0,
    }
}

detector_config! {
    /// Duration and peak-memory outliers per function (ReDoS, payload bombs):
    /// reports far above the baseline's median (robust z) and its p99. Needs
    /// baselines.
    OutlierConfig in outliers [
        windows { window_secs = 300, "Window, seconds."; }
        min_support = 3, "Outlying reports in the window needed to report.";
        alpha = default_alpha(), "Significance level.";
    ] {
        /// Robust z-score from which a report is an outlier.
        z_threshold: f64 = 6.0,
        /// Share of normal reports assumed to be outliers (above the p99 and the z
        /// threshold): the null rate the window's outlier count is tested against.
        null_rate: f64 = 0.002,
        /// Reports the baseline must hold for its distribution to be trusted.
        min_baseline_reports: u64 = 30,
    }
}

detector_config! {
    /// Enumeration: one source hitting many distinct paths or functions, mostly
    /// failing. Works without baselines.
    EnumerationConfig in enumeration [
        windows { window_secs = 600, "Window, seconds."; }
        min_support = 20, "Requests from the source in the window needed to report.";
        alpha = default_alpha(), "Significance level of the 4xx count.";
    ] {
        /// Distinct path templates (ids collapsed) that make a path enumeration.
        min_distinct_paths: u64 = 20,
        /// Distinct functions that make a function enumeration.
        min_distinct_functions: u64 = 5,
        /// Share of 4xx responses an enumeration must have (when statuses are
        /// known): benign clients get what they ask for.
        min_error_ratio: f64 = 0.3,
    }
}

detector_config! {
    /// Authentication brute force: 401/403 storms per source and per target route or
    /// principal (invocations), failed sign-ins and bad credentials (CloudTrail).
    /// Works without baselines.
    BruteForceConfig in brute_force [
        windows { window_secs = 600, "Window, seconds."; }
        min_support = 20, "Failures in the window needed to report.";
        alpha = default_alpha(), "Significance level.";
    ] {
        /// Share of the source's requests that failed, at least.
        min_failure_ratio: f64 = 0.5,
        /// Failure rate assumed when the baseline does not know the function.
        default_failure_rate: f64 = 0.05,
    }
}

detector_config! {
    /// AccessDenied spike for a principal against its own baseline rate
    /// (beta-binomial). Needs baselines.
    AccessDeniedConfig in access_denied [
        windows { window_secs = 3600, "Window, seconds."; }
        min_support = 10, "Denied calls in the window needed to report.";
        alpha = default_alpha(), "Significance level.";
    ] {
        /// The window's denied share must be at least this multiple of the baseline's.
        min_ratio: f64 = 3.0,
        /// Largest weight (in calls) of the principal's baseline rate as a prior.
        max_prior_weight: f64 = 1000.0,
        /// Weight (in calls) of the pooled rate of all principals, the prior of a
        /// principal the baseline never saw.
        new_principal_prior_weight: f64 = 100.0,
    }
}

detector_config! {
    /// First-seen API for a principal (new term), scored by the API's sensitivity and
    /// its rarity across the account. Needs baselines.
    NewApiConfig in new_api [
        windows { window_secs = 86_400, "Window that groups the calls of one finding, seconds."; }
    ] {
        /// Score (0–100) from which a new term is reported.
        min_score: f64 = 40.0,
        /// Calls a principal must have in the baseline for "new" to mean anything.
        min_history: u64 = 20,
        /// Sensitivity of a read-only API not in the sensitivity table (0: silent).
        read_only_weight: f64 = 0.0,
        /// Sensitivity of a mutating API not in the sensitivity table.
        write_weight: f64 = 0.2,
        /// A principal already making this many distinct sensitive calls (weight ≥
        /// 0.5) to a service is one that administers it: its first call of another
        /// API of that service is an extension of its job (a deploy role creating its
        /// first function), and the sensitivity is multiplied by `familiar_factor`.
        /// Never for credential, privilege-escalation or defence-evasion APIs, nor
        /// for APIs of weight 0.9 and above (account takeover). 0 disables.
        familiar_min_apis: u64 = 2,
        /// Multiplier of the sensitivity of a familiar service's new API.
        familiar_factor: f64 = 0.6,
    }
}

detector_config! {
    /// Lambda execution-role credentials used outside Lambda: a function's role
    /// session from a network or user agent that is not the function's, or one
    /// access key from Lambda and then from elsewhere. Partly works without
    /// baselines (the access-key check).
    ExecRoleConfig in exec_role [
        windows { window_secs = 3600, "Window, seconds."; }
        min_support = 1, "Calls from outside needed to report.";
    ] {
        /// Seconds an access key seen in Lambda is remembered (session credentials
        /// last at most 12 hours).
        key_ttl_secs: u64 = 12 * 3600,
    }
}

detector_config! {
    /// Region or service new to the account. Needs baselines.
    NewRegionConfig in new_region [
        windows { window_secs = 86_400, "Window that groups the calls of one finding, seconds."; }
        min_support = 1, "Calls in the new region or service needed to report.";
    ] {
        /// Events the account must have in the baseline.
        min_history: u64 = 100,
        /// Also report services new to the account (not only regions).
        services: bool = true,
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
