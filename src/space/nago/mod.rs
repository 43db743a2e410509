//! NAGO's hierarchical network generators (Ru, Esperança and Carlucci, NeurIPS 2020):
//! eight hyperparameters θ define a distribution over networks, a three-level hierarchy
//! of random graphs. Top: a connected Watts–Strogatz graph of cells; middle: each cell an
//! Erdős–Rényi graph of nodes; bottom: each node a Watts–Strogatz graph of operations
//! (ReLU → 3×3 convolution → batch norm). Every graph is read as a DAG by node index:
//! nodes without predecessors take the input, nodes without successors are averaged into
//! the output.
//!
//! A sample is reproducible from θ and a seed (ChaCha8; not networkx's generator, so the
//! same seed does not give vega_NAGO's exact graphs).

pub mod build;
pub mod embed;
pub mod graphs;
pub mod space;
pub mod train;

use crate::error::{Error, Result};
use crate::graph::Arch;
use graphs::{connected_watts_strogatz, erdos_renyi, Graph};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// How many draws a connected Watts–Strogatz graph gets (as in NAGO's code).
pub const WS_TRIES: usize = 200;
/// How many next seeds a disconnected Erdős–Rényi draw gets before the sample fails.
pub const ER_TRIES: u64 = 1000;

/// A generator's hyperparameters, named as in NAGO.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
#[serde(deny_unknown_fields)]
pub struct Theta {
    /// Cells in the top-level graph, 3..=10.
    pub G1_nodes: usize,
    /// Top-level Watts–Strogatz neighbours, 2..=5 (clamped to nodes - 1).
    pub G1_K: usize,
    /// Top-level rewiring probability, 0.1..=1.
    pub G1_P: f64,
    /// Nodes in each cell's Erdős–Rényi graph, 3..=10.
    pub G2_nodes: usize,
    /// Each cell's edge probability, 0.2..=1.
    pub G2_P: f64,
    /// Operations in each node's Watts–Strogatz graph, 3..=10.
    pub G3_nodes: usize,
    /// Bottom-level neighbours, 2..=5 (clamped to nodes - 1).
    pub G3_K: usize,
    /// Bottom-level rewiring probability, 0.1..=1.
    pub G3_P: f64,
}

/// The range of each hyperparameter: `(name, low, high, integer)`.
pub const RANGES: [(&str, f64, f64, bool); 8] = [
    ("G1_nodes", 3.0, 10.0, true),
    ("G1_K", 2.0, 5.0, true),
    ("G1_P", 0.1, 1.0, false),
    ("G2_nodes", 3.0, 10.0, true),
    ("G2_P", 0.2, 1.0, false),
    ("G3_nodes", 3.0, 10.0, true),
    ("G3_K", 2.0, 5.0, true),
    ("G3_P", 0.1, 1.0, false),
];

impl Theta {
    /// The values in the order of [`RANGES`].
    pub fn to_vec(&self) -> [f64; 8] {
        [
            self.G1_nodes as f64,
            self.G1_K as f64,
            self.G1_P,
            self.G2_nodes as f64,
            self.G2_P,
            self.G3_nodes as f64,
            self.G3_K as f64,
            self.G3_P,
        ]
    }

    /// θ from values in the order of [`RANGES`] (integers rounded), checked.
    pub fn from_vec(v: &[f64; 8]) -> Result<Theta> {
        let t = Theta {
            G1_nodes: v[0].round() as usize,
            G1_K: v[1].round() as usize,
            G1_P: v[2],
            G2_nodes: v[3].round() as usize,
            G2_P: v[4],
            G3_nodes: v[5].round() as usize,
            G3_K: v[6].round() as usize,
            G3_P: v[7],
        };
        t.check()?;
        Ok(t)
    }

    /// Every value inside its range, or an error naming the first that is not.
    pub fn check(&self) -> Result<()> {
        for ((name, lo, hi, _), v) in RANGES.iter().zip(self.to_vec()) {
            if !(v >= *lo && v <= *hi) {
                return Err(Error::Config(format!(
                    "theta {name} = {v} is outside its range [{lo}, {hi}]"
                )));
            }
        }
        Ok(())
    }

    /// Uniform over the ranges (integers uniform over their values), from `rng`.
    pub fn sample(rng: &mut impl Rng) -> Theta {
        let mut v = [0.0; 8];
        for (x, (_, lo, hi, int)) in v.iter_mut().zip(RANGES) {
            *x = if int {
                rng.gen_range(lo as usize..=hi as usize) as f64
            } else {
                rng.gen_range(lo..=hi)
            };
        }
        Theta::from_vec(&v).expect("inside the ranges")
    }

    /// Parses θ from a JSON object keyed by the eight names, checked.
    pub fn parse(s: &str) -> Result<Theta> {
        let t: Theta = serde_json::from_str(s.trim())
            .map_err(|e| Error::parse("nago", s, format!("theta: {e}")))?;
        t.check()?;
        Ok(t)
    }
}

/// One network sampled from a generator: the three levels of graphs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// The generator.
    pub theta: Theta,
    /// The seed it was sampled with.
    pub seed: u64,
    /// The top-level graph of cells.
    pub top: Graph,
    /// Each cell's graph of nodes (one per top-level node).
    pub middle: Vec<Graph>,
    /// Each node's graph of operations: `bottom[cell][node]`.
    pub bottom: Vec<Vec<Graph>>,
}

/// A sub-seed for one graph of the hierarchy, so that every graph has its own stream.
fn sub_seed(seed: u64, level: u64, index: u64) -> u64 {
    crate::wl::mix64(seed ^ crate::wl::mix64((level << 32) | index))
}

/// A connected Erdős–Rényi graph: a disconnected draw is redrawn with the next seed.
fn connected_er(n: usize, p: f64, seed: u64) -> Result<Graph> {
    for t in 0..ER_TRIES {
        let g = erdos_renyi(n, p, &mut ChaCha8Rng::seed_from_u64(seed.wrapping_add(t)));
        if g.is_connected() {
            return Ok(g);
        }
    }
    Err(Error::Config(format!(
        "no connected Erdos-Renyi graph with n = {n}, p = {p} in {ER_TRIES} seeds"
    )))
}

impl Network {
    /// Samples the hierarchy of θ with `seed`.
    pub fn sample(theta: &Theta, seed: u64) -> Result<Network> {
        theta.check()?;
        let ws = |n, k, p, level, index| {
            connected_watts_strogatz(
                n,
                k,
                p,
                WS_TRIES,
                &mut ChaCha8Rng::seed_from_u64(sub_seed(seed, level, index)),
            )
        };
        let top = ws(theta.G1_nodes, theta.G1_K, theta.G1_P, 1, 0)?;
        let mut middle = Vec::with_capacity(top.nodes);
        let mut bottom = Vec::with_capacity(top.nodes);
        for c in 0..top.nodes {
            let m = connected_er(theta.G2_nodes, theta.G2_P, sub_seed(seed, 2, c as u64))?;
            let ops = (0..m.nodes)
                .map(|v| {
                    let index = (c * 64 + v) as u64;
                    ws(theta.G3_nodes, theta.G3_K, theta.G3_P, 3, index)
                })
                .collect::<Result<Vec<_>>>()?;
            middle.push(m);
            bottom.push(ops);
        }
        Ok(Network {
            theta: *theta,
            seed,
            top,
            middle,
            bottom,
        })
    }

    /// The documented JSON of a sample (docs/nago.md): θ, the seed, the three levels of
    /// graphs, the number of operations and the flattened DAG (`labels`, `edges`).
    pub fn sample_json(&self) -> serde_json::Value {
        self.sample_json_of(&self.to_arch())
    }

    /// [`Network::sample_json`] with the flattened DAG already built (`self.to_arch()`).
    pub fn sample_json_of(&self, arch: &Arch) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("plain data");
        v["operations"] = self.operations().into();
        v["graph"] = serde_json::from_str(&arch.to_json()).expect("valid JSON");
        v
    }

    /// The number of operations (convolutions) in the network.
    pub fn operations(&self) -> usize {
        self.bottom.iter().flatten().map(|g| g.nodes).sum()
    }

    /// The whole network as one labelled DAG for WL features. Each graph of the hierarchy
    /// is wrapped in an input and an output node labelled by its level (`cell_in`,
    /// `cell_out`, `node_in`, `node_out`), around `conv` operations, so motifs keep the
    /// level they come from: the network's `input` feeds the top graph's sources, whose
    /// sinks feed `output`; an edge between two cells joins the first's `cell_out` to the
    /// second's `cell_in`, and so on down.
    pub fn to_arch(&self) -> Arch {
        let mut labels: Vec<Cow<'static, str>> = vec!["input".into(), "output".into()];
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let add = |l: &'static str, labels: &mut Vec<Cow<'static, str>>| {
            labels.push(l.into());
            labels.len() - 1
        };
        // Wraps graph `g` whose units are (entry, exit) pairs between `from` and `to`.
        fn wire(
            g: &Graph,
            units: &[(usize, usize)],
            from: usize,
            to: usize,
            edges: &mut Vec<(usize, usize)>,
        ) {
            let (sources, sinks) = g.sources_and_sinks();
            for s in sources {
                edges.push((from, units[s].0));
            }
            for t in sinks {
                edges.push((units[t].1, to));
            }
            for &[u, v] in &g.edges {
                edges.push((units[u].1, units[v].0));
            }
        }
        let mut cells = Vec::with_capacity(self.top.nodes);
        for c in 0..self.top.nodes {
            let (cin, cout) = (add("cell_in", &mut labels), add("cell_out", &mut labels));
            let mut nodes = Vec::with_capacity(self.middle[c].nodes);
            for v in 0..self.middle[c].nodes {
                let (nin, nout) = (add("node_in", &mut labels), add("node_out", &mut labels));
                let ops: Vec<(usize, usize)> = (0..self.bottom[c][v].nodes)
                    .map(|_| {
                        let o = add("conv", &mut labels);
                        (o, o)
                    })
                    .collect();
                wire(&self.bottom[c][v], &ops, nin, nout, &mut edges);
                nodes.push((nin, nout));
            }
            wire(&self.middle[c], &nodes, cin, cout, &mut edges);
            cells.push((cin, cout));
        }
        wire(&self.top, &cells, 0, 1, &mut edges);
        Arch::new(labels, &edges).expect("a DAG by construction")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_reproducible_and_follow_theta() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for seed in 0..50 {
            let t = Theta::sample(&mut rng);
            let a = Network::sample(&t, seed).unwrap();
            assert_eq!(a, Network::sample(&t, seed).unwrap());
            assert_eq!(a.top.nodes, t.G1_nodes);
            assert!(a.top.is_connected());
            assert_eq!(a.middle.len(), t.G1_nodes);
            for (m, ops) in a.middle.iter().zip(&a.bottom) {
                assert_eq!(m.nodes, t.G2_nodes);
                assert!(m.is_connected());
                assert!(ops
                    .iter()
                    .all(|g| g.nodes == t.G3_nodes && g.is_connected()));
            }
            assert_eq!(a.operations(), t.G1_nodes * t.G2_nodes * t.G3_nodes);
        }
    }

    #[test]
    fn the_dag_has_one_input_and_one_output_path_from_every_node() {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        for seed in 0..30 {
            let net = Network::sample(&Theta::sample(&mut rng), seed).unwrap();
            let g = net.to_arch();
            let n = g.node_count();
            // Reachable from the input (node 0) and reaching the output (node 1).
            let reach = |start: usize, forward: bool| {
                let mut seen = vec![false; n];
                let mut stack = vec![start];
                seen[start] = true;
                while let Some(u) = stack.pop() {
                    let next: Vec<usize> = if forward {
                        g.successors(u).collect()
                    } else {
                        g.predecessors(u).collect()
                    };
                    for v in next {
                        if !seen[v] {
                            seen[v] = true;
                            stack.push(v);
                        }
                    }
                }
                seen
            };
            let (from_input, to_output) = (reach(0, true), reach(1, false));
            assert!(
                from_input.iter().all(|&x| x),
                "seed {seed}: a node the input misses"
            );
            assert!(
                to_output.iter().all(|&x| x),
                "seed {seed}: a node with no way out"
            );
            assert_eq!(g.predecessors(0).count(), 0);
            assert_eq!(g.successors(1).count(), 0);
            let convs = (0..n).filter(|&i| g.label(i) == "conv").count();
            assert_eq!(convs, net.operations());
        }
    }

    #[test]
    fn theta_is_checked_and_parsed() {
        let t = Theta::parse(
            r#"{"G1_nodes": 6, "G1_K": 4, "G1_P": 0.3, "G2_nodes": 5, "G2_P": 0.5,
                "G3_nodes": 4, "G3_K": 3, "G3_P": 0.7}"#,
        )
        .unwrap();
        assert_eq!(t.G1_K, 4);
        let e = Theta::parse(r#"{"G1_nodes": 16}"#).unwrap_err().to_string();
        assert!(e.contains("missing field"), "{e}");
        let mut bad = t;
        bad.G2_P = 0.1;
        assert!(bad.check().unwrap_err().to_string().contains("G2_P"));
        let e = Theta::parse(&serde_json::to_string(&t).unwrap().replace("G3_P", "G4_P"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field"), "{e}");
    }
}
