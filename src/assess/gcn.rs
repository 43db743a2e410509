//! The assessor network: a graph convolutional network (Kipf and Welling 2017) over the
//! similarity graph, trained on the labelled nodes with a regression loss plus a pairwise
//! ranking loss (Tang et al. 2020), early-stopped on a held-out part of the labelled set,
//! and run as a small ensemble whose spread is the uncertainty.
//!
//! Tensors and reverse-mode autodiff come from candle (CPU backend): eager, so the
//! training loop reads as plain Rust, and it has differentiable `index_select` /
//! `index_add`, which is all a sparse graph convolution needs.

use super::{SimilarityGraph, SparseRows};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Settings of the assessor. The defaults follow common GCN practice (two layers, Adam,
/// weight decay 5e-4); none was tuned on a benchmark table.
#[derive(Clone, Debug, Serialize)]
pub struct AssessorConfig {
    /// Width of the hidden layers.
    pub hidden: usize,
    /// Ensemble members (each with its own initialisation and validation split).
    pub members: usize,
    /// Most training epochs per member.
    pub epochs: usize,
    /// Stop a member after this many epochs without a better validation loss.
    pub patience: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Weight of the pairwise ranking loss next to the squared error.
    pub rank_weight: f64,
    /// Share of the labelled nodes held out for early stopping (at least one when there
    /// are 5 or more labels; none below that).
    pub validation: f64,
    /// Seed of initialisation and splits.
    pub seed: u64,
    /// Run every training step on the whole graph instead of the labelled nodes'
    /// receptive field. Same result, slower: the reference of `wlgp bench`.
    pub whole_graph: bool,
}

impl Default for AssessorConfig {
    fn default() -> Self {
        AssessorConfig {
            hidden: 64,
            members: 5,
            epochs: 300,
            patience: 50,
            learning_rate: 0.01,
            weight_decay: 5e-4,
            rank_weight: 1.0,
            validation: 0.2,
            seed: 0,
            whole_graph: false,
        }
    }
}

/// `P H` for a fixed sparse `P` as a candle op: a parallel CSR product forward, and the
/// same product with `P'` on the gradient backward.
#[derive(Clone)]
struct Propagate {
    p: Arc<SparseRows>,
    /// `P'` (the same matrix when `P` is symmetric).
    pt: Arc<SparseRows>,
    /// Columns of `P` (rows of its input).
    cols: usize,
}

impl Propagate {
    /// For a symmetric square matrix.
    fn symmetric(p: SparseRows) -> Self {
        let p = Arc::new(p);
        let cols = p.rows();
        Propagate {
            pt: p.clone(),
            p,
            cols,
        }
    }

    fn transposed(&self) -> Self {
        Propagate {
            p: self.pt.clone(),
            pt: self.p.clone(),
            cols: self.p.rows(),
        }
    }
}

impl CustomOp1 for Propagate {
    fn name(&self) -> &'static str {
        "gcn-propagate"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(v), Some((a, b))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("gcn-propagate takes a contiguous f32 matrix");
        };
        let (n, c) = layout.shape().dims2()?;
        if n != self.cols {
            candle_core::bail!("gcn-propagate: {n} input rows for {} columns", self.cols);
        }
        let rows = self.p.rows();
        let mut out = vec![0f32; rows * c];
        self.p.times(&v[a..b], c, &mut out);
        Ok((CpuStorage::F32(out), Shape::from((rows, c))))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(
            grad.contiguous()?.apply_op1_no_bwd(&self.transposed())?,
        ))
    }
}

/// The fixed inputs of training: the propagation matrix and the propagated node
/// features `A X`, built once per graph and shared by every fit.
pub struct GraphInputs {
    n: usize,
    /// The symmetric propagation matrix `A`.
    a: Propagate,
    /// `A X`: the first layer's propagation does not depend on the weights.
    ax: Tensor,
}

impl GraphInputs {
    /// Inputs from a graph and a row-major `n x d` node embedding.
    pub fn new(g: &SimilarityGraph, embedding: &[f32], d: usize) -> Result<Self> {
        let n = g.len();
        if embedding.len() != n * d {
            return Err(Error::Config(format!(
                "embedding has {} values, expected {n} nodes x {d}",
                embedding.len()
            )));
        }
        let a = g.gcn_matrix();
        let mut ax = vec![0f32; n * d];
        a.times(embedding, d, &mut ax);
        Ok(GraphInputs {
            n,
            a: Propagate::symmetric(a),
            ax: Tensor::from_vec(ax, (n, d), &Device::Cpu)?,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `A [X, p]`: the inputs with a per-node prior prediction `p` as one more column.
    fn with_prior(&self, prior: Option<&[f64]>) -> Result<Tensor> {
        let Some(p) = prior else {
            return Ok(self.ax.clone());
        };
        if p.len() != self.n {
            return Err(Error::Config(format!(
                "prior has {} values for {} nodes",
                p.len(),
                self.n
            )));
        }
        let p: Vec<f32> = p.iter().map(|&v| v as f32).collect();
        let mut ap = vec![0f32; self.n];
        self.a.p.times(&p, 1, &mut ap);
        let ap = Tensor::from_vec(ap, (self.n, 1), &Device::Cpu)?;
        Ok(Tensor::cat(&[&self.ax, &ap], 1)?)
    }

    /// What training on `nodes` needs: the output at a node reads the first hidden layer
    /// of its neighbours only, so training touches `nodes` and their neighbours and
    /// never the rest of the graph (exactly; no sampling).
    fn receptive(&self, nodes: &[usize], ax: &Tensor) -> Result<Receptive> {
        let mut local: HashMap<u32, u32> = HashMap::new();
        let mut inputs: Vec<u32> = Vec::new();
        let mut p = SparseRows {
            offsets: vec![0],
            cols: Vec::new(),
            weights: Vec::new(),
        };
        let a = &self.a.p;
        for &i in nodes {
            for e in a.offsets[i]..a.offsets[i + 1] {
                let j = a.cols[e];
                let next = inputs.len() as u32;
                let l = *local.entry(j).or_insert_with(|| {
                    inputs.push(j);
                    next
                });
                p.cols.push(l);
                p.weights.push(a.weights[e]);
            }
            p.offsets.push(p.cols.len());
        }
        let cols = inputs.len();
        let pt = p.transpose(cols);
        let idx = Tensor::from_vec(inputs, cols, &Device::Cpu)?;
        Ok(Receptive {
            ax: ax.index_select(&idx, 0)?,
            op: Propagate {
                p: Arc::new(p),
                pt: Arc::new(pt),
                cols,
            },
        })
    }
}

/// The rows of `A X` and of `A` that outputs at a set of nodes depend on.
struct Receptive {
    ax: Tensor,
    op: Propagate,
}

/// Predictions of the ensemble at every node, in the scale of the targets.
#[derive(Clone, Debug)]
pub struct Assessment {
    /// Ensemble mean.
    pub mean: Vec<f64>,
    /// Ensemble standard deviation (the cheap uncertainty for acquisition).
    pub std: Vec<f64>,
}

struct Network {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
    w3: Var,
    b3: Var,
}

/// Glorot-uniform weights from our own generator (candle's CPU generator cannot be
/// seeded, and runs must be reproducible).
fn glorot(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Result<Var> {
    let a = (6.0 / (rows + cols) as f64).sqrt() as f32;
    let v: Vec<f32> = (0..rows * cols).map(|_| rng.gen_range(-a..a)).collect();
    Ok(Var::from_vec(v, (rows, cols), &Device::Cpu)?)
}

impl Network {
    fn new(d: usize, hidden: usize, rng: &mut ChaCha8Rng) -> Result<Self> {
        let zeros = |c: usize| Var::zeros((1, c), DType::F32, &Device::Cpu);
        Ok(Network {
            w1: glorot(d, hidden, rng)?,
            b1: zeros(hidden)?,
            w2: glorot(hidden, hidden, rng)?,
            b2: zeros(hidden)?,
            w3: glorot(hidden, 1, rng)?,
            b3: zeros(1)?,
        })
    }

    fn vars(&self) -> Vec<Var> {
        [&self.w1, &self.b1, &self.w2, &self.b2, &self.w3, &self.b3]
            .map(|v| v.clone())
            .to_vec()
    }

    /// Outputs at the rows of `op` from first-layer inputs `ax` (`A X` at `op`'s columns).
    fn forward(&self, ax: &Tensor, op: &Propagate) -> Result<Tensor> {
        let h1 = ax.matmul(&self.w1)?.broadcast_add(&self.b1)?.relu()?;
        let h2 = h1
            .matmul(&self.w2)?
            .contiguous()?
            .apply_op1(op.clone())?
            .broadcast_add(&self.b2)?
            .relu()?;
        Ok(h2.matmul(&self.w3)?.broadcast_add(&self.b3)?.squeeze(1)?)
    }

    /// A detached copy of the weights.
    fn snapshot(&self) -> Result<Vec<Tensor>> {
        Ok(self
            .vars()
            .iter()
            .map(|v| v.as_tensor().detach().copy())
            .collect::<candle_core::Result<_>>()?)
    }

    fn restore(&self, w: &[Tensor]) -> Result<()> {
        for (v, t) in self.vars().iter().zip(w) {
            v.set(t)?;
        }
        Ok(())
    }
}

/// `log(1 + e^x)` without overflow.
fn softplus(x: &Tensor) -> Result<Tensor> {
    Ok((x.relu()? + x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?)
}

/// Squared error plus `rank_weight` times the mean logistic loss over ordered pairs.
struct Loss {
    idx: Tensor,
    target: Tensor,
    /// `sign(z_i - z_j)` for every pair, 0 on ties and the diagonal.
    sign: Tensor,
    pairs: f64,
    rank_weight: f64,
}

impl Loss {
    fn new(nodes: &[usize], z: &[f64], rank_weight: f64) -> Result<Self> {
        let dev = Device::Cpu;
        let m = nodes.len();
        let idx: Vec<u32> = nodes.iter().map(|&i| i as u32).collect();
        let mut sign = vec![0f32; m * m];
        let mut pairs = 0.0;
        for a in 0..m {
            for b in 0..m {
                let s = (z[a] - z[b]).signum();
                if z[a] != z[b] {
                    sign[a * m + b] = s as f32;
                    pairs += 1.0;
                }
            }
        }
        Ok(Loss {
            idx: Tensor::from_vec(idx, m, &dev)?,
            target: Tensor::from_vec(z.iter().map(|&v| v as f32).collect::<Vec<_>>(), m, &dev)?,
            sign: Tensor::from_vec(sign, (m, m), &dev)?,
            pairs,
            rank_weight,
        })
    }

    fn value(&self, out: &Tensor) -> Result<Tensor> {
        let o = out.index_select(&self.idx, 0)?;
        let mse = (&o - &self.target)?.sqr()?.mean_all()?;
        if self.pairs == 0.0 || self.rank_weight == 0.0 {
            return Ok(mse);
        }
        let diff = o.unsqueeze(1)?.broadcast_sub(&o.unsqueeze(0)?)?;
        // Pairs with no order (sign 0) contribute softplus(0) = ln 2, a constant.
        let rank = softplus(&diff.mul(&self.sign)?.neg()?)?
            .mul(&self.sign.abs()?)?
            .sum_all()?
            .affine(1.0 / self.pairs, 0.0)?;
        Ok((mse + rank.affine(self.rank_weight, 0.0)?)?)
    }
}

/// One member: train on `train`, keep the weights of the epoch with the best loss on
/// `valid` (or of the last epoch when `valid` is empty), predict every node.
fn train_member(
    g: &GraphInputs,
    ax: &Tensor,
    labelled: &[usize],
    z: &[f64],
    cfg: &AssessorConfig,
    member: u64,
) -> Result<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ member.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut order: Vec<usize> = (0..labelled.len()).collect();
    order.shuffle(&mut rng);
    let n_valid = if labelled.len() >= 5 {
        ((labelled.len() as f64 * cfg.validation).round() as usize).clamp(1, labelled.len() - 2)
    } else {
        0
    };
    // Outputs are computed at the labelled nodes only, in `labelled` order (or at every
    // node, for the reference).
    let (field, at): (Receptive, Vec<usize>) = if cfg.whole_graph {
        let all = Receptive {
            ax: ax.clone(),
            op: g.a.clone(),
        };
        (all, labelled.to_vec())
    } else {
        (g.receptive(labelled, ax)?, (0..labelled.len()).collect())
    };
    let (valid, train) = order.split_at(n_valid);
    let sub = |ix: &[usize]| -> Result<Loss> {
        let zs: Vec<f64> = ix.iter().map(|&k| z[k]).collect();
        let rows: Vec<usize> = ix.iter().map(|&k| at[k]).collect();
        Loss::new(&rows, &zs, cfg.rank_weight)
    };
    let (train_loss, valid_loss) = (sub(train)?, sub(valid)?);
    let net = Network::new(ax.dim(1)?, cfg.hidden, &mut rng)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )?;
    let (mut best, mut best_loss, mut since) = (None, f64::INFINITY, 0);
    for _ in 0..cfg.epochs {
        let out = net.forward(&field.ax, &field.op)?;
        if n_valid > 0 {
            let v = valid_loss.value(&out.detach())?.to_scalar::<f32>()? as f64;
            if v < best_loss {
                (best, best_loss, since) = (Some(net.snapshot()?), v, 0);
            } else {
                since += 1;
                if since >= cfg.patience {
                    break;
                }
            }
        }
        opt.backward_step(&train_loss.value(&out)?)?;
    }
    if let Some(w) = best {
        net.restore(&w)?;
    }
    Ok(net.forward(ax, &g.a)?.to_vec1::<f32>()?)
}

/// Trains the ensemble on targets `z` at nodes `labelled` and predicts every node.
///
/// `prior`, when given, is one more input per node: a supervised model's prediction
/// (e.g. the GP's posterior mean, and its leave-one-out mean at labelled nodes so that
/// no node sees its own label). The network then learns what the graph adds to it.
pub fn assess(
    g: &GraphInputs,
    labelled: &[usize],
    z: &[f64],
    prior: Option<&[f64]>,
    cfg: &AssessorConfig,
) -> Result<Assessment> {
    if labelled.is_empty() || labelled.len() != z.len() {
        return Err(Error::Empty(format!(
            "the assessor needs labelled nodes with one target each ({} nodes, {} targets)",
            labelled.len(),
            z.len()
        )));
    }
    if let Some(&i) = labelled.iter().find(|&&i| i >= g.n) {
        return Err(Error::Config(format!(
            "labelled node {i} is not in the graph of {} nodes",
            g.n
        )));
    }
    let members = cfg.members.max(1);
    let ax = g.with_prior(prior)?;
    let outs: Vec<Vec<f32>> = (0..members as u64)
        .map(|m| train_member(g, &ax, labelled, z, cfg, m))
        .collect::<Result<_>>()?;
    let (mut mean, mut std) = (vec![0.0; g.n], vec![0.0; g.n]);
    for i in 0..g.n {
        let m = outs.iter().map(|o| o[i] as f64).sum::<f64>() / members as f64;
        let var = outs.iter().map(|o| (o[i] as f64 - m).powi(2)).sum::<f64>()
            / (members.max(2) - 1) as f64;
        mean[i] = m;
        std[i] = var.sqrt();
    }
    Ok(Assessment { mean, std })
}

/// Sanity bound on a request: the dense tensors are `n x hidden` floats per layer.
pub fn check_size(n: usize, cfg: &AssessorConfig) -> Result<()> {
    let bytes = n as u128 * cfg.hidden.max(1) as u128 * 4 * 16;
    if bytes > 64 << 30 {
        return Err(Error::Config(format!(
            "an assessor over {n} nodes with {} hidden units needs about {} GiB; use fewer unlabelled architectures",
            cfg.hidden,
            bytes >> 30
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::svd_embedding;
    use crate::stats::spearman;

    #[test]
    fn assessor_learns_a_signal_of_the_features() {
        // Target: a smooth function of the embedding (its first coordinate), so a GCN on
        // the kNN graph should rank unlabelled nodes well from 40 labels.
        let (xs, g) = crate::assess::knn::tests::nb201_graph(400, 8);
        let (x, d) = svd_embedding(&xs, 16, 0);
        let truth: Vec<f64> = (0..400).map(|i| (x[i * d + 1] * 3.0) as f64).collect();
        let inputs = GraphInputs::new(&g, &x, d).unwrap();
        let labelled: Vec<usize> = (0..400).step_by(10).collect();
        let z: Vec<f64> = labelled.iter().map(|&i| truth[i]).collect();
        let cfg = AssessorConfig {
            members: 3,
            epochs: 150,
            ..Default::default()
        };
        let a = assess(&inputs, &labelled, &z, None, &cfg).unwrap();
        let rest: Vec<usize> = (0..400).filter(|i| i % 10 != 0).collect();
        let p: Vec<f64> = rest.iter().map(|&i| a.mean[i]).collect();
        let t: Vec<f64> = rest.iter().map(|&i| truth[i]).collect();
        let rho = spearman(&p, &t);
        assert!(rho > 0.6, "spearman {rho}");
        assert!(a.std.iter().all(|s| s.is_finite() && *s >= 0.0));
        // Reproducible: the same seed gives the same predictions.
        let b = assess(&inputs, &labelled, &z, None, &cfg).unwrap();
        assert_eq!(a.mean, b.mean);
    }

    #[test]
    fn propagate_gradient_is_the_transpose_product() {
        // P: 3 x 4 with a negative entry and an empty column.
        let p = SparseRows {
            offsets: vec![0, 2, 3, 5],
            cols: vec![0, 3, 3, 0, 2],
            weights: vec![0.5, 2.0, -1.0, 1.5, 0.25],
        };
        let dense = [
            [0.5, 0.0, 0.0, 2.0],
            [0.0, 0.0, 0.0, -1.0],
            [1.5, 0.0, 0.25, 0.0],
        ];
        let op = Propagate {
            pt: Arc::new(p.transpose(4)),
            p: Arc::new(p),
            cols: 4,
        };
        let hv: Vec<f32> = (0..8).map(|v| v as f32 * 0.3 - 1.0).collect();
        let h = Var::from_vec(hv.clone(), (4, 2), &Device::Cpu).unwrap();
        let rv = [1f32, -2., 0.5, 3., -1., 2.];
        let r = Tensor::from_vec(rv.to_vec(), (3, 2), &Device::Cpu).unwrap();
        let out = h.as_tensor().apply_op1(op).unwrap();
        let o = out.to_vec2::<f32>().unwrap();
        for i in 0..3 {
            for c in 0..2 {
                let want: f32 = (0..4).map(|j| dense[i][j] * hv[j * 2 + c]).sum();
                assert!((o[i][c] - want).abs() < 1e-6);
            }
        }
        let grads = out.mul(&r).unwrap().sum_all().unwrap().backward().unwrap();
        let gh = grads.get(h.as_tensor()).unwrap().to_vec2::<f32>().unwrap();
        for j in 0..4 {
            for c in 0..2 {
                let want: f32 = (0..3).map(|i| dense[i][j] * rv[i * 2 + c]).sum();
                assert!((gh[j][c] - want).abs() < 1e-6, "d/dH[{j}][{c}]");
            }
        }
    }

    #[test]
    fn receptive_field_outputs_equal_whole_graph_outputs() {
        let (xs, g) = crate::assess::knn::tests::nb201_graph(200, 6);
        let (x, d) = svd_embedding(&xs, 8, 0);
        let inputs = GraphInputs::new(&g, &x, d).unwrap();
        let net = Network::new(d, 16, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        let nodes = [150, 3, 77, 50];
        let f = inputs.receptive(&nodes, &inputs.ax).unwrap();
        assert!(f.op.cols < 200, "the field is a part of the graph");
        let part = net.forward(&f.ax, &f.op).unwrap().to_vec1::<f32>().unwrap();
        let all = net
            .forward(&inputs.ax, &inputs.a)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (k, &i) in nodes.iter().enumerate() {
            assert!((part[k] - all[i]).abs() < 1e-5, "node {i}");
        }
    }

    #[test]
    fn receptive_field_training_equals_whole_graph_training() {
        let (xs, g) = crate::assess::knn::tests::nb201_graph(300, 6);
        let (x, d) = svd_embedding(&xs, 16, 0);
        let inputs = GraphInputs::new(&g, &x, d).unwrap();
        let labelled: Vec<usize> = (0..300).step_by(15).collect();
        let z: Vec<f64> = labelled.iter().map(|&i| x[i * d] as f64 * 4.0).collect();
        let cfg = AssessorConfig {
            members: 2,
            epochs: 100,
            ..Default::default()
        };
        let a = assess(&inputs, &labelled, &z, None, &cfg).unwrap();
        let whole = AssessorConfig {
            whole_graph: true,
            ..cfg
        };
        let b = assess(&inputs, &labelled, &z, None, &whole).unwrap();
        let worst = a
            .mean
            .iter()
            .zip(&b.mean)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        eprintln!("largest difference {worst:e}");
        // Same arithmetic on fewer rows: only summation order in the matmuls differs.
        assert!(worst < 1e-5, "largest difference {worst}");
    }

    #[test]
    fn loss_orders_pairs() {
        let l = Loss::new(&[0, 1], &[1.0, 0.0], 1.0).unwrap();
        let good = Tensor::new(&[1.0f32, 0.0], &Device::Cpu).unwrap();
        let bad = Tensor::new(&[0.0f32, 1.0], &Device::Cpu).unwrap();
        let (g, b) = (
            l.value(&good).unwrap().to_scalar::<f32>().unwrap(),
            l.value(&bad).unwrap().to_scalar::<f32>().unwrap(),
        );
        // Right order, exact values: only the ranking term ln(1 + e^-1) remains.
        assert!((g - (1.0 + (-1.0f32).exp()).ln()).abs() < 1e-6);
        assert!(b > g + 1.0);
    }
}
