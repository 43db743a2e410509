//! Local search (White et al., 2020, "Local search is state of the art for NAS
//! benchmarks"): from the best of a few random architectures, evaluate every neighbour and
//! move to the best one while it improves; at a local optimum, restart from a random one.

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::error::Result;
use crate::space::Sampler;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

pub(super) fn local_search<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    budget: usize,
    seed: u64,
    n_init: usize,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let budget = check_budget(space, budget)?;
    let kind = objective.kind();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rec = Recorder::new(kind, on_eval);
    let mut seen = HashSet::new();
    let mut current: Option<(S::Cell, f64)> = None;
    let sample_start = |rng: &mut ChaCha8Rng,
                        rec: &mut Recorder,
                        seen: &mut HashSet<S::Cell>,
                        objective: &mut dyn Objective<S>,
                        count: usize|
     -> Result<Option<(S::Cell, f64)>> {
        let mut best: Option<(S::Cell, f64)> = None;
        let mut tries = 0;
        while rec.len() < budget && tries < count {
            let c = space.sample(rng);
            if !seen.insert(c.clone()) {
                continue;
            }
            tries += 1;
            let Some(v) = rec.evaluate(space, objective, &c)? else {
                continue;
            };
            if best.as_ref().is_none_or(|b| kind.better(v, b.1)) {
                best = Some((c, v));
            }
        }
        Ok(best)
    };
    while rec.len() < budget {
        let Some((cell, value)) = current.take() else {
            let n = if rec.len() == 0 { n_init.max(1) } else { 1 };
            current = sample_start(&mut rng, &mut rec, &mut seen, objective, n)?;
            continue;
        };
        let mut nbrs = space.neighbours(&cell);
        nbrs.shuffle(&mut rng);
        let mut best = (cell, value);
        let mut improved = false;
        for n in nbrs {
            if rec.len() >= budget {
                break;
            }
            if !seen.insert(n.clone()) {
                continue;
            }
            let Some(v) = rec.evaluate(space, objective, &n)? else {
                continue;
            };
            if kind.better(v, best.1) {
                best = (n, v);
                improved = true;
            }
        }
        // Keep climbing from the best neighbour, or restart at a local optimum.
        current = improved.then_some(best);
    }
    rec.finish()
}
