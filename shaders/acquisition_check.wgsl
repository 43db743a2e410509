// Evaluates the f32 acquisition helpers of acquisition.wgsl on given inputs, so tests can
// compare them with the f64 reference of src/acquisition.rs. Prepended with
// acquisition.wgsl.

// binding 0: inputs (u, mean, sd, best): u for ln_tau and ln_norm_cdf; the rest for
// acquire_bound with sd as both std bounds.
@group(0) @binding(0) var<storage, read> input: array<vec4<f32>>;
// binding 1: ln_tau(u), ln_norm_cdf(u), acquire_bound for EI, and for PI.
@group(0) @binding(1) var<storage, read_write> output: array<vec4<f32>>;

@compute @workgroup_size(64)
fn check(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= arrayLength(&input)) {
        return;
    }
    let x = input[i];
    output[i] = vec4<f32>(
        ln_tau(x.x),
        ln_norm_cdf(x.x),
        acquire_bound(0u, x.y, x.z, x.z, x.w, 0.0),
        acquire_bound(2u, x.y, x.z, x.z, x.w, 0.0),
    );
}
