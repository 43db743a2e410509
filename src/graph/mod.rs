//! `Arch`: the node-labelled DAG that every search space lowers to, so WL features and
//! kernels are written once for all spaces.

use crate::error::{Error, Result};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction as PgDir;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

mod flat;
pub use flat::FlatGraph;

/// An operation label: static for built-in spaces (no allocation), owned for user graphs.
pub type Label = Cow<'static, str>;

/// A node-labelled directed acyclic graph: nodes are operations, edges are data flow.
#[derive(Clone, Debug)]
pub struct Arch {
    graph: DiGraph<Label, ()>,
}

/// The user-facing JSON form of a labelled DAG, one object per line in JSONL files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonArch {
    /// Operation label of each node, indexed from 0.
    pub labels: Vec<String>,
    /// Directed edges `[from, to]` between node indices.
    pub edges: Vec<[usize; 2]>,
}

impl Arch {
    /// Builds a graph from labels and edges, checking indices, self-loops, duplicates and cycles.
    pub fn new(labels: Vec<Label>, edges: &[(usize, usize)]) -> Result<Self> {
        let n = labels.len();
        let mut graph = DiGraph::with_capacity(n, edges.len());
        for l in labels {
            graph.add_node(l);
        }
        for &(a, b) in edges {
            if a >= n || b >= n {
                return Err(Error::Graph(format!(
                    "edge [{a}, {b}] refers to a node outside 0..{n}"
                )));
            }
            if a == b {
                return Err(Error::Graph(format!("self-loop on node {a}")));
            }
            let (ia, ib) = (NodeIndex::new(a), NodeIndex::new(b));
            if graph.find_edge(ia, ib).is_some() {
                return Err(Error::Graph(format!("duplicate edge [{a}, {b}]")));
            }
            graph.add_edge(ia, ib, ());
        }
        if let Err(c) = petgraph::algo::toposort(&graph, None) {
            return Err(Error::Graph(format!(
                "cycle through node {} ({})",
                c.node_id().index(),
                graph[c.node_id()]
            )));
        }
        Ok(Arch { graph })
    }

    /// Builds a graph whose edges are known to be valid (used by the built-in spaces).
    pub(crate) fn from_trusted(labels: Vec<Label>, edges: &[(usize, usize)]) -> Self {
        let mut graph = DiGraph::with_capacity(labels.len(), edges.len());
        for l in labels {
            graph.add_node(l);
        }
        for &(a, b) in edges {
            graph.update_edge(NodeIndex::new(a), NodeIndex::new(b), ());
        }
        debug_assert!(!petgraph::algo::is_cyclic_directed(&graph));
        Arch { graph }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Operation label of node `i`.
    pub fn label(&self, i: usize) -> &str {
        &self.graph[NodeIndex::new(i)]
    }

    /// Nodes feeding node `i`.
    pub fn predecessors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(i), PgDir::Incoming)
            .map(|n| n.index())
    }

    /// Nodes fed by node `i`.
    pub fn successors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(i), PgDir::Outgoing)
            .map(|n| n.index())
    }

    /// All edges as `(from, to)` pairs, sorted.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut e: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (a.index(), b.index()))
            .collect();
        e.sort_unstable();
        e
    }

    /// Both graphs side by side as one graph (e.g. a DARTS normal and reduction cell).
    pub fn disjoint_union(&self, other: &Arch) -> Arch {
        let off = self.node_count();
        let labels: Vec<Label> = self
            .graph
            .node_weights()
            .chain(other.graph.node_weights())
            .cloned()
            .collect();
        let mut e = self.edges();
        e.extend(other.edges().into_iter().map(|(a, b)| (a + off, b + off)));
        Arch::from_trusted(labels, &e)
    }

    /// The underlying petgraph graph, for users who want its algorithms.
    pub fn graph(&self) -> &DiGraph<Label, ()> {
        &self.graph
    }

    /// Parses one JSON object `{"labels": [...], "edges": [[a, b], ...]}`.
    pub fn from_json(s: &str) -> Result<Self> {
        let j: JsonArch =
            serde_json::from_str(s.trim()).map_err(|e| Error::parse("json", s, e.to_string()))?;
        if j.labels.is_empty() {
            return Err(Error::parse("json", s, "graph has no nodes"));
        }
        let edges: Vec<(usize, usize)> = j.edges.iter().map(|e| (e[0], e[1])).collect();
        Arch::new(j.labels.into_iter().map(Cow::Owned).collect(), &edges)
            .map_err(|e| Error::parse("json", s, e.to_string()))
    }

    /// The JSON form, one line.
    pub fn to_json(&self) -> String {
        let j = JsonArch {
            labels: (0..self.node_count())
                .map(|i| self.label(i).to_string())
                .collect(),
            edges: self.edges().into_iter().map(|(a, b)| [a, b]).collect(),
        };
        serde_json::to_string(&j).expect("JSON of plain strings and numbers")
    }
}

/// Keeps only the nodes that lie on a path from one of `inputs` to `output` and renumbers
/// them in their original order; used by the spaces whose cells may contain dead operations.
pub(crate) fn prune_to_paths(
    labels: Vec<Label>,
    edges: &[(usize, usize)],
    inputs: &[usize],
    output: usize,
) -> Arch {
    let n = labels.len();
    let reach = |from: &[usize], forward: bool| {
        let mut seen = vec![false; n];
        let mut stack = from.to_vec();
        for &f in from {
            seen[f] = true;
        }
        while let Some(v) = stack.pop() {
            for &(a, b) in edges {
                let (s, t) = if forward { (a, b) } else { (b, a) };
                if s == v && !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    };
    let fwd = reach(inputs, true);
    let bwd = reach(&[output], false);
    let mut map = vec![usize::MAX; n];
    let mut kept = Vec::with_capacity(n);
    for (i, l) in labels.into_iter().enumerate() {
        if fwd[i] && bwd[i] {
            map[i] = kept.len();
            kept.push(l);
        }
    }
    if kept.is_empty() {
        // No input-to-output path: the cell computes nothing. Keep inputs and output alone.
        let mut l: Vec<Label> = inputs.iter().map(|_| Cow::Borrowed("input")).collect();
        l.push(Cow::Borrowed("output"));
        return Arch::from_trusted(l, &[]);
    }
    let e: Vec<_> = edges
        .iter()
        .filter(|&&(a, b)| map[a] != usize::MAX && map[b] != usize::MAX)
        .map(|&(a, b)| (map[a], map[b]))
        .collect();
    Arch::from_trusted(kept, &e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let s = r#"{"labels":["input","conv","output"],"edges":[[0,1],[1,2]]}"#;
        let a = Arch::from_json(s).unwrap();
        assert_eq!(a.to_json(), s);
        assert_eq!(a.node_count(), 3);
    }

    #[test]
    fn json_rejects_cycles_and_bad_indices() {
        let cyc = r#"{"labels":["a","b"],"edges":[[0,1],[1,0]]}"#;
        assert!(Arch::from_json(cyc)
            .unwrap_err()
            .to_string()
            .contains("cycle"));
        let oob = r#"{"labels":["a"],"edges":[[0,3]]}"#;
        assert!(Arch::from_json(oob)
            .unwrap_err()
            .to_string()
            .contains("outside"));
        assert!(Arch::from_json("{").is_err());
        assert!(Arch::from_json(r#"{"labels":[],"edges":[]}"#).is_err());
    }

    #[test]
    fn pruning_drops_dead_nodes() {
        let l: Vec<Label> = ["input", "a", "dead", "output"]
            .into_iter()
            .map(Cow::Borrowed)
            .collect();
        let a = prune_to_paths(l, &[(0, 1), (1, 3), (0, 2)], &[0], 3);
        assert_eq!(a.node_count(), 3);
        assert_eq!(a.edges(), vec![(0, 1), (1, 2)]);
    }
}
