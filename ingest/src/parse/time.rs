//! Timestamps as they appear in AWS logs, to µs since the epoch (UTC).

use chrono::{DateTime, NaiveDateTime};

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Fast path for the exact form CloudTrail writes: `YYYY-MM-DDTHH:MM:SS[.fff…]Z`.
fn fast_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if *b.last()? != b'Z' {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut micros = 0i64;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 {
            return None;
        }
        let frac = &rest[1..];
        let take = frac.len().min(6);
        micros = digits(&frac[..take])? * 10i64.pow((6 - take) as u32);
        digits(&frac[take..])?;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi) * 60_000_000 + se * 1_000_000 + micros)
}

/// Parses an RFC 3339 / ISO 8601 timestamp (with `Z` or an offset; a missing zone is
/// taken as UTC) or epoch seconds/milliseconds given as text.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(v) = fast_utc(s) {
        return Some(v);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.timestamp_micros());
    }
    // API Gateway `requestTime`: 09/Apr/2015:12:34:56 +0000
    if let Ok(t) = DateTime::parse_from_str(s, "%d/%b/%Y:%H:%M:%S %z") {
        return Some(t.timestamp_micros());
    }
    s.parse::<i64>().ok().map(epoch)
}

/// Interprets an epoch number as seconds, milliseconds or µs by its magnitude.
pub fn epoch(n: i64) -> i64 {
    match n.unsigned_abs() {
        0..=99_999_999_999 => n * 1_000_000,
        100_000_000_000..=99_999_999_999_999 => n * 1_000,
        _ => n,
    }
}

/// `YYYY-MM-DD` of a µs timestamp: the lake's date partition.
pub fn date_of(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "1970-01-01".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2019-10-01T09:08:07.123Z",
            "2031-12-31T00:00:00.123456Z",
        ] {
            let want = DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
            assert_eq!(fast_utc(s), Some(want), "{s}");
        }
    }

    #[test]
    fn other_forms() {
        assert_eq!(
            parse("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800_000_000)
        );
        assert_eq!(parse("1577836800"), Some(1_577_836_800_000_000));
        assert_eq!(parse("1577836800000"), Some(1_577_836_800_000_000));
        assert_eq!(
            parse("01/Jan/2020:00:00:00 +0000"),
            Some(1_577_836_800_000_000)
        );
        assert_eq!(parse("not a time"), None);
        assert_eq!(date_of(1_577_836_800_000_000), "2020-01-01");
    }
}
