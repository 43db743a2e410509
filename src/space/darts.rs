//! DARTS cells (Liu et al., 2019): a normal and a reduction cell, each with 4 intermediate
//! nodes reading 2 earlier nodes through one operation each; about 10^18 architectures.

use super::device::{CounterDraws, DeviceKind, DeviceSpace};
use super::edge_cell::{op_labels, roles, CellEdge, EdgeCell, EdgeRole, DEAD_INPUT, OUTPUT};
use super::{op_index, pick, Sampler, Space};
use crate::error::{Error, Result};
use crate::graph::{Arch, FlatGraph};
use rand::RngCore;

/// DARTS `PRIMITIVES`, in its own order; `none` parses but is never sampled.
pub const OPS: [&str; 8] = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
];

/// One cell: 8 `(op, input)` edges, two per intermediate node 2..=5, and the bitmask of
/// the nodes concatenated into the output (bit k = node k).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DartsHalf {
    /// `(op index into OPS, input node)` for edges of nodes 2,2,3,3,4,4,5,5.
    pub edges: [(u8, u8); 8],
    /// Nodes concatenated into the cell output.
    pub concat: u8,
}

/// A DARTS genotype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DartsCell {
    /// The normal cell.
    pub normal: DartsHalf,
    /// The reduction cell.
    pub reduce: DartsHalf,
}

/// The DARTS space; the string form is the `Genotype(...)` repr of the DARTS code.
/// Skip connections become wires by default, as in [`super::Nb201Space`].
#[derive(Clone, Debug)]
pub struct DartsSpace {
    /// Lower skip connections to wires rather than nodes.
    pub skip_as_wire: bool,
}

impl Default for DartsSpace {
    fn default() -> Self {
        DartsSpace { skip_as_wire: true }
    }
}

/// Input names of the normal and the reduction cell, and the reduction cell's op prefix.
const NORMAL_INPUTS: [&str; 2] = ["c_{k-2}", "c_{k-1}"];
const REDUCE_INPUTS: [&str; 2] = ["reduce_c_{k-2}", "reduce_c_{k-1}"];
const REDUCE: &str = "reduce_";
/// WL labels of [`OPS`] in the normal and in the reduction cell.
const NORMAL_LABELS: [u64; 8] = op_labels(OPS, "");
const NORMAL_INPUT_LABELS: [u64; 2] = op_labels(NORMAL_INPUTS, "");
/// What each operation does to its edge: skip as a node, then as a wire.
const ROLES: [[EdgeRole; 8]; 2] = [roles(OPS, false), roles(OPS, true)];
const REDUCE_INPUT_LABELS: [u64; 2] = op_labels(REDUCE_INPUTS, "");
const REDUCE_LABELS: [u64; 8] = op_labels(OPS, REDUCE);

const ALL_CONCAT: u8 = 0b11_1100;
const COMBOS: [u128; 4] = [1, 3, 6, 10];

fn field<'a>(t: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(p) = t[from..].find(key) {
        let at = from + p;
        let before_ok = at == 0
            || !t.as_bytes()[at - 1].is_ascii_alphanumeric() && t.as_bytes()[at - 1] != b'_';
        let rest = &t[at + key.len()..];
        if before_ok {
            if let Some(r) = rest.strip_prefix('=') {
                let (open, close) = if r.starts_with('[') {
                    ('[', ']')
                } else if r.starts_with("range(") {
                    ('(', ')')
                } else {
                    return None;
                };
                let mut depth = 0;
                for (i, ch) in r.char_indices() {
                    if ch == open {
                        depth += 1;
                    } else if ch == close {
                        depth -= 1;
                        if depth == 0 {
                            return Some(&r[..=i]);
                        }
                    }
                }
                return None;
            }
        }
        from = at + key.len();
    }
    None
}

fn parse_half(s: &str, t: &str, which: &str) -> Result<DartsHalf> {
    let bad = |r: String| Error::parse("darts", s, r);
    let list = field(t, which).ok_or_else(|| bad(format!("missing `{which}=[...]`")))?;
    let inner = &list[1..list.len() - 1];
    let tuples: Vec<&str> = inner
        .split(')')
        .map(|x| x.trim_start_matches(',').trim_start_matches('('))
        .filter(|x| !x.is_empty())
        .collect();
    if tuples.len() != 8 {
        return Err(bad(format!(
            "`{which}` needs 8 (op, input) pairs, found {}",
            tuples.len()
        )));
    }
    let mut h = DartsHalf {
        edges: [(0, 0); 8],
        concat: ALL_CONCAT,
    };
    for (k, tup) in tuples.iter().enumerate() {
        let (op, inp) = tup
            .split_once(',')
            .ok_or_else(|| bad(format!("`({tup})` is not `(op, input)`")))?;
        let op = op_index("darts", s, &OPS, op)?;
        let node = 2 + k / 2;
        let inp: usize = inp
            .parse()
            .map_err(|_| bad(format!("input `{inp}` is not a number")))?;
        if inp >= node {
            return Err(bad(format!(
                "`{which}` node {node} may read nodes 0..{node}, not {inp}"
            )));
        }
        h.edges[k] = (op as u8, inp as u8);
    }
    let ckey = format!("{which}_concat");
    if let Some(c) = field(t, &ckey) {
        let nodes: Vec<usize> = if let Some(r) = c.strip_prefix("range(") {
            let (a, b) = r
                .trim_end_matches(')')
                .split_once(',')
                .ok_or_else(|| bad(format!("bad `{ckey}`")))?;
            let (a, b): (usize, usize) = (
                a.parse().map_err(|_| bad(format!("bad `{ckey}`")))?,
                b.parse().map_err(|_| bad(format!("bad `{ckey}`")))?,
            );
            (a..b).collect()
        } else {
            c[1..c.len() - 1]
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse()
                        .map_err(|_| bad(format!("bad `{ckey}` entry `{x}`")))
                })
                .collect::<Result<_>>()?
        };
        if nodes.is_empty() || nodes.iter().any(|&n| !(2..=5).contains(&n)) {
            return Err(bad(format!("`{ckey}` must list nodes in 2..=5")));
        }
        h.concat = nodes.iter().fold(0, |m, &n| m | 1 << n);
    }
    Ok(h)
}

fn format_half(h: &DartsHalf) -> (String, String) {
    let e: Vec<String> = h
        .edges
        .iter()
        .map(|&(o, i)| format!("('{}', {i})", OPS[o as usize]))
        .collect();
    let c: Vec<String> = (2..=5)
        .filter(|k| h.concat >> k & 1 == 1)
        .map(|k: u8| k.to_string())
        .collect();
    (e.join(", "), c.join(", "))
}

impl DartsSpace {
    /// The half's edges `(from, to, op)`: edge `k` feeds intermediate node `2 + k / 2`.
    fn half_edges(h: &DartsHalf) -> [CellEdge; 8] {
        std::array::from_fn(|k| {
            let (o, i) = h.edges[k];
            (i as usize, 2 + k / 2, o)
        })
    }

    /// Lowers one half of a genotype.
    fn half<'a>(&self, h: &DartsHalf, edges: &'a [CellEdge; 8]) -> EdgeCell<'a> {
        let mut outs = [0usize; 4];
        let mut n = 0;
        for k in (2..=5).filter(|k| h.concat >> k & 1 == 1) {
            outs[n] = k;
            n += 1;
        }
        EdgeCell::new(edges, &ROLES[self.skip_as_wire as usize], 2, &outs[..n])
    }

    fn sample_half(rng: &mut dyn RngCore) -> DartsHalf {
        Self::sample_half_with(|n| pick(rng, n as usize) as u32)
    }

    /// A uniform half from `draw(n)`, a uniform draw on `0..n`: two distinct inputs per
    /// node, then the two operations, in that order (the counter-based stream relies on it).
    fn sample_half_with(mut draw: impl FnMut(u32) -> u32) -> DartsHalf {
        let mut h = DartsHalf {
            edges: [(0, 0); 8],
            concat: ALL_CONCAT,
        };
        for node in 2..6u32 {
            let a = draw(node);
            let mut b = draw(node - 1);
            if b >= a {
                b += 1;
            }
            let (a, b) = (a.min(b), a.max(b));
            let k = 2 * (node as usize - 2);
            h.edges[k] = (1 + draw(7) as u8, a as u8);
            h.edges[k + 1] = (1 + draw(7) as u8, b as u8);
        }
        h
    }

    /// One half's two words of the device code (see [`DeviceKind::Darts`]).
    fn half_code(h: &DartsHalf) -> [u32; 2] {
        let mut w = [0u32; 2];
        for (k, &(op, input)) in h.edges.iter().enumerate() {
            w[k / 4] |= (op as u32 | (input as u32) << 3) << (6 * (k % 4));
        }
        w[0] |= ((h.concat >> 2) as u32 & 0xf) << 24;
        w
    }

    fn half_neighbours(h: &DartsHalf) -> Vec<DartsHalf> {
        let mut out = Vec::new();
        for k in 0..8 {
            let node = 2 + k / 2;
            let other = h.edges[k ^ 1].1;
            for op in 1..8u8 {
                if op != h.edges[k].0 {
                    let mut m = *h;
                    m.edges[k].0 = op;
                    out.push(m);
                }
            }
            for inp in 0..node as u8 {
                if inp != h.edges[k].1 && inp != other {
                    let mut m = *h;
                    m.edges[k].1 = inp;
                    // Keep the pair ordered by input, as sampled cells are.
                    let base = k & !1;
                    if m.edges[base].1 > m.edges[base + 1].1 {
                        m.edges.swap(base, base + 1);
                    }
                    out.push(m);
                }
            }
        }
        out
    }
}

impl Space for DartsSpace {
    type Cell = DartsCell;

    fn name(&self) -> &'static str {
        "darts"
    }

    fn parse(&self, s: &str) -> Result<DartsCell> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
            .collect();
        if !t.starts_with("Genotype(") {
            return Err(Error::parse(
                "darts",
                s,
                "expected `Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])`",
            ));
        }
        Ok(DartsCell {
            normal: parse_half(s, &t, "normal")?,
            reduce: parse_half(s, &t, "reduce")?,
        })
    }

    fn format(&self, c: &DartsCell) -> String {
        let (ne, nc) = format_half(&c.normal);
        let (re, rc) = format_half(&c.reduce);
        format!(
            "Genotype(normal=[{ne}], normal_concat=[{nc}], reduce=[{re}], reduce_concat=[{rc}])"
        )
    }

    /// Both cells in one graph, the reduction cell's labels prefixed with `reduce_`, so
    /// motifs of the two cells are counted apart.
    fn lower(&self, c: &DartsCell) -> Arch {
        let (n, r) = (Self::half_edges(&c.normal), Self::half_edges(&c.reduce));
        let normal = self.half(&c.normal, &n).to_arch(&OPS, &NORMAL_INPUTS, "");
        normal.disjoint_union(
            &self
                .half(&c.reduce, &r)
                .to_arch(&OPS, &REDUCE_INPUTS, REDUCE),
        )
    }

    fn lower_flat(&self, c: &DartsCell, out: &mut FlatGraph) {
        out.clear();
        let (n, r) = (Self::half_edges(&c.normal), Self::half_edges(&c.reduce));
        self.half(&c.normal, &n)
            .append_to(out, &NORMAL_INPUT_LABELS, &NORMAL_LABELS);
        self.half(&c.reduce, &r)
            .append_to(out, &REDUCE_INPUT_LABELS, &REDUCE_LABELS);
    }
}

/// DARTS has no embedded table (its values come from the user).
impl super::TableKey for DartsSpace {
    fn table_key(&self, _cell: &DartsCell) -> Option<u64> {
        None
    }
}

impl super::OneHot for DartsSpace {
    /// Each of the 16 edges (normal, then reduction) as two positions, its operation and
    /// its input node, then each half's output concatenation.
    fn one_hot(&self, c: &DartsCell) -> Vec<(usize, usize)> {
        let edges = [&c.normal, &c.reduce].into_iter().flat_map(|h| {
            h.edges
                .iter()
                .flat_map(|&(op, input)| [op as usize, input as usize])
        });
        let concat = [c.normal.concat as usize, c.reduce.concat as usize];
        edges.chain(concat).enumerate().collect()
    }
}

impl Sampler for DartsSpace {
    fn sample(&self, rng: &mut dyn RngCore) -> DartsCell {
        DartsCell {
            normal: Self::sample_half(rng),
            reduce: Self::sample_half(rng),
        }
    }

    fn neighbours(&self, c: &DartsCell) -> Vec<DartsCell> {
        let mut out: Vec<DartsCell> = Self::half_neighbours(&c.normal)
            .into_iter()
            .map(|normal| DartsCell { normal, ..*c })
            .collect();
        out.extend(
            Self::half_neighbours(&c.reduce)
                .into_iter()
                .map(|reduce| DartsCell { reduce, ..*c }),
        );
        out
    }

    /// (prod over nodes of C(inputs, 2) * 7^2)^2, about 1.08e18.
    fn size(&self) -> Option<u128> {
        let half: u128 = COMBOS.iter().map(|c| c * 49).product();
        Some(half * half)
    }

    fn enumerate(&self) -> Option<Vec<DartsCell>> {
        None
    }

    fn sample_at(&self, seed: u64, index: u64) -> Option<DartsCell> {
        let mut d = CounterDraws::new(seed, index);
        let normal = Self::sample_half_with(|n| d.below(n));
        let reduce = Self::sample_half_with(|n| d.below(n));
        Some(DartsCell { normal, reduce })
    }

    fn device_space(&self) -> Option<DeviceSpace> {
        let mut labels = [0; 22];
        labels[..8].copy_from_slice(&NORMAL_LABELS);
        labels[8..16].copy_from_slice(&REDUCE_LABELS);
        labels[16..18].copy_from_slice(&NORMAL_INPUT_LABELS);
        labels[18..20].copy_from_slice(&REDUCE_INPUT_LABELS);
        labels[20] = OUTPUT;
        labels[21] = DEAD_INPUT;
        Some(DeviceSpace {
            kind: DeviceKind::Darts,
            skip_as_wire: self.skip_as_wire,
            none_op: 0,
            skip_op: 3,
            labels,
        })
    }

    fn device_code(&self, c: &DartsCell) -> Option<[u32; 4]> {
        let (n, r) = (Self::half_code(&c.normal), Self::half_code(&c.reduce));
        Some([n[0], n[1], r[0], r[1]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const DARTS_V2: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

    #[test]
    fn parses_the_published_darts_v2_genotype() {
        let s = DartsSpace {
            skip_as_wire: false,
        };
        let c = s.parse(DARTS_V2).unwrap();
        assert_eq!(s.format(&c), DARTS_V2);
        let r = DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)");
        assert_eq!(s.parse(&r).unwrap(), c);
        let a = s.lower(&c);
        // 2 inputs + 8 ops + output, twice.
        assert_eq!(a.node_count(), 22);
    }

    #[test]
    fn round_trip_and_size() {
        let s = DartsSpace::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..300 {
            let c = s.sample(&mut rng);
            assert_eq!(s.parse(&s.format(&c)).unwrap(), c);
            let n = s.neighbours(&c);
            assert!(n.len() > 100 && !n.contains(&c));
        }
        let size = s.size().unwrap() as f64;
        assert!((1.0e18..1.1e18).contains(&size), "{size}");
    }

    #[test]
    fn errors() {
        let s = DartsSpace::default();
        assert!(s.parse("Genotype(normal=[])").is_err());
        let bad_op = DARTS_V2.replace("dil_conv_3x3", "conv_7x7");
        assert!(s
            .parse(&bad_op)
            .unwrap_err()
            .to_string()
            .contains("unknown operation"));
        let bad_in = DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)");
        assert!(s
            .parse(&bad_in)
            .unwrap_err()
            .to_string()
            .contains("may read"));
    }
}
