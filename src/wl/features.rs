//! The CPU reference of WL feature extraction.

use super::hash::{initial_label, mix64, refine};
use super::{Direction, WlConfig, MAX_H};
use crate::graph::Arch;
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
        all.sort_unstable();
        let mut labels = Vec::with_capacity(all.len());
        let mut counts: Vec<u32> = Vec::with_capacity(all.len());
        for &l in all.iter() {
            if labels.last() == Some(&l) {
                *counts.last_mut().expect("paired with labels") += 1;
            } else {
                labels.push(l);
                counts.push(1);
            }
        }
        Features { labels, counts }
    }
}

/// Neighbour lists in CSR form for one graph and direction.
fn neighbours(arch: &Arch, dir: Direction) -> (Vec<u32>, Vec<u32>) {
    let n = arch.node_count();
    let mut offsets = Vec::with_capacity(n + 1);
    let mut list = Vec::with_capacity(2 * arch.edge_count());
    offsets.push(0);
    for v in 0..n {
        if matches!(dir, Direction::In | Direction::Both) {
            list.extend(arch.predecessors(v).map(|u| u as u32));
        }
        if matches!(dir, Direction::Out | Direction::Both) {
            list.extend(arch.successors(v).map(|u| u as u32));
        }
        offsets.push(list.len() as u32);
    }
    (offsets, list)
}

/// Labels of every node at every iteration 0..=h: `result[i][v]`.
pub fn node_labels(arch: &Arch, cfg: &WlConfig) -> Vec<Vec<u64>> {
    let h = cfg.h.min(MAX_H);
    let n = arch.node_count();
    let (off, nb) = neighbours(arch, cfg.direction);
    let mut out = Vec::with_capacity(h + 1);
    out.push(
        (0..n)
            .map(|v| initial_label(arch.label(v)))
            .collect::<Vec<_>>(),
    );
    for it in 1..=h {
        let prev = &out[it - 1];
        let next: Vec<u64> = (0..n)
            .map(|v| {
                let s = nb[off[v] as usize..off[v + 1] as usize]
                    .iter()
                    .fold(0u64, |a, &u| a.wrapping_add(mix64(prev[u as usize])));
                refine(prev[v], it as u64, s)
            })
            .collect();
        out.push(next);
    }
    out
}

/// WL feature counts of one graph over iterations 0..=h.
pub fn features(arch: &Arch, cfg: &WlConfig) -> Features {
    let mut all: Vec<u64> = node_labels(arch, cfg).into_iter().flatten().collect();
    Features::from_labels(&mut all)
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
