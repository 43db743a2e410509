//! A graph-Laplacian-regularised GP: the kernel-based semi-supervised model.
//!
//! Manifold regularisation (Sindhwani, Niyogi and Belkin 2005) deforms a kernel so that
//! functions that vary across the edges of a graph over labelled and unlabelled points
//! have less prior mass. For the WL kernel `k = phi' phi` with weights `w ~ N(0, I)`, adding
//! the penalty `gamma (Phi w)' L (Phi w)` to the prior precision gives the kernel
//! `phi' (I + gamma Phi' L Phi)^-1 phi'`. Over all of a space's labels (100,000 on
//! NAS-Bench-Graph) that inverse is out of reach, so the penalty acts on the top `d`
//! directions `V` of the feature matrix (the SVD embedding `e = V' phi`), where
//! Woodbury gives it in closed form:
//!
//! `k~(x, z) = k(x, z) - e_x' C e_z`, `C = A (I + A)^-1`, `A = gamma V' Phi' L Phi V`,
//!
//! positive semi-definite for every `gamma >= 0` and the plain GP at `gamma = 0`. `gamma` is
//! chosen with the noise and scale by marginal likelihood, so the graph is used only when
//! the labels support it.

use super::Pool;
use crate::error::{Error, Result};
use crate::gp::Prediction;
use crate::kernel::{self, BaseKernel, KernelConfig};
use crate::wl::Features;
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rayon::prelude::*;

/// Penalty strengths tried, relative to the mean eigenvalue of `V' Phi' L Phi V`.
const GAMMAS: [f64; 7] = [0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0];

/// Posterior of every pool node and the penalty the evidence chose.
#[derive(Clone, Debug)]
pub struct LaplacianFit {
    /// Latent posterior of every node (standardised scale of the targets).
    pub predictions: Vec<Prediction>,
    /// The chosen `gamma` (0: the graph did not help the evidence).
    pub gamma: f64,
}

/// `V' Phi' L Phi V = sum over edges w_ij (e_i - e_j)(e_i - e_j)'`, eigendecomposed.
fn smoothness(pool: &Pool) -> SymmetricEigen<f64, nalgebra::Dyn> {
    let d = pool.d;
    let e = |i: usize| &pool.embedding[i * d..(i + 1) * d];
    let mut s = DMatrix::<f64>::zeros(d, d);
    for i in 0..pool.len() {
        for (j, w) in pool.graph.neighbours(i).filter(|&(j, _)| j > i) {
            let diff: Vec<f64> = e(i).iter().zip(e(j)).map(|(a, b)| (a - b) as f64).collect();
            for a in 0..d {
                for b in 0..d {
                    s[(a, b)] += w as f64 * diff[a] * diff[b];
                }
            }
        }
    }
    SymmetricEigen::new(s)
}

/// Fits the Laplacian-regularised GP on `z` at nodes `labelled` (the pool's features,
/// normalised dot WL kernel at the graph's depth) and predicts every node.
pub fn laplacian_gp(pool: &Pool, labelled: &[usize], z: &[f64]) -> Result<LaplacianFit> {
    fit_with(pool, labelled, z, &GAMMAS)
}

fn fit_with(pool: &Pool, labelled: &[usize], z: &[f64], gammas: &[f64]) -> Result<LaplacianFit> {
    let (n, d, feats) = (labelled.len(), pool.d, &pool.features);
    if n == 0 || n != z.len() || feats.len() != pool.len() {
        return Err(Error::Config(format!(
            "Laplacian GP: {n} labelled nodes, {} targets, {} features for {} nodes",
            z.len(),
            feats.len(),
            pool.len()
        )));
    }
    let cfg = KernelConfig {
        base: BaseKernel::Dot,
        normalize: true,
    };
    let s = smoothness(pool);
    let scale = (s.eigenvalues.sum() / d as f64).max(1e-300);
    let emb = |i: usize| {
        DVector::from_iterator(
            d,
            pool.embedding[i * d..(i + 1) * d].iter().map(|&v| v as f64),
        )
    };
    let el = DMatrix::from_fn(n, d, |r, c| pool.embedding[labelled[r] * d + c] as f64);
    let train: Vec<Features> = labelled.iter().map(|&i| feats[i].clone()).collect();
    let k = kernel::gram(&train, cfg);
    let zv = DVector::from_column_slice(z);
    let c_of = |gamma: f64| {
        let a = s.eigenvalues.map(|l| gamma * l.max(0.0) / scale);
        let shrink = a.map(|a| a / (1.0 + a));
        &s.eigenvectors * DMatrix::from_diagonal(&shrink) * s.eigenvectors.transpose()
    };
    let mut best = None;
    for &gamma in gammas {
        let c = c_of(gamma);
        let kt = &k - &el * &c * el.transpose();
        let kt = (&kt + kt.transpose()) * 0.5;
        let (report, chol) = crate::gp::fit_noise(&kt, &zv, 0, crate::gp::Selection::Evidence)?;
        if best
            .as_ref()
            .is_none_or(|b: &(f64, _, _, _)| report.lml > b.0)
        {
            best = Some((report.lml, gamma, report, chol));
        }
    }
    let (_, gamma, report, chol) =
        best.ok_or_else(|| Error::Config("no penalty strength to choose from".into()))?;
    let c = c_of(gamma);
    let alpha = chol.solve(&zv);
    let ec = &el * &c; // n x d
    let predictions: Vec<Prediction> = feats
        .par_chunks(4096)
        .enumerate()
        .flat_map_iter(|(b, chunk)| {
            let cross = kernel::cross(&train, chunk, cfg);
            let ej = DMatrix::from_fn(d, chunk.len(), |r, c| {
                pool.embedding[(b * 4096 + c) * d + r] as f64
            });
            let kt = cross - &ec * &ej;
            let v = chol
                .l()
                .solve_lower_triangular(&kt)
                .expect("L has a positive diagonal");
            (0..chunk.len())
                .map(|j| {
                    let e = emb(b * 4096 + j);
                    let prior = 1.0 - (e.transpose() * &c * &e)[(0, 0)];
                    let var = report.signal * (prior - v.column(j).norm_squared()).max(0.0);
                    Prediction {
                        mean: kt.column(j).dot(&alpha),
                        std: var.sqrt(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(LaplacianFit { predictions, gamma })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::GraphConfig;
    use crate::gp::{Gp, GpConfig};
    use crate::gpu::Engine;

    #[test]
    fn at_gamma_zero_it_is_the_plain_gp_and_the_evidence_picks_gamma() {
        let xs = crate::assess::knn::tests::nb201_features(300);
        let pool = Pool::from_features(
            xs.clone(),
            &GraphConfig {
                k: 6,
                embedding: 16,
                ..Default::default()
            },
            &Engine::Cpu,
        )
        .unwrap();
        let labelled: Vec<usize> = (0..300).step_by(10).collect();
        let raw: Vec<f64> = labelled.iter().map(|&i| ((i * 37) % 11) as f64).collect();
        let (z, _, _) = crate::gp::Transform::Identity.standardize(&raw).unwrap();
        let plain = fit_with(&pool, &labelled, &z, &[0.0]).unwrap();
        let gp = Gp::fit_features(
            &[(2, labelled.iter().map(|&i| xs[i].clone()).collect())],
            &z,
            &GpConfig {
                hs: vec![2],
                // The Laplacian GP chooses its noise by the evidence.
                selection: crate::gp::Selection::Evidence,
                ..Default::default()
            },
        )
        .unwrap();
        for (p, q) in plain.predictions.iter().zip(gp.predict_features(&xs)) {
            assert!((p.mean - q.mean).abs() < 1e-8, "{} vs {}", p.mean, q.mean);
            assert!((p.std - q.std).abs() < 1e-6, "{} vs {}", p.std, q.std);
        }
        let fit = laplacian_gp(&pool, &labelled, &z).unwrap();
        assert!(GAMMAS.contains(&fit.gamma));
        assert!(fit
            .predictions
            .iter()
            .all(|p| p.mean.is_finite() && p.std.is_finite()));
    }
}
