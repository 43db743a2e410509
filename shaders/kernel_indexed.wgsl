// The dot-product WL kernel the way kernel::dot computes it on the CPU: labels most graphs
// share are dense columns, the rest go through an inverted index of set B, so an entry
// costs the dense columns plus only the rare labels its two graphs share (not a merge of
// both lists). One workgroup per (row of A, block of BLOCK columns of B): its threads
// start each entry from the dense dot product in workgroup memory, add the sparse terms
// with atomics, and write the block out. Sums are exact u32 (the host checks the bound).
// Prepended with u64.wgsl.

struct Params {
    // Rows of A in this dispatch (one workgroup row each).
    rows: u32,
    // Columns of B in this chunk (the output's row length).
    cols: u32,
    // First row of A covered by this dispatch.
    row_offset: u32,
    // Dense columns.
    dense: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    pad3: u32,
}

const BLOCK: u32 = 2048u;
const THREADS: u32 = 256u;

// binding 0: the dispatch's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: A's dense columns, row-major |A| x dense (counts, 0 when absent).
@group(0) @binding(1) var<storage, read> a_dense: array<u32>;
// binding 2: B's dense columns, column-major dense x cols (so a block's reads coalesce).
@group(0) @binding(2) var<storage, read> b_dense: array<u32>;
// binding 3: CSR offsets of A's sparse labels, |A| + 1 entries.
@group(0) @binding(3) var<storage, read> a_sparse_offsets: array<u32>;
// binding 4: A's sparse labels as (index of the label in B's inverted index, count).
@group(0) @binding(4) var<storage, read> a_sparse: array<vec2<u32>>;
// binding 5: CSR offsets of B's inverted index, one list per sparse label, + 1.
@group(0) @binding(5) var<storage, read> postings_offsets: array<u32>;
// binding 6: B's inverted index: (column j, count), ascending j within each list.
@group(0) @binding(6) var<storage, read> postings: array<vec2<u32>>;
// bindings 7-8: self-kernels of A's and B's vectors as f32, for normalisation.
@group(0) @binding(7) var<storage, read> a_self: array<f32>;
@group(0) @binding(8) var<storage, read> b_self: array<f32>;
// binding 9: raw kernel entries, row-major rows x cols, 64-bit.
@group(0) @binding(9) var<storage, read_write> raw: array<vec2<u32>>;
// binding 10: normalised kernel entries, row-major rows x cols.
@group(0) @binding(10) var<storage, read_write> normalized: array<f32>;

var<workgroup> acc: array<atomic<u32>, BLOCK>;

// First index in postings[lo..hi) whose column is at least `col`.
fn lower_bound(lo: u32, hi: u32, col: u32) -> u32 {
    var a = lo;
    var b = hi;
    while (a < b) {
        let mid = (a + b) / 2u;
        if (postings[mid].x < col) {
            a = mid + 1u;
        } else {
            b = mid;
        }
    }
    return a;
}

@compute @workgroup_size(256)
fn indexed_entry(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let local_i = wid.y;
    let i = params.row_offset + local_i;
    let c0 = wid.x * BLOCK;
    let c1 = min(c0 + BLOCK, params.cols);
    let d = params.dense;
    for (var j = c0 + t; j < c1; j = j + THREADS) {
        var s = 0u;
        for (var k = 0u; k < d; k = k + 1u) {
            s = s + a_dense[i * d + k] * b_dense[k * params.cols + j];
        }
        atomicStore(&acc[j - c0], s);
    }
    workgroupBarrier();
    for (var p = a_sparse_offsets[i]; p < a_sparse_offsets[i + 1u]; p = p + 1u) {
        let e = a_sparse[p];
        let end = postings_offsets[e.x + 1u];
        let start = lower_bound(postings_offsets[e.x], end, c0);
        for (var q = start + t; q < end; q = q + THREADS) {
            let hit = postings[q];
            if (hit.x >= c1) {
                break;
            }
            atomicAdd(&acc[hit.x - c0], e.y * hit.y);
        }
    }
    workgroupBarrier();
    for (var j = c0 + t; j < c1; j = j + THREADS) {
        let v = atomicLoad(&acc[j - c0]);
        let at = local_i * params.cols + j;
        raw[at] = vec2<u32>(v, 0u);
        let n = sqrt(a_self[i] * b_self[j]);
        normalized[at] = select(0.0, f32(v) / n, n > 0.0);
    }
}
