// Acquisition functions in f32, shared by score.wgsl and pipeline.wgsl (the WGSL half of
// src/acquisition.rs): upper bounds with their rounding error accounted for, so that the
// host can discard a candidate on the device's word and re-score the rest in f64.

// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
fn erf_approx(x: f32) -> f32 {
    let s = sign(x);
    let a = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
    return s * y;
}

fn norm_cdf(z: f32) -> f32 {
    return 0.5 * (1.0 + erf_approx(z * 0.70710678));
}

fn norm_pdf(z: f32) -> f32 {
    return 0.39894228 * exp(-0.5 * z * z);
}

// The acquisition on a scale that keeps tiny values apart: ln for EI and PI (whose tails
// underflow f32 and lose every digit to cancellation in u Φ(u) + φ(u)), the value itself
// for UCB and the mean. pipeline.wgsl compares upper bounds on this scale with the host's
// exact k-th value mapped to it (gpu::pipeline::device_threshold).

// f32's unit roundoff, 2^-24.
const EPS: f32 = 5.9604645e-8;
// Stands for ln 0.
const LN_ZERO: f32 = -3.0e38;

// ln erfcx(z) = ln(e^(z²) erfc(z)) for z >= 0 (Numerical Recipes' erfcc, fractional
// error below 1.2e-7), with no exp(-z²) to underflow.
fn ln_erfcx(z: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.5 * z);
    let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
        + t * 0.17087277))))))));
    return log(t) + p;
}

// ln Φ(u), with relative accuracy in the lower tail.
fn ln_norm_cdf(u: f32) -> f32 {
    let z = abs(u) * 0.70710678;
    let lower = ln_erfcx(z) - z * z - 0.69314718;
    if (u < 0.0) { return lower; }
    return log(1.0 - exp(lower));
}

// ln(u Φ(u) + φ(u)), the expected improvement of a unit-variance normal whose mean is u
// above the incumbent. Below u = -1 it is ln φ(a) + ln(1 - a R(a)), a = -u, R Mills'
// ratio: directly for a < 3, else 1 - a R(a) = c / (a + c) with c = 1 / (a + 2 / (a + 3 /
// (a + ...))) by 12 terms of Laplace's continued fraction. Absolute error in ln below
// 3e-6 on [-150, 20] (the inputs rounded to f32; tests/gpu.rs checks it against f64).
fn ln_tau(u: f32) -> f32 {
    if (u > -1.0) {
        return log(u * norm_cdf(u) + norm_pdf(u));
    }
    let a = -u;
    var w: f32;
    if (a < 3.0) {
        w = 1.0 - a * 1.25331414 * exp(ln_erfcx(a * 0.70710678));
    } else {
        var c = 0.0;
        for (var j = 12.0; j >= 2.0; j -= 1.0) { c = j / (a + c); }
        let c1 = 1.0 / (a + c);
        w = c1 / (a + c1);
    }
    return log(w) - 0.5 * a * a - 0.91893853;
}

// A bound on the rounding error of t², for t a sum of rounded products whose magnitudes
// sum to `tabs`, each within relative error `rel` (doubled for safety).
fn square_error(t: f32, tabs: f32, rel: f32) -> f32 {
    let er = 2.0 * rel * tabs;
    return er * (2.0 * abs(t) + er);
}

// Lower and upper bounds of the std sqrt(signal (total - q)) from the f32 self-kernel
// `total`, the f32 quadratic form `q` and a bound `e` on their rounding errors.
fn sd_bounds(signal: f32, total: f32, q: f32, e: f32) -> vec2<f32> {
    let v = total - q;
    let slack = e + 4.0 * EPS * (total + abs(q));
    let lo = sqrt(max(signal * (v - slack), 0.0)) * (1.0 - 4.0 * EPS);
    let hi = sqrt(max(signal * (v + slack), 0.0)) * (1.0 + 4.0 * EPS);
    return vec2<f32>(lo, hi);
}

// The upper bound of the acquisition on the comparison scale, for a candidate whose mean
// is at most `mean` and whose std lies in [sd_lo, sd_hi]: EI and UCB grow with both, PI
// grows with the std only below the incumbent. The f32 evaluation's own error is added
// (u's rounding moves ln EI and ln PI by about u² EPS).
fn acquire_bound(kind: u32, mean: f32, sd_lo: f32, sd_hi: f32, best: f32, beta: f32) -> f32 {
    let d = mean - best;
    switch kind {
        case 0u: {
            if (sd_hi <= 0.0) {
                if (d <= 0.0) { return LN_ZERO; }
                return log(d) + 3e-4 + 2e-6 * abs(log(d));
            }
            let u = d / sd_hi;
            // Below u = -1000, EI < e^-500000 sd: under any positive f64 threshold.
            if (u < -1000.0) { return LN_ZERO; }
            let l = log(sd_hi) + ln_tau(u);
            return l + 3e-4 + 2e-6 * (abs(l) + u * u);
        }
        case 1u: {
            let s = select(sd_lo, sd_hi, beta >= 0.0);
            let v = mean + beta * s;
            return v + 8.0 * EPS * (abs(mean) + abs(beta * s));
        }
        case 2u: {
            let s = select(sd_hi, sd_lo, d >= 0.0);
            if (s <= 0.0) { return select(LN_ZERO, 0.0, d >= 0.0); }
            let u = d / s;
            if (u < -1000.0) { return LN_ZERO; }
            let l = ln_norm_cdf(u);
            return l + 3e-4 + 2e-6 * (abs(l) + u * u);
        }
        default: { return mean + 4.0 * EPS * abs(mean); }
    }
}
