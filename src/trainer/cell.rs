//! Any lowered cell as a network the trainer can build: the cell (a node-labelled DAG
//! whose nodes are operations, as every space lowers to) stacked as the cell benchmarks
//! stack theirs, scaled to the 8×8 digits. A stem (3×3 convolution and batch norm, 1 to
//! `width` channels), then three stages of `cells` cells at sides 8, 4 and 2 with
//! `width`, 2·`width` and 4·`width` channels. Between stages, the space's reduction
//! cell where it has one (DARTS: the nodes labelled `reduce_…`), otherwise one
//! ReLU → 3×3 convolution → batch norm node (NAS-Bench-201's residual block without
//! its shortcut). Inputs of another side or width reach a node average-pooled and
//! projected by a 1×1 convolution (the trainer's adapters), as NAGO's cells read theirs.
//!
//! Departures, to build from the lowered graph alone and to train in seconds: operations
//! read the sum of their inputs (as in the benchmarks) and a cell's output their mean
//! (DARTS and NAS-Bench-101 concatenate, then project; the mean keeps the scale the
//! concatenation keeps); every convolution is ReLU → convolution → batch norm
//! (NAS-Bench-101's `conv3x3-bn-relu` puts its ReLU last, the same stack shifted by one);
//! reduction cells read their inputs average-pooled by 2 instead of through stride-2
//! operations.

use super::net::{Builder, Merge, Op, Spec};
use crate::error::{Error, Result};
use crate::graph::Arch;
use serde::Serialize;

/// How a cell is stacked into a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stacking {
    /// Channels of the first stage (the benchmarks use 16 on 32×32 images).
    pub width: usize,
    /// Cells in each of the three stages (the benchmarks use 5 and more).
    pub cells: usize,
}

impl Default for Stacking {
    fn default() -> Self {
        Stacking { width: 8, cells: 1 }
    }
}

/// Side of the digits.
const SIDE: usize = 8;
/// Stages, each halving the side and doubling the channels.
const STAGES: usize = 3;

/// The operations of a node label, in order (two for DARTS's `sep_conv`, which is a
/// separable convolution applied twice); `None` for a label the trainer cannot build.
pub fn operations(label: &str) -> Option<Vec<Op>> {
    let conv = |k| Op::Conv {
        k,
        relu: true,
        residual: false,
    };
    let sep = |k, dilation| Op::Separable {
        k,
        dilation,
        relu: true,
    };
    Some(match label {
        "nor_conv_1x1" | "conv1x1-bn-relu" | "conv1x1" => vec![conv(1)],
        "nor_conv_3x3" | "conv3x3-bn-relu" | "conv3x3" => vec![conv(3)],
        "conv5x5" => vec![conv(5)],
        "avg_pool_3x3" | "avgpool3x3" => vec![Op::Pool { max: false }],
        "max_pool_3x3" | "maxpool3x3" => vec![Op::Pool { max: true }],
        "skip_connect" | "identity" => vec![Op::Identity],
        "sep_conv_3x3" => vec![sep(3, 1), sep(3, 1)],
        "sep_conv_5x5" => vec![sep(5, 1), sep(5, 1)],
        "dil_conv_3x3" => vec![sep(3, 2)],
        "dil_conv_5x5" => vec![sep(5, 2)],
        _ => return None,
    })
}

/// The operation labels [`operations`] knows, for error messages.
pub const KNOWN: &str = "nor_conv_1x1, nor_conv_3x3, conv1x1-bn-relu, conv3x3-bn-relu, conv1x1, \
conv3x3, conv5x5, avg_pool_3x3, max_pool_3x3, maxpool3x3, avgpool3x3, skip_connect, identity, \
sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5";

/// What a node of a cell stands for.
#[derive(Clone, Debug, PartialEq)]
enum Role {
    /// The cell's `k`-th input (0: the cell before the previous, 1: the previous).
    Input(usize),
    /// Operations applied to the sum of the node's inputs.
    Ops(Vec<Op>),
    /// The cell's output.
    Output,
}

/// One cell: its nodes' roles and predecessors, in a topological order.
#[derive(Clone, Debug)]
struct Cell {
    nodes: Vec<(Role, Vec<usize>)>,
    /// The output node's place in `nodes`.
    output: usize,
}

/// The role of a label (with any `reduce_` prefix already removed).
fn role(label: &str) -> Option<Role> {
    Some(match label {
        "input" | "c_{k-1}" => Role::Input(1),
        "c_{k-2}" => Role::Input(0),
        "output" => Role::Output,
        _ => Role::Ops(operations(label)?),
    })
}

/// The normal cell and, where the graph has one, the reduction cell of a lowered
/// architecture: its connected parts, a part whose labels start with `reduce_` being the
/// reduction cell; parts without an output (inputs no path uses) are left out.
fn cells(arch: &Arch) -> Result<(Cell, Option<Cell>)> {
    let n = arch.node_count();
    let mut part: Vec<usize> = (0..n).collect();
    fn root(part: &mut [usize], mut i: usize) -> usize {
        while part[i] != i {
            part[i] = part[part[i]];
            i = part[i];
        }
        i
    }
    for (a, b) in arch.edges() {
        let (ra, rb) = (root(&mut part, a), root(&mut part, b));
        part[ra.max(rb)] = ra.min(rb);
    }
    let order = topological(arch)?;
    let (mut normal, mut reduce) = (None, None);
    let roots: Vec<usize> = (0..n).map(|i| root(&mut part, i)).collect();
    let mut seen: Vec<usize> = roots.clone();
    seen.sort_unstable();
    seen.dedup();
    for r in seen {
        let members: Vec<usize> = order.iter().copied().filter(|&i| roots[i] == r).collect();
        if !members.iter().any(|&i| strip(arch.label(i)) == "output") {
            continue;
        }
        let is_reduce = members
            .iter()
            .any(|&i| arch.label(i).starts_with("reduce_"));
        let slot = if is_reduce { &mut reduce } else { &mut normal };
        if slot.is_some() {
            return Err(Error::Unbuildable(format!(
                "the architecture has more than one {} cell (separate parts with an output)",
                if is_reduce { "reduction" } else { "normal" }
            )));
        }
        *slot = Some(cell(arch, &members)?);
    }
    let normal = normal.ok_or_else(|| {
        Error::Unbuildable(
            "the architecture has no cell with an `output` node reached from an input".into(),
        )
    })?;
    Ok((normal, reduce))
}

fn strip(label: &str) -> &str {
    label.strip_prefix("reduce_").unwrap_or(label)
}

/// The nodes in an order where each comes after its predecessors.
fn topological(arch: &Arch) -> Result<Vec<usize>> {
    petgraph::algo::toposort(arch.graph(), None)
        .map(|o| o.into_iter().map(|v| v.index()).collect())
        .map_err(|_| Error::Graph("the architecture has a cycle".into()))
}

/// One cell from its nodes (given in topological order), checked: known labels, one
/// output, inputs with no predecessors, operations and the output with some.
fn cell(arch: &Arch, members: &[usize]) -> Result<Cell> {
    let local = |g: usize| members.iter().position(|&m| m == g);
    let mut nodes = Vec::with_capacity(members.len());
    let mut outputs = Vec::new();
    for &g in members {
        let label = arch.label(g);
        let Some(r) = role(strip(label)) else {
            return Err(Error::Unbuildable(format!(
                "node {g}: operation `{label}` is not one it builds ({KNOWN})"
            )));
        };
        let preds: Vec<usize> = arch.predecessors(g).filter_map(local).collect();
        match (&r, preds.is_empty()) {
            (Role::Input(_), false) => {
                return Err(Error::Unbuildable(format!(
                    "node {g}: input `{label}` has predecessors"
                )))
            }
            (Role::Output, true) => {
                return Err(Error::Unbuildable(format!(
                    "node {g}: the cell has no path from an input to its output (the network would compute a constant)"
                )))
            }
            (Role::Ops(_), true) => {
                return Err(Error::Unbuildable(format!("node {g}: `{label}` reads no node")))
            }
            _ => {}
        }
        if r == Role::Output {
            outputs.push(nodes.len());
        }
        nodes.push((r, preds));
    }
    match outputs[..] {
        [output] => Ok(Cell { nodes, output }),
        _ => Err(Error::Unbuildable(format!(
            "a cell needs one `output` node; node {} is in a part with {}",
            members[0],
            outputs.len()
        ))),
    }
}

/// The network of a lowered architecture stacked by `stack`, for `classes` classes: one
/// line naming the node and label that cannot be built otherwise.
pub fn network(arch: &Arch, stack: &Stacking, classes: usize) -> Result<Spec> {
    if stack.width == 0 || stack.cells == 0 || stack.width > 256 || stack.cells > 16 {
        return Err(Error::Config(format!(
            "stacking needs a width in 1..=256 and 1..=16 cells a stage (got width {}, {} cells)",
            stack.width, stack.cells
        )));
    }
    let (normal, reduce) = cells(arch)?;
    let mut b = Builder::default();
    b.push(vec![], Merge::Sum, Op::Input, (1, 1), SIDE);
    let stem = Op::Conv {
        k: 3,
        relu: false,
        residual: false,
    };
    let stem = b.push(vec![0], Merge::Sum, stem, (1, stack.width), SIDE);
    let mut prev = [stem, stem];
    for stage in 0..STAGES {
        let (c, side) = (stack.width << stage, SIDE >> stage);
        if stage > 0 {
            let out = match &reduce {
                Some(r) => place(&mut b, r, prev, c, side),
                None => {
                    let conv = Op::Conv {
                        k: 3,
                        relu: true,
                        residual: false,
                    };
                    let from = b.nodes[prev[1]].c_out;
                    b.push(vec![prev[1]], Merge::Sum, conv, (from, c), side)
                }
            };
            prev = [prev[1], out];
        }
        for _ in 0..stack.cells {
            let out = place(&mut b, &normal, prev, c, side);
            prev = [prev[1], out];
        }
    }
    let spec = Spec {
        nodes: b.nodes,
        classes,
        dropout: 0.0,
        merge_start: None,
    };
    spec.check()?;
    Ok(spec)
}

/// Appends one copy of `cell` to `b`, reading the network nodes `inputs` (the cell before
/// the previous, the previous), at `c` channels and side `side`; returns its output node.
fn place(b: &mut Builder, cell: &Cell, inputs: [usize; 2], c: usize, side: usize) -> usize {
    let mut at = vec![0; cell.nodes.len()];
    for (i, (role, preds)) in cell.nodes.iter().enumerate() {
        let reads: Vec<usize> = preds.iter().map(|&p| at[p]).collect();
        at[i] = match role {
            Role::Input(k) => inputs[*k],
            Role::Output => b.push(reads, Merge::Mean, Op::Identity, (c, c), side),
            Role::Ops(ops) => {
                let mut from = reads;
                for &op in ops {
                    from = vec![b.push(from, Merge::Sum, op, (c, c), side)];
                }
                from[0]
            }
        };
    }
    at[cell.output]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{DartsSpace, Nb101Space, Nb201Space, NbGraphSpace, Space};
    use crate::trainer::net::Model;

    fn lower<S: Space>(s: &S, arch: &str) -> Arch {
        s.lower(&s.parse(arch).unwrap())
    }

    /// DARTS's published cell (Liu et al., 2019).
    const DARTS_V2: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

    const NB201: Nb201Space = Nb201Space {
        skip_as_wire: false,
    };

    /// One 3×3 convolution from input to output: the parameters counted by hand.
    #[test]
    fn a_one_convolution_cell_has_the_parameters_counted_by_hand() {
        let a = lower(
            &NB201,
            "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|",
        );
        let c = 8;
        let stack = Stacking { width: c, cells: 1 };
        let model = Model::new(network(&a, &stack, 10).unwrap()).unwrap();
        let conv = |i: usize, o: usize| 9 * i * o + 2 * o;
        let want = conv(1, c)
            + conv(c, c)
            + conv(c, 2 * c)
            + conv(2 * c, 2 * c)
            + conv(2 * c, 4 * c)
            + conv(4 * c, 4 * c)
            + 10 * 4 * c
            + 10;
        assert_eq!(model.params(), want);
    }

    /// The cells of every image space build, at every side and width they are stacked to.
    #[test]
    fn benchmark_cells_build_with_their_reductions() {
        let nb201 = lower(
            &NB201,
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|",
        );
        let darts = lower(
            &DartsSpace {
                skip_as_wire: false,
            },
            DARTS_V2,
        );
        let nb101 = lower(
            &Nb101Space,
            r#"{"matrix":[[0,1,1,0,0],[0,0,0,1,0],[0,0,0,1,1],[0,0,0,0,1],[0,0,0,0,0]],"ops":["input","conv3x3-bn-relu","maxpool3x3","conv1x1-bn-relu","output"]}"#,
        );
        let stack = Stacking { width: 4, cells: 2 };
        for (name, a) in [("nb201", nb201), ("darts", darts), ("nb101", nb101)] {
            let spec = network(&a, &stack, 10).unwrap_or_else(|e| panic!("{name}: {e}"));
            let sides: Vec<usize> = spec.nodes.iter().map(|n| n.side).collect();
            assert_eq!((sides[0], sides[sides.len() - 1]), (8, 2), "{name}");
            assert_eq!(spec.nodes.last().unwrap().c_out, 16, "{name}");
            Model::new(spec).unwrap();
        }
        // DARTS's reduction cell is stacked between stages: its max pooling appears.
        let darts = lower(
            &DartsSpace {
                skip_as_wire: false,
            },
            DARTS_V2,
        );
        let spec = network(&darts, &stack, 10).unwrap();
        let pools = spec.nodes.iter().filter(|n| n.op == Op::Pool { max: true });
        assert_eq!(
            pools.count(),
            2 * 5,
            "five max-pools a reduction cell, two reductions"
        );
    }

    #[test]
    fn what_cannot_be_built_is_one_line_naming_it() {
        let s = NbGraphSpace::new(false);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let a = s.lower(&crate::space::Sampler::sample(&s, &mut rng));
        let e = network(&a, &Stacking::default(), 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot build") && e.contains("is not one it builds") && !e.contains('\n'),
            "{e}"
        );
        let a = Arch::from_json(r#"{"labels":["input","conv7x7","output"],"edges":[[0,1],[1,2]]}"#)
            .unwrap();
        let e = network(&a, &Stacking::default(), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("node 1") && e.contains("conv7x7"), "{e}");
        let a = Arch::from_json(
            r#"{"labels":["input","conv3x3","output","output"],"edges":[[0,1],[1,2],[1,3]]}"#,
        )
        .unwrap();
        let e = network(&a, &Stacking::default(), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("one `output`"), "{e}");
        let a = lower(
            &NB201,
            "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        );
        let e = network(&a, &Stacking::default(), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no path from an input"), "{e}");
        let wide = Stacking { width: 0, cells: 1 };
        assert!(network(
            &lower(
                &NB201,
                "|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"
            ),
            &wide,
            10
        )
        .is_err());
    }
}
