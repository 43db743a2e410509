//! WL kernel (Gram) matrices from sparse feature vectors.

mod dot;

pub use dot::{dot_matrix, dot_matrix_f64, dot_matrix_normalized};
pub(crate) use dot::{split, Split};

use crate::wl::Features;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How two count vectors are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseKernel {
    /// `sum_l c(l) c'(l)`: the WL subtree kernel (NAS-BOWL on NB201).
    Dot,
    /// `sum_l min(c(l), c'(l))`: optimal assignment / histogram intersection.
    OptimalAssignment,
}

crate::named!(BaseKernel, "base kernel", {
    Dot => "dot",
    OptimalAssignment => "optimal-assignment",
});

/// The raw (unnormalised) kernel value, exact in integers.
pub fn raw(a: &Features, b: &Features, base: BaseKernel) -> u64 {
    let (mut i, mut j, mut s) = (0, 0, 0u64);
    while i < a.labels.len() && j < b.labels.len() {
        match a.labels[i].cmp(&b.labels[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (x, y) = (a.counts[i] as u64, b.counts[j] as u64);
                s += match base {
                    BaseKernel::Dot => x * y,
                    BaseKernel::OptimalAssignment => x.min(y),
                };
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// `k(a, a)` without a merge.
pub fn self_kernel(a: &Features, base: BaseKernel) -> u64 {
    a.counts
        .iter()
        .map(|&c| match base {
            BaseKernel::Dot => c as u64 * c as u64,
            BaseKernel::OptimalAssignment => c as u64,
        })
        .sum()
}

/// Kernel settings shared by Gram and cross matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KernelConfig {
    /// The base kernel on counts.
    pub base: BaseKernel,
    /// Divide by `sqrt(k(a,a) k(b,b))` so every graph has unit prior variance.
    pub normalize: bool,
}

/// A raw kernel value, divided by `sqrt(k(a,a) k(b,b))` when `normalize` (0 for an empty graph).
pub(crate) fn scale(k: u64, ka: u64, kb: u64, normalize: bool) -> f64 {
    scale_f64(k as f64, ka, kb, normalize)
}

/// [`scale`] of a raw value already in floating point.
pub(crate) fn scale_f64(k: f64, ka: u64, kb: u64, normalize: bool) -> f64 {
    if !normalize {
        return k;
    }
    let d = (ka as f64 * kb as f64).sqrt();
    if d > 0.0 {
        k / d
    } else {
        0.0
    }
}

/// The `n x m` matrix `k(xs[i], ys[j])`, rows computed in parallel.
pub fn cross(xs: &[Features], ys: &[Features], cfg: KernelConfig) -> DMatrix<f64> {
    let kx: Vec<u64> = xs.iter().map(|x| self_kernel(x, cfg.base)).collect();
    let ky: Vec<u64> = ys.iter().map(|y| self_kernel(y, cfg.base)).collect();
    if cfg.base == BaseKernel::Dot {
        let k = dot_matrix_f64(xs, ys);
        let m = ys.len();
        return DMatrix::from_fn(xs.len(), m, |i, j| {
            scale_f64(k[i * m + j], kx[i], ky[j], cfg.normalize)
        });
    }
    let rows: Vec<Vec<f64>> = xs
        .par_iter()
        .zip(&kx)
        .map(|(x, &ka)| {
            ys.iter()
                .zip(&ky)
                .map(|(y, &kb)| scale(raw(x, y, cfg.base), ka, kb, cfg.normalize))
                .collect()
        })
        .collect();
    DMatrix::from_fn(xs.len(), ys.len(), |i, j| rows[i][j])
}

/// The symmetric `n x n` Gram matrix of `xs`.
pub fn gram(xs: &[Features], cfg: KernelConfig) -> DMatrix<f64> {
    let n = xs.len();
    let kx: Vec<u64> = xs.iter().map(|x| self_kernel(x, cfg.base)).collect();
    if cfg.base == BaseKernel::Dot {
        if n == 0 {
            return DMatrix::zeros(0, 0);
        }
        let k = dot::dot_matrix_f64_then(xs, xs, &|i, row| {
            for (v, &kj) in row.iter_mut().zip(&kx) {
                *v = scale_f64(*v, kx[i], kj, cfg.normalize);
            }
        });
        // Row-major and column-major are one layout for a symmetric matrix (the dot
        // products are exact, and scaling is symmetric in its two self-kernels).
        return DMatrix::from_vec(n, n, k);
    }
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            (0..=i)
                .map(|j| scale(raw(&xs[i], &xs[j], cfg.base), kx[i], kx[j], cfg.normalize))
                .collect()
        })
        .collect();
    DMatrix::from_fn(n, n, |i, j| if j <= i { rows[i][j] } else { rows[j][i] })
}

/// Raw integer Gram matrix (exact), for output and for checking other implementations.
pub fn gram_raw(xs: &[Features], base: BaseKernel) -> Vec<Vec<u64>> {
    if base == BaseKernel::Dot && !xs.is_empty() {
        return dot_matrix(xs, xs)
            .chunks(xs.len())
            .map(|r| r.to_vec())
            .collect();
    }
    xs.par_iter()
        .map(|x| xs.iter().map(|y| raw(x, y, base)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(l: &[(u64, u32)]) -> Features {
        Features {
            labels: l.iter().map(|x| x.0).collect(),
            counts: l.iter().map(|x| x.1).collect(),
        }
    }

    #[test]
    fn raw_kernels() {
        let a = f(&[(1, 2), (5, 1), (9, 3)]);
        let b = f(&[(1, 1), (9, 4), (10, 2)]);
        assert_eq!(raw(&a, &b, BaseKernel::Dot), 2 + 12);
        assert_eq!(raw(&a, &b, BaseKernel::OptimalAssignment), 1 + 3);
        assert_eq!(
            raw(&a, &a, BaseKernel::Dot),
            self_kernel(&a, BaseKernel::Dot)
        );
    }

    #[test]
    fn normalised_gram_has_unit_diagonal() {
        let xs = vec![f(&[(1, 2), (3, 1)]), f(&[(1, 1), (4, 2)]), f(&[(2, 5)])];
        let k = gram(
            &xs,
            KernelConfig {
                base: BaseKernel::Dot,
                normalize: true,
            },
        );
        for i in 0..3 {
            assert!((k[(i, i)] - 1.0).abs() < 1e-15);
        }
        assert_eq!(k[(0, 2)], 0.0);
        assert!((k[(0, 1)] - 2.0 / (5f64.sqrt() * 5f64.sqrt())).abs() < 1e-15);
    }
}
