// WL kernel entries between two sets of sparse feature vectors, one thread per entry:
// a merge join of two label-sorted lists. Raw counts are accumulated exactly in 64-bit
// integers; the normalised value k / sqrt(k_aa k_bb) is computed in f32.
// Prepended with u64.wgsl.

struct Params {
    // Rows (vectors of set A) in this dispatch.
    rows: u32,
    // Columns (vectors of set B) in this dispatch.
    cols: u32,
    // 0: dot product of counts; 1: sum of minima (optimal assignment).
    base: u32,
    // First row of set A covered by this dispatch.
    row_offset: u32,
    // Number of vectors in set A (where set B's self-kernels start in `self_k`).
    a_total: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// binding 0: the dispatch's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: CSR offsets of set A's feature lists (|A| + 1 entries).
@group(0) @binding(1) var<storage, read> a_offsets: array<u32>;
// binding 2: set A's labels (64-bit, ascending within each vector) and counts.
@group(0) @binding(2) var<storage, read> a_labels: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> a_counts: array<u32>;
// bindings 4-6: the same for set B.
@group(0) @binding(4) var<storage, read> b_offsets: array<u32>;
@group(0) @binding(5) var<storage, read> b_labels: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> b_counts: array<u32>;
// binding 7: self-kernels k(a, a) of set A then set B, as f32, for normalisation.
@group(0) @binding(7) var<storage, read> self_k: array<f32>;
// binding 8: raw kernel entries, row-major rows x cols, 64-bit.
@group(0) @binding(8) var<storage, read_write> raw: array<vec2<u32>>;
// binding 9: normalised kernel entries, row-major rows x cols.
@group(0) @binding(9) var<storage, read_write> normalized: array<f32>;

@compute @workgroup_size(8, 8)
fn kernel_entry(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = gid.x;
    let local_i = gid.y;
    if (j >= params.cols || local_i >= params.rows) {
        return;
    }
    let i = params.row_offset + local_i;
    var p = a_offsets[i];
    let pe = a_offsets[i + 1u];
    var q = b_offsets[j];
    let qe = b_offsets[j + 1u];
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
            let ca = a_counts[p];
            let cb = b_counts[q];
            if (params.base == 0u) {
                acc = add64(acc, mul_wide(ca, cb));
            } else {
                acc = add64(acc, vec2<u32>(min(ca, cb), 0u));
            }
            p = p + 1u;
            q = q + 1u;
        }
    }
    let e = local_i * params.cols + j;
    raw[e] = acc;
    let kaa = self_k[i];
    let kbb = self_k[params.a_total + j];
    let d = sqrt(kaa * kbb);
    let value = f32(acc.y) * 4294967296.0 + f32(acc.x);
    normalized[e] = select(0.0, value / d, d > 0.0);
}
