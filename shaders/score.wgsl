// Candidate scoring in weight space (DESIGN.md §4), one thread per candidate: the
// posterior variance's quadratic form over the candidate's seen features, then the
// acquisition value. The exact mean, the candidate's self-kernel and its seen-feature
// list are prepared on the CPU (a hash lookup per label); everything here is f32, and the
// CPU re-scores the shortlist it keeps in f64.

struct Params {
    // Candidates in this dispatch.
    count: u32,
    // Dense form: |S| (M is |S| x |S|). Factor form: n, the rows of B (n x |S|).
    dim: u32,
    // 0: dense M = B'B, q = v' M v. 1: factor B, q = |B v|^2.
    form: u32,
    // 0: expected improvement, 1: UCB, 2: probability of improvement, 3: mean.
    acquisition: u32,
    // UCB's exploration weight.
    beta: f32,
    // Incumbent (best training target) in the latent scale.
    best: f32,
    // Signal variance s2: var = s2 * (k(x, x) - q).
    signal: f32,
    pad: u32,
}

// binding 0: the dispatch's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: CSR offsets into `index`/`value`, count + 1 entries.
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
// binding 2: each candidate's seen features as columns of M or B.
@group(0) @binding(2) var<storage, read> index: array<u32>;
// binding 3: the matching feature values (counts, scaled when the kernel is normalised).
@group(0) @binding(3) var<storage, read> value: array<f32>;
// binding 4: per candidate (posterior mean, self-kernel k(x, x)), from the CPU.
@group(0) @binding(4) var<storage, read> moments: array<vec2<f32>>;
// binding 5: the quadratic form, column-major: M (dim x dim) or B (dim x |S|).
@group(0) @binding(5) var<storage, read> quad: array<f32>;
// binding 6: per candidate (posterior std, acquisition value).
@group(0) @binding(6) var<storage, read_write> scores: array<vec2<f32>>;

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

fn acquisition(mean: f32, sd: f32) -> f32 {
    let d = mean - params.best;
    switch params.acquisition {
        case 0u: {
            if (sd <= 0.0) { return max(d, 0.0); }
            let u = d / sd;
            return sd * (u * norm_cdf(u) + norm_pdf(u));
        }
        case 1u: { return mean + params.beta * sd; }
        case 2u: {
            if (sd <= 0.0) { return select(0.0, 1.0, d > 0.0); }
            return norm_cdf(d / sd);
        }
        default: { return mean; }
    }
}

@compute @workgroup_size(64)
fn score_entry(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>) {
    // 2-D dispatch when the candidates exceed one dimension's workgroup limit.
    let c = gid.x + gid.y * nwg.x * 64u;
    if (c >= params.count) { return; }
    let lo = offsets[c];
    let hi = offsets[c + 1u];
    let dim = params.dim;
    var q = 0.0;
    if (params.form == 0u) {
        for (var a = lo; a < hi; a++) {
            let col = index[a] * dim;
            var t = 0.0;
            for (var b = lo; b < hi; b++) {
                t += quad[col + index[b]] * value[b];
            }
            q += value[a] * t;
        }
    } else {
        for (var i = 0u; i < dim; i++) {
            var t = 0.0;
            for (var a = lo; a < hi; a++) {
                t += quad[index[a] * dim + i] * value[a];
            }
            q += t * t;
        }
    }
    let m = moments[c];
    let sd = sqrt(max(params.signal * (m.y - q), 0.0));
    scores[c] = vec2<f32>(sd, acquisition(m.x, sd));
}
