//! Hyperparameters by marginal likelihood or by leave-one-out predictive density. With
//! standardised targets and kernel `s2 (K + r I)`, the best signal variance for a given
//! noise ratio r has a closed form under either criterion, so only r needs a search: a
//! log grid, then golden-section, each step O(n) (evidence) or O(n^2) (leave-one-out) on
//! one eigendecomposition of K.

use crate::error::{Error, Result};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use serde::Serialize;

/// How the WL depth and the noise are chosen (`--select`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// Leave-one-out log predictive density, in closed form (Rasmussen and Williams 2006,
    /// sec. 5.4.2): how well each training point is predicted from the others.
    #[default]
    Loo,
    /// Log marginal likelihood (the evidence).
    Evidence,
}

crate::named!(Selection, "selection rule", {
    Loo => "loo",
    Evidence => "evidence",
});

/// What the hyperparameter search chose, and the evidence for it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FitReport {
    /// WL depth.
    pub h: usize,
    /// Signal variance s2 (latent scale).
    pub signal: f64,
    /// Noise variance over signal variance.
    pub noise_ratio: f64,
    /// Log marginal likelihood at the chosen hyperparameters.
    pub lml: f64,
    /// The selection criterion's value (per training point), which chose them.
    pub score: f64,
    /// Training points the hyperparameters were chosen on, when fewer than all (the
    /// iterative solver chooses h and the noise on a subset, then solves on all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<usize>,
    /// Conjugate-gradient iterations of the iterative solve (absent for Cholesky).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
}

const LOG10_R_MIN: f64 = -6.0;
const LOG10_R_MAX: f64 = 1.0;
const GRID: usize = 29;
const GOLDEN_STEPS: usize = 20;
/// The smallest signal variance (standardised units): the posterior never collapses to
/// zero variance, however well the training points are fitted.
const SIGNAL_FLOOR: f64 = 1e-6;

/// The Cholesky factor of a symmetric matrix, `None` if it is not positive definite.
/// Large matrices are factored by faer (11x nalgebra at n = 2,000, `cargo bench --bench
/// gp_fit`) and handed to nalgebra's type, which the posterior code uses.
fn cholesky(a: &DMatrix<f64>) -> Option<Cholesky<f64, Dyn>> {
    let n = a.nrows();
    if n < 64 {
        return Cholesky::new(a.clone());
    }
    let fa = faer::MatRef::from_column_major_slice(a.as_slice(), n, n);
    let llt = fa.llt(faer::Side::Lower).ok()?;
    let l = llt.L();
    Some(Cholesky::pack_dirty(DMatrix::from_fn(n, n, |i, j| {
        if i >= j {
            l[(i, j)]
        } else {
            0.0
        }
    })))
}

/// Cholesky of `K + r I`, adding jitter if rounding makes it indefinite.
pub(crate) fn factor(k: &DMatrix<f64>, r: f64) -> Result<Cholesky<f64, Dyn>> {
    let n = k.nrows();
    let mut jitter = 0.0;
    let scale = (k.trace() / n.max(1) as f64).max(1e-300);
    for _ in 0..8 {
        let mut a = k.clone();
        for i in 0..n {
            a[(i, i)] += r + jitter;
        }
        if let Some(c) = cholesky(&a) {
            return Ok(c);
        }
        jitter = if jitter == 0.0 {
            1e-10 * scale
        } else {
            jitter * 10.0
        };
    }
    Err(Error::Singular { jitter })
}

/// Log marginal likelihood of standardised targets `z` under `s2 (K + r I)` with the
/// optimal `s2`; returns `(lml, s2, cholesky)`.
pub fn log_marginal_likelihood(
    k: &DMatrix<f64>,
    z: &DVector<f64>,
    r: f64,
) -> Result<(f64, f64, Cholesky<f64, Dyn>)> {
    let n = z.len() as f64;
    let c = factor(k, r)?;
    let alpha = c.solve(z);
    let quad = z.dot(&alpha).max(1e-300);
    let s2 = quad / n;
    let logdet: f64 = c.l().diagonal().iter().map(|d| 2.0 * d.ln()).sum();
    let lml = -0.5 * n * (1.0 + (2.0 * std::f64::consts::PI * s2).ln()) - 0.5 * logdet;
    Ok((lml, s2, c))
}

/// The eigendecomposition of a Gram matrix, which makes either criterion cheap for
/// every noise ratio: with `K = U diag(l) U'` and `q = U' z`,
/// `log|K + r I| = sum ln(l_i + r)`, `z' (K + r I)^-1 z = sum q_i^2 / (l_i + r)`, and the
/// leave-one-out residuals and variances come from `(K + r I)^-1 = U diag(1/(l + r)) U'`.
pub(crate) struct Spectrum {
    eig: Vec<f64>,
    q: Vec<f64>,
    /// `U` row-major: `u[i * n + j]` is component i of eigenvector j.
    u: Vec<f64>,
}

impl Spectrum {
    pub(crate) fn new(k: &DMatrix<f64>, z: &DVector<f64>) -> Result<Spectrum> {
        let n = k.nrows();
        // faer: about 5x nalgebra's Cholesky at n = 2,000 and a fast symmetric eigensolver
        // (README, "Performance"); one eigendecomposition replaces ~30 factorisations.
        let fk = faer::Mat::<f64>::from_fn(n, n, |i, j| k[(i, j)]);
        let e = fk
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|_| Error::Singular { jitter: 0.0 })?;
        let (s, uu) = (e.S().column_vector(), e.U());
        let eig = (0..n).map(|i| s[i].max(0.0)).collect();
        let q = (0..n)
            .map(|j| (0..n).map(|i| uu[(i, j)] * z[i]).sum::<f64>())
            .collect();
        let mut u = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                u[i * n + j] = uu[(i, j)];
            }
        }
        Ok(Spectrum { eig, q, u })
    }

    /// Log marginal likelihood at noise ratio `r` with the optimal signal variance.
    pub(crate) fn lml(&self, r: f64) -> f64 {
        let n = self.eig.len() as f64;
        let (mut quad, mut logdet) = (0.0, 0.0);
        for (l, q) in self.eig.iter().zip(&self.q) {
            quad += q * q / (l + r);
            logdet += (l + r).ln();
        }
        let s2 = (quad / n).max(1e-300);
        -0.5 * n * (1.0 + (2.0 * std::f64::consts::PI * s2).ln()) - 0.5 * logdet
    }

    /// Leave-one-out residuals `z_i - mu_(-i)` and variances (in units of s2) at `r`.
    pub(crate) fn loo(&self, r: f64) -> (Vec<f64>, Vec<f64>) {
        let n = self.eig.len();
        let w: Vec<f64> = self.eig.iter().map(|l| 1.0 / (l + r)).collect();
        let wq: Vec<f64> = w.iter().zip(&self.q).map(|(w, q)| w * q).collect();
        (0..n)
            .map(|i| {
                let row = &self.u[i * n..(i + 1) * n];
                let (mut alpha, mut d) = (0.0, 0.0);
                for j in 0..n {
                    alpha += row[j] * wq[j];
                    d += row[j] * row[j] * w[j];
                }
                let d = d.max(1e-300);
                (alpha / d, 1.0 / d)
            })
            .unzip()
    }

    /// Leave-one-out log predictive density at `r` with its optimal signal variance
    /// (`s2 = mean(res_i^2 / var_i)`); returns `(lpd, s2)`.
    pub(crate) fn loo_lpd(&self, r: f64) -> (f64, f64) {
        let (res, var) = self.loo(r);
        let n = res.len() as f64;
        let s2 = (res.iter().zip(&var).map(|(e, v)| e * e / v).sum::<f64>() / n).max(1e-300);
        let logvar: f64 = var.iter().map(|v| v.ln()).sum();
        let lpd = -0.5 * n * (1.0 + (2.0 * std::f64::consts::PI * s2).ln()) - 0.5 * logvar;
        (lpd, s2)
    }
}

/// The log10 noise ratio maximising `eval` over `[1e-6, 10]`: a log grid, then
/// golden-section search around the best grid point.
fn best_log_ratio(eval: impl Fn(f64) -> f64) -> f64 {
    let step = (LOG10_R_MAX - LOG10_R_MIN) / (GRID - 1) as f64;
    let grid: Vec<f64> = (0..GRID).map(|i| LOG10_R_MIN + step * i as f64).collect();
    let vals: Vec<f64> = grid.iter().map(|&g| eval(g)).collect();
    let best = vals
        .iter()
        .enumerate()
        .fold(0, |b, (i, &v)| if v > vals[b] { i } else { b });
    let (mut a, mut b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(GRID - 1)]);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (eval(c), eval(d));
    for _ in 0..GOLDEN_STEPS {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = eval(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = eval(d);
        }
    }
    [(grid[best], vals[best]), (c, fc), (d, fd)]
        .into_iter()
        .fold((grid[best], f64::NEG_INFINITY), |acc, x| {
            if x.1 > acc.1 {
                x
            } else {
                acc
            }
        })
        .0
}

/// Chooses the noise ratio (and signal variance) for one Gram matrix by `selection`;
/// the chosen model is then factorised once. Leave-one-out needs at least 3 points, and
/// falls back to the evidence below that.
pub(crate) fn fit_noise(
    k: &DMatrix<f64>,
    z: &DVector<f64>,
    h: usize,
    selection: Selection,
) -> Result<(FitReport, Cholesky<f64, Dyn>)> {
    let spec = Spectrum::new(k, z)?;
    let n = z.len().max(1) as f64;
    // Nothing to learn from (constant or single values standardise to z = 0): the prior's
    // signal variance and as much noise as signal, so the posterior stays near the prior
    // and keeps exploring instead of collapsing onto the evaluated points.
    let nothing = z.iter().all(|v| v.abs() < 1e-12);
    let (r, score, loo_s2) = match selection {
        _ if nothing => (1.0, 0.0, Some(1.0)),
        Selection::Loo if z.len() >= 3 => {
            let lr = best_log_ratio(|lr| spec.loo_lpd(10f64.powf(lr)).0);
            let r = 10f64.powf(lr);
            let (lpd, s2) = spec.loo_lpd(r);
            (r, lpd / n, Some(s2))
        }
        _ => {
            let r = 10f64.powf(best_log_ratio(|lr| spec.lml(10f64.powf(lr))));
            (r, spec.lml(r) / n, None)
        }
    };
    let (lml, s2, chol) = log_marginal_likelihood(k, z, r)?;
    let signal = if nothing {
        1.0
    } else {
        loo_s2.unwrap_or(s2).max(SIGNAL_FLOOR)
    };
    Ok((
        FitReport {
            h,
            signal,
            noise_ratio: r,
            lml,
            score,
            subset: None,
            iterations: None,
        },
        chol,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lml_matches_the_textbook_formula() {
        // A small SPD matrix and targets; compare with an explicit determinant and inverse.
        let k = DMatrix::from_row_slice(3, 3, &[1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0]);
        let z = DVector::from_vec(vec![1.0, -0.5, -0.5]);
        let r = 0.1;
        let (lml, s2, _) = log_marginal_likelihood(&k, &z, r).unwrap();
        let ky = (&k + DMatrix::identity(3, 3) * r) * s2;
        let direct = -0.5 * (z.transpose() * ky.clone().try_inverse().unwrap() * &z)[0]
            - 0.5 * ky.determinant().ln()
            - 1.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((lml - direct).abs() < 1e-12, "{lml} vs {direct}");
        // s2 is the maximiser: nudging it lowers the likelihood.
        for f in [0.9, 1.1] {
            let ky = (&k + DMatrix::identity(3, 3) * r) * (s2 * f);
            let other = -0.5 * (z.transpose() * ky.clone().try_inverse().unwrap() * &z)[0]
                - 0.5 * ky.determinant().ln()
                - 1.5 * (2.0 * std::f64::consts::PI).ln();
            assert!(other < lml);
        }
    }

    #[test]
    fn spectral_lml_equals_the_cholesky_one() {
        let k = DMatrix::from_fn(6, 6, |i, j| 1.0 / (1.0 + (i as f64 - j as f64).abs()));
        let z = DVector::from_vec(vec![0.3, -1.0, 0.5, 1.2, -0.4, -0.6]);
        let spec = Spectrum::new(&k, &z).unwrap();
        for r in [1e-6, 1e-3, 0.1, 3.0] {
            let (l, _, _) = log_marginal_likelihood(&k, &z, r).unwrap();
            assert!(
                (spec.lml(r) - l).abs() < 1e-9 * l.abs().max(1.0),
                "{r}: {} vs {l}",
                spec.lml(r)
            );
        }
    }

    #[test]
    fn closed_form_loo_equals_refitting_without_each_point() {
        let n = 7;
        let k = DMatrix::from_fn(n, n, |i, j| {
            (-((i as f64 - j as f64).powi(2)) / 6.0).exp() + if i == j { 0.05 } else { 0.0 }
        });
        let z = DVector::from_vec(vec![0.3, -1.0, 0.5, 1.2, -0.4, -0.6, 0.2]);
        let spec = Spectrum::new(&k, &z).unwrap();
        let r = 0.07;
        let (res, var) = spec.loo(r);
        for i in 0..n {
            let keep: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            let kk = DMatrix::from_fn(n - 1, n - 1, |a, b| k[(keep[a], keep[b])])
                + DMatrix::identity(n - 1, n - 1) * r;
            let ks = DVector::from_fn(n - 1, |a, _| k[(keep[a], i)]);
            let zz = DVector::from_fn(n - 1, |a, _| z[keep[a]]);
            let inv = kk.try_inverse().unwrap();
            let mu = (ks.transpose() * &inv * &zz)[0];
            let v = k[(i, i)] + r - (ks.transpose() * &inv * &ks)[0];
            assert!(
                (z[i] - mu - res[i]).abs() < 1e-9,
                "{i}: {} vs {}",
                z[i] - mu,
                res[i]
            );
            assert!((v - var[i]).abs() < 1e-9, "{i}: {v} vs {}", var[i]);
        }
    }

    #[test]
    fn singular_gram_gets_jitter() {
        let k = DMatrix::from_element(4, 4, 1.0);
        let z = DVector::from_vec(vec![1.0, 1.0, -1.0, -1.0]);
        assert!(log_marginal_likelihood(&k, &z, 0.0).is_ok());
    }
}
