//! A sampled network as the trainer's DAG, by vega_NAGO's rules (`logical_graph.py`,
//! `layer.py` at 8f5b9ec):
//! - the top-level graph is used once for the whole network; its cells are assigned to
//!   three stages in index order (`get_stage_list` with stage ratios of 1/3 each), a
//!   stage-s cell working at side 8/2^s with `CHANNEL_RATIOS[s]` × width channels;
//! - a cell's inputs are average-pooled to its side; its input planes are those of its
//!   last (highest-index) input cell, or the stem's for a cell that reads the stem, and
//!   the first operations of its nodes change them to the cell's own;
//! - where a node (cell, node or operation) has several inputs they are summed, each
//!   times a sigmoid-bounded scalar, or through a 1×1 convolution where its channels
//!   differ; a graph's output averages its sinks;
//! - every operation is ReLU → 3×3 convolution → batch norm;
//! - stem: conv 3×3 → BN → ReLU → conv 3×3 → BN; head: ReLU → 1×1 conv to
//!   [`HEAD_CHANNELS`] → BN → ReLU → global pooling → dropout 0.2 → linear;
//! - width: `int(sqrt(limit / base))`, `base` the operations' 9 · in · out in ratio units.
//!
//! One departure for trainability at a budget of seconds, the default
//! ([`Structure::Residual`]; [`Structure::Reference`] builds without it; measured in
//! docs/nago.md): every operation whose channels do not change adds its input back (a
//! residual path), and merge scalars start at σ⁻¹(1/k), so a merge starts as the mean of
//! its inputs rather than a sum of k · σ(1) of them. Without these, chains hundreds of
//! convolutions deep stay near chance after a few epochs.
//!
//! Two more, both forced by a reference detail that does not carry over: the
//! example configuration (`nago.yml`) sets every stage ratio to 1.0, which puts every
//! cell in stage 0 unless there are exactly three; the paper's three stages need 1/3
//! each. And the master graph's output merge in `layer.py` picks output cells by their
//! position in a dict rather than by id; here it is by id, as intended.

use super::graphs::Graph;
use super::Network;
use crate::trainer::net::{Builder, Merge, Op, Spec};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Which network a sampled hierarchy is built as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Structure {
    /// The reference's rules plus a residual path around every operation whose channels
    /// do not change and merges that start as means: trains in a few epochs (default).
    #[default]
    Residual,
    /// The reference's rules only: plain operations, merge scalars starting at 1 (σ(1)
    /// per input), as vega_NAGO builds them.
    Reference,
}

impl Structure {
    /// Every structure, by name.
    pub const ALL: [Structure; 2] = [Structure::Residual, Structure::Reference];

    /// The name the command line and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Structure::Residual => "residual",
            Structure::Reference => "reference",
        }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Structure {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Structure::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown structure '{s}' (residual or reference)"))
    }
}

/// Channels of each stage in units of the width (`ch1_ratio`..`ch3_ratio`).
pub const CHANNEL_RATIOS: [usize; 3] = [1, 2, 4];
/// Share of the top-level cells in each stage.
pub const STAGE_RATIOS: [f64; 3] = [1.0 / 3.0; 3];
/// Channels of the head's 1×1 convolution (MobileNet's 1280, as the reference).
pub const HEAD_CHANNELS: usize = 1280;
/// Dropout before the linear head.
pub const DROPOUT: f32 = 0.2;
/// Side of the input images.
pub const SIDE: usize = 8;
/// Classes of the digits.
pub const CLASSES: usize = 10;

/// The reference's `get_stage_list`: the stage of each of `n` cells in index order.
pub fn stage_list(n: usize, ratios: &[f64; 3]) -> Vec<usize> {
    if n == 3 {
        return vec![0, 1, 2];
    }
    let (mut stage, mut threshold) = (0, ratios[0] * n as f64);
    (0..n)
        .map(|x| {
            if x as f64 >= threshold && stage + 1 < ratios.len() {
                stage += 1;
                threshold += ratios[stage] * n as f64;
            }
            stage
        })
        .collect()
}

/// One cell's place in the network, in ratio units of the width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CellPlan {
    /// Its stage, 0..=2.
    pub stage: usize,
    /// Channels it reads (before its first operations), in units of the width.
    pub inplanes: usize,
    /// Channels it writes.
    pub outplanes: usize,
    /// Side of its feature maps.
    pub side: usize,
}

/// Every cell's plan, by the reference's rules.
pub fn cells(net: &Network) -> Vec<CellPlan> {
    let stages = stage_list(net.top.nodes, &STAGE_RATIOS);
    let preds = net.top.predecessors();
    let mut out: Vec<CellPlan> = Vec::with_capacity(net.top.nodes);
    for (c, &stage) in stages.iter().enumerate() {
        let inplanes = match preds[c].iter().max() {
            Some(&last) => out[last].outplanes,
            None => CHANNEL_RATIOS[0],
        };
        out.push(CellPlan {
            stage,
            inplanes,
            outplanes: CHANNEL_RATIOS[stage],
            side: SIDE >> stage,
        });
    }
    out
}

/// The reference's `_get_param_count` of the logical graph: Σ 9 · in · out over the
/// operations, in ratio units (a source operation of a source node reads the cell's
/// input planes; every other operation the cell's own).
pub fn base_params(net: &Network) -> usize {
    let plans = cells(net);
    let mut total = 0;
    for (c, plan) in plans.iter().enumerate() {
        let node_sources = net.middle[c].sources_and_sinks().0;
        for (v, ops) in net.bottom[c].iter().enumerate() {
            let node_in = if node_sources.contains(&v) {
                plan.inplanes
            } else {
                plan.outplanes
            };
            let op_sources = ops.sources_and_sinks().0.len();
            total += 9
                * plan.outplanes
                * (op_sources * node_in + (ops.nodes - op_sources) * plan.outplanes);
        }
    }
    total
}

/// The reference's width for a parameter limit: `int(sqrt(limit / base))`, at least
/// `min_width`.
pub fn width_for(net: &Network, limit: usize, min_width: usize) -> usize {
    let w = (limit as f64 / base_params(net).max(1) as f64).sqrt() as usize;
    w.max(min_width).max(1)
}

/// Wires graph `g` into `b`, its units built by `unit(index, inputs)`: sources read
/// `input`, the rest their predecessors' units; returns the sinks' units.
fn graph(
    b: &mut Builder,
    g: &Graph,
    input: usize,
    mut unit: impl FnMut(&mut Builder, usize, Vec<usize>) -> usize,
) -> Vec<usize> {
    let preds = g.predecessors();
    let mut built = Vec::with_capacity(g.nodes);
    for (v, pv) in preds.iter().enumerate() {
        let inputs = if pv.is_empty() {
            vec![input]
        } else {
            pv.iter().map(|&u| built[u]).collect()
        };
        let id = unit(b, v, inputs);
        built.push(id);
    }
    g.sources_and_sinks().1.iter().map(|&t| built[t]).collect()
}

/// The trainer's network of `net` at `width` channels in its first stage.
pub fn spec(net: &Network, width: usize, structure: Structure) -> Spec {
    let residual_ok = structure == Structure::Residual;
    let conv = |residual: bool| Op::Conv {
        k: 3,
        relu: true,
        residual: residual && residual_ok,
    };
    let plans = cells(net);
    let mut b = Builder::default();
    let input = b.push(vec![], Merge::Sum, Op::Input, (1, 1), SIDE);
    let stem1 = Op::Conv {
        k: 3,
        relu: false,
        residual: false,
    };
    let stem1 = b.push(vec![input], Merge::Sum, stem1, (1, width), SIDE);
    let stem = b.push(vec![stem1], Merge::Sum, conv(false), (width, width), SIDE);
    let top_sinks = graph(&mut b, &net.top, stem, |b, c, inputs| {
        let plan = plans[c];
        let (cin, cout) = (plan.inplanes * width, plan.outplanes * width);
        let cell_in = b.push(inputs, Merge::Bounded, Op::Identity, (cin, cin), plan.side);
        let node_sources = net.middle[c].sources_and_sinks().0;
        let nodes = graph(b, &net.middle[c], cell_in, |b, v, inputs| {
            let nin = if node_sources.contains(&v) { cin } else { cout };
            let node_in = b.push(inputs, Merge::Bounded, Op::Identity, (nin, nin), plan.side);
            let ops = graph(b, &net.bottom[c][v], node_in, |b, _, inputs| {
                let oin = if inputs == [node_in] { nin } else { cout };
                b.push(
                    inputs,
                    Merge::Bounded,
                    conv(oin == cout),
                    (oin, cout),
                    plan.side,
                )
            });
            b.push(ops, Merge::Mean, Op::Identity, (cout, cout), plan.side)
        });
        b.push(nodes, Merge::Mean, Op::Identity, (cout, cout), plan.side)
    });
    let last_cell = net
        .top
        .sources_and_sinks()
        .1
        .into_iter()
        .max()
        .expect("a sink");
    let planes = plans[last_cell].outplanes * width;
    let side = net
        .top
        .sources_and_sinks()
        .1
        .iter()
        .map(|&c| plans[c].side)
        .min()
        .expect("a sink");
    let out = b.push(top_sinks, Merge::Mean, Op::Identity, (planes, planes), side);
    b.push(
        vec![out],
        Merge::Sum,
        conv_1x1(),
        (planes, HEAD_CHANNELS),
        side,
    );
    Spec {
        nodes: b.nodes,
        classes: CLASSES,
        dropout: DROPOUT,
        merge_start: (structure == Structure::Reference).then_some(1.0),
    }
}

fn conv_1x1() -> Op {
    Op::Conv {
        k: 1,
        relu: true,
        residual: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nago::Theta;
    use crate::trainer::net::Model;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn stages_follow_the_reference_list() {
        assert_eq!(stage_list(3, &STAGE_RATIOS), [0, 1, 2]);
        assert_eq!(stage_list(4, &STAGE_RATIOS), [0, 0, 1, 2]);
        assert_eq!(stage_list(6, &STAGE_RATIOS), [0, 0, 1, 1, 2, 2]);
        assert_eq!(
            stage_list(10, &STAGE_RATIOS),
            [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
        );
        // The reference's example configuration (ratios 1.0) keeps everything in stage 0.
        assert_eq!(stage_list(5, &[1.0; 3]), [0; 5]);
    }

    /// The parameter count from the sampled JSON's cells and graphs alone, without the
    /// model: what a user rebuilding the network elsewhere would count.
    fn count_independently(net: &Network, w: usize) -> usize {
        let plans = cells(net);
        let bn = |c: usize| 2 * c;
        let mut total = 9 * w + bn(w) + 9 * w * w + bn(w); // the stem
        let top_preds = net.top.predecessors();
        for (c, plan) in plans.iter().enumerate() {
            let (cin, cout) = (plan.inplanes * w, plan.outplanes * w);
            // The cell's merge: a scalar or a projection (weights and bias) per input.
            let ins = &top_preds[c];
            let stem_planes = if ins.is_empty() {
                vec![w]
            } else {
                ins.iter().map(|&u| plans[u].outplanes * w).collect()
            };
            for &p in &stem_planes {
                total += if p != cin {
                    p * cin + cin
                } else if stem_planes.len() > 1 {
                    1
                } else {
                    0
                };
            }
            let node_preds = net.middle[c].predecessors();
            for (v, ops) in net.bottom[c].iter().enumerate() {
                let nin = if node_preds[v].is_empty() { cin } else { cout };
                if node_preds[v].len() > 1 {
                    total += node_preds[v].len();
                }
                for pv in ops.predecessors() {
                    let oin = if pv.is_empty() { nin } else { cout };
                    total += 9 * oin * cout + bn(cout) + if pv.len() > 1 { pv.len() } else { 0 };
                }
            }
        }
        let sinks = net.top.sources_and_sinks().1;
        let planes = plans[*sinks.iter().max().unwrap()].outplanes * w;
        for &t in &sinks {
            let p = plans[t].outplanes * w;
            if p != planes {
                total += p * planes + planes;
            }
        }
        total + planes * HEAD_CHANNELS + bn(HEAD_CHANNELS) + HEAD_CHANNELS * CLASSES + CLASSES
    }

    #[test]
    fn the_parameter_count_equals_an_independent_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for seed in 0..30 {
            let net = Network::sample(&Theta::sample(&mut rng), seed).unwrap();
            for w in [1, 3] {
                let m = Model::new(spec(&net, w, Structure::Residual)).unwrap();
                assert_eq!(
                    m.params(),
                    count_independently(&net, w),
                    "seed {seed}, width {w}"
                );
            }
        }
    }

    #[test]
    fn cells_read_the_planes_of_their_last_input_and_the_width_follows_the_limit() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for seed in 0..30 {
            let net = Network::sample(&Theta::sample(&mut rng), seed).unwrap();
            let plans = cells(&net);
            let preds = net.top.predecessors();
            for (c, p) in plans.iter().enumerate() {
                assert_eq!(p.outplanes, CHANNEL_RATIOS[p.stage]);
                assert_eq!(p.side, 8 >> p.stage);
                let expect = preds[c].last().map_or(1, |&u| plans[u].outplanes);
                assert_eq!(p.inplanes, expect);
            }
            let base = base_params(&net);
            let w = width_for(&net, 1_000_000, 1);
            assert!(w * w * base <= 1_000_000 && (w + 1) * (w + 1) * base > 1_000_000 || w == 1);
        }
    }
}
