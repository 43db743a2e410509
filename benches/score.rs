//! Candidate scoring: function-space vs weight-space posterior at n = 100, 1,000, 4,000
//! real NB201 training points (10,000 candidates each), and end-to-end streaming scoring
//! (sampling, lowering, WL features, posterior, EI, top-k) in candidates/s, for NB201
//! and DARTS.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use std::collections::HashSet;
use wlgp::acquisition::Acquisition;
use wlgp::bench_data::dataset;
use wlgp::gp::{Gp, GpConfig, Transform, WeightSpace};
use wlgp::score::{score, Candidates, Posterior, ScoreConfig};
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{Nb201Space, Sampler, Space};
use wlgp::wl;

fn bench(c: &mut Criterion) {
    let s = Nb201Space::default();
    let mut obj = TableObjective::new(dataset("nb201").expect("embedded"), "baseline_accuracy")
        .expect("metric");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let cells = s.enumerate().expect("finite");
    let mut g = c.benchmark_group("score");
    g.sample_size(10);
    for n in [100usize, 1_000, 4_000] {
        let idx = rand::seq::index::sample(&mut rng, cells.len(), n).into_vec();
        let train: Vec<_> = idx.iter().map(|&i| cells[i]).collect();
        let y: Vec<f64> = train
            .iter()
            .map(|c| obj.evaluate(&s, c).expect("row"))
            .collect();
        let archs: Vec<_> = train.iter().map(|c| s.lower(c)).collect();
        let cfg = GpConfig {
            hs: vec![2],
            transform: Transform::NegLogError { scale: 100.0 },
            ..Default::default()
        };
        let gp = Gp::fit(&archs, &y, &cfg).expect("fit");
        let cand: Vec<_> = (0..10_000).map(|_| s.lower(&s.sample(&mut rng))).collect();
        let feats = wl::features_batch(&cand, &gp.wl_config());
        let ws = WeightSpace::new(&gp).expect("dot kernel");
        g.throughput(Throughput::Elements(feats.len() as u64));
        g.bench_with_input(BenchmarkId::new("function-space", n), &feats, |b, f| {
            b.iter(|| gp.predict_features(f))
        });
        g.bench_with_input(BenchmarkId::new("weight-space", n), &feats, |b, f| {
            b.iter(|| f.iter().map(|x| ws.predict(x)).collect::<Vec<_>>())
        });
        g.bench_function(BenchmarkId::new("weight-space-build", n), |b| {
            b.iter(|| WeightSpace::new(&gp))
        });
        let exclude: HashSet<_> = train.iter().cloned().collect();
        let sc = ScoreConfig {
            acquisition: Acquisition::Ei,
            top: 10,
            chunk: 65_536,
        };
        let m = 200_000u64;
        g.throughput(Throughput::Elements(m));
        g.bench_function(BenchmarkId::new("end-to-end-nb201-sampled", n), |b| {
            b.iter(|| {
                score(
                    &s,
                    &gp,
                    &Candidates::Sample { n: m, seed: 1 },
                    &exclude,
                    Posterior::WeightSpace(&ws),
                    &sc,
                    &|_| {},
                )
                .expect("score")
            })
        });
    }
    // End to end on DARTS genotypes (timing-only targets: there is no DARTS table).
    let d = wlgp::space::DartsSpace::default();
    let (gp, train) = wlgp::bench_data::timing_gp_darts(1_000, 3).expect("fit");
    let ws = WeightSpace::new(&gp).expect("dot kernel");
    let exclude: HashSet<_> = train.into_iter().collect();
    let sc = ScoreConfig {
        acquisition: Acquisition::Ei,
        top: 10,
        chunk: 65_536,
    };
    let m = 200_000u64;
    g.throughput(Throughput::Elements(m));
    g.bench_function(BenchmarkId::new("end-to-end-darts-sampled", 1_000), |b| {
        b.iter(|| {
            score(
                &d,
                &gp,
                &Candidates::Sample { n: m, seed: 1 },
                &exclude,
                Posterior::WeightSpace(&ws),
                &sc,
                &|_| {},
            )
            .expect("score")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
