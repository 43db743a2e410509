//! A network as a DAG of feature maps, the form every architecture wlgp lowers to can
//! be built in: each node merges its inputs (brought to its resolution by average
//! pooling and to its channels by a 1×1 projection where they differ) and applies one
//! operation; the last node feeds a head of ReLU → global average pooling → dropout →
//! linear layer. Parameters live in one flat vector, so an optimiser is a loop over it.

use super::layers::{self, BnCache, Shape};
use crate::error::{Error, Result};
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// What a node does to its merged input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The network's input image (the first node, and only it).
    Input,
    /// The merged input, unchanged.
    Identity,
    /// An optional ReLU, a k×k convolution (k odd, stride 1, same padding, no bias: the
    /// batch norm after it has one) and batch norm, optionally with the input added back
    /// (a residual path; the channels must not change).
    Conv {
        /// Kernel side.
        k: usize,
        /// Whether a ReLU comes first.
        relu: bool,
        /// Whether the merged input is added to the output.
        residual: bool,
    },
    /// An optional ReLU, a depthwise k×k convolution dilated by `dilation` (padding
    /// keeps the side), a 1×1 convolution to the output channels and batch norm: DARTS's
    /// `dil_conv` in one node, and each half of its `sep_conv`.
    Separable {
        /// Depthwise kernel side (odd).
        k: usize,
        /// Spacing of the depthwise kernel's taps.
        dilation: usize,
        /// Whether a ReLU comes first.
        relu: bool,
    },
    /// 3×3 stride-1 pooling with padding 1 (channels and side kept): the maximum, or the
    /// average over the window's positions inside the map.
    Pool {
        /// Maximum rather than average.
        max: bool,
    },
}

/// How a node combines its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// The average.
    Mean,
    /// The plain sum.
    Sum,
    /// NAGO's merge: where there are several inputs, each is scaled by the sigmoid of its
    /// own learnable scalar (by default starting at σ⁻¹(1/k) for k inputs, so a merge
    /// starts as a mean; see [`Spec::merge_start`]); a single input passes unweighted.
    Bounded,
}

/// One node of a network.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The nodes it reads, each before it.
    pub inputs: Vec<usize>,
    /// How the inputs are combined.
    pub merge: Merge,
    /// What is applied to the combination.
    pub op: Op,
    /// Channels of the combination (the operation's input).
    pub c_in: usize,
    /// Channels of the node's output.
    pub c_out: usize,
    /// Side of the node's square feature maps.
    pub side: usize,
}

/// A whole network: nodes in topological order (the first the input, the last the
/// head's input) and the head's classes and dropout.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Classes of the linear head.
    pub classes: usize,
    /// Dropout probability before the linear head, during training.
    pub dropout: f32,
    /// Where [`Merge::Bounded`] scalars start: `None` at σ⁻¹(1/k), so a merge of k
    /// inputs starts as their mean; `Some(v)` at `v` for every input.
    pub merge_start: Option<f32>,
}

/// The nodes of a network under construction, each appended after those it reads: what
/// NAGO's network builder and the cell stacker both write into.
#[derive(Default)]
pub struct Builder {
    /// The nodes so far, in topological order.
    pub nodes: Vec<Node>,
}

impl Builder {
    /// Appends a node reading `inputs`, with `c` = (input, output) channels; returns its
    /// index.
    pub fn push(
        &mut self,
        inputs: Vec<usize>,
        merge: Merge,
        op: Op,
        c: (usize, usize),
        side: usize,
    ) -> usize {
        self.nodes.push(Node {
            inputs,
            merge,
            op,
            c_in: c.0,
            c_out: c.1,
            side,
        });
        self.nodes.len() - 1
    }
}

impl Spec {
    /// Every rule the model relies on, or one line naming the node that breaks it.
    pub fn check(&self) -> Result<()> {
        let bad = |i: usize, why: String| Err(Error::Config(format!("network node {i}: {why}")));
        let Some(first) = self.nodes.first() else {
            return Err(Error::Config("a network needs at least one node".into()));
        };
        if first.op != Op::Input || !first.inputs.is_empty() || first.c_in != first.c_out {
            return bad(0, "the first node must be the input".into());
        }
        if self.nodes.len() < 2 || self.classes < 2 || !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::Config(
                "a network needs a node after its input, two classes and dropout in [0, 1)".into(),
            ));
        }
        for (i, n) in self.nodes.iter().enumerate().skip(1) {
            if n.op == Op::Input || n.inputs.is_empty() {
                return bad(
                    i,
                    "only the first node is an input; every other reads one".into(),
                );
            }
            if n.c_in == 0 || n.c_out == 0 || n.side == 0 {
                return bad(i, "channels and side must be positive".into());
            }
            match n.op {
                Op::Identity | Op::Pool { .. } if n.c_in != n.c_out => {
                    return bad(i, "an identity or a pooling keeps its channels".into())
                }
                Op::Conv { k, .. } | Op::Separable { k, .. } if k % 2 == 0 => {
                    return bad(i, format!("kernel {k} is not odd"))
                }
                Op::Separable { dilation: 0, .. } => {
                    return bad(i, "a dilation must be at least 1".into())
                }
                Op::Conv { residual: true, .. } if n.c_in != n.c_out => {
                    return bad(i, "a residual path keeps its channels".into())
                }
                _ => {}
            }
            for &u in &n.inputs {
                let Some(src) = (u < i).then(|| &self.nodes[u]) else {
                    return bad(i, format!("input {u} is not an earlier node"));
                };
                if src.side < n.side || src.side % n.side != 0 {
                    return bad(
                        i,
                        format!("input {u}'s side {} does not pool to {}", src.side, n.side),
                    );
                }
            }
        }
        Ok(())
    }
}

/// A convolution's place in the parameters (weights `[out][in · k²]`, then batch norm's
/// γ and β) and in the running statistics (means, then variances).
#[derive(Clone, Copy, Debug)]
struct Conv {
    /// A depthwise convolution between the ReLU and this one (then `k` is 1).
    depthwise: Option<Depthwise>,
    w: usize,
    ci: usize,
    co: usize,
    k: usize,
    relu: bool,
    residual: bool,
    bn: usize,
    stats: usize,
}

/// A depthwise convolution's kernel side, dilation and place of its `[channel][k²]`
/// weights.
#[derive(Clone, Copy, Debug)]
struct Depthwise {
    k: usize,
    dil: usize,
    w: usize,
}

impl Depthwise {
    fn weights<'a>(&self, p: &'a [f32], c: usize) -> &'a [f32] {
        &p[self.w..self.w + c * self.k * self.k]
    }
}

impl Conv {
    fn weights<'a>(&self, p: &'a [f32]) -> &'a [f32] {
        &p[self.w..self.w + self.co * self.ci * self.k * self.k]
    }
    fn gamma_beta(&self) -> std::ops::Range<usize> {
        self.bn..self.bn + 2 * self.co
    }
}

/// How one input reaches the node's merge.
#[derive(Clone, Copy, Debug)]
enum Adapter {
    /// Times a constant (1, or 1/k for a mean).
    Plain,
    /// Times σ(p[index]).
    Scalar(usize),
    /// A 1×1 convolution with bias (weights `[out][in]` at `w`, bias at `b`), then the
    /// constant.
    Project { w: usize, b: usize },
}

#[derive(Clone, Copy, Debug)]
struct Edge {
    /// The node whose output is read (never an alias).
    from: usize,
    /// Pooling factor from its side to this node's (1: none).
    pool: usize,
    adapter: Adapter,
    weight: f32,
}

#[derive(Clone, Debug)]
struct Unit {
    edges: Vec<Edge>,
    conv: Option<Conv>,
    /// A 3×3 pooling (`true`: maximum) applied to the merge.
    pool: Option<bool>,
    c_in: usize,
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
    fn conv(&mut self, ci: usize, co: usize, k: usize, relu: bool, residual: bool) -> Conv {
        let w = self.take(co * ci * k * k);
        let bn = self.take(2 * co);
        self.stats += 2 * co;
        Conv {
            depthwise: None,
            w,
            ci,
            co,
            k,
            relu,
            residual,
            bn,
            stats: self.stats - 2 * co,
        }
    }
}

/// A network's trainable model: where every parameter lives in one flat vector.
#[derive(Clone, Debug)]
pub struct Model {
    spec: Spec,
    /// One unit a node; `None` for nodes that only pass one input on (aliases).
    units: Vec<Option<Unit>>,
    /// The node whose buffer holds each node's output.
    alias: Vec<usize>,
    head: (usize, usize),
    params: usize,
    stats: usize,
}

impl Model {
    /// The model of a checked network.
    pub fn new(spec: Spec) -> Result<Model> {
        spec.check()?;
        let mut a = Alloc::default();
        let n = spec.nodes.len();
        let (mut units, mut alias) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (i, node) in spec.nodes.iter().enumerate() {
            let k = node.inputs.len();
            let edges: Vec<Edge> = node
                .inputs
                .iter()
                .map(|&u| {
                    let src = &spec.nodes[u];
                    let adapter = if src.c_out != node.c_in {
                        let w = a.take(node.c_in * src.c_out);
                        Adapter::Project {
                            w,
                            b: a.take(node.c_in),
                        }
                    } else if node.merge == Merge::Bounded && k > 1 {
                        Adapter::Scalar(a.take(1))
                    } else {
                        Adapter::Plain
                    };
                    let weight = if node.merge == Merge::Mean {
                        1.0 / k as f32
                    } else {
                        1.0
                    };
                    Edge {
                        from: alias[u],
                        pool: src.side / node.side,
                        adapter,
                        weight,
                    }
                })
                .collect();
            let passes_on = node.op == Op::Identity
                && matches!(edges[..], [e] if e.pool == 1 && e.weight == 1.0 && matches!(e.adapter, Adapter::Plain));
            if passes_on {
                alias.push(edges[0].from);
                units.push(None);
                continue;
            }
            let conv = match node.op {
                Op::Conv { k, relu, residual } => {
                    Some(a.conv(node.c_in, node.c_out, k, relu, residual))
                }
                Op::Separable { k, dilation, relu } => {
                    let w = a.take(node.c_in * k * k);
                    let dil = dilation;
                    let depthwise = Some(Depthwise { k, dil, w });
                    let conv = a.conv(node.c_in, node.c_out, 1, relu, false);
                    Some(Conv { depthwise, ..conv })
                }
                _ => None,
            };
            let pool = match node.op {
                Op::Pool { max } => Some(max),
                _ => None,
            };
            alias.push(i);
            units.push(Some(Unit {
                edges,
                conv,
                pool,
                c_in: node.c_in,
            }));
        }
        let last = spec.nodes[n - 1].c_out;
        let head = (a.take(spec.classes * last), a.take(spec.classes));
        Ok(Model {
            spec,
            units,
            alias,
            head,
            params: a.params,
            stats: a.stats,
        })
    }

    /// Number of parameters: every weight, γ, β, merge scalar, projection bias and the
    /// head's.
    pub fn params(&self) -> usize {
        self.params
    }

    /// The network this model was built from.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Fresh parameters as PyTorch initialises NAGO's networks (Kaiming-normal
    /// convolutions by fan-out, unit γ, zero β and biases, a uniform ±1/√fan-in head),
    /// merge scalars where [`Spec::merge_start`] says and running statistics (zero means, unit variances).
    pub fn init(&self, rng: &mut impl Rng) -> (Vec<f32>, Vec<f32>) {
        let mut p = vec![0.0f32; self.params];
        let mut s = vec![0.0f32; self.stats];
        let mut normal = |p: &mut [f32], fan_out: usize| {
            let d = Normal::new(0.0, (2.0 / fan_out as f32).sqrt()).expect("finite");
            p.iter_mut().for_each(|v| *v = d.sample(rng));
        };
        for u in self.units.iter().flatten() {
            if let Some(c) = &u.conv {
                if let Some(d) = c.depthwise {
                    normal(&mut p[d.w..d.w + c.ci * d.k * d.k], d.k * d.k);
                }
                normal(&mut p[c.w..c.w + c.co * c.ci * c.k * c.k], c.co * c.k * c.k);
                p[c.bn..c.bn + c.co].fill(1.0);
                s[c.stats + c.co..c.stats + 2 * c.co].fill(1.0);
            }
            let k = u.edges.len() as f32;
            for e in &u.edges {
                match e.adapter {
                    Adapter::Scalar(a) => p[a] = self.spec.merge_start.unwrap_or(-(k - 1.0).ln()),
                    Adapter::Project { w, b } => normal(&mut p[w..b], u.c_in),
                    Adapter::Plain => {}
                }
            }
        }
        let c = self.spec.nodes[self.spec.nodes.len() - 1].c_out;
        let bound = 1.0 / (c as f32).sqrt();
        for v in &mut p[self.head.0..self.head.1 + self.spec.classes] {
            *v = rng.gen_range(-bound..bound);
        }
        (p, s)
    }
}

/// ReLU that keeps NaN (so a diverged pass is seen, not zeroed).
fn relu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| if v < 0.0 { 0.0 } else { v }).collect()
}

/// Zeroes the gradient where the ReLU's input `x` was not positive.
fn mask(d: &mut [f32], x: &[f32]) {
    for (g, v) in d.iter_mut().zip(x) {
        if *v <= 0.0 {
            *g = 0.0;
        }
    }
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// How a forward pass runs.
pub enum Mode<'a> {
    /// Batch norm with the running statistics, no dropout.
    Eval,
    /// Batch norm with the batch's statistics, moving the running ones by `momentum`;
    /// dropout drawn from `rng`.
    Train {
        /// Draws the head's dropout.
        rng: &'a mut dyn rand::RngCore,
        /// Weight of this batch in the running statistics.
        momentum: f32,
    },
}

/// A forward pass, kept for the backward pass.
pub struct Tape {
    b: usize,
    outs: Vec<Vec<f32>>,
    /// Per node, per edge: the pooled input where the edge pools.
    pooled: Vec<Vec<Option<Vec<f32>>>>,
    /// Per conv node: the merged input and batch norm's cache.
    pre: Vec<Vec<f32>>,
    /// Per separable node: the depthwise convolution's output.
    depthwise: Vec<Vec<f32>>,
    bn: Vec<BnCache>,
    /// The head's features after ReLU, pooling and dropout, `[image][channel]`, and the
    /// dropout's scale per entry.
    features: Vec<f32>,
    drop: Vec<f32>,
    /// Logits, `[image][class]`.
    pub logits: Vec<f32>,
}

impl Model {
    fn shape(&self, i: usize, b: usize, out: bool) -> Shape {
        let n = &self.spec.nodes[i];
        Shape {
            c: if out { n.c_out } else { n.c_in },
            b,
            r: n.side,
        }
    }

    /// The forward pass of `b` images (`x`: `[channel][row][column][image]`, the layout
    /// of every tensor here).
    pub fn forward(&self, p: &[f32], s: &mut [f32], x: &[f32], b: usize, mode: Mode) -> Tape {
        let (momentum, dropout) = match mode {
            Mode::Eval => (None, None),
            Mode::Train { rng, momentum } => (Some(momentum), Some(rng)),
        };
        let n = self.units.len();
        let mut t = Tape {
            b,
            outs: vec![Vec::new(); n],
            pooled: vec![Vec::new(); n],
            pre: vec![Vec::new(); n],
            depthwise: vec![Vec::new(); n],
            bn: vec![BnCache::default(); n],
            features: Vec::new(),
            drop: Vec::new(),
            logits: Vec::new(),
        };
        t.outs[0] = x.to_vec();
        let mut cols = Vec::new();
        for i in 1..n {
            let Some(u) = &self.units[i] else { continue };
            let mut acc = vec![0.0; self.shape(i, b, false).len()];
            for e in &u.edges {
                let src = &t.outs[e.from];
                let pooled = (e.pool > 1)
                    .then(|| layers::pool_down(src, self.shape(e.from, b, true), e.pool));
                let xin = pooled.as_deref().unwrap_or(src);
                match e.adapter {
                    Adapter::Plain => layers::axpy(&mut acc, e.weight, xin),
                    Adapter::Scalar(a) => layers::axpy(&mut acc, e.weight * sigmoid(p[a]), xin),
                    Adapter::Project { w, b: bias } => {
                        let (co, ci) = (u.c_in, self.spec.nodes[e.from].c_out);
                        let plane = acc.len() / co;
                        let mut z = vec![0.0; acc.len()];
                        layers::gemm((co, ci, plane), &p[w..], false, xin, false, 0.0, &mut z);
                        for (row, &bv) in z.chunks_exact_mut(plane).zip(&p[bias..bias + co]) {
                            row.iter_mut().for_each(|v| *v += bv);
                        }
                        layers::axpy(&mut acc, e.weight, &z);
                    }
                }
                t.pooled[i].push(pooled);
            }
            if let Some(c) = &u.conv {
                let shape = self.shape(i, b, false);
                let activated = if c.relu { relu(&acc) } else { acc.clone() };
                let input = match c.depthwise {
                    Some(d) => {
                        let w = d.weights(p, c.ci);
                        t.depthwise[i] = layers::depthwise(&activated, shape, d.k, d.dil, w);
                        &t.depthwise[i]
                    }
                    None => &activated,
                };
                let mut z = vec![0.0; c.co * shape.plane()];
                conv_forward(c, p, input, shape, &mut cols, &mut z);
                t.bn[i] = layers::bn_forward(&mut z, c.co, &p[c.bn..], &mut s[c.stats..], momentum);
                if c.residual {
                    layers::axpy(&mut z, 1.0, &acc);
                }
                t.pre[i] = acc;
                acc = z;
            }
            if let Some(max) = u.pool {
                let pooled = layers::pool3(&acc, self.shape(i, b, false), max);
                t.pre[i] = std::mem::replace(&mut acc, pooled);
            }
            t.outs[i] = acc;
        }
        self.head_forward(p, &mut t, dropout);
        t
    }

    fn head_forward(&self, p: &[f32], t: &mut Tape, dropout: Option<&mut dyn rand::RngCore>) {
        let (b, last) = (t.b, self.spec.nodes.len() - 1);
        let Shape { c, r, .. } = self.shape(last, b, true);
        let out = &t.outs[self.alias[last]];
        let px = r * r;
        let mut f = vec![0.0; b * c];
        for ch in 0..c {
            for q in 0..px {
                let v = &out[(ch * px + q) * b..][..b];
                for (img, &x) in v.iter().enumerate() {
                    // ReLU that keeps NaN, so a diverged pass reaches the loss.
                    f[img * c + ch] += if x < 0.0 { 0.0 } else { x };
                }
            }
        }
        f.iter_mut().for_each(|v| *v /= px as f32);
        let keep = 1.0 - self.spec.dropout;
        t.drop = match dropout {
            Some(rng) if self.spec.dropout > 0.0 => (0..f.len())
                .map(|_| {
                    if rng.gen::<f32>() < keep {
                        1.0 / keep
                    } else {
                        0.0
                    }
                })
                .collect(),
            _ => vec![1.0; f.len()],
        };
        f.iter_mut().zip(&t.drop).for_each(|(v, d)| *v *= d);
        let k = self.spec.classes;
        let mut logits = vec![0.0; b * k];
        for row in logits.chunks_exact_mut(k) {
            row.copy_from_slice(&p[self.head.1..self.head.1 + k]);
        }
        let w = &p[self.head.0..self.head.0 + k * c];
        layers::gemm((b, c, k), &f, false, w, true, 1.0, &mut logits);
        t.features = f;
        t.logits = logits;
    }

    /// The backward pass: adds the gradient of the loss whose logit gradient is
    /// `dlogits` (`[image][class]`) to `g`.
    pub fn backward(&self, p: &[f32], t: &Tape, dlogits: &[f32], g: &mut [f32]) {
        let n = self.units.len();
        let mut d: Vec<Option<Vec<f32>>> = vec![None; n];
        let last = self.alias[n - 1];
        d[last] = Some(self.head_backward(p, t, dlogits, g));
        let mut cols = Vec::new();
        for i in (1..n).rev() {
            let (Some(u), Some(mut di)) = (&self.units[i], d[i].take()) else {
                continue;
            };
            if let Some(c) = &u.conv {
                di = self.conv_backward(c, p, t, i, di, &mut cols, g);
            }
            if let Some(max) = u.pool {
                let shape = self.shape(i, t.b, false);
                let mut dx = vec![0.0; shape.len()];
                layers::pool3_backward(&t.pre[i], &t.outs[i], &di, shape, max, &mut dx);
                di = dx;
            }
            for (j, e) in u.edges.iter().enumerate() {
                let src_shape = self.shape(e.from, t.b, true);
                let xin = t.pooled[i][j].as_deref().unwrap_or(&t.outs[e.from]);
                let dx = match e.adapter {
                    Adapter::Plain => scaled(&di, e.weight),
                    Adapter::Scalar(a) => {
                        let sg = sigmoid(p[a]);
                        g[a] += e.weight * sg * (1.0 - sg) * layers::dot(&di, xin);
                        scaled(&di, e.weight * sg)
                    }
                    Adapter::Project { w, b } => {
                        let (co, ci) = (u.c_in, src_shape.c);
                        let dz = scaled(&di, e.weight);
                        let plane = dz.len() / co;
                        for (row, gb) in dz.chunks_exact(plane).zip(&mut g[b..b + co]) {
                            *gb += row.iter().sum::<f32>();
                        }
                        layers::gemm(
                            (co, plane, ci),
                            &dz,
                            false,
                            xin,
                            true,
                            1.0,
                            &mut g[w..w + co * ci],
                        );
                        let mut dx = vec![0.0; ci * plane];
                        layers::gemm((ci, co, plane), &p[w..], true, &dz, false, 0.0, &mut dx);
                        dx
                    }
                };
                let slot = d[e.from].get_or_insert_with(|| vec![0.0; src_shape.len()]);
                if e.pool > 1 {
                    layers::pool_down_backward(&dx, src_shape, e.pool, slot);
                } else {
                    layers::axpy(slot, 1.0, &dx);
                }
            }
        }
    }

    /// Backward through the head to the gradient of the last node's output.
    fn head_backward(&self, p: &[f32], t: &Tape, dlogits: &[f32], g: &mut [f32]) -> Vec<f32> {
        let (b, k, last) = (t.b, self.spec.classes, self.spec.nodes.len() - 1);
        let Shape { c, r, .. } = self.shape(last, b, true);
        let (hw, hb) = self.head;
        for row in dlogits.chunks_exact(k) {
            layers::axpy(&mut g[hb..hb + k], 1.0, row);
        }
        layers::gemm(
            (k, b, c),
            dlogits,
            true,
            &t.features,
            false,
            1.0,
            &mut g[hw..hw + k * c],
        );
        let mut df = vec![0.0; b * c];
        layers::gemm((b, k, c), dlogits, false, &p[hw..], false, 0.0, &mut df);
        let out = &t.outs[self.alias[last]];
        let px = r * r;
        let mut d = vec![0.0; out.len()];
        for ch in 0..c {
            for q in 0..px {
                let at = (ch * px + q) * b;
                for img in 0..b {
                    if out[at + img] > 0.0 {
                        d[at + img] = df[img * c + ch] * t.drop[img * c + ch] / px as f32;
                    }
                }
            }
        }
        d
    }

    /// Backward through batch norm, the convolution and its ReLU at node `i`: adds the
    /// parameters' gradients to `g` and returns the merged input's gradient.
    #[allow(clippy::too_many_arguments)]
    fn conv_backward(
        &self,
        c: &Conv,
        p: &[f32],
        t: &Tape,
        i: usize,
        mut dz: Vec<f32>,
        cols: &mut Vec<f32>,
        g: &mut [f32],
    ) -> Vec<f32> {
        let shape = self.shape(i, t.b, false);
        let skip = c.residual.then(|| dz.clone());
        layers::bn_backward(&mut dz, c.co, &p[c.bn..], &t.bn[i], &mut g[c.gamma_beta()]);
        let pre = &t.pre[i];
        let activated = if c.relu { relu(pre) } else { pre.clone() };
        let input = if c.depthwise.is_some() {
            &t.depthwise[i]
        } else {
            &activated
        };
        let kk = c.ci * c.k * c.k;
        let mut dx = vec![0.0; shape.len()];
        let dw = &mut g[c.w..c.w + c.co * kk];
        if layers::prefers_direct(c.ci, c.co) {
            layers::conv_direct_backward(input, shape, c.k, c.weights(p), &dz, dw, &mut dx);
        } else {
            let plane = shape.plane();
            layers::im2col(input, shape, c.k, cols);
            layers::gemm((c.co, plane, kk), &dz, false, cols, true, 1.0, dw);
            let mut dcols = vec![0.0; kk * plane];
            let w = c.weights(p);
            layers::gemm((kk, c.co, plane), w, true, &dz, false, 0.0, &mut dcols);
            layers::col2im(&dcols, shape, c.k, &mut dx);
        }
        if let Some(d) = c.depthwise {
            let dd = std::mem::replace(&mut dx, vec![0.0; shape.len()]);
            let (w, dw) = (d.weights(p, c.ci), d.w..d.w + c.ci * d.k * d.k);
            layers::depthwise_backward(&activated, shape, d.k, d.dil, w, &dd, &mut g[dw], &mut dx);
        }
        if c.relu {
            mask(&mut dx, pre);
        }
        if let Some(d) = skip {
            layers::axpy(&mut dx, 1.0, &d);
        }
        dx
    }
}

/// `z = conv(input)` for the convolution `c`: row by row with few channels, else im2col
/// (into the reused `cols`) + GEMM.
fn conv_forward(
    c: &Conv,
    p: &[f32],
    input: &[f32],
    shape: Shape,
    cols: &mut Vec<f32>,
    z: &mut [f32],
) {
    let w = c.weights(p);
    if layers::prefers_direct(c.ci, c.co) {
        return layers::conv_direct(input, shape, c.k, w, c.co, z);
    }
    layers::im2col(input, shape, c.k, cols);
    let kk = c.ci * c.k * c.k;
    layers::gemm((c.co, kk, shape.plane()), w, false, cols, false, 0.0, z);
}

fn scaled(x: &[f32], w: f32) -> Vec<f32> {
    x.iter().map(|v| v * w).collect()
}

/// Mean cross-entropy of `logits` (`[image][class]`) against `labels`, its gradient
/// (written over the logits) and the number of correct predictions. A non-finite logit
/// makes the loss NaN.
pub fn cross_entropy(logits: &mut [f32], labels: &[u8], classes: usize) -> (f64, usize) {
    let b = labels.len();
    let (mut loss, mut correct) = (0f64, 0);
    for (row, &y) in logits.chunks_exact_mut(classes).zip(labels) {
        if row.iter().any(|v| !v.is_finite()) {
            return (f64::NAN, correct);
        }
        let (arg, max) =
            row.iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |m, (j, &v)| {
                    if v > m.1 {
                        (j, v)
                    } else {
                        m
                    }
                },
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn train(rng: &mut ChaCha8Rng) -> Mode<'_> {
        Mode::Train { rng, momentum: 0.1 }
    }

    fn node(inputs: &[usize], merge: Merge, op: Op, c: (usize, usize), side: usize) -> Node {
        Node {
            inputs: inputs.to_vec(),
            merge,
            op,
            c_in: c.0,
            c_out: c.1,
            side,
        }
    }

    /// Every kind of node and edge: a stem without ReLU, 1×1, 3×3 and 5×5 convolutions,
    /// bounded merges with scalars, pooling by 2 and 4, projections, a mean, an alias,
    /// 3×3 average and maximum pooling, separable convolutions plain and dilated.
    fn every_kind() -> Spec {
        use Merge::*;
        let conv = |k, relu| Op::Conv {
            k,
            relu,
            residual: false,
        };
        let res = Op::Conv {
            k: 3,
            relu: true,
            residual: true,
        };
        let sep = |k, dilation| Op::Separable {
            k,
            dilation,
            relu: true,
        };
        Spec {
            nodes: vec![
                node(&[], Sum, Op::Input, (1, 1), 8),
                node(&[0], Sum, conv(3, false), (1, 3), 8),
                node(&[1], Bounded, conv(5, true), (3, 3), 8),
                node(&[2, 1], Bounded, res, (3, 3), 8),
                node(&[1, 3], Bounded, conv(3, true), (3, 4), 4),
                node(&[4], Bounded, Op::Identity, (4, 4), 4),
                node(&[5, 3], Bounded, conv(1, true), (4, 6), 2),
                node(&[6, 4], Mean, Op::Identity, (6, 6), 2),
                node(&[3], Sum, Op::Pool { max: false }, (3, 3), 8),
                node(&[8, 2], Sum, Op::Pool { max: true }, (3, 3), 4),
                node(&[7, 9], Sum, Op::Identity, (6, 6), 2),
                node(&[4], Sum, sep(3, 1), (4, 4), 4),
                node(&[11, 5], Sum, sep(5, 2), (4, 6), 4),
                node(&[10, 12], Sum, Op::Identity, (6, 6), 2),
            ],
            classes: 10,
            dropout: 0.0,
            merge_start: None,
        }
    }

    /// The backward pass against central differences along the gradient, restricted to
    /// each part of the parameters in turn.
    #[test]
    fn backward_matches_finite_differences() {
        let model = Model::new(every_kind()).unwrap();
        assert!(model.units[5].is_none(), "a single plain input is an alias");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (p, s) = model.init(&mut rng);
        let b = 12;
        let x: Vec<f32> = (0..b * 64).map(|_| rng.gen_range(0.0..1.0)).collect();
        let y: Vec<u8> = (0..b as u8).map(|i| i % 10).collect();
        let loss = |p: &[f32]| {
            let mut s = s.clone();
            let mut r = ChaCha8Rng::seed_from_u64(0);
            let mut t = model.forward(p, &mut s, &x, b, train(&mut r));
            cross_entropy(&mut t.logits, &y, 10).0
        };
        let mut r = ChaCha8Rng::seed_from_u64(0);
        let mut tape = model.forward(&p, &mut s.clone(), &x, b, train(&mut r));
        let mut d = std::mem::take(&mut tape.logits);
        cross_entropy(&mut d, &y, 10);
        let mut g = vec![0.0; p.len()];
        model.backward(&p, &tape, &d, &mut g);
        let n = p.len();
        let cuts: Vec<usize> = (0..=8).map(|i| i * n / 8).collect();
        for w in cuts.windows(2) {
            let (a, z) = (w[0], w[1]);
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
            let fd = (along(1e-3) - along(-1e-3)) / 2e-3;
            assert!(
                (fd - norm).abs() < 0.03 * norm,
                "parameters {a}..{z}: {fd} vs {norm}"
            );
        }
    }

    #[test]
    fn bad_networks_are_refused_in_one_line() {
        let mut s = every_kind();
        s.nodes[4].inputs = vec![5];
        assert!(Model::new(s)
            .unwrap_err()
            .to_string()
            .contains("node 4: input 5"));
        let mut s = every_kind();
        s.nodes[2].side = 3;
        assert!(Model::new(s)
            .unwrap_err()
            .to_string()
            .contains("does not pool"));
        let mut s = every_kind();
        s.nodes[5].c_out = 5;
        assert!(Model::new(s).unwrap_err().to_string().contains("identity"));
        let mut s = every_kind();
        s.nodes[3].c_out = 4;
        assert!(Model::new(s).unwrap_err().to_string().contains("residual"));
        let mut s = every_kind();
        s.nodes[2].op = Op::Conv {
            k: 2,
            relu: true,
            residual: false,
        };
        assert!(Model::new(s).unwrap_err().to_string().contains("kernel 2"));
    }

    #[test]
    fn a_nan_in_the_forward_pass_reaches_the_loss() {
        let model = Model::new(every_kind()).unwrap();
        let (p, mut s) = model.init(&mut ChaCha8Rng::seed_from_u64(2));
        let mut x = vec![0.5; 4 * 64];
        x[70] = f32::NAN;
        let mut t = model.forward(&p, &mut s, &x, 4, Mode::Eval);
        assert!(cross_entropy(&mut t.logits, &[1, 2, 3, 4], 10).0.is_nan());
    }
}
