//! Candidate scoring: function-space vs weight-space posterior at n = 100, 1,000, 4,000
//! real NB201 training points (10,000 candidates each), and end-to-end streaming scoring
//! (sampling, lowering, WL features, posterior, EI, top-k) in candidates/s, for NB201
//! and DARTS.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use rand::SeedableRng;
use std::collections::HashSet;
use wlgp::acquisition::Acquisition;
use wlgp::bench_data::{timing_gp_darts, timing_gp_nb201};
use wlgp::gp::{Gp, WeightSpace};
use wlgp::score::{score, Candidates, Posterior, ScoreConfig};
use wlgp::space::{DartsSpace, Nb201Space, Sampler, Space};
use wlgp::wl;

/// End-to-end streaming scoring of 200,000 sampled candidates of `space` under `gp`,
/// skipping the training cells.
fn end_to_end<S: Sampler>(
    g: &mut BenchmarkGroup<WallTime>,
    name: &str,
    space: &S,
    gp: &Gp,
    train: &[S::Cell],
) {
    let ws = WeightSpace::new(gp).expect("dot kernel");
    let exclude: HashSet<_> = train.iter().cloned().collect();
    let sc = ScoreConfig {
        acquisition: Acquisition::Ei,
        top: 10,
        chunk: 65_536,
        range: None,
    };
    let m = 200_000u64;
    g.throughput(Throughput::Elements(m));
    g.bench_function(BenchmarkId::new(name, train.len()), |b| {
        b.iter(|| {
            score(
                space,
                gp,
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

fn bench(c: &mut Criterion) {
    let s = Nb201Space::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut g = c.benchmark_group("score");
    g.sample_size(10);
    for n in [100usize, 1_000, 4_000] {
        let (gp, train) = timing_gp_nb201(n, 5).expect("fit");
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
        end_to_end(&mut g, "end-to-end-nb201-sampled", &s, &gp, &train);
    }
    // End to end on DARTS genotypes (timing-only targets: there is no DARTS table).
    let (gp, train) = timing_gp_darts(1_000, 3).expect("fit");
    end_to_end(
        &mut g,
        "end-to-end-darts-sampled",
        &DartsSpace::default(),
        &gp,
        &train,
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
