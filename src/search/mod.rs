//! Search: Bayesian optimisation with the WL GP, random search as the baseline, and the
//! objectives they evaluate.

mod bo;
pub mod builtin;
mod children;
mod evolution;
pub mod generator;
pub mod journal;
mod local;
mod lock;
pub mod multi;
pub mod multi_command;
pub mod multi_evolution;
pub mod multi_objective;
pub mod multi_table;
pub mod multi_values;
mod objective;
pub mod options;
pub mod repair;
mod semi;
pub mod tail;
mod twins;

pub use bo::{BatchStrategy, BoConfig, Incumbent, InitDesign, PoolConfig};
pub use children::end_children_on_signal;
pub use evolution::EvolutionConfig;
pub use journal::{Entry, Journal, JournalHeader, Journaled, Recorded};
pub use objective::{evaluate_as_batch, CommandObjective, Objective, OnDone, TableObjective};
pub use options::{AssessorOptions, Plan, SearchOptions, SurrogateOptions};
pub use semi::{SemiSearchConfig, Surrogate};

use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::gp::GpConfig;
use crate::space::{Sampler, Space};
use crate::values::Resolved;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// Which search strategy to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Bayesian optimisation with the WL-kernel GP.
    Bo,
    /// Uniform random sampling without repeats.
    Random,
    /// Regularised evolution (Real et al., 2019).
    Evolution,
    /// Local search with restarts (White et al., 2020).
    Local,
    /// BO with the semi-supervised GCN assessor as surrogate (`bo --surrogate assessor`).
    BoAssessor,
    /// BO with label propagation as surrogate (`bo --surrogate propagation`).
    BoPropagation,
    /// BO with the graph-Laplacian-regularised GP as surrogate (`bo --surrogate laplacian`).
    BoLaplacian,
}

crate::named!(Method, "method", {
    Bo => "bo",
    Random => "random",
    Evolution => "evolution",
    Local => "local",
    BoAssessor => "bo-assessor",
    BoPropagation => "bo-propagation",
    BoLaplacian => "bo-laplacian",
});

/// One evaluated architecture.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    /// The architecture in its space's string form.
    pub arch: String,
    /// The measured value (NaN, written as null, when the evaluation failed).
    pub value: f64,
    /// `ok`, or why the evaluation gave no value (`failed: ...`, `timeout`).
    pub status: String,
    /// The best value seen up to and including this evaluation.
    pub best_so_far: f64,
}

/// Everything a search evaluated, in order.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    /// The evaluations, in the order they were made.
    pub evaluations: Vec<Evaluation>,
    /// Index of the best evaluation.
    pub best: usize,
}

impl History {
    /// The best evaluation.
    pub fn best(&self) -> &Evaluation {
        &self.evaluations[self.best]
    }

    /// The values of the successful evaluations, in order.
    pub fn values(&self) -> Vec<f64> {
        self.evaluations
            .iter()
            .map(|e| e.value)
            .filter(|v| v.is_finite())
            .collect()
    }
}

/// Records evaluations and keeps the incumbent, shared by all methods.
pub(crate) struct Recorder<'a> {
    kind: MetricKind,
    history: Vec<Evaluation>,
    best: usize,
    on_eval: &'a mut dyn FnMut(&Evaluation),
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(kind: MetricKind, on_eval: &'a mut dyn FnMut(&Evaluation)) -> Self {
        Recorder {
            kind,
            history: Vec::new(),
            best: 0,
            on_eval,
        }
    }

    pub(crate) fn push(&mut self, arch: String, value: f64) {
        let first_ok = !self
            .history
            .get(self.best)
            .is_some_and(|b| b.value.is_finite());
        if first_ok || self.kind.better(value, self.history[self.best].value) {
            self.best = self.history.len();
        }
        let e = Evaluation {
            arch,
            value,
            status: "ok".into(),
            best_so_far: self.history.get(self.best).map_or(value, |b| b.value),
        };
        (self.on_eval)(&e);
        self.history.push(e);
    }

    /// Records an evaluation that gave no value; it counts against the budget.
    pub(crate) fn push_failed(&mut self, arch: String, status: String) {
        let best = self.history.get(self.best).map_or(f64::NAN, |b| b.value);
        let e = Evaluation {
            arch,
            value: f64::NAN,
            status,
            best_so_far: best,
        };
        (self.on_eval)(&e);
        self.history.push(e);
    }

    /// Evaluates a cell and records the outcome; a failed evaluation (the objective's
    /// [`Error::Evaluation`]) is recorded and gives `None`, any other error stops the search.
    pub(crate) fn evaluate<S: Space>(
        &mut self,
        space: &S,
        objective: &mut dyn Objective<S>,
        cell: &S::Cell,
    ) -> Result<Option<f64>> {
        let mut r = self.evaluate_batch(space, objective, std::slice::from_ref(cell))?;
        Ok(r.pop().flatten())
    }

    /// Evaluates a batch of proposals (in parallel where the objective can) and records
    /// them in proposal order; failed evaluations give `None`.
    pub(crate) fn evaluate_batch<S: Space>(
        &mut self,
        space: &S,
        objective: &mut dyn Objective<S>,
        cells: &[S::Cell],
    ) -> Result<Vec<Option<f64>>> {
        let results = objective.evaluate_batch(space, cells, &mut |_, _, _| Ok(()))?;
        Ok(cells
            .iter()
            .zip(results)
            .map(|(c, r)| match r {
                Ok(v) => {
                    self.push(space.format(c), v);
                    Some(v)
                }
                Err(e) => {
                    let status = match e {
                        Error::Evaluation { status, .. } => status,
                        other => other.to_string(),
                    };
                    self.push_failed(space.format(c), status);
                    None
                }
            })
            .collect())
    }

    pub(crate) fn len(&self) -> usize {
        self.history.len()
    }

    pub(crate) fn finish(self) -> Result<History> {
        if self.history.is_empty() {
            return Err(Error::Empty("the search evaluated nothing".into()));
        }
        if !self.history[self.best].value.is_finite() {
            return Err(Error::Value(format!(
                "all {} evaluations failed (first: {})",
                self.history.len(),
                self.history[0].status
            )));
        }
        Ok(History {
            evaluations: self.history,
            best: self.best,
        })
    }
}

/// Resolves a run's value semantics at each fit: announced on stderr when first inferred,
/// then kept; values that stop fitting them (a command that switches from fractions to
/// percent) stop the search with a clear error, and the journal keeps every evaluation.
#[derive(Default)]
pub(crate) struct ValuesTracker {
    first: Option<Resolved>,
}

impl ValuesTracker {
    /// The GP configuration for the values seen so far.
    pub(crate) fn gp(&mut self, cfg: &BoConfig, ys: &[f64]) -> Result<GpConfig> {
        let r = cfg.values.resolve(ys)?;
        match &self.first {
            None => {
                if cfg.values.declared.is_none() {
                    eprintln!("{}", r.announce());
                }
                self.first = Some(r.clone());
            }
            Some(f) if f.values != r.values => {
                return Err(Error::Value(format!(
                "the values were taken as `{}` but now read as `{}`: declare --values and --resume",
                f.values, r.values
            )))
            }
            Some(_) => {}
        }
        Ok(GpConfig {
            transform: r.transform,
            ..cfg.gp.clone()
        })
    }
}

/// Caps a budget at the number of distinct cells and rejects an empty one.
pub(crate) fn check_budget<S: Sampler>(space: &S, budget: usize) -> Result<usize> {
    if budget == 0 {
        return Err(Error::Config("--budget must be at least 1".into()));
    }
    Ok(match space.size() {
        Some(n) if (budget as u128) > n => n as usize,
        _ => budget,
    })
}

/// Random search: distinct uniform samples until the budget is spent.
pub fn random_search<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    budget: usize,
    seed: u64,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let budget = check_budget(space, budget)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut rec = Recorder::new(objective.kind(), on_eval);
    while rec.len() < budget {
        let c = space.sample(&mut rng);
        if seen.insert(c.clone()) {
            rec.evaluate(space, objective, &c)?;
        }
    }
    rec.finish()
}

/// Runs the chosen method.
pub fn run<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    method: Method,
    cfg: &BoConfig,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let takes_given = method == Method::Bo && cfg.surrogate == Surrogate::Gp;
    if !cfg.init.is_empty() && !takes_given {
        return Err(Error::Config(format!(
            "given evaluations (--init) start the GP's BO; {} does not take them",
            method.name()
        )));
    }
    match method {
        Method::Bo => match cfg.surrogate {
            Surrogate::Gp => bo::bayesian_optimisation(space, objective, cfg, on_eval),
            s => semi::semi_supervised_optimisation(space, objective, s, cfg, on_eval),
        },
        Method::BoAssessor => {
            semi::semi_supervised_optimisation(space, objective, Surrogate::Assessor, cfg, on_eval)
        }
        Method::BoPropagation => semi::semi_supervised_optimisation(
            space,
            objective,
            Surrogate::Propagation,
            cfg,
            on_eval,
        ),
        Method::BoLaplacian => {
            semi::semi_supervised_optimisation(space, objective, Surrogate::Laplacian, cfg, on_eval)
        }
        Method::Random => random_search(space, objective, cfg.budget, cfg.seed, on_eval),
        Method::Evolution => evolution::regularized_evolution(
            space,
            objective,
            cfg.budget,
            cfg.seed,
            cfg.evolution,
            on_eval,
        ),
        Method::Local => {
            local::local_search(space, objective, cfg.budget, cfg.seed, cfg.n_init, on_eval)
        }
    }
}
