//! Thompson sampling in weight space: exact draws of the posterior function, by
//! Matheron's rule (pathwise conditioning, Wilson et al. 2020): draw the weights from the
//! prior, then move them by the data's residual,
//! `w = w0 + Phi' (K + r I)^-1 (z - Phi w0 - e)`. With the WL feature map a draw is a weight per label, so scoring a candidate
//! under it costs one sparse dot product, and a batch of Q proposals is Q independent
//! draws, whose perturbed solves run together (one block solve, Cholesky or conjugate
//! gradients).

use super::design::Design;
use super::Gp;
use crate::error::{Error, Result};
use crate::kernel::BaseKernel;
use crate::wl::{mix64, Features};
use nohash_hasher::IntMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Relative residual of a draw's perturbed solve: its error moves the drawn function by a
/// millionth of the residual's scale, far inside the draw's own spread, for about half
/// the iterations of the posterior mean's 1e-10.
const DRAW_TOLERANCE: f64 = 1e-6;

/// `q` functions drawn from the GP posterior, in the latent scale.
pub struct ThompsonDraws {
    design: Design,
    q: usize,
    /// The drawn weights of the seen labels, |S| x q row-major.
    weights: Vec<f64>,
    /// sqrt(s2): the prior std of a weight.
    prior_std: f64,
    /// Seed of the weights of labels never seen in training: each such label's q weights
    /// come from a generator seeded by the label's hash, so every candidate sharing a label
    /// shares its weights.
    unseen_seed: u64,
    normalize: bool,
}

impl ThompsonDraws {
    /// Draws `q` posterior functions: an error for the optimal-assignment base kernel (no
    /// finite feature map) or a failed solve.
    pub fn draw(gp: &Gp, q: usize, rng: &mut impl Rng) -> Result<ThompsonDraws> {
        if gp.kernel.base != BaseKernel::Dot {
            return Err(Error::Config(
                "Thompson sampling draws weights of the WL feature map: use the dot base kernel"
                    .into(),
            ));
        }
        let design = match gp.krylov() {
            Some(kr) => kr.design().clone(),
            None => Design::new(&gp.train, gp.kernel.normalize),
        };
        let (n, s) = (design.rows(), design.cols());
        let prior_std = gp.signal.sqrt();
        let mut w0: Vec<f64> = (0..s * q)
            .map(|_| prior_std * rng.sample::<f64, _>(StandardNormal))
            .collect();
        // The residual z - Phi w0 - e, e ~ N(0, s2 r), for every draw at once.
        let noise_std = (gp.signal * gp.noise_ratio).sqrt();
        let mut resid = design.mul_block(&w0, q);
        for (i, row) in resid.chunks_mut(q).enumerate() {
            for v in row {
                *v = gp.z[i] - *v - noise_std * rng.sample::<f64, _>(StandardNormal);
            }
        }
        let v = gp.solve_block(&resid, q, DRAW_TOLERANCE)?;
        debug_assert_eq!(v.len(), n * q);
        for (w, u) in w0.iter_mut().zip(design.tmul_block(&v, q)) {
            *w += u;
        }
        Ok(ThompsonDraws {
            design,
            q,
            weights: w0,
            prior_std,
            unseen_seed: rng.gen(),
            normalize: gp.kernel.normalize,
        })
    }

    /// Number of draws.
    pub fn len(&self) -> usize {
        self.q
    }

    /// Whether there are no draws.
    pub fn is_empty(&self) -> bool {
        self.q == 0
    }

    /// Every drawn function's value at a candidate (`q` values, in draw order).
    pub fn values(&self, x: &Features) -> Vec<f64> {
        self.values_many(std::slice::from_ref(x))
            .pop()
            .expect("one candidate")
    }

    /// [`ThompsonDraws::values`] for many candidates: the prior weights of the labels
    /// unseen in training are drawn once per label and draw, not once per candidate.
    pub fn values_many(&self, xs: &[Features]) -> Vec<Vec<f64>> {
        let q = self.q;
        let mut unseen: IntMap<u64, usize> = IntMap::default();
        for x in xs {
            for &l in &x.labels {
                if self.design.column(l).is_none() {
                    let next = unseen.len();
                    unseen.entry(l).or_insert(next);
                }
            }
        }
        let mut labels = vec![0u64; unseen.len()];
        for (&l, &k) in &unseen {
            labels[k] = l;
        }
        let prior: Vec<f64> = labels
            .par_iter()
            .flat_map_iter(|&l| {
                let mut r = ChaCha8Rng::seed_from_u64(mix64(l ^ self.unseen_seed));
                (0..q).map(move |_| self.prior_std * r.sample::<f64, _>(StandardNormal))
            })
            .collect();
        xs.par_iter()
            .map(|x| {
                let s = super::weight_space::feature_scale(x, self.normalize);
                let mut out = vec![0.0; q];
                for (l, c) in x.iter() {
                    let row = match self.design.column(l) {
                        Some(j) => &self.weights[j * q..(j + 1) * q],
                        None => {
                            let k = unseen[&l];
                            &prior[k * q..(k + 1) * q]
                        }
                    };
                    let v = c as f64 * s;
                    for (o, w) in out.iter_mut().zip(row) {
                        *o += w * v;
                    }
                }
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gp::{GpConfig, SolverChoice, Transform};
    use crate::space::{Nb201Space, Sampler, Space};
    use crate::wl;

    /// Over many draws, the sample mean and covariance at held-out candidates match the
    /// posterior's (Monte Carlo, 4 standard errors), under both solvers.
    #[test]
    fn draws_follow_the_posterior() {
        let s = Nb201Space::default();
        let d = crate::bench_data::dataset("nb201").unwrap();
        let mut obj = crate::search::TableObjective::new(d, "baseline_accuracy").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let cells: Vec<_> = (0..60).map(|_| s.sample(&mut rng)).collect();
        let y: Vec<f64> = cells
            .iter()
            .map(|c| crate::search::Objective::evaluate(&mut obj, &s, c).unwrap())
            .collect();
        let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
        for solver in [SolverChoice::Exact, SolverChoice::Iterative] {
            let cfg = GpConfig {
                transform: Transform::NegLogError { scale: 100.0 },
                solver,
                ..Default::default()
            };
            let gp = Gp::fit(&archs[..50], &y[..50], &cfg).unwrap();
            let test = wl::features_batch(&archs[50..], &gp.wl_config());
            let preds = gp.predict_features(&test);
            let cov = gp.predict_cov(&test);
            let m = 4_000;
            let draws = ThompsonDraws::draw(&gp, m, &mut rng).unwrap();
            assert_eq!(draws.len(), m);
            let v: Vec<Vec<f64>> = test.iter().map(|f| draws.values(f)).collect();
            let mean = |a: &[f64]| a.iter().sum::<f64>() / m as f64;
            for (i, p) in preds.iter().enumerate() {
                let mi = mean(&v[i]);
                let se_mean = (p.std * p.std / m as f64).sqrt();
                assert!(
                    (mi - p.mean).abs() < 4.0 * se_mean + 1e-9,
                    "{solver:?}: {mi} vs {}",
                    p.mean
                );
                for j in 0..test.len() {
                    let mj = mean(&v[j]);
                    let c: f64 = v[i]
                        .iter()
                        .zip(&v[j])
                        .map(|(a, b)| (a - mi) * (b - mj))
                        .sum::<f64>()
                        / (m - 1) as f64;
                    // Var of a sample covariance: (s_ii s_jj + s_ij^2) / (m - 1).
                    let exact = if i == j { p.std * p.std } else { cov[(i, j)] };
                    let se = ((cov[(i, i)] * cov[(j, j)] + exact * exact) / (m - 1) as f64).sqrt();
                    assert!(
                        (c - exact).abs() < 4.5 * se + 1e-9,
                        "{solver:?} ({i}, {j}): {c} vs {exact}"
                    );
                }
            }
        }
    }
}
