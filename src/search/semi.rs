//! BO driven by a semi-supervised surrogate: the candidate pool is fixed up front (the
//! whole space when it is small enough, else a large uniform sample), every candidate is a
//! node of one similarity graph, and each round the assessor or label propagation predicts
//! every node from the evaluated ones.

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::acquisition::Acquisition;
use crate::assess::{self, AssessorConfig, GraphConfig, Pool, SimilarityGraph};
use crate::error::{Error, Result};
use crate::gp::{Gp, Prediction};
use crate::gpu::{DeviceChoice, Engine};
use crate::space::Sampler;
use crate::wl::{self, Features};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// The model that predicts accuracy in BO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Surrogate {
    /// The WL-kernel Gaussian process (supervised).
    Gp,
    /// The semi-supervised GCN assessor; uncertainty from its ensemble.
    Assessor,
    /// Label propagation on the similarity graph; uncertainty from the GP's variance.
    Propagation,
    /// The graph-Laplacian-regularised GP (its own posterior variance).
    Laplacian,
}

crate::named!(Surrogate, "surrogate", {
    Gp => "gp",
    Assessor => "assessor",
    Propagation => "propagation",
    Laplacian => "laplacian",
});

/// Settings of the semi-supervised surrogates in search.
#[derive(Clone, Debug, Serialize)]
pub struct SemiSearchConfig {
    /// Graph and embedding.
    pub graph: GraphConfig,
    /// The assessor network (its seed is the search's).
    pub network: AssessorConfig,
    /// The whole space is the pool when it has at most this many cells; otherwise a
    /// uniform sample of this many.
    pub unlabelled: usize,
    /// Where the graph's kernel rows are computed.
    pub device: DeviceChoice,
}

impl Default for SemiSearchConfig {
    fn default() -> Self {
        SemiSearchConfig {
            graph: GraphConfig::default(),
            network: AssessorConfig::default(),
            unlabelled: 30_000,
            device: DeviceChoice::Auto,
        }
    }
}

/// The candidate pool: every cell when the space is small enough, else distinct samples.
fn pool_cells<S: Sampler>(space: &S, n: usize, seed: u64) -> Result<Vec<S::Cell>> {
    if space.size().is_some_and(|s| s <= n as u128) {
        if let Some(all) = space.enumerate() {
            return Ok(all);
        }
    }
    if n < 2 {
        return Err(Error::Config("--unlabelled must be at least 2".into()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005E_ED0F_9001);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut tries = 0usize;
    while out.len() < n && tries < 20 * n {
        tries += 1;
        let c = space.sample(&mut rng);
        if seen.insert(c.clone()) {
            out.push(c);
        }
    }
    Ok(out)
}

pub(super) fn semi_supervised_optimisation<S: Sampler>(
    space: &S,
    objective: &mut dyn Objective<S>,
    surrogate: Surrogate,
    cfg: &super::BoConfig,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    if cfg.thompson {
        return Err(Error::Config(
            "Thompson sampling needs the GP's posterior draws: use --surrogate gp".into(),
        ));
    }
    if cfg.prune.is_some() {
        return Err(Error::Config(
            "--prune reads the GP's motif effects: use --surrogate gp".into(),
        ));
    }
    let semi = &cfg.semi;
    assess::gcn::check_size(semi.unlabelled, &semi.network)?;
    let cells = pool_cells(space, semi.unlabelled, cfg.seed)?;
    let budget = check_budget(space, cfg.budget)?.min(cells.len());
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let engine = Engine::new_preferring_hardware(semi.device)?;
    let key = Pool::key(cells.iter().map(|c| space.format(c)), &semi.graph, &engine);
    let pool = Pool::shared(key, || Pool::build(&archs, &semi.graph, &engine))?;
    // Propagation borrows the GP's variance: features of every node for every h (the
    // Laplacian GP works at the graph's depth, on the pool's own features).
    let per_h: Vec<Vec<Features>> = match surrogate {
        Surrogate::Propagation => wl::features_per_depth(&archs, &cfg.gp.hs, cfg.gp.direction),
        _ => Vec::new(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut rec = Recorder::new(objective.kind(), on_eval);
    let mut tracker = super::ValuesTracker::default();
    let mut seen: HashSet<usize> = HashSet::new();
    let (mut nodes, mut ys): (Vec<usize>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.shuffle(&mut rng);
    let mut unstarted = order.into_iter();
    let mut proposals: Vec<usize> = unstarted
        .by_ref()
        .take(cfg.n_init.clamp(1, budget))
        .collect();
    loop {
        seen.extend(proposals.iter().copied());
        let batch: Vec<S::Cell> = proposals.iter().map(|&i| cells[i].clone()).collect();
        let values = rec.evaluate_batch(space, &mut *objective, &batch)?;
        for (&i, v) in proposals.iter().zip(values) {
            if let Some(v) = v {
                nodes.push(i);
                ys.push(v);
            }
        }
        if rec.len() >= budget {
            break;
        }
        let q = cfg.batch.max(1).min(budget - rec.len());
        proposals = if ys.is_empty() {
            // Every evaluation so far failed: keep sampling at random.
            unstarted
                .by_ref()
                .filter(|i| !seen.contains(i))
                .take(q)
                .collect()
        } else {
            let now = super::BoConfig {
                gp: tracker.gp(cfg, &ys)?,
                ..cfg.clone()
            };
            let (z, _, _) = now.gp.transform.standardize(&ys)?;
            let best = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pred = predict(surrogate, &pool, &per_h, &nodes, &ys, &z, &now)?;
            propose(&pred, &pool.graph, &seen, cfg.acquisition, best, q)
        };
        if proposals.is_empty() {
            break;
        }
    }
    rec.finish()
}

/// Latent mean and std of every node.
fn predict(
    surrogate: Surrogate,
    pool: &Pool,
    per_h: &[Vec<Features>],
    nodes: &[usize],
    ys: &[f64],
    z: &[f64],
    cfg: &super::BoConfig,
) -> Result<Vec<Prediction>> {
    match surrogate {
        Surrogate::Assessor => {
            let net = AssessorConfig {
                seed: cfg.seed ^ nodes.len() as u64,
                ..cfg.semi.network.clone()
            };
            let a = assess::assess(&pool.inputs, nodes, z, None, &net)?;
            Ok(a.mean
                .iter()
                .zip(&a.std)
                .map(|(&mean, &std)| Prediction { mean, std })
                .collect())
        }
        Surrogate::Propagation => {
            let mean = assess::propagate(&pool.graph, nodes, z, assess::propagation::DEFAULT_EPS);
            let gp = Gp::fit_rows(per_h, nodes, ys, &cfg.gp)?;
            let stds = gp
                .predict_rows(per_h, &cfg.gp.hs)
                .into_iter()
                .map(|p| p.std);
            Ok(mean
                .into_iter()
                .zip(stds)
                .map(|(mean, std)| Prediction { mean, std })
                .collect())
        }
        Surrogate::Laplacian => Ok(assess::laplacian_gp(pool, nodes, z)?.predictions),
        Surrogate::Gp => Err(Error::Config("the GP surrogate runs in bo.rs".into())),
    }
}

/// The `q` unevaluated nodes of highest acquisition (ties to the smaller index), against
/// the best latent value observed. A batch is spread over the graph: a node linked to one
/// already in the batch waits until no unlinked node is left, since neighbours are the
/// near-duplicates a model without a fantasised refit would otherwise pick together (the
/// GP's batches use kriging believer or local penalisation for the same reason).
fn propose(
    pred: &[Prediction],
    graph: &SimilarityGraph,
    seen: &HashSet<usize>,
    acq: Acquisition,
    best: f64,
    q: usize,
) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = pred
        .iter()
        .enumerate()
        .filter(|(i, _)| !seen.contains(i))
        .map(|(i, &p)| (acq.value(p, best), i))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut batch: Vec<usize> = Vec::with_capacity(q);
    let mut linked: HashSet<usize> = HashSet::new();
    let mut waiting: Vec<usize> = Vec::new();
    for (_, i) in scored {
        if batch.len() == q {
            break;
        }
        if linked.contains(&i) {
            waiting.push(i);
        } else {
            batch.push(i);
            linked.extend(graph.neighbours(i).map(|(j, _)| j));
        }
    }
    let room = q - batch.len();
    batch.extend(waiting.into_iter().take(room));
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_skips_neighbours_of_its_picks_until_none_else_is_left() {
        let (_, graph) = crate::assess::knn::tests::nb201_graph(60, 4);
        // Node 0 scores best and its neighbours next: a greedy batch would be all of them.
        let first: Vec<usize> = graph.neighbours(0).map(|(j, _)| j).collect();
        let pred: Vec<Prediction> = (0..60)
            .map(|i| Prediction {
                mean: if i == 0 {
                    3.0
                } else if first.contains(&i) {
                    2.0
                } else {
                    1.0 - i as f64 / 100.0
                },
                std: 0.0,
            })
            .collect();
        let seen = HashSet::from([59]);
        let batch = propose(&pred, &graph, &seen, Acquisition::Mean, 0.0, 5);
        assert_eq!(batch.len(), 5);
        assert_eq!(batch[0], 0);
        for (a, &i) in batch.iter().enumerate() {
            assert!(!seen.contains(&i));
            for &j in &batch[..a] {
                assert!(
                    graph.neighbours(j).all(|(k, _)| k != i),
                    "{j} and {i} linked"
                );
            }
        }
        assert!(batch.iter().all(|i| !first.contains(i)));
        // Asking for every node still returns every unevaluated node once.
        let mut all = propose(&pred, &graph, &seen, Acquisition::Mean, 0.0, 100);
        all.sort_unstable();
        assert_eq!(all, (0..59).collect::<Vec<_>>());
    }
}
