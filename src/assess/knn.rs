//! The similarity graph of a semi-supervised assessor: every architecture (labelled or not)
//! linked to its `k` nearest neighbours by the normalised WL kernel, symmetrised, stored
//! sparse (CSR).

use crate::error::{Error, Result};
use crate::gpu::Engine;
use crate::kernel::{self, BaseKernel};
use crate::wl::Features;
use rayon::prelude::*;

/// Rows of kernel entries per GPU dispatch chunk: at most this many entries at once, so
/// memory stays bounded whatever the number of nodes.
const CHUNK_ENTRIES: usize = 1 << 24;

/// A symmetric, weighted k-nearest-neighbour graph in CSR form. Weights are normalised
/// kernel values in `[0, 1]`; there are no self loops.
#[derive(Clone, Debug, PartialEq)]
pub struct SimilarityGraph {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    weights: Vec<f32>,
}

/// The `k` largest `(similarity, index)` of one row, ties broken by the smaller index so
/// that the CPU and GPU paths agree whenever their similarities do.
fn top_k(row: impl Iterator<Item = (f32, u32)>, k: usize) -> Vec<(f32, u32)> {
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    let better = |a: (f32, u32), b: (f32, u32)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
    for e in row {
        if best.len() == k && !better(e, best[k - 1]) {
            continue;
        }
        let at = best.partition_point(|&b| better(b, e));
        best.insert(at, e);
        best.truncate(k);
    }
    best
}

impl SimilarityGraph {
    /// The kNN graph of `xs` by the normalised kernel with base `base`: each node's `k`
    /// most similar other nodes, then made symmetric (an edge when either end chose it).
    ///
    /// The kernel rows come from `engine` in chunks (the GPU kernel shader, or the CPU
    /// merge which keeps only the top `k` per row and stores no dense block).
    pub fn knn(xs: &[Features], base: BaseKernel, k: usize, engine: &Engine) -> Result<Self> {
        let n = xs.len();
        if n < 2 {
            return Err(Error::Empty(format!(
                "a similarity graph needs at least 2 architectures, got {n}"
            )));
        }
        if k == 0 {
            return Err(Error::Config("--knn must be at least 1".into()));
        }
        let k = k.min(n - 1);
        let chosen: Vec<Vec<(f32, u32)>> = match engine {
            Engine::Cpu => {
                let selfk: Vec<u64> = xs.iter().map(|x| kernel::self_kernel(x, base)).collect();
                xs.par_iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let row = xs
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| j != i)
                            .map(|(j, y)| {
                                let v = kernel::scale(
                                    kernel::raw(x, y, base),
                                    selfk[i],
                                    selfk[j],
                                    true,
                                );
                                (v as f32, j as u32)
                            });
                        top_k(row, k)
                    })
                    .collect()
            }
            Engine::Gpu { .. } => {
                let mut out = Vec::with_capacity(n);
                engine.kernel_rows(xs, base, (CHUNK_ENTRIES / n).max(1), |r0, norm| {
                    out.par_extend(norm.par_chunks(n).enumerate().map(|(r, row)| {
                        let i = r0 + r;
                        let it = row.iter().enumerate().filter(|&(j, _)| j != i);
                        top_k(it.map(|(j, &v)| (v as f32, j as u32)), k)
                    }));
                })?;
                out
            }
        };
        Ok(Self::symmetric(n, &chosen))
    }

    /// The union of the directed choices, as CSR with neighbours sorted by index.
    fn symmetric(n: usize, chosen: &[Vec<(f32, u32)>]) -> Self {
        let mut adj: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for (i, row) in chosen.iter().enumerate() {
            for &(w, j) in row {
                adj[i].push((j, w));
                adj[j as usize].push((i as u32, w));
            }
        }
        let mut g = SimilarityGraph {
            offsets: vec![0],
            neighbours: Vec::new(),
            weights: Vec::new(),
        };
        for mut row in adj {
            row.sort_by_key(|e| e.0);
            row.dedup_by_key(|e| e.0);
            g.neighbours.extend(row.iter().map(|e| e.0));
            g.weights.extend(row.iter().map(|e| e.1.max(0.0)));
            g.offsets.push(g.neighbours.len());
        }
        g
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of undirected edges.
    pub fn edges(&self) -> usize {
        self.neighbours.len() / 2
    }

    /// `(neighbour, weight)` of node `i`, by neighbour index.
    pub fn neighbours(&self, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let r = self.offsets[i]..self.offsets[i + 1];
        self.neighbours[r.clone()]
            .iter()
            .map(|&j| j as usize)
            .zip(self.weights[r].iter().copied())
    }

    /// Weighted degree of every node.
    pub fn degrees(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| self.neighbours(i).map(|(_, w)| w as f64).sum())
            .collect()
    }

    /// The GCN propagation matrix `D^-1/2 (A + I) D^-1/2` (Kipf and Welling): symmetric,
    /// in CSR with the self loop first in each row.
    pub fn gcn_matrix(&self) -> SparseRows {
        let d: Vec<f64> = self.degrees().iter().map(|d| (d + 1.0).sqrt()).collect();
        let mut m = SparseRows {
            offsets: vec![0],
            cols: Vec::with_capacity(self.neighbours.len() + self.len()),
            weights: Vec::with_capacity(self.neighbours.len() + self.len()),
        };
        for i in 0..self.len() {
            m.cols.push(i as u32);
            m.weights.push((1.0 / (d[i] * d[i])) as f32);
            for (j, a) in self.neighbours(i) {
                m.cols.push(j as u32);
                m.weights.push((a as f64 / (d[i] * d[j])) as f32);
            }
            m.offsets.push(m.cols.len());
        }
        m
    }
}

/// A sparse square matrix in CSR form.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseRows {
    /// Start of each row in `cols` / `weights`, plus the end.
    pub offsets: Vec<usize>,
    /// Column of each entry.
    pub cols: Vec<u32>,
    /// Value of each entry.
    pub weights: Vec<f32>,
}

impl SparseRows {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The transpose, for a matrix with `cols` columns.
    pub fn transpose(&self, cols: usize) -> SparseRows {
        let mut count = vec![0usize; cols + 1];
        for &c in &self.cols {
            count[c as usize + 1] += 1;
        }
        for c in 0..cols {
            count[c + 1] += count[c];
        }
        let mut next = count.clone();
        let (mut tc, mut tw) = (vec![0u32; self.cols.len()], vec![0f32; self.cols.len()]);
        for r in 0..self.rows() {
            for e in self.offsets[r]..self.offsets[r + 1] {
                let c = self.cols[e] as usize;
                tc[next[c]] = r as u32;
                tw[next[c]] = self.weights[e];
                next[c] += 1;
            }
        }
        SparseRows {
            offsets: count,
            cols: tc,
            weights: tw,
        }
    }

    /// `out = M h` for a row-major `n x c` matrix `h`, rows in parallel.
    pub fn times(&self, h: &[f32], c: usize, out: &mut [f32]) {
        out.par_chunks_mut(c.max(1)).enumerate().for_each(|(i, o)| {
            o.fill(0.0);
            for e in self.offsets[i]..self.offsets[i + 1] {
                let (j, w) = (self.cols[e] as usize, self.weights[e]);
                for (a, &b) in o.iter_mut().zip(&h[j * c..(j + 1) * c]) {
                    *a += w * b;
                }
            }
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::space::{Nb201Space, Sampler, Space};
    use crate::wl::{self, Direction, WlConfig};
    use rand::SeedableRng;

    pub(crate) fn nb201_features(n: usize) -> Vec<Features> {
        let space = Nb201Space::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let archs: Vec<_> = (0..n)
            .map(|_| space.lower(&space.sample(&mut rng)))
            .collect();
        let cfg = WlConfig {
            h: 2,
            direction: Direction::Both,
        };
        wl::features_batch(&archs, &cfg)
    }

    /// `n` sampled NB201 cells' features and their kNN graph (CPU), for the tests of every
    /// model on the graph.
    pub(crate) fn nb201_graph(n: usize, k: usize) -> (Vec<Features>, SimilarityGraph) {
        let xs = nb201_features(n);
        let g = SimilarityGraph::knn(&xs, BaseKernel::Dot, k, &Engine::Cpu).unwrap();
        (xs, g)
    }

    #[test]
    fn knn_is_symmetric_and_holds_each_nodes_nearest() {
        let (xs, g) = nb201_graph(120, 5);
        assert_eq!(g.len(), 120);
        let cfg = crate::kernel::KernelConfig {
            base: BaseKernel::Dot,
            normalize: true,
        };
        let k = crate::kernel::gram(&xs, cfg);
        for i in 0..g.len() {
            let nb: Vec<(usize, f32)> = g.neighbours(i).collect();
            assert!(nb.len() >= 5, "node {i} has {} neighbours", nb.len());
            for &(j, w) in &nb {
                assert_ne!(i, j);
                assert!((w as f64 - k[(i, j)]).abs() < 1e-6);
                assert!(g.neighbours(j).any(|(m, _)| m == i), "edge {i}-{j} one way");
            }
            // Every node not linked is at most as similar as the 5th nearest.
            let mut sims: Vec<f64> = (0..120).filter(|&j| j != i).map(|j| k[(i, j)]).collect();
            sims.sort_by(|a, b| b.total_cmp(a));
            let fifth = sims[4];
            for j in (0..120).filter(|&j| j != i && !nb.iter().any(|e| e.0 == j)) {
                assert!(k[(i, j)] <= fifth + 1e-12);
            }
        }
    }

    #[test]
    fn gcn_rows_are_normalised() {
        let (_, g) = nb201_graph(60, 4);
        let a = g.gcn_matrix();
        assert_eq!(a.cols.len(), 60 + 2 * g.edges());
        // Symmetric normalisation: w_ij = w_ji.
        let mut m = std::collections::HashMap::new();
        for i in 0..60 {
            for e in a.offsets[i]..a.offsets[i + 1] {
                m.insert((i as u32, a.cols[e]), a.weights[e]);
            }
        }
        for (&(i, j), &v) in &m {
            assert!((m[&(j, i)] - v).abs() < 1e-7);
        }
    }

    #[test]
    fn too_few_nodes_is_an_error() {
        let xs = nb201_features(1);
        assert!(SimilarityGraph::knn(&xs, BaseKernel::Dot, 3, &Engine::Cpu).is_err());
    }

    #[test]
    fn top_k_keeps_largest_with_index_ties() {
        let row = [(0.5, 0), (0.9, 1), (0.5, 2), (0.7, 3), (0.9, 4)];
        assert_eq!(
            top_k(row.into_iter(), 3),
            vec![(0.9, 1), (0.9, 4), (0.7, 3)]
        );
    }
}
