//! Label propagation on the similarity graph: the kernel-based semi-supervised baseline.
//!
//! The harmonic solution of Zhu, Ghahramani and Lafferty (2003) with a small pull towards
//! the prior mean: labelled nodes keep their values; every other node minimises
//! `sum_ij w_ij (f_i - f_j)^2 + eps sum_i d_i f_i^2`, i.e. solves
//! `(L_uu + eps D_uu) f_u = W_ul y_l`, by Jacobi-preconditioned conjugate gradients. The
//! pull makes the system positive definite and sends nodes with no labelled node in reach
//! to the (standardised) mean 0.

use super::SimilarityGraph;

/// Pull towards the prior mean, relative to each node's degree.
pub const DEFAULT_EPS: f64 = 0.01;
const MAX_ITERATIONS: usize = 2_000;
const TOLERANCE: f64 = 1e-10;

/// Values at every node given values `y` at nodes `labelled` (standardised latent scale).
pub fn propagate(g: &SimilarityGraph, labelled: &[usize], y: &[f64], eps: f64) -> Vec<f64> {
    let n = g.len();
    let mut f = vec![0.0; n];
    let mut slot = vec![usize::MAX; n];
    for (&i, &v) in labelled.iter().zip(y) {
        f[i] = v;
        slot[i] = usize::MAX - 1;
    }
    let free: Vec<usize> = (0..n).filter(|&i| slot[i] == usize::MAX).collect();
    for (s, &i) in free.iter().enumerate() {
        slot[i] = s;
    }
    let deg = g.degrees();
    let diag: Vec<f64> = free
        .iter()
        .map(|&i| ((1.0 + eps) * deg[i]).max(1e-12))
        .collect();
    let b: Vec<f64> = free
        .iter()
        .map(|&i| {
            g.neighbours(i)
                .filter(|&(j, _)| slot[j] == usize::MAX - 1)
                .map(|(j, w)| w as f64 * f[j])
                .sum()
        })
        .collect();
    let apply = |x: &[f64], out: &mut [f64]| {
        for (s, &i) in free.iter().enumerate() {
            let off: f64 = g
                .neighbours(i)
                .filter(|&(j, _)| slot[j] < free.len())
                .map(|(j, w)| w as f64 * x[slot[j]])
                .sum();
            out[s] = diag[s] * x[s] - off;
        }
    };
    let m = free.len();
    let mut x = vec![0.0; m];
    let mut r = b.clone();
    let mut z: Vec<f64> = r.iter().zip(&diag).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut ap = vec![0.0; m];
    let mut rz: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
    let stop = TOLERANCE * b.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
    for _ in 0..MAX_ITERATIONS {
        if r.iter().map(|v| v * v).sum::<f64>().sqrt() <= stop {
            break;
        }
        apply(&p, &mut ap);
        let pap: f64 = p.iter().zip(&ap).map(|(a, b)| a * b).sum();
        if pap <= 0.0 {
            break;
        }
        let alpha = rz / pap;
        for s in 0..m {
            x[s] += alpha * p[s];
            r[s] -= alpha * ap[s];
            z[s] = r[s] / diag[s];
        }
        let rz_new: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
        let beta = rz_new / rz;
        rz = rz_new;
        for s in 0..m {
            p[s] = z[s] + beta * p[s];
        }
    }
    for (s, &i) in free.iter().enumerate() {
        f[i] = x[s];
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagated_values_are_harmonic() {
        let (_, g) = crate::assess::knn::tests::nb201_graph(200, 6);
        let labelled = [0, 5, 17, 40, 99];
        let y = [1.0, -0.5, 0.25, 2.0, -1.0];
        let f = propagate(&g, &labelled, &y, 0.0);
        let deg = g.degrees();
        for i in 0..g.len() {
            if let Some(k) = labelled.iter().position(|&l| l == i) {
                assert_eq!(f[i], y[k]);
            } else if deg[i] > 0.0 {
                // Each free node is the weighted mean of its neighbours (eps = 0).
                let mean: f64 = g.neighbours(i).map(|(j, w)| w as f64 * f[j]).sum::<f64>() / deg[i];
                assert!((f[i] - mean).abs() < 1e-6, "node {i}: {} vs {}", f[i], mean);
                // ...so it lies within the range of the labels (maximum principle).
                assert!((-1.0 - 1e-9..=2.0 + 1e-9).contains(&f[i]));
            }
        }
    }
}
