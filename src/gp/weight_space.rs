//! The weight-space form of the GP posterior (DESIGN.md §4): with a linear kernel
//! `k(x, x') = phi(x) . phi(x')`, the posterior mean is a sparse dot product with a weight
//! vector and the variance a quadratic form on the features seen in training, so scoring
//! a candidate costs O(nnz^2) (or O(n nnz)) whatever the pool size. Equal to the
//! function-space posterior up to rounding (a test).

use super::{Gp, Prediction};
use crate::kernel::{self_kernel, BaseKernel};
use crate::wl::Features;
use nalgebra::DMatrix;
use std::collections::HashMap;

/// How the variance's quadratic form is stored.
#[derive(Clone, Debug)]
enum Quadratic {
    /// `M = A' A` (|S| x |S|): nnz^2 operations per candidate.
    Dense(DMatrix<f64>),
    /// `A = L^-1 Phi_S` (n x |S|, one column per seen label, column-major): n * nnz per
    /// candidate, for spaces with many distinct labels.
    Factor(DMatrix<f64>),
}

/// A fitted GP in weight space, built once per fit.
#[derive(Clone, Debug)]
pub struct WeightSpace {
    index: HashMap<u64, usize>,
    weights: Vec<f64>,
    quad: Quadratic,
    signal: f64,
    normalize: bool,
}

/// Largest |S| for which the dense |S| x |S| form is kept (512 MiB of f64). Measured on
/// NB201 with n = 1,000 (|S| = 3,099): dense 0.95 M candidates/s, factor 0.50 M/s.
const DENSE_MAX: usize = 8_192;

impl WeightSpace {
    /// Builds the weight-space posterior of a fitted GP, or `None` for the optimal-
    /// assignment base kernel (its feature map is not the raw counts). The variance form
    /// (dense |S| x |S| or n x |S| factor) is chosen by the cost per candidate.
    pub fn new(gp: &Gp) -> Option<WeightSpace> {
        Self::build(gp, None)
    }

    /// As [`WeightSpace::new`] with the variance form forced (for tests and benches).
    #[doc(hidden)]
    pub fn with_form(gp: &Gp, dense: bool) -> Option<WeightSpace> {
        Self::build(gp, Some(dense))
    }

    fn build(gp: &Gp, force_dense: Option<bool>) -> Option<WeightSpace> {
        if gp.kernel.base != BaseKernel::Dot {
            return None;
        }
        let n = gp.train.len();
        let mut index: HashMap<u64, usize> = HashMap::new();
        for f in &gp.train {
            for &l in &f.labels {
                let next = index.len();
                index.entry(l).or_insert(next);
            }
        }
        let s = index.len();
        // Phi_S, n x |S| (dense: n and |S| are both modest at fitting time).
        let mut phi = DMatrix::<f64>::zeros(n, s);
        for (i, f) in gp.train.iter().enumerate() {
            let scale = feature_scale(f, gp.kernel.normalize);
            for (l, c) in f.iter() {
                phi[(i, index[&l])] = c as f64 * scale;
            }
        }
        // mean(x) = k*' alpha = phi(x)' (Phi' alpha).
        let weights = phi.tr_mul(&gp.alpha).iter().copied().collect();
        // A = L^-1 Phi_S and M = A'A with faer's blocked, parallel kernels (nalgebra's
        // unblocked triangular solve took seconds at n = 1,000).
        let l = gp.chol.l();
        let lf = faer::Mat::<f64>::from_fn(n, n, |i, j| l[(i, j)]);
        let mut af = faer::Mat::<f64>::from_fn(n, s, |i, j| phi[(i, j)]);
        let par = faer::Par::rayon(0);
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
            lf.as_ref(),
            af.as_mut(),
            par,
        );
        let nnz_mean = gp.train.iter().map(|f| f.nnz()).sum::<usize>() as f64 / n.max(1) as f64;
        // Per candidate: dense costs nnz^2, factor costs n * nnz.
        let dense = force_dense.unwrap_or(s <= DENSE_MAX && nnz_mean <= n as f64);
        let quad = if dense {
            let mut m = faer::Mat::<f64>::zeros(s, s);
            faer::linalg::matmul::matmul(
                m.as_mut(),
                faer::Accum::Replace,
                af.transpose(),
                af.as_ref(),
                1.0,
                par,
            );
            Quadratic::Dense(DMatrix::from_fn(s, s, |i, j| m[(i, j)]))
        } else {
            Quadratic::Factor(DMatrix::from_fn(n, s, |i, j| af[(i, j)]))
        };
        Some(WeightSpace {
            index,
            weights,
            quad,
            signal: gp.signal,
            normalize: gp.kernel.normalize,
        })
    }

    /// Number of distinct training labels |S|.
    pub fn seen_features(&self) -> usize {
        self.index.len()
    }

    /// Whether the dense |S| x |S| form was chosen (else the n x |S| factor).
    pub fn is_dense(&self) -> bool {
        matches!(self.quad, Quadratic::Dense(_))
    }

    /// Posterior mean and standard deviation of one candidate, in the latent scale.
    pub fn predict(&self, x: &Features) -> Prediction {
        self.predict_if(x, |_| true).expect("always kept")
    }

    /// The posterior, computed only if `keep` accepts the cheap upper bound first: the
    /// exact mean with the prior standard deviation (the posterior one never exceeds it).
    /// Returns `None` when `keep` rejects the bound, skipping the quadratic form.
    pub fn predict_if(
        &self,
        x: &Features,
        keep: impl Fn(Prediction) -> bool,
    ) -> Option<Prediction> {
        let scale = feature_scale(x, self.normalize);
        let total = self_kernel(x, BaseKernel::Dot) as f64 * scale * scale;
        let mut seen: Vec<(usize, f64)> = Vec::with_capacity(x.nnz());
        for (l, c) in x.iter() {
            if let Some(&j) = self.index.get(&l) {
                seen.push((j, c as f64 * scale));
            }
        }
        let mean = seen.iter().map(|&(j, v)| self.weights[j] * v).sum();
        if !keep(Prediction {
            mean,
            std: (self.signal * total).sqrt(),
        }) {
            return None;
        }
        let q = match &self.quad {
            Quadratic::Dense(m) => {
                let mut q = 0.0;
                for &(j, vj) in &seen {
                    let col = m.column(j);
                    for &(k, vk) in &seen {
                        q += vj * col[k] * vk;
                    }
                }
                q
            }
            Quadratic::Factor(a) => {
                let mut acc = vec![0.0; a.nrows()];
                for &(j, v) in &seen {
                    for (t, &aij) in acc.iter_mut().zip(a.column(j).iter()) {
                        *t += aij * v;
                    }
                }
                acc.iter().map(|t| t * t).sum()
            }
        };
        Some(Prediction {
            mean,
            std: (self.signal * (total - q).max(0.0)).sqrt(),
        })
    }
}

/// `1 / sqrt(k(x, x))` for the normalised kernel, else 1.
fn feature_scale(x: &Features, normalize: bool) -> f64 {
    if !normalize {
        return 1.0;
    }
    let k = self_kernel(x, BaseKernel::Dot) as f64;
    if k > 0.0 {
        1.0 / k.sqrt()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_data::dataset;
    use crate::gp::{GpConfig, Transform};
    use crate::search::{Objective, TableObjective};
    use crate::space::{Nb201Space, NbGraphSpace, Sampler, TableKey};
    use crate::wl;
    use rand::SeedableRng;

    fn check<S: Sampler + TableKey>(space: &S, name: &str, metric: &str, scale: f64) {
        let d = dataset(name).unwrap();
        let mut obj = TableObjective::new(d, metric).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let cells: Vec<_> = (0..260).map(|_| space.sample(&mut rng)).collect();
        let y: Vec<f64> = cells[..200]
            .iter()
            .map(|c| obj.evaluate(space, c).unwrap())
            .collect();
        let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
        for normalize in [true, false] {
            let mut cfg = GpConfig {
                transform: Transform::NegLogError { scale },
                ..Default::default()
            };
            cfg.kernel.normalize = normalize;
            let gp = Gp::fit(&archs[..200], &y, &cfg).unwrap();
            let test = wl::features_batch(&archs[200..], &gp.wl_config());
            let fs = gp.predict_features(&test);
            for dense in [true, false] {
                let ws = WeightSpace::with_form(&gp, dense).unwrap();
                for (f, p) in test.iter().zip(&fs) {
                    let w = ws.predict(f);
                    let tol =
                        |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3);
                    assert!(tol(w.mean, p.mean), "{name} mean {} vs {}", w.mean, p.mean);
                    assert!(
                        tol(w.std * w.std, p.std * p.std),
                        "{name} var {} vs {}",
                        w.std,
                        p.std
                    );
                }
            }
        }
    }

    #[test]
    fn weight_space_equals_function_space_on_real_data() {
        check(&Nb201Space::default(), "nb201", "baseline_accuracy", 100.0);
        check(&NbGraphSpace::new(false), "cora", "valid_perf", 1.0);
    }
}
