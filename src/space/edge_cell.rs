//! Lowering of edge-labelled cells (NAS-Bench-201, DARTS), where operations sit on the
//! cell's edges and become the graph's nodes. The topology is worked out once with
//! bitmask adjacency (no allocation) and then written either as an [`Arch`] or straight
//! into a [`FlatGraph`], the form the scoring hot loop hashes; both writers read the same
//! topology, so the two forms cannot disagree.

use crate::graph::{Arch, FlatGraph, Label};
use crate::wl::{fnv1a64, fnv1a64_from, mix64};
use std::borrow::Cow;

/// Most graph nodes a lowered cell may have (inputs + operations + output).
const MAX_NODES: usize = 32;
/// Most cell nodes (the cell's own numbering, before lowering).
const MAX_CELL_NODES: usize = 16;

/// One edge of a cell: `(from, to, operation index)` in the cell's node numbering.
pub(crate) type CellEdge = (usize, usize, u8);

/// Iteration-0 WL labels of `names` with `prefix` (what [`initial_label`] gives for the
/// joined string), computed at compile time so the hot loop hashes no strings.
///
/// [`initial_label`]: crate::wl::initial_label
pub(crate) const fn op_labels<const N: usize>(names: [&str; N], prefix: &str) -> [u64; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = mix64(fnv1a64_from(
            fnv1a64(prefix.as_bytes()),
            names[i].as_bytes(),
        ));
        i += 1;
    }
    out
}

/// Labels of the nodes that are not operations.
pub(crate) const OUTPUT: u64 = op_labels(["output"], "")[0];
pub(crate) const DEAD_INPUT: u64 = op_labels(["input"], "")[0];

/// What an operation does to its edge when a cell is lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeRole {
    /// No edge (NB201's and DARTS' `none`): dropped.
    Drop,
    /// An identity (`skip_connect` lowered as a wire): the target reads the source's inputs.
    Wire,
    /// An operation: a node of the lowered graph.
    Op,
}

/// Whether two strings are equal, in a `const fn`.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The roles of the built-in spaces' operations: `none` drops its edge, and
/// `skip_connect` is a wire when `skip_as_wire`.
pub(crate) const fn roles<const N: usize>(names: [&str; N], skip_as_wire: bool) -> [EdgeRole; N] {
    let mut out = [EdgeRole::Op; N];
    let mut i = 0;
    while i < N {
        if same(names[i], "none") {
            out[i] = EdgeRole::Drop;
        } else if skip_as_wire && same(names[i], "skip_connect") {
            out[i] = EdgeRole::Wire;
        }
        i += 1;
    }
    out
}

/// What a graph node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// The `k`-th cell input.
    Input(usize),
    /// The operation on the `e`-th cell edge.
    Op(usize),
    /// The cell's output (sum or concatenation of its output nodes).
    Output,
    /// An input of a cell with no input-to-output path (it computes nothing).
    DeadInput,
}

/// A lowered cell before labelling: nodes in creation order (a topological order) and
/// each node's predecessors as a bitmask, already pruned to input-to-output paths.
pub(crate) struct EdgeCell<'a> {
    cell: &'a [CellEdge],
    nodes: [Node; MAX_NODES],
    pred: [u32; MAX_NODES],
    len: usize,
}

/// Iterates the set bits of a mask, lowest first.
fn bits(mut m: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let b = m.trailing_zeros() as usize;
            m &= m - 1;
            b
        })
    })
}

impl<'a> EdgeCell<'a> {
    /// Lowers a cell whose inputs are cell nodes `0..n_inputs` and whose output reads the
    /// cell nodes in `outputs`; each edge's operation does what `roles` says of it, and
    /// nodes off every input-to-output path are pruned.
    pub(crate) fn new(
        cell: &'a [CellEdge],
        roles: &[EdgeRole],
        n_inputs: usize,
        outputs: &[usize],
    ) -> Self {
        let mut g = EdgeCell {
            cell,
            nodes: [Node::Output; MAX_NODES],
            pred: [0; MAX_NODES],
            len: 0,
        };
        // Graph nodes whose outputs are summed into each cell node; a skip wire makes a
        // cell node take over the sources of the node it skips from.
        let mut feeds = [0u32; MAX_CELL_NODES];
        for (k, feed) in feeds.iter_mut().enumerate().take(n_inputs) {
            g.push(Node::Input(k), 0);
            *feed |= 1 << k;
        }
        // Operations in order of their target node (a stable order: ties by edge index).
        let mut order = [0usize; MAX_NODES];
        let mut n_ops = 0;
        for (e, &(_, _, op)) in cell.iter().enumerate() {
            if roles[op as usize] != EdgeRole::Drop {
                order[n_ops] = e;
                n_ops += 1;
            }
        }
        order[..n_ops].sort_unstable_by_key(|&e| (cell[e].1, e));
        for &e in &order[..n_ops] {
            let (from, to, op) = cell[e];
            if roles[op as usize] == EdgeRole::Wire {
                feeds[to] |= feeds[from];
            } else {
                let id = g.push(Node::Op(e), feeds[from]);
                feeds[to] |= 1 << id;
            }
        }
        let out_pred = outputs.iter().fold(0, |m, &o| m | feeds[o]);
        let out = g.push(Node::Output, out_pred);
        g.prune(n_inputs, out);
        g
    }

    fn push(&mut self, node: Node, pred: u32) -> usize {
        assert!(
            self.len < MAX_NODES,
            "edge cell larger than {MAX_NODES} nodes"
        );
        self.nodes[self.len] = node;
        self.pred[self.len] = pred;
        self.len += 1;
        self.len - 1
    }

    /// Keeps the nodes on a path from an input to `out`, renumbered in creation order.
    fn prune(&mut self, n_inputs: usize, out: usize) {
        // Creation order is topological: a node's predecessors were all created before it.
        let mut fwd: u32 = (1 << n_inputs) - 1;
        for v in n_inputs..self.len {
            if self.pred[v] & fwd != 0 {
                fwd |= 1 << v;
            }
        }
        let mut bwd: u32 = 1 << out;
        for v in (0..self.len).rev() {
            if bwd >> v & 1 == 1 {
                bwd |= self.pred[v];
            }
        }
        let keep = fwd & bwd;
        if keep == 0 {
            // No input-to-output path: the cell computes nothing. Keep inputs and output alone.
            self.len = 0;
            for _ in 0..n_inputs {
                self.push(Node::DeadInput, 0);
            }
            self.push(Node::Output, 0);
            return;
        }
        let mut map = [0usize; MAX_NODES];
        let mut n = 0;
        for v in bits(keep) {
            map[v] = n;
            self.nodes[n] = self.nodes[v];
            self.pred[n] = bits(self.pred[v] & keep).fold(0, |m, u| m | 1 << map[u]);
            n += 1;
        }
        self.len = n;
    }

    /// Edges `(from, to)` of the lowered graph.
    fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.len).flat_map(move |v| bits(self.pred[v]).map(move |u| (u, v)))
    }

    /// The lowered cell as an [`Arch`]: `names[op]` names the operations (with `prefix`),
    /// `inputs[k]` the `k`-th input.
    pub(crate) fn to_arch(
        &self,
        names: &[&'static str],
        inputs: &[&'static str],
        prefix: &'static str,
    ) -> Arch {
        self.to_arch_by(|n| match n {
            Node::Input(k) => Cow::Borrowed(inputs[k]),
            Node::Op(op) if prefix.is_empty() => Cow::Borrowed(names[op]),
            Node::Op(op) => Cow::Owned(format!("{prefix}{}", names[op])),
            Node::Output => Cow::Borrowed("output"),
            Node::DeadInput => Cow::Borrowed("input"),
        })
    }

    /// The lowered cell as an [`Arch`], each node labelled by `label` (given
    /// [`Node::Op`] with the operation's index, not the edge's).
    pub(crate) fn to_arch_by(&self, label: impl Fn(Node) -> Label) -> Arch {
        let labels: Vec<Label> = self.nodes[..self.len]
            .iter()
            .map(|&n| match n {
                Node::Op(e) => label(Node::Op(self.cell[e].2 as usize)),
                n => label(n),
            })
            .collect();
        let edges: Vec<_> = self.edges().collect();
        Arch::from_trusted(labels, &edges)
    }

    /// Appends the lowered cell to `out` (after the nodes already there, unconnected to
    /// them): `inputs[k]` and `ops[i]` are the [`op_labels`] of the input names and of the
    /// operations with the prefix given to [`EdgeCell::to_arch`].
    pub(crate) fn append_to(&self, out: &mut FlatGraph, inputs: &[u64], ops: &[u64]) {
        let base = out.labels.len() as u32;
        out.labels
            .extend(self.nodes[..self.len].iter().map(|&n| match n {
                Node::Input(k) => inputs[k],
                Node::Op(e) => ops[self.cell[e].2 as usize],
                Node::Output => OUTPUT,
                Node::DeadInput => DEAD_INPUT,
            }));
        out.edges.extend(
            self.edges()
                .map(|(a, b)| (base + a as u32, base + b as u32)),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::FlatGraph;
    use crate::space::{DartsSpace, Nb201Space, Sampler, Space};
    use crate::wl::{self, Direction, Features, WlConfig, WlScratch};
    use rand::SeedableRng;

    /// The direct flat lowering gives the same WL features as lowering to an `Arch`.
    fn check<S: Sampler>(space: &S, cells: &[S::Cell]) {
        let (mut g, mut scratch, mut f) = (
            FlatGraph::default(),
            WlScratch::default(),
            Features::default(),
        );
        for c in cells {
            space.lower_flat(c, &mut g);
            let arch = space.lower(c);
            assert_eq!(g.node_count(), arch.node_count());
            assert_eq!(g.edges.len(), arch.edge_count());
            for direction in [Direction::In, Direction::Out, Direction::Both] {
                let cfg = WlConfig { h: 3, direction };
                scratch.features_into(&g, &cfg, &mut f);
                assert_eq!(f, wl::features(&arch, &cfg), "{c:?}");
            }
        }
    }

    #[test]
    fn flat_lowering_equals_arch_lowering() {
        for skip_as_wire in [true, false] {
            let s = Nb201Space { skip_as_wire };
            check(&s, &s.enumerate().unwrap());
            let d = DartsSpace { skip_as_wire };
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let mut cells: Vec<_> = (0..2_000).map(|_| d.sample(&mut rng)).collect();
            // Genotypes with `none` edges and dead nodes too.
            cells.push(
                d.parse(&d.format(&cells[0]).replace("sep_conv_3x3", "none"))
                    .unwrap(),
            );
            check(&d, &cells);
        }
    }
}
