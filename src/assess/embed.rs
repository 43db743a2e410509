//! Low-dimensional node inputs for the assessor: a truncated SVD of the normalised WL
//! feature matrix, so that inner products of embeddings are the best rank-`d`
//! approximation of the normalised WL kernel (Eckart-Young). Tang et al. learn this with an
//! auto-encoder; the WL feature map gives it in closed form, without labels.

use crate::wl::Features;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::collections::HashMap;

/// Extra random directions of the randomised SVD beyond `d` (Halko et al. 2011).
const OVERSAMPLE: usize = 8;
/// Power iterations of the randomised SVD; two make the top directions accurate for the
/// slowly decaying spectra of WL features.
const POWER_ITERATIONS: usize = 2;

/// Row-major `n x d` embedding of `xs` (f32, ready for the network). Deterministic in `seed`.
pub fn svd_embedding(xs: &[Features], d: usize, seed: u64) -> (Vec<f32>, usize) {
    let n = xs.len();
    // Columns: the distinct labels; rows: count vectors scaled to unit norm.
    let mut col: HashMap<u64, usize> = HashMap::new();
    let rows: Vec<Vec<(usize, f64)>> = xs
        .iter()
        .map(|x| {
            let norm = x
                .counts
                .iter()
                .map(|&c| (c as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            x.iter()
                .map(|(l, c)| {
                    let next = col.len();
                    (*col.entry(l).or_insert(next), c as f64 / norm.max(1e-300))
                })
                .collect()
        })
        .collect();
    let dim = col.len();
    let r = (d + OVERSAMPLE).min(n).min(dim).max(1);
    let d = d.min(r);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let omega = DMatrix::<f64>::from_fn(dim, r, |_, _| StandardNormal.sample(&mut rng));
    // Phi * M for a dense dim x r matrix M, and Phi' * Q for a dense n x r matrix Q.
    let times = |m: &DMatrix<f64>| -> DMatrix<f64> {
        let out: Vec<Vec<f64>> = rows
            .par_iter()
            .map(|row| {
                let mut acc = vec![0.0; m.ncols()];
                for &(c, v) in row {
                    for (j, a) in acc.iter_mut().enumerate() {
                        *a += v * m[(c, j)];
                    }
                }
                acc
            })
            .collect();
        DMatrix::from_fn(n, m.ncols(), |i, j| out[i][j])
    };
    let times_t = |q: &DMatrix<f64>| -> DMatrix<f64> {
        let mut z = DMatrix::<f64>::zeros(dim, q.ncols());
        for (i, row) in rows.iter().enumerate() {
            for &(c, v) in row {
                for j in 0..q.ncols() {
                    z[(c, j)] += v * q[(i, j)];
                }
            }
        }
        z
    };
    let mut q = times(&omega).qr().q();
    for _ in 0..POWER_ITERATIONS {
        let z = times_t(&q).qr().q();
        q = times(&z).qr().q();
    }
    // Q' Phi = B = U S V' with Z = Phi' Q = B': Z' Z = U S^2 U', V = Z U S^-1. The
    // embedding is Phi's exact projection on V's orthonormal columns, Phi V = Phi Z U S^-1,
    // so inner products never exceed the kernel (Phi V V' Phi' <= Phi Phi').
    let z = times_t(&q);
    let eig = SymmetricEigen::new(z.transpose() * &z);
    let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let top = eig.eigenvalues[order[0]].max(0.0);
    let phi_z = times(&z) * &eig.eigenvectors;
    let mut out = vec![0f32; n * d];
    for (k, &o) in order.iter().take(d).enumerate() {
        let l = eig.eigenvalues[o];
        // Directions with no energy (rank below d) stay zero.
        if l <= 1e-12 * top {
            continue;
        }
        let inv_s = 1.0 / l.sqrt();
        for i in 0..n {
            out[i * d + k] = (phi_z[(i, o)] * inv_s) as f32;
        }
    }
    (out, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{gram, BaseKernel, KernelConfig};

    #[test]
    fn embedding_inner_products_approximate_the_normalised_kernel() {
        let xs = crate::assess::knn::tests::nb201_features(300);
        let (x, d) = svd_embedding(&xs, 32, 1);
        assert_eq!(x.len(), 300 * d);
        let k = gram(
            &xs,
            KernelConfig {
                base: BaseKernel::Dot,
                normalize: true,
            },
        );
        let (mut err, mut tot) = (0.0, 0.0);
        for i in 0..300 {
            for j in 0..300 {
                let e: f64 = (0..d)
                    .map(|c| x[i * d + c] as f64 * x[j * d + c] as f64)
                    .sum();
                err += (e - k[(i, j)]).powi(2);
                tot += k[(i, j)].powi(2);
            }
        }
        // A rank-32 approximation keeps most of the kernel's energy.
        assert!(err / tot < 0.05, "relative error {}", err / tot);
        assert_eq!(svd_embedding(&xs, 32, 1).0, x, "deterministic in the seed");
    }
}
