//! Evolutionary baselines for several objectives, under the same budget accounting as
//! BO: NSGA-II (Deb et al. 2002; mutation as the variation operator, since cells of
//! different spaces have no common crossover) and multi-objective regularised evolution
//! (population 100, tournaments of 10, non-dominated-sort rank as fitness, the oldest
//! member dying, as Syne Tune's MOREA does).

use super::multi_objective::{orient, MultiObjective, Run};
use crate::error::Result;
use crate::pareto::dominates;
use crate::space::Sampler;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Non-dominated sorting: the front rank of every point (0 = non-dominated).
pub fn front_ranks(points: &[Vec<f64>]) -> Vec<usize> {
    let n = points.len();
    let mut rank = vec![usize::MAX; n];
    let mut left: Vec<usize> = (0..n).collect();
    let mut r = 0;
    while !left.is_empty() {
        let front: Vec<usize> = left
            .iter()
            .copied()
            .filter(|&i| !left.iter().any(|&j| dominates(&points[j], &points[i])))
            .collect();
        for &i in &front {
            rank[i] = r;
        }
        left.retain(|i| !front.contains(i));
        r += 1;
    }
    rank
}

/// Crowding distance of each point within its own front (larger: more isolated).
// `k` indexes the objectives of every point, not one slice.
#[allow(clippy::needless_range_loop)]
pub fn crowding(points: &[Vec<f64>], ranks: &[usize]) -> Vec<f64> {
    let mut dist = vec![0.0; points.len()];
    let top = ranks.iter().copied().max().unwrap_or(0);
    for r in 0..=top {
        let members: Vec<usize> = (0..points.len()).filter(|&i| ranks[i] == r).collect();
        for k in 0..points.first().map_or(0, |p| p.len()) {
            let mut m = members.clone();
            m.sort_by(|&a, &b| points[a][k].total_cmp(&points[b][k]));
            let (lo, hi) = match (m.first(), m.last()) {
                (Some(&a), Some(&b)) => (points[a][k], points[b][k]),
                _ => continue,
            };
            dist[m[0]] = f64::INFINITY;
            dist[m[m.len() - 1]] = f64::INFINITY;
            let span = (hi - lo).max(1e-300);
            for w in m.windows(3) {
                dist[w[1]] += (points[w[2]][k] - points[w[0]][k]) / span;
            }
        }
    }
    dist
}

/// What the evolutionary loops share: the objective, the budget and the evaluations.
pub(super) struct Pool<'a, S: Sampler> {
    pub(super) space: &'a S,
    pub(super) objective: &'a mut dyn MultiObjective<S>,
    pub(super) budget: usize,
    pub(super) run: Run<S::Cell>,
}

impl<S: Sampler> Pool<'_, S> {
    /// Evaluates a new cell; `None` when it failed (it still counts).
    fn evaluate(&mut self, c: S::Cell) -> Result<Option<Vec<f64>>> {
        self.run.push(self.space, self.objective, c)
    }

    fn seen(&self, c: &S::Cell) -> bool {
        self.run.seen.contains(c)
    }

    fn spent(&self) -> usize {
        self.run.spent
    }

    /// A mutation of `parent` not evaluated before (a random cell after many tries).
    fn child(&self, parent: &S::Cell, rng: &mut ChaCha8Rng) -> S::Cell {
        for _ in 0..100 {
            let c = self.space.mutate(parent, rng);
            if !self.seen(&c) {
                return c;
            }
        }
        (0..1000)
            .map(|_| self.space.sample(rng))
            .find(|c| !self.seen(c))
            .unwrap_or_else(|| self.space.sample(rng))
    }

    fn random_start(&mut self, n: usize, rng: &mut ChaCha8Rng) -> Result<Vec<(S::Cell, Vec<f64>)>> {
        let mut out = Vec::new();
        let mut tries = 0;
        while out.len() < n && self.spent() < self.budget && tries < 100 * n.max(1) {
            tries += 1;
            let c = self.space.sample(rng);
            if self.seen(&c) {
                continue;
            }
            if let Some(y) = self.evaluate(c.clone())? {
                out.push((c, y));
            }
        }
        Ok(out)
    }
}

/// NSGA-II with population `n`: binary tournaments on (rank, crowding), mutation, and
/// elitist survival of the best `n` of parents and children.
pub(super) fn nsga2<S: Sampler>(pool: &mut Pool<S>, n: usize, rng: &mut ChaCha8Rng) -> Result<()> {
    let values = pool.objective.values();
    let mut pop = pool.random_start(n, rng)?;
    while pool.spent() < pool.budget && !pop.is_empty() {
        let pts: Vec<Vec<f64>> = pop.iter().map(|p| orient(&p.1, &values)).collect();
        let ranks = front_ranks(&pts);
        let crowd = crowding(&pts, &ranks);
        let better = |a: usize, b: usize| {
            ranks[a] < ranks[b] || (ranks[a] == ranks[b] && crowd[a] > crowd[b])
        };
        let mut children = Vec::new();
        while children.len() < n && pool.spent() < pool.budget {
            let (a, b) = (rng.gen_range(0..pop.len()), rng.gen_range(0..pop.len()));
            let parent = if better(a, b) { a } else { b };
            let c = pool.child(&pop[parent].0, rng);
            if let Some(y) = pool.evaluate(c.clone())? {
                children.push((c, y));
            }
        }
        pop.extend(children);
        let pts: Vec<Vec<f64>> = pop.iter().map(|p| orient(&p.1, &values)).collect();
        let ranks = front_ranks(&pts);
        let crowd = crowding(&pts, &ranks);
        let mut order: Vec<usize> = (0..pop.len()).collect();
        order.sort_by(|&a, &b| ranks[a].cmp(&ranks[b]).then(crowd[b].total_cmp(&crowd[a])));
        order.truncate(n);
        pop = order.into_iter().map(|i| pop[i].clone()).collect();
    }
    Ok(())
}

/// Multi-objective regularised evolution: a population of up to `population` (oldest
/// first); each step mutates the best of `sample` random members by non-dominated rank
/// within the population (ties at random) and the oldest member dies.
pub(super) fn regularised_evolution<S: Sampler>(
    pool: &mut Pool<S>,
    population: usize,
    sample: usize,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let values = pool.objective.values();
    let start = population.min(pool.budget / 2).max(1);
    let mut pop: VecDeque<(S::Cell, Vec<f64>)> = pool.random_start(start, rng)?.into();
    while pool.spent() < pool.budget && !pop.is_empty() {
        let pts: Vec<Vec<f64>> = pop.iter().map(|p| orient(&p.1, &values)).collect();
        let ranks = front_ranks(&pts);
        let mut idx: Vec<usize> = (0..pop.len()).collect();
        idx.shuffle(rng);
        idx.truncate(sample.max(1));
        let parent = *idx.iter().min_by_key(|&&i| ranks[i]).expect("a member");
        let c = pool.child(&pop[parent].0, rng);
        if let Some(y) = pool.evaluate(c.clone())? {
            pop.push_back((c, y));
            if pop.len() > population {
                pop.pop_front();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_crowding_follow_the_definitions() {
        let pts = vec![
            vec![3.0, 1.0],
            vec![1.0, 3.0],
            vec![2.0, 2.0],
            vec![1.0, 1.0],
            vec![0.0, 0.0],
        ];
        assert_eq!(front_ranks(&pts), vec![0, 0, 0, 1, 2]);
        let c = crowding(&pts, &front_ranks(&pts));
        assert!(c[0].is_infinite() && c[1].is_infinite() && (c[2] - 2.0).abs() < 1e-12);
    }
}
