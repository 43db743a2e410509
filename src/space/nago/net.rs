//! A sampled network as a trainable model: a stem, three stages that each run the whole
//! sampled hierarchy (channels `w`, `2w`, `4w` on 8×8, 4×4 and 2×2 maps), and a linear
//! head on globally pooled features.
//!
//! Inside a stage the hierarchy runs as its flattened DAG ([`Network::to_arch`]): a
//! `conv` node sums its inputs with one learnable scalar per edge, then applies ReLU →
//! 3×3 convolution → batch norm; `cell_in`/`node_in` nodes are the same weighted sums
//! without the operation; `cell_out`, `node_out` and the stage's `output` average their
//! inputs. Between stages a ReLU → stride-2 1×1 convolution → batch norm doubles the
//! channels and halves the resolution.

use super::layers::{self, BnCache, Shape};
use super::Network;
use crate::graph::Arch;
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// Image side of the input (digits are 8×8).
pub const SIDE: usize = 8;
/// Stages, each at half the resolution and twice the channels of the one before.
pub const STAGES: usize = 3;
/// Classes of the head.
pub const CLASSES: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Input,
    Sum,
    Mean,
    Conv,
}

/// One stage's graph in topological order.
#[derive(Clone, Debug)]
pub struct Plan {
    order: Vec<usize>,
    kind: Vec<Kind>,
    preds: Vec<Vec<usize>>,
}

impl Plan {
    /// The plan of a network's flattened DAG.
    pub fn new(net: &Network) -> Plan {
        Plan::from_arch(&net.to_arch())
    }

    /// The plan of a network's flattened DAG already built ([`Network::to_arch`]).
    pub fn from_arch(g: &Arch) -> Plan {
        let n = g.node_count();
        let kind = (0..n)
            .map(|i| match g.label(i) {
                "input" => Kind::Input,
                "conv" => Kind::Conv,
                "cell_in" | "node_in" => Kind::Sum,
                _ => Kind::Mean,
            })
            .collect();
        let preds: Vec<Vec<usize>> = (0..n).map(|i| g.predecessors(i).collect()).collect();
        let mut indeg: Vec<usize> = preds.iter().map(Vec::len).collect();
        let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(u) = ready.pop() {
            order.push(u);
            for v in g.successors(u) {
                indeg[v] -= 1;
                if indeg[v] == 0 {
                    ready.push(v);
                }
            }
        }
        debug_assert_eq!(order.len(), n, "a DAG");
        Plan { order, kind, preds }
    }

    /// Convolutions in one stage.
    pub fn convs(&self) -> usize {
        self.kind.iter().filter(|k| **k == Kind::Conv).count()
    }

    /// Edges that carry a learnable scalar (those into a weighted sum), in one stage.
    pub fn weighted_edges(&self) -> usize {
        (0..self.kind.len())
            .filter(|&i| matches!(self.kind[i], Kind::Sum | Kind::Conv))
            .map(|i| self.preds[i].len())
            .sum()
    }
}

/// A batch norm's place in the parameters (γ then β) and in the running statistics
/// (means then variances).
#[derive(Clone, Copy, Debug)]
struct Bn {
    p: usize,
    s: usize,
}

/// A convolution (weights `[out][in · k]`, no bias) followed by batch norm.
#[derive(Clone, Copy, Debug)]
struct Conv {
    w: usize,
    ci: usize,
    co: usize,
    k: usize,
    bn: Bn,
}

impl Conv {
    fn weights<'a>(&self, p: &'a [f32]) -> &'a [f32] {
        &p[self.w..self.w + self.co * self.ci * self.k]
    }
}

#[derive(Clone, Debug)]
struct Stage {
    shape: (usize, usize),
    down: Option<Conv>,
    /// The convolution of each conv node.
    ops: Vec<Option<Conv>>,
    /// The offset of each weighted node's first edge scalar.
    edges: Vec<usize>,
}

/// Hands out consecutive places in the parameter and statistics vectors.
#[derive(Default)]
struct Alloc {
    params: usize,
    stats: usize,
}

impl Alloc {
    fn take(&mut self, n: usize) -> usize {
        self.params += n;
        self.params - n
    }
    fn conv(&mut self, ci: usize, co: usize, k: usize) -> Conv {
        let w = self.take(co * ci * k);
        let bn = Bn {
            p: self.take(2 * co),
            s: self.stats,
        };
        self.stats += 2 * co;
        Conv { w, ci, co, k, bn }
    }
}

/// A network's trainable model: where every parameter lives in one flat vector.
#[derive(Clone, Debug)]
pub struct Model {
    plan: Plan,
    width: usize,
    stem: Conv,
    stages: Vec<Stage>,
    head: (usize, usize),
    params: usize,
    stats: usize,
}

impl Model {
    /// The model of `plan` with `width` channels in the first stage.
    pub fn new(plan: Plan, width: usize) -> Model {
        let mut a = Alloc::default();
        let stem = a.conv(1, width, 9);
        let stages = (0..STAGES)
            .map(|s| {
                let c = width << s;
                let down = (s > 0).then(|| a.conv(c / 2, c, 1));
                let n = plan.kind.len();
                let mut ops = vec![None; n];
                let mut edges = vec![0; n];
                for i in 0..n {
                    if plan.kind[i] == Kind::Conv {
                        ops[i] = Some(a.conv(c, c, 9));
                    }
                    if matches!(plan.kind[i], Kind::Sum | Kind::Conv) {
                        edges[i] = a.take(plan.preds[i].len());
                    }
                }
                Stage {
                    shape: (c, SIDE >> s),
                    down,
                    ops,
                    edges,
                }
            })
            .collect();
        let last = width << (STAGES - 1);
        let head = (a.take(CLASSES * last), a.take(CLASSES));
        Model {
            plan,
            width,
            stem,
            stages,
            head,
            params: a.params,
            stats: a.stats,
        }
    }

    /// The widest model of `plan` with at most `budget` parameters, but at least
    /// `min_width` channels in the first stage.
    pub fn for_budget(plan: Plan, budget: usize, min_width: usize) -> Model {
        let mut m = Model::new(plan, min_width.max(1));
        loop {
            let wider = Model::new(m.plan.clone(), m.width + 1);
            if wider.params > budget {
                return m;
            }
            m = wider;
        }
    }

    /// Number of parameters (every weight, γ, β, edge scalar and the head's bias).
    pub fn params(&self) -> usize {
        self.params
    }

    /// Channels of the first stage.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Fresh parameters (He-normal convolutions, unit γ, zero β, unit edge scalars, a
    /// uniform head) and running statistics (zero means, unit variances).
    pub fn init(&self, rng: &mut impl Rng) -> (Vec<f32>, Vec<f32>) {
        let mut p = vec![0.0f32; self.params];
        let mut s = vec![0.0f32; self.stats];
        let mut conv = |c: &Conv, p: &mut [f32], s: &mut [f32]| {
            let normal = Normal::new(0.0, (2.0 / (c.ci * c.k) as f32).sqrt()).expect("finite");
            for v in &mut p[c.w..c.w + c.co * c.ci * c.k] {
                *v = normal.sample(rng);
            }
            p[c.bn.p..c.bn.p + c.co].fill(1.0);
            s[c.bn.s + c.co..c.bn.s + 2 * c.co].fill(1.0);
        };
        conv(&self.stem, &mut p, &mut s);
        for st in &self.stages {
            for c in st.down.iter().chain(st.ops.iter().flatten()) {
                conv(c, &mut p, &mut s);
            }
            for (i, &e) in st.edges.iter().enumerate() {
                p[e..e + self.weighted_preds(i)].fill(1.0);
            }
        }
        let last = self.width << (STAGES - 1);
        let bound = 1.0 / (last as f32).sqrt();
        for v in &mut p[self.head.0..self.head.0 + CLASSES * last] {
            *v = rng.gen_range(-bound..bound);
        }
        (p, s)
    }

    fn weighted_preds(&self, i: usize) -> usize {
        match self.plan.kind[i] {
            Kind::Sum | Kind::Conv => self.plan.preds[i].len(),
            _ => 0,
        }
    }
}

/// What the backward pass needs from one stage's forward pass.
struct StageTape {
    /// The down-sampling's batch norm (stages after the first).
    down: Option<BnCache>,
    outs: Vec<Vec<f32>>,
    pre: Vec<Vec<f32>>,
    bn: Vec<BnCache>,
}

/// A forward pass, kept for the backward pass.
pub struct Tape {
    b: usize,
    x: Vec<f32>,
    stem: BnCache,
    stem_out: Vec<f32>,
    stages: Vec<StageTape>,
    pooled: Vec<f32>,
    /// Logits, `[image][class]`.
    pub logits: Vec<f32>,
}

fn relu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| v.max(0.0)).collect()
}

impl Model {
    /// Convolution + batch norm of `x` (already im2col'ed in `cols` for 3×3).
    fn conv_bn(
        &self,
        c: &Conv,
        cols: &[f32],
        plane: usize,
        p: &[f32],
        s: &mut [f32],
        train: bool,
    ) -> (Vec<f32>, BnCache) {
        let mut z = vec![0.0; c.co * plane];
        layers::gemm(
            (c.co, c.ci * c.k, plane),
            c.weights(p),
            false,
            cols,
            false,
            0.0,
            &mut z,
        );
        let bn = layers::bn_forward(&mut z, c.co, &p[c.bn.p..], &mut s[c.bn.s..], train);
        (z, bn)
    }

    /// The forward pass of `b` images (`x`: `[image][64]`, scaled to [0, 1]).
    pub fn forward(&self, p: &[f32], s: &mut [f32], x: &[f32], b: usize, train: bool) -> Tape {
        let plane0 = b * SIDE * SIDE;
        let mut cols = Vec::new();
        layers::im2col3(x, Shape { c: 1, b, r: SIDE }, &mut cols);
        let (mut h, stem) = self.conv_bn(&self.stem, &cols, plane0, p, s, train);
        let stem_out = h.clone();
        let mut stages = Vec::with_capacity(STAGES);
        for st in &self.stages {
            let (c, r) = st.shape;
            let plane = b * r * r;
            let mut down = None;
            if let Some(d) = &st.down {
                let sub = layers::subsample2(
                    &relu(&h),
                    Shape {
                        c: c / 2,
                        b,
                        r: 2 * r,
                    },
                );
                let (z, bn) = self.conv_bn(d, &sub, plane, p, s, train);
                down = Some(bn);
                h = z;
            }
            let tape = self.stage_forward(st, p, s, h, Shape { c, b, r }, train, down);
            h = tape.outs[1].clone();
            stages.push(tape);
        }
        let (c, r) = self.stages[STAGES - 1].shape;
        let pooled: Vec<f32> = h
            .chunks_exact(r * r)
            .map(|px| px.iter().map(|v| v.max(0.0)).sum::<f32>() / (r * r) as f32)
            .collect();
        let mut logits = vec![0.0; b * CLASSES];
        for row in logits.chunks_exact_mut(CLASSES) {
            row.copy_from_slice(&p[self.head.1..self.head.1 + CLASSES]);
        }
        let w = &p[self.head.0..self.head.0 + CLASSES * c];
        layers::gemm((b, c, CLASSES), &pooled, true, w, true, 1.0, &mut logits);
        Tape {
            b,
            x: x.to_vec(),
            stem,
            stem_out,
            stages,
            pooled,
            logits,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stage_forward(
        &self,
        st: &Stage,
        p: &[f32],
        s: &mut [f32],
        input: Vec<f32>,
        shape: Shape,
        train: bool,
        down: Option<BnCache>,
    ) -> StageTape {
        let n = self.plan.kind.len();
        let mut outs = vec![Vec::new(); n];
        let mut pre = vec![Vec::new(); n];
        let mut bn = vec![BnCache::default(); n];
        let mut cols = Vec::new();
        for &i in &self.plan.order {
            let preds = &self.plan.preds[i];
            let mut acc = vec![0.0; shape.len()];
            match self.plan.kind[i] {
                Kind::Input => acc.copy_from_slice(&input),
                Kind::Mean => {
                    for &u in preds {
                        layers::axpy(&mut acc, 1.0 / preds.len() as f32, &outs[u]);
                    }
                }
                Kind::Sum | Kind::Conv => {
                    for (j, &u) in preds.iter().enumerate() {
                        layers::axpy(&mut acc, p[st.edges[i] + j], &outs[u]);
                    }
                }
            }
            if let Some(c) = &st.ops[i] {
                layers::im2col3(&relu(&acc), shape, &mut cols);
                let (z, cache) = self.conv_bn(c, &cols, shape.plane(), p, s, train);
                pre[i] = acc;
                bn[i] = cache;
                acc = z;
            }
            outs[i] = acc;
        }
        StageTape {
            down,
            outs,
            pre,
            bn,
        }
    }
}

/// Mean cross-entropy of `logits` against `labels`, its gradient (written over the
/// logits) and the number of correct predictions.
pub fn cross_entropy(logits: &mut [f32], labels: &[u8]) -> (f64, usize) {
    let b = labels.len();
    let (mut loss, mut correct) = (0f64, 0);
    for (row, &y) in logits.chunks_exact_mut(CLASSES).zip(labels) {
        let (arg, max) =
            row.iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |m, (j, &v)| if v > m.1 { (j, v) } else { m },
            );
        correct += usize::from(arg == y as usize);
        let z: f32 = row.iter().map(|v| (v - max).exp()).sum();
        loss += (z.ln() + max - row[y as usize]) as f64;
        for (j, v) in row.iter_mut().enumerate() {
            *v = ((*v - max).exp() / z - f32::from(j == y as usize)) / b as f32;
        }
    }
    (loss / b as f64, correct)
}

impl Model {
    /// The backward pass: adds the gradient of the loss whose logit gradient is `dlogits`
    /// (`[image][class]`) to `g`.
    pub fn backward(&self, p: &[f32], tape: &Tape, dlogits: &[f32], g: &mut [f32]) {
        let b = tape.b;
        let (c, r) = self.stages[STAGES - 1].shape;
        let (hw, hb) = self.head;
        for row in dlogits.chunks_exact(CLASSES) {
            layers::axpy(&mut g[hb..hb + CLASSES], 1.0, row);
        }
        let gw = &mut g[hw..hw + CLASSES * c];
        layers::gemm((CLASSES, b, c), dlogits, true, &tape.pooled, true, 1.0, gw);
        let mut dpool = vec![0.0; c * b];
        let w = &p[hw..hw + CLASSES * c];
        layers::gemm((c, CLASSES, b), w, true, dlogits, true, 0.0, &mut dpool);
        let last = &tape.stages[STAGES - 1].outs[1];
        let mut d: Vec<f32> = last
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                if v > 0.0 {
                    dpool[k / (r * r)] / (r * r) as f32
                } else {
                    0.0
                }
            })
            .collect();
        for (si, st) in self.stages.iter().enumerate().rev() {
            let (c, r) = st.shape;
            let tape_s = &tape.stages[si];
            let mut din = self.stage_backward(st, p, tape_s, Shape { c, b, r }, d, g);
            let prev = if si == 0 {
                &tape.stem_out
            } else {
                &tape.stages[si - 1].outs[1]
            };
            d = match (&st.down, &tape_s.down) {
                (Some(dc), Some(cache)) => {
                    let up = Shape {
                        c: c / 2,
                        b,
                        r: 2 * r,
                    };
                    let sub = layers::subsample2(&relu(prev), up);
                    let dsub = self.conv_bn_backward(dc, p, cache, &sub, b * r * r, &mut din, g);
                    let mut dprev = vec![0.0; up.len()];
                    layers::upsample2_add(&dsub, up, &mut dprev);
                    mask(&mut dprev, prev);
                    dprev
                }
                _ => din,
            };
        }
        let mut cols = Vec::new();
        layers::im2col3(&tape.x, Shape { c: 1, b, r: SIDE }, &mut cols);
        self.conv_bn_backward(&self.stem, p, &tape.stem, &cols, b * SIDE * SIDE, &mut d, g);
    }

    /// Backward through batch norm and a convolution whose input columns were `cols`:
    /// adds the weight and γ/β gradients to `g` and returns the columns' gradient.
    #[allow(clippy::too_many_arguments)]
    fn conv_bn_backward(
        &self,
        c: &Conv,
        p: &[f32],
        cache: &BnCache,
        cols: &[f32],
        plane: usize,
        dz: &mut [f32],
        g: &mut [f32],
    ) -> Vec<f32> {
        layers::bn_backward(
            dz,
            c.co,
            &p[c.bn.p..],
            cache,
            &mut g[c.bn.p..c.bn.p + 2 * c.co],
        );
        let k = c.ci * c.k;
        let gw = &mut g[c.w..c.w + c.co * k];
        layers::gemm((c.co, plane, k), dz, false, cols, true, 1.0, gw);
        let mut dcols = vec![0.0; k * plane];
        layers::gemm(
            (k, c.co, plane),
            c.weights(p),
            true,
            dz,
            false,
            0.0,
            &mut dcols,
        );
        dcols
    }

    /// Backward through one stage's DAG from the gradient of its output; returns the
    /// gradient of its input.
    fn stage_backward(
        &self,
        st: &Stage,
        p: &[f32],
        t: &StageTape,
        shape: Shape,
        dout: Vec<f32>,
        g: &mut [f32],
    ) -> Vec<f32> {
        let n = self.plan.kind.len();
        let mut d: Vec<Option<Vec<f32>>> = vec![None; n];
        d[1] = Some(dout);
        let add = |d: &mut Vec<Option<Vec<f32>>>, u: usize, w: f32, x: &[f32]| {
            let slot = d[u].get_or_insert_with(|| vec![0.0; shape.len()]);
            layers::axpy(slot, w, x);
        };
        let mut din = vec![0.0; shape.len()];
        let mut cols = Vec::new();
        for &i in self.plan.order.iter().rev() {
            let Some(mut di) = d[i].take() else { continue };
            let preds = &self.plan.preds[i];
            if let Some(c) = &st.ops[i] {
                let a = &t.pre[i];
                layers::im2col3(&relu(a), shape, &mut cols);
                let dcols = self.conv_bn_backward(c, p, &t.bn[i], &cols, shape.plane(), &mut di, g);
                let mut dr = vec![0.0; shape.len()];
                layers::col2im3(&dcols, shape, &mut dr);
                mask(&mut dr, a);
                di = dr;
            }
            match self.plan.kind[i] {
                Kind::Input => layers::axpy(&mut din, 1.0, &di),
                Kind::Mean => {
                    for &u in preds {
                        add(&mut d, u, 1.0 / preds.len() as f32, &di);
                    }
                }
                Kind::Sum | Kind::Conv => {
                    for (j, &u) in preds.iter().enumerate() {
                        let e = st.edges[i] + j;
                        g[e] += layers::dot(&di, &t.outs[u]);
                        add(&mut d, u, p[e], &di);
                    }
                }
            }
        }
        din
    }
}

/// Zeroes the gradient where the ReLU's input `x` was not positive.
fn mask(d: &mut [f32], x: &[f32]) {
    for (g, v) in d.iter_mut().zip(x) {
        if *v <= 0.0 {
            *g = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nago::graphs::Graph;
    use crate::space::nago::Theta;
    use rand::SeedableRng;

    /// A small hierarchy: two cells, the first of two nodes, one of which holds two
    /// operations.
    fn small() -> Network {
        let g = |nodes: usize, edges: Vec<[usize; 2]>| Graph { nodes, edges };
        Network {
            theta: Theta::sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0)),
            seed: 0,
            top: g(2, vec![[0, 1]]),
            middle: vec![g(2, vec![[0, 1]]), g(1, vec![])],
            bottom: vec![vec![g(1, vec![]), g(2, vec![[0, 1]])], vec![g(2, vec![])]],
        }
    }

    /// The backward pass against central differences along the gradient, restricted to
    /// each part of the network in turn (along a whole direction the ReLUs' kinks
    /// average out; single coordinates are too noisy in f32).
    #[test]
    fn backward_matches_finite_differences() {
        let model = Model::new(Plan::new(&small()), 2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let (p, s) = model.init(&mut rng);
        let b = 16;
        let x: Vec<f32> = (0..b * 64).map(|_| rng.gen_range(0.0..1.0)).collect();
        let y: Vec<u8> = (0..b as u8).map(|i| i % 10).collect();
        let loss = |p: &[f32]| {
            let mut s = s.clone();
            let mut t = model.forward(p, &mut s, &x, b, true);
            cross_entropy(&mut t.logits, &y).0
        };
        let mut tape = model.forward(&p, &mut s.clone(), &x, b, true);
        let mut d = std::mem::take(&mut tape.logits);
        cross_entropy(&mut d, &y);
        let mut g = vec![0.0; p.len()];
        model.backward(&p, &tape, &d, &mut g);
        let n = p.len();
        let parts = [
            (0, 22),
            (22, 40),
            (40, 200),
            (200, n / 2),
            (n / 2, n - 90),
            (n - 90, n),
        ];
        for (a, z) in parts {
            let norm: f64 = g[a..z]
                .iter()
                .map(|v| (*v as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            let along = |k: f64| {
                let mut q = p.clone();
                for i in a..z {
                    q[i] += (k * g[i] as f64 / norm) as f32;
                }
                loss(&q)
            };
            let fd = (along(1e-4) - along(-1e-4)) / 2e-4;
            assert!(
                (fd - norm).abs() < 0.03 * norm,
                "parameters {a}..{z}: {fd} vs {norm}"
            );
        }
    }

    /// The parameter count from the sampled JSON alone (sizes of the graphs), without
    /// the model: what a PyTorch user building from `wlgp nago sample --json` gets.
    fn count_from_json(json: &serde_json::Value, w: usize) -> usize {
        let labels = json["graph"]["labels"].as_array().unwrap();
        let convs = labels.iter().filter(|l| *l == "conv").count();
        let weighted = json["graph"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let to = labels[e[1].as_u64().unwrap() as usize].as_str().unwrap();
                matches!(to, "conv" | "cell_in" | "node_in")
            })
            .count();
        let mut total = 9 * w + 2 * w; // stem: 3x3 conv 1 -> w, batch norm
        for s in 0..STAGES {
            let c = w << s;
            if s > 0 {
                total += (c / 2) * c + 2 * c; // 1x1 down-sampling conv, batch norm
            }
            total += convs * (9 * c * c + 2 * c) + weighted;
        }
        total + (4 * w) * CLASSES + CLASSES
    }

    #[test]
    fn the_parameter_count_equals_a_count_from_the_json() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        for seed in 0..20 {
            let net = Network::sample(&Theta::sample(&mut rng), seed).unwrap();
            let json: serde_json::Value = serde_json::json!({
                "graph": serde_json::from_str::<serde_json::Value>(&net.to_arch().to_json()).unwrap()
            });
            for w in [1, 3, 8] {
                let m = Model::new(Plan::new(&net), w);
                assert_eq!(
                    m.params(),
                    count_from_json(&json, w),
                    "seed {seed}, width {w}"
                );
                let (p, _) = m.init(&mut rng);
                assert_eq!(p.len(), m.params());
            }
        }
    }
}
