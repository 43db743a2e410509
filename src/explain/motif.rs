//! Readable motifs: every WL label is a rooted subtree (an operation and, hop by hop, what
//! it is connected to). Recording how each label was built while hashing lets any label be
//! decoded back into that tree, printed as text or Graphviz DOT, and hashed again.

use crate::graph::Arch;
use crate::wl::{initial_label, mix64, node_labels, refine, Direction, WlConfig};
use std::collections::HashMap;
use std::fmt::Write as _;

/// How one label was built.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// Iteration 0: the operation's name.
    Op(String),
    /// Iteration `it`: the node's previous label and its neighbours' previous labels.
    Refine {
        it: usize,
        prev: u64,
        neighbours: Vec<u64>,
    },
}

/// The origins of every label seen while hashing some graphs.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    origins: HashMap<u64, Origin>,
    direction: Option<Direction>,
}

/// A decoded motif: an operation with the subtrees of its neighbours, `depth` hops deep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Motif {
    /// The root's operation.
    pub op: String,
    /// WL iteration of the label (hops below the root).
    pub depth: usize,
    /// The neighbours' motifs at `depth - 1`, sorted by their text.
    pub children: Vec<Motif>,
}

impl Provenance {
    /// Records the origin of every label of `archs` under `cfg`.
    pub fn record(archs: &[Arch], cfg: &WlConfig) -> Provenance {
        let mut p = Provenance {
            origins: HashMap::new(),
            direction: Some(cfg.direction),
        };
        for a in archs {
            let labels = node_labels(a, cfg);
            for (v, &l) in labels[0].iter().enumerate() {
                p.origins
                    .entry(l)
                    .or_insert_with(|| Origin::Op(a.label(v).to_string()));
            }
            for it in 1..labels.len() {
                for v in 0..a.node_count() {
                    p.origins.entry(labels[it][v]).or_insert_with(|| {
                        let mut neighbours: Vec<u64> = Vec::new();
                        if matches!(cfg.direction, Direction::In | Direction::Both) {
                            neighbours.extend(a.predecessors(v).map(|u| labels[it - 1][u]));
                        }
                        if matches!(cfg.direction, Direction::Out | Direction::Both) {
                            neighbours.extend(a.successors(v).map(|u| labels[it - 1][u]));
                        }
                        neighbours.sort_unstable();
                        Origin::Refine {
                            it,
                            prev: labels[it - 1][v],
                            neighbours,
                        }
                    });
                }
            }
        }
        p
    }

    /// Number of labels recorded.
    pub fn len(&self) -> usize {
        self.origins.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The motif a label stands for, or `None` for a label never recorded.
    pub fn decode(&self, label: u64) -> Option<Motif> {
        match self.origins.get(&label)? {
            Origin::Op(op) => Some(Motif {
                op: op.clone(),
                depth: 0,
                children: Vec::new(),
            }),
            Origin::Refine {
                it,
                prev,
                neighbours,
            } => {
                let root = self.decode(*prev)?;
                let mut children = neighbours
                    .iter()
                    .map(|&n| self.decode(n))
                    .collect::<Option<Vec<_>>>()?;
                children.sort_by_key(|c| c.text(self.arrow()));
                Some(Motif {
                    op: root.op,
                    depth: *it,
                    children,
                })
            }
        }
    }

    /// The arrow that joins a node to its neighbours in text: `<-` for inputs, `->` for
    /// outputs, `~` for both.
    pub fn arrow(&self) -> &'static str {
        match self.direction {
            Some(Direction::Out) => "->",
            Some(Direction::Both) => "~",
            _ => "<-",
        }
    }
}

impl Motif {
    /// The tree cut to `depth` hops (the node's label at an earlier iteration).
    pub fn truncate(&self, depth: usize) -> Motif {
        Motif {
            op: self.op.clone(),
            depth: depth.min(self.depth),
            children: if depth == 0 {
                Vec::new()
            } else {
                self.children
                    .iter()
                    .map(|c| c.truncate(depth - 1))
                    .collect()
            },
        }
    }

    /// The WL label of this tree, computed from the tree alone (the inverse of decoding).
    pub fn label(&self) -> u64 {
        if self.depth == 0 {
            return initial_label(&self.op);
        }
        let prev = self.truncate(self.depth - 1).label();
        let sum = self
            .children
            .iter()
            .fold(0u64, |a, c| a.wrapping_add(mix64(c.label())));
        refine(prev, self.depth as u64, sum)
    }

    /// One-line text: `nor_conv_3x3 <- [input]`, nested for deeper motifs.
    pub fn text(&self, arrow: &str) -> String {
        if self.depth == 0 {
            return self.op.clone();
        }
        let kids: Vec<String> = self.children.iter().map(|c| c.text(arrow)).collect();
        format!("{} {arrow} [{}]", self.op, kids.join(", "))
    }

    /// Graphviz DOT of the tree, root at the top, edges drawn as data flows for `arrow`.
    pub fn dot(&self, arrow: &str) -> String {
        let mut s = String::from("digraph motif {\n  node [shape=box, fontname=\"sans-serif\"];\n");
        let mut next = 0;
        self.dot_node(arrow, &mut s, &mut next);
        s + "}\n"
    }

    fn dot_node(&self, arrow: &str, s: &mut String, next: &mut usize) -> usize {
        let id = *next;
        *next += 1;
        let style = if id == 0 { ", style=bold" } else { "" };
        let _ = writeln!(
            s,
            "  n{id} [label=\"{}\"{style}];",
            self.op.replace('"', "'")
        );
        for c in &self.children {
            let cid = c.dot_node(arrow, s, next);
            let _ = match arrow {
                "<-" => writeln!(s, "  n{cid} -> n{id};"),
                "->" => writeln!(s, "  n{id} -> n{cid};"),
                _ => writeln!(s, "  n{id} -> n{cid} [dir=none];"),
            };
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Nb201Space, NbGraphSpace, Sampler, Space};
    use crate::wl::features;
    use rand::SeedableRng;

    /// Every label of real cells decodes to a tree whose own hash is that label.
    #[test]
    fn motifs_round_trip() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let nb = Nb201Space::default();
        let ng = NbGraphSpace::new(false);
        let mut archs: Vec<Arch> = (0..200).map(|_| nb.lower(&nb.sample(&mut rng))).collect();
        archs.extend((0..200).map(|_| ng.lower(&ng.sample(&mut rng))));
        for direction in [Direction::In, Direction::Out, Direction::Both] {
            let cfg = WlConfig { h: 3, direction };
            let p = Provenance::record(&archs, &cfg);
            let mut n = 0;
            for a in &archs {
                for &l in &features(a, &cfg).labels {
                    let m = p.decode(l).expect("recorded");
                    assert_eq!(m.label(), l, "{}", m.text(p.arrow()));
                    n += 1;
                }
            }
            assert!(n > 1000);
        }
    }

    #[test]
    fn text_and_dot() {
        let s = Nb201Space {
            skip_as_wire: false,
        };
        let c = s
            .parse("|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
            .unwrap();
        let a = s.lower(&c);
        let cfg = WlConfig {
            h: 1,
            direction: Direction::In,
        };
        let p = Provenance::record(std::slice::from_ref(&a), &cfg);
        let texts: Vec<String> = features(&a, &cfg)
            .labels
            .iter()
            .map(|&l| p.decode(l).unwrap().text(p.arrow()))
            .collect();
        assert!(
            texts.contains(&"nor_conv_3x3 <- [input]".to_string()),
            "{texts:?}"
        );
        let m = p.decode(initial_label("nor_conv_3x3")).unwrap();
        assert_eq!(m.depth, 0);
        let deep = texts.iter().find(|t| t.starts_with("output <-")).unwrap();
        assert_eq!(deep, "output <- [nor_conv_3x3]");
        let l = features(&a, &cfg)
            .labels
            .into_iter()
            .find(|&l| p.decode(l).unwrap().text("<-") == "nor_conv_3x3 <- [input]")
            .unwrap();
        let dot = p.decode(l).unwrap().dot("<-");
        assert!(
            dot.contains("n1 -> n0;") && dot.contains("label=\"input\""),
            "{dot}"
        );
    }
}
