//! The simulator's random source: a seeded ChaCha8 stream per purpose (the world,
//! benign traffic, each scenario, the writers), so that adding a scenario never
//! changes the benign traffic, plus the few distributions and identifier formats the
//! generators need (no `rand_distr`: Poisson, log-normal and exponential are a few
//! lines each).

use chrono::{DateTime, Utc};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One deterministic random stream.
pub(crate) struct Rng(ChaCha8Rng);

/// Streams by purpose; scenario `i` uses `SCENARIO_BASE + i`.
pub(crate) mod stream {
    /// The world: accounts, principals, functions.
    pub const WORLD: u64 = 1;
    /// Benign traffic.
    pub const BENIGN: u64 = 2;
    /// Lambda execution environments (cold starts, keys).
    pub const ENVS: u64 = 3;
    /// File names.
    pub const FILES: u64 = 4;
    /// Attack scheduling in the attack day.
    pub const SCHEDULE: u64 = 5;
    /// First scenario stream.
    pub const SCENARIO_BASE: u64 = 100;
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    /// The stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream);
        Rng(r)
    }

    /// Uniform in `[0, 1)`.
    pub fn f(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Uniform integer in `[lo, hi)`; `lo` when the range is empty.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        self.0.random_range(lo..hi)
    }

    /// Uniform index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.range(0, n as u64) as usize
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// An index drawn with the given weights (the last index when all are zero).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// `k` distinct indices below `n`, in random order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k);
        all
    }

    /// Shuffles in place.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f().max(1e-12);
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and shape.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f()).max(1e-12).ln()
    }

    /// Poisson count (Knuth below 30, a rounded normal above).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let l = (-lambda).exp();
            let (mut k, mut p) = (0u64, 1.0);
            loop {
                p *= self.f();
                if p <= l {
                    return k;
                }
                k += 1;
            }
        }
        (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64
    }

    /// A random UUID (version 4 layout), lower-case.
    pub fn uuid(&mut self) -> String {
        let a: u128 = self.0.random();
        let a = (a & !(0xF << 76)) | (0x4 << 76);
        let a = (a & !(0x3 << 62)) | (0x2 << 62);
        let h = format!("{a:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    /// `n` characters of the alphabet AWS uses in key and principal ids.
    pub fn upper(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(UPPER_DIGITS[self.below(UPPER_DIGITS.len())]))
            .collect()
    }

    /// `n` mixed-case letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(ALNUM[self.below(ALNUM.len())]))
            .collect()
    }

    /// `n` lower-case letters and digits.
    pub fn lower(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(LOWER_ALNUM[self.below(LOWER_ALNUM.len())]))
            .collect()
    }

    /// `n` decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// An API Gateway HTTP API request id (`Yx3bFhK2IAMEVxQ=`).
    pub fn http_api_id(&mut self) -> String {
        format!("{}=", self.alnum(15))
    }

    /// An access key id with the given prefix (`AKIA`, `ASIA`).
    pub fn key(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.upper(16))
    }
}

/// µs per second, minute, hour, day.
pub(crate) const SEC: i64 = 1_000_000;
/// µs per minute.
pub(crate) const MIN: i64 = 60 * SEC;
/// µs per hour.
pub(crate) const HOUR: i64 = 60 * MIN;
/// µs per day.
pub(crate) const DAY: i64 = 24 * HOUR;

/// The UTC time of `us`; the epoch when out of range (never for simulated times).
pub(crate) fn utc(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// `2024-06-03T10:00:01Z` (CloudTrail's second precision).
pub(crate) fn rfc3339_s(us: i64) -> String {
    utc(us).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2024-06-03T10:00:01.123Z`.
pub(crate) fn rfc3339_ms(us: i64) -> String {
    utc(us).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// API Gateway's `03/Jun/2024:10:00:01 +0000`.
pub(crate) fn clf(us: i64) -> String {
    utc(us).format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}
