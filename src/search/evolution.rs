//! Regularised evolution (Real et al., 2019): tournament selection, mutation, and ageing
//! (the oldest member dies, not the worst).

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::error::Result;
use crate::space::{pick, Sampler};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashSet, VecDeque};

/// Population size and tournament size; NASLib's defaults for NAS benchmarks.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct EvolutionConfig {
    /// Members kept alive.
    pub population: usize,
    /// Members drawn per tournament.
    pub tournament: usize,
}

impl Default for EvolutionConfig {
    fn default() -> Self {
        EvolutionConfig {
            population: 30,
            tournament: 10,
        }
    }
}

pub(super) fn regularized_evolution<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    budget: usize,
    seed: u64,
    cfg: EvolutionConfig,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let budget = check_budget(space, budget)?;
    let kind = objective.kind();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rec = Recorder::new(kind, on_eval);
    let mut seen = HashSet::new();
    let mut pop: VecDeque<(S::Cell, f64)> = VecDeque::new();
    while rec.len() < budget && (rec.len() < cfg.population.max(1) || pop.is_empty()) {
        let c = space.sample(&mut rng);
        if seen.insert(c.clone()) {
            if let Some(v) = rec.evaluate(space, objective, &c)? {
                pop.push_back((c, v));
            }
        }
    }
    let mut stale = 0;
    while rec.len() < budget {
        let mut parent: Option<&(S::Cell, f64)> = None;
        for _ in 0..cfg.tournament.max(1) {
            let m = &pop[pick(&mut rng, pop.len())];
            if parent.is_none_or(|p| kind.better(m.1, p.1)) {
                parent = Some(m);
            }
        }
        let child = space.mutate(&parent.expect("non-empty population").0, &mut rng);
        if !seen.insert(child.clone()) {
            // Evaluated before: a real run would not pay for it twice. After many misses
            // (a parent whose neighbourhood is exhausted) fall back to a random sample.
            stale += 1;
            if stale < 100 {
                continue;
            }
            let c = space.sample(&mut rng);
            if !seen.insert(c.clone()) {
                continue;
            }
            stale = 0;
            if let Some(v) = rec.evaluate(space, objective, &c)? {
                pop.push_back((c, v));
                pop.pop_front();
            }
            continue;
        }
        stale = 0;
        let Some(v) = rec.evaluate(space, objective, &child)? else {
            continue;
        };
        pop.push_back((child, v));
        if pop.len() > cfg.population.max(1) {
            pop.pop_front();
        }
    }
    rec.finish()
}
