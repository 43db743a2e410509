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
/// improves; returns the distinct results, best GP posterior mean first.
pub fn build<S: Sampler>(
    space: &S,
    gp: &Gp,
    scores: &MotifScores,
    starts: &[S::Cell],
    max_steps: usize,
) -> Vec<Built<S::Cell>> {
    let cfg = gp.wl_config();
    let feat = |c: &S::Cell| wl::features(&space.lower(c), &cfg);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for start in starts {
        let mut cell = start.clone();
        let mut score = scores.score(&feat(&cell));
        let mut steps = 0;
        while steps < max_steps {
            let best = space
                .neighbours(&cell)
                .into_iter()
                .map(|n| {
                    let s = scores.score(&feat(&n));
                    (n, s)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((n, s)) if s > score + 1e-12 => {
                    cell = n;
                    score = s;
                    steps += 1;
                }
                _ => break,
            }
        }
        if seen.insert(cell.clone()) {
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
/// by more than `z` standard deviations.
pub fn harmful(effects: &[MotifEffect], z: f64, max_depth: usize) -> Vec<MotifEffect> {
    effects
        .iter()
        .filter(|e| e.depth <= max_depth && e.effect + z * e.std < 0.0)
        .cloned()
        .collect()
}

/// Whether a cell's features avoid every harmful motif (it lies in the pruned space).
pub fn keeps(x: &Features, harmful: &[MotifEffect]) -> bool {
    harmful.iter().all(|h| x.count(h.label) == 0)
}
