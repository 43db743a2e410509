//! Expected hypervolume improvement of a candidate with independent Gaussian
//! objectives. In 2-D it is exact and closed-form: the region not dominated by the front
//! splits into vertical strips, and in each strip the improvement is a product of two
//! one-dimensional terms whose expectations are expected-improvement integrals. In more
//! dimensions it is a Monte-Carlo estimate with a fixed set of normal draws (common random
//! numbers, so candidates are compared on the same draws).

use super::hypervolume_improvement;
use crate::acquisition::{norm_cdf, norm_pdf};

/// `E[max(0, Y - t)]` for `Y ~ N(mean, std^2)`.
fn excess(mean: f64, std: f64, t: f64) -> f64 {
    if std <= 0.0 {
        return (mean - t).max(0.0);
    }
    let s = (mean - t) / std;
    (mean - t) * norm_cdf(s) + std * norm_pdf(s)
}

/// Exact EHVI in 2-D (maximising) of a candidate with means `mean` and standard deviations
/// `std`, against a front (any point set: dominated points are ignored) and a reference.
pub fn ehvi_2d(front: &[Vec<f64>], reference: &[f64], mean: &[f64], std: &[f64]) -> f64 {
    // The front's non-dominated points above the reference, by the first objective
    // ascending (so the second is descending).
    let mut pts: Vec<(f64, f64)> = front
        .iter()
        .filter(|p| p[0] > reference[0] && p[1] > reference[1])
        .map(|p| (p[0], p[1]))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut nd: Vec<(f64, f64)> = Vec::new();
    for p in pts.into_iter().rev() {
        if nd.last().is_none_or(|q| p.1 > q.1) {
            nd.push(p);
        }
    }
    nd.reverse();
    // Strip i spans the first objective from l to u; above height h it is not dominated.
    let mut total = 0.0;
    let mut lower = reference[0];
    for &(a, b) in &nd {
        total += strip(lower, a, b, mean, std);
        lower = a;
    }
    total + strip(lower, f64::INFINITY, reference[1], mean, std)
}

/// `E[max(0, min(Y1, u) - l)] * E[max(0, Y2 - h)]`.
fn strip(l: f64, u: f64, h: f64, mean: &[f64], std: &[f64]) -> f64 {
    let width = excess(mean[0], std[0], l)
        - if u.is_finite() {
            excess(mean[0], std[0], u)
        } else {
            0.0
        };
    width.max(0.0) * excess(mean[1], std[1], h)
}

/// EHVI by Monte Carlo in any dimension: the mean hypervolume improvement over `draws`
/// (standard normal vectors, one per sample).
pub fn ehvi_monte_carlo(
    front: &[Vec<f64>],
    reference: &[f64],
    mean: &[f64],
    std: &[f64],
    draws: &[Vec<f64>],
) -> f64 {
    let mut y: Vec<f64> = vec![0.0; mean.len()];
    let mut total = 0.0;
    for z in draws {
        for k in 0..mean.len() {
            y[k] = mean[k] + std[k] * z[k];
        }
        total += hypervolume_improvement(front, &y, reference);
    }
    total / draws.len().max(1) as f64
}

/// `n` standard normal draws in `d` dimensions from a seed (the common random numbers
/// of [`ehvi_monte_carlo`]).
pub fn normal_draws(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..d).map(|_| StandardNormal.sample(&mut rng)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn exact_2d_ehvi_matches_monte_carlo() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let draws = normal_draws(200_000, 2, 5);
        for _ in 0..12 {
            let n = rng.gen_range(0..6);
            let front: Vec<Vec<f64>> = (0..n)
                .map(|_| vec![rng.gen_range(0.0..1.0), rng.gen_range(0.0..1.0)])
                .collect();
            let mean = [rng.gen_range(0.0..1.2), rng.gen_range(0.0..1.2)];
            let std = [rng.gen_range(0.01..0.4), rng.gen_range(0.01..0.4)];
            let r = [0.0, 0.0];
            let exact = ehvi_2d(&front, &r, &mean, &std);
            let mc = ehvi_monte_carlo(&front, &r, &mean, &std, &draws);
            // Four standard errors of a 200,000-draw estimate, or 2e-4 absolute.
            assert!(
                (exact - mc).abs() < 2e-4 + 0.01 * mc,
                "{exact} vs {mc} ({front:?}, {mean:?}, {std:?})"
            );
        }
    }

    #[test]
    fn zero_std_gives_the_plain_improvement() {
        let front = vec![vec![1.0, 0.2], vec![0.2, 1.0]];
        let e = ehvi_2d(&front, &[0.0, 0.0], &[0.8, 0.8], &[0.0, 0.0]);
        let hvi = hypervolume_improvement(&front, &[0.8, 0.8], &[0.0, 0.0]);
        assert!((e - hvi).abs() < 1e-12, "{e} vs {hvi}");
    }
}
