//! Cells whose operations sit on their nodes (NAS-Bench-101's shape): node 0 is the input,
//! the last node the output, each node between chooses an operation and each forward edge
//! is there or not, under a maximum number of edges. Nodes off every input-to-output path
//! compute nothing: the canonical form drops their edges and sets their operation to the
//! first, so that such cells are one architecture.

use rand::RngCore;

/// The decisions of one node cell: every forward edge `i -> j` (`j` ascending, then `i`),
/// options `0`/`1`, then the operation of each node `1..nodes - 1`.
#[derive(Clone, Debug)]
pub(super) struct NodeCell {
    /// Where the cell's decisions start.
    pub at: usize,
    pub nodes: usize,
    pub max_edges: Option<usize>,
    /// How many operations a node chooses from.
    pub ops: usize,
}

/// Largest edge count whose subsets are counted one by one (7 nodes: 21 edges).
const COUNTED_EDGES: usize = 21;

impl NodeCell {
    /// The forward edges in decision order.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> {
        let n = self.nodes;
        (1..n).flat_map(|j| (0..j).map(move |i| (i, j)))
    }

    pub fn n_edges(&self) -> usize {
        self.nodes * (self.nodes - 1) / 2
    }

    /// Where the node operations start.
    pub fn ops_at(&self) -> usize {
        self.at + self.n_edges()
    }

    /// How many decisions the cell has.
    pub fn len(&self) -> usize {
        self.n_edges() + self.nodes - 2
    }

    /// The nodes on an input-to-output path, as a bitmask (0 when there is no path).
    pub fn kept(&self, c: &[u8]) -> u32 {
        let n = self.nodes;
        let mut pred = [0u32; 16];
        for (e, (i, j)) in self.edges().enumerate() {
            if c[self.at + e] == 1 {
                pred[j] |= 1 << i;
            }
        }
        let mut fwd = 1u32;
        for (j, &p) in pred.iter().enumerate().take(n).skip(1) {
            if p & fwd != 0 {
                fwd |= 1 << j;
            }
        }
        let mut bwd = 1u32 << (n - 1);
        for v in (0..n).rev() {
            if bwd >> v & 1 == 1 {
                bwd |= pred[v];
            }
        }
        let keep = fwd & bwd;
        if keep & 1 == 0 {
            0
        } else {
            keep
        }
    }

    /// Drops the edges and operations of nodes off every path.
    pub fn normalise(&self, c: &mut [u8]) {
        let keep = self.kept(c);
        let edges: Vec<(usize, usize)> = self.edges().collect();
        for (e, (i, j)) in edges.into_iter().enumerate() {
            if keep >> i & 1 == 0 || keep >> j & 1 == 0 {
                c[self.at + e] = 0;
            }
        }
        for v in 1..self.nodes - 1 {
            if keep >> v & 1 == 0 {
                c[self.ops_at() + v - 1] = 0;
            }
        }
    }

    /// Why the cell is not an architecture: no path, or too many edges once pruned.
    pub fn invalid(&self, c: &[u8]) -> Option<String> {
        let keep = self.kept(c);
        if keep == 0 {
            return Some("no path from the input to the output".into());
        }
        let used = self
            .edges()
            .enumerate()
            .filter(|&(e, (i, j))| c[self.at + e] == 1 && keep >> i & 1 == 1 && keep >> j & 1 == 1)
            .count();
        match self.max_edges {
            Some(m) if used > m => Some(format!("{used} edges, more than max_edges = {m}")),
            _ => None,
        }
    }

    /// Each edge with probability 1/2 and uniform operations, redrawn until valid (as
    /// NAS-Bench-101's own sampler does); returns how many draws were rejected.
    pub fn sample(&self, c: &mut [u8], rng: &mut dyn RngCore) -> u64 {
        let mut rejected = 0;
        loop {
            for e in 0..self.n_edges() {
                c[self.at + e] = (rng.next_u32() & 1) as u8;
            }
            for v in 0..self.nodes - 2 {
                c[self.ops_at() + v] = super::super::pick(rng, self.ops) as u8;
            }
            if self.invalid(c).is_none() {
                self.normalise(c);
                return rejected;
            }
            rejected += 1;
        }
    }

    /// The canonical valid edge sets, each with its kept nodes (counted one by one where
    /// there are at most [`COUNTED_EDGES`] edges).
    fn edge_sets(&self) -> Option<Vec<(Vec<u8>, u32)>> {
        let m = self.n_edges();
        if m > COUNTED_EDGES {
            return None;
        }
        let mut c = vec![0u8; self.at + self.len()];
        let mut out = Vec::new();
        for mask in 0u32..1 << m {
            for e in 0..m {
                c[self.at + e] = (mask >> e & 1) as u8;
            }
            if self.invalid(&c).is_some() {
                continue;
            }
            let before = c.clone();
            self.normalise(&mut c);
            if c == before {
                out.push((c[self.at..self.at + m].to_vec(), self.kept(&c)));
            }
        }
        Some(out)
    }

    /// How many canonical, valid cells there are.
    pub fn size(&self) -> Option<u128> {
        let inner = |keep: u32| (keep >> 1).count_ones() - (keep >> (self.nodes - 1) & 1);
        self.edge_sets()?.iter().try_fold(0u128, |a, &(_, keep)| {
            a.checked_add((self.ops as u128).checked_pow(inner(keep))?)
        })
    }

    /// Every canonical, valid cell's decisions.
    pub fn all(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (edges, keep) in self.edge_sets().unwrap_or_default() {
            let inner: Vec<usize> = (1..self.nodes - 1).filter(|v| keep >> v & 1 == 1).collect();
            for ops in super::product(&vec![self.ops; inner.len()]) {
                let mut v = edges.clone();
                let mut node_ops = vec![0u8; self.nodes - 2];
                for (&n, o) in inner.iter().zip(ops) {
                    node_ops[n - 1] = o;
                }
                v.extend(node_ops);
                out.push(v);
            }
        }
        out
    }

    /// The lowered graph: the kept nodes in order, and the edges between them in that
    /// numbering.
    pub fn graph(&self, c: &[u8]) -> (Vec<usize>, Vec<(usize, usize)>) {
        let keep = self.kept(c);
        let nodes: Vec<usize> = (0..self.nodes).filter(|v| keep >> v & 1 == 1).collect();
        let mut index = [usize::MAX; 16];
        for (k, &v) in nodes.iter().enumerate() {
            index[v] = k;
        }
        let edges = self
            .edges()
            .enumerate()
            .filter(|&(e, (i, j))| c[self.at + e] == 1 && keep >> i & 1 == 1 && keep >> j & 1 == 1)
            .map(|(_, (i, j))| (index[i], index[j]))
            .collect();
        (nodes, edges)
    }
}
