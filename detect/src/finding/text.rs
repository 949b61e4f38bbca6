//! Wording shared by every stage that builds findings: group keys, durations and
//! times, written the same way in messages, tables and OCSF.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, SecondsFormat};

/// A hit's group as the finding's group map. Fields the event lacks (`None`) are left
/// out, so `{}` means "no group-by" or "every group-by field missing": both put the
/// events of one rule together, like `GROUP BY` does with `NULL`.
pub(crate) fn group_map(group: &[(String, Option<String>)]) -> BTreeMap<String, String> {
    group
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect()
}

/// `field=value, field=value` in group-by order (`<none>` for a missing value); empty
/// when the rule has no group-by.
pub(crate) fn group_label(group: &[(String, Option<String>)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in group.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{key}={}", value.as_deref().unwrap_or("<none>"));
    }
    out
}

/// The same label from a finding's group map (key order).
pub(crate) fn map_label(group: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (i, (key, value)) in group.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{key}={value}");
    }
    out
}

/// A duration as people write Sigma timespans: `10m`, `1h30m`, `2d`, `45s`, `250ms`.
pub(crate) fn duration(us: i64) -> String {
    if us <= 0 {
        return "0s".to_owned();
    }
    if us < 1_000_000 {
        return if us % 1000 == 0 {
            format!("{}ms", us / 1000)
        } else {
            format!("{us}µs")
        };
    }
    let mut secs = us / 1_000_000;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            let _ = write!(out, "{}{unit}", secs / size);
            secs %= size;
        }
    }
    out
}

/// µs since the epoch → ms since the epoch (OCSF times), rounding down.
pub(crate) fn ms(us: i64) -> i64 {
    us.div_euclid(1000)
}

/// µs since the epoch as RFC 3339 in UTC (`2024-05-01T10:00:00Z`, fractional seconds
/// only when present).
pub(crate) fn rfc3339(us: i64) -> String {
    match DateTime::from_timestamp_micros(us) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => format!("{us}µs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_timespans() {
        assert_eq!(duration(600_000_000), "10m");
        assert_eq!(duration(5_400_000_000), "1h30m");
        assert_eq!(duration(86_400_000_000), "1d");
        assert_eq!(duration(45_000_000), "45s");
        assert_eq!(duration(250_000), "250ms");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn groups_drop_missing_values_but_labels_show_them() {
        let g = vec![
            ("user".to_owned(), Some("bob".to_owned())),
            ("ip".to_owned(), None),
        ];
        assert_eq!(group_label(&g), "user=bob, ip=<none>");
        let map = group_map(&g);
        assert_eq!(map.len(), 1);
        assert_eq!(map_label(&map), "user=bob");
    }

    #[test]
    fn times_are_utc_rfc3339() {
        assert_eq!(rfc3339(1_714_557_600_000_000), "2024-05-01T10:00:00Z");
        assert_eq!(rfc3339(1_714_557_600_123_000), "2024-05-01T10:00:00.123Z");
        assert_eq!(ms(-1), -1);
        assert_eq!(ms(1_999), 1);
    }
}
