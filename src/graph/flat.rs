//! `FlatGraph`: a labelled DAG as two flat arrays, the form the scoring hot loop lowers
//! candidates into. It is reused from candidate to candidate, so lowering and WL hashing
//! allocate nothing once its buffers have grown.

use super::Arch;
use crate::wl::initial_label;

/// Node labels (already hashed to their WL iteration-0 value) and edges `(from, to)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatGraph {
    /// Iteration-0 WL label of each node.
    pub labels: Vec<u64>,
    /// Directed edges between node indices.
    pub edges: Vec<(u32, u32)>,
}

impl FlatGraph {
    /// Empties the graph, keeping its buffers.
    pub fn clear(&mut self) {
        self.labels.clear();
        self.edges.clear();
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.labels.len()
    }

    /// Overwrites `self` with `arch` (the path every space without a direct lowering takes).
    pub fn set_from_arch(&mut self, arch: &Arch) {
        self.clear();
        self.labels
            .extend((0..arch.node_count()).map(|v| initial_label(arch.label(v))));
        self.edges.extend(
            arch.graph()
                .raw_edges()
                .iter()
                .map(|e| (e.source().index() as u32, e.target().index() as u32)),
        );
    }

    /// The flat form of `arch`.
    pub fn from_arch(arch: &Arch) -> Self {
        let mut g = FlatGraph::default();
        g.set_from_arch(arch);
        g
    }
}
