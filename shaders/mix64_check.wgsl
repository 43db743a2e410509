// Applies mix64 (and the 64-bit helpers it is built from) to every input, so tests can
// compare the WGSL arithmetic with Rust's on many values. Prepended with u64.wgsl.

// binding 0: inputs, 64-bit as (low, high) words.
@group(0) @binding(0) var<storage, read> input: array<vec2<u32>>;
// binding 1: mix64 of each input.
@group(0) @binding(1) var<storage, read_write> mixed: array<vec2<u32>>;
// binding 2: wrapping sum of each input and its successor in the array.
@group(0) @binding(2) var<storage, read_write> sums: array<vec2<u32>>;

@compute @workgroup_size(64)
fn check(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let n = arrayLength(&input);
    if (i >= n) {
        return;
    }
    mixed[i] = mix64(input[i]);
    sums[i] = add64(input[i], input[(i + 1u) % n]);
}
