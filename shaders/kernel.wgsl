// WL kernel entries between two sets of sparse feature vectors, one thread per entry:
// a merge join of two label-sorted lists. Raw counts are accumulated exactly in 64-bit
// integers; the normalised value k / sqrt(k_aa k_bb) is computed in f32. The vectors are
// those of gpu::DeviceFeatures: uploaded from the host, or counted by wl_count.wgsl.
// Prepended with u64.wgsl.

struct Params {
    // Rows (vectors of set A) in this dispatch; for self_entry, the vectors to do.
    rows: u32,
    // Columns (vectors of set B) in this dispatch.
    cols: u32,
    // 0: dot product of counts; 1: sum of minima (optimal assignment).
    base: u32,
    // First row of set A covered by this dispatch.
    row_offset: u32,
    // First column of set B covered by this dispatch.
    col_offset: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// binding 0: the dispatch's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: [begin, end) of each of set A's vectors in bindings 2 and 3.
@group(0) @binding(1) var<storage, read> a_ranges: array<vec2<u32>>;
// bindings 2-3: set A's labels (64-bit, ascending within each vector) and counts.
@group(0) @binding(2) var<storage, read> a_labels: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> a_counts: array<u32>;
// bindings 4-6: the same for set B.
@group(0) @binding(4) var<storage, read> b_ranges: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> b_labels: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> b_counts: array<u32>;
// bindings 7-8: self-kernels k(a, a) of every vector of set A, and of set B, as f32
// (written by self_entry), for normalisation.
@group(0) @binding(7) var<storage, read> a_self: array<f32>;
@group(0) @binding(8) var<storage, read> b_self: array<f32>;
// binding 9: raw kernel entries, row-major rows x cols, 64-bit.
@group(0) @binding(9) var<storage, read_write> raw: array<vec2<u32>>;
// binding 10: normalised kernel entries, row-major rows x cols.
@group(0) @binding(10) var<storage, read_write> normalized: array<f32>;
// binding 11: self_entry's output, k(a, a) of each of set A's vectors.
@group(0) @binding(11) var<storage, read_write> self_out: array<f32>;

// The value of a base kernel term for two counts of one label.
fn term(ca: u32, cb: u32) -> vec2<u32> {
    if (params.base == 0u) {
        return mul_wide(ca, cb);
    }
    return vec2<u32>(min(ca, cb), 0u);
}

fn to_f32(v: vec2<u32>) -> f32 {
    return f32(v.y) * 4294967296.0 + f32(v.x);
}

@compute @workgroup_size(8, 8)
fn kernel_entry(@builtin(global_invocation_id) gid: vec3<u32>) {
    let local_j = gid.x;
    let local_i = gid.y;
    if (local_j >= params.cols || local_i >= params.rows) {
        return;
    }
    let i = params.row_offset + local_i;
    let j = params.col_offset + local_j;
    var p = a_ranges[i].x;
    let pe = a_ranges[i].y;
    var q = b_ranges[j].x;
    let qe = b_ranges[j].y;
    var acc = vec2<u32>(0u, 0u);
    loop {
        if (p >= pe || q >= qe) {
            break;
        }
        let la = a_labels[p];
        let lb = b_labels[q];
        if (less64(la, lb)) {
            p = p + 1u;
        } else if (less64(lb, la)) {
            q = q + 1u;
        } else {
            acc = add64(acc, term(a_counts[p], b_counts[q]));
            p = p + 1u;
            q = q + 1u;
        }
    }
    let e = local_i * params.cols + local_j;
    raw[e] = acc;
    let d = sqrt(a_self[i] * b_self[j]);
    normalized[e] = select(0.0, to_f32(acc) / d, d > 0.0);
}

// k(a, a) for every vector of set A, exactly in 64 bits, then as f32.
@compute @workgroup_size(64)
fn self_entry(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (i >= params.rows) {
        return;
    }
    var acc = vec2<u32>(0u, 0u);
    for (var p = a_ranges[i].x; p < a_ranges[i].y; p = p + 1u) {
        acc = add64(acc, term(a_counts[p], a_counts[p]));
    }
    self_out[i] = to_f32(acc);
}
