//! The predictor study: how well the GP ranks held-out architectures (Spearman rho and
//! Kendall tau against the table) as the training set grows, for each WL direction and
//! depth (and depth chosen by marginal likelihood), against a GP on the one-hot /
//! adjacency encoding of the same cells.

use crate::bench_data::{metric_kind, Dataset};
use crate::error::Result;
use crate::gp::{Gp, GpConfig, WeightSpace};
use crate::search::TableObjective;
use crate::space::{OneHot, Sampler, TableKey};
use crate::stats::{kendall, spearman};
use crate::wl::{self, Direction, Features};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

/// What the predictor study measures.
#[derive(Clone, Debug)]
pub struct PredictorConfig {
    /// Training-set sizes.
    pub sizes: Vec<usize>,
    /// Seeds (random training sets) per size.
    pub seeds: u64,
    /// Held-out architectures the correlations are computed on (a random subset of the
    /// rest of the table, the same for every model).
    pub test: usize,
    /// Fixed WL depths to try (each direction also gets its depth chosen by marginal
    /// likelihood over these).
    pub hs: Vec<usize>,
    /// WL directions.
    pub directions: Vec<Direction>,
    /// Lower NB201 skip connections to wires.
    pub skip_as_wire: bool,
}

impl Default for PredictorConfig {
    fn default() -> Self {
        PredictorConfig {
            sizes: vec![10, 20, 50, 100, 200, 400, 1000],
            seeds: 3,
            test: 2_000,
            hs: vec![0, 1, 2, 3],
            directions: vec![Direction::In, Direction::Out, Direction::Both],
            skip_as_wire: true,
        }
    }
}

/// One model at one training size and seed.
#[derive(Clone, Debug, Serialize)]
pub struct PredictorRow {
    /// Dataset name.
    pub dataset: &'static str,
    /// `wl-<direction>-h<h>`, `wl-<direction>-ml` (h by marginal likelihood) or `one-hot`.
    pub model: String,
    /// Training-set size.
    pub size: usize,
    /// Seed of the training set.
    pub seed: u64,
    /// Spearman's rho on the held-out set.
    pub spearman: f64,
    /// Kendall's tau on the held-out set.
    pub kendall: f64,
}

/// Runs the predictor study on one dataset's metric.
pub fn predictor_study(
    d: &'static Dataset,
    metric: &str,
    cfg: &PredictorConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PredictorRow>> {
    study_in(&d.sampler(cfg.skip_as_wire)?, d, metric, cfg, progress)
}

fn study_in<S: Sampler + TableKey + OneHot>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    cfg: &PredictorConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PredictorRow>> {
    let (cells, y) = TableObjective::new(d, metric)?
        .every_cell(space)
        .expect("embedded tables cover finite spaces")?;
    let transform = metric_kind(metric).transform();
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    // Every cell's features once per (direction, h), and its one-hot encoding.
    let wl_feats: Vec<(Direction, Vec<Vec<Features>>)> = cfg
        .directions
        .iter()
        .map(|&dir| (dir, wl::features_per_depth(&archs, &cfg.hs, dir)))
        .collect();
    let one_hot: Vec<Features> = cells
        .par_iter()
        .map(|c| space.one_hot_features(c))
        .collect();
    let jobs: Vec<(usize, u64)> = cfg
        .sizes
        .iter()
        .flat_map(|&n| (0..cfg.seeds).map(move |s| (n, s)))
        .filter(|&(n, _)| n < cells.len())
        .collect();
    let rows: Vec<Vec<PredictorRow>> = jobs
        .par_iter()
        .map(|&(n, seed)| {
            let mut idx: Vec<usize> = (0..cells.len()).collect();
            idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let (train, rest) = idx.split_at(n);
            let test = &rest[..rest.len().min(cfg.test)];
            let ytr: Vec<f64> = train.iter().map(|&i| y[i]).collect();
            let yte: Vec<f64> = test.iter().map(|&i| y[i]).collect();
            let pick = |f: &[Features], ix: &[usize]| -> Vec<Features> {
                ix.iter().map(|&i| f[i].clone()).collect()
            };
            let row = |model: String, gp: Gp, test_f: Vec<Features>| -> PredictorRow {
                let pred: Vec<f64> = match WeightSpace::new(&gp) {
                    Some(ws) => test_f.iter().map(|f| ws.predict(f).mean).collect(),
                    None => gp
                        .predict_features(&test_f)
                        .iter()
                        .map(|p| p.mean)
                        .collect(),
                };
                // Rank correlations in the latent (larger-is-better) scale, against the
                // table's values mapped the same way.
                let truth: Vec<f64> = yte
                    .iter()
                    .map(|&v| transform.apply(v).unwrap_or(f64::NAN))
                    .collect();
                PredictorRow {
                    dataset: d.name,
                    model,
                    size: n,
                    seed,
                    spearman: spearman(&pred, &truth),
                    kendall: kendall(&pred, &truth),
                }
            };
            let mut out = Vec::new();
            for (dir, per_h) in &wl_feats {
                let name = format!("{dir:?}").to_lowercase();
                let mut all_h = Vec::new();
                for (hi, &h) in cfg.hs.iter().enumerate() {
                    let gcfg = GpConfig {
                        hs: vec![h],
                        direction: *dir,
                        transform,
                        ..Default::default()
                    };
                    all_h.push((h, pick(&per_h[hi], train)));
                    if let Ok(gp) = Gp::fit_features(&[(h, pick(&per_h[hi], train))], &ytr, &gcfg) {
                        out.push(row(format!("wl-{name}-h{h}"), gp, pick(&per_h[hi], test)));
                    }
                }
                let gcfg = GpConfig {
                    hs: cfg.hs.clone(),
                    direction: *dir,
                    transform,
                    ..Default::default()
                };
                if let Ok(gp) = Gp::fit_features(&all_h, &ytr, &gcfg) {
                    let hi = cfg
                        .hs
                        .iter()
                        .position(|&h| h == gp.wl_config().h)
                        .unwrap_or(0);
                    out.push(row(format!("wl-{name}-ml"), gp, pick(&per_h[hi], test)));
                }
            }
            let gcfg = GpConfig {
                hs: vec![0],
                transform,
                ..Default::default()
            };
            if let Ok(gp) = Gp::fit_features(&[(0, pick(&one_hot, train))], &ytr, &gcfg) {
                out.push(row("one-hot".into(), gp, pick(&one_hot, test)));
            }
            progress();
            out
        })
        .collect();
    Ok(rows.into_iter().flatten().collect())
}
