//! The semi-supervised assessor on the whole NB201 space (15,625 nodes): building the kNN
//! similarity graph, and one assessor fit (5 members, 100 labels) trained on the labelled
//! nodes' receptive field against the same fit run on the whole graph.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use wlgp::assess::{assess, AssessorConfig, GraphConfig, Pool, SimilarityGraph};
use wlgp::bench_data::dataset;
use wlgp::gp::Transform;
use wlgp::gpu::Engine;
use wlgp::kernel::BaseKernel;
use wlgp::search::TableObjective;
use wlgp::space::{Nb201Space, Space};
use wlgp::wl;

fn bench(c: &mut Criterion) {
    let space = Nb201Space::default();
    let (cells, y) = TableObjective::new(dataset("nb201").expect("embedded"), "baseline_accuracy")
        .expect("metric")
        .every_cell(&space)
        .expect("finite")
        .expect("every cell");
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let cfg = GraphConfig::default();
    let xs = wl::features_batch(&archs, &cfg.wl);
    let mut g = c.benchmark_group("assessor");
    g.sample_size(10);
    g.bench_function("knn-graph-15625-cpu", |b| {
        b.iter(|| SimilarityGraph::knn(&xs, BaseKernel::Dot, cfg.k, &Engine::Cpu).expect("graph"))
    });
    let pool = Pool::from_features(xs.clone(), &cfg, &Engine::Cpu).expect("pool");
    for labels in [20usize, 100] {
        let labelled: Vec<usize> = (0..xs.len())
            .step_by(xs.len() / labels)
            .take(labels)
            .collect();
        let ys: Vec<f64> = labelled.iter().map(|&i| y[i]).collect();
        let (z, _, _) = Transform::NegLogError { scale: 100.0 }
            .standardize(&ys)
            .expect("finite");
        for (name, whole) in [("receptive-field", false), ("whole-graph", true)] {
            let a = AssessorConfig {
                whole_graph: whole,
                ..Default::default()
            };
            g.bench_with_input(BenchmarkId::new(name, labels), &labelled, |b, l| {
                b.iter(|| assess(&pool.inputs, l, &z, None, &a).expect("fit"))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
