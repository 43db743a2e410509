// Acquisition functions in f32, shared by score.wgsl and pipeline.wgsl (the WGSL half of
// src/acquisition.rs; the CPU re-scores every shortlist in f64).

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

// kind 0: expected improvement, 1: UCB (weight beta), 2: probability of improvement,
// 3: the mean; `best` is the incumbent in the latent scale.
fn acquire(kind: u32, mean: f32, sd: f32, best: f32, beta: f32) -> f32 {
    let d = mean - best;
    switch kind {
        case 0u: {
            if (sd <= 0.0) { return max(d, 0.0); }
            let u = d / sd;
            return sd * (u * norm_cdf(u) + norm_pdf(u));
        }
        case 1u: { return mean + beta * sd; }
        case 2u: {
            if (sd <= 0.0) { return select(0.0, 1.0, d > 0.0); }
            return norm_cdf(d / sd);
        }
        default: { return mean; }
    }
}
