//! The Gaussian-process surrogate on the WL kernel: fit by marginal likelihood, predict
//! mean and uncertainty.

pub mod dense;
mod design;
mod fit;
mod krylov;
mod solver;
mod thompson;
mod transform;
mod weight_space;

pub use design::Design;
pub(crate) use fit::fit_noise;
pub use fit::{log_marginal_likelihood, FitReport, Selection};
pub use krylov::{Krylov, LANCZOS_STEPS};
pub use solver::{SolverChoice, EXACT_MAX, SUBSET};
pub use thompson::ThompsonDraws;
pub use transform::Transform;
pub use weight_space::WeightSpace;

use crate::error::{Error, Result};
use crate::graph::Arch;
use crate::kernel::{self, BaseKernel, KernelConfig};
use crate::wl::{self, Direction, Features, WlConfig};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use solver::Solver;

/// Everything that defines the surrogate before it sees data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GpConfig {
    /// WL depths to choose from (by the selection criterion).
    pub hs: Vec<usize>,
    /// WL neighbour direction.
    pub direction: Direction,
    /// Base kernel and normalisation.
    pub kernel: KernelConfig,
    /// Target transform applied before standardisation.
    pub transform: Transform,
    /// How h and the noise are chosen.
    #[serde(default)]
    pub selection: Selection,
    /// Cholesky or conjugate gradients (by the training-set size unless forced).
    #[serde(default)]
    pub solver: SolverChoice,
}

/// Candidates up to which an iterative fit's predictions get the exact variance (one
/// solve each); a larger set is a pool, scored by the low-rank bound.
pub const EXACT_VARIANCE_MAX: usize = 4_096;

/// Right-hand sides solved together by the block conjugate gradients.
const BLOCK: usize = 32;

/// The default WL depths: h = 2 with the noise by leave-one-out ranked held-out
/// architectures best on average over all 14 embedded tables and metrics at 10 to 400
/// training points, ahead of choosing h by the evidence (docs/selection).
pub const DEFAULT_HS: [usize; 1] = [2];

impl Default for GpConfig {
    fn default() -> Self {
        GpConfig {
            hs: DEFAULT_HS.to_vec(),
            direction: Direction::Both,
            kernel: KernelConfig {
                base: BaseKernel::Dot,
                normalize: true,
            },
            transform: Transform::Identity,
            selection: Selection::default(),
            solver: SolverChoice::default(),
        }
    }
}

/// A posterior prediction in the model's latent scale (transformed, standardised).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation of the latent function (noise excluded).
    pub std: f64,
}

/// A fitted GP. Predictions are in the latent scale, where larger is better; use
/// [`Gp::to_original`] to get back to the user's units.
#[derive(Clone, Debug)]
pub struct Gp {
    wl: WlConfig,
    kernel: KernelConfig,
    transform: Transform,
    train: Vec<Features>,
    solver: Solver,
    /// The standardised (latent) targets z.
    z: DVector<f64>,
    /// `(K + r I)^-1 z`.
    alpha: DVector<f64>,
    /// Signal variance s2 (the noise variance is `s2 * noise_ratio`).
    signal: f64,
    noise_ratio: f64,
    y_mean: f64,
    y_std: f64,
    best_latent: f64,
    report: FitReport,
}

/// The WL depth (an index into `feats`) and noise by `cfg.selection` on standardised
/// targets `z`, with the chosen model's Cholesky factor.
fn select(
    feats: &[(usize, Vec<Features>)],
    z: &DVector<f64>,
    cfg: &GpConfig,
) -> Result<(FitReport, usize, nalgebra::Cholesky<f64, nalgebra::Dyn>)> {
    // With nothing to learn (all z = 0) no criterion can tell depths apart: the middle
    // of the range is used (h = 2 of 0..3 or 1..3, the best fixed depth over every
    // embedded table, docs/selection).
    let range = if z.iter().all(|v| v.abs() < 1e-12) {
        feats.len() / 2..feats.len() / 2 + 1
    } else {
        0..feats.len()
    };
    let mut best: Option<(FitReport, usize, nalgebra::Cholesky<f64, nalgebra::Dyn>)> = None;
    for idx in range {
        let (h, f) = &feats[idx];
        let k = kernel::gram(f, cfg.kernel);
        let (report, chol) = fit::fit_noise(&k, z, *h, cfg.selection)?;
        if best.as_ref().is_none_or(|b| report.score > b.0.score) {
            best = Some((report, idx, chol));
        }
    }
    Ok(best.expect("at least one h"))
}

impl Gp {
    /// Fits on architectures and their measured values (larger is better after the
    /// transform), choosing h, noise and scale by marginal likelihood.
    pub fn fit(archs: &[Arch], y: &[f64], cfg: &GpConfig) -> Result<Gp> {
        let feats: Vec<(usize, Vec<Features>)> = cfg
            .hs
            .iter()
            .copied()
            .zip(wl::features_per_depth(archs, &cfg.hs, cfg.direction))
            .collect();
        Gp::fit_features(&feats, y, cfg)
    }

    /// Fits from features already computed for each candidate h (`(h, features)` pairs).
    pub fn fit_features(feats: &[(usize, Vec<Features>)], y: &[f64], cfg: &GpConfig) -> Result<Gp> {
        let n = y.len();
        if n == 0 {
            return Err(Error::Empty("no training points".into()));
        }
        if feats.is_empty() {
            return Err(Error::Config("no WL depth to choose from".into()));
        }
        for (h, f) in feats {
            if f.len() != n {
                return Err(Error::Config(format!(
                    "{} feature vectors for h={h} but {n} targets",
                    f.len()
                )));
            }
        }
        let (z, y_mean, y_std) = cfg.transform.standardize(y)?;
        let z = DVector::from_vec(z);
        let iterative = cfg.solver.iterative(n);
        if iterative && cfg.kernel.base != kernel::BaseKernel::Dot {
            if cfg.solver == SolverChoice::Iterative {
                return Err(Error::Config(
                    "the iterative solver needs the dot base kernel (the optimal assignment has no feature map)".into(),
                ));
            }
        } else if iterative || n > SUBSET {
            return Gp::fit_on_subset(feats, z, y_mean, y_std, cfg);
        }
        let (report, idx, chol) = select(feats, &z, cfg)?;
        let alpha = chol.solve(&z);
        Gp::assemble(
            cfg,
            feats[idx].1.clone(),
            Solver::Exact(chol),
            (z, alpha, y_mean, y_std),
            report,
        )
    }

    /// The fit beyond [`SUBSET`] points: h and the noise chosen on an evenly spaced subset
    /// of that many by the usual criterion (its eigendecomposition is what costs, O(n^3)
    /// with a large constant), then `(K + r I) alpha = z` solved on all the points, by one
    /// Cholesky factorisation or by conjugate gradients (the signal variance is the
    /// subset's).
    fn fit_on_subset(
        feats: &[(usize, Vec<Features>)],
        z: DVector<f64>,
        y_mean: f64,
        y_std: f64,
        cfg: &GpConfig,
    ) -> Result<Gp> {
        let n = z.len();
        let rows = solver::subset(n, SUBSET);
        let sub_z = DVector::from_iterator(rows.len(), rows.iter().map(|&i| z[i]));
        let sub: Vec<(usize, Vec<Features>)> = feats
            .iter()
            .map(|(h, f)| (*h, rows.iter().map(|&i| f[i].clone()).collect()))
            .collect();
        let (mut report, idx, _) = select(&sub, &sub_z, cfg)?;
        report.subset = Some(rows.len());
        let (solver, alpha) = if cfg.solver.iterative(n) {
            let (solver, alpha, it) =
                solver::iterate(&feats[idx].1, cfg.kernel.normalize, report.noise_ratio, &z)?;
            report.iterations = Some(it);
            (solver, alpha)
        } else {
            let k = kernel::gram(&feats[idx].1, cfg.kernel);
            let (lml, _, chol) = fit::log_marginal_likelihood(&k, &z, report.noise_ratio)?;
            report.lml = lml;
            let alpha = chol.solve(&z);
            (Solver::Exact(chol), alpha)
        };
        Gp::assemble(
            cfg,
            feats[idx].1.clone(),
            solver,
            (z, alpha, y_mean, y_std),
            report,
        )
    }

    /// A fitted GP from its parts, refusing non-finite weights.
    #[allow(clippy::type_complexity)]
    fn assemble(
        cfg: &GpConfig,
        train: Vec<Features>,
        solver: Solver,
        (z, alpha, y_mean, y_std): (DVector<f64>, DVector<f64>, f64, f64),
        report: FitReport,
    ) -> Result<Gp> {
        if alpha.iter().any(|v| !v.is_finite()) || !report.signal.is_finite() {
            return Err(Error::Value(format!(
                "the fit at h = {} gave non-finite weights (values too extreme or the kernel degenerate)",
                report.h
            )));
        }
        let best_latent = z.max();
        Ok(Gp {
            wl: WlConfig {
                h: report.h,
                direction: cfg.direction,
            },
            kernel: cfg.kernel,
            transform: cfg.transform,
            train,
            solver,
            z,
            alpha,
            signal: report.signal,
            noise_ratio: report.noise_ratio,
            y_mean,
            y_std,
            best_latent,
            report,
        })
    }

    /// Fits on rows `rows` of features precomputed for every node and every depth of
    /// `cfg.hs` (`per_h[i]` at depth `cfg.hs[i]`), for callers that hold a whole pool.
    pub fn fit_rows(
        per_h: &[Vec<Features>],
        rows: &[usize],
        y: &[f64],
        cfg: &GpConfig,
    ) -> Result<Gp> {
        let train: Vec<(usize, Vec<Features>)> = cfg
            .hs
            .iter()
            .zip(per_h)
            .map(|(&h, f)| (h, rows.iter().map(|&i| f[i].clone()).collect()))
            .collect();
        Gp::fit_features(&train, y, cfg)
    }

    /// Posterior at every node of a pool featurised as for [`Gp::fit_rows`]: in weight
    /// space when the kernel has one (cost independent of the training-set size).
    pub fn predict_rows(&self, per_h: &[Vec<Features>], hs: &[usize]) -> Vec<Prediction> {
        let hi = hs.iter().position(|&h| h == self.wl.h).unwrap_or(0);
        match WeightSpace::new(self) {
            Some(ws) => per_h[hi].par_iter().map(|f| ws.predict(f)).collect(),
            None => self.predict_features(&per_h[hi]),
        }
    }

    /// The WL settings the fit chose; candidates must be featurised with these.
    pub fn wl_config(&self) -> WlConfig {
        self.wl
    }

    /// The training points' features (at the chosen h), in training order.
    pub fn training_features(&self) -> &[Features] {
        &self.train
    }

    /// The kernel the fit used.
    pub fn kernel_config(&self) -> KernelConfig {
        self.kernel
    }

    /// What the hyperparameter search found.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Best training target in the latent scale (the incumbent for EI and PI).
    pub fn best_latent(&self) -> f64 {
        self.best_latent
    }

    /// The same GP whose incumbent is the best posterior mean at the training points
    /// instead of the best observation: under noise, the best observation is biased up
    /// (the maximum of noisy values), and EI against it undervalues real improvements.
    pub fn with_mean_incumbent(mut self) -> Gp {
        let means = self.predict_means(&self.train);
        self.best_latent = means.into_iter().fold(f64::NEG_INFINITY, f64::max);
        self
    }

    /// Noise standard deviation in the latent scale.
    pub fn noise_std(&self) -> f64 {
        (self.signal * self.noise_ratio).sqrt()
    }

    /// Posterior of candidates given as features computed with [`Gp::wl_config`].
    pub fn predict_features(&self, xs: &[Features]) -> Vec<Prediction> {
        let Some(chol) = self.solver.cholesky() else {
            return self.predict_iterative(xs);
        };
        let kxx: Vec<f64> = xs
            .iter()
            .map(|x| {
                if self.kernel.normalize {
                    1.0
                } else {
                    kernel::self_kernel(x, self.kernel.base) as f64
                }
            })
            .collect();
        // Column blocks keep the cross matrix small however many candidates there are.
        const BLOCK: usize = 4096;
        xs.par_chunks(BLOCK)
            .zip(kxx.par_chunks(BLOCK))
            .flat_map_iter(|(chunk, kk)| {
                let ks = kernel::cross(&self.train, chunk, self.kernel);
                let mean = ks.tr_mul(&self.alpha);
                let v = chol
                    .l()
                    .solve_lower_triangular(&ks)
                    .expect("L has a positive diagonal");
                (0..chunk.len())
                    .map(|j| {
                        let q = v.column(j).norm_squared();
                        Prediction {
                            mean: mean[j],
                            std: (self.signal * (kk[j] - q).max(0.0)).sqrt(),
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The iterative fit's posterior: exact (one conjugate-gradient solve per candidate,
    /// in blocks) for up to [`EXACT_VARIANCE_MAX`] candidates, the low-rank weight-space
    /// bound beyond (pools, where the std is an upper bound).
    fn predict_iterative(&self, xs: &[Features]) -> Vec<Prediction> {
        let kr = self.solver.krylov().expect("iterative");
        if xs.len() > EXACT_VARIANCE_MAX {
            let ws = WeightSpace::new(self).expect("an iterative fit has the dot kernel");
            return xs.par_iter().map(|x| ws.predict(x)).collect();
        }
        let d = kr.design();
        let means = self.predict_means(xs);
        let n = d.rows();
        let mut out = Vec::with_capacity(xs.len());
        for (chunk, means) in xs.chunks(BLOCK).zip(means.chunks(BLOCK)) {
            let q = chunk.len();
            let cols: Vec<Vec<f64>> = chunk
                .par_iter()
                .map(|x| d.cross(&d.sparse_row(x, self.kernel.normalize)))
                .collect();
            let mut b = vec![0.0; n * q];
            for (k, c) in cols.iter().enumerate() {
                for (i, v) in c.iter().enumerate() {
                    b[i * q + k] = *v;
                }
            }
            let solved = kr.solve_block(&b, q, krylov::TOLERANCE);
            for (k, (x, &mean)) in chunk.iter().zip(means).enumerate() {
                let kxx = if self.kernel.normalize {
                    1.0
                } else {
                    kernel::self_kernel(x, self.kernel.base) as f64
                };
                // A failed solve gives a NaN std, which every caller refuses to report.
                let quad = match &solved {
                    Ok((v, _)) => (0..n).map(|i| cols[k][i] * v[i * q + k]).sum(),
                    Err(_) => f64::NAN,
                };
                out.push(Prediction {
                    mean,
                    std: if quad.is_nan() {
                        f64::NAN
                    } else {
                        (self.signal * (kxx - quad).max(0.0)).sqrt()
                    },
                });
            }
        }
        out
    }

    /// Posterior means only (latent scale), cheaper than [`Gp::predict_features`].
    pub fn predict_means(&self, xs: &[Features]) -> Vec<f64> {
        if let Some(kr) = self.solver.krylov() {
            // mean(x) = phi(x)' (Phi' alpha), without the n-long kernel rows.
            let d = kr.design();
            let w = d.tmul(self.alpha.as_slice());
            return xs
                .par_iter()
                .map(|x| {
                    let row = d.sparse_row(x, self.kernel.normalize);
                    row.iter().map(|&(j, v)| w[j] * v).sum()
                })
                .collect();
        }
        xs.par_chunks(4096)
            .flat_map_iter(|chunk| {
                let ks = kernel::cross(&self.train, chunk, self.kernel);
                ks.tr_mul(&self.alpha).iter().copied().collect::<Vec<_>>()
            })
            .collect()
    }

    /// The same GP with one more observation, `latent` at `x`, and the same
    /// hyperparameters (h, noise, scale, standardisation): what a batch proposal by
    /// kriging believer conditions on. The incumbent stays that of the real data.
    pub fn with_observation(&self, x: &Features, latent: f64) -> Result<Gp> {
        let mut train = self.train.clone();
        train.push(x.clone());
        let z = DVector::from_iterator(
            train.len(),
            self.z.iter().copied().chain(std::iter::once(latent)),
        );
        let solver = match self.solver.krylov() {
            None => {
                let k = kernel::gram(&train, self.kernel);
                Solver::Exact(fit::factor(&k, self.noise_ratio)?)
            }
            Some(kr) => Solver::Iterative(std::sync::Arc::new(
                kr.with_row(Design::new(&train, self.kernel.normalize)),
            )),
        };
        let alpha = solver.solve(&z)?;
        Ok(Gp {
            train,
            solver,
            z,
            alpha,
            ..self.clone()
        })
    }

    /// Leave-one-out posterior means of the training points in the latent scale, in
    /// closed form (Rasmussen and Williams 2006, eq. 5.12): what the GP predicts at each
    /// point from all the others, an input that does not leak the point's own label.
    pub fn loo_means(&self) -> Result<Vec<f64>> {
        let Some(chol) = self.solver.cholesky() else {
            return Err(Error::Config(format!(
                "leave-one-out means need the exact solver (at most {EXACT_MAX} training points, or --solver exact)"
            )));
        };
        let inv = chol.inverse();
        Ok((0..self.z.len())
            .map(|i| self.z[i] - self.alpha[i] / inv[(i, i)])
            .collect())
    }

    /// The same fitted model (h, noise, signal, data) solved by the other solver: `exact`
    /// refactorises, `iterative` runs Lanczos and conjugate gradients. What a comparison
    /// of the two at equal hyperparameters needs (tests, benches).
    pub fn with_solver(&self, choice: SolverChoice) -> Result<Gp> {
        let (solver, alpha) = if choice.iterative(self.train.len()) {
            if self.kernel.base != kernel::BaseKernel::Dot {
                return Err(Error::Config(
                    "the iterative solver needs the dot base kernel".into(),
                ));
            }
            let (s, a, _) = solver::iterate(
                &self.train,
                self.kernel.normalize,
                self.noise_ratio,
                &self.z,
            )?;
            (s, a)
        } else {
            let k = kernel::gram(&self.train, self.kernel);
            let chol = fit::factor(&k, self.noise_ratio)?;
            let alpha = chol.solve(&self.z);
            (Solver::Exact(chol), alpha)
        };
        Ok(Gp {
            solver,
            alpha,
            ..self.clone()
        })
    }

    /// `(K + r I)^-1 B` for `q` right-hand sides stored row-major (n x q).
    pub(crate) fn solve_block(&self, b: &[f64], q: usize, tol: f64) -> Result<Vec<f64>> {
        self.solver.solve_block(b, q, tol)
    }

    /// The iterative solver, when the fit used one.
    pub fn krylov(&self) -> Option<&Krylov> {
        self.solver.krylov()
    }

    /// Posterior of candidate architectures. Many candidates go through the weight-space
    /// form (exact; O(nnz |S|) each instead of O(n^2)), as the scorer does: 7x faster for
    /// 10^5 NB201 cells at n = 200 (docs/python.md).
    pub fn predict(&self, archs: &[Arch]) -> Vec<Prediction> {
        let xs = wl::features_batch(archs, &self.wl);
        // An iterative fit chooses for itself (exact variances up to EXACT_VARIANCE_MAX).
        if xs.len() > self.train.len() && self.krylov().is_none() {
            if let Some(ws) = WeightSpace::new(self) {
                return xs.par_iter().map(|x| ws.predict(x)).collect();
            }
        }
        self.predict_features(&xs)
    }

    /// A latent prediction in the user's units, `(mean, std)`, or `None` when either is
    /// not finite (so that no NaN is ever printed as a result).
    pub fn in_units(&self, p: Prediction) -> Option<(f64, f64)> {
        let (mean, std) = (
            self.to_original(p.mean),
            self.std_to_original(p.mean, p.std),
        );
        (mean.is_finite() && std.is_finite()).then_some((mean, std))
    }

    /// Maps a latent mean back to the user's units.
    pub fn to_original(&self, latent: f64) -> f64 {
        self.transform.invert(latent * self.y_std + self.y_mean)
    }

    /// A latent posterior standard deviation in the user's units, to first order around
    /// the latent mean (exact for the identity and negation transforms).
    pub fn std_to_original(&self, latent_mean: f64, latent_std: f64) -> f64 {
        let t = latent_mean * self.y_std + self.y_mean;
        self.transform.invert_slope(t) * self.y_std * latent_std
    }

    /// The posterior covariance matrix between candidates (for tests and Thompson sampling).
    pub fn predict_cov(&self, xs: &[Features]) -> DMatrix<f64> {
        let kxx = kernel::gram(xs, self.kernel);
        let Some(chol) = self.solver.cholesky() else {
            // The low-rank form, as the iterative solver's variance: s2 (k - (B a)'(B b)).
            let ws = WeightSpace::new(self).expect("an iterative fit has the dot kernel");
            let ba: Vec<Vec<f64>> = xs.par_iter().map(|x| ws.b_times(&ws.seen(x).0)).collect();
            return DMatrix::from_fn(xs.len(), xs.len(), |i, j| {
                let q: f64 = ba[i].iter().zip(&ba[j]).map(|(a, b)| a * b).sum();
                (kxx[(i, j)] - q) * self.signal
            });
        };
        let ks = kernel::cross(&self.train, xs, self.kernel);
        let v = chol
            .l()
            .solve_lower_triangular(&ks)
            .expect("L has a positive diagonal");
        (kxx - v.tr_mul(&v)) * self.signal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Nb201Space, Sampler, Space};
    use rand::SeedableRng;

    /// Synthetic but structured targets: how many live convolutions a cell has, plus a
    /// little for its size.
    fn data(n: usize, seed: u64) -> (Vec<Arch>, Vec<f64>) {
        let s = Nb201Space::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let archs: Vec<Arch> = (0..n).map(|_| s.lower(&s.sample(&mut rng))).collect();
        let y = archs
            .iter()
            .map(|a| {
                let convs = (0..a.node_count())
                    .filter(|&i| a.label(i).starts_with("nor_conv"))
                    .count();
                convs as f64 + 0.1 * a.node_count() as f64
            })
            .collect();
        (archs, y)
    }

    #[test]
    fn posterior_matches_direct_computation() {
        let (x, y) = data(40, 1);
        let cfg = GpConfig {
            hs: vec![2],
            ..Default::default()
        };
        let gp = Gp::fit(&x, &y, &cfg).unwrap();
        let (xt, _) = data(15, 2);
        let ft = wl::features_batch(&xt, &gp.wl_config());
        let pred = gp.predict_features(&ft);
        // Direct O(n^3): explicit inverse of s2 (K + r I).
        let f = wl::features_batch(&x, &gp.wl_config());
        let k = kernel::gram(&f, cfg.kernel);
        let n = y.len();
        let ky = (&k + DMatrix::identity(n, n) * gp.noise_ratio) * gp.signal;
        let inv = ky.try_inverse().unwrap();
        let t: Vec<f64> = y.clone();
        let m = t.iter().sum::<f64>() / n as f64;
        let sd = (t.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        let z = DVector::from_iterator(n, t.iter().map(|v| (v - m) / sd));
        let ks = kernel::cross(&f, &ft, cfg.kernel) * gp.signal;
        for (j, p) in pred.iter().enumerate() {
            let kj = ks.column(j);
            let mean = (kj.transpose() * &inv * &z)[0];
            let var = gp.signal - (kj.transpose() * &inv * kj)[0];
            assert!((mean - p.mean).abs() < 1e-8, "{mean} {}", p.mean);
            assert!((var.max(0.0).sqrt() - p.std).abs() < 1e-6);
        }
        let cov = gp.predict_cov(&ft);
        for (j, p) in pred.iter().enumerate() {
            assert!((cov[(j, j)].max(0.0).sqrt() - p.std).abs() < 1e-6);
        }
    }

    #[test]
    fn fits_structured_data_well() {
        let (x, y) = data(150, 3);
        let gp = Gp::fit(&x, &y, &GpConfig::default()).unwrap();
        let (xt, yt) = data(200, 4);
        let p: Vec<f64> = gp
            .predict(&xt)
            .iter()
            .map(|p| gp.to_original(p.mean))
            .collect();
        let rho = crate::stats::spearman(&p, &yt);
        assert!(rho > 0.9, "spearman {rho}");
    }

    #[test]
    fn many_candidates_predict_in_weight_space_as_in_function_space() {
        let (x, y) = data(40, 3);
        let (xt, _) = data(300, 4);
        let gp = Gp::fit(&x, &y, &GpConfig::default()).unwrap();
        let fast = gp.predict(&xt);
        let slow = gp.predict_features(&wl::features_batch(&xt, &gp.wl_config()));
        for (a, b) in fast.iter().zip(&slow) {
            assert!(
                (a.mean - b.mean).abs() <= 1e-9 * b.mean.abs().max(1.0),
                "{a:?} {b:?}"
            );
            assert!(
                (a.std - b.std).abs() <= 1e-7 * b.std.max(1e-3),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_targets() {
        let (x, mut y) = data(5, 5);
        y[2] = f64::NAN;
        let e = Gp::fit(&x, &y, &GpConfig::default()).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
        assert!(Gp::fit(&[], &[], &GpConfig::default()).is_err());
    }

    #[test]
    fn constant_and_single_values_keep_the_prior_uncertainty() {
        let (x, _) = data(12, 7);
        let (xt, _) = data(30, 8);
        for n in [1, 12] {
            let gp = Gp::fit(&x[..n], &vec![0.5; n], &GpConfig::default()).unwrap();
            let p = gp.predict(&xt);
            // Positive everywhere (a candidate equal to a training point keeps the noise),
            // and the prior's unit std far from the data.
            assert!(
                p.iter().all(|p| p.mean.is_finite() && p.std > 1e-4),
                "{n}: {p:?}"
            );
            assert!(p.iter().any(|p| p.std > 0.9), "{n}: {p:?}");
            assert!(p.iter().all(|p| gp.std_to_original(p.mean, p.std) > 0.0));
        }
        let y: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 1e308 } else { -1e308 })
            .collect();
        let gp = Gp::fit(&x, &y, &GpConfig::default()).unwrap();
        for p in gp.predict(&xt) {
            let (m, s) = (gp.to_original(p.mean), gp.std_to_original(p.mean, p.std));
            assert!(m.is_finite() && s.is_finite() && s > 0.0, "{m} {s}");
        }
    }

    #[test]
    fn duplicates_do_not_break_the_fit() {
        let (mut x, mut y) = data(10, 6);
        x.extend(x.clone());
        y.extend(y.clone());
        assert!(Gp::fit(&x, &y, &GpConfig::default()).is_ok());
    }
}
