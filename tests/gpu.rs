//! GPU shaders against the CPU reference, on lavapipe in CI and on real GPUs.
//!
//! With `WLGP_REQUIRE_GPU=1` (set by `.ci/run`) a missing adapter fails every test here;
//! without it, each test says once that it did not run and passes.

use rand::{RngCore, SeedableRng};
use std::sync::Arc;
use wlgp::gpu::{shared_context, GpuContext, GpuKernel, GpuWl};
use wlgp::graph::Arch;
use wlgp::kernel::{self, BaseKernel};
use wlgp::space::{DartsSpace, JsonSpace, Nb101Space, Nb201Space, NbGraphSpace, Sampler, Space};
use wlgp::wl::{self, mix64, Direction, WlConfig};

fn ctx() -> Option<Arc<GpuContext>> {
    match shared_context() {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var("WLGP_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("WLGP_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!(
                "no GPU adapter ({e}): GPU test not run (set WLGP_REQUIRE_GPU=1 to make this fail)"
            );
            None
        }
    }
}

fn sample<S: Sampler>(s: &S, n: usize, seed: u64) -> Vec<Arch> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| s.lower(&s.sample(&mut rng))).collect()
}

/// Graphs of every space plus the JSON edge cases: one node, isolated nodes, a big graph.
fn mixed_batch() -> Vec<Arch> {
    let mut g = sample(&Nb201Space::default(), 60, 1);
    g.extend(sample(
        &Nb201Space {
            skip_as_wire: false,
        },
        20,
        2,
    ));
    g.extend(sample(&NbGraphSpace::new(false), 40, 3));
    g.extend(sample(&Nb101Space, 40, 4));
    g.extend(sample(&DartsSpace::default(), 30, 5));
    let j = JsonSpace;
    for s in [
        r#"{"labels":["input"],"edges":[]}"#,
        r#"{"labels":["input","a","b","output"],"edges":[[0,3]]}"#,
        r#"{"labels":["x","x","x","x","x"],"edges":[[0,1],[0,2],[1,3],[2,3],[3,4],[0,4]]}"#,
    ] {
        g.push(j.lower(&j.parse(s).unwrap()));
    }
    // A long chain: 300 nodes in one graph among graphs of 2.
    let labels: Vec<String> = (0..300).map(|i| format!("op{}", i % 7)).collect();
    let edges: Vec<[usize; 2]> = (0..299).map(|i| [i, i + 1]).collect();
    let s = serde_json::json!({"labels": labels, "edges": edges}).to_string();
    g.push(j.lower(&j.parse(&s).unwrap()));
    g
}

#[test]
fn mix64_and_add64_match_rust() {
    let Some(ctx) = ctx() else { return };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut xs: Vec<u64> = (0..200_000).map(|_| rng.next_u64()).collect();
    xs.extend([
        0,
        1,
        u64::MAX,
        u64::MAX - 1,
        1 << 31,
        1 << 32,
        (1 << 32) - 1,
        0x9e37_79b9_7f4a_7c15,
    ]);
    xs.extend((0..64).map(|k| 1u64 << k));
    let (m, s) = ctx.check_u64(&xs).unwrap();
    for (i, &x) in xs.iter().enumerate() {
        assert_eq!(m[i], mix64(x), "mix64({x:#x})");
        assert_eq!(s[i], x.wrapping_add(xs[(i + 1) % xs.len()]), "add64 at {i}");
    }
}

/// ln of Mills' ratio R(a) = Φ(-a) / φ(a) in f64, by 400 terms of Laplace's continued
/// fraction (a > 5) or directly.
fn ln_mills(a: f64) -> f64 {
    use wlgp::acquisition::{norm_cdf, norm_pdf};
    if a < 5.0 {
        return (norm_cdf(-a) / norm_pdf(a)).ln();
    }
    let mut c = 0.0;
    for j in (1..=400).rev() {
        c = j as f64 / (a + c);
    }
    -(a + c).ln()
}

/// ln Φ(u) in f64, accurate in the lower tail.
fn ln_cdf64(u: f64) -> f64 {
    if u >= 0.0 {
        return wlgp::acquisition::norm_cdf(u).ln();
    }
    ln_mills(-u) - 0.5 * u * u - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// ln(u Φ(u) + φ(u)) in f64, without cancellation in the lower tail.
fn ln_tau64(u: f64) -> f64 {
    use wlgp::acquisition::{norm_cdf, norm_pdf};
    let ln_pdf = |a: f64| -0.5 * a * a - 0.5 * (2.0 * std::f64::consts::PI).ln();
    if u > -5.0 {
        return (u * norm_cdf(u) + norm_pdf(u)).ln();
    }
    // 1 - a R(a) = c / (a + c), c = 1 / (a + 2 / (a + 3 / ...)).
    let a = -u;
    let mut c = 0.0;
    for j in (2..=400).rev() {
        c = j as f64 / (a + c);
    }
    let c1 = 1.0 / (a + c);
    (c1 / (a + c1)).ln() + ln_pdf(a)
}

/// The f32 acquisition helpers of the device pipeline: ln EI's core and ln Φ against f64
/// over u in [-150, 20] (absolute error in ln below 3e-5, plus u² f32 roundoffs where
/// u's own rounding dominates), and the EI and PI bounds never below the exact values.
#[test]
fn f32_log_acquisitions_match_f64_and_bound_it() {
    use rand::Rng;
    use wlgp::gp::Prediction;
    let Some(ctx) = ctx() else { return };
    let us: Vec<f32> = (0..12_400).map(|i| -150.0 + i as f32 * 0.0137).collect();
    let inputs: Vec<[f32; 4]> = us.iter().map(|&u| [u, 0.0, 1.0, 0.0]).collect();
    let out = ctx.check_acquisition(&inputs).unwrap();
    for (&u, o) in us.iter().zip(&out) {
        let u64_ = u as f64;
        let tol = 3e-5 + 2e-7 * u64_ * u64_;
        let want = ln_tau64(u64_);
        assert!(
            (o[0] as f64 - want).abs() < tol,
            "ln_tau({u}) = {} not {want}",
            o[0]
        );
        let want = ln_cdf64(u64_);
        assert!(
            (o[1] as f64 - want).abs() < tol,
            "ln_norm_cdf({u}) = {} not {want}",
            o[1]
        );
    }
    // Bounds against the exact values of the same f32 inputs.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let inputs: Vec<[f32; 4]> = (0..20_000)
        .map(|_| {
            let sd = 10f32.powf(rng.gen_range(-4.0..1.0));
            let mean = rng.gen_range(-3.0..3.0f32);
            [0.0, mean, sd, mean + sd * rng.gen_range(-5.0..40.0f32)]
        })
        .collect();
    let out = ctx.check_acquisition(&inputs).unwrap();
    for (x, o) in inputs.iter().zip(&out) {
        let p = Prediction {
            mean: x[1] as f64,
            std: x[2] as f64,
        };
        let u = (p.mean - x[3] as f64) / p.std;
        let ei = p.std.ln() + ln_tau64(u);
        let slack = 2e-3 + 1e-5 * (ei.abs() + u * u);
        assert!(
            o[2] as f64 >= ei && (o[2] as f64) < ei + slack,
            "EI {x:?}: {} vs {ei}",
            o[2]
        );
        let pi = ln_cdf64(u);
        assert!(
            o[3] as f64 >= pi && (o[3] as f64) < pi + slack,
            "PI {x:?}: {} vs {pi}",
            o[3]
        );
    }
}

#[test]
fn wl_features_equal_the_cpu_bit_for_bit() {
    let Some(ctx) = ctx() else { return };
    let archs = mixed_batch();
    let mut gpu = GpuWl::new(&ctx);
    // Counted by `wl_count.wgsl` on the device, and on the host from the labels read back.
    for host in [false, true] {
        gpu.set_host_counting(host);
        for dir in [Direction::In, Direction::Out, Direction::Both] {
            for h in [0, 1, 2, 3, 10] {
                let cfg = WlConfig { h, direction: dir };
                assert_eq!(
                    gpu.features(&archs, &cfg).unwrap(),
                    wl::features_batch(&archs, &cfg),
                    "h={h} {dir}, counted on the host: {host}"
                );
            }
        }
    }
}

#[test]
fn wl_batches_split_and_dispatch_in_two_dimensions() {
    let Some(ctx) = ctx() else { return };
    let archs = mixed_batch();
    let cfg = WlConfig {
        h: 3,
        direction: Direction::Both,
    };
    let want = wl::features_batch(&archs, &cfg);
    let mut gpu = GpuWl::new(&ctx);
    // Batches of at most 1,300 labels (325 nodes at h = 3) and at most 2 workgroups in x.
    gpu.set_limits(1_300, 2);
    for host in [false, true] {
        gpu.set_host_counting(host);
        assert_eq!(gpu.features(&archs, &cfg).unwrap(), want, "host: {host}");
    }
    // A graph that alone exceeds the batch limit is a clear error, not a panic.
    gpu.set_limits(40, 2);
    let e = gpu.features(&archs, &cfg).unwrap_err().to_string();
    assert!(e.contains("too large"), "{e}");
}

#[test]
fn kernel_matrices_equal_the_cpu() {
    let Some(ctx) = ctx() else { return };
    let archs = mixed_batch();
    let f = wl::features_batch(
        &archs,
        &WlConfig {
            h: 2,
            direction: Direction::Both,
        },
    );
    let (a, b) = (&f[..70], &f[50..]);
    let mut gpu = GpuKernel::new(&ctx);
    // Dot kernels by the index and by merging; optimal assignment by merging.
    for (base, index) in [
        (BaseKernel::Dot, true),
        (BaseKernel::Dot, false),
        (BaseKernel::OptimalAssignment, true),
    ] {
        gpu.set_index(index);
        for budget in [u64::MAX, 1_000, 37] {
            gpu.set_budget(budget);
            let (raw, norm) = gpu.compute(a, b, base).unwrap();
            let want = kernel::cross(
                a,
                b,
                kernel::KernelConfig {
                    base,
                    normalize: true,
                },
            );
            for i in 0..a.len() {
                for j in 0..b.len() {
                    let e = i * b.len() + j;
                    assert_eq!(raw[e], kernel::raw(&a[i], &b[j], base), "raw ({i},{j})");
                    // Normalised in f32: within 1e-6 absolute of the f64 value (all are in [0, 1]).
                    assert!(
                        (norm[e] as f64 - want[(i, j)]).abs() < 1e-6,
                        "({i},{j}) {} vs {}",
                        norm[e],
                        want[(i, j)]
                    );
                }
            }
        }
    }
}

/// The indexed dot kernel (`kernel_indexed.wgsl`) with its columns split into chunks and
/// rows into dispatches: raw entries equal the CPU's exactly, normalised within 1e-6.
#[test]
fn indexed_dot_kernel_equals_the_cpu_in_chunks() {
    use wlgp::gpu::Indexed;
    let Some(ctx) = ctx() else { return };
    let mut archs = mixed_batch();
    // More columns than one workgroup's block (2,048), so blocks split too.
    archs.extend(sample(&Nb201Space::default(), 2_500, 21));
    let cfg = WlConfig {
        h: 2,
        direction: Direction::In,
    };
    let f = wl::features_batch(&archs, &cfg);
    let (a, b) = (&f[..60], &f[40..]);
    let want = kernel::cross(
        a,
        b,
        kernel::KernelConfig {
            base: BaseKernel::Dot,
            normalize: true,
        },
    );
    let mut gpu = GpuKernel::new(&ctx);
    for (max_bytes, budget) in [(u64::MAX, u64::MAX), (4_000, 1_000)] {
        let k = Indexed::new(&ctx, a, b, max_bytes).expect("small counts are exact in u32");
        gpu.set_budget(budget);
        let rows = 3..57;
        let (raw, norm) = gpu.run_prepared(&k, rows.clone()).unwrap();
        for (r, i) in rows.clone().enumerate() {
            for j in 0..b.len() {
                let e = r * b.len() + j;
                assert_eq!(
                    raw[e],
                    kernel::raw(&a[i], &b[j], BaseKernel::Dot),
                    "({i},{j})"
                );
                assert!((norm[e] as f64 - want[(i, j)]).abs() < 1e-6, "({i},{j})");
            }
        }
    }
}

/// The fused path of `wlgp kernel`: graphs hashed and counted on the device, kept there in
/// several batches, then multiplied there; the raw entries equal the CPU's exactly, and
/// the normalised ones within 1e-6 (f32, values in [0, 1]).
#[test]
fn device_counted_features_give_the_cpus_kernel_matrix() {
    let Some(ctx) = ctx() else { return };
    let archs = mixed_batch();
    let (a, b) = (&archs[..90], &archs[40..]);
    let mut wl_gpu = GpuWl::new(&ctx);
    let mut k_gpu = GpuKernel::new(&ctx);
    for (h, dir) in [
        (2, Direction::Both),
        (3, Direction::In),
        (0, Direction::Out),
    ] {
        let cfg = WlConfig { h, direction: dir };
        let (fa, fb) = (wl::features_batch(a, &cfg), wl::features_batch(b, &cfg));
        for (limit, budget) in [(u64::MAX, u64::MAX), (1_300, 37)] {
            wl_gpu.set_limits(limit, 2);
            k_gpu.set_budget(budget);
            let da = wl_gpu.resident(a, &cfg).unwrap();
            let db = wl_gpu.resident(b, &cfg).unwrap();
            assert_eq!(
                da.len() > 1,
                limit < u64::MAX && h > 0,
                "batches: {}",
                da.len()
            );
            for base in [BaseKernel::Dot, BaseKernel::OptimalAssignment] {
                let rows = 7..83;
                let (raw, norm) = k_gpu.matrix(&da, rows.clone(), &db, base).unwrap();
                let want = kernel::cross(
                    &fa[rows.clone()],
                    &fb,
                    kernel::KernelConfig {
                        base,
                        normalize: true,
                    },
                );
                for (r, i) in rows.clone().enumerate() {
                    for j in 0..fb.len() {
                        let e = r * fb.len() + j;
                        let what = format!("h={h} {dir} {base:?} limit {limit} ({i},{j})");
                        assert_eq!(raw[e], kernel::raw(&fa[i], &fb[j], base), "{what}");
                        assert!((norm[e] as f64 - want[(r, j)]).abs() < 1e-6, "{what}");
                    }
                }
            }
        }
    }
}

/// `Engine::graph_kernel` and `Engine::kernel_rows` give the CPU engine's matrices.
#[test]
fn engine_graph_kernels_and_kernel_rows_equal_the_cpus() {
    use wlgp::gpu::{DeviceChoice, Engine};
    let Some(_) = ctx() else { return };
    let (gpu, cpu) = (Engine::new(DeviceChoice::Gpu).unwrap(), Engine::Cpu);
    let archs = sample(&DartsSpace::default(), 70, 12);
    let cfg = WlConfig {
        h: 2,
        direction: Direction::In,
    };
    // Dot: counts read back and indexed; optimal assignment: features kept on the device.
    for base in [BaseKernel::Dot, BaseKernel::OptimalAssignment] {
        for other in [None, Some(&archs[20..45])] {
            let (raw, norm) = gpu.graph_kernel(&archs, other, &cfg, base).unwrap();
            let (want_raw, want_norm) = cpu.graph_kernel(&archs, other, &cfg, base).unwrap();
            assert_eq!(raw, want_raw, "{base:?}");
            assert!(norm
                .iter()
                .zip(&want_norm)
                .all(|(a, b)| (a - b).abs() < 1e-6));
        }
    }
    let f = wl::features_batch(&archs, &cfg);
    for base in [BaseKernel::Dot, BaseKernel::OptimalAssignment] {
        let mut rows = vec![Vec::new(); 2];
        for (e, out) in [&gpu, &cpu].into_iter().zip(&mut rows) {
            e.kernel_rows(&f, base, 9, |r0, block| {
                assert_eq!(r0 * f.len(), out.len(), "blocks in order");
                out.extend_from_slice(block);
            })
            .unwrap();
        }
        assert_eq!(rows[0].len(), f.len() * f.len());
        assert!(rows[0]
            .iter()
            .zip(&rows[1])
            .all(|(a, b)| (a - b).abs() < 1e-6));
    }
}

#[test]
fn engine_uses_the_gpu_and_reports_it() {
    let Some(_) = ctx() else { return };
    let e = wlgp::gpu::Engine::new(wlgp::gpu::DeviceChoice::Gpu).unwrap();
    assert_ne!(e.name(), "cpu");
    let archs = sample(&DartsSpace::default(), 50, 11);
    let cfg = WlConfig {
        h: 2,
        direction: Direction::In,
    };
    let f = e.features(&archs, &cfg).unwrap();
    assert_eq!(f, wl::features_batch(&archs, &cfg));
    let raw = e.kernel_raw(&f, &f, BaseKernel::Dot).unwrap();
    let cpu = wlgp::gpu::Engine::new(wlgp::gpu::DeviceChoice::Cpu).unwrap();
    assert_eq!(raw, cpu.kernel_raw(&f, &f, BaseKernel::Dot).unwrap());
}

/// The four acquisitions every GPU scorer is checked with.
const ACQUISITIONS: [wlgp::acquisition::Acquisition; 4] = [
    wlgp::acquisition::Acquisition::Ei,
    wlgp::acquisition::Acquisition::Ucb { beta: 2.0 },
    wlgp::acquisition::Acquisition::Pi,
    wlgp::acquisition::Acquisition::Mean,
];

/// For every acquisition, a GPU posterior's top `top` (cells and stream positions) and
/// count of scored candidates equal the CPU weight-space posterior's.
fn assert_same_top_k<S: Sampler>(
    space: &S,
    gp: &wlgp::gp::Gp,
    source: &wlgp::score::Candidates<S::Cell>,
    exclude: &std::collections::HashSet<S::Cell>,
    gpu: wlgp::score::Posterior,
    (top, chunk): (usize, usize),
    what: &str,
) {
    use wlgp::score::{score, Posterior, ScoreConfig};
    let (Posterior::Gpu(ws, _) | Posterior::Device(ws, _)) = gpu else {
        panic!("{what}: not a GPU posterior")
    };
    for acq in ACQUISITIONS {
        let sc = ScoreConfig {
            acquisition: acq,
            top,
            chunk,
            range: None,
        };
        let run = |p| score(space, gp, source, exclude, p, &sc, &|_| {}).unwrap();
        let (a, b) = (run(gpu), run(Posterior::WeightSpace(ws)));
        assert_eq!(a.scored, b.scored, "{what} {acq:?}");
        let cells = |r: &wlgp::score::ScoreResult<S::Cell>| -> Vec<(S::Cell, u64)> {
            r.top.iter().map(|t| (t.cell.clone(), t.index)).collect()
        };
        assert_eq!(cells(&a), cells(&b), "{what} {acq:?}");
    }
}

/// `shaders/score.wgsl` against the f64 weight-space posterior: its std and acquisition
/// are upper bounds within f32 tolerance (stated below) for both variance forms and every
/// acquisition, and the GPU pipeline's top-k (re-scored in f64) equals the CPU's.
#[test]
fn score_shader_matches_cpu_posterior() {
    use std::collections::HashSet;
    use wlgp::acquisition::Acquisition;
    use wlgp::bench_data::dataset;
    use wlgp::gp::{Gp, GpConfig, Transform, WeightSpace};
    use wlgp::gpu::{Batch, GpuScore};
    use wlgp::score::{Candidates, Posterior};
    use wlgp::search::{Objective, TableObjective};
    let Some(ctx) = ctx() else { return };
    let s = Nb201Space::default();
    let mut obj = TableObjective::new(dataset("nb201").unwrap(), "baseline_accuracy").unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let train: Vec<_> = (0..120).map(|_| s.sample(&mut rng)).collect();
    let y: Vec<f64> = train.iter().map(|c| obj.evaluate(&s, c).unwrap()).collect();
    let archs: Vec<_> = train.iter().map(|c| s.lower(c)).collect();
    let cfg = GpConfig {
        transform: Transform::NegLogError { scale: 100.0 },
        ..Default::default()
    };
    let gp = Gp::fit(&archs, &y, &cfg).unwrap();
    let cand = sample(&s, 3_000, 9);
    let feats = wl::features_batch(&cand, &gp.wl_config());
    let best = gp.best_latent();
    for dense in [true, false] {
        let ws = WeightSpace::with_form(&gp, dense).unwrap();
        let gpu = GpuScore::new(&ctx, &ws).unwrap();
        let mut batch = Batch::default();
        for f in &feats {
            let (seen, mean, total) = ws.seen(f);
            batch.push(&seen, mean, total);
        }
        for acq in ACQUISITIONS {
            let got = gpu.finish(gpu.submit(&batch, acq, best).unwrap()).unwrap();
            assert_eq!(got.len(), feats.len());
            // Upper bounds, and tight ones: the std's square within 1e-4 of the prior
            // variance s2 k(x, x) (the quadratic form cancels against it); EI, UCB and the
            // mean within what that std allows (EI and UCB grow by at most 1 and beta per
            // unit of std) plus 1e-4 of the prior std and 1e-3 of the value (the ln-scale
            // slack of acquire_bound is 3e-4 and up); PI within 1e-2 where
            // the std is at least a tenth of the prior's.
            let prior = ws.signal().sqrt();
            for (f, g) in feats.iter().zip(&got) {
                let p = ws.predict(f);
                let sd = g[0] as f64;
                assert!(
                    sd >= p.std && sd * sd - p.std * p.std <= 1e-4 * prior * prior,
                    "dense={dense} {acq:?}: std {sd} vs {}",
                    p.std
                );
                let want = acq.value(p, best);
                let got = match acq {
                    Acquisition::Ei | Acquisition::Pi => (g[1] as f64).exp(),
                    _ => g[1] as f64,
                };
                let tol = match acq {
                    Acquisition::Pi if p.std < 0.1 * prior => f64::INFINITY,
                    Acquisition::Pi => 1e-2,
                    _ => 2.0 * (sd - p.std) + 1e-4 * prior + 1e-3 * want.abs(),
                };
                assert!(
                    got >= want * (1.0 - 1e-12) && got - want <= tol,
                    "dense={dense} {acq:?}: acquisition bound {got} vs {want}"
                );
            }
        }
        let exclude: HashSet<_> = train.iter().cloned().collect();
        let gpu = Posterior::Gpu(&ws, &gpu);
        assert_same_top_k(
            &s,
            &gp,
            &Candidates::All,
            &exclude,
            gpu,
            (25, 5_000),
            &format!("dense={dense}"),
        );
    }
}

/// The assessor's similarity graph from kernel rows on the GPU (f32 normalisation) equals
/// the CPU graph (f64): the same neighbours wherever similarities are not tied within
/// f32 rounding, and weights within 1e-6.
#[test]
fn similarity_graph_on_gpu_matches_cpu() {
    use wlgp::assess::SimilarityGraph;
    use wlgp::gpu::{DeviceChoice, Engine};
    if ctx().is_none() {
        return;
    }
    let archs = sample(&Nb201Space::default(), 500, 11);
    let cfg = WlConfig {
        h: 2,
        direction: Direction::Both,
    };
    let xs = wl::features_batch(&archs, &cfg);
    let gpu = Engine::new(DeviceChoice::Gpu).unwrap();
    let a = SimilarityGraph::knn(&xs, BaseKernel::Dot, 8, &Engine::Cpu).unwrap();
    let b = SimilarityGraph::knn(&xs, BaseKernel::Dot, 8, &gpu).unwrap();
    assert_eq!(a.len(), b.len());
    let mut same = 0;
    for i in 0..a.len() {
        let (na, nb): (Vec<_>, Vec<_>) = (a.neighbours(i).collect(), b.neighbours(i).collect());
        if na.iter().map(|e| e.0).eq(nb.iter().map(|e| e.0)) {
            same += 1;
        }
        for (j, w) in &nb {
            if let Some((_, v)) = na.iter().find(|e| e.0 == *j) {
                assert!((w - v).abs() < 1e-6, "edge {i}-{j}: gpu {w} vs cpu {v}");
            }
        }
    }
    assert!(
        same * 100 >= a.len() * 99,
        "only {same} of {} nodes agree",
        a.len()
    );
}

/// A GP on `n` cells of `space` with NB201's table accuracies (the key ignores the
/// lowering) or, for DARTS, the timing fixtures' synthetic targets; `dense` picks the
/// variance form.
fn device_fit<S: Sampler>(space: &S, n: usize, seed: u64) -> (wlgp::gp::Gp, Vec<S::Cell>) {
    use wlgp::gp::{Gp, GpConfig, Transform};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let cells: Vec<S::Cell> = (0..n).map(|_| space.sample(&mut rng)).collect();
    let table = wlgp::bench_data::dataset("nb201").unwrap();
    let nb = Nb201Space::default();
    let y: Vec<f64> = cells
        .iter()
        .map(|c| {
            let s = space.format(c);
            match nb.parse(&s) {
                Ok(cell) => {
                    let mut obj =
                        wlgp::search::TableObjective::new(table, "baseline_accuracy").unwrap();
                    wlgp::search::Objective::evaluate(&mut obj, &nb, &cell).unwrap()
                }
                Err(_) => {
                    0.9 + 0.003 * s.matches("sep_conv").count() as f64
                        - 0.002 * s.matches("pool").count() as f64
                }
            }
        })
        .collect();
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let cfg = GpConfig {
        transform: Transform::NegLogError { scale: 100.0 },
        ..Default::default()
    };
    (Gp::fit(&archs, &y, &cfg).unwrap(), cells)
}

/// The device pipeline's cells, exclusions, graphs and WL features (with their seen
/// columns) equal the CPU twins' bit for bit: NB201 enumerated and sampled, DARTS sampled,
/// both skip lowerings, every direction, h = 0..=3.
fn check_emitted<S: Sampler>(space: &S, stream: wlgp::gpu::DeviceStream, start: u64, count: usize) {
    use wlgp::gp::WeightSpace;
    use wlgp::gpu::{DevicePipeline, DeviceStream};
    use wlgp::graph::FlatGraph;
    let Some(ctx) = ctx() else { return };
    let (gp, train) = device_fit(space, 60, 3);
    let ws = WeightSpace::new(&gp).unwrap();
    let codes: Vec<[u32; 4]> = train
        .iter()
        .map(|c| space.device_code(c).unwrap())
        .collect();
    let cells: Vec<S::Cell> = (start..start + count as u64)
        .map(|i| match stream {
            DeviceStream::Enumerate => space.enumerate().unwrap()[i as usize].clone(),
            DeviceStream::Counter { seed } => space.sample_at(seed, i).unwrap(),
        })
        .collect();
    let (mut g, mut scratch, mut f) = (
        FlatGraph::default(),
        wl::WlScratch::default(),
        wl::Features::default(),
    );
    for h in 0..=3 {
        for direction in [Direction::In, Direction::Out, Direction::Both] {
            let cfg = WlConfig { h, direction };
            let dev = DevicePipeline::new(&ctx, &ws, space.device_space().unwrap(), cfg).unwrap();
            let got = dev.emit(stream, start, count, &codes).unwrap();
            for (c, e) in cells.iter().zip(&got) {
                assert_eq!(e.code, space.device_code(c).unwrap(), "{c:?}");
                assert_eq!(e.excluded, train.contains(c), "{c:?}");
                space.lower_flat(c, &mut g);
                assert_eq!(e.nodes as usize, g.node_count(), "{c:?}");
                scratch.features_into(&g, &cfg, &mut f);
                let want: Vec<(u64, u32, Option<u32>)> = f
                    .iter()
                    .map(|(l, n)| (l, n, ws.column(l).map(|j| j as u32)))
                    .collect();
                assert_eq!(e.features, want, "{c:?} h={h} {direction:?}");
            }
        }
    }
}

#[test]
fn device_pipeline_builds_the_cpu_cells_and_features() {
    use wlgp::gpu::DeviceStream;
    for skip_as_wire in [true, false] {
        let s = Nb201Space { skip_as_wire };
        check_emitted(&s, DeviceStream::Enumerate, 0, 15_625);
        check_emitted(&s, DeviceStream::Counter { seed: 17 }, 1 << 33, 2_000);
        let d = DartsSpace { skip_as_wire };
        check_emitted(&d, DeviceStream::Counter { seed: 5 }, 0, 3_000);
    }
}

/// The device pipeline's top-k (its shortlist re-scored in f64) equals the CPU
/// pipeline's, with the same count of scored candidates: NB201 enumerated and sampled,
/// DARTS sampled, both skip lowerings, both variance forms, every acquisition.
fn check_device_top_k<S: Sampler>(space: &S, source: wlgp::score::Candidates<S::Cell>, n: usize) {
    use std::collections::HashSet;
    use wlgp::gp::WeightSpace;
    use wlgp::gpu::DevicePipeline;
    use wlgp::score::Posterior;
    let Some(ctx) = ctx() else { return };
    let (gp, train) = device_fit(space, n, 8);
    let exclude: HashSet<S::Cell> = train.iter().cloned().collect();
    for dense in [true, false] {
        let ws = WeightSpace::with_form(&gp, dense).unwrap();
        let dev =
            DevicePipeline::new(&ctx, &ws, space.device_space().unwrap(), gp.wl_config()).unwrap();
        let what = format!("{} dense={dense}", space.name());
        assert_same_top_k(
            space,
            &gp,
            &source,
            &exclude,
            Posterior::Device(&ws, &dev),
            (20, 8_192),
            &what,
        );
    }
}

#[test]
fn device_pipeline_top_k_equals_cpu_pipeline() {
    use wlgp::score::Candidates;
    for skip_as_wire in [true, false] {
        let s = Nb201Space { skip_as_wire };
        check_device_top_k(&s, Candidates::All, 150);
        check_device_top_k(&s, Candidates::Sample { n: 60_000, seed: 3 }, 150);
        let d = DartsSpace { skip_as_wire };
        check_device_top_k(&d, Candidates::Sample { n: 30_000, seed: 4 }, 120);
    }
}

/// The WL mean embeddings of generators hashed on the GPU in one batch equal the CPU's
/// bit for bit (the networks are hundreds to thousands of nodes deep).
#[test]
fn generator_embeddings_on_the_gpu_equal_the_cpus() {
    use wlgp::gpu::{DeviceChoice, Engine};
    use wlgp::space::nago::{embed, Theta};
    if ctx().is_none() {
        return;
    }
    let engine = Engine::new(DeviceChoice::Gpu).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let thetas: Vec<Theta> = (0..6).map(|_| Theta::sample(&mut rng)).collect();
    for (h, direction) in [(1, Direction::In), (2, Direction::Both)] {
        let cfg = WlConfig { h, direction };
        let cpu = embed::embed_all(&thetas, 3, 9, &cfg).unwrap();
        let gpu = embed::embed_all_on(&engine, &thetas, 3, 9, &cfg).unwrap();
        assert_eq!(cpu, gpu, "h={h}");
    }
}
