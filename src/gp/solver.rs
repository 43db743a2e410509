//! How the GP solves with `K + r I`: by Cholesky up to a size measured on this machine,
//! by conjugate gradients on the sparse features above it (DESIGN.md §4, "Scale").

use super::design::Design;
use super::krylov::{Krylov, TOLERANCE};
use crate::error::{Error, Result};
use nalgebra::{Cholesky, DVector, Dyn};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which solver a fit uses (`--solver`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SolverChoice {
    /// Cholesky up to [`EXACT_MAX`] training points, iterative above.
    #[default]
    Auto,
    /// Always Cholesky: O(n^2) memory, O(n^3) time.
    Exact,
    /// Always conjugate gradients on the sparse features.
    Iterative,
}

crate::named!(SolverChoice, "solver", {
    Auto => "auto",
    Exact => "exact",
    Iterative => "iterative",
});

/// Training points above which `auto` solves iteratively (the hyperparameters are chosen
/// on [`SUBSET`] points either way). Through `wlgp score --train-from-data
/// nb201:baseline_accuracy:N --candidates 100000`: N = 1,000, exact 0.53 s and iterative
/// 0.44 s; N = 2,000, 2.74 s (the exact weight space's n x n eigendecomposition) against
/// 0.61 s, with the same top 5; DARTS at N = 4,000, 55 s and 6.3 GB against 5.9 s and
/// 0.27 GB (docs/performance.md, "GP at scale").
pub const EXACT_MAX: usize = 1_000;

/// The most training points h and the noise are chosen on (by the selection criterion,
/// over one eigendecomposition each): beyond it, an evenly spaced subset of this many,
/// and the model with those hyperparameters is then solved on all the points. On NB201
/// at n = 2,000 the subset's noise ratio is within 20 % of the full set's (0.13 against
/// 0.145, 0.125 against 0.130, 0.099 against 0.118 over three seeds) and the fit takes
/// 0.4 s instead of 1.0-1.2 s (docs/performance.md, "GP at scale").
pub const SUBSET: usize = 1_000;

impl SolverChoice {
    /// Whether `n` training points are solved iteratively under this choice.
    pub fn iterative(self, n: usize) -> bool {
        match self {
            SolverChoice::Auto => n > EXACT_MAX,
            SolverChoice::Exact => false,
            SolverChoice::Iterative => true,
        }
    }
}

/// The factorised (or iterated) `K + r I` of a fitted GP.
#[derive(Clone, Debug)]
pub(crate) enum Solver {
    Exact(Cholesky<f64, Dyn>),
    Iterative(Arc<Krylov>),
}

impl Solver {
    /// `(K + r I)^-1 b`.
    pub(crate) fn solve(&self, b: &DVector<f64>) -> Result<DVector<f64>> {
        match self {
            Solver::Exact(c) => Ok(c.solve(b)),
            Solver::Iterative(k) => Ok(DVector::from_vec(k.solve(b.as_slice(), TOLERANCE)?.0)),
        }
    }

    /// `(K + r I)^-1 B` for `q` right-hand sides stored row-major (n x q), iterated to
    /// relative residual `tol`.
    pub(crate) fn solve_block(&self, b: &[f64], q: usize, tol: f64) -> Result<Vec<f64>> {
        match self {
            Solver::Exact(c) => {
                let n = b.len() / q.max(1);
                // Row-major n x q is column-major q x n: transpose into nalgebra's layout.
                let m = nalgebra::DMatrix::from_column_slice(q, n, b).transpose();
                let x = c.solve(&m);
                Ok(x.transpose().as_slice().to_vec())
            }
            Solver::Iterative(k) => Ok(k.solve_block(b, q, tol)?.0),
        }
    }

    /// The Cholesky factor, `None` for the iterative solver.
    pub(crate) fn cholesky(&self) -> Option<&Cholesky<f64, Dyn>> {
        match self {
            Solver::Exact(c) => Some(c),
            Solver::Iterative(_) => None,
        }
    }

    /// The Krylov solver, `None` for Cholesky.
    pub(crate) fn krylov(&self) -> Option<&Krylov> {
        match self {
            Solver::Exact(_) => None,
            Solver::Iterative(k) => Some(k),
        }
    }
}

/// The subset's indices: `m` of `n`, evenly spaced.
pub(crate) fn subset(n: usize, m: usize) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    (0..m).map(|i| i * n / m).collect()
}

/// Builds the iterative solver for features `train` at noise ratio `r` and solves for
/// `alpha = (K + r I)^-1 z`; returns both and the iterations the solve took.
pub(crate) fn iterate(
    train: &[crate::wl::Features],
    normalize: bool,
    r: f64,
    z: &DVector<f64>,
) -> Result<(Solver, DVector<f64>, usize)> {
    let kr = Krylov::new(Design::new(train, normalize), r);
    let (alpha, it) = kr.solve(z.as_slice(), TOLERANCE)?;
    if alpha.iter().any(|v| !v.is_finite()) {
        return Err(Error::Value(
            "the iterative solve gave non-finite weights".into(),
        ));
    }
    Ok((
        Solver::Iterative(Arc::new(kr)),
        DVector::from_vec(alpha),
        it,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gp::{Gp, GpConfig, Transform};
    use crate::search::{Objective, TableObjective};
    use crate::space::{Nb201Space, NbGraphSpace, Sampler, TableKey};
    use crate::wl;
    use rand::SeedableRng;

    /// Fits `n` sampled architectures iteratively, re-solves the same model (h, noise,
    /// signal) by Cholesky, and compares the posteriors at 300 held-out ones: means to
    /// 1e-6 relative, variances to 1e-6 of the prior's; returns the mean ratio of the
    /// pool form's (low-rank) std to the exact one, which it bounds from above.
    fn agree<S: Sampler + TableKey>(
        space: &S,
        table: &str,
        metric: &str,
        t: Transform,
        n: usize,
    ) -> f64 {
        let d = crate::bench_data::dataset(table).unwrap();
        let mut obj = TableObjective::new(d, metric).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let cells: Vec<_> = (0..n + 300).map(|_| space.sample(&mut rng)).collect();
        let y: Vec<f64> = cells[..n]
            .iter()
            .map(|c| obj.evaluate(space, c).unwrap())
            .collect();
        let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
        let cfg = GpConfig {
            transform: t,
            solver: SolverChoice::Iterative,
            ..Default::default()
        };
        let it = Gp::fit(&archs[..n], &y, &cfg).unwrap();
        assert!(it.krylov().is_some() && it.report().iterations.is_some());
        let ex = it.with_solver(SolverChoice::Exact).unwrap();
        assert!(ex.krylov().is_none());
        let test = wl::features_batch(&archs[n..], &it.wl_config());
        let (pi, pe) = (it.predict_features(&test), ex.predict_features(&test));
        let scale = pe.iter().map(|p| p.mean.abs()).fold(0.0, f64::max);
        let prior = it.report().signal;
        for (a, b) in pi.iter().zip(&pe) {
            assert!(
                (a.mean - b.mean).abs() <= 1e-6 * b.mean.abs().max(1e-3 * scale),
                "{table} n={n}: mean {} vs {}",
                a.mean,
                b.mean
            );
            assert!(
                (a.std.powi(2) - b.std.powi(2)).abs() <= 1e-6 * prior,
                "{table} n={n}: std {} vs {}",
                a.std,
                b.std
            );
        }
        let ws = crate::gp::WeightSpace::new(&it).unwrap();
        let mut ratio = 0.0;
        for (x, b) in test.iter().zip(&pe) {
            let w = ws.predict(x);
            assert!((w.mean - b.mean).abs() <= 1e-6 * b.mean.abs().max(1e-3 * scale));
            assert!(
                w.std >= b.std * (1.0 - 1e-6),
                "{table} n={n}: bound {} below {}",
                w.std,
                b.std
            );
            ratio += w.std / b.std;
        }
        let means = it.predict_means(&test);
        for (m, b) in means.iter().zip(&pe) {
            assert!((m - b.mean).abs() <= 1e-6 * b.mean.abs().max(1e-3 * scale));
        }
        eprintln!(
            "{table} n={n}: low-rank std / exact std = {:.3} on average",
            ratio / pi.len() as f64
        );
        ratio / pi.len() as f64
    }

    #[test]
    fn iterative_posterior_equals_the_exact_one_at_equal_hyperparameters() {
        let nb = Nb201Space::default();
        let r = agree(
            &nb,
            "nb201",
            "baseline_accuracy",
            Transform::NegLogError { scale: 100.0 },
            1_500,
        );
        assert!(r < 1.5, "nb201 std ratio {r}");
        let g = NbGraphSpace::new(false);
        let r = agree(&g, "cora", "valid_perf", Transform::Identity, 3_000);
        assert!(r.is_finite(), "cora std ratio {r}");
    }

    #[test]
    fn auto_switches_above_the_measured_size() {
        assert!(!SolverChoice::Auto.iterative(EXACT_MAX));
        assert!(SolverChoice::Auto.iterative(EXACT_MAX + 1));
        assert!(SolverChoice::Iterative.iterative(3) && !SolverChoice::Exact.iterative(1 << 20));
        assert_eq!(subset(10, 4), vec![0, 2, 5, 7]);
        assert_eq!(subset(3, 4), vec![0, 1, 2]);
    }
}
