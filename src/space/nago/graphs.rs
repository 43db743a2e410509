//! The random graphs NAGO's generators draw: Watts–Strogatz (connected, as networkx's
//! `connected_watts_strogatz_graph` with `tries = 200`) and Erdős–Rényi, and their
//! orientation into DAGs by node index (RandWire's rule).

use crate::error::{Error, Result};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An undirected simple graph on nodes `0..nodes`, edges as `(u, v)` with `u < v`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// Number of nodes.
    pub nodes: usize,
    /// Edges, `[u, v]` with `u < v`, sorted. Read as a DAG they point from `u` to `v`.
    pub edges: Vec<[usize; 2]>,
}

impl Graph {
    fn from_set(nodes: usize, set: &BTreeSet<(usize, usize)>) -> Graph {
        Graph {
            nodes,
            edges: set.iter().map(|&(u, v)| [u, v]).collect(),
        }
    }

    /// Whether every node can reach every other (ignoring direction).
    pub fn is_connected(&self) -> bool {
        if self.nodes == 0 {
            return true;
        }
        let mut parent: Vec<usize> = (0..self.nodes).collect();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for &[u, v] in &self.edges {
            let (a, b) = (root(&mut parent, u), root(&mut parent, v));
            parent[a] = b;
        }
        let r = root(&mut parent, 0);
        (0..self.nodes).all(|x| root(&mut parent, x) == r)
    }

    /// Predecessors of each node in the DAG that orients every edge from the lower index.
    pub fn predecessors(&self) -> Vec<Vec<usize>> {
        let mut p = vec![Vec::new(); self.nodes];
        for &[u, v] in &self.edges {
            p[v].push(u);
        }
        p
    }

    /// Nodes without predecessors (they take the graph's input) and nodes without
    /// successors (averaged into its output), in the DAG by node index.
    pub fn sources_and_sinks(&self) -> (Vec<usize>, Vec<usize>) {
        let (mut has_in, mut has_out) = (vec![false; self.nodes], vec![false; self.nodes]);
        for &[u, v] in &self.edges {
            has_out[u] = true;
            has_in[v] = true;
        }
        (
            (0..self.nodes).filter(|&i| !has_in[i]).collect(),
            (0..self.nodes).filter(|&i| !has_out[i]).collect(),
        )
    }
}

/// A Watts–Strogatz small-world graph as networkx draws it: a ring lattice joining each
/// node to its `k / 2` nearest neighbours on each side, then each lattice edge `(u, u + j)`
/// rewired with probability `p` to `(u, w)`, `w` uniform among nodes that are neither `u`
/// nor already joined to it.
pub fn watts_strogatz(n: usize, k: usize, p: f64, rng: &mut ChaCha8Rng) -> Graph {
    let mut set: BTreeSet<(usize, usize)> = BTreeSet::new();
    let key = |a: usize, b: usize| (a.min(b), a.max(b));
    let half = k / 2;
    for j in 1..=half {
        for u in 0..n {
            let v = (u + j) % n;
            if u != v {
                set.insert(key(u, v));
            }
        }
    }
    for j in 1..=half {
        for u in 0..n {
            let v = (u + j) % n;
            if u == v || rng.gen::<f64>() >= p {
                continue;
            }
            let free: Vec<usize> = (0..n)
                .filter(|&w| w != u && !set.contains(&key(u, w)))
                .collect();
            if free.is_empty() {
                continue; // u is joined to every node already
            }
            let w = free[rng.gen_range(0..free.len())];
            set.remove(&key(u, v));
            set.insert(key(u, w));
        }
    }
    Graph::from_set(n, &set)
}

/// A connected Watts–Strogatz graph: up to `tries` draws until one is connected (networkx's
/// `connected_watts_strogatz_graph`); `k` is clamped to `n - 1`.
pub fn connected_watts_strogatz(
    n: usize,
    k: usize,
    p: f64,
    tries: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Graph> {
    let k = k.min(n.saturating_sub(1));
    for _ in 0..tries {
        let g = watts_strogatz(n, k, p, rng);
        if g.is_connected() {
            return Ok(g);
        }
    }
    Err(Error::Config(format!(
        "no connected Watts-Strogatz graph with n = {n}, k = {k}, p = {p} in {tries} tries"
    )))
}

/// An Erdős–Rényi graph: each of the `n (n - 1) / 2` possible edges with probability `p`.
pub fn erdos_renyi(n: usize, p: f64, rng: &mut ChaCha8Rng) -> Graph {
    let mut set = BTreeSet::new();
    for u in 0..n {
        for v in u + 1..n {
            if rng.gen::<f64>() < p {
                set.insert((u, v));
            }
        }
    }
    Graph::from_set(n, &set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn watts_strogatz_keeps_the_lattice_at_p0_and_the_edge_count_always() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for (n, k) in [(3, 2), (6, 4), (10, 4), (10, 5), (8, 3)] {
            let g = watts_strogatz(n, k, 0.0, &mut rng);
            // A ring lattice: every degree k (k // 2 per side, so odd k acts as k - 1).
            let mut deg = vec![0; n];
            for &[u, v] in &g.edges {
                deg[u] += 1;
                deg[v] += 1;
            }
            assert!(deg.iter().all(|&d| d == 2 * (k / 2)), "{n} {k}: {deg:?}");
            for p in [0.3, 1.0] {
                let r = watts_strogatz(n, k, p, &mut rng);
                assert_eq!(
                    r.edges.len(),
                    g.edges.len(),
                    "rewiring keeps the edge count"
                );
            }
        }
    }

    #[test]
    fn watts_strogatz_rewires_at_rate_p() {
        // Over many draws, the share of lattice edges that moved is p (up to the few
        // rewirings that pick a lattice edge again).
        let (n, k) = (10, 4);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let lattice: BTreeSet<[usize; 2]> = watts_strogatz(n, k, 0.0, &mut rng)
            .edges
            .into_iter()
            .collect();
        for p in [0.1, 0.5] {
            let (mut moved, mut total) = (0usize, 0usize);
            for _ in 0..2000 {
                let g = watts_strogatz(n, k, p, &mut rng);
                moved += g.edges.iter().filter(|e| !lattice.contains(*e)).count();
                total += g.edges.len();
            }
            let rate = moved as f64 / total as f64;
            assert!((rate - p).abs() < 0.05 + 0.1 * p, "p = {p}: rate {rate}");
        }
    }

    #[test]
    fn erdos_renyi_has_edge_rate_p() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for p in [0.2, 0.6, 1.0] {
            let n = 10;
            let edges: usize = (0..3000)
                .map(|_| erdos_renyi(n, p, &mut rng).edges.len())
                .sum();
            let rate = edges as f64 / (3000.0 * 45.0);
            assert!((rate - p).abs() < 0.01, "p = {p}: {rate}");
        }
    }

    #[test]
    fn connected_draws_are_connected() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..500 {
            let n = rng.gen_range(3..=10);
            let g = connected_watts_strogatz(
                n,
                rng.gen_range(2..=5),
                rng.gen_range(0.1..1.0),
                200,
                &mut rng,
            )
            .unwrap();
            assert!(g.is_connected());
        }
    }
}
