//! NAS-Bench-101 cells: up to 7 nodes, operations on nodes, an upper-triangular
//! adjacency matrix with at most 9 edges (Ying et al., 2019).

use super::{op_index, pick, Sampler, Space};
use crate::error::{Error, Result};
use crate::graph::{prune_to_paths, Arch, Label};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Node labels: input, the three operations, output.
pub const OPS: [&str; 5] = [
    "input",
    "conv3x3-bn-relu",
    "conv1x1-bn-relu",
    "maxpool3x3",
    "output",
];
/// Largest cell.
pub const MAX_VERTICES: usize = 7;
/// Largest number of edges.
pub const MAX_EDGES: usize = 9;

/// A cell: `n` vertices, row bitmasks of the adjacency matrix (`adj[i] >> j & 1` is the
/// edge i -> j) and the op of each vertex (index into [`OPS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Nb101Cell {
    /// Number of vertices (2..=7).
    pub n: u8,
    /// Adjacency rows as bitmasks.
    pub adj: [u8; MAX_VERTICES],
    /// Operation of each vertex.
    pub ops: [u8; MAX_VERTICES],
}

#[derive(Serialize, Deserialize)]
struct Spec {
    matrix: Vec<Vec<u8>>,
    ops: Vec<String>,
}

/// The NAS-Bench-101 space; its string form is the JSON of the benchmark's `ModelSpec`:
/// `{"matrix":[[0,1,...],...],"ops":["input",...,"output"]}`.
#[derive(Clone, Debug, Default)]
pub struct Nb101Space;

impl Nb101Cell {
    fn edge(&self, i: usize, j: usize) -> bool {
        self.adj[i] >> j & 1 == 1
    }

    fn edges(&self) -> Vec<(usize, usize)> {
        let n = self.n as usize;
        (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .filter(|&(i, j)| self.edge(i, j))
            .collect()
    }

    /// The benchmark's validity rule: at most 9 edges and the output reachable from the input.
    fn check(&self) -> std::result::Result<(), String> {
        let e = self.edges();
        if e.len() > MAX_EDGES {
            return Err(format!("{} edges, at most {MAX_EDGES} allowed", e.len()));
        }
        let n = self.n as usize;
        let mut reach = vec![false; n];
        reach[0] = true;
        for &(i, j) in &e {
            if reach[i] {
                reach[j] = true;
            }
        }
        if !reach[n - 1] {
            return Err("no path from input to output".into());
        }
        Ok(())
    }
}

impl Space for Nb101Space {
    type Cell = Nb101Cell;

    fn name(&self) -> &'static str {
        "nb101"
    }

    fn parse(&self, s: &str) -> Result<Nb101Cell> {
        let bad = |r: String| Error::parse("nb101", s, r);
        let spec: Spec = serde_json::from_str(s.trim()).map_err(|e| bad(e.to_string()))?;
        let n = spec.matrix.len();
        if !(2..=MAX_VERTICES).contains(&n) {
            return Err(bad(format!("{n} vertices, need 2..={MAX_VERTICES}")));
        }
        if spec.ops.len() != n {
            return Err(bad(format!("{} ops for {n} vertices", spec.ops.len())));
        }
        let mut c = Nb101Cell {
            n: n as u8,
            adj: [0; MAX_VERTICES],
            ops: [0; MAX_VERTICES],
        };
        for (i, row) in spec.matrix.iter().enumerate() {
            if row.len() != n {
                return Err(bad(format!(
                    "matrix row {i} has {} entries, need {n}",
                    row.len()
                )));
            }
            for (j, &v) in row.iter().enumerate() {
                match (v, j > i) {
                    (0, _) => {}
                    (1, true) => c.adj[i] |= 1 << j,
                    (1, false) => {
                        return Err(bad(format!(
                            "matrix must be upper triangular (entry [{i}][{j}])"
                        )))
                    }
                    _ => return Err(bad(format!("matrix entry [{i}][{j}] is {v}, not 0 or 1"))),
                }
            }
        }
        for (i, o) in spec.ops.iter().enumerate() {
            let k = op_index("nb101", s, &OPS, o)?;
            let want_io = if i == 0 {
                Some(0)
            } else if i == n - 1 {
                Some(4)
            } else {
                None
            };
            match want_io {
                Some(w) if k != w => return Err(bad(format!("vertex {i} must be `{}`", OPS[w]))),
                None if k == 0 || k == 4 => return Err(bad(format!("vertex {i} cannot be `{o}`"))),
                _ => {}
            }
            c.ops[i] = k as u8;
        }
        c.check().map_err(bad)?;
        Ok(c)
    }

    fn format(&self, c: &Nb101Cell) -> String {
        let n = c.n as usize;
        let spec = Spec {
            matrix: (0..n)
                .map(|i| (0..n).map(|j| c.edge(i, j) as u8).collect())
                .collect(),
            ops: (0..n).map(|i| OPS[c.ops[i] as usize].to_string()).collect(),
        };
        serde_json::to_string(&spec).expect("plain JSON")
    }

    fn lower(&self, c: &Nb101Cell) -> Arch {
        let n = c.n as usize;
        let labels: Vec<Label> = (0..n)
            .map(|i| Cow::Borrowed(OPS[c.ops[i] as usize]))
            .collect();
        prune_to_paths(labels, &c.edges(), &[0], n - 1)
    }
}

/// NAS-Bench-101 has no embedded table here (its values come from the user).
impl super::TableKey for Nb101Space {
    fn table_key(&self, _cell: &Nb101Cell) -> Option<u64> {
        None
    }
}

impl super::OneHot for Nb101Space {
    /// The padded adjacency-and-operations encoding of NASLib and BANANAS: each of the 21
    /// upper-triangular slots of the 7x7 matrix (edge or not), then each vertex's
    /// operation (or "absent" past the cell's last vertex).
    fn one_hot(&self, c: &Nb101Cell) -> Vec<(usize, usize)> {
        let n = c.n as usize;
        let edges = (0..MAX_VERTICES)
            .flat_map(|i| (i + 1..MAX_VERTICES).map(move |j| (i, j)))
            .map(|(i, j)| usize::from(i < n && j < n && c.edge(i, j)));
        let ops = (0..MAX_VERTICES).map(|v| if v < n { c.ops[v] as usize } else { OPS.len() });
        edges.chain(ops).enumerate().collect()
    }
}

impl Sampler for Nb101Space {
    /// The benchmark's own sampler: 7 vertices, each upper-triangular edge with
    /// probability 1/2, uniform operations, rejected until valid.
    fn sample(&self, rng: &mut dyn RngCore) -> Nb101Cell {
        loop {
            let bits = rng.next_u32();
            let mut c = Nb101Cell {
                n: MAX_VERTICES as u8,
                adj: [0; MAX_VERTICES],
                ops: [0; MAX_VERTICES],
            };
            let mut k = 0;
            for i in 0..MAX_VERTICES {
                for j in i + 1..MAX_VERTICES {
                    if bits >> k & 1 == 1 {
                        c.adj[i] |= 1 << j;
                    }
                    k += 1;
                }
            }
            c.ops[0] = 0;
            c.ops[MAX_VERTICES - 1] = 4;
            for i in 1..MAX_VERTICES - 1 {
                c.ops[i] = 1 + pick(rng, 3) as u8;
            }
            if c.check().is_ok() {
                return c;
            }
        }
    }

    fn neighbours(&self, c: &Nb101Cell) -> Vec<Nb101Cell> {
        let n = c.n as usize;
        let mut out = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let mut m = *c;
                m.adj[i] ^= 1 << j;
                if m.check().is_ok() {
                    out.push(m);
                }
            }
        }
        for i in 1..n - 1 {
            for op in 1..4u8 {
                if op != c.ops[i] {
                    let mut m = *c;
                    m.ops[i] = op;
                    out.push(m);
                }
            }
        }
        out
    }

    fn size(&self) -> Option<u128> {
        // 423,624 unique graphs after isomorphism (Ying et al.); as labelled cells, larger.
        None
    }

    fn enumerate(&self) -> Option<Vec<Nb101Cell>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn round_trip_samples_and_neighbours() {
        let s = Nb101Space;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let c = s.sample(&mut rng);
            assert_eq!(s.parse(&s.format(&c)).unwrap(), c);
            for m in s.neighbours(&c) {
                assert_eq!(s.parse(&s.format(&m)).unwrap(), m);
            }
        }
    }

    #[test]
    fn rejects_invalid_specs() {
        let s = Nb101Space;
        let ok = r#"{"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input","maxpool3x3","output"]}"#;
        assert!(s.parse(ok).is_ok());
        let lower = r#"{"matrix":[[0,1,0],[1,0,1],[0,0,0]],"ops":["input","maxpool3x3","output"]}"#;
        assert!(s
            .parse(lower)
            .unwrap_err()
            .to_string()
            .contains("upper triangular"));
        let op = r#"{"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input","conv5x5","output"]}"#;
        assert!(s
            .parse(op)
            .unwrap_err()
            .to_string()
            .contains("unknown operation"));
        let cut = r#"{"matrix":[[0,1,0],[0,0,0],[0,0,0]],"ops":["input","maxpool3x3","output"]}"#;
        assert!(s.parse(cut).unwrap_err().to_string().contains("no path"));
    }

    #[test]
    fn lowering_prunes_extraneous_vertices() {
        let s = Nb101Space;
        // Vertex 2 reads the input but feeds nothing: pruned, as the benchmark does.
        let c = s
            .parse(r#"{"matrix":[[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]],"ops":["input","conv3x3-bn-relu","maxpool3x3","output"]}"#)
            .unwrap();
        let a = s.lower(&c);
        assert_eq!(a.node_count(), 3);
        assert_eq!(a.label(1), "conv3x3-bn-relu");
    }
}
