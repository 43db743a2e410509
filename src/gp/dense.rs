//! A GP on a precomputed kernel matrix, for surrogates whose kernel is not a WL dot
//! product: NAGO's generators (Matérn-5/2 on θ, the WL mean embedding, their mixture).
//! Targets are standardised inside; predictions come back in the targets' units.

use super::Prediction;
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

/// The Matérn-5/2 correlation of two points with one length scale per dimension.
pub fn matern52(a: &[f64], b: &[f64], lengths: &[f64]) -> f64 {
    let r2: f64 = a
        .iter()
        .zip(b)
        .zip(lengths)
        .map(|((x, y), l)| ((x - y) / l).powi(2))
        .sum();
    let r = (5.0 * r2).sqrt();
    (1.0 + r + r * r / 3.0) * (-r).exp()
}

/// A fitted GP on a kernel matrix (unit signal variance on standardised targets).
pub struct DenseGp {
    chol: Cholesky<f64, Dyn>,
    alpha: DVector<f64>,
    mean: f64,
    scale: f64,
    /// Log marginal likelihood of the standardised targets.
    pub log_likelihood: f64,
}

impl DenseGp {
    /// Fits targets `y` with kernel matrix `k` (noise-free) plus `noise` on the diagonal
    /// (in standardised units); `None` if the matrix is not positive definite.
    pub fn fit(k: &DMatrix<f64>, y: &[f64], noise: f64) -> Option<DenseGp> {
        let n = y.len();
        let mean = y.iter().sum::<f64>() / n as f64;
        let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let scale = if var > 0.0 { var.sqrt() } else { 1.0 };
        let z = DVector::from_iterator(n, y.iter().map(|v| (v - mean) / scale));
        let mut kn = k.clone();
        for i in 0..n {
            kn[(i, i)] += noise;
        }
        let chol = Cholesky::new(kn)?;
        let alpha = chol.solve(&z);
        let logdet: f64 = chol.l_dirty().diagonal().iter().map(|d| d.ln()).sum();
        let log_likelihood =
            -0.5 * z.dot(&alpha) - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
        Some(DenseGp {
            chol,
            alpha,
            mean,
            scale,
            log_likelihood,
        })
    }

    /// The posterior at a point with kernel row `k_star` (against the training points) and
    /// prior variance `k_ss`, in the targets' units (latent: noise excluded).
    pub fn predict(&self, k_star: &[f64], k_ss: f64) -> Prediction {
        let ks = DVector::from_column_slice(k_star);
        let mean = ks.dot(&self.alpha);
        let v = self.chol.l_dirty().solve_lower_triangular(&ks);
        let var = v.map_or(k_ss, |v| k_ss - v.norm_squared()).max(0.0);
        Prediction {
            mean: self.mean + self.scale * mean,
            std: self.scale * var.sqrt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posterior_interpolates_and_reverts_to_the_prior() {
        let xs = [[0.1], [0.4], [0.9]];
        let y = [1.0, 3.0, 2.0];
        let l = [0.2];
        let k = DMatrix::from_fn(3, 3, |i, j| matern52(&xs[i], &xs[j], &l));
        let gp = DenseGp::fit(&k, &y, 1e-8).unwrap();
        for (x, v) in xs.iter().zip(y) {
            let row: Vec<f64> = xs.iter().map(|t| matern52(x, t, &l)).collect();
            let p = gp.predict(&row, 1.0);
            assert!((p.mean - v).abs() < 1e-4 && p.std < 1e-2, "{p:?}");
        }
        let far: Vec<f64> = xs.iter().map(|t| matern52(&[50.0], t, &l)).collect();
        let p = gp.predict(&far, 1.0);
        assert!(
            (p.mean - 2.0).abs() < 1e-6,
            "the prior mean is the targets' mean"
        );
        assert!((p.std - gp.scale).abs() < 1e-6);
        assert!(matern52(&[0.0, 0.0], &[0.0, 0.0], &[1.0, 1.0]) == 1.0);
    }
}
