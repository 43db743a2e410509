//! Thompson sampling in weight space: one exact draw of the posterior function, by
//! Matheron's rule (pathwise conditioning, Wilson et al. 2020): draw the weights from the
//! prior, then move them by the data's residual. With the WL feature map a draw is a
//! weight per label, so scoring a candidate under it costs one sparse dot product, and
//! a batch of Q proposals is Q independent draws.

use super::weight_space::feature_scale;
use super::Gp;
use crate::error::{Error, Result};
use crate::kernel::BaseKernel;
use crate::wl::{mix64, Features};
use nalgebra::DVector;
use nohash_hasher::IntMap;
use rand::Rng;
use rand_distr::StandardNormal;

/// One function drawn from the GP posterior, in the latent scale.
pub struct ThompsonSample {
    weights: IntMap<u64, f64>,
    /// sqrt(s2): the prior std of a weight.
    prior_std: f64,
    /// Seed of the weights of labels never seen in training (drawn from the prior by a
    /// hash of the label, so every candidate sharing a label shares its weight).
    unseen_seed: u64,
    normalize: bool,
}

impl ThompsonSample {
    /// Draws a posterior function: an error for the optimal-assignment base kernel (no
    /// finite feature map) or a failed iterative solve.
    pub fn draw(gp: &Gp, rng: &mut impl Rng) -> Result<ThompsonSample> {
        if gp.kernel.base != BaseKernel::Dot {
            return Err(Error::Config(
                "Thompson sampling draws weights of the WL feature map: use the dot base kernel"
                    .into(),
            ));
        }
        let prior_std = gp.signal.sqrt();
        let mut w0: IntMap<u64, f64> = IntMap::default();
        for f in &gp.train {
            for &l in &f.labels {
                w0.entry(l)
                    .or_insert_with(|| prior_std * rng.sample::<f64, _>(StandardNormal));
            }
        }
        // f0(x_i) = phi(x_i)' w0; residual z - f0 - e with e ~ N(0, s2 r).
        let noise_std = (gp.signal * gp.noise_ratio).sqrt();
        let n = gp.train.len();
        let resid = DVector::from_iterator(
            n,
            gp.train.iter().zip(gp.z.iter()).map(|(f, &z)| {
                let s = feature_scale(f, gp.kernel.normalize);
                let f0: f64 = f.iter().map(|(l, c)| w0[&l] * c as f64 * s).sum();
                z - f0 - noise_std * rng.sample::<f64, _>(StandardNormal)
            }),
        );
        // w = w0 + Phi' (K + r I)^-1 resid.
        let v = gp.solve(&resid)?;
        let mut weights = w0;
        for (f, vi) in gp.train.iter().zip(v.iter()) {
            let s = feature_scale(f, gp.kernel.normalize);
            for (l, c) in f.iter() {
                *weights.get_mut(&l).expect("drawn above") += c as f64 * s * vi;
            }
        }
        Ok(ThompsonSample {
            weights,
            prior_std,
            unseen_seed: rng.gen(),
            normalize: gp.kernel.normalize,
        })
    }

    /// The drawn function's value at a candidate.
    pub fn value(&self, x: &Features) -> f64 {
        let s = feature_scale(x, self.normalize);
        x.iter()
            .map(|(l, c)| {
                let w = self
                    .weights
                    .get(&l)
                    .copied()
                    .unwrap_or_else(|| self.prior_std * hashed_normal(l ^ self.unseen_seed));
                w * c as f64 * s
            })
            .sum()
    }
}

/// A standard normal variate determined by `key` (Box-Muller on two hashed uniforms).
fn hashed_normal(key: u64) -> f64 {
    let u = |k: u64| ((mix64(k) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (u1, u2) = (u(key), u(key ^ 0x9e37_79b9_7f4a_7c15));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gp::{GpConfig, Transform};
    use crate::space::{Nb201Space, Sampler, Space};
    use crate::wl;
    use rand::SeedableRng;

    /// Over many draws, the sample mean and variance at held-out candidates match the
    /// posterior mean and variance (Monte Carlo, 4 standard errors).
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
        let cfg = GpConfig {
            transform: Transform::NegLogError { scale: 100.0 },
            ..Default::default()
        };
        let gp = Gp::fit(&archs[..50], &y[..50], &cfg).unwrap();
        let test = wl::features_batch(&archs[50..], &gp.wl_config());
        let preds = gp.predict_features(&test);
        let m = 4_000;
        let draws: Vec<ThompsonSample> = (0..m)
            .map(|_| ThompsonSample::draw(&gp, &mut rng).unwrap())
            .collect();
        for (f, p) in test.iter().zip(&preds) {
            let v: Vec<f64> = draws.iter().map(|d| d.value(f)).collect();
            let mean = v.iter().sum::<f64>() / m as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
            let se_mean = (p.std * p.std / m as f64).sqrt();
            assert!(
                (mean - p.mean).abs() < 4.0 * se_mean + 1e-9,
                "{mean} vs {}",
                p.mean
            );
            // Var of a sample variance: 2 sigma^4 / (m - 1).
            let se_var = (2.0 / (m - 1) as f64).sqrt() * p.std * p.std;
            assert!(
                (var - p.std * p.std).abs() < 4.0 * se_var + 1e-9,
                "{var} vs {}",
                p.std.powi(2)
            );
        }
    }
}
