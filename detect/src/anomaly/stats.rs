//! The statistics the detectors score with: upper-tail probabilities of counts
//! (Poisson, negative binomial, binomial, beta-binomial), robust z-scores, and the
//! multiple-testing corrections applied to each closed window.
//!
//! Every tail is `P(X ≥ k)` — "at least this many" — which is what an alert on a
//! count means. The functions never panic: degenerate parameters (a zero rate, a
//! zero-width distribution) give the limit the tail tends to.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF, NegativeBinomial, Poisson};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

/// `P(X ≥ k)` for `X ~ Poisson(mean)`.
pub fn poisson_tail(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    match Poisson::new(mean) {
        Ok(d) => d.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => 0.0,
    }
}

/// `P(X ≥ k)` for a count of mean `mean` and variance `variance`: negative binomial
/// when over-dispersed (variance above the mean by more than 5 %), else Poisson.
pub fn count_tail(k: u64, mean: f64, variance: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    if variance.is_nan() || variance <= mean * 1.05 {
        return poisson_tail(k, mean);
    }
    // Mean r(1-p)/p and variance r(1-p)/p², solved for r and p.
    let r = mean * mean / (variance - mean);
    let p = mean / variance;
    match NegativeBinomial::new(r, p) {
        Ok(d) => d.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => poisson_tail(k, mean),
    }
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`.
pub fn binomial_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0);
    match Binomial::new(p, n) {
        Ok(d) => d.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => 0.0,
    }
}

/// `P(X ≥ k)` for `X ~ BetaBinomial(n, a, b)`: `k` successes in `n` trials whose
/// rate is uncertain, distributed `Beta(a, b)` — the right test for "this many
/// errors out of this many calls" against a rate estimated from a finite baseline.
///
/// Summed in log space from `k` upward, stopping once terms no longer matter (the
/// distribution is unimodal, so past the mode they only shrink).
pub fn beta_binomial_tail(k: u64, n: u64, a: f64, b: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if !(a > 0.0 && b > 0.0) {
        return binomial_tail(k, n, if a > 0.0 { 1.0 } else { 0.0 });
    }
    let nf = n as f64;
    let ln_norm = ln_gamma(nf + 1.0) - ln_beta(a, b);
    let ln_pmf = |x: u64| {
        let xf = x as f64;
        ln_norm - ln_gamma(xf + 1.0) - ln_gamma(nf - xf + 1.0) + ln_beta(xf + a, nf - xf + b)
    };
    let mode = ((nf * (a - 1.0) / (a + b - 2.0).max(1e-9)).max(0.0)) as u64;
    let mut sum = 0.0f64;
    for x in k..=n {
        let term = ln_pmf(x).exp();
        sum += term;
        if x > mode && term < sum * 1e-12 {
            break;
        }
    }
    sum.clamp(0.0, 1.0)
}

/// A robust z-score: how many (normal-consistent) MADs `x` is above the median. The
/// MAD is floored at `floor`, so a baseline without spread does not make every
/// difference infinite.
pub fn robust_z(x: f64, median: f64, mad: f64, floor: f64) -> f64 {
    // 0.6745 = Φ⁻¹(0.75): for normal data, MAD / 0.6745 estimates σ.
    0.6745 * (x - median) / mad.max(floor).max(f64::MIN_POSITIVE)
}

/// How the p-values of one window are corrected for the number of entities tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Bonferroni: each p-value against `alpha / m`. Controls the chance of any false
    /// finding in the window (family-wise).
    #[default]
    Bonferroni,
    /// Benjamini–Hochberg: controls the expected share of false findings among those
    /// raised; more findings when many entities are truly anomalous at once.
    BenjaminiHochberg,
    /// No correction: each p-value against `alpha`.
    None,
}

impl Correction {
    /// Which of `p_values` (one per entity tested in the window) are significant at
    /// level `alpha` after correction, in input order.
    pub fn significant(self, p_values: &[f64], alpha: f64) -> Vec<bool> {
        let m = p_values.len();
        if m == 0 {
            return Vec::new();
        }
        match self {
            Correction::None => p_values.iter().map(|&p| p <= alpha).collect(),
            Correction::Bonferroni => {
                let threshold = alpha / m as f64;
                p_values.iter().map(|&p| p <= threshold).collect()
            }
            Correction::BenjaminiHochberg => {
                let mut order: Vec<usize> = (0..m).collect();
                order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
                // The largest rank i with p(i) ≤ i/m·alpha; all ranks up to it pass.
                let cutoff = order
                    .iter()
                    .enumerate()
                    .filter(|(rank, &idx)| p_values[idx] <= (rank + 1) as f64 / m as f64 * alpha)
                    .map(|(rank, _)| rank + 1)
                    .max()
                    .unwrap_or(0);
                let mut out = vec![false; m];
                for &idx in &order[..cutoff] {
                    out[idx] = true;
                }
                out
            }
        }
    }

    /// The per-test threshold for `m` tests (Bonferroni), or `alpha`, for messages.
    pub fn threshold(self, m: usize, alpha: f64) -> f64 {
        match self {
            Correction::Bonferroni => alpha / m.max(1) as f64,
            Correction::BenjaminiHochberg | Correction::None => alpha,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_hand_values() {
        // P(X ≥ 1 | λ=1) = 1 - e^-1.
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert_eq!(poisson_tail(0, 5.0), 1.0);
        assert_eq!(poisson_tail(3, 0.0), 0.0);
        assert!(poisson_tail(100, 10.0) < 1e-40);
    }

    #[test]
    fn over_dispersion_fattens_the_tail() {
        let poisson = count_tail(40, 10.0, 10.0);
        let bursty = count_tail(40, 10.0, 100.0);
        assert!(bursty > poisson * 1e6, "{bursty} vs {poisson}");
        assert!((count_tail(5, 4.0, 4.0) - poisson_tail(5, 4.0)).abs() < 1e-15);
    }

    #[test]
    fn beta_binomial_matches_direct_sum_and_exceeds_binomial() {
        // Direct sum for n = 10, a = 2, b = 8, k = 4.
        let (n, a, b) = (10u64, 2.0, 8.0);
        let pmf = |x: u64| {
            let (x, nf) = (x as f64, n as f64);
            (ln_gamma(nf + 1.0) - ln_gamma(x + 1.0) - ln_gamma(nf - x + 1.0)
                + ln_beta(x + a, nf - x + b)
                - ln_beta(a, b))
            .exp()
        };
        let direct: f64 = (4..=n).map(pmf).sum();
        assert!((beta_binomial_tail(4, n, a, b) - direct).abs() < 1e-12);
        let total: f64 = (0..=n).map(pmf).sum();
        assert!((total - 1.0).abs() < 1e-9);
        // Uncertainty about the rate makes large counts likelier than a fixed rate.
        assert!(beta_binomial_tail(6, 10, 2.0, 8.0) > binomial_tail(6, 10, 0.2));
        assert_eq!(beta_binomial_tail(11, 10, 2.0, 8.0), 0.0);
    }

    #[test]
    fn robust_z_uses_the_floor() {
        assert!((robust_z(110.0, 100.0, 6.745, 1.0) - 1.0).abs() < 1e-12);
        assert!((robust_z(110.0, 100.0, 0.0, 0.6745) - 10.0).abs() < 1e-12);
    }

    #[test]
    fn corrections() {
        let ps = [0.001, 0.01, 0.02, 0.5];
        // Bonferroni at 0.04: each against 0.01.
        assert_eq!(
            Correction::Bonferroni.significant(&ps, 0.04),
            [true, true, false, false]
        );
        assert_eq!(
            Correction::Bonferroni.significant(&ps, 0.03),
            [true, false, false, false]
        );
        // BH at 0.04: thresholds 0.01, 0.02, 0.03, 0.04 → the first three pass.
        assert_eq!(
            Correction::BenjaminiHochberg.significant(&ps, 0.04),
            [true, true, true, false]
        );
        assert_eq!(
            Correction::None.significant(&ps, 0.015),
            [true, true, false, false]
        );
        assert!(Correction::Bonferroni.significant(&[], 0.1).is_empty());
    }
}
