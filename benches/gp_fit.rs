//! GP fit time at n = 100, 500, 2,000 real NB201 cells: the default (h = 2, noise by
//! closed-form leave-one-out over one eigendecomposition, then one Cholesky) and choosing h
//! from {0..3} as well; one Cholesky-based likelihood evaluation; Cholesky in nalgebra vs
//! faer at each size.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nalgebra::{DMatrix, DVector};
use wlgp::bench_data::dataset;
use wlgp::gp::{log_marginal_likelihood, Gp, GpConfig, Transform};
use wlgp::kernel;
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{Nb201Space, Space};
use wlgp::wl::{self, WlConfig};

fn bench(c: &mut Criterion) {
    let d = dataset("nb201").expect("embedded");
    let mut obj = TableObjective::new(d, "baseline_accuracy").expect("metric");
    let s = Nb201Space::default();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
    let mut g = c.benchmark_group("gp_fit");
    g.sample_size(10);
    for n in [100usize, 500, 2_000] {
        let cells: Vec<_> = (0..n)
            .map(|_| wlgp::space::Sampler::sample(&s, &mut rng))
            .collect();
        let y: Vec<f64> = cells
            .iter()
            .map(|c| obj.evaluate(&s, c).expect("row"))
            .collect();
        let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
        let cfg = GpConfig {
            transform: Transform::NegLogError { scale: 100.0 },
            ..Default::default()
        };
        g.bench_with_input(BenchmarkId::new("fit", n), &archs, |b, a| {
            b.iter(|| Gp::fit(a, &y, &cfg).expect("fit"))
        });
        let four = GpConfig {
            hs: vec![0, 1, 2, 3],
            ..cfg.clone()
        };
        g.bench_with_input(BenchmarkId::new("fit-h0..3", n), &archs, |b, a| {
            b.iter(|| Gp::fit(a, &y, &four).expect("fit"))
        });
        let f = wl::features_batch(
            &archs,
            &WlConfig {
                h: 2,
                direction: cfg.direction,
            },
        );
        let k: DMatrix<f64> = kernel::gram(&f, cfg.kernel);
        let z = DVector::from_fn(n, |i, _| y[i] / 100.0 - 0.8);
        g.bench_with_input(BenchmarkId::new("one-lml-evaluation", n), &k, |b, k| {
            b.iter(|| log_marginal_likelihood(k, &z, 1e-2).expect("spd"))
        });
        // The measurement behind the choice of faer for the eigensolver: Cholesky of the
        // same regularised Gram matrix in both libraries.
        let a = &k + DMatrix::identity(n, n) * 1e-2;
        g.bench_with_input(BenchmarkId::new("cholesky-nalgebra", n), &a, |b, a| {
            b.iter(|| nalgebra::Cholesky::new(a.clone()).expect("spd"))
        });
        let fa = faer::Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)]);
        g.bench_with_input(BenchmarkId::new("cholesky-faer", n), &fa, |b, a| {
            b.iter(|| a.llt(faer::Side::Lower).expect("spd"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
