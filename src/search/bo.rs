//! The sequential BO loop: fit, build a pool, score it by acquisition, evaluate the best.

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::acquisition::Acquisition;
use crate::error::Result;
use crate::gp::{Gp, GpConfig};
use crate::space::Sampler;
use crate::wl::{self, Features};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Where candidates come from in each round.
///
/// The default is local: all one-edit neighbours of the 10 best architectures plus 100
/// uniform samples. Scoring the whole space instead (set `full_space_limit` above the
/// space size) lets a surrogate fitted on few points chase its own extrapolation errors;
/// on every embedded table the local pool gave lower regret (README, "Choosing the pool").
#[derive(Clone, Debug, Serialize)]
pub struct PoolConfig {
    /// Score the whole space when it has at most this many cells (0: never).
    pub full_space_limit: u128,
    /// Otherwise: all one-edit neighbours of this many best architectures...
    pub parents: usize,
    /// ...plus this many uniform samples.
    pub random: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            full_space_limit: 0,
            parents: 10,
            random: 100,
        }
    }
}

/// Settings of a BO run.
#[derive(Clone, Debug, Serialize)]
pub struct BoConfig {
    /// Number of evaluations in total.
    pub budget: usize,
    /// Random architectures evaluated before the first fit.
    pub n_init: usize,
    /// Seed of every random choice: the same seed gives the same run.
    pub seed: u64,
    /// How candidates are ranked.
    pub acquisition: Acquisition,
    /// The surrogate.
    pub gp: GpConfig,
    /// The candidate pool.
    pub pool: PoolConfig,
    /// Settings of the evolution baseline (used by `Method::Evolution`).
    pub evolution: super::EvolutionConfig,
}

impl Default for BoConfig {
    fn default() -> Self {
        BoConfig {
            budget: 100,
            n_init: 10,
            seed: 0,
            acquisition: Acquisition::Ei,
            gp: GpConfig::default(),
            pool: PoolConfig::default(),
            evolution: Default::default(),
        }
    }
}

/// Features of cells for every candidate h, computed once per cell.
struct FeatureCache<C> {
    hs: Vec<usize>,
    direction: crate::wl::Direction,
    map: HashMap<C, Vec<Features>>,
}

impl<C: Clone + Eq + std::hash::Hash + Send + Sync> FeatureCache<C> {
    fn get<S: Sampler<Cell = C>>(&mut self, space: &S, cells: &[C]) {
        let missing: Vec<&C> = cells
            .iter()
            .filter(|c| !self.map.contains_key(*c))
            .collect();
        if missing.is_empty() {
            return;
        }
        let archs: Vec<_> = missing.iter().map(|c| space.lower(c)).collect();
        let per_h = wl::features_per_depth(&archs, &self.hs, self.direction);
        for (i, c) in missing.into_iter().enumerate() {
            self.map
                .insert(c.clone(), per_h.iter().map(|f| f[i].clone()).collect());
        }
    }

    fn at(&self, c: &C, hi: usize) -> &Features {
        &self.map[c][hi]
    }
}

pub(super) fn bayesian_optimisation<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    cfg: &BoConfig,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let budget = check_budget(space, cfg.budget)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let kind = objective.kind();
    let mut rec = Recorder::new(kind, on_eval);
    let mut seen: HashSet<S::Cell> = HashSet::new();
    let mut cells: Vec<S::Cell> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    let mut evaluate = |c: S::Cell,
                        rec: &mut Recorder,
                        cells: &mut Vec<S::Cell>,
                        ys: &mut Vec<f64>|
     -> Result<()> {
        if let Some(v) = rec.evaluate(space, &mut *objective, &c)? {
            cells.push(c);
            ys.push(v);
        }
        Ok(())
    };
    // Random start; past n_init only while every evaluation so far has failed.
    while rec.len() < cfg.n_init.clamp(1, budget) || (ys.is_empty() && rec.len() < budget) {
        let c = space.sample(&mut rng);
        if seen.insert(c.clone()) {
            evaluate(c, &mut rec, &mut cells, &mut ys)?;
        }
    }
    let full: Option<Vec<S::Cell>> = match space.size() {
        Some(n) if n <= cfg.pool.full_space_limit => space.enumerate(),
        _ => None,
    };
    let mut cache = FeatureCache {
        hs: cfg.gp.hs.clone(),
        direction: cfg.gp.direction,
        map: HashMap::new(),
    };
    if let Some(all) = &full {
        cache.get(space, all);
    }
    while rec.len() < budget {
        cache.get(space, &cells);
        let train: Vec<(usize, Vec<Features>)> = cfg
            .gp
            .hs
            .iter()
            .enumerate()
            .map(|(hi, &h)| (h, cells.iter().map(|c| cache.at(c, hi).clone()).collect()))
            .collect();
        let gp = Gp::fit_features(&train, &ys, &cfg.gp)?;
        let hi = cfg
            .gp
            .hs
            .iter()
            .position(|&h| h == gp.wl_config().h)
            .expect("chosen h is a candidate");
        let pool: Vec<S::Cell> = match &full {
            Some(all) => all.iter().filter(|c| !seen.contains(*c)).cloned().collect(),
            None => {
                let mut order: Vec<usize> = (0..cells.len()).collect();
                order.sort_by(|&a, &b| {
                    let (va, vb) = (ys[a], ys[b]);
                    if kind.better(va, vb) {
                        std::cmp::Ordering::Less
                    } else if kind.better(vb, va) {
                        std::cmp::Ordering::Greater
                    } else {
                        a.cmp(&b)
                    }
                });
                let mut pool = Vec::new();
                let mut in_pool = HashSet::new();
                let parents: Vec<_> = order
                    .iter()
                    .take(cfg.pool.parents)
                    .map(|&i| cells[i].clone())
                    .collect();
                let neighbours = parents.iter().flat_map(|p| space.neighbours(p));
                let samples: Vec<_> = (0..cfg.pool.random)
                    .map(|_| space.sample(&mut rng))
                    .collect();
                for c in neighbours.chain(samples) {
                    if !seen.contains(&c) && in_pool.insert(c.clone()) {
                        pool.push(c);
                    }
                }
                pool
            }
        };
        if pool.is_empty() {
            break;
        }
        if full.is_none() {
            cache.get(space, &pool);
        }
        let feats: Vec<Features> = pool.iter().map(|c| cache.at(c, hi).clone()).collect();
        let preds = gp.predict_features(&feats);
        let best = gp.best_latent();
        let (pick, _) = preds
            .iter()
            .map(|&p| cfg.acquisition.value(p, best))
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
            );
        let c = pool[pick].clone();
        seen.insert(c.clone());
        evaluate(c, &mut rec, &mut cells, &mut ys)?;
        if full.is_none() {
            // Pool features are not reused across rounds outside finite spaces.
            cache.map.retain(|k, _| seen.contains(k));
        }
    }
    rec.finish()
}
