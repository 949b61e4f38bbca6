//! The Tripline extensions of a rule, under its one `tripline:` key, and Sigma
//! timespans (`10m`).

use serde::{Deserialize, Deserializer};
use yaml_serde::Value;

use super::error::{Locator, SigmaError};
use crate::model::WindowMode;

/// A duration written as a number and a unit: `30s`, `10m`, `2h`, `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespan {
    /// Microseconds.
    pub us: i64,
}

impl Timespan {
    /// `n` minutes.
    pub const fn minutes(n: i64) -> Timespan {
        Timespan {
            us: n * 60 * 1_000_000,
        }
    }

    /// Parses `<number><s|m|h|d>` (the Sigma correlation `timespan` format). The
    /// error is the message for the rule author.
    pub fn parse(text: &str) -> Result<Timespan, String> {
        let t = text.trim();
        let bad = || {
            format!("`{text}` is not a timespan: write a number and a unit s, m, h or d (e.g. 10m)")
        };
        let unit = t.chars().last().ok_or_else(bad)?;
        let seconds: i64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = t[..t.len() - 1].parse().map_err(|_| bad())?;
        if n <= 0 {
            return Err(format!("`{text}`: a timespan must be positive"));
        }
        n.checked_mul(seconds * 1_000_000)
            .map(|us| Timespan { us })
            .ok_or_else(|| format!("`{text}` is too long"))
    }
}

impl<'de> Deserialize<'de> for Timespan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timespan::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `tripline: window:` — how a correlation's window moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// Any `timespan`-long interval (default).
    #[default]
    Sliding,
    /// Fixed buckets aligned to the epoch.
    Tumbling,
    /// Open while events arrive less than `session_gap` apart.
    Session,
}

/// The Tripline extensions of a rule (`tripline:`). Unknown keys are errors, so a
/// typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriplineExt {
    /// Window semantics of a correlation (default sliding).
    #[serde(default)]
    pub window: WindowKind,
    /// Largest gap between events of one session (`window: session`; default 5m).
    #[serde(default)]
    pub session_gap: Option<Timespan>,
    /// How late an event may arrive and still count (default 5m; streaming only).
    #[serde(default = "default_lateness")]
    pub lateness: Timespan,
    /// Detection rules: the fields single-event hits are grouped by into one finding.
    /// After parsing, never empty for detection rules: the default is
    /// `[userIdentity.arn]` for CloudTrail and `[function_name]` for Lambda rules.
    /// Correlation rules group by their `group-by` and leave this empty.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// How long a finding absorbs further hits of its group before a new one is
    /// raised (default 1h).
    #[serde(default = "default_dedup")]
    pub dedup_window: Timespan,
}

fn default_lateness() -> Timespan {
    Timespan::minutes(5)
}

fn default_dedup() -> Timespan {
    Timespan::minutes(60)
}

/// Default `session_gap`.
const DEFAULT_SESSION_GAP: Timespan = Timespan::minutes(5);

impl Default for TriplineExt {
    fn default() -> Self {
        TriplineExt {
            window: WindowKind::Sliding,
            session_gap: None,
            lateness: default_lateness(),
            group_by: Vec::new(),
            dedup_window: default_dedup(),
        }
    }
}

impl TriplineExt {
    /// The window as the correlator takes it.
    pub fn window_mode(&self) -> WindowMode {
        match self.window {
            WindowKind::Sliding => WindowMode::Sliding,
            WindowKind::Tumbling => WindowMode::Tumbling,
            WindowKind::Session => WindowMode::Session {
                gap_us: self.session_gap.unwrap_or(DEFAULT_SESSION_GAP).us,
            },
        }
    }

    /// Parses the `tripline:` value of a document (absent: defaults).
    pub(crate) fn parse(value: Option<&Value>, loc: &Locator) -> Result<TriplineExt, SigmaError> {
        let Some(value) = value else {
            return Ok(TriplineExt::default());
        };
        let line = loc.path(&["tripline"]);
        let ext: TriplineExt = yaml_serde::from_value(value.clone()).map_err(|e| {
            let message = e.to_string();
            // serde names the offending key between backticks: point at its line.
            let key_line = message
                .split('`')
                .nth(1)
                .and_then(|k| loc.key_after(line, k))
                .unwrap_or(line);
            loc.error(key_line, "tripline", message)
        })?;
        if ext.session_gap.is_some() && ext.window != WindowKind::Session {
            let l = loc.key_after(line, "session_gap").unwrap_or(line);
            return Err(loc.error(
                l,
                "tripline",
                "`session_gap` applies only to `window: session`",
            ));
        }
        Ok(ext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_take_the_four_units() {
        assert_eq!(Timespan::parse("30s").unwrap().us, 30_000_000);
        assert_eq!(Timespan::parse("10m").unwrap(), Timespan::minutes(10));
        assert_eq!(Timespan::parse("2h").unwrap().us, 7_200_000_000);
        assert_eq!(Timespan::parse("1d").unwrap().us, 86_400_000_000);
        for bad in ["10", "m", "10M", "1.5h", "-1m", "0s", "10 min", ""] {
            assert!(Timespan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn extension_keys_are_checked() {
        let loc = Locator::new(
            "r.yml",
            "tripline:\n  window: session\n  sesion_gap: 5m\n",
            1,
        );
        let v: Value = yaml_serde::from_str("{window: session, sesion_gap: 5m}").unwrap();
        let e = TriplineExt::parse(Some(&v), &loc).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");

        let v: Value = yaml_serde::from_str("{window: session, session_gap: 2m}").unwrap();
        let ext = TriplineExt::parse(Some(&v), &loc).unwrap();
        assert_eq!(
            ext.window_mode(),
            WindowMode::Session {
                gap_us: 120_000_000
            }
        );
        assert_eq!(ext.dedup_window, Timespan::minutes(60));

        let v: Value = yaml_serde::from_str("{session_gap: 2m}").unwrap();
        assert!(TriplineExt::parse(Some(&v), &loc).is_err());
    }
}
