//! The semi-supervised study: how well the GCN assessor and label propagation, which also
//! see every unlabelled architecture of the space, rank the unlabelled ones, against the
//! supervised GP, at small label counts (Tang et al. 2020's setting).

use super::PredictorRow;
use crate::assess::{self, AssessorConfig, GraphConfig, Pool};
use crate::bench_data::{metric_kind, Dataset};
use crate::error::Result;
use crate::gp::{Gp, GpConfig};
use crate::gpu::Engine;
use crate::search::TableObjective;
use crate::space::{Sampler, TableKey};
use crate::stats::{kendall, spearman};
use crate::wl;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::time::Instant;

/// What the semi-supervised study measures.
#[derive(Clone, Debug)]
pub struct SemiConfig {
    /// Numbers of labelled architectures.
    pub sizes: Vec<usize>,
    /// Seeds (random labelled sets) per size.
    pub seeds: u64,
    /// Graph and embedding.
    pub graph: GraphConfig,
    /// The assessor network.
    pub assessor: AssessorConfig,
    /// Lower NB201 skip connections to wires.
    pub skip_as_wire: bool,
}

impl Default for SemiConfig {
    fn default() -> Self {
        SemiConfig {
            sizes: vec![10, 20, 50, 100],
            seeds: 10,
            graph: GraphConfig::default(),
            assessor: AssessorConfig::default(),
            skip_as_wire: true,
        }
    }
}

/// Time spent on one dataset, for the README's cost column.
#[derive(Clone, Debug, Serialize)]
pub struct SemiTiming {
    /// Dataset name.
    pub dataset: &'static str,
    /// Nodes of the graph (the whole space).
    pub nodes: usize,
    /// Undirected edges.
    pub edges: usize,
    /// Seconds to build the kNN graph and embedding.
    pub graph_seconds: f64,
    /// Mean seconds per assessor fit (all members).
    pub assessor_seconds: f64,
    /// Mean seconds per label propagation.
    pub propagation_seconds: f64,
    /// Mean seconds per Laplacian-regularised GP fit and prediction.
    pub laplacian_seconds: f64,
    /// Mean seconds per GP fit and prediction.
    pub gp_seconds: f64,
}

/// Runs the study on one dataset: rows for models `gp`, `propagation`, `laplacian-gp`,
/// `assessor`, `assessor+gp` (the GP's prediction as one more input) and
/// `gp-assessor-avg`, each scored on every architecture of the space that was not
/// labelled.
pub fn semi_study(
    d: &'static Dataset,
    metric: &str,
    cfg: &SemiConfig,
    engine: &Engine,
    progress: &(dyn Fn() + Sync),
) -> Result<(Vec<PredictorRow>, SemiTiming)> {
    study_in(
        &d.sampler(cfg.skip_as_wire)?,
        d,
        metric,
        cfg,
        engine,
        progress,
    )
}

fn study_in<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    cfg: &SemiConfig,
    engine: &Engine,
    progress: &(dyn Fn() + Sync),
) -> Result<(Vec<PredictorRow>, SemiTiming)> {
    let (cells, y) = TableObjective::new(d, metric)?
        .every_cell(space)
        .expect("embedded tables cover finite spaces")?;
    let transform = metric_kind(metric).transform();
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let t0 = Instant::now();
    let key = Pool::key(cells.iter().map(|c| space.format(c)), &cfg.graph, engine);
    let pool = Pool::shared(key, || Pool::build(&archs, &cfg.graph, engine))?;
    let graph_seconds = t0.elapsed().as_secs_f64();
    let gp_cfg = GpConfig {
        transform,
        ..Default::default()
    };
    let per_h = wl::features_per_depth(&archs, &gp_cfg.hs, gp_cfg.direction);
    let truth: Vec<f64> = y
        .iter()
        .map(|&v| transform.apply(v).unwrap_or(f64::NAN))
        .collect();
    let mut rows = Vec::new();
    let (mut t_gcn, mut t_lp, mut t_lap, mut t_gp, mut fits) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // Jobs run one after another: the assessor's ensemble already uses every core.
    for &n in cfg.sizes.iter().filter(|&&n| n < cells.len()) {
        for seed in 0..cfg.seeds {
            let mut idx: Vec<usize> = (0..cells.len()).collect();
            idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let (train, rest) = idx.split_at(n);
            let ytr: Vec<f64> = train.iter().map(|&i| y[i]).collect();
            let (z, _, _) = transform.standardize(&ytr)?;
            let t_rest: Vec<f64> = rest.iter().map(|&i| truth[i]).collect();
            let mut row = |model: &str, pred: &[f64]| {
                let p: Vec<f64> = rest.iter().map(|&i| pred[i]).collect();
                rows.push(PredictorRow {
                    dataset: d.name,
                    model: model.to_string(),
                    size: n,
                    seed,
                    spearman: spearman(&p, &t_rest),
                    kendall: kendall(&p, &t_rest),
                });
            };
            let t = Instant::now();
            let gp = Gp::fit_rows(&per_h, train, &ytr, &gp_cfg)?;
            let gp_mean: Vec<f64> = gp
                .predict_rows(&per_h, &gp_cfg.hs)
                .iter()
                .map(|p| p.mean)
                .collect();
            t_gp += t.elapsed().as_secs_f64();
            row("gp", &gp_mean);
            let t = Instant::now();
            let lp = assess::propagate(&pool.graph, train, &z, assess::propagation::DEFAULT_EPS);
            t_lp += t.elapsed().as_secs_f64();
            row("propagation", &lp);
            let t = Instant::now();
            let lap = assess::laplacian_gp(&pool, train, &z)?;
            t_lap += t.elapsed().as_secs_f64();
            let lap: Vec<f64> = lap.predictions.iter().map(|p| p.mean).collect();
            row("laplacian-gp", &lap);
            let t = Instant::now();
            let a_cfg = AssessorConfig {
                seed,
                ..cfg.assessor.clone()
            };
            let a = assess::assess(&pool.inputs, train, &z, None, &a_cfg)?;
            t_gcn += t.elapsed().as_secs_f64();
            row("assessor", &a.mean);
            let mut prior = gp_mean.clone();
            for (&i, m) in train.iter().zip(gp.loo_means()?) {
                prior[i] = m;
            }
            let b = assess::assess(&pool.inputs, train, &z, Some(&prior), &a_cfg)?;
            row("assessor+gp", &b.mean);
            let avg: Vec<f64> = gp_mean
                .iter()
                .zip(&a.mean)
                .map(|(p, q)| 0.5 * (p + q))
                .collect();
            row("gp-assessor-avg", &avg);
            fits += 1.0;
            progress();
        }
    }
    let fits = f64::max(fits, 1.0);
    let timing = SemiTiming {
        dataset: d.name,
        nodes: pool.len(),
        edges: pool.graph.edges(),
        graph_seconds,
        assessor_seconds: t_gcn / fits,
        propagation_seconds: t_lp / fits,
        laplacian_seconds: t_lap / fits,
        gp_seconds: t_gp / fits,
    };
    Ok((rows, timing))
}
