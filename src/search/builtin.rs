//! The built-in objective on any space: each cell lowered, stacked into a network and
//! trained on the embedded digits ([`crate::trainer::train_arch`]), its held-out
//! accuracy the value. A real evaluation on a fresh machine, with no table and no
//! command of the user's.

use super::objective::Objective;
use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::space::Space;
use crate::trainer::cell::Stacking;
use crate::trainer::{train_arch, Digits, TrainConfig};

/// Trains every evaluated cell on the digits (`--objective builtin-digits`).
pub struct DigitsObjective {
    data: Digits,
    cfg: TrainConfig,
    stack: Stacking,
    seed: u64,
}

impl DigitsObjective {
    /// Trains with `cfg`, stacks cells by `stack`; `seed` is mixed with each cell's graph.
    pub fn new(cfg: TrainConfig, stack: Stacking, seed: u64) -> Result<DigitsObjective> {
        Ok(DigitsObjective {
            data: Digits::load()?,
            cfg,
            stack,
            seed,
        })
    }
}

impl<S: Space> Objective<S> for DigitsObjective {
    /// A diverged training is a failed evaluation (recorded, the search goes on); a cell
    /// the trainer cannot build stops the search with the reason.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        let arch = space.lower(cell);
        failed_if_diverged(
            space.format(cell),
            train_arch(&arch, &self.stack, self.seed, &self.data, &self.cfg),
        )
        .map(|t| t.accuracy)
    }
    fn kind(&self) -> MetricKind {
        MetricKind::AccuracyPercent
    }
}

/// A diverged training as a failed evaluation of `arch`; every other result as it is.
pub fn failed_if_diverged<T>(arch: String, r: Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        Error::Diverged(why) => Error::Evaluation {
            arch,
            status: format!("failed: training diverged ({why})"),
        },
        e => e,
    })
}
