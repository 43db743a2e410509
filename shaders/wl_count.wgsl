// Per-graph WL feature counting, one thread per graph: the graph's labels of every
// iteration are gathered into its own region of `feat_labels`, sorted there (insertion
// sort for small graphs, heapsort beyond), and run-length encoded in place, so that only
// distinct labels and their counts remain: the sparse feature vector wl::Features holds,
// in the same (ascending) order. Prepended with u64.wgsl.

struct Params {
    // Number of graphs in the batch.
    graphs: u32,
    // Number of nodes in the batch (the stride between iterations in `labels`).
    nodes: u32,
    // Iterations counted, h + 1.
    levels: u32,
    pad: u32,
}

// binding 0: the batch's sizes.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: WL labels of every node and iteration, iteration-major: labels[i * nodes + v]
// (as written by wl_hash.wgsl).
@group(0) @binding(1) var<storage, read> labels: array<vec2<u32>>;
// binding 2: first node of each graph, graphs + 1 entries (batch-global node ids).
@group(0) @binding(2) var<storage, read> first: array<u32>;
// binding 3: each graph's region of levels x its nodes entries, from levels x first[g]:
// scratch for the sort, then its distinct labels, ascending.
@group(0) @binding(3) var<storage, read_write> feat_labels: array<vec2<u32>>;
// binding 4: the count of each distinct label, at the same index as the label.
@group(0) @binding(4) var<storage, read_write> feat_counts: array<u32>;
// binding 5: each graph's [begin, end) in feat_labels / feat_counts.
@group(0) @binding(5) var<storage, read_write> ranges: array<vec2<u32>>;

// Larger regions are heapsorted (O(m log m)); smaller ones insertion-sorted (fewer steps).
const INSERTION_MAX: u32 = 48u;

fn swap_labels(a: u32, b: u32) {
    let t = feat_labels[a];
    feat_labels[a] = feat_labels[b];
    feat_labels[b] = t;
}

fn insertion_sort(base: u32, m: u32) {
    for (var i = 1u; i < m; i = i + 1u) {
        let x = feat_labels[base + i];
        var j = i;
        loop {
            if (j == 0u || !less64(x, feat_labels[base + j - 1u])) {
                break;
            }
            feat_labels[base + j] = feat_labels[base + j - 1u];
            j = j - 1u;
        }
        feat_labels[base + j] = x;
    }
}

// Restores the max-heap below `root` within the first `end` entries of the region.
fn sift_down(base: u32, start: u32, end: u32) {
    var root = start;
    loop {
        var child = 2u * root + 1u;
        if (child >= end) {
            break;
        }
        if (child + 1u < end && less64(feat_labels[base + child], feat_labels[base + child + 1u])) {
            child = child + 1u;
        }
        if (!less64(feat_labels[base + root], feat_labels[base + child])) {
            break;
        }
        swap_labels(base + root, base + child);
        root = child;
    }
}

fn heap_sort(base: u32, m: u32) {
    for (var s = m / 2u; s > 0u; s = s - 1u) {
        sift_down(base, s - 1u, m);
    }
    for (var end = m - 1u; end > 0u; end = end - 1u) {
        swap_labels(base, base + end);
        sift_down(base, 0u, end);
    }
}

@compute @workgroup_size(64)
fn wl_count(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * 64u;
    if (g >= params.graphs) {
        return;
    }
    let s = first[g];
    let size = first[g + 1u] - s;
    let base = s * params.levels;
    let m = size * params.levels;
    for (var it = 0u; it < params.levels; it = it + 1u) {
        for (var v = 0u; v < size; v = v + 1u) {
            feat_labels[base + it * size + v] = labels[it * params.nodes + s + v];
        }
    }
    if (m <= INSERTION_MAX) {
        insertion_sort(base, m);
    } else {
        heap_sort(base, m);
    }
    // Run-length encoding in place: the write index never passes the read index.
    var distinct = 0u;
    for (var i = 0u; i < m; i = i + 1u) {
        let l = feat_labels[base + i];
        if (distinct > 0u && all(feat_labels[base + distinct - 1u] == l)) {
            feat_counts[base + distinct - 1u] = feat_counts[base + distinct - 1u] + 1u;
        } else {
            feat_labels[base + distinct] = l;
            feat_counts[base + distinct] = 1u;
            distinct = distinct + 1u;
        }
    }
    ranges[g] = vec2<u32>(base, base + distinct);
}
