//! NAS-Bench-201 cells: 4 nodes, 6 edges, each edge one of 5 operations (15,625 cells).

use super::device::{CounterDraws, DeviceKind, DeviceSpace};
use super::edge_cell::{op_labels, roles, CellEdge, EdgeCell, EdgeRole, DEAD_INPUT, OUTPUT};
use super::{op_index, pick, Sampler, Space, TableKey};
use crate::error::{Error, Result};
use crate::graph::{Arch, FlatGraph};
use rand::RngCore;

/// Operations in NAS-Bench-201's own order.
pub const OPS: [&str; 5] = [
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
];
/// WL labels of [`OPS`].
const OP_LABELS: [u64; 5] = op_labels(OPS, "");
/// What each operation does to its edge: skip as a node, then as a wire.
const ROLES: [[EdgeRole; 5]; 2] = [roles(OPS, false), roles(OPS, true)];
const INPUT_LABELS: [u64; 1] = op_labels(["input"], "");
/// Edges `(to, from)` in the order of the string form `|a~0|+|b~0|c~1|+|d~0|e~1|f~2|`.
pub const EDGES: [(usize, usize); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

/// A cell: the operation index (into [`OPS`]) of each edge in [`EDGES`] order.
pub type Nb201Cell = [u8; 6];

/// The NAS-Bench-201 space; `skip_as_wire` lowers `skip_connect` to a plain connection
/// (NAS-BOWL's choice, and the default: it ranks held-out cells better, see README)
/// instead of a node.
#[derive(Clone, Debug)]
pub struct Nb201Space {
    /// Lower skip connections to wires rather than nodes.
    pub skip_as_wire: bool,
}

impl Default for Nb201Space {
    fn default() -> Self {
        Nb201Space { skip_as_wire: true }
    }
}

impl Nb201Space {
    /// Index of a cell in 0..15,625 (base-5 digits in string order).
    pub fn index(cell: &Nb201Cell) -> usize {
        cell.iter().fold(0, |a, &d| a * 5 + d as usize)
    }

    /// The cell with a given index in 0..15,625.
    pub fn from_index(mut i: usize) -> Nb201Cell {
        let mut c = [0u8; 6];
        for d in c.iter_mut().rev() {
            *d = (i % 5) as u8;
            i /= 5;
        }
        c
    }
}

/// AnalogNAS-Bench (NASLib) op index of each of our ops: skip 0, none 1, 3x3 2, 1x1 3, pool 4.
const NASLIB_OP: [u64; 5] = [1, 0, 3, 2, 4];
/// For each AnalogNAS tuple position (edges 1<-0, 2<-0, 3<-0, 2<-1, 3<-1, 3<-2), our edge index.
const NASLIB_EDGE: [usize; 6] = [0, 1, 3, 2, 4, 5];

impl TableKey for Nb201Space {
    /// The AnalogNAS-Bench key: its 6-tuple read as base-5 digits (see scripts/convert_benchmarks.py).
    fn table_key(&self, cell: &Nb201Cell) -> Option<u64> {
        Some(
            NASLIB_EDGE
                .iter()
                .fold(0, |a, &e| a * 5 + NASLIB_OP[cell[e] as usize]),
        )
    }
}

impl Space for Nb201Space {
    type Cell = Nb201Cell;

    fn name(&self) -> &'static str {
        "nb201"
    }

    fn parse(&self, s: &str) -> Result<Nb201Cell> {
        let t = s.trim();
        let bad = |r: &str| Error::parse("nb201", s, r.to_string());
        let nodes: Vec<&str> = t.split('+').collect();
        if nodes.len() != 3 {
            return Err(bad("expected 3 node groups separated by `+`"));
        }
        let mut cell = [0u8; 6];
        let mut k = 0;
        for (i, group) in nodes.iter().enumerate() {
            let g = group
                .strip_prefix('|')
                .and_then(|g| g.strip_suffix('|'))
                .ok_or_else(|| bad(&format!("node group {} must start and end with `|`", i + 1)))?;
            let edges: Vec<&str> = g.split('|').collect();
            if edges.len() != i + 1 {
                return Err(bad(&format!(
                    "node {} needs {} inputs, found {}",
                    i + 1,
                    i + 1,
                    edges.len()
                )));
            }
            for (j, e) in edges.iter().enumerate() {
                let (op, from) = e
                    .split_once('~')
                    .ok_or_else(|| bad(&format!("edge `{e}` is not `op~input`")))?;
                if from != j.to_string() {
                    return Err(bad(&format!("edge `{e}` should read from node {j}")));
                }
                cell[k] = op_index("nb201", s, &OPS, op)? as u8;
                k += 1;
            }
        }
        Ok(cell)
    }

    fn format(&self, c: &Nb201Cell) -> String {
        let o = |k: usize| OPS[c[k] as usize];
        format!(
            "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
            o(0),
            o(1),
            o(2),
            o(3),
            o(4),
            o(5)
        )
    }

    fn lower(&self, c: &Nb201Cell) -> Arch {
        self.edge_cell(&Self::cell_edges(c))
            .to_arch(&OPS, &["input"], "")
    }

    fn lower_flat(&self, c: &Nb201Cell, out: &mut FlatGraph) {
        out.clear();
        self.edge_cell(&Self::cell_edges(c))
            .append_to(out, &INPUT_LABELS, &OP_LABELS);
    }
}

impl Nb201Space {
    /// The cell's edges `(from, to, op)` in [`EDGES`] order.
    fn cell_edges(c: &Nb201Cell) -> [CellEdge; 6] {
        std::array::from_fn(|k| (EDGES[k].1, EDGES[k].0, c[k]))
    }

    fn edge_cell<'a>(&self, edges: &'a [CellEdge]) -> EdgeCell<'a> {
        EdgeCell::new(edges, &ROLES[self.skip_as_wire as usize], 1, &[3])
    }
}

impl super::OneHot for Nb201Space {
    fn one_hot(&self, c: &Nb201Cell) -> Vec<(usize, usize)> {
        c.iter()
            .enumerate()
            .map(|(k, &op)| (k, op as usize))
            .collect()
    }
}

impl Sampler for Nb201Space {
    fn sample(&self, rng: &mut dyn RngCore) -> Nb201Cell {
        Self::from_index(pick(rng, 15_625))
    }

    fn neighbours(&self, c: &Nb201Cell) -> Vec<Nb201Cell> {
        let mut out = Vec::with_capacity(24);
        for k in 0..6 {
            for op in 0..5u8 {
                if op != c[k] {
                    let mut n = *c;
                    n[k] = op;
                    out.push(n);
                }
            }
        }
        out
    }

    fn size(&self) -> Option<u128> {
        Some(15_625)
    }

    fn enumerate(&self) -> Option<Vec<Nb201Cell>> {
        Some((0..15_625).map(Self::from_index).collect())
    }

    fn sample_at(&self, seed: u64, index: u64) -> Option<Nb201Cell> {
        Some(Self::from_index(
            CounterDraws::new(seed, index).below(15_625) as usize,
        ))
    }

    fn device_space(&self) -> Option<DeviceSpace> {
        let mut labels = [0; 22];
        labels[..5].copy_from_slice(&OP_LABELS);
        labels[16] = INPUT_LABELS[0];
        labels[20] = OUTPUT;
        labels[21] = DEAD_INPUT;
        Some(DeviceSpace {
            kind: DeviceKind::Nb201,
            skip_as_wire: self.skip_as_wire,
            none_op: 0,
            skip_op: 1,
            labels,
        })
    }

    fn device_code(&self, c: &Nb201Cell) -> Option<[u32; 4]> {
        let index = c.iter().fold(0u32, |i, &d| i * 5 + d as u32);
        Some([index, 0, 0, 0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_cells() {
        let s = Nb201Space::default();
        for c in s.enumerate().unwrap() {
            assert_eq!(s.parse(&s.format(&c)).unwrap(), c);
        }
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let s = Nb201Space::default();
        let e = s
            .parse("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown operation `conv`"), "{e}");
        assert!(s.parse("").is_err());
        assert!(s.parse("|none~0|+|none~0|+|none~0|none~1|none~2|").is_err());
        assert!(s
            .parse("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|")
            .is_err());
    }

    #[test]
    fn lowering_drops_none_and_dead_nodes() {
        let s = Nb201Space {
            skip_as_wire: false,
        };
        // Only 3<-0 conv: input -> conv -> output.
        let c = s
            .parse("|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
            .unwrap();
        let a = s.lower(&c);
        // The 1<-0 conv feeds node 1, which feeds nothing: pruned.
        assert_eq!(a.node_count(), 3);
        assert_eq!(a.label(1), "nor_conv_3x3");
        // All none: no path.
        let a = s.lower(&[0; 6]);
        assert_eq!(a.node_count(), 2);
        assert_eq!(a.edge_count(), 0);
    }

    #[test]
    fn skip_as_wire_contracts_skips() {
        let s = Nb201Space { skip_as_wire: true };
        let c = s
            .parse("|nor_conv_1x1~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_3x3~2|")
            .unwrap();
        let a = s.lower(&c);
        let labels: Vec<_> = (0..a.node_count())
            .map(|i| a.label(i).to_string())
            .collect();
        assert_eq!(labels, ["input", "nor_conv_1x1", "nor_conv_3x3", "output"]);
        assert_eq!(a.edges(), vec![(0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn table_key_matches_analognas_tuple() {
        let s = Nb201Space::default();
        // AnalogNAS (2,3,4,0,2,3): 1<-0 conv3, 2<-0 conv1, 3<-0 pool, 2<-1 skip, 3<-1 conv3, 3<-2 conv1.
        let c = s
            .parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|")
            .unwrap();
        let key = [2u64, 3, 4, 0, 2, 3].iter().fold(0, |a, &d| a * 5 + d);
        assert_eq!(s.table_key(&c), Some(key));
    }
}
