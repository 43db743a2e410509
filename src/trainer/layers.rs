//! The few layers the built-in trainer's networks are made of, forward and backward, on
//! f32 tensors laid out `[channel][row][column][image]`: batch norm works on one
//! contiguous row a channel, and because the image index is innermost, every shift of a
//! convolution's tap moves whole runs of `width × images` values at once, so a tap is
//! a few long vector loops (row by row, or into an im2col matrix for a GEMM). Hand-written because
//! an eager autodiff library pays its per-operation overhead thousands of times per step
//! on networks of hundreds of tiny convolutions (docs/nago.md has the measurement).

/// `c = op(a) · op(b) + beta · c` for row-major matrices: `op(a)` is m × k, `op(b)` is
/// k × n; `ta`/`tb` say that `a`/`b` are stored transposed (k × m, n × k).
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the asserts above keep every index inside the slices for these strides.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The shape of a batch of feature maps: channels, images, side of the square map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Channels.
    pub c: usize,
    /// Images in the batch.
    pub b: usize,
    /// Height and width.
    pub r: usize,
}

impl Shape {
    /// Values per channel (images × pixels).
    pub fn plane(&self) -> usize {
        self.b * self.r * self.r
    }
    /// Values in the whole tensor.
    pub fn len(&self) -> usize {
        self.c * self.plane()
    }
    /// Whether the tensor is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// For a tap at offset `d` (0..k) of a k×k kernel dilated by `dil` on a side-`r` map:
/// the output positions `lo..hi` that read inside the map, and the input position of
/// `lo` (the tap reads `(d - k/2)·dil` away).
fn tap_range(d: usize, k: usize, dil: usize, r: usize) -> (usize, usize, usize) {
    let off = (d as isize - (k / 2) as isize) * dil as isize;
    let r = r as isize;
    let lo = (-off).clamp(0, r);
    let hi = (r - off).clamp(lo, r);
    (lo as usize, hi as usize, (lo + off).max(0) as usize)
}

/// The im2col matrix of a k×k (k odd), stride-1, zero-padded convolution: row
/// `ci·k² + ky·k + kx` holds input channel `ci` shifted by `(ky - k/2, kx - k/2)` at
/// every output position. For k = 1 the matrix is the input itself.
pub fn im2col(x: &[f32], s: Shape, k: usize, cols: &mut Vec<f32>) {
    let (p, kk) = (s.plane(), k * k);
    cols.clear();
    if k == 1 {
        cols.extend_from_slice(&x[..s.len()]);
        return;
    }
    cols.resize(s.c * kk * p, 0.0);
    for ci in 0..s.c {
        let src = &x[ci * p..][..p];
        tap_runs(s, k, |t, o_at, i_at, n| {
            cols[(ci * kk + t) * p + o_at..][..n].copy_from_slice(&src[i_at..][..n]);
        });
    }
}

/// The adjoint of [`im2col`]: adds every column entry back to the input position it
/// was read from.
pub fn col2im(cols: &[f32], s: Shape, k: usize, dx: &mut [f32]) {
    let (p, kk) = (s.plane(), k * k);
    if k == 1 {
        axpy(dx, 1.0, cols);
        return;
    }
    for ci in 0..s.c {
        let dst = &mut dx[ci * p..][..p];
        tap_runs(s, k, |t, o_at, i_at, n| {
            axpy(
                &mut dst[i_at..][..n],
                1.0,
                &cols[(ci * kk + t) * p + o_at..][..n],
            );
        });
    }
}

/// Calls `f(tap, out_at, in_at, len)` for every run of `len` values (within a channel's
/// plane) that tap `tap` of a k×k stride-1 zero-padded convolution reads at `in_at` for
/// the outputs at `out_at`: one run per output row, `width × images` values long.
fn tap_runs(s: Shape, k: usize, f: impl FnMut(usize, usize, usize, usize)) {
    tap_runs_dilated(s, k, 1, f)
}

/// [`tap_runs`] for a kernel dilated by `dil` (padding `dil · (k/2)`, so the side stays).
fn tap_runs_dilated(s: Shape, k: usize, dil: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
    let (r, b) = (s.r, s.b);
    for t in 0..k * k {
        let (ylo, yhi, sy0) = tap_range(t / k, k, dil, r);
        let (xlo, xhi, sx0) = tap_range(t % k, k, dil, r);
        let w = (xhi - xlo) * b;
        if w == 0 {
            continue;
        }
        for (y, sy) in (ylo..yhi).zip(sy0..) {
            f(t, (y * r + xlo) * b, (sy * r + sx0) * b, w);
        }
    }
}

/// A depthwise k×k convolution dilated by `dil` (stride 1, padding `dil · (k/2)`): each
/// channel convolved with its own kernel (`w`: `[channel][k·k]`), the first half of the
/// separable and dilated convolutions of DARTS.
pub fn depthwise(x: &[f32], s: Shape, k: usize, dil: usize, w: &[f32]) -> Vec<f32> {
    let (p, kk) = (s.plane(), k * k);
    let mut z = vec![0.0; s.len()];
    for (ch, (xc, zc)) in x.chunks_exact(p).zip(z.chunks_exact_mut(p)).enumerate() {
        tap_runs_dilated(s, k, dil, |t, o_at, i_at, n| {
            axpy(&mut zc[o_at..][..n], w[ch * kk + t], &xc[i_at..][..n]);
        });
    }
    z
}

/// The backward pass of [`depthwise`]: adds the kernels' gradient to `dw` and the
/// input's to `dx`, given the output's gradient `dz`.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_backward(
    x: &[f32],
    s: Shape,
    k: usize,
    dil: usize,
    w: &[f32],
    dz: &[f32],
    dw: &mut [f32],
    dx: &mut [f32],
) {
    let (p, kk) = (s.plane(), k * k);
    for ch in 0..s.c {
        let (xc, dc) = (&x[ch * p..][..p], &dz[ch * p..][..p]);
        let dxc = &mut dx[ch * p..][..p];
        tap_runs_dilated(s, k, dil, |t, o_at, i_at, n| {
            dw[ch * kk + t] += dot_f32(&dc[o_at..][..n], &xc[i_at..][..n]);
            axpy(&mut dxc[i_at..][..n], w[ch * kk + t], &dc[o_at..][..n]);
        });
    }
}

/// Whether a convolution of `ci` to `co` channels with a k×k kernel runs faster as
/// shifted row updates ([`conv_direct`]) than as im2col + GEMM: with few channels the
/// GEMM's packing and the column matrix cost more than the arithmetic they organise
/// (measured in docs/nago.md).
pub fn prefers_direct(ci: usize, co: usize) -> bool {
    ci * co <= DIRECT_MAX_CHANNEL_PAIRS
}

/// The most input × output channel pairs for which [`prefers_direct`] says yes.
pub const DIRECT_MAX_CHANNEL_PAIRS: usize = 64;

/// `z = conv(x, w)` for a k×k stride-1 zero-padded convolution computed tap by tap on
/// rows (`w`: `[co][ci][k·k]`, `z`: `co` rows of `s.plane()`), without a column matrix.
pub fn conv_direct(x: &[f32], s: Shape, k: usize, w: &[f32], co: usize, z: &mut [f32]) {
    let (p, kk) = (s.plane(), k * k);
    z[..co * p].fill(0.0);
    for ci in 0..s.c {
        let xc = &x[ci * p..][..p];
        tap_runs(s, k, |t, o_at, i_at, n| {
            let src = &xc[i_at..][..n];
            for o in 0..co {
                let wv = w[(o * s.c + ci) * kk + t];
                axpy(&mut z[o * p + o_at..][..n], wv, src);
            }
        });
    }
}

/// The backward pass of [`conv_direct`]: adds the weights' gradient to `dw` and the
/// input's to `dx`, given the output's gradient `dz`.
pub fn conv_direct_backward(
    x: &[f32],
    s: Shape,
    k: usize,
    w: &[f32],
    dz: &[f32],
    dw: &mut [f32],
    dx: &mut [f32],
) {
    let (p, kk) = (s.plane(), k * k);
    let co = dz.len() / p;
    for ci in 0..s.c {
        let xc = &x[ci * p..][..p];
        let mut dxc = vec![0.0; p];
        let mut acc = vec![0.0f32; co * kk];
        tap_runs(s, k, |t, o_at, i_at, n| {
            let src = &xc[i_at..][..n];
            let dst = &mut dxc[i_at..][..n];
            for o in 0..co {
                let d = &dz[o * p + o_at..][..n];
                acc[o * kk + t] += dot_f32(d, src);
                axpy(dst, w[(o * s.c + ci) * kk + t], d);
            }
        });
        axpy(&mut dx[ci * p..][..p], 1.0, &dxc);
        for o in 0..co {
            axpy(
                &mut dw[(o * s.c + ci) * kk..][..kk],
                1.0,
                &acc[o * kk..][..kk],
            );
        }
    }
}

/// Positions a 3×3 window centred on each pixel of a side-`r` map covers inside the
/// map (`[row][column]`): the divisor of average pooling that leaves padding out.
fn window_counts(r: usize) -> Vec<f32> {
    let n = |p: usize| (p.saturating_sub(1)..(p + 2).min(r)).len() as f32;
    (0..r * r).map(|q| n(q / r) * n(q % r)).collect()
}

/// 3×3, stride-1 pooling with padding 1 that keeps the shape: the maximum (NaN wins, so
/// a diverged input is seen) or the average over the window's positions inside the map
/// (`count_include_pad=False`, as NAS-Bench-201 and DARTS pool).
pub fn pool3(x: &[f32], s: Shape, max: bool) -> Vec<f32> {
    let (p, b) = (s.plane(), s.b);
    let mut out = vec![if max { f32::NEG_INFINITY } else { 0.0 }; s.len()];
    let counts = window_counts(s.r);
    for (src, o) in x.chunks_exact(p).zip(out.chunks_exact_mut(p)) {
        tap_runs(s, 3, |_, o_at, i_at, n| {
            let (dst, v) = (&mut o[o_at..][..n], &src[i_at..][..n]);
            if max {
                for (a, &x) in dst.iter_mut().zip(v) {
                    if x > *a || x.is_nan() {
                        *a = x;
                    }
                }
            } else {
                axpy(dst, 1.0, v);
            }
        });
        if !max {
            for (q, c) in counts.iter().enumerate() {
                o[q * b..][..b].iter_mut().for_each(|v| *v /= c);
            }
        }
    }
    out
}

/// The backward pass of [`pool3`] (`x` its input, `y` its output, `d` the output's
/// gradient): adds the input's gradient to `dx`. A maximum's gradient goes to the first
/// window position (in tap order) that holds it.
pub fn pool3_backward(x: &[f32], y: &[f32], d: &[f32], s: Shape, max: bool, dx: &mut [f32]) {
    let (p, b) = (s.plane(), s.b);
    let counts = window_counts(s.r);
    for ch in 0..s.c {
        let at = ch * p;
        let (xc, yc) = (&x[at..][..p], &y[at..][..p]);
        let mut dc = d[at..][..p].to_vec();
        if !max {
            for (q, c) in counts.iter().enumerate() {
                dc[q * b..][..b].iter_mut().for_each(|v| *v /= c);
            }
        }
        let mut taken = vec![false; if max { p } else { 0 }];
        let dxc = &mut dx[at..][..p];
        tap_runs(s, 3, |_, o_at, i_at, n| {
            if !max {
                return axpy(&mut dxc[i_at..][..n], 1.0, &dc[o_at..][..n]);
            }
            for j in 0..n {
                let (o, i) = (o_at + j, i_at + j);
                if !taken[o] && xc[i] == yc[o] {
                    taken[o] = true;
                    dxc[i] += dc[o];
                }
            }
        });
    }
}

/// Average pooling by an integer factor `f` (non-overlapping f×f blocks): what
/// PyTorch's `adaptive_avg_pool2d` does when the sides divide, as NAGO's cells use to
/// bring an input down to their resolution. `s` is the input's shape.
pub fn pool_down(x: &[f32], s: Shape, f: usize) -> Vec<f32> {
    let (r, h, b) = (s.r, s.r / f, s.b);
    let scale = 1.0 / (f * f) as f32;
    let mut out = vec![0.0; s.c * b * h * h];
    for (src, o) in x
        .chunks_exact(s.plane())
        .zip(out.chunks_exact_mut(b * h * h))
    {
        for y in 0..r {
            for xx in 0..r {
                let at = ((y / f) * h + xx / f) * b;
                axpy(&mut o[at..][..b], scale, &src[(y * r + xx) * b..][..b]);
            }
        }
    }
    out
}

/// The adjoint of [`pool_down`]: spreads each pooled gradient evenly over its block and
/// adds it to `dx` (shape `s`, the input's).
pub fn pool_down_backward(d: &[f32], s: Shape, f: usize, dx: &mut [f32]) {
    let (r, h, b) = (s.r, s.r / f, s.b);
    let scale = 1.0 / (f * f) as f32;
    for (dst, di) in dx
        .chunks_exact_mut(s.plane())
        .zip(d.chunks_exact(b * h * h))
    {
        for y in 0..r {
            for xx in 0..r {
                let at = ((y / f) * h + xx / f) * b;
                axpy(&mut dst[(y * r + xx) * b..][..b], scale, &di[at..][..b]);
            }
        }
    }
}

/// What batch norm's backward pass needs from its forward pass.
#[derive(Clone, Debug, Default)]
pub struct BnCache {
    /// The normalised input.
    pub xhat: Vec<f32>,
    /// 1 / standard deviation, per channel.
    pub inv_std: Vec<f32>,
}

/// Batch norm's numerical floor on the variance.
pub const BN_EPS: f32 = 1e-5;
/// Weight of the newest batch in the running statistics during training.
pub const BN_MOMENTUM: f32 = 0.1;

/// Batch norm of `z` (one row a channel) in place: with batch statistics when
/// `momentum` is given (moving the running `stats`, means then variances, that far
/// towards the batch's), else with the running ones.
pub fn bn_forward(
    z: &mut [f32],
    c: usize,
    gamma_beta: &[f32],
    stats: &mut [f32],
    momentum: Option<f32>,
) -> BnCache {
    let train = momentum.is_some();
    let m_ = momentum.unwrap_or(0.0);
    let p = z.len() / c;
    let mut cache = BnCache {
        xhat: Vec::with_capacity(if train { z.len() } else { 0 }),
        inv_std: vec![0.0; c],
    };
    for (ch, row) in z.chunks_exact_mut(p).enumerate() {
        let (mean, var) = if train {
            let m = row.iter().map(|&v| v as f64).sum::<f64>() / p as f64;
            let v = row.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / p as f64;
            let unbiased = v * p as f64 / (p.max(2) - 1) as f64;
            stats[ch] = (1.0 - m_) * stats[ch] + m_ * m as f32;
            stats[c + ch] = (1.0 - m_) * stats[c + ch] + m_ * unbiased as f32;
            (m as f32, v as f32)
        } else {
            (stats[ch], stats[c + ch])
        };
        let inv = 1.0 / (var + BN_EPS).sqrt();
        cache.inv_std[ch] = inv;
        let (g, b) = (gamma_beta[ch], gamma_beta[c + ch]);
        for v in row.iter_mut() {
            let xh = (*v - mean) * inv;
            if train {
                cache.xhat.push(xh);
            }
            *v = g * xh + b;
        }
    }
    cache
}

/// Batch norm's backward pass: `dy` becomes the input's gradient in place, and the
/// gradients of γ and β are added to `dgamma_beta`.
pub fn bn_backward(
    dy: &mut [f32],
    c: usize,
    gamma_beta: &[f32],
    cache: &BnCache,
    dgamma_beta: &mut [f32],
) {
    let p = dy.len() / c;
    for (ch, row) in dy.chunks_exact_mut(p).enumerate() {
        let xh = &cache.xhat[ch * p..][..p];
        let (mut dg, mut db) = (0f64, 0f64);
        for (d, x) in row.iter().zip(xh) {
            dg += (*d * *x) as f64;
            db += *d as f64;
        }
        dgamma_beta[ch] += dg as f32;
        dgamma_beta[c + ch] += db as f32;
        let k = gamma_beta[ch] * cache.inv_std[ch] / p as f32;
        let (dg, db) = (dg as f32, db as f32);
        for (d, x) in row.iter_mut().zip(xh) {
            *d = k * (p as f32 * *d - db - x * dg);
        }
    }
}

/// `acc += w · x`.
pub fn axpy(acc: &mut [f32], w: f32, x: &[f32]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a += w * v;
    }
}

/// The inner product of two short runs in f32, with sixteen partial sums so that it
/// vectorises (a plain iterator sum may not be reordered by the compiler).
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The inner product of two tensors, accumulated in f64.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64) * (*y as f64))
        .sum::<f64>() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct 3×3 convolution, to check im2col + GEMM against.
    fn direct_conv(x: &[f32], s: Shape, w: &[f32], co: usize) -> Vec<f32> {
        let (r, p) = (s.r as isize, s.plane());
        let mut out = vec![0.0; co * p];
        for o in 0..co {
            for b in 0..s.b {
                for y in 0..r {
                    for xx in 0..r {
                        let mut acc = 0.0;
                        for ci in 0..s.c {
                            for k in 0..9isize {
                                let (sy, sx) = (y + k / 3 - 1, xx + k % 3 - 1);
                                if sy >= 0 && sy < r && sx >= 0 && sx < r {
                                    let xi = ci * p + (sy * r + sx) as usize * s.b + b;
                                    acc += w[o * s.c * 9 + ci * 9 + k as usize] * x[xi];
                                }
                            }
                        }
                        out[o * p + (y * r + xx) as usize * s.b + b] = acc;
                    }
                }
            }
        }
        out
    }

    fn ramp(n: usize, k: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * k).sin() * 3.0).round() / 4.0)
            .collect()
    }

    #[test]
    fn im2col_gemm_is_the_direct_convolution_and_col2im_its_adjoint() {
        let s = Shape { c: 3, b: 2, r: 4 };
        let (x, w) = (ramp(s.len(), 0.7), ramp(2 * 27, 1.3));
        let mut cols = Vec::new();
        im2col(&x, s, 3, &mut cols);
        let mut out = vec![0.0; 2 * s.plane()];
        gemm((2, 27, s.plane()), &w, false, &cols, false, 0.0, &mut out);
        assert_eq!(out, direct_conv(&x, s, &w, 2));
        // <im2col(x), c> = <x, col2im(c)> for any c.
        let c = ramp(cols.len(), 0.31);
        let mut back = vec![0.0; s.len()];
        col2im(&c, s, 3, &mut back);
        assert!((dot(&cols, &c) - dot(&x, &back)).abs() < 1e-3);
    }

    #[test]
    fn the_direct_convolution_equals_im2col_gemm_forward_and_backward() {
        for (k, ci, co) in [(3, 2, 3), (5, 1, 2), (1, 3, 2)] {
            let s = Shape { c: ci, b: 2, r: 4 };
            let (x, w) = (ramp(s.len(), 0.7), ramp(co * ci * k * k, 1.3));
            let mut z = vec![9.0; co * s.plane()];
            conv_direct(&x, s, k, &w, co, &mut z);
            let mut cols = Vec::new();
            im2col(&x, s, k, &mut cols);
            let mut want = vec![0.0; co * s.plane()];
            gemm(
                (co, ci * k * k, s.plane()),
                &w,
                false,
                &cols,
                false,
                0.0,
                &mut want,
            );
            assert!(z.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-4));
            // Backward against the GEMM forms of the same gradients.
            let dz = ramp(z.len(), 0.23);
            let (mut dw, mut dx) = (vec![0.5; w.len()], vec![0.5; s.len()]);
            conv_direct_backward(&x, s, k, &w, &dz, &mut dw, &mut dx);
            let mut dw2 = vec![0.5; w.len()];
            gemm(
                (co, s.plane(), ci * k * k),
                &dz,
                false,
                &cols,
                true,
                1.0,
                &mut dw2,
            );
            let mut dcols = vec![0.0; cols.len()];
            gemm(
                (ci * k * k, co, s.plane()),
                &w,
                true,
                &dz,
                false,
                0.0,
                &mut dcols,
            );
            let mut dx2 = vec![0.5; s.len()];
            col2im(&dcols, s, k, &mut dx2);
            assert!(dw.iter().zip(&dw2).all(|(a, b)| (a - b).abs() < 1e-3));
            assert!(dx.iter().zip(&dx2).all(|(a, b)| (a - b).abs() < 1e-4));
        }
    }

    #[test]
    fn depthwise_dilated_convolution_and_its_backward() {
        let s = Shape { c: 3, b: 2, r: 5 };
        let x = ramp(s.len(), 0.37);
        for (k, dil) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
            let w = ramp(s.c * k * k, 0.53);
            let z = depthwise(&x, s, k, dil, &w);
            // Against the definition, index by index.
            let at = |c: usize, y: usize, xx: usize, i: usize| ((c * 5 + y) * 5 + xx) * 2 + i;
            let h = (k / 2) as isize;
            for (c, y, xx, i) in [(0, 0, 0, 0), (1, 2, 3, 1), (2, 4, 1, 0), (2, 1, 4, 1)] {
                let mut want = 0.0;
                for t in 0..k * k {
                    let sy = y as isize + (t / k) as isize * dil as isize - h * dil as isize;
                    let sx = xx as isize + (t % k) as isize * dil as isize - h * dil as isize;
                    if (0..5).contains(&sy) && (0..5).contains(&sx) {
                        want += w[c * k * k + t] * x[at(c, sy as usize, sx as usize, i)];
                    }
                }
                assert!((z[at(c, y, xx, i)] - want).abs() < 1e-5, "k {k} dil {dil}");
            }
            // The convolution is bilinear, so its backward pass is its adjoint in x and w.
            let d = ramp(z.len(), 0.71);
            let (mut dw, mut dx) = (vec![0.0; w.len()], vec![0.0; x.len()]);
            depthwise_backward(&x, s, k, dil, &w, &d, &mut dw, &mut dx);
            let f = dot(&z, &d);
            assert!((dot(&x, &dx) - f).abs() < 1e-3 * f.abs().max(1.0));
            assert!((dot(&w, &dw) - f).abs() < 1e-3 * f.abs().max(1.0));
        }
    }

    #[test]
    fn three_by_three_pooling_and_its_backward() {
        let s = Shape { c: 2, b: 3, r: 4 };
        // Distinct values (37 is prime to the length), so a window's maximum is unique
        // and central differences see its gradient.
        let x: Vec<f32> = (0..s.len())
            .map(|i| (i * 37 % s.len()) as f32 / 8.0)
            .collect();
        let at = |c: usize, y: usize, xx: usize| (c * 16 + y * 4 + xx) * 3;
        for max in [false, true] {
            let y = pool3(&x, s, max);
            // The corner's window is 2×2 inside the map; an inner pixel's 3×3.
            let corner = [at(1, 0, 0), at(1, 0, 1), at(1, 1, 0), at(1, 1, 1)].map(|i| x[i]);
            let inner: Vec<f32> = (0..9).map(|t| x[at(1, t / 3, 1 + t % 3)]).collect();
            let (want_c, want_i) = if max {
                let m = |v: &[f32]| v.iter().copied().fold(f32::MIN, f32::max);
                (m(&corner), m(&inner))
            } else {
                (
                    corner.iter().sum::<f32>() / 4.0,
                    inner.iter().sum::<f32>() / 9.0,
                )
            };
            assert!((y[at(1, 0, 0)] - want_c).abs() < 1e-6);
            assert!((y[at(1, 1, 2)] - want_i).abs() < 1e-6);
            // The backward pass against central differences of <pool3(x), d>.
            let d = ramp(y.len(), 0.29);
            let mut dx = vec![0.0; s.len()];
            pool3_backward(&x, &y, &d, s, max, &mut dx);
            for i in (0..s.len()).step_by(5) {
                let f = |v: f32| {
                    let mut x2 = x.clone();
                    x2[i] = v;
                    dot(&pool3(&x2, s, max), &d)
                };
                let fd = (f(x[i] + 1e-3) - f(x[i] - 1e-3)) / 2e-3;
                assert!(
                    (fd - dx[i]).abs() < 1e-2,
                    "max {max}, {i}: {fd} vs {}",
                    dx[i]
                );
            }
        }
        let mut nan = x.clone();
        nan[0] = f32::NAN;
        assert!(pool3(&nan, s, true)[0].is_nan());
    }

    #[test]
    fn pooling_down_averages_blocks_and_its_backward_is_the_adjoint() {
        let s = Shape { c: 2, b: 3, r: 8 };
        let x = ramp(s.len(), 0.53);
        for f in [2, 4] {
            let y = pool_down(&x, s, f);
            assert_eq!(y.len(), s.len() / (f * f));
            let block: f32 = (0..f * f)
                .map(|i| x[((i / f) * 8 + i % f) * 3])
                .sum::<f32>()
                / (f * f) as f32;
            assert!((y[0] - block).abs() < 1e-6);
            let d = ramp(y.len(), 0.29);
            let mut back = vec![0.0; s.len()];
            pool_down_backward(&d, s, f, &mut back);
            assert!((dot(&y, &d) - dot(&x, &back)).abs() < 1e-3);
        }
    }

    #[test]
    fn five_by_five_and_one_by_one_columns_are_their_convolutions() {
        let s = Shape { c: 2, b: 1, r: 5 };
        let x = ramp(s.len(), 0.41);
        let mut cols = Vec::new();
        im2col(&x, s, 1, &mut cols);
        assert_eq!(cols, x);
        im2col(&x, s, 5, &mut cols);
        // The centre tap (ky = kx = 2) of channel 1 is channel 1 itself.
        assert_eq!(&cols[(25 + 12) * 25..][..25], &x[25..50]);
        let c = ramp(cols.len(), 0.17);
        let mut back = vec![0.0; s.len()];
        col2im(&c, s, 5, &mut back);
        assert!((dot(&cols, &c) - dot(&x, &back)).abs() < 1e-3);
    }

    #[test]
    fn batch_norm_backward_matches_finite_differences() {
        let c = 2;
        let z0 = ramp(2 * 12, 0.9);
        let gb = vec![1.5, 0.7, 0.1, -0.2];
        let upstream = ramp(z0.len(), 0.37);
        let loss = |z: &[f32]| {
            let mut z = z.to_vec();
            bn_forward(&mut z, c, &gb, &mut [0.0; 4], Some(BN_MOMENTUM));
            dot(&z, &upstream)
        };
        let mut z = z0.clone();
        let cache = bn_forward(&mut z, c, &gb, &mut [0.0; 4], Some(BN_MOMENTUM));
        let mut d = upstream.clone();
        let mut dgb = vec![0.0; 4];
        bn_backward(&mut d, c, &gb, &cache, &mut dgb);
        for i in 0..z0.len() {
            let (mut hi, mut lo) = (z0.clone(), z0.clone());
            hi[i] += 1e-2;
            lo[i] -= 1e-2;
            let fd = (loss(&hi) - loss(&lo)) / 2e-2;
            assert!((fd - d[i]).abs() < 2e-2, "{i}: {fd} vs {}", d[i]);
        }
    }
}
