//! Kernel matrix throughput (entries/s): n x n Gram and n x m cross matrices, CPU and GPU.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wlgp::kernel::{self, BaseKernel, KernelConfig};
use wlgp::wl::{self, Direction, WlConfig};

mod common;

fn bench(c: &mut Criterion) {
    let single = common::one_thread();
    let gpu = common::gpu();
    let cfg = KernelConfig {
        base: BaseKernel::Dot,
        normalize: true,
    };
    let mut g = c.benchmark_group("kernel_matrix");
    g.sample_size(10);
    for (name, archs) in common::spaces(10_000) {
        let f = wl::features_batch(
            &archs,
            &WlConfig {
                h: 3,
                direction: Direction::Both,
            },
        );
        let train = &f[..1_000];
        g.throughput(Throughput::Elements((train.len() * f.len()) as u64));
        g.bench_with_input(
            BenchmarkId::new(format!("{name}/cross-cpu-1-thread"), "1000x10000"),
            &f,
            |b, f| b.iter(|| single.install(|| kernel::cross(train, f, cfg))),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name}/cross-cpu-all-threads"), "1000x10000"),
            &f,
            |b, f| b.iter(|| kernel::cross(train, f, cfg)),
        );
        if let Some(e) = &gpu {
            g.bench_with_input(
                BenchmarkId::new(format!("{name}/cross-gpu"), "1000x10000"),
                &f,
                |b, f| b.iter(|| e.kernel(train, f, cfg.base).expect("gpu")),
            );
        }
        g.throughput(Throughput::Elements((train.len() * train.len()) as u64));
        g.bench_with_input(
            BenchmarkId::new(format!("{name}/gram-cpu-all-threads"), "1000x1000"),
            &f,
            |b, _| b.iter(|| kernel::gram(train, cfg)),
        );
    }
    // The case of scripts/grakel_bench.py without Python: the raw f64 matrix of 4,000
    // NB201 cells at h = 2 from their WL features.
    let (_, archs) = &common::spaces(4_000)[0];
    let f = wl::features_batch(
        archs,
        &WlConfig {
            h: 2,
            direction: Direction::Both,
        },
    );
    g.throughput(Throughput::Elements((f.len() * f.len()) as u64));
    g.bench_with_input(
        BenchmarkId::new("nb201/raw-f64-h2-cpu-all-threads", "4000x4000"),
        &f,
        |b, f| b.iter(|| kernel::dot_matrix_f64(f, f)),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
