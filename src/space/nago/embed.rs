//! The WL kernel on generators. A generator θ is a distribution over networks, so it is
//! embedded by the mean WL feature vector of `m` networks sampled from it (a kernel mean
//! embedding, Smola et al. 2007); the inner product of two embeddings is the mean WL
//! kernel over all pairs of their networks, positive semi-definite as every kernel mean
//! embedding is. Network `i` of every generator is drawn with the same seed (common random
//! numbers), so that two generators are compared on matched draws.

use super::{Network, Theta};
use crate::error::Result;
use crate::gpu::Engine;
use crate::graph::Arch;
use crate::wl::{Features, WlConfig};
use rayon::prelude::*;

/// The mean WL feature vector of a generator's networks: sorted labels and mean counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Embedding {
    /// Distinct labels, ascending.
    pub labels: Vec<u64>,
    /// Mean count of each label over the networks.
    pub values: Vec<f64>,
}

impl Embedding {
    /// The inner product of two embeddings (a merge over their sorted labels).
    pub fn dot(&self, other: &Embedding) -> f64 {
        let (mut i, mut j, mut acc) = (0, 0, 0.0);
        while i < self.labels.len() && j < other.labels.len() {
            match self.labels[i].cmp(&other.labels[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    acc += self.values[i] * other.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        acc
    }
}

/// The seed of the `i`-th network of every generator embedded with `seed`.
pub fn network_seed(seed: u64, i: usize) -> u64 {
    crate::wl::mix64(seed ^ crate::wl::mix64(0x4e41_474f_0000 | i as u64))
}

/// The mean WL embedding of θ over `m` networks.
pub fn embed(theta: &Theta, m: usize, seed: u64, cfg: &WlConfig) -> Result<Embedding> {
    Ok(embed_all_on(&Engine::Cpu, std::slice::from_ref(theta), m, seed, cfg)?.remove(0))
}

/// The embeddings of many generators, on the CPU.
pub fn embed_all(thetas: &[Theta], m: usize, seed: u64, cfg: &WlConfig) -> Result<Vec<Embedding>> {
    embed_all_on(&Engine::Cpu, thetas, m, seed, cfg)
}

/// The embeddings of many generators: their networks are sampled in parallel and hashed
/// in one batch by `engine` (on the GPU when it has one; bit for bit the CPU's features).
pub fn embed_all_on(
    engine: &Engine,
    thetas: &[Theta],
    m: usize,
    seed: u64,
    cfg: &WlConfig,
) -> Result<Vec<Embedding>> {
    let m = m.max(1);
    let archs: Vec<Arch> = thetas
        .par_iter()
        .flat_map_iter(|t| (0..m).map(move |i| (t, i)))
        .map(|(t, i)| Network::sample(t, network_seed(seed, i)).map(|n| n.to_arch()))
        .collect::<Result<_>>()?;
    let features = engine.features(&archs, cfg)?;
    Ok(features.chunks(m).map(mean_of).collect())
}

/// The mean of some networks' feature vectors.
fn mean_of(features: &[Features]) -> Embedding {
    let mut all: Vec<(u64, u32)> = features.iter().flat_map(|f| f.iter()).collect();
    all.sort_unstable_by_key(|&(l, _)| l);
    let mut e = Embedding::default();
    for (l, c) in all {
        if e.labels.last() == Some(&l) {
            *e.values.last_mut().expect("same length") += c as f64;
        } else {
            e.labels.push(l);
            e.values.push(c as f64);
        }
    }
    let m = features.len().max(1) as f64;
    e.values.iter_mut().for_each(|v| *v /= m);
    e
}

/// The normalised kernel matrix `k(a, b) / sqrt(k(a, a) k(b, b))`, row-major
/// `a.len() × b.len()`: 1 on a generator with itself, in [0, 1] otherwise.
pub fn normalized_cross(a: &[Embedding], b: &[Embedding]) -> Vec<f64> {
    let na: Vec<f64> = a
        .iter()
        .map(|x| x.dot(x).sqrt().max(f64::MIN_POSITIVE))
        .collect();
    let nb: Vec<f64> = b
        .iter()
        .map(|x| x.dot(x).sqrt().max(f64::MIN_POSITIVE))
        .collect();
    a.par_iter()
        .zip(na.par_iter())
        .flat_map_iter(|(x, nx)| b.iter().zip(&nb).map(move |(y, ny)| x.dot(y) / (nx * ny)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_mean_embedding_kernel_is_positive_semi_definite() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let thetas: Vec<Theta> = (0..16).map(|_| Theta::sample(&mut rng)).collect();
        let cfg = WlConfig {
            h: 2,
            direction: crate::wl::Direction::In,
        };
        let e = embed_all(&thetas, 4, 7, &cfg).unwrap();
        let n = e.len();
        let k = nalgebra::DMatrix::from_row_slice(n, n, &normalized_cross(&e, &e));
        assert!((0..n).all(|i| (k[(i, i)] - 1.0).abs() < 1e-12));
        assert!((k.clone() - k.transpose()).abs().max() < 1e-12);
        let eig = k.symmetric_eigen().eigenvalues;
        assert!(eig.min() > -1e-9 * n as f64, "eigenvalues {eig}");
        // The same θ and seed embed the same; another seed draws other networks.
        assert_eq!(embed(&thetas[0], 4, 7, &cfg).unwrap(), e[0]);
        assert_ne!(embed(&thetas[0], 4, 8, &cfg).unwrap(), e[0]);
    }

    #[test]
    fn the_embedding_is_the_mean_of_the_networks_features() {
        let t = Theta::sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
        let cfg = WlConfig {
            h: 2,
            direction: crate::wl::Direction::In,
        };
        let e = embed(&t, 3, 1, &cfg).unwrap();
        let feats: Vec<_> = (0..3)
            .map(|i| {
                let n = Network::sample(&t, network_seed(1, i)).unwrap();
                crate::wl::features(&n.to_arch(), &cfg)
            })
            .collect();
        for (l, v) in e.labels.iter().zip(&e.values) {
            let mean = feats.iter().map(|f| f.count(*l) as f64).sum::<f64>() / 3.0;
            assert_eq!(*v, mean);
        }
        let total: f64 = feats
            .iter()
            .map(|f| f.counts.iter().sum::<u32>() as f64)
            .sum();
        assert!((e.values.iter().sum::<f64>() - total / 3.0).abs() < 1e-9);
    }
}
