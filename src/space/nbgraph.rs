//! NAS-Bench-Graph: 4 computing nodes, each reading one earlier node (a link pattern)
//! and applying one GNN operation; leaves feed the output.
//!
//! `valid_hash` below is a line-by-line port of the benchmark's own
//! `Arch.valid_hash()` (nas_bench_graph/architecture.py, version 1.4.0), so every
//! architecture, in any of its equivalent spellings, finds its table row.

use super::{op_index, pick, Sampler, Space, TableKey};
use crate::error::{Error, Result};
use crate::graph::{Arch, Label};
use rand::RngCore;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The benchmark's `gnn_list`, whose indices make up the table keys.
pub const OPS: [&str; 9] = [
    "gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip",
];
/// The operations evaluated on the proteins dataset (`gnn_list_proteins`).
pub const PROTEINS_OPS: [&str; 5] = ["gcn", "sage", "arma", "fc", "skip"];
/// The benchmark's 9 canonical link patterns (`link_list`), in key order.
pub const LINKS: [[u8; 4]; 9] = [
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [0, 0, 1, 1],
    [0, 0, 1, 2],
    [0, 0, 1, 3],
    [0, 1, 1, 1],
    [0, 1, 1, 2],
    [0, 1, 2, 2],
    [0, 1, 2, 3],
];
const SKIP: u8 = 8;

/// An architecture: for each computing node, the node it reads (0 = input) and its op
/// (an index into [`OPS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NbGraphCell {
    /// Input of computing node i+1: 0 for the raw input, k for computing node k (k <= i).
    pub link: [u8; 4],
    /// Operation of each computing node, as an index into [`OPS`].
    pub ops: [u8; 4],
}

/// The NAS-Bench-Graph space, with the full op set or the proteins one.
#[derive(Debug, Default)]
pub struct NbGraphSpace {
    proteins: bool,
    all: OnceLock<Vec<NbGraphCell>>,
}

impl Clone for NbGraphSpace {
    fn clone(&self) -> Self {
        NbGraphSpace::new(self.proteins)
    }
}

impl NbGraphSpace {
    /// The space with the 9 operations, or with the 5 of the proteins dataset.
    pub fn new(proteins: bool) -> Self {
        NbGraphSpace {
            proteins,
            all: OnceLock::new(),
        }
    }

    /// The operations this space draws from.
    pub fn ops(&self) -> Vec<u8> {
        if self.proteins {
            PROTEINS_OPS
                .iter()
                .map(|p| OPS.iter().position(|o| o == p).unwrap() as u8)
                .collect()
        } else {
            (0..9).collect()
        }
    }

    /// One representative per distinct benchmark row, in key order.
    fn all(&self) -> &[NbGraphCell] {
        self.all.get_or_init(|| {
            let ops = self.ops();
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for link in LINKS {
                for a in &ops {
                    for b in &ops {
                        for c in &ops {
                            for d in &ops {
                                let cell = NbGraphCell {
                                    link,
                                    ops: [*a, *b, *c, *d],
                                };
                                if cell.ops == [SKIP; 4] {
                                    continue;
                                }
                                let canon = canonical(&cell);
                                if seen.insert(hash_arch(&canon)) {
                                    out.push(canon);
                                }
                            }
                        }
                    }
                }
            }
            out.sort_by_key(hash_arch);
            out
        })
    }

    fn valid(&self, c: &NbGraphCell) -> bool {
        let ops = self.ops();
        c.ops.iter().all(|o| ops.contains(o))
            && c.ops != [SKIP; 4]
            && c.link.iter().enumerate().all(|(i, &l)| l as usize <= i)
    }
}

/// The benchmark's `regularize()`: maps the 15 non-canonical link orders onto `link_list`.
fn regularize(c: &NbGraphCell) -> NbGraphCell {
    let o = c.ops;
    let (link, ops) = match c.link {
        [0, 0, 0, 2] => ([0, 0, 0, 1], [o[1], o[0], o[2], o[3]]),
        [0, 0, 0, 3] => ([0, 0, 0, 1], [o[2], o[0], o[1], o[3]]),
        [0, 0, 1, 0] => ([0, 0, 0, 1], [o[0], o[1], o[3], o[2]]),
        [0, 0, 2, 0] => ([0, 0, 0, 1], [o[1], o[0], o[3], o[2]]),
        [0, 0, 2, 1] => ([0, 0, 1, 2], [o[1], o[0], o[2], o[3]]),
        [0, 0, 2, 2] => ([0, 0, 1, 1], [o[1], o[0], o[2], o[3]]),
        [0, 0, 2, 3] => ([0, 0, 1, 3], [o[1], o[0], o[2], o[3]]),
        [0, 1, 0, 0] => ([0, 0, 0, 1], [o[0], o[2], o[3], o[1]]),
        [0, 1, 0, 1] => ([0, 0, 1, 1], [o[0], o[2], o[1], o[3]]),
        [0, 1, 0, 2] => ([0, 0, 1, 3], [o[0], o[2], o[1], o[3]]),
        [0, 1, 0, 3] => ([0, 0, 1, 2], [o[0], o[2], o[1], o[3]]),
        [0, 1, 1, 0] => ([0, 0, 1, 1], [o[0], o[3], o[1], o[2]]),
        [0, 1, 1, 3] => ([0, 1, 1, 2], [o[0], o[2], o[1], o[3]]),
        [0, 1, 2, 0] => ([0, 0, 1, 3], [o[0], o[3], o[1], o[2]]),
        [0, 1, 2, 1] => ([0, 1, 1, 2], [o[0], o[1], o[3], o[2]]),
        l => (l, o),
    };
    NbGraphCell { link, ops }
}

/// The benchmark's `move_skip_op()`: moves skip operations that change nothing to the front.
fn move_skip_op(c: &mut NbGraphCell) {
    let mut link: Vec<i32> = c.link.iter().map(|&x| x as i32).collect();
    let mut ops: Vec<u8> = c.ops.to_vec();
    let n = link.len();
    let move_one = |k: usize, link: &mut Vec<i32>, ops: &mut Vec<u8>| {
        let op = ops.remove(k);
        ops.insert(0, op);
        for i in 0..link.len() {
            let father = link[i];
            if father == k as i32 + 1 {
                link[i] = link[k];
            }
            if father <= k as i32 {
                link[i] += 1;
            }
        }
        link.remove(k);
        link.insert(0, 0);
    };
    let check_dim = |mut k: i32, link: &[i32], ops: &[u8]| {
        while k > -1 {
            if ops[k as usize] != SKIP {
                return false;
            }
            k = link[k as usize] - 1;
        }
        true
    };
    for i in 0..n {
        if ops[i] != SKIP {
            continue;
        }
        let mut son = false;
        let mut brother = false;
        for (j, &fa) in link.iter().enumerate() {
            if fa == i as i32 + 1 {
                son = true;
            } else if j != i && fa == link[i] {
                brother = true;
            }
        }
        // Python: `son or not brother or check_dim(i, link, ops) and not son`.
        if son || !brother || check_dim(i as i32, &link, &ops) {
            move_one(i, &mut link, &mut ops);
        }
    }
    if link == [0, 1, 2, 1] {
        link = vec![0, 1, 1, 2];
        ops.swap(2, 3);
    } else if link == [0, 1, 1, 3] {
        link = vec![0, 1, 1, 2];
        ops.swap(1, 2);
    }
    for i in 0..4 {
        c.link[i] = link[i] as u8;
        c.ops[i] = ops[i];
    }
}

/// The benchmark's `equalpart_sort()`: orders the ops of interchangeable nodes.
fn equalpart_sort(c: &mut NbGraphCell) {
    let ids: &[usize] = match c.link {
        [0, 0, 0, 0] => &[0, 1, 2, 3],
        [0, 0, 0, 1] => &[1, 2],
        [0, 0, 1, 1] => &[2, 3],
        [0, 1, 1, 1] => &[1, 2, 3],
        [0, 1, 2, 2] => &[2, 3],
        [0, 0, 1, 2] => {
            let o = c.ops;
            if o[0] > o[1] || (o[0] == o[1] && o[2] > o[3]) {
                c.ops = [o[1], o[0], o[3], o[2]];
            }
            &[]
        }
        _ => &[],
    };
    let mut vals: Vec<u8> = ids.iter().map(|&i| c.ops[i]).collect();
    vals.sort_unstable();
    for (&i, v) in ids.iter().zip(vals) {
        c.ops[i] = v;
    }
}

/// The canonical spelling of an architecture (regularize, move skips, sort equal parts).
pub fn canonical(c: &NbGraphCell) -> NbGraphCell {
    let mut b = regularize(c);
    move_skip_op(&mut b);
    equalpart_sort(&mut b);
    b
}

/// The benchmark's `hash_arch()` on an already canonical cell: pattern index, then
/// `key * 10 + op` for each op.
fn hash_arch(c: &NbGraphCell) -> u64 {
    let lk = LINKS
        .iter()
        .position(|l| *l == c.link)
        .map(|p| p as u64)
        // Unreachable for cells built through `canonical`; map to an impossible key.
        .unwrap_or(u64::MAX / 100_000);
    c.ops.iter().fold(lk, |a, &o| a * 10 + o as u64)
}

/// The benchmark's `valid_hash()`: the table key of any spelling of an architecture.
pub fn valid_hash(c: &NbGraphCell) -> u64 {
    hash_arch(&canonical(c))
}

impl TableKey for NbGraphSpace {
    fn table_key(&self, cell: &NbGraphCell) -> Option<u64> {
        Some(valid_hash(cell))
    }
}

impl Space for NbGraphSpace {
    type Cell = NbGraphCell;

    fn name(&self) -> &'static str {
        "nbgraph"
    }

    /// Reads `[0,1,2,1]:[gcn,gin,fc,cheb]`; also accepts the package's own
    /// `Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])`.
    fn parse(&self, s: &str) -> Result<NbGraphCell> {
        let bad = |r: String| Error::parse("nbgraph", s, r);
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
            .collect();
        let t = t
            .strip_prefix("Arch(")
            .and_then(|x| x.strip_suffix(')'))
            .unwrap_or(&t);
        let (a, b) = t
            .split_once("]:[")
            .or_else(|| t.split_once("],["))
            .ok_or_else(|| {
                bad("expected `[links]:[ops]`, e.g. `[0,1,2,1]:[gcn,gin,fc,cheb]`".into())
            })?;
        let a = a
            .strip_prefix('[')
            .ok_or_else(|| bad("link list must start with `[`".into()))?;
        let b = b
            .strip_suffix(']')
            .ok_or_else(|| bad("op list must end with `]`".into()))?;
        let links: Vec<&str> = a.split(',').collect();
        let ops: Vec<&str> = b.split(',').collect();
        if links.len() != 4 || ops.len() != 4 {
            return Err(bad(format!(
                "need 4 links and 4 ops, found {} and {}",
                links.len(),
                ops.len()
            )));
        }
        let mut cell = NbGraphCell {
            link: [0; 4],
            ops: [0; 4],
        };
        for i in 0..4 {
            let l: u8 = links[i]
                .parse()
                .map_err(|_| bad(format!("link `{}` is not a number", links[i])))?;
            if l as usize > i {
                return Err(bad(format!(
                    "computing node {} may read nodes 0..={i}, not {l}",
                    i + 1
                )));
            }
            cell.link[i] = l;
            let op = op_index("nbgraph", s, &OPS, ops[i])?;
            if self.proteins && !PROTEINS_OPS.contains(&OPS[op]) {
                return Err(bad(format!(
                    "operation `{}` is not in the proteins op set ({})",
                    ops[i],
                    PROTEINS_OPS.join(", ")
                )));
            }
            cell.ops[i] = op as u8;
        }
        if cell.ops == [SKIP; 4] {
            return Err(bad(
                "an all-skip architecture is not part of the benchmark".into()
            ));
        }
        Ok(cell)
    }

    fn format(&self, c: &NbGraphCell) -> String {
        let l: Vec<String> = c.link.iter().map(|x| x.to_string()).collect();
        let o: Vec<&str> = c.ops.iter().map(|&x| OPS[x as usize]).collect();
        format!("[{}]:[{}]", l.join(","), o.join(","))
    }

    fn lower(&self, c: &NbGraphCell) -> Arch {
        // Nodes: 0 input, 1..=4 computing nodes, 5 output; leaves feed the output.
        let mut labels: Vec<Label> = vec![Cow::Borrowed("input")];
        labels.extend(c.ops.iter().map(|&o| Cow::Borrowed(OPS[o as usize])));
        labels.push(Cow::Borrowed("output"));
        let mut edges: Vec<(usize, usize)> = (0..4).map(|i| (c.link[i] as usize, i + 1)).collect();
        for i in 1..=4 {
            if !c.link.iter().any(|&l| l as usize == i) {
                edges.push((i, 5));
            }
        }
        Arch::from_trusted(labels, &edges)
    }
}

impl super::OneHot for NbGraphSpace {
    /// Each computing node's input (the adjacency) and operation.
    fn one_hot(&self, c: &NbGraphCell) -> Vec<(usize, usize)> {
        (0..4)
            .flat_map(|i| [(i, c.link[i] as usize), (4 + i, c.ops[i] as usize)])
            .collect()
    }
}

impl Sampler for NbGraphSpace {
    fn sample(&self, rng: &mut dyn RngCore) -> NbGraphCell {
        let all = self.all();
        all[pick(rng, all.len())]
    }

    fn neighbours(&self, c: &NbGraphCell) -> Vec<NbGraphCell> {
        let me = valid_hash(c);
        let mut seen = HashSet::from([me]);
        let mut out = Vec::new();
        let mut push = |n: NbGraphCell| {
            if self.valid(&n) {
                let n = canonical(&n);
                if seen.insert(hash_arch(&n)) {
                    out.push(n);
                }
            }
        };
        for i in 0..4 {
            for op in self.ops() {
                let mut n = *c;
                n.ops[i] = op;
                push(n);
            }
            for l in 0..=i as u8 {
                let mut n = *c;
                n.link[i] = l;
                push(n);
            }
        }
        out
    }

    fn size(&self) -> Option<u128> {
        Some(self.all().len() as u128)
    }

    fn enumerate(&self) -> Option<Vec<NbGraphCell>> {
        Some(self.all().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &NbGraphSpace, t: &str) -> NbGraphCell {
        s.parse(t).unwrap()
    }

    #[test]
    fn valid_hash_matches_the_python_package() {
        // (arch, valid_hash) computed with nas_bench_graph 1.4.0's Arch.valid_hash().
        let s = NbGraphSpace::new(false);
        for (t, h) in [
            ("[0,0,1,1]:[gcn,sage,gcn,fc]", 21417),
            ("[0,1,2,2]:[fc,graph,cheb,gcn]", 77613),
            ("[0,1,2,2]:[gat,graph,graph,gat]", 70606),
            ("[0,1,2,2]:[sage,cheb,gcn,arma]", 74315),
            ("[0,0,0,0]:[gat,gat,skip,gat]", 58000),
            ("[0,1,1,2]:[cheb,graph,gat,skip]", 78306),
            ("[0,0,1,2]:[fc,fc,skip,cheb]", 68773),
            ("[0,1,1,1]:[cheb,cheb,fc,sage]", 53347),
            ("Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])", 61237),
        ] {
            assert_eq!(valid_hash(&cell(&s, t)), h, "{t}");
        }
        let p = NbGraphSpace::new(true);
        assert_eq!(valid_hash(&cell(&p, "[0,1,1,2]:[sage,arma,fc,gcn]")), 64571);
    }

    #[test]
    fn enumeration_sizes_match_the_benchmark() {
        assert_eq!(NbGraphSpace::new(false).size(), Some(26_206));
        assert_eq!(NbGraphSpace::new(true).size(), Some(2_021));
    }

    #[test]
    fn round_trip_and_errors() {
        let s = NbGraphSpace::new(false);
        for c in s.all().iter().step_by(97) {
            assert_eq!(s.parse(&s.format(c)).unwrap(), *c);
        }
        assert!(s.parse("[0,1,2,5]:[gcn,gcn,gcn,gcn]").is_err());
        assert!(s
            .parse("[0,1,2,1]:[gcn,gcn,gcn,conv]")
            .unwrap_err()
            .to_string()
            .contains("unknown operation"));
        assert!(s.parse("[0,1,2]:[gcn,gcn,gcn]").is_err());
        assert!(s.parse("[0,0,0,0]:[skip,skip,skip,skip]").is_err());
        assert!(NbGraphSpace::new(true)
            .parse("[0,1,2,1]:[gat,gcn,gcn,gcn]")
            .is_err());
    }

    #[test]
    fn neighbours_are_distinct_rows() {
        let s = NbGraphSpace::new(false);
        let c = cell(&s, "[0,1,2,3]:[gcn,gin,fc,cheb]");
        let n = s.neighbours(&c);
        let keys: HashSet<_> = n.iter().map(valid_hash).collect();
        assert_eq!(keys.len(), n.len());
        assert!(!keys.contains(&valid_hash(&c)));
        assert!(n.len() > 30);
    }
}
