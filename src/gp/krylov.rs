//! The iterative solver for large training sets (DESIGN.md §4, "Scale"): `(K + r I) x =
//! b` by preconditioned conjugate gradients on `K v = Phi (Phi' v)`, never forming K.
//! One Lanczos run gives the top eigenpairs of K; they precondition the solves (the
//! deflation `P = U (Theta + r) U' + r (I - U U')`) and give the low-rank form of the
//! predictive variance, `q(x) >= sum_i (u_i' k*)^2 / (theta_i + r)`, a lower bound of the
//! exact quadratic form (so the predicted std is an upper bound, as the factor form's
//! prefix bound is).

use super::design::Design;
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Lanczos steps (and so the rank of the preconditioner and of the variance form).
pub const LANCZOS_STEPS: usize = 128;

/// Relative residual at which a solve stops: the means agree with the exact solver's to
/// ~1e-8 relative on the embedded tables (a test asks 1e-6).
pub const TOLERANCE: f64 = 1e-10;

/// Iterations after which a solve is reported as failed instead of returned.
const MAX_ITERATIONS: usize = 20_000;

/// The training features as an operator, and what one Lanczos run learnt about it.
#[derive(Clone)]
pub struct Krylov {
    design: Design,
    ratio: f64,
    /// Ritz vectors (n x m, orthonormal columns), by decreasing Ritz value.
    vectors: DMatrix<f64>,
    /// Ritz values theta, decreasing.
    values: Vec<f64>,
}

impl std::fmt::Debug for Krylov {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Krylov {{ n: {}, |S|: {}, rank: {}, ratio: {} }}",
            self.design.rows(),
            self.design.cols(),
            self.values.len(),
            self.ratio
        )
    }
}

impl Krylov {
    /// Runs Lanczos on `K = Phi Phi'` (full reorthogonalisation, a fixed start so that a
    /// fit is reproducible) for `K + ratio I`.
    pub fn new(design: Design, ratio: f64) -> Krylov {
        let n = design.rows();
        let m = LANCZOS_STEPS.min(n);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x1a2c_2050);
        let mut q = DVector::from_fn(n, |_, _| StandardNormal.sample(&mut rng));
        q /= q.norm();
        let mut basis: Vec<DVector<f64>> = Vec::with_capacity(m);
        let (mut alpha, mut beta): (Vec<f64>, Vec<f64>) =
            (Vec::with_capacity(m), Vec::with_capacity(m));
        for step in 0..m {
            let mut w = DVector::from_vec(design.gram_mul(q.as_slice()));
            let a = q.dot(&w);
            w.axpy(-a, &q, 1.0);
            if let (Some(prev), Some(&b)) = (basis.last(), beta.last()) {
                w.axpy(-b, prev, 1.0);
            }
            basis.push(q.clone());
            alpha.push(a);
            // Twice is enough (Kahan's "twice is enough" for Gram-Schmidt).
            for _ in 0..2 {
                let c: Vec<f64> = basis.par_iter().map(|v| v.dot(&w)).collect();
                for (v, c) in basis.iter().zip(c) {
                    w.axpy(-c, v, 1.0);
                }
            }
            let b = w.norm();
            if step + 1 == m || b <= 1e-10 * alpha[0].abs().max(1e-300) {
                break;
            }
            beta.push(b);
            q = w / b;
        }
        let k = alpha.len();
        let t = DMatrix::from_fn(k, k, |i, j| match i.abs_diff(j) {
            0 => alpha[i],
            1 => beta[i.min(j)],
            _ => 0.0,
        });
        let eig = nalgebra::SymmetricEigen::new(t);
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_unstable_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let q = DMatrix::from_columns(&basis);
        let s = DMatrix::from_fn(k, k, |i, j| eig.eigenvectors[(i, order[j])]);
        let vectors = q * s;
        let values = order.iter().map(|&i| eig.eigenvalues[i].max(0.0)).collect();
        Krylov {
            design,
            ratio: ratio.max(0.0),
            vectors,
            values,
        }
    }

    /// The sparse training features.
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// Ritz values, decreasing.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Ritz vector `i` (an n-vector).
    pub fn vector(&self, i: usize) -> &[f64] {
        let n = self.vectors.nrows();
        &self.vectors.as_slice()[i * n..(i + 1) * n]
    }

    /// The noise ratio r of `K + r I`.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// Solves `(K + r I) x = b` by preconditioned conjugate gradients to relative residual
    /// `tol`; returns the solution and the iterations it took, or an error naming the
    /// residual reached if it does not converge.
    pub fn solve(&self, b: &[f64], tol: f64) -> Result<(Vec<f64>, usize)> {
        self.solve_block(b, 1, tol)
    }

    /// `P^-1 R` for a block of `q` vectors stored row-major (as [`Design::gram_mul_block`]).
    fn precondition_block(&self, r: &[f64], q: usize) -> Vec<f64> {
        use faer::linalg::matmul::matmul;
        let n = self.vectors.nrows();
        let m = self.values.len();
        let par = faer::Par::rayon(0);
        let inv_r = 1.0 / self.ratio.max(1e-12);
        // Row-major n x q is column-major q x n: R' U (q x m), scaled per column, then
        // C U' (q x n) is the output, row-major n x q, in place.
        let u = faer::MatRef::from_column_major_slice(self.vectors.as_slice(), n, m);
        let rt = faer::MatRef::from_column_major_slice(r, q, n);
        let mut c = faer::Mat::<f64>::zeros(q, m);
        matmul(c.as_mut(), faer::Accum::Replace, rt, u, 1.0, par);
        for (k, t) in self.values.iter().enumerate() {
            let f = 1.0 / (t + self.ratio.max(1e-12)) - inv_r;
            for x in c.col_mut(k).iter_mut() {
                *x *= f;
            }
        }
        let mut out: Vec<f64> = r.iter().map(|x| x * inv_r).collect();
        let dst = faer::MatMut::from_column_major_slice_mut(&mut out, q, n);
        matmul(dst, faer::Accum::Add, c.as_ref(), u.transpose(), 1.0, par);
        out
    }

    /// Solves `(K + r I) X = B` for `q` right-hand sides at once (row-major, as
    /// [`Design::gram_mul_block`]): independent conjugate-gradient recurrences sharing each
    /// pass over the features, each column frozen once its relative residual is `tol`.
    /// Returns X and the iterations the slowest column took.
    pub fn solve_block(&self, b: &[f64], q: usize, tol: f64) -> Result<(Vec<f64>, usize)> {
        let n = self.design.rows();
        let dots = |a: &[f64], b: &[f64]| {
            let mut d = vec![0.0; q];
            for (ra, rb) in a.chunks(q).zip(b.chunks(q)) {
                for k in 0..q {
                    d[k] += ra[k] * rb[k];
                }
            }
            d
        };
        let norm_b: Vec<f64> = dots(b, b).into_iter().map(f64::sqrt).collect();
        let mut done: Vec<bool> = norm_b.iter().map(|&v| v == 0.0).collect();
        let mut x = vec![0.0; n * q];
        let mut r = b.to_vec();
        let mut p = self.precondition_block(&r, q);
        let mut rz = dots(&r, &p);
        for it in 1..=MAX_ITERATIONS {
            if done.iter().all(|&d| d) {
                return Ok((x, it - 1));
            }
            let mut ap = self.design.gram_mul_block(&p, q);
            for (a, v) in ap.iter_mut().zip(&p) {
                *a += self.ratio * v;
            }
            let pap = dots(&p, &ap);
            let step: Vec<f64> = (0..q)
                .map(|k| {
                    if done[k] {
                        Ok(0.0)
                    } else if pap[k] > 0.0 && rz[k].is_finite() {
                        Ok(rz[k] / pap[k])
                    } else {
                        Err(Error::Value(format!(
                            "conjugate gradients broke down after {it} iterations (p'Ap = {})",
                            pap[k]
                        )))
                    }
                })
                .collect::<Result<_>>()?;
            let rows = x.chunks_exact_mut(q).zip(r.chunks_exact_mut(q));
            for ((xi, ri), (pi, api)) in rows.zip(p.chunks_exact(q).zip(ap.chunks_exact(q))) {
                for k in 0..q {
                    xi[k] += step[k] * pi[k];
                    ri[k] -= step[k] * api[k];
                }
            }
            for (k, rr) in dots(&r, &r).into_iter().enumerate() {
                done[k] |= rr.sqrt() <= tol * norm_b[k];
            }
            let z = self.precondition_block(&r, q);
            let rz_new = dots(&r, &z);
            // A converged column's direction is zero: its x and r stay as they are.
            let beta: Vec<f64> = (0..q)
                .map(|k| if done[k] { 0.0 } else { rz_new[k] / rz[k] })
                .collect();
            let keep: Vec<f64> = done.iter().map(|&d| if d { 0.0 } else { 1.0 }).collect();
            for (pi, zi) in p.chunks_exact_mut(q).zip(z.chunks_exact(q)) {
                for k in 0..q {
                    pi[k] = keep[k] * zi[k] + beta[k] * pi[k];
                }
            }
            rz = rz_new;
        }
        Err(Error::Value(format!(
            "conjugate gradients did not converge in {MAX_ITERATIONS} iterations"
        )))
    }

    /// The low-rank part of `k' (K + r I)^-1 k` for a kernel column `k` (n-vector): a
    /// lower bound of the exact quadratic form.
    pub fn low_rank_quad(&self, k: &[f64]) -> f64 {
        let c = self.vectors.tr_mul(&DVector::from_column_slice(k));
        c.iter()
            .zip(&self.values)
            .map(|(c, t)| c * c / (t + self.ratio))
            .sum()
    }

    /// The same solver for one more training point (its features appended to Phi): the
    /// Ritz vectors gain a zero component, which keeps the preconditioner symmetric
    /// positive definite, so a kriging-believer step costs one solve and no new Lanczos.
    pub fn with_row(&self, design: Design) -> Krylov {
        let n = design.rows();
        let m = self.vectors.ncols();
        let old = self.vectors.nrows();
        let vectors = DMatrix::from_fn(
            n,
            m,
            |i, j| {
                if i < old {
                    self.vectors[(i, j)]
                } else {
                    0.0
                }
            },
        );
        Krylov {
            design,
            ratio: self.ratio,
            vectors,
            values: self.values.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{self, BaseKernel, KernelConfig};
    use crate::space::{DartsSpace, Sampler, Space};
    use crate::wl::{self, Direction, WlConfig};

    #[test]
    fn conjugate_gradients_solve_the_dense_system() {
        let s = DartsSpace::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let archs: Vec<_> = (0..300).map(|_| s.lower(&s.sample(&mut rng))).collect();
        let f = wl::features_batch(
            &archs,
            &WlConfig {
                h: 2,
                direction: Direction::Both,
            },
        );
        let cfg = KernelConfig {
            base: BaseKernel::Dot,
            normalize: true,
        };
        let k = kernel::gram(&f, cfg);
        let r = 1e-3;
        let kr = Krylov::new(Design::new(&f, true), r);
        let b: Vec<f64> = (0..300).map(|i| (i as f64).cos()).collect();
        let (x, it) = kr.solve(&b, 1e-12).unwrap();
        let a = &k + DMatrix::identity(300, 300) * r;
        let want = a
            .clone()
            .cholesky()
            .unwrap()
            .solve(&DVector::from_vec(b.clone()));
        for i in 0..300 {
            assert!((x[i] - want[i]).abs() < 1e-8 * want.amax(), "{i}");
        }
        assert!(it > 0 && it < 300, "{it} iterations");
        // The low-rank quadratic form bounds the exact one from below.
        let col: Vec<f64> = (0..300).map(|i| k[(i, 3)]).collect();
        let exact = DVector::from_vec(col.clone())
            .dot(&a.cholesky().unwrap().solve(&DVector::from_vec(col.clone())));
        let low = kr.low_rank_quad(&col);
        assert!(low <= exact * (1.0 + 1e-9) && low > 0.0, "{low} vs {exact}");
        // Ritz values are eigenvalues of K: the largest matches the dense one.
        let top = k.symmetric_eigenvalues().max();
        assert!((kr.values()[0] - top).abs() < 1e-8 * top);
    }
}
