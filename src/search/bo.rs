//! The sequential BO loop: fit, build a pool, score it by acquisition, evaluate the best.

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::acquisition::Acquisition;
use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::explain;
use crate::gp::{Gp, GpConfig, ThompsonDraws, WeightSpace};
use crate::score::{score, Candidates, Posterior, ScoreConfig, Scored};
use crate::space::Sampler;
use crate::values::ValuesSpec;
use crate::wl::{self, Features};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
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
    /// ...or, when set, only this many random one-edit mutations of them (NAS-BOWL's pool)...
    pub mutations: Option<usize>,
    /// ...plus this many uniform samples.
    pub random: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            full_space_limit: 0,
            parents: 10,
            mutations: None,
            random: 100,
        }
    }
}

/// Greedy batch selection with pending points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStrategy {
    /// Believer for batches under [`THOMPSON_FROM`], Thompson sampling from there on
    /// (resolved before a search starts, so a journal records the strategy used).
    Auto,
    /// Kriging believer: condition on each pick's posterior mean, then pick again.
    Believer,
    /// Local penalisation: shrink the acquisition near each pick by posterior correlation.
    Penalize,
    /// Parallel Thompson sampling (Hernandez-Lobato et al. 2017): one pathwise posterior
    /// draw per proposal, all drawn by one block solve per 32.
    Thompson,
}

crate::named!(BatchStrategy, "batch strategy", {
    Auto => "auto",
    Believer => "believer",
    Penalize => "penalize",
    Thompson => "thompson",
});

/// The batch size from which `auto` draws Thompson samples instead of believing: kriging
/// believer refits the GP once per proposal (q factorisations of n + q points), Thompson
/// sampling solves once per 32 proposals. Measured in docs/batches.md (20 seeds, NB201,
/// cora, pubmed): at batch 5 believer's regret is lower on all three; at 50 they tie on
/// NB201, believer leads on cora and Thompson on pubmed, believer taking 60-70x longer;
/// one believer round of 500 takes 24 s against 0.07 s.
pub const THOMPSON_FROM: usize = 100;

impl BatchStrategy {
    /// The strategy `auto` means for batches of `q`; any other is itself.
    pub fn resolve(self, q: usize) -> BatchStrategy {
        match self {
            BatchStrategy::Auto if q >= THOMPSON_FROM => BatchStrategy::Thompson,
            BatchStrategy::Auto => BatchStrategy::Believer,
            other => other,
        }
    }
}

/// How the random start is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InitDesign {
    /// Uniform samples of the space.
    Random,
    /// Spread out in WL-feature space: from uniform samples, greedily the one the picks so
    /// far explain least (largest prior variance given them under the GP's kernel), so
    /// that the first fit sees as many different motifs as the start can buy.
    Spread,
}

crate::named!(InitDesign, "initial design", {
    Random => "random",
    Spread => "spread",
});

/// What EI and PI measure improvement over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Incumbent {
    /// The best value observed.
    Observed,
    /// The best posterior mean at an evaluated architecture (plug-in EI).
    Mean,
}

crate::named!(Incumbent, "incumbent", {
    Observed => "observed",
    Mean => "mean",
});

/// Settings of a BO run.
#[derive(Clone, Debug, Serialize)]
pub struct BoConfig {
    /// Number of evaluations in total.
    pub budget: usize,
    /// Random architectures evaluated before the first fit.
    pub n_init: usize,
    /// How those are chosen (absent from older journals: random).
    #[serde(skip_serializing_if = "is_random")]
    pub init_design: InitDesign,
    /// Seed of every random choice: the same seed gives the same run.
    pub seed: u64,
    /// How candidates are ranked.
    pub acquisition: Acquisition,
    /// What EI and PI improve on (absent from older journals: the best observation).
    #[serde(skip_serializing_if = "is_observed")]
    pub incumbent: Incumbent,
    /// Thompson sampling instead of the acquisition function: each proposal maximises
    /// one posterior draw.
    pub thompson: bool,
    /// Proposals per round, evaluated together (in parallel with `--workers`).
    pub batch: usize,
    /// How a batch of more than one is chosen with an acquisition function.
    pub batch_strategy: BatchStrategy,
    /// The model that predicts (`Gp`, or a semi-supervised one on a fixed pool).
    pub surrogate: super::Surrogate,
    /// The GP (also the target transform of every surrogate, and propagation's variance);
    /// its transform is replaced by the one `values` resolves to at each fit.
    pub gp: GpConfig,
    /// What the objective's values are (declared, a table's, or to be inferred).
    pub values: ValuesSpec,
    /// Graph, network and pool of the semi-supervised surrogates.
    pub semi: super::SemiSearchConfig,
    /// The candidate pool.
    pub pool: PoolConfig,
    /// Search the pruned space: each round, drop pool cells containing an operation or
    /// connection whose motif hurts by more than this many standard deviations.
    pub prune: Option<f64>,
    /// Settings of the evolution baseline (used by `Method::Evolution`).
    pub evolution: super::EvolutionConfig,
    /// Architectures evaluated before this search (canonical strings and values in the
    /// objective's units): the GP starts from them, they are never proposed again, and
    /// the random start only tops them up to `n_init`. Part of a journal's settings
    /// (absent when empty, so journals without it still resume).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init: Vec<(String, f64)>,
    /// Propose twins of evaluated architectures too (on spaces that name their twins;
    /// absent from journals when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeats: bool,
}

impl Default for BoConfig {
    fn default() -> Self {
        BoConfig {
            budget: 100,
            n_init: 10,
            init_design: InitDesign::Random,
            seed: 0,
            acquisition: Acquisition::Ei,
            incumbent: Incumbent::Observed,
            thompson: false,
            batch: 1,
            batch_strategy: BatchStrategy::Believer,
            surrogate: super::Surrogate::Gp,
            gp: GpConfig::default(),
            values: ValuesSpec::table("value"),
            semi: Default::default(),
            pool: PoolConfig::default(),
            prune: None,
            evolution: Default::default(),
            init: Vec::new(),
            repeats: false,
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
    let thompson_batches =
        cfg.batch > 1 && cfg.batch_strategy.resolve(cfg.batch) == BatchStrategy::Thompson;
    if (cfg.thompson || thompson_batches) && cfg.gp.kernel.base != crate::kernel::BaseKernel::Dot {
        return Err(Error::Config(
            "Thompson sampling draws weights of the WL feature map: use the dot base kernel".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let kind = objective.kind();
    let mut rec = Recorder::new(kind, on_eval);
    let (mut cells, mut ys) = given(space, &cfg.init)?;
    let mut seen: HashSet<S::Cell> = cells.iter().cloned().collect();
    // Random start, evaluated as one batch (in parallel with --workers), topping the given
    // evaluations up to n_init; past n_init only while every evaluation so far has failed.
    let n_init = cfg.n_init.clamp(1, budget).saturating_sub(cells.len());
    let mut twins = super::twins::Twins::new(cfg.repeats);
    for c in &seen {
        twins.take(space, c);
    }
    let mut start = match cfg.init_design {
        InitDesign::Random => uniform(space, n_init, &mut seen, &mut rng),
        InitDesign::Spread => spread(space, n_init, &cells, &mut seen, &cfg.gp, &mut rng),
    };
    // No twins in the start either: drop them and draw again (spaces without twins
    // keep their start, and their random stream, as they were).
    let drawn = start.len();
    start.retain(|c| twins.fresh(space, c));
    let mut tries = 0usize;
    while start.len() < drawn && tries < 1000 * (n_init + 1) {
        tries += 1;
        let c = space.sample(&mut rng);
        if !seen.contains(&c) && twins.fresh(space, &c) {
            seen.insert(c.clone());
            start.push(c);
        }
    }
    while !start.is_empty() {
        let values = rec.evaluate_batch(space, &mut *objective, &start)?;
        for (c, v) in start.drain(..).zip(values) {
            if let Some(v) = v {
                cells.push(c);
                ys.push(v);
            }
        }
        if !ys.is_empty() || rec.len() >= budget {
            break;
        }
        let c = space.sample(&mut rng);
        if seen.insert(c.clone()) {
            start.push(c);
        }
    }
    let mut tracker = super::ValuesTracker::default();
    let mut cache = FeatureCache {
        hs: cfg.gp.hs.clone(),
        direction: cfg.gp.direction,
        map: HashMap::new(),
    };
    while rec.len() < budget {
        cache.get(space, &cells);
        let train: Vec<(usize, Vec<Features>)> = cfg
            .gp
            .hs
            .iter()
            .enumerate()
            .map(|(hi, &h)| (h, cells.iter().map(|c| cache.at(c, hi).clone()).collect()))
            .collect();
        let mut gp = Gp::fit_features(&train, &ys, &tracker.gp(cfg, &ys)?)?;
        if cfg.incumbent == Incumbent::Mean {
            gp = gp.with_mean_incumbent();
        }
        let q = cfg.batch.max(1).min(budget - rec.len());
        let mut source = pool(space, (&cells, &ys, kind), &seen, &cfg.pool, q, &mut rng);
        source = twins.filter(space, source);
        if let Some(z) = cfg.prune {
            source = pruned(space, &gp, &cells, source, z);
        }
        if matches!(&source, Candidates::List(p) if p.is_empty()) {
            break;
        }
        let strategy = cfg.batch_strategy.resolve(cfg.batch);
        let picks = if cfg.thompson || (q > 1 && strategy == BatchStrategy::Thompson) {
            thompson(space, &gp, &source, &seen, q, &mut rng)?
        } else {
            match strategy {
                BatchStrategy::Penalize => penalize(space, &gp, &source, &seen, q, cfg)?,
                _ => believer(space, gp, &source, &seen, q, cfg)?,
            }
        };
        if picks.is_empty() {
            break;
        }
        for p in &picks {
            twins.take(space, p);
        }
        seen.extend(picks.iter().cloned());
        let values = rec.evaluate_batch(space, &mut *objective, &picks)?;
        for (c, v) in picks.into_iter().zip(values) {
            if let Some(v) = v {
                cells.push(c);
                ys.push(v);
            }
        }
    }
    rec.finish()
}

fn is_random(d: &InitDesign) -> bool {
    *d == InitDesign::Random
}

fn is_observed(i: &Incumbent) -> bool {
    *i == Incumbent::Observed
}

/// `n` distinct uniform samples not in `seen` (added to it).
fn uniform<S: Sampler>(
    space: &S,
    n: usize,
    seen: &mut HashSet<S::Cell>,
    rng: &mut ChaCha8Rng,
) -> Vec<S::Cell> {
    let mut out = Vec::with_capacity(n);
    let mut tries = 0usize;
    // A space smaller than asked runs out of new cells: stop after many repeats.
    while out.len() < n && tries < 1000 * (n + 1) {
        let c = space.sample(rng);
        tries += 1;
        if seen.insert(c.clone()) {
            out.push(c);
        }
    }
    out
}

/// Uniform samples per initial architecture that the spread design chooses from.
const SPREAD_CHOICES: usize = 50;

/// `n` cells spread out in WL-feature space (`InitDesign::Spread`): from
/// `SPREAD_CHOICES * n` uniform samples, greedily the one with the largest prior variance
/// given the `given` cells and the picks so far (a pivoted Cholesky of the kernel matrix:
/// the greedy maximiser of the design's information about the function).
fn spread<S: Sampler>(
    space: &S,
    n: usize,
    given: &[S::Cell],
    seen: &mut HashSet<S::Cell>,
    gp: &GpConfig,
    rng: &mut ChaCha8Rng,
) -> Vec<S::Cell> {
    if n == 0 {
        return Vec::new();
    }
    let mut pool_seen = seen.clone();
    let choices = uniform(space, SPREAD_CHOICES * n, &mut pool_seen, rng);
    let all: Vec<S::Cell> = given.iter().chain(&choices).cloned().collect();
    let archs: Vec<_> = all.iter().map(|c| space.lower(c)).collect();
    let cfg = wl::WlConfig {
        h: gp.hs.first().copied().unwrap_or(2),
        direction: gp.direction,
    };
    let k = crate::kernel::gram(&wl::features_batch(&archs, &cfg), gp.kernel);
    let picked = greedy_variance(&k, given.len(), n);
    let out: Vec<S::Cell> = picked.into_iter().map(|i| all[i].clone()).collect();
    seen.extend(out.iter().cloned());
    out
}

/// Indices of `n` columns of the kernel matrix `k`, beyond the first `fixed` (always
/// conditioned on), each the one of largest variance given those before (ties: the
/// lowest index, so the first pick with no fixed columns is the first sample).
fn greedy_variance(k: &nalgebra::DMatrix<f64>, fixed: usize, n: usize) -> Vec<usize> {
    let m = k.nrows();
    let mut var: Vec<f64> = (0..m).map(|i| k[(i, i)]).collect();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut out = Vec::with_capacity(n);
    let mut taken = vec![false; m];
    for step in 0..fixed + n {
        let p = if step < fixed {
            step
        } else {
            match (fixed..m)
                .filter(|&i| !taken[i])
                .max_by(|&a, &b| var[a].total_cmp(&var[b]).then(b.cmp(&a)))
            {
                Some(p) => p,
                None => break,
            }
        };
        taken[p] = true;
        if step >= fixed {
            out.push(p);
        }
        let d = var[p];
        if d <= 1e-12 {
            // Everything left is explained by the picks (duplicates in feature space).
            continue;
        }
        let col: Vec<f64> = (0..m)
            .map(|j| {
                let s: f64 = cols.iter().map(|c| c[j] * c[p]).sum();
                (k[(j, p)] - s) / d.sqrt()
            })
            .collect();
        for j in 0..m {
            var[j] -= col[j] * col[j];
        }
        cols.push(col);
    }
    out
}

/// The cells and values of evaluations given before the search (`BoConfig::init`).
fn given<S: Sampler>(space: &S, init: &[(String, f64)]) -> Result<(Vec<S::Cell>, Vec<f64>)> {
    let mut cells = Vec::with_capacity(init.len());
    let mut ys = Vec::with_capacity(init.len());
    for (i, (arch, v)) in init.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::Value(format!(
                "given evaluation {i} ({arch}) is not finite"
            )));
        }
        cells.push(space.parse(arch)?);
        ys.push(*v);
    }
    Ok((cells, ys))
}

/// The pool without the cells that contain a confidently harmful operation or connection
/// (unchanged when nothing is confidently harmful or the kernel has no weight space).
fn pruned<S: Sampler>(
    space: &S,
    gp: &Gp,
    cells: &[S::Cell],
    source: Candidates<S::Cell>,
    z: f64,
) -> Candidates<S::Cell> {
    let Some(ws) = WeightSpace::new(gp) else {
        return source;
    };
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let prov = explain::Provenance::record(&archs, &gp.wl_config());
    let bad = explain::harmful(&explain::motif_effects(gp, &ws, &prov), z, 1, cells.len());
    if bad.is_empty() {
        return source;
    }
    let list = match source {
        Candidates::All => space.enumerate().unwrap_or_default(),
        Candidates::List(v) => v,
        other => return other,
    };
    let cfg = gp.wl_config();
    let kept: Vec<S::Cell> = list
        .par_iter()
        .filter(|c| explain::keeps(&wl::features(&space.lower(c), &cfg), &bad))
        .cloned()
        .collect();
    // Pruning narrows the pool; it never ends the search.
    Candidates::List(if kept.is_empty() { list } else { kept })
}

/// This round's candidates: the whole space when it is small enough, else all
/// neighbours of the best evaluated cells plus uniform samples, without evaluated ones.
fn pool<S: Sampler>(
    space: &S,
    (cells, ys, kind): (&[S::Cell], &[f64], MetricKind),
    seen: &HashSet<S::Cell>,
    cfg: &PoolConfig,
    q: usize,
    rng: &mut ChaCha8Rng,
) -> Candidates<S::Cell> {
    if space.size().is_some_and(|n| n <= cfg.full_space_limit) {
        return Candidates::All;
    }
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
    let parents: Vec<&S::Cell> = order.iter().take(cfg.parents).map(|&i| &cells[i]).collect();
    let neighbours: Vec<S::Cell> = match cfg.mutations {
        None => parents.iter().flat_map(|p| space.neighbours(p)).collect(),
        Some(m) => (0..m)
            .map(|_| {
                let p = parents[crate::space::pick(rng, parents.len())];
                space.mutate(p, rng)
            })
            .collect(),
    };
    // A batch of q chooses among at least 4q random samples besides the neighbours (with
    // the default 100, batches above 25 would otherwise run out of candidates).
    let samples: Vec<_> = (0..cfg.random.max(POOL_PER_PROPOSAL * q))
        .map(|_| space.sample(rng))
        .collect();
    let mut in_pool = HashSet::new();
    Candidates::List(
        neighbours
            .into_iter()
            .chain(samples)
            .filter(|c| !seen.contains(c) && in_pool.insert(c.clone()))
            .collect(),
    )
}

/// Scores the pool under `gp` and returns the `top` best not in `exclude`.
fn best<S: Sampler>(
    space: &S,
    gp: &Gp,
    source: &Candidates<S::Cell>,
    exclude: &HashSet<S::Cell>,
    top: usize,
    acquisition: Acquisition,
) -> Result<Vec<Scored<S::Cell>>> {
    let ws = WeightSpace::new(gp);
    let posterior = ws
        .as_ref()
        .map_or(Posterior::FunctionSpace, Posterior::WeightSpace);
    let cfg = ScoreConfig {
        acquisition,
        top,
        chunk: 65_536,
        range: None,
    };
    match score(space, gp, source, exclude, posterior, &cfg, &|_| {}) {
        Ok(r) => Ok(r.top),
        // Everything in the pool was evaluated already.
        Err(Error::Empty(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Kriging believer: pick the best, pretend its value is the posterior mean, condition
/// the GP on it (same hyperparameters) and pick again, Q times.
fn believer<S: Sampler>(
    space: &S,
    mut gp: Gp,
    source: &Candidates<S::Cell>,
    seen: &HashSet<S::Cell>,
    q: usize,
    cfg: &BoConfig,
) -> Result<Vec<S::Cell>> {
    let mut exclude = seen.clone();
    let mut picks = Vec::with_capacity(q);
    while picks.len() < q {
        let Some(b) = best(space, &gp, source, &exclude, 1, cfg.acquisition)?.pop() else {
            break;
        };
        if picks.len() + 1 < q {
            let x = wl::features(&space.lower(&b.cell), &gp.wl_config());
            gp = gp.with_observation(&x, b.prediction.mean)?;
        }
        exclude.insert(b.cell.clone());
        picks.push(b.cell);
    }
    Ok(picks)
}

/// Local penalisation: from a shortlist by acquisition, pick greedily, shrinking each
/// candidate's acquisition by `1 - |corr|` with every pick so far (posterior correlation
/// under the GP: a kernel-native version of González et al.'s penaliser for graphs, which
/// have no Lipschitz ball).
fn penalize<S: Sampler>(
    space: &S,
    gp: &Gp,
    source: &Candidates<S::Cell>,
    seen: &HashSet<S::Cell>,
    q: usize,
    cfg: &BoConfig,
) -> Result<Vec<S::Cell>> {
    let short = best(space, gp, source, seen, (10 * q).max(50), cfg.acquisition)?;
    if q <= 1 || short.len() <= 1 {
        return Ok(short.into_iter().take(q).map(|s| s.cell).collect());
    }
    let feats: Vec<Features> = short
        .iter()
        .map(|s| wl::features(&space.lower(&s.cell), &gp.wl_config()))
        .collect();
    let cov = gp.predict_cov(&feats);
    let sd: Vec<f64> = (0..feats.len())
        .map(|i| cov[(i, i)].max(1e-300).sqrt())
        .collect();
    // Acquisition values shifted to be positive (UCB and the mean may be negative).
    let floor = short.iter().map(|s| s.value).fold(f64::INFINITY, f64::min);
    let mut value: Vec<f64> = short.iter().map(|s| s.value - floor + 1e-12).collect();
    let mut taken = vec![false; short.len()];
    let mut picks = Vec::with_capacity(q);
    while picks.len() < q.min(short.len()) {
        let i = (0..short.len())
            .filter(|&i| !taken[i])
            .fold(None, |b: Option<usize>, i| match b {
                Some(b) if value[b] >= value[i] => Some(b),
                _ => Some(i),
            })
            .expect("an untaken candidate");
        taken[i] = true;
        picks.push(short[i].cell.clone());
        for j in 0..short.len() {
            let rho = cov[(i, j)] / (sd[i] * sd[j]);
            value[j] *= 1.0 - rho.abs().min(1.0);
        }
    }
    Ok(picks)
}

/// Random pool samples per proposal of a batch, at least.
const POOL_PER_PROPOSAL: usize = 4;

/// Posterior draws solved together in Thompson sampling (their weights take |S| x 32
/// floats).
const THOMPSON_BLOCK: usize = 32;

/// Thompson sampling: Q independent posterior draws, each proposing its maximiser.
fn thompson<S: Sampler>(
    space: &S,
    gp: &Gp,
    source: &Candidates<S::Cell>,
    seen: &HashSet<S::Cell>,
    q: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<S::Cell>> {
    let pool: Vec<S::Cell> = match source {
        Candidates::All => space.enumerate().unwrap_or_default(),
        Candidates::List(v) => v.clone(),
        Candidates::Mutations(p) => p.iter().flat_map(|c| space.neighbours(c)).collect(),
        Candidates::Sample { n, .. } => (0..*n).map(|_| space.sample(rng)).collect(),
    };
    let pool: Vec<S::Cell> = pool.into_iter().filter(|c| !seen.contains(c)).collect();
    let wl_cfg = gp.wl_config();
    let feats: Vec<Features> = pool
        .par_iter()
        .map(|c| wl::features(&space.lower(c), &wl_cfg))
        .collect();
    let mut picked = vec![false; pool.len()];
    let mut picks = Vec::with_capacity(q);
    // Draws in blocks: one block solve for THOMPSON_BLOCK draws, then each draw proposes
    // its maximiser among the candidates not proposed yet, in draw order.
    while picks.len() < q.min(pool.len()) {
        let m = THOMPSON_BLOCK.min(q.min(pool.len()) - picks.len());
        let draws = ThompsonDraws::draw(gp, m, rng)?;
        let values = draws.values_many(&feats);
        #[allow(clippy::needless_range_loop)]
        for d in 0..m {
            let i = (0..pool.len())
                .filter(|&i| !picked[i])
                .max_by(|&a, &b| values[a][d].total_cmp(&values[b][d]).then(b.cmp(&a)))
                .expect("pool larger than picks");
            picked[i] = true;
            picks.push(pool[i].clone());
        }
    }
    Ok(picks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::TableObjective;
    use crate::space::{NbGraphSpace, Space};

    /// A batch of 1,000 Thompson proposals on NB-Graph (26,206 architectures) after 300
    /// evaluations: all distinct, none evaluated; and under the iterative solver as well.
    #[test]
    fn a_thousand_thompson_proposals_are_distinct_and_new() {
        let s = NbGraphSpace::new(false);
        let d = crate::bench_data::dataset("cora").unwrap();
        let mut obj = TableObjective::new(d, "valid_perf").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let cells: Vec<_> = (0..300).map(|_| s.sample(&mut rng)).collect();
        let y: Vec<f64> = cells.iter().map(|c| obj.evaluate(&s, c).unwrap()).collect();
        let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
        let seen: HashSet<_> = cells.iter().cloned().collect();
        for solver in [
            crate::gp::SolverChoice::Exact,
            crate::gp::SolverChoice::Iterative,
        ] {
            let cfg = GpConfig {
                solver,
                ..Default::default()
            };
            let gp = Gp::fit(&archs, &y, &cfg).unwrap();
            let picks = thompson(&s, &gp, &Candidates::All, &seen, 1_000, &mut rng).unwrap();
            assert_eq!(picks.len(), 1_000);
            let distinct: HashSet<_> = picks.iter().collect();
            assert_eq!(distinct.len(), 1_000, "{solver:?}: repeated proposals");
            assert!(
                picks.iter().all(|p| !seen.contains(p)),
                "{solver:?}: an evaluated one proposed"
            );
        }
    }

    #[test]
    fn auto_batches_switch_to_thompson_at_the_measured_size() {
        assert_eq!(BatchStrategy::Auto.resolve(1), BatchStrategy::Believer);
        assert_eq!(
            BatchStrategy::Auto.resolve(THOMPSON_FROM - 1),
            BatchStrategy::Believer
        );
        assert_eq!(
            BatchStrategy::Auto.resolve(THOMPSON_FROM),
            BatchStrategy::Thompson
        );
        assert_eq!(
            BatchStrategy::Penalize.resolve(1_000),
            BatchStrategy::Penalize
        );
    }
}
