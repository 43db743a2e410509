// Candidate scoring in weight space (DESIGN.md §4), one thread per candidate: the
// posterior variance's quadratic form over the candidate's seen features, then the
// acquisition's upper bound (acquire_bound). The exact mean, the candidate's self-kernel
// and its seen-feature list are prepared on the CPU (a hash lookup per label); everything
// here is f32 with a bound on its rounding error, and the CPU re-scores in f64 the
// candidates whose bound reaches its exact k-th value. Prepended with u64.wgsl and acquisition.wgsl.

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
// binding 6: per candidate (upper bound of the posterior std, upper bound of the
// acquisition on acquire_bound's scale: ln for EI and PI).
@group(0) @binding(6) var<storage, read_write> scores: array<vec2<f32>>;

@compute @workgroup_size(64)
fn score_entry(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>) {
    // 2-D dispatch when the candidates exceed one dimension's workgroup limit.
    let c = gid.x + gid.y * nwg.x * 64u;
    if (c >= params.count) { return; }
    let lo = offsets[c];
    let hi = offsets[c + 1u];
    let dim = params.dim;
    // Relative error of a sum of the candidate's rounded products (see pipeline.wgsl).
    let rel = f32(hi - lo + 8u) * EPS;
    var q = 0.0;
    var e = 0.0;
    if (params.form == 0u) {
        for (var a = lo; a < hi; a++) {
            let col = index[a] * dim;
            var t = 0.0;
            var tabs = 0.0;
            for (var b = lo; b < hi; b++) {
                let p = quad[col + index[b]] * value[b];
                t += p;
                tabs += abs(p);
            }
            q += value[a] * t;
            e += 4.0 * rel * abs(value[a]) * tabs;
        }
    } else {
        for (var i = 0u; i < dim; i++) {
            var t = 0.0;
            var tabs = 0.0;
            for (var a = lo; a < hi; a++) {
                let p = quad[index[a] * dim + i] * value[a];
                t += p;
                tabs += abs(p);
            }
            q += t * t;
            e += square_error(t, tabs, rel);
        }
    }
    let m = moments[c];
    let sd = sd_bounds(params.signal, m.y, q, e + f32(dim) * EPS * q + 8.0 * EPS * m.y);
    let mean_hi = m.x + 4.0 * EPS * (abs(m.x) + abs(params.best));
    scores[c] = vec2<f32>(sd.y, acquire_bound(params.acquisition, mean_hi, sd.x, sd.y, params.best, params.beta));
}
