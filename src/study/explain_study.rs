//! The explain study: from N random evaluated architectures of a table, how good is the
//! architecture built from motif scores (its true percentile in the table), and what does
//! a confident pruning keep (its size and its share of the table's top 1%)?

use crate::bench_data::{metric_kind, Dataset};
use crate::error::Result;
use crate::explain::{self, MotifScores, Provenance};
use crate::gp::{Gp, GpConfig, WeightSpace};
use crate::search::TableObjective;
use crate::space::{Sampler, TableKey};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

/// One (dataset, N, seed) measurement.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainRow {
    /// Dataset name.
    pub dataset: &'static str,
    /// Evaluated architectures the GP was fitted on.
    pub size: usize,
    /// Seed of the random choice of them.
    pub seed: u64,
    /// True percentile of the built architecture in the table (100 = best).
    pub built_percentile: f64,
    /// True percentile of the best of the N evaluated architectures, for reference.
    pub best_evaluated_percentile: f64,
    /// Pruned space size as a share of the table.
    pub pruned_share: f64,
    /// Share of the table's top 1% the pruned space keeps.
    pub top1_kept: f64,
    /// The three motifs with the largest effect, and the three with the smallest.
    pub top_motifs: String,
    /// The same for the worst.
    pub bottom_motifs: String,
}

/// Runs the explain study on one dataset.
pub fn explain_study(
    d: &'static Dataset,
    sizes: &[usize],
    seeds: u64,
    prune_z: f64,
    skip_as_wire: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<ExplainRow>> {
    run(
        &d.sampler(skip_as_wire)?,
        d,
        sizes,
        seeds,
        prune_z,
        progress,
    )
}

fn run<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    sizes: &[usize],
    seeds: u64,
    prune_z: f64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<ExplainRow>> {
    let metric = d.default_metric;
    let maximize = metric_kind(metric).maximize();
    let (cells, y) = TableObjective::new(d, metric)?
        .every_cell(space)
        .expect("embedded tables cover finite spaces")?;
    let index: std::collections::HashMap<&S::Cell, usize> =
        cells.iter().enumerate().map(|(i, c)| (c, i)).collect();
    let jobs: Vec<(usize, u64)> = sizes
        .iter()
        .flat_map(|&n| (0..seeds).map(move |s| (n, s)))
        .collect();
    jobs.par_iter()
        .map(|&(n, seed)| {
            let mut idx: Vec<usize> = (0..cells.len()).collect();
            idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1_000 + seed));
            idx.truncate(n);
            let train: Vec<S::Cell> = idx.iter().map(|&i| cells[i].clone()).collect();
            let ytr: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
            let archs: Vec<_> = train.iter().map(|c| space.lower(c)).collect();
            let cfg = GpConfig {
                transform: metric_kind(metric).transform(),
                ..Default::default()
            };
            let gp = Gp::fit(&archs, &ytr, &cfg)?;
            let ws = WeightSpace::new(&gp).expect("dot kernel");
            let prov = Provenance::record(&archs, &gp.wl_config());
            let effects = explain::motif_effects(&gp, &ws, &prov);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| {
                if maximize {
                    ytr[b].total_cmp(&ytr[a])
                } else {
                    ytr[a].total_cmp(&ytr[b])
                }
            });
            let starts: Vec<S::Cell> = order.iter().take(5).map(|&i| train[i].clone()).collect();
            let evaluated: std::collections::HashSet<S::Cell> = train.iter().cloned().collect();
            let built = explain::build(
                space,
                &gp,
                &MotifScores::new(&effects),
                &starts,
                &evaluated,
                50,
            );
            let b = &built[0].cell;
            let built_percentile = explain::percentile(&y, y[index[b]], maximize);
            let best_evaluated_percentile = explain::percentile(&y, ytr[order[0]], maximize);
            let bad = explain::harmful(&effects, prune_z, 1, evaluated.len());
            let st = explain::prune_stats(space, &gp, &bad, &cells, &y, maximize);
            let shown: Vec<_> = effects.iter().filter(|e| e.archs >= 2).collect();
            let list = |it: &mut dyn Iterator<Item = &&explain::MotifEffect>| {
                it.take(3)
                    .map(|e| e.motif.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            progress();
            Ok(ExplainRow {
                dataset: d.name,
                size: n,
                seed,
                built_percentile,
                best_evaluated_percentile,
                pruned_share: st.kept as f64 / st.total as f64,
                top1_kept: st.top1_kept,
                top_motifs: list(&mut shown.iter()),
                bottom_motifs: list(&mut shown.iter().rev()),
            })
        })
        .collect()
}
