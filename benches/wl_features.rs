//! WL feature extraction throughput (graphs/s): CPU one thread, CPU all threads, GPU.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wlgp::wl::{self, Direction, WlConfig};

mod common;

fn bench(c: &mut Criterion) {
    let single = common::one_thread();
    let gpu = common::gpu();
    let mut g = c.benchmark_group("wl_features");
    g.sample_size(10);
    for n in [1_000usize, 100_000] {
        for (name, archs) in common::spaces(n) {
            let cfg = WlConfig {
                h: 3,
                direction: Direction::Both,
            };
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(
                BenchmarkId::new(format!("{name}/cpu-1-thread"), n),
                &archs,
                |b, a| b.iter(|| single.install(|| wl::features_batch(a, &cfg))),
            );
            g.bench_with_input(
                BenchmarkId::new(format!("{name}/cpu-all-threads"), n),
                &archs,
                |b, a| b.iter(|| wl::features_batch(a, &cfg)),
            );
            if let Some(e) = &gpu {
                g.bench_with_input(
                    BenchmarkId::new(format!("{name}/gpu"), n),
                    &archs,
                    |b, a| b.iter(|| e.features(a, &cfg).expect("gpu")),
                );
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
