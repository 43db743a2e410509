// WL refinement for a batch of graphs packed as CSR, one thread per node, two entry points
// per iteration:
//   wl_mix:  mixed[v] = mix64(prev[v])                      (once per node, not per edge)
//   wl_step: next[v]  = mix64(prev[v] ^ mix64(iteration + sum over neighbours u of mixed[u]))
// with wrapping 64-bit sums, exactly as wl::refine on the CPU. Prepended with u64.wgsl.

struct Params {
    // Number of nodes in the batch.
    nodes: u32,
    // The iteration number i (1..=h) hashed into the label.
    iteration: u32,
    // Offset (in nodes) of the previous iteration's labels inside `labels`.
    prev_offset: u32,
    // Offset (in nodes) where this iteration's labels are written.
    next_offset: u32,
}

// binding 0: the iteration's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: neighbour-list offsets, nodes + 1 entries (CSR row pointers, batch-global).
@group(0) @binding(1) var<storage, read> nb_offsets: array<u32>;
// binding 2: neighbour lists, batch-global node indices.
@group(0) @binding(2) var<storage, read> nb_list: array<u32>;
// binding 3: labels of every iteration so far, iteration-major: labels[i * nodes + v].
@group(0) @binding(3) var<storage, read_write> labels: array<vec2<u32>>;
// binding 4: mix64 of each node's previous label (scratch, one entry per node).
@group(0) @binding(4) var<storage, read_write> mixed: array<vec2<u32>>;

// 2-D dispatch so that batches beyond 65,535 workgroups fit.
fn node_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

@compute @workgroup_size(64)
fn wl_mix(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let v = node_index(gid, nwg);
    if (v >= params.nodes) {
        return;
    }
    mixed[v] = mix64(labels[params.prev_offset + v]);
}

@compute @workgroup_size(64)
fn wl_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let v = node_index(gid, nwg);
    if (v >= params.nodes) {
        return;
    }
    var sum = vec2<u32>(params.iteration, 0u);
    for (var k = nb_offsets[v]; k < nb_offsets[v + 1u]; k = k + 1u) {
        sum = add64(sum, mixed[nb_list[k]]);
    }
    let prev = labels[params.prev_offset + v];
    labels[params.next_offset + v] = mix64(prev ^ mix64(sum));
}
