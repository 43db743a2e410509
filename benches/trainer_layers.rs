//! One 3×3 convolution's forward and backward pass (output, weight and input
//! gradients) on a batch of 128 8×8 maps, hand-written (`wlgp::trainer::layers`: tap by
//! tap on rows for few channels, im2col + GEMM above) against candle's CPU conv2d with
//! autodiff, at the channel counts NAGO's networks have. Before timing, both are checked
//! to give the same output and gradients (to 1e-3 relative).

use candle_core::{Device, Tensor, Var};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use wlgp::trainer::layers::{self, Shape};

const B: usize = 128;
const R: usize = 8;

fn ramp(n: usize, k: f32) -> Vec<f32> {
    (0..n).map(|i| (i as f32 * k).sin()).collect()
}

/// Hand-written: output, weight gradient and input gradient.
fn ours(x: &[f32], w: &[f32], dz: &[f32], c: usize, cols: &mut Vec<f32>) -> [Vec<f32>; 3] {
    let s = Shape { c, b: B, r: R };
    let (p, kk) = (s.plane(), c * 9);
    let mut z = vec![0.0; c * p];
    let (mut dw, mut dx) = (vec![0.0; w.len()], vec![0.0; x.len()]);
    if layers::prefers_direct(c, c) {
        layers::conv_direct(x, s, 3, w, c, &mut z);
        layers::conv_direct_backward(x, s, 3, w, dz, &mut dw, &mut dx);
    } else {
        layers::im2col(x, s, 3, cols);
        layers::gemm((c, kk, p), w, false, cols, false, 0.0, &mut z);
        layers::gemm((c, p, kk), dz, false, cols, true, 1.0, &mut dw);
        let mut dcols = vec![0.0; kk * p];
        layers::gemm((kk, c, p), w, true, dz, false, 0.0, &mut dcols);
        layers::col2im(&dcols, s, 3, &mut dx);
    }
    [z, dw, dx]
}

/// candle: the same pass, tensors in its `[image][channel][row][column]` layout.
fn theirs(x: &Tensor, w: &Var, dz: &Tensor) -> [Tensor; 3] {
    let xv = Var::from_tensor(x).expect("var");
    let z = xv.conv2d(w.as_tensor(), 1, 1, 1, 1).expect("conv2d");
    let grads = (&z * dz)
        .and_then(|t| t.sum_all())
        .and_then(|l| l.backward())
        .expect("grad");
    let dw = grads.get(w.as_tensor()).expect("dw").clone();
    let dx = grads.get(xv.as_tensor()).expect("dx").clone();
    [z, dw, dx]
}

/// `[channel][row][column][image]` → `[image][channel][row][column]`.
fn to_nchw(v: &[f32], c: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for ch in 0..c {
        for q in 0..R * R {
            for img in 0..B {
                out[(img * c + ch) * R * R + q] = v[(ch * R * R + q) * B + img];
            }
        }
    }
    out
}

fn close(a: &[f32], b: &[f32]) -> bool {
    let scale = b.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-3 * scale)
}

fn bench(crit: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = crit.benchmark_group("conv3x3-fwd-bwd-b128-8x8");
    g.sample_size(20);
    for c in [2usize, 8, 32] {
        let (x, w, dz) = (
            ramp(c * B * R * R, 0.37),
            ramp(c * c * 9, 0.71),
            ramp(c * B * R * R, 0.13),
        );
        let shape = (B, c, R, R);
        let tx = Tensor::from_vec(to_nchw(&x, c), shape, &dev).expect("x");
        let tdz = Tensor::from_vec(to_nchw(&dz, c), shape, &dev).expect("dz");
        let tw = Var::from_tensor(&Tensor::from_vec(w.clone(), (c, c, 3, 3), &dev).expect("w"))
            .expect("var");
        let mut cols = Vec::new();
        let [z, dw, dx] = ours(&x, &w, &dz, c, &mut cols);
        let [tz, tdw, tdx] = theirs(&tx, &tw, &tdz);
        let flat = |t: &Tensor| {
            t.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .expect("vec")
        };
        assert!(
            close(&to_nchw(&z, c), &flat(&tz)),
            "output differs at {c} channels"
        );
        assert!(
            close(&dw, &flat(&tdw)),
            "weight gradient differs at {c} channels"
        );
        assert!(
            close(&to_nchw(&dx, c), &flat(&tdx)),
            "input gradient differs at {c} channels"
        );
        g.bench_with_input(BenchmarkId::new("hand-written", c), &c, |b, &c| {
            b.iter(|| ours(&x, &w, &dz, c, &mut cols))
        });
        g.bench_with_input(BenchmarkId::new("candle", c), &c, |b, _| {
            b.iter(|| theirs(&tx, &tw, &tdz))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
