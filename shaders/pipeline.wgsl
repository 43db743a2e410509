// Device-resident candidate scoring for the edge-cell spaces (NAS-Bench-201, DARTS): one
// thread per candidate turns a stream position into a cell (the NB201 index itself, or the
// counter-based sampler of src/space/device.rs), lowers it to a graph exactly as
// src/space/edge_cell.rs does, hashes its WL labels (wl::refine), counts them, looks the
// labels up in a hash table of the labels seen in training, and computes the posterior
// mean, the variance (dense form, or factor form with the staged bound) and an upper
// bound of the acquisition in f32 (acquire_bound, with bounds on every rounding
// error). Only candidates whose bound reaches the exact k-th value the host has so far
// are written back (through an atomic counter), with a count of those scored; the host
// re-scores them in f64, so the top-k is the CPU's exactly, with no f32 ranking to trust.
// Prepended with u64.wgsl and acquisition.wgsl.

struct Params {
    // Candidates in this dispatch.
    count: u32,
    // Stream position of the dispatch's first candidate (low, high word).
    base_lo: u32,
    base_hi: u32,
    // mix64(seed) of the counter-based sampler (low, high word).
    key_lo: u32,
    key_hi: u32,
    // 0: the position is the NB201 index (enumeration); 1: a counter-based sample.
    mode: u32,
    // 0: NAS-Bench-201, 1: DARTS (src/space/device.rs, DeviceKind).
    space: u32,
    // 1: skip_connect edges are lowered to wires.
    skip_wire: u32,
    // Operation indices of `none` and `skip_connect`.
    none_op: u32,
    skip_op: u32,
    // WL iterations (at most MAX_H) and direction (0 in, 1 out, 2 both).
    h: u32,
    direction: u32,
    // 1: the normalised kernel (features scaled by 1 / sqrt(k(x, x))).
    normalize: u32,
    // 0: dense M (|S| x |S|), 1: factor B (dim x |S|, rows by decreasing eigenvalue).
    form: u32,
    // Rows of the quadratic form: |S| (dense) or n (factor).
    dim: u32,
    // Capacity - 1 of the seen-label table and of the excluded-cell table.
    table_mask: u32,
    excl_mask: u32,
    // 0: expected improvement, 1: UCB, 2: probability of improvement, 3: mean.
    acquisition: u32,
    // 1: the acquisition grows with the std, so an upper bound on the std prunes.
    prune: u32,
    // 1: `threshold` holds a value every candidate kept must reach.
    has_threshold: u32,
    // UCB's weight, the incumbent (latent scale), the signal variance s2.
    beta: f32,
    best: f32,
    signal: f32,
    // The host's exact k-th value on acquire_bound's scale, rounded down to f32.
    threshold: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    pad3: u32,
}

// binding 0: the dispatch's parameters.
@group(0) @binding(0) var<uniform> params: Params;
// binding 1: iteration-0 labels (DeviceSpace::labels): operations of each half at 0 and 8,
// inputs of each half at 16 and 18, the output at 20, a dead input at 21; each entry is
// (label low, label high, seen column or NONE, the first entry holding the same label).
@group(0) @binding(1) var<storage, read> labels_tab: array<vec4<u32>, 22>;
// binding 2: labels seen in training, open addressing by the label's low word:
// (low, high, column, 1), or w = 0 for an empty slot.
@group(0) @binding(2) var<storage, read> seen: array<vec4<u32>>;
// binding 3: posterior mean weight of each column.
@group(0) @binding(3) var<storage, read> weights: array<f32>;
// binding 4: the variance's quadratic form, column-major: M (|S| x |S|) or B (dim x |S|).
@group(0) @binding(4) var<storage, read> quad: array<f32>;
// binding 8 (below, with the factor form): the first 16 rows of B again, packed column
// by column (head[j * 16 + r] = B[r, j], zero beyond n), so that the first stage reads
// one contiguous run per label.
// binding 5: codes of the excluded (evaluated) cells, open addressing by code_slot;
// an empty slot has x = 0xffffffff.
@group(0) @binding(5) var<storage, read> excluded: array<vec4<u32>>;
// binding 6: counters of the dispatch: candidates scored (not excluded), entries written.
@group(0) @binding(6) var<storage, read_write> counters: array<atomic<u32>, 4>;
// binding 7: score_stream: the kept candidates, appended, two vec4 each:
// (value bits, position in the dispatch, 0, 0) and the cell's code. emit_cells, per
// candidate: the code, (distinct labels, nodes, excluded, 0), then (label low, label
// high, count, column or NONE) for each distinct label.
@group(0) @binding(7) var<storage, read_write> out: array<vec4<u32>>;
@group(0) @binding(8) var<storage, read> head: array<f32>;

const MAX_NODES: u32 = 32u;
const MAX_H: u32 = 3u;
const MAX_LABELS: u32 = 128u;
const ENTRIES: u32 = 22u;
const NONE: u32 = 0xffffffffu;
const GOLDEN: vec2<u32> = vec2<u32>(0x7f4a7c15u, 0x9e3779b9u);

// One candidate's state.
var<private> lab: array<vec2<u32>, 128>;  // labels, iteration-major
var<private> entry: array<u32, 32>;       // each node's labels_tab entry (its .w)
var<private> pred: array<u32, 32>;        // predecessor bitmask of each node
var<private> nn: u32;                     // nodes
var<private> e_from: array<u32, 8>;       // the cell's edges (cell numbering)
var<private> e_to: array<u32, 8>;
var<private> e_op: array<u32, 8>;
var<private> cols: array<u32, 128>;       // seen labels: column and (scaled) count
var<private> vals: array<f32, 128>;
var<private> nseen: u32;
var<private> ndistinct: u32;
var<private> d_base: vec2<u32>;           // counter-based draws
var<private> d_ctr: vec2<u32>;

fn draw(n: u32) -> u32 {
    d_ctr = add64(d_ctr, GOLDEN);
    let x = mix64(add64(d_base, d_ctr));
    return mul_wide(x.y, n).y;
}

// The code of one DARTS half drawn as DartsSpace::sample_half_with draws it.
fn draw_darts_half() -> vec2<u32> {
    var w = vec2<u32>((0xfu << 24u), 0u);
    for (var node = 2u; node < 6u; node++) {
        let a0 = draw(node);
        var b0 = draw(node - 1u);
        if (b0 >= a0) { b0 += 1u; }
        let a = min(a0, b0);
        let b = max(a0, b0);
        let k = 2u * (node - 2u);
        let e0 = (1u + draw(7u)) | (a << 3u);
        let e1 = (1u + draw(7u)) | (b << 3u);
        if (k < 4u) {
            w.x |= (e0 << (6u * k)) | (e1 << (6u * (k + 1u)));
        } else {
            w.y |= (e0 << (6u * (k - 4u))) | (e1 << (6u * (k - 3u)));
        }
    }
    return w;
}

fn cell_code(pos: vec2<u32>) -> vec4<u32> {
    if (params.mode == 0u) {
        return vec4<u32>(pos.x, 0u, 0u, 0u);
    }
    d_base = mix64(add64(vec2<u32>(params.key_lo, params.key_hi), mul64(pos, GOLDEN)));
    d_ctr = vec2<u32>(0u, 0u);
    if (params.space == 0u) {
        return vec4<u32>(draw(15625u), 0u, 0u, 0u);
    }
    let n = draw_darts_half();
    let r = draw_darts_half();
    return vec4<u32>(n, r);
}

// Node v's iteration-0 label is labels_tab entry t.
fn set_label(v: u32, t: u32) {
    let e = labels_tab[t];
    lab[v] = e.xy;
    entry[v] = e.w;
}

// Appends one half-cell lowered as EdgeCell::new: inputs, operations in edge order (the
// edges are sorted by target already), the output; then only the nodes on an
// input-to-output path, renumbered in order.
fn lower_half(n_edges: u32, n_inputs: u32, outs: u32, op_base: u32, in_base: u32) {
    var nl: array<u32, 16>;
    var np: array<u32, 16>;
    var feeds: array<u32, 8>;
    var cnt = 0u;
    for (var k = 0u; k < n_inputs; k++) {
        nl[cnt] = in_base + k;
        np[cnt] = 0u;
        feeds[k] = 1u << k;
        cnt++;
    }
    for (var e = 0u; e < n_edges; e++) {
        let op = e_op[e];
        if (op == params.none_op) { continue; }
        if (params.skip_wire == 1u && op == params.skip_op) {
            feeds[e_to[e]] |= feeds[e_from[e]];
        } else {
            nl[cnt] = op_base + op;
            np[cnt] = feeds[e_from[e]];
            feeds[e_to[e]] |= 1u << cnt;
            cnt++;
        }
    }
    var out_pred = 0u;
    for (var c = 0u; c < 8u; c++) {
        if (((outs >> c) & 1u) == 1u) { out_pred |= feeds[c]; }
    }
    let o = cnt;
    nl[cnt] = 20u;
    np[cnt] = out_pred;
    cnt++;
    var fwd = (1u << n_inputs) - 1u;
    for (var v = n_inputs; v < cnt; v++) {
        if ((np[v] & fwd) != 0u) { fwd |= 1u << v; }
    }
    var bwd = 1u << o;
    for (var v = i32(cnt) - 1; v >= 0; v--) {
        if (((bwd >> u32(v)) & 1u) == 1u) { bwd |= np[v]; }
    }
    let keep = fwd & bwd;
    let base = nn;
    if (keep == 0u) {
        // No input-to-output path: dead inputs and an output, unconnected.
        for (var k = 0u; k < n_inputs; k++) {
            set_label(nn, 21u);
            pred[nn] = 0u;
            nn++;
        }
        set_label(nn, 20u);
        pred[nn] = 0u;
        nn++;
        return;
    }
    for (var v = 0u; v < cnt; v++) {
        if (((keep >> v) & 1u) == 0u) { continue; }
        var m = 0u;
        var p = np[v] & keep;
        while (p != 0u) {
            let u = firstTrailingBit(p);
            p &= p - 1u;
            m |= 1u << countOneBits(keep & ((1u << u) - 1u));
        }
        set_label(nn, nl[v]);
        pred[nn] = m << base;
        nn++;
    }
}

// The cell of `code` as a graph in lab[0..nn] and pred.
fn lower(code: vec4<u32>) {
    nn = 0u;
    if (params.space == 0u) {
        // NAS-Bench-201: six edges (to, from) = (1,0) (2,0) (2,1) (3,0) (3,1) (3,2), the
        // index's base-5 digits with edge 0 the most significant; the output reads node 3.
        var i = code.x;
        for (var k = 5; k >= 0; k--) {
            e_op[k] = i % 5u;
            i = i / 5u;
        }
        e_from[0] = 0u; e_to[0] = 1u;
        e_from[1] = 0u; e_to[1] = 2u;
        e_from[2] = 1u; e_to[2] = 2u;
        e_from[3] = 0u; e_to[3] = 3u;
        e_from[4] = 1u; e_to[4] = 3u;
        e_from[5] = 2u; e_to[5] = 3u;
        lower_half(6u, 1u, 1u << 3u, 0u, 16u);
        return;
    }
    for (var half = 0u; half < 2u; half++) {
        let w0 = code[2u * half];
        let w1 = code[2u * half + 1u];
        for (var k = 0u; k < 8u; k++) {
            let e = select(w1 >> (6u * (k - 4u)), w0 >> (6u * k), k < 4u);
            e_op[k] = e & 7u;
            e_from[k] = (e >> 3u) & 7u;
            e_to[k] = 2u + k / 2u;
        }
        lower_half(8u, 2u, ((w0 >> 24u) & 0xfu) << 2u, 8u * half, 16u + 2u * half);
    }
}

// WL refinement of the lowered graph, as wl::refine: lab[it * nn + v] for it in 0..=h.
fn refine_labels() {
    var succ: array<u32, 32>;
    for (var v = 0u; v < nn; v++) { succ[v] = 0u; }
    for (var v = 0u; v < nn; v++) {
        var p = pred[v];
        while (p != 0u) {
            let u = firstTrailingBit(p);
            p &= p - 1u;
            succ[u] |= 1u << v;
        }
    }
    var mixed: array<vec2<u32>, 32>;
    for (var it = 1u; it <= params.h; it++) {
        let prev = (it - 1u) * nn;
        for (var v = 0u; v < nn; v++) { mixed[v] = mix64(lab[prev + v]); }
        for (var v = 0u; v < nn; v++) {
            var nb = pred[v] | succ[v];
            if (params.direction == 0u) { nb = pred[v]; }
            if (params.direction == 1u) { nb = succ[v]; }
            var s = vec2<u32>(it, 0u);
            while (nb != 0u) {
                let u = firstTrailingBit(nb);
                nb &= nb - 1u;
                s = add64(s, mixed[u]);
            }
            lab[it * nn + v] = mix64(lab[prev + v] ^ mix64(s));
        }
    }
}

fn seen_column(l: vec2<u32>) -> u32 {
    var s = l.x & params.table_mask;
    loop {
        let e = seen[s];
        if (e.w == 0u) { return NONE; }
        if (e.x == l.x && e.y == l.y) { return e.z; }
        s = (s + 1u) & params.table_mask;
    }
    return NONE;
}

fn code_slot(c: vec4<u32>) -> u32 {
    var h = (c.x * 0x9e3779b1u) ^ (c.y * 0x85ebca77u) ^ (c.z * 0xc2b2ae3du) ^ (c.w * 0x27d4eb2fu);
    h ^= h >> 15u;
    h *= 0x2c1b3c6du;
    h ^= h >> 12u;
    return h & params.excl_mask;
}

fn is_excluded(c: vec4<u32>) -> bool {
    var s = code_slot(c);
    loop {
        let e = excluded[s];
        if (all(e == c)) { return true; }
        if (e.x == NONE) { return false; }
        s = (s + 1u) & params.excl_mask;
    }
    return false;
}

// The candidate at stream position `pos`: its code, with its WL labels in
// lab[0..nn * (h + 1)].
fn featurize(pos: vec2<u32>) -> vec4<u32> {
    let code = cell_code(pos);
    lower(code);
    refine_labels();
    return code;
}

// One distinct label l counted c times: into cols/vals when seen (column col), and into
// binding 7 at emit + ndistinct when emit is not NONE.
fn record(l: vec2<u32>, c: u32, col: u32, emit: u32) {
    if (col != NONE) {
        cols[nseen] = col;
        vals[nseen] = f32(c);
        nseen++;
    }
    if (emit != NONE) {
        out[emit + ndistinct] = vec4<u32>(l.x, l.y, c, col);
    }
    ndistinct++;
}

// Counts the featurised candidate's labels without sorting them: k(x, x), the sum of
// squared counts, is returned and each distinct label goes to record(). Iteration 0 is a
// histogram over labels_tab entries (the host merged entries with equal labels); a deeper
// iteration compares its nn labels pairwise. Labels of different iterations are counted
// apart: they are equal only by a 64-bit hash collision, where wl::features would merge
// them.
fn count_labels(emit: u32) -> f32 {
    nseen = 0u;
    ndistinct = 0u;
    var hist: array<u32, 22>;
    for (var v = 0u; v < nn; v++) { hist[entry[v]] += 1u; }
    var total = 0u;
    for (var t = 0u; t < ENTRIES; t++) {
        let c = hist[t];
        if (c != 0u) {
            total += c * c;
            let e = labels_tab[t];
            record(e.xy, c, e.z, emit);
        }
    }
    for (var it = 1u; it <= params.h; it++) {
        let lo = it * nn;
        // Nodes (bit v) whose label equals an earlier node's.
        var dup = 0u;
        for (var i = 0u; i < nn; i++) {
            if (((dup >> i) & 1u) == 1u) { continue; }
            let l = lab[lo + i];
            var c = 1u;
            for (var j = i + 1u; j < nn; j++) {
                if (all(lab[lo + j] == l)) {
                    c++;
                    dup |= 1u << j;
                }
            }
            total += c * c;
            record(l, c, seen_column(l), emit);
        }
    }
    return f32(total);
}

struct Scored {
    value: f32,
    kept: bool,
}

// An upper bound of the featurised candidate's exact (f64) acquisition on the comparison
// scale of acquire_bound: the mean and the std carry bounds on their f32 rounding errors
// (a sum of m rounded products is within (m + 2) EPS of the sum of their magnitudes; the
// weights and the quadratic form were rounded to f32 once, the scaled counts a few
// times). Not kept as soon as a bound falls below `thr` (when `has_thr`): first with the
// prior std, then, in the factor form, with the std bounded by a growing prefix of rows.
fn score_candidate(has_thr: bool, thr: f32) -> Scored {
    var total = count_labels(NONE);
    var scale = 1.0;
    if (params.normalize == 1u && total > 0.0) {
        scale = inverseSqrt(total);
        total = total * scale * scale;
    }
    // Relative error of one seen label's rounded product summed over nseen terms.
    let rel = f32(nseen + 8u) * EPS;
    var mean = 0.0;
    var mabs = 0.0;
    for (var a = 0u; a < nseen; a++) {
        vals[a] = vals[a] * scale;
        let p = weights[cols[a]] * vals[a];
        mean += p;
        mabs += abs(p);
    }
    let mean_hi = mean + 2.0 * (rel * mabs + EPS * abs(params.best)) + 4.0 * EPS * abs(mean);
    let e_total = 8.0 * EPS * total;
    let kind = params.acquisition;
    let prune = has_thr && params.prune == 1u;
    let prior = acquire_bound(kind, mean_hi, 0.0, sd_bounds(params.signal, total, 0.0, e_total).y, params.best, params.beta);
    if (prune && prior < thr) { return Scored(prior, false); }
    var q = 0.0;
    var e = e_total;
    if (params.form == 0u) {
        for (var a = 0u; a < nseen; a++) {
            let col = cols[a] * params.dim;
            var t = 0.0;
            var tabs = 0.0;
            for (var b = 0u; b < nseen; b++) {
                let p = quad[col + cols[b]] * vals[b];
                t += p;
                tabs += abs(p);
            }
            q += vals[a] * t;
            e += 4.0 * rel * abs(vals[a]) * tabs;
        }
    } else {
        let dim = params.dim;
        // Stage 1 from the packed head: one contiguous run of 16 rows per seen label.
        var acc: array<f32, 16>;
        var accabs: array<f32, 16>;
        for (var a = 0u; a < nseen; a++) {
            let base = cols[a] * 16u;
            let v = vals[a];
            for (var r = 0u; r < 16u; r++) {
                let p = head[base + r] * v;
                acc[r] += p;
                accabs[r] += abs(p);
            }
        }
        for (var r = 0u; r < 16u; r++) {
            q += acc[r] * acc[r];
            e += square_error(acc[r], accabs[r], rel);
        }
        var lo = min(16u, dim);
        var hi = lo;
        loop {
            for (var r = lo; r < hi; r++) {
                var t = 0.0;
                var tabs = 0.0;
                for (var a = 0u; a < nseen; a++) {
                    let p = quad[cols[a] * dim + r] * vals[a];
                    t += p;
                    tabs += abs(p);
                }
                q += t * t;
                e += square_error(t, tabs, rel);
            }
            if (hi == dim) { break; }
            let bound = acquire_bound(kind, mean_hi, 0.0, sd_bounds(params.signal, total, q, e + f32(hi) * EPS * q).y, params.best, params.beta);
            if (prune && bound < thr) { return Scored(bound, false); }
            lo = hi;
            hi = min(hi * 4u, dim);
        }
    }
    let sd = sd_bounds(params.signal, total, q, e + f32(params.dim) * EPS * q);
    let v = acquire_bound(kind, mean_hi, sd.x, sd.y, params.best, params.beta);
    return Scored(v, !(params.has_threshold == 1u && v < params.threshold));
}

@compute @workgroup_size(64)
fn score_stream(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
    // 2-D dispatch when the workgroups exceed one dimension's limit.
    let off = gid.x + gid.y * nwg.x * 64u;
    if (off >= params.count) { return; }
    let code = featurize(add64(vec2<u32>(params.base_lo, params.base_hi), vec2<u32>(off, 0u)));
    if (is_excluded(code)) { return; }
    atomicAdd(&counters[0], 1u);
    let s = score_candidate(params.has_threshold == 1u, params.threshold);
    if (s.kept) {
        let at = atomicAdd(&counters[1], 1u);
        out[2u * at] = vec4<u32>(bitcast<u32>(s.value), off, 0u, 0u);
        out[2u * at + 1u] = code;
    }
}

// For tests: each candidate's code, whether it is excluded, and its WL features with
// their seen columns, in the layout of binding 7.
@compute @workgroup_size(64)
fn emit_cells(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = gid.x + gid.y * nwg.x * 64u;
    if (c >= params.count) { return; }
    let code = featurize(add64(vec2<u32>(params.base_lo, params.base_hi), vec2<u32>(c, 0u)));
    let o = c * (2u + MAX_LABELS);
    out[o] = code;
    count_labels(o + 2u);
    out[o + 1u] = vec4<u32>(ndistinct, nn, u32(is_excluded(code)), 0u);
}
