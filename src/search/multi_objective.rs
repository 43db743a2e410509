//! What a multi-objective search needs from its problem, whatever proposes: the
//! objectives it measures ([`MultiObjective`]), the evaluations made so far ([`Run`]),
//! the history it returns, and the orientation that makes every objective maximised.
//! BO (`multi.rs`) and the evolutionary baselines (`multi_evolution.rs`) both build on
//! it, so neither imports the other.

use super::multi_values::Semantics;
use crate::error::{Error, Result};
use crate::pareto::non_dominated;
use crate::space::Sampler;
use crate::values::Values;
use serde::Serialize;
use std::collections::HashSet;

/// Something that measures several objectives of an architecture.
pub trait MultiObjective<S: Sampler> {
    /// The objectives' values, in declared order and their own units.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<Vec<f64>>;
    /// Objective `k` of a cell if it is known without evaluating (a computed cost).
    fn exact(&self, space: &S, cell: &S::Cell, k: usize) -> Option<f64>;
    /// The range `(min, max)` of a computed objective `k` over the whole space, where the
    /// space knows it (NB201's parameters and FLOPs).
    fn range(&self, _space: &S, _k: usize) -> Option<(f64, f64)> {
        None
    }
    /// What each objective's values are, as far as is known before any is seen; the rest
    /// is inferred at the first fit.
    fn semantics(&self) -> Vec<Semantics>;
    /// The semantics that orient each objective (known ones, else a score when maximised
    /// and a cost when minimised): what comparing, fronts and hypervolumes need.
    fn values(&self) -> Vec<Values> {
        self.semantics().iter().map(Semantics::direction).collect()
    }
}

/// Everything a multi-objective search evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct MultiHistory {
    /// `(arch, values)` of the successful evaluations, in order.
    pub evaluations: Vec<(String, Vec<f64>)>,
    /// Evaluations that gave no values (they count against the budget).
    pub failed: usize,
}

impl MultiHistory {
    /// Indices of the non-dominated evaluations.
    pub fn front(&self, values: &[Values]) -> Vec<usize> {
        let pts: Vec<Vec<f64>> = self
            .evaluations
            .iter()
            .map(|e| orient(&e.1, values))
            .collect();
        non_dominated(&pts)
    }
}

/// Values in the maximisation convention.
pub fn orient(v: &[f64], values: &[Values]) -> Vec<f64> {
    v.iter()
        .zip(values)
        .map(|(x, s)| if s.maximize() { *x } else { -x })
        .collect()
}

/// The evaluations so far, shared by BO and the evolutionary baselines: the successful
/// ones, every cell tried, and how many were made.
pub(super) struct Run<C> {
    pub(super) cells: Vec<C>,
    pub(super) ys: Vec<Vec<f64>>,
    pub(super) seen: HashSet<C>,
    pub(super) spent: usize,
}

impl<C> Default for Run<C> {
    fn default() -> Self {
        Run {
            cells: Vec::new(),
            ys: Vec::new(),
            seen: HashSet::new(),
            spent: 0,
        }
    }
}

impl<C: Clone + Eq + std::hash::Hash> Run<C> {
    /// Evaluates a cell and records it; its values, or `None` for a failed evaluation
    /// (journaled by the objective; it counts against the budget).
    pub(super) fn push<S: Sampler<Cell = C>>(
        &mut self,
        space: &S,
        objective: &mut dyn MultiObjective<S>,
        c: C,
    ) -> Result<Option<Vec<f64>>> {
        self.spent += 1;
        self.seen.insert(c.clone());
        let y = match objective.evaluate(space, &c) {
            Ok(y) => y,
            Err(Error::Evaluation { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::Value(format!(
                "objective values {y:?} of `{}` are not all finite",
                space.format(&c)
            )));
        }
        self.cells.push(c);
        self.ys.push(y.clone());
        Ok(Some(y))
    }

    /// The search's history: the successful evaluations in order, and the failures.
    pub(super) fn history<S: Sampler<Cell = C>>(&self, space: &S) -> MultiHistory {
        MultiHistory {
            evaluations: self
                .cells
                .iter()
                .zip(&self.ys)
                .map(|(c, y)| (space.format(c), y.clone()))
                .collect(),
            failed: self.spent - self.cells.len(),
        }
    }
}
