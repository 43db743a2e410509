//! `wlgp bench` rows of the semi-supervised assessor on the whole NB201 space: the kNN
//! similarity graph (CPU vs GPU kernel rows) and one assessor fit, trained on the labelled
//! nodes' receptive field against training on the whole graph (same result).

use super::bench_row::{best_of, Row};
use wlgp::assess::{self, AssessorConfig, GraphConfig, Pool, SimilarityGraph};
use wlgp::error::Result;
use wlgp::gpu::Engine;
use wlgp::kernel::BaseKernel;
use wlgp::search::TableObjective;
use wlgp::space::{Nb201Space, Space};
use wlgp::wl;

/// Labels of the timed assessor fit.
const LABELS: usize = 100;

pub(crate) fn rows(repeats: usize, gpu: Option<&Engine>) -> Result<Vec<Row>> {
    let space = Nb201Space::default();
    let (cells, y) = TableObjective::new(wlgp::bench_data::dataset("nb201")?, "baseline_accuracy")?
        .every_cell(&space)
        .expect("NB201 is finite")?;
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let cfg = GraphConfig::default();
    let xs = wl::features_batch(&archs, &cfg.wl);
    let n = xs.len();
    let threads = rayon::current_num_threads();
    let mut out = Vec::new();
    let mut engines: Vec<(String, &Engine)> =
        vec![(format!("cpu, {threads} threads"), &Engine::Cpu)];
    if let Some(g) = gpu {
        engines.push((g.name(), g));
    }
    for (name, e) in engines {
        // The graph is the slow part: time it once per engine.
        let s = best_of(repeats.min(1), || {
            SimilarityGraph::knn(&xs, BaseKernel::Dot, cfg.k, e)
        })?;
        let entries = (n * n) as u64;
        out.push(Row::new(
            format!("kNN graph, k={}, {n} nodes", cfg.k),
            "nb201",
            name,
            entries,
            s,
            "kernel entries/s",
        ));
    }
    let pool = Pool::from_features(xs, &cfg, &Engine::Cpu)?;
    let labelled: Vec<usize> = (0..n).step_by(n / LABELS).take(LABELS).collect();
    let ys: Vec<f64> = labelled.iter().map(|&i| y[i]).collect();
    let (z, _, _) = wlgp::gp::Transform::NegLogError { scale: 100.0 }.standardize(&ys)?;
    for (engine, whole) in [
        ("cpu, whole graph (reference)", true),
        ("receptive field", false),
    ] {
        let a = AssessorConfig {
            whole_graph: whole,
            ..Default::default()
        };
        let s = best_of(repeats, || {
            assess::assess(&pool.inputs, &labelled, &z, None, &a)
        })?;
        out.push(Row::new(
            format!(
                "assessor fit, {} members, {LABELS} labels, {n} nodes",
                a.members
            ),
            "nb201",
            engine.into(),
            1,
            s,
            "fits/s",
        ));
    }
    Ok(out)
}
