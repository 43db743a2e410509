//! The weight-space form of the GP posterior (DESIGN.md §4): with a linear kernel
//! `k(x, x') = phi(x) . phi(x')`, the posterior mean is a sparse dot product with a weight
//! vector and the variance a quadratic form on the features seen in training, so scoring
//! a candidate costs O(nnz^2) (or O(n nnz)) whatever the pool size. Equal to the
//! function-space posterior up to rounding (a test).

use super::{Gp, Krylov, Prediction};
use crate::kernel::{self, self_kernel, BaseKernel};
use crate::wl::Features;
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use nalgebra::DMatrix;
use nohash_hasher::IntMap;
use smallvec::SmallVec;

/// How the variance's quadratic form is stored.
#[derive(Clone, Debug)]
enum Quadratic {
    /// `M = B' B` (|S| x |S|): nnz^2 operations per candidate.
    Dense(DMatrix<f64>),
    /// `B` itself (n x |S|, one column per seen label, column-major), its rows in order of
    /// decreasing eigenvalue: n * nnz per candidate at most, and any prefix of rows gives
    /// a lower bound on the quadratic form (hence an upper bound on the std), so a
    /// candidate can be dropped after a few rows.
    Factor {
        /// The first [`FIRST_STAGE`] rows of B again, packed column by column: the first
        /// stage reads one short contiguous run per label instead of a strided one.
        head: Vec<f64>,
    },
}

/// A fitted GP in weight space, built once per fit.
#[derive(Clone, Debug)]
pub struct WeightSpace {
    index: IntMap<u64, usize>,
    weights: Vec<f64>,
    quad: Quadratic,
    /// B = (L^-T U)' Phi_S, n x |S| column-major: the posterior covariance of the weights
    /// is s2 (I - B'B).
    b: DMatrix<f64>,
    signal: f64,
    normalize: bool,
}

/// Largest |S| for which the dense |S| x |S| form is kept (512 MiB of f64). Measured on
/// NB201 with n = 1,000 (|S| = 3,099): dense 0.95 M candidates/s, factor 0.50 M/s.
const DENSE_MAX: usize = 8_192;

/// A function-space prediction's cost in units of n^2 against the weight-space build's
/// n^3 + n |S|^2. Measured through `wlgp score --train-from-data
/// nb201:baseline_accuracy:2000` (|S| = 5,032): 1.5 ms a candidate in function space,
/// 4.3 s to build the dense weight space, so the two meet near 2,900 candidates.
const FUNCTION_SPACE_COST: f64 = 5.0;

/// The most memory the iterative fit's variance factor takes (its rows are cut to fit):
/// 1 GiB, a quarter of the 10^5-evaluation target's 4 GB.
const LOW_RANK_BYTES: usize = 1 << 30;

/// How many times faster a flop of the dense form's matrix product runs than one of the
/// per-candidate loops (blocked, vectorised, parallel against scattered reads).
const GEMM_SPEEDUP: f64 = 8.0;

/// Rows of the factor form after which the std bound is checked first (then 4x more each
/// time): most candidates that cannot win are dropped after the first stage.
const FIRST_STAGE: usize = 16;

impl WeightSpace {
    /// Builds the weight-space posterior of a fitted GP, or `None` for the optimal-
    /// assignment base kernel (its feature map is not the raw counts). The variance form
    /// (dense |S| x |S| or n x |S| factor) is chosen by the cost per candidate.
    pub fn new(gp: &Gp) -> Option<WeightSpace> {
        Self::build(gp, None)
    }

    /// Whether building the weight-space posterior pays for scoring `candidates`: its
    /// build (an n x n eigendecomposition, ~n^3, and for the dense form the |S| x |S|
    /// product, n |S|^2) against the function-space posterior's n^2 per candidate. A few
    /// candidates (`wlgp score --candidates 1`, a short `predict`) are scored faster in
    /// function space than the weight space can be built; the answers are the same.
    pub fn pays_for(gp: &Gp, candidates: u64) -> bool {
        if gp.kernel.base != BaseKernel::Dot {
            return false;
        }
        if gp.krylov().is_some() {
            // The iterative fit has no function-space variance to fall back on.
            return true;
        }
        let n = gp.train.len() as f64;
        let seen = distinct_labels(&gp.train);
        let s = seen as f64;
        let dense = if seen <= DENSE_MAX { n * s * s } else { 0.0 };
        candidates as f64 * FUNCTION_SPACE_COST * n * n > n * n * n + dense
    }

    /// As [`WeightSpace::new`] for scoring `candidates`: the dense form only when its
    /// |S| x |S| build (n |S|^2, at matrix-product speed) is repaid by its cheaper
    /// candidates (nnz^2 each against the factor's n nnz, about half of which pruning
    /// skips). Measured through `wlgp score --train-from-data cora:valid_perf:1000
    /// --candidates 100000`: 3.6 s with the dense form, 0.9 s with the factor.
    pub fn for_candidates(gp: &Gp, candidates: u64) -> Option<WeightSpace> {
        if gp.krylov().is_some() || gp.kernel.base != BaseKernel::Dot {
            return Self::new(gp);
        }
        let n = gp.train.len() as f64;
        let seen = distinct_labels(&gp.train);
        let s = seen as f64;
        let nnz = gp.train.iter().map(|f| f.nnz()).sum::<usize>() as f64 / n.max(1.0);
        let saving = candidates as f64 * (0.5 * n * nnz - nnz * nnz);
        let dense = seen <= DENSE_MAX && saving > n * s * s / GEMM_SPEEDUP;
        Self::build(gp, Some(dense))
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
        if let Some(kr) = gp.krylov() {
            return Some(Self::low_rank(gp, kr));
        }
        let chol = gp.solver.cholesky().expect("exact when not iterative");
        let n = gp.train.len();
        // Seen labels, the most common first: candidates mostly hit the common ones, so
        // their entries of the dense form sit together in cache.
        let mut freq: IntMap<u64, usize> = IntMap::default();
        for f in &gp.train {
            for &l in &f.labels {
                *freq.entry(l).or_default() += 1;
            }
        }
        let mut order: Vec<(u64, usize)> = freq.into_iter().collect();
        order.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let index: IntMap<u64, usize> = order
            .iter()
            .enumerate()
            .map(|(j, &(l, _))| (l, j))
            .collect();
        let s = index.len();
        // Phi_S, sparse: each training point's (column, scaled count) pairs.
        let phi: Vec<Vec<(usize, f64)>> = gp
            .train
            .iter()
            .map(|f| {
                let scale = feature_scale(f, gp.kernel.normalize);
                f.iter()
                    .map(|(l, c)| (index[&l], c as f64 * scale))
                    .collect()
            })
            .collect();
        // mean(x) = k*' alpha = phi(x)' (Phi' alpha).
        let mut weights = vec![0.0; s];
        for (row, a) in phi.iter().zip(gp.alpha.iter()) {
            for &(j, v) in row {
                weights[j] += v * a;
            }
        }
        // q(x) = k*' (L L')^-1 k* = |U' L^-1 Phi_S x|^2 with C = L^-1 K L^-T = U diag(l) U'.
        // B = (L^-T U)' Phi_S is a sparse product, and its rows, ordered by decreasing l,
        // carry most of q first. faer's blocked, parallel kernels throughout.
        let par = faer::Par::rayon(0);
        let l = chol.l();
        let lf = faer::Mat::<f64>::from_fn(n, n, |i, j| l[(i, j)]);
        let k = kernel::gram(&gp.train, gp.kernel);
        let mut x = faer::Mat::<f64>::from_fn(n, n, |i, j| k[(i, j)]);
        solve_lower_triangular_in_place(lf.as_ref(), x.as_mut(), par);
        let mut c = x.transpose().to_owned();
        solve_lower_triangular_in_place(lf.as_ref(), c.as_mut(), par);
        let c = faer::Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (c[(i, j)] + c[(j, i)]));
        let eig = c.self_adjoint_eigen(faer::Side::Lower).ok()?;
        let (vals, mut w) = (eig.S().column_vector(), eig.U().to_owned());
        solve_upper_triangular_in_place(lf.transpose(), w.as_mut(), par);
        let mut rows: Vec<usize> = (0..n).collect();
        rows.sort_unstable_by(|&a, &b| vals[b].total_cmp(&vals[a]));
        // B column-major, n x |S|: column j gets sum_t W[t, row] Phi[t, j].
        let mut b = faer::Mat::<f64>::zeros(n, s);
        let mut wt = vec![0.0; n];
        for (t, row) in phi.iter().enumerate() {
            for (r, &e) in rows.iter().enumerate() {
                wt[r] = w[(t, e)];
            }
            for &(j, v) in row {
                for (bij, &wr) in b.col_mut(j).iter_mut().zip(&wt) {
                    *bij += wr * v;
                }
            }
        }
        let nnz_mean = gp.train.iter().map(|f| f.nnz()).sum::<usize>() as f64 / n.max(1) as f64;
        // Per candidate: dense costs nnz^2, factor costs n * nnz.
        let dense = force_dense.unwrap_or(s <= DENSE_MAX && nnz_mean <= n as f64);
        let quad = if dense {
            let mut m = faer::Mat::<f64>::zeros(s, s);
            matmul(
                m.as_mut(),
                faer::Accum::Replace,
                b.transpose(),
                b.as_ref(),
                1.0,
                par,
            );
            Quadratic::Dense(DMatrix::from_fn(s, s, |i, j| m[(i, j)]))
        } else {
            let h = FIRST_STAGE.min(n);
            let head = (0..s)
                .flat_map(|j| (0..h).map(move |i| (i, j)))
                .map(|(i, j)| b[(i, j)])
                .collect();
            Quadratic::Factor { head }
        };
        Some(WeightSpace {
            index,
            weights,
            quad,
            b: DMatrix::from_fn(n, s, |i, j| b[(i, j)]),
            signal: gp.signal,
            normalize: gp.kernel.normalize,
        })
    }

    /// The iterative fit's weight space: exact means (`Phi' alpha`), and the variance's
    /// factor from the Lanczos pairs, `B = diag(1 / sqrt(theta + r)) U' Phi`, whose
    /// quadratic form bounds the exact one from below (the std from above). Its rows are
    /// capped so that B takes at most [`LOW_RANK_BYTES`].
    fn low_rank(gp: &Gp, kr: &Krylov) -> WeightSpace {
        let d = kr.design();
        let s = d.cols();
        let rows = kr
            .values()
            .len()
            .min((LOW_RANK_BYTES / (8 * s.max(1))).max(1));
        let mut b = DMatrix::<f64>::zeros(rows, s);
        for i in 0..rows {
            let scale = 1.0 / (kr.values()[i] + kr.ratio()).sqrt();
            for (j, v) in d.tmul(kr.vector(i)).into_iter().enumerate() {
                b[(i, j)] = v * scale;
            }
        }
        let h = FIRST_STAGE.min(rows);
        let head = (0..s)
            .flat_map(|j| (0..h).map(move |i| (i, j)))
            .map(|(i, j)| b[(i, j)])
            .collect();
        WeightSpace {
            index: d.labels().clone(),
            weights: d.tmul(gp.alpha.as_slice()),
            quad: Quadratic::Factor { head },
            b,
            signal: gp.signal,
            normalize: gp.kernel.normalize,
        }
    }

    /// Number of distinct training labels |S|.
    pub fn seen_features(&self) -> usize {
        self.index.len()
    }

    /// Whether the dense |S| x |S| form was chosen (else the n x |S| factor).
    pub fn is_dense(&self) -> bool {
        matches!(self.quad, Quadratic::Dense(_))
    }

    /// A candidate's seen features as `(column, scaled count)`, its exact posterior mean
    /// and its self-kernel (under normalisation, 1 unless empty).
    pub fn seen(&self, x: &Features) -> (SmallVec<[(usize, f64); 64]>, f64, f64) {
        let scale = feature_scale(x, self.normalize);
        let total = self_kernel(x, BaseKernel::Dot) as f64 * scale * scale;
        let mut seen: SmallVec<[(usize, f64); 64]> = SmallVec::new();
        for (l, c) in x.iter() {
            if let Some(&j) = self.index.get(&l) {
                seen.push((j, c as f64 * scale));
            }
        }
        let mean = seen.iter().map(|&(j, v)| self.weights[j] * v).sum();
        (seen, mean, total)
    }

    /// The variance's quadratic form as the GPU scorer reads it: `(factor?, rows, data)`,
    /// column-major f32 (dense: |S| x |S|; factor: n x |S|).
    pub fn quadratic_f32(&self) -> (bool, usize, Vec<f32>) {
        let (factor, m) = match &self.quad {
            Quadratic::Dense(m) => (false, m),
            Quadratic::Factor { .. } => (true, &self.b),
        };
        (factor, m.nrows(), m.iter().map(|&v| v as f32).collect())
    }

    /// Every seen label with its column (in no particular order).
    pub fn seen_labels(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.index.iter().map(|(&l, &j)| (l, j))
    }

    /// Whether the kernel is normalised (features scaled by `1 / sqrt(k(x, x))`).
    pub fn normalized(&self) -> bool {
        self.normalize
    }

    /// The column of a seen label (`None` for a label not seen in training).
    pub fn column(&self, label: u64) -> Option<usize> {
        self.index.get(&label).copied()
    }

    /// Rows of B (the number of training points).
    pub fn rows(&self) -> usize {
        self.b.nrows()
    }

    /// Posterior mean of the weight of column `j`.
    pub fn weight(&self, j: usize) -> f64 {
        self.weights[j]
    }

    /// `B v` for a sparse `v` over columns (an n-vector): the posterior covariance of the
    /// weights is `s2 (I - B'B)`, so `Var(a'w) = s2 (|a|^2 - |B a|^2)`.
    pub fn b_times(&self, v: &[(usize, f64)]) -> Vec<f64> {
        let n = self.b.nrows();
        let mut out = vec![0.0; n];
        for &(j, x) in v {
            for (o, &bij) in out.iter_mut().zip(&self.b.as_slice()[j * n..(j + 1) * n]) {
                *o += bij * x;
            }
        }
        out
    }

    /// Signal variance s2 (variance = s2 (k(x, x) - q)).
    pub fn signal(&self) -> f64 {
        self.signal
    }

    /// Posterior mean and standard deviation of one candidate, in the latent scale.
    pub fn predict(&self, x: &Features) -> Prediction {
        self.predict_if(x, |_| true).expect("always kept")
    }

    /// The posterior, computed only while `keep` accepts upper bounds on it: first the
    /// exact mean with the prior standard deviation (the posterior one never exceeds it),
    /// then, in the factor form, with the std bounded by a growing prefix of the quadratic
    /// form. Returns `None` as soon as `keep` rejects a bound, skipping the rest.
    pub fn predict_if(
        &self,
        x: &Features,
        keep: impl Fn(Prediction) -> bool,
    ) -> Option<Prediction> {
        let (seen, mean, total) = self.seen(x);
        let bound = |q: f64| Prediction {
            mean,
            std: (self.signal * (total - q).max(0.0)).sqrt(),
        };
        if !keep(bound(0.0)) {
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
            Quadratic::Factor { head } => {
                let b = &self.b;
                let n = b.nrows();
                let h = FIRST_STAGE.min(n);
                let mut acc: SmallVec<[f64; 1024]> = SmallVec::from_elem(0.0, n);
                let (mut q, mut lo, mut hi) = (0.0, 0, h);
                loop {
                    for &(j, v) in &seen {
                        let col = if lo == 0 {
                            &head[j * h..(j + 1) * h]
                        } else {
                            &b.as_slice()[j * n + lo..j * n + hi]
                        };
                        for (t, &bij) in acc[lo..hi].iter_mut().zip(col) {
                            *t += bij * v;
                        }
                    }
                    q += acc[lo..hi].iter().map(|t| t * t).sum::<f64>();
                    if hi == n {
                        break q;
                    }
                    if !keep(bound(q)) {
                        return None;
                    }
                    (lo, hi) = (hi, (hi * 4).min(n));
                }
            }
        };
        Some(bound(q))
    }
}

/// The number of distinct labels among `train`: |S|, the weight space's dimension.
fn distinct_labels(train: &[Features]) -> usize {
    let mut seen: std::collections::HashSet<u64, nohash_hasher::BuildNoHashHasher<u64>> =
        Default::default();
    for f in train {
        seen.extend(f.labels.iter().copied());
    }
    seen.len()
}

/// `1 / sqrt(k(x, x))` for the normalised kernel, else 1.
pub(super) fn feature_scale(x: &Features, normalize: bool) -> f64 {
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
            // A handful of candidates is scored in function space, a pool in weight space.
            assert!(!WeightSpace::pays_for(&gp, 10) && WeightSpace::pays_for(&gp, 1_000_000));
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
