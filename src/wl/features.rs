//! The CPU reference of WL feature extraction.

use super::hash::{mix64, refine};
use super::{Direction, WlConfig, MAX_H};
use crate::graph::{Arch, FlatGraph};
use rayon::prelude::*;

/// A sparse WL feature vector: label -> count, sorted by label, over iterations 0..=h.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// Distinct labels, ascending.
    pub labels: Vec<u64>,
    /// How often each label occurs.
    pub counts: Vec<u32>,
}

impl Features {
    /// Number of distinct labels.
    pub fn nnz(&self) -> usize {
        self.labels.len()
    }

    /// `(label, count)` pairs in label order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.labels.iter().copied().zip(self.counts.iter().copied())
    }

    /// Count of one label (0 when absent).
    pub fn count(&self, label: u64) -> u32 {
        self.labels
            .binary_search(&label)
            .map(|i| self.counts[i])
            .unwrap_or(0)
    }

    /// Builds the sorted run-length form of a list of labels (which it sorts in place).
    pub fn from_labels(all: &mut [u64]) -> Self {
        let mut f = Features::default();
        f.set_from_labels(all);
        f
    }

    /// As [`Features::from_labels`], reusing `self`'s buffers.
    pub fn set_from_labels(&mut self, all: &mut [u64]) {
        all.sort_unstable();
        self.labels.clear();
        self.counts.clear();
        for &l in all.iter() {
            if self.labels.last() == Some(&l) {
                *self.counts.last_mut().expect("paired with labels") += 1;
            } else {
                self.labels.push(l);
                self.counts.push(1);
            }
        }
    }
}

/// Buffers of WL hashing, reused from graph to graph so that the hot loop allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct WlScratch {
    offsets: Vec<u32>,
    cursor: Vec<u32>,
    list: Vec<u32>,
    mixed: Vec<u64>,
    all: Vec<u64>,
}

impl WlScratch {
    /// Neighbour lists of `g` in CSR form for one direction (order within a list does not
    /// matter: the neighbour hash is a sum).
    fn neighbours(&mut self, g: &FlatGraph, dir: Direction) {
        let n = g.node_count();
        let inc = matches!(dir, Direction::In | Direction::Both);
        let out = matches!(dir, Direction::Out | Direction::Both);
        self.offsets.clear();
        self.offsets.resize(n + 1, 0);
        for &(a, b) in &g.edges {
            self.offsets[b as usize + 1] += inc as u32;
            self.offsets[a as usize + 1] += out as u32;
        }
        for v in 0..n {
            self.offsets[v + 1] += self.offsets[v];
        }
        self.cursor.clear();
        self.cursor.extend_from_slice(&self.offsets[..n]);
        self.list.clear();
        self.list.resize(self.offsets[n] as usize, 0);
        for &(a, b) in &g.edges {
            if inc {
                self.list[self.cursor[b as usize] as usize] = a;
                self.cursor[b as usize] += 1;
            }
            if out {
                self.list[self.cursor[a as usize] as usize] = b;
                self.cursor[a as usize] += 1;
            }
        }
    }

    /// Every node's label at iterations 0..=h, iteration-major (`[it * n + v]`).
    fn relabel(&mut self, g: &FlatGraph, cfg: &WlConfig) -> &mut [u64] {
        let n = g.node_count();
        self.neighbours(g, cfg.direction);
        self.all.clear();
        self.all.extend_from_slice(&g.labels);
        for it in 1..=cfg.h.min(MAX_H) {
            let prev = (it - 1) * n;
            self.mixed.clear();
            self.mixed
                .extend(self.all[prev..prev + n].iter().map(|&l| mix64(l)));
            for v in 0..n {
                let s = self.list[self.offsets[v] as usize..self.offsets[v + 1] as usize]
                    .iter()
                    .fold(0u64, |a, &u| a.wrapping_add(self.mixed[u as usize]));
                let l = refine(self.all[prev + v], it as u64, s);
                self.all.push(l);
            }
        }
        &mut self.all
    }

    /// WL features of `g` into `out`, allocation-free once the buffers have grown.
    pub fn features_into(&mut self, g: &FlatGraph, cfg: &WlConfig, out: &mut Features) {
        out.set_from_labels(self.relabel(g, cfg));
    }
}

/// Labels of every node at every iteration 0..=h: `result[i][v]`.
pub fn node_labels(arch: &Arch, cfg: &WlConfig) -> Vec<Vec<u64>> {
    let g = FlatGraph::from_arch(arch);
    let n = g.node_count().max(1);
    WlScratch::default()
        .relabel(&g, cfg)
        .chunks(n)
        .map(<[u64]>::to_vec)
        .collect()
}

/// WL feature counts of one graph over iterations 0..=h.
pub fn features(arch: &Arch, cfg: &WlConfig) -> Features {
    let mut out = Features::default();
    WlScratch::default().features_into(&FlatGraph::from_arch(arch), cfg, &mut out);
    out
}

/// WL features of many graphs for each of several depths: `result[i]` is for `hs[i]`
/// (what hyperparameter selection over h needs).
pub fn features_per_depth(
    archs: &[Arch],
    hs: &[usize],
    direction: Direction,
) -> Vec<Vec<Features>> {
    hs.iter()
        .map(|&h| features_batch(archs, &WlConfig { h, direction }))
        .collect()
}

/// WL features of many graphs, in parallel over graphs, in input order.
pub fn features_batch(archs: &[Arch], cfg: &WlConfig) -> Vec<Features> {
    archs.par_iter().map(|a| features(a, cfg)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wl::fnv1a64;
    use std::borrow::Cow;

    fn chain() -> Arch {
        // input -> conv -> output, plus input -> output.
        Arch::new(
            vec![
                Cow::Borrowed("input"),
                Cow::Borrowed("conv"),
                Cow::Borrowed("output"),
            ],
            &[(0, 1), (1, 2), (0, 2)],
        )
        .unwrap()
    }

    #[test]
    fn hand_worked_example() {
        let a = chain();
        let (i0, c0, o0) = (
            mix64(fnv1a64(b"input")),
            mix64(fnv1a64(b"conv")),
            mix64(fnv1a64(b"output")),
        );
        // Iteration 1, predecessors: input has none, conv has input, output has input+conv.
        let i1 = mix64(i0 ^ mix64(1));
        let c1 = mix64(c0 ^ mix64(1u64.wrapping_add(mix64(i0))));
        let o1 = mix64(o0 ^ mix64(1u64.wrapping_add(mix64(i0)).wrapping_add(mix64(c0))));
        let cfg = WlConfig {
            h: 1,
            direction: Direction::In,
        };
        let f = features(&a, &cfg);
        let mut want = vec![i0, c0, o0, i1, c1, o1];
        want.sort_unstable();
        assert_eq!(f.labels, want);
        assert!(f.counts.iter().all(|&c| c == 1));
        assert_eq!(node_labels(&a, &cfg)[1], vec![i1, c1, o1]);
        // h = 0 is the bag of operations.
        let f0 = features(
            &a,
            &WlConfig {
                h: 0,
                direction: Direction::In,
            },
        );
        assert_eq!(f0.nnz(), 3);
    }

    #[test]
    fn equal_labels_are_counted() {
        let a = Arch::new(
            vec![
                Cow::Borrowed("input"),
                Cow::Borrowed("conv"),
                Cow::Borrowed("conv"),
                Cow::Borrowed("output"),
            ],
            &[(0, 1), (0, 2), (1, 3), (2, 3)],
        )
        .unwrap();
        let f = features(
            &a,
            &WlConfig {
                h: 2,
                direction: Direction::In,
            },
        );
        // Two conv nodes with the same history share a label at every iteration.
        assert_eq!(f.counts.iter().filter(|&&c| c == 2).count(), 3);
        assert_eq!(f.counts.iter().map(|&c| c as usize).sum::<usize>(), 4 * 3);
    }

    #[test]
    fn direction_matters() {
        let a = chain();
        let fi = features(
            &a,
            &WlConfig {
                h: 1,
                direction: Direction::In,
            },
        );
        let fo = features(
            &a,
            &WlConfig {
                h: 1,
                direction: Direction::Out,
            },
        );
        let fb = features(
            &a,
            &WlConfig {
                h: 1,
                direction: Direction::Both,
            },
        );
        assert_ne!(fi, fo);
        assert_ne!(fi, fb);
    }
}
