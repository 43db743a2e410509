//! Building and pruning from motif scores (AutoBuild-style, Mills et al. 2024): an
//! architecture's motif score is the sum of its motifs' effects; building climbs it one
//! edit (one operation or one input) at a time from the best evaluated architectures,
//! scoring only the current cell's neighbours, never the space; pruning drops every cell
//! that contains an operation or connection whose motif hurts with high confidence.

use super::MotifEffect;
use crate::gp::{Gp, Prediction};
use crate::space::Sampler;
use crate::wl::{self, Features};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Motif effects by label, for scoring cells.
pub struct MotifScores {
    effect: HashMap<u64, f64>,
}

impl MotifScores {
    /// The effects of `effects` by label.
    pub fn new(effects: &[MotifEffect]) -> Self {
        MotifScores {
            effect: effects.iter().map(|e| (e.label, e.effect)).collect(),
        }
    }

    /// Summed effect of the motifs in `x` (motifs never evaluated count 0).
    pub fn score(&self, x: &Features) -> f64 {
        x.iter()
            .map(|(l, c)| self.effect.get(&l).copied().unwrap_or(0.0) * c as f64)
            .sum()
    }
}

/// One built architecture.
#[derive(Clone, Debug, Serialize)]
pub struct Built<C> {
    /// The cell.
    pub cell: C,
    /// Its motif score.
    pub score: f64,
    /// The GP's posterior (latent scale).
    #[serde(skip)]
    pub prediction: Prediction,
    /// Edits made from the starting architecture.
    pub steps: usize,
}

/// Climbs the motif score from each start, one edit at a time, to a cell no single edit
/// improves. The first edit is always made (to the best-scoring neighbour not in
/// `evaluated`), so what is built is a new architecture, never one already evaluated.
/// Returns the distinct results, best GP posterior mean first.
pub fn build<S: Sampler>(
    space: &S,
    gp: &Gp,
    scores: &MotifScores,
    starts: &[S::Cell],
    evaluated: &HashSet<S::Cell>,
    max_steps: usize,
) -> Vec<Built<S::Cell>> {
    let cfg = gp.wl_config();
    let feat = |c: &S::Cell| wl::features(&space.lower(c), &cfg);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for start in starts {
        let mut cell = start.clone();
        let mut score = f64::NEG_INFINITY;
        let mut steps = 0;
        while steps < max_steps.max(1) {
            let best = space
                .neighbours(&cell)
                .into_iter()
                .filter(|n| !evaluated.contains(n))
                .map(|n| {
                    let s = scores.score(&feat(&n));
                    (n, s)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((n, s)) if steps == 0 || s > score + 1e-12 => {
                    cell = n;
                    score = s;
                    steps += 1;
                }
                _ => break,
            }
        }
        if steps > 0 && seen.insert(cell.clone()) {
            let prediction = gp.predict_features(&[feat(&cell)])[0];
            out.push(Built {
                cell,
                score,
                prediction,
                steps,
            });
        }
    }
    out.sort_by(|a, b| b.prediction.mean.total_cmp(&a.prediction.mean));
    out
}

/// Operations and connections (motifs of depth <= `max_depth`) whose effect is below zero
/// by more than `z` standard deviations. A motif in every one of the `evaluated`
/// architectures is never harmful: with nothing to contrast it against its effect is not
/// identified (the input and output nodes of every cell), and pruning on it would drop
/// the whole space.
pub fn harmful(
    effects: &[MotifEffect],
    z: f64,
    max_depth: usize,
    evaluated: usize,
) -> Vec<MotifEffect> {
    effects
        .iter()
        .filter(|e| e.depth <= max_depth && e.archs < evaluated && e.effect + z * e.std < 0.0)
        .cloned()
        .collect()
}

/// Whether a cell's features avoid every harmful motif (it lies in the pruned space).
pub fn keeps(x: &Features, harmful: &[MotifEffect]) -> bool {
    harmful.iter().all(|h| x.count(h.label) == 0)
}

/// What pruning keeps of a finite space, measured against the table's true values.
#[derive(Clone, Debug, Serialize)]
pub struct PruneStats {
    /// Cells of the space.
    pub total: usize,
    /// Cells without any harmful motif.
    pub kept: usize,
    /// Share of the table's top 1% that the pruned space keeps.
    pub top1_kept: f64,
    /// Mean true value inside the pruned space.
    pub mean_inside: Option<f64>,
    /// Mean true value outside it.
    pub mean_outside: Option<f64>,
}

/// Which cells of `cells` pruning keeps, and how they compare with the true values
/// (`values[i]` of `cells[i]`; larger is better when `maximize`).
pub fn prune_stats<S: Sampler>(
    space: &S,
    gp: &Gp,
    harmful: &[MotifEffect],
    cells: &[S::Cell],
    values: &[f64],
    maximize: bool,
) -> PruneStats {
    use rayon::prelude::*;
    let cfg = gp.wl_config();
    let keep: Vec<bool> = cells
        .par_iter()
        .map(|c| keeps(&wl::features(&space.lower(c), &cfg), harmful))
        .collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        if maximize {
            values[b].total_cmp(&values[a])
        } else {
            values[a].total_cmp(&values[b])
        }
    });
    let top = order.len().div_ceil(100).max(1);
    let mean = |inside: bool| {
        let v: Vec<f64> = (0..values.len())
            .filter(|&i| keep[i] == inside)
            .map(|i| values[i])
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    PruneStats {
        total: cells.len(),
        kept: keep.iter().filter(|&&k| k).count(),
        top1_kept: order[..top.min(order.len())]
            .iter()
            .filter(|&&i| keep[i])
            .count() as f64
            / top as f64,
        mean_inside: mean(true),
        mean_outside: mean(false),
    }
}

/// Percentile of `v` among `all` (100: nothing is better).
pub fn percentile(all: &[f64], v: f64, maximize: bool) -> f64 {
    let not_better = all
        .iter()
        .filter(|&&x| if maximize { x <= v } else { x >= v })
        .count();
    100.0 * not_better as f64 / all.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(label: u64, effect: f64, archs: usize) -> MotifEffect {
        MotifEffect {
            label,
            depth: 0,
            motif: format!("m{label}"),
            effect,
            std: 0.1,
            effect_units: effect,
            std_units: 0.1,
            archs,
        }
    }

    #[test]
    fn a_motif_in_every_evaluated_architecture_is_never_pruned() {
        let effects = [
            effect(1, -1.0, 200),
            effect(2, -1.0, 150),
            effect(3, 1.0, 40),
        ];
        let bad = harmful(&effects, 2.0, 1, 200);
        assert_eq!(bad.iter().map(|e| e.label).collect::<Vec<_>>(), [2]);
    }
}
