//! Grammar spaces (NePS's context-free-grammar spaces, Schrodi et al., NeurIPS 2023):
//! productions whose right-hand side is a topology with edge slots, each slot filled by a
//! non-terminal or an operation, expanded into one DAG. An architecture is a derivation,
//! written as the expression it is (`sequential3(cell(conv3x3, id, ...), ...)`) and
//! stored as its choices in preorder.

use super::spec::bad;
use crate::error::{Error, Result};
use crate::graph::{Arch, Label};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A grammar as written.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GrammarSpec {
    /// The start symbol.
    pub start: String,
    /// The operations (terminals), as the lowered graph's labels.
    pub ops: Vec<String>,
    /// Operations that mean "no edge".
    #[serde(default)]
    pub none: Vec<String>,
    /// Operations wired through.
    #[serde(default)]
    pub identity: Vec<String>,
    /// The deepest derivation (needed when rules recurse).
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// Put each operation's level (its depth in the derivation) into its label, so that WL
    /// tells a convolution of the outer level from one of an inner level.
    #[serde(default)]
    pub level_labels: bool,
    /// User topologies beside the built-in ones (`sequentialK`, `residualK`, `diamond`,
    /// `cell`): nodes `0..nodes`, 0 the input, the last the output, edges in slot order.
    #[serde(default)]
    pub topology: BTreeMap<String, TopologySpec>,
    /// Each non-terminal's alternatives: `topology(A, B, op)`, a non-terminal, or an
    /// operation.
    pub rules: BTreeMap<String, Vec<String>>,
}

/// A user topology.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopologySpec {
    /// Node count.
    pub nodes: usize,
    /// Edges `[from, to]`, one slot each, in argument order.
    pub edges: Vec<[usize; 2]>,
}

#[derive(Clone, Debug)]
struct Topo {
    nodes: usize,
    edges: Vec<(usize, usize)>,
}

#[derive(Clone, Debug)]
enum Arg {
    Op(usize),
    Sym(usize),
}

#[derive(Clone, Debug)]
enum Alt {
    Op(usize),
    Sym(usize),
    Topo {
        name: String,
        topo: Topo,
        args: Vec<Arg>,
    },
}

impl Alt {
    /// The non-terminals the alternative expands, in order.
    fn kids(&self) -> Vec<usize> {
        match self {
            Alt::Op(_) => Vec::new(),
            Alt::Sym(r) => vec![*r],
            Alt::Topo { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    Arg::Sym(r) => Some(*r),
                    Arg::Op(_) => None,
                })
                .collect(),
        }
    }
}

/// A derivation: the alternative chosen for `rule`, and the derivations of its kids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Tree {
    rule: usize,
    alt: usize,
    kids: Vec<Tree>,
}

/// A compiled grammar.
#[derive(Clone, Debug)]
pub(super) struct Grammar {
    names: Vec<String>,
    alts: Vec<Vec<Alt>>,
    start: usize,
    ops: Vec<String>,
    roles: Vec<super::EdgeRole>,
    max_depth: usize,
    /// The shallowest derivation of each rule.
    min_depth: Vec<usize>,
    level_labels: bool,
    /// For each alternative, the first alternative of its rule written the same way: an
    /// alternative listed twice is drawn twice as often, and is one derivation.
    canon: Vec<Vec<usize>>,
}

/// The built-in topology `name`, if it is one.
fn builtin(name: &str) -> Option<Topo> {
    let chain = |k: usize| (0..k).map(|i| (i, i + 1)).collect::<Vec<_>>();
    if let Some(k) = name
        .strip_prefix("sequential")
        .and_then(|k| k.parse::<usize>().ok())
    {
        return (1..=16).contains(&k).then(|| Topo {
            nodes: k + 1,
            edges: chain(k),
        });
    }
    if let Some(k) = name
        .strip_prefix("residual")
        .and_then(|k| k.parse::<usize>().ok())
    {
        return (1..=16).contains(&k).then(|| {
            let mut edges = chain(k);
            edges.push((0, k));
            Topo {
                nodes: k + 1,
                edges,
            }
        });
    }
    match name {
        "diamond" => Some(Topo {
            nodes: 4,
            edges: vec![(0, 1), (0, 2), (1, 3), (2, 3)],
        }),
        "cell" => Some(Topo {
            nodes: 4,
            edges: vec![(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)],
        }),
        _ => None,
    }
}

const INF: usize = usize::MAX / 2;

impl Grammar {
    /// Compiles and checks a grammar, naming the place of the first problem.
    pub fn new(g: &GrammarSpec) -> Result<Grammar> {
        let names: Vec<String> = g.rules.keys().cloned().collect();
        let rule = |s: &str| names.iter().position(|n| n == s);
        let op = |s: &str| g.ops.iter().position(|o| o == s);
        if g.ops.is_empty() {
            return Err(bad("[grammar] ops", "is an empty choice"));
        }
        super::spec::check_roles("[grammar]", &g.ops, &g.none, &g.identity)?;
        if let Some(o) = g.ops.iter().find(|o| rule(o).is_some()) {
            return Err(bad("[grammar] ops", format!("`{o}` is also a rule's name")));
        }
        let mut topos = BTreeMap::new();
        for (name, t) in &g.topology {
            topos.insert(name.clone(), user_topology(name, t)?);
        }
        let topo = |s: &str| topos.get(s).cloned().or_else(|| builtin(s));
        let mut alts = Vec::new();
        for (lhs, list) in &g.rules {
            if list.is_empty() {
                return Err(bad(&format!("[grammar.rules] {lhs}"), "is an empty choice"));
            }
            if list.len() > 255 {
                return Err(bad(
                    &format!("[grammar.rules] {lhs}"),
                    "more than 255 alternatives",
                ));
            }
            let mut out = Vec::new();
            for (i, text) in list.iter().enumerate() {
                let place = format!("[grammar.rules] {lhs}[{i}]");
                let symbol = |s: &str| -> Result<Arg> {
                    match (rule(s), op(s)) {
                        (Some(r), _) => Ok(Arg::Sym(r)),
                        (None, Some(o)) => Ok(Arg::Op(o)),
                        (None, None) => Err(bad(
                            &place,
                            format!("unknown symbol `{s}` (not a rule, not one of ops)"),
                        )),
                    }
                };
                out.push(match text.split_once('(') {
                    None => match symbol(text.trim())? {
                        Arg::Sym(r) => Alt::Sym(r),
                        Arg::Op(o) => Alt::Op(o),
                    },
                    Some((name, rest)) => {
                        let name = name.trim();
                        let inner = rest.trim_end().strip_suffix(')').ok_or_else(|| {
                            bad(&place, format!("`{text}` does not end with `)`"))
                        })?;
                        let t = topo(name)
                            .ok_or_else(|| bad(&place, format!("unknown topology `{name}`")))?;
                        let args = inner
                            .split(',')
                            .map(|a| symbol(a.trim()))
                            .collect::<Result<Vec<_>>>()?;
                        if args.len() != t.edges.len() {
                            return Err(bad(
                                &place,
                                format!(
                                    "`{name}` has {} edge slots, given {} arguments",
                                    t.edges.len(),
                                    args.len()
                                ),
                            ));
                        }
                        Alt::Topo {
                            name: name.to_string(),
                            topo: t,
                            args,
                        }
                    }
                });
            }
            alts.push(out);
        }
        let canon = g
            .rules
            .values()
            .map(|list| {
                (0..list.len())
                    .map(|i| {
                        let t = list[i].replace(' ', "");
                        (0..=i)
                            .find(|&j| list[j].replace(' ', "") == t)
                            .unwrap_or(i)
                    })
                    .collect()
            })
            .collect();
        let start = rule(&g.start)
            .ok_or_else(|| bad("[grammar] start", format!("`{}` is not a rule", g.start)))?;
        let min_depth = min_depths(&alts);
        if let Some(r) = (0..names.len()).find(|&r| min_depth[r] >= INF) {
            return Err(bad(
                &format!("[grammar.rules] {}", names[r]),
                "unbounded recursion: no derivation of it ends in operations",
            ));
        }
        let max_depth = match g.max_depth {
            Some(d) if d < min_depth[start] => {
                return Err(bad(
                    "[grammar] max_depth",
                    format!(
                        "{d}: the shallowest derivation of `{}` is {} deep",
                        g.start, min_depth[start]
                    ),
                ))
            }
            Some(d) => d,
            None => deepest(&alts, start, &names)?,
        };
        Ok(Grammar {
            names,
            alts,
            start,
            ops: g.ops.clone(),
            roles: super::roles(&g.ops, &g.none, &g.identity),
            max_depth,
            min_depth,
            level_labels: g.level_labels,
            canon,
        })
    }

    /// The distinct alternatives of `rule` that fit at `depth` (the start symbol is at
    /// depth 1).
    fn allowed(&self, rule: usize, depth: usize) -> Vec<usize> {
        self.drawable(rule, depth)
            .into_iter()
            .filter(|&a| self.canon[rule][a] == a)
            .collect()
    }

    /// Every alternative of `rule` that fits at `depth`, repeats included.
    fn drawable(&self, rule: usize, depth: usize) -> Vec<usize> {
        (0..self.alts[rule].len())
            .filter(|&a| {
                self.alts[rule][a]
                    .kids()
                    .iter()
                    .all(|&k| depth + self.min_depth[k] <= self.max_depth)
            })
            .collect()
    }

    /// A derivation of `rule` at `depth`, each alternative uniform among those that fit.
    fn sample_at(&self, rule: usize, depth: usize, rng: &mut dyn RngCore) -> Tree {
        let drawable = self.drawable(rule, depth);
        let alt = self.canon[rule][drawable[super::super::pick(rng, drawable.len())]];
        let kids = self.alts[rule][alt]
            .kids()
            .into_iter()
            .map(|k| self.sample_at(k, depth + 1, rng))
            .collect();
        Tree { rule, alt, kids }
    }

    /// A uniform draw at each choice.
    pub fn sample(&self, rng: &mut dyn RngCore) -> Vec<u8> {
        encode(&self.sample_at(self.start, 1, rng))
    }

    /// How many derivations there are (`None` past u128).
    pub fn size(&self) -> Option<u128> {
        let mut memo = BTreeMap::new();
        self.count(self.start, 1, &mut memo)
    }

    fn count(
        &self,
        rule: usize,
        depth: usize,
        memo: &mut BTreeMap<(usize, usize), Option<u128>>,
    ) -> Option<u128> {
        if let Some(&v) = memo.get(&(rule, depth)) {
            return v;
        }
        let mut total = Some(0u128);
        for a in self.allowed(rule, depth) {
            let mut n = Some(1u128);
            for k in self.alts[rule][a].kids() {
                n = n.and_then(|n| n.checked_mul(self.count(k, depth + 1, memo)?));
            }
            total = total.and_then(|t| t.checked_add(n?));
        }
        memo.insert((rule, depth), total);
        total
    }

    /// Every derivation (for spaces the caller knows to be small).
    pub fn all(&self) -> Vec<Vec<u8>> {
        self.all_at(self.start, 1).iter().map(encode).collect()
    }

    fn all_at(&self, rule: usize, depth: usize) -> Vec<Tree> {
        let mut out = Vec::new();
        for alt in self.allowed(rule, depth) {
            let mut partial = vec![Vec::new()];
            for k in self.alts[rule][alt].kids() {
                let subs = self.all_at(k, depth + 1);
                partial = partial
                    .into_iter()
                    .flat_map(|p| {
                        subs.iter().map(move |s| {
                            let mut p = p.clone();
                            p.push(s.clone());
                            p
                        })
                    })
                    .collect();
            }
            out.extend(partial.into_iter().map(|kids| Tree { rule, alt, kids }));
        }
        out
    }

    /// The derivation a choice vector encodes.
    pub(super) fn decode(&self, c: &[u8]) -> Tree {
        let mut at = 0;
        self.decode_at(self.start, c, &mut at)
    }

    fn decode_at(&self, rule: usize, c: &[u8], at: &mut usize) -> Tree {
        let alt = c[*at] as usize;
        *at += 1;
        let kids = self.alts[rule][alt]
            .kids()
            .into_iter()
            .map(|k| self.decode_at(k, c, at))
            .collect();
        Tree { rule, alt, kids }
    }

    /// The expression of a derivation.
    pub fn format(&self, c: &[u8]) -> String {
        self.expr(&self.decode(c))
    }

    fn expr(&self, t: &Tree) -> String {
        match &self.alts[t.rule][t.alt] {
            Alt::Op(o) => self.ops[*o].clone(),
            Alt::Sym(_) => self.expr(&t.kids[0]),
            Alt::Topo { name, args, .. } => {
                let mut kids = t.kids.iter();
                let parts: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        Arg::Op(o) => self.ops[*o].clone(),
                        Arg::Sym(_) => self.expr(kids.next().expect("a kid per symbol")),
                    })
                    .collect();
                format!("{name}({})", parts.join(", "))
            }
        }
    }

    /// Reads an expression back into its choices; errors name the part that no rule
    /// derives.
    pub fn parse(&self, text: &str, space: &str) -> Result<Vec<u8>> {
        let e = Expr::read(text).map_err(|why| Error::parse(space, text, why))?;
        match self.matches(self.start, 1, &e) {
            Some(t) => Ok(encode(&t)),
            None => Err(Error::parse(
                space,
                text,
                format!(
                    "no derivation of `{}` gives it (the first part that fits no rule: `{}`)",
                    self.names[self.start],
                    self.first_misfit(self.start, 1, &e).unwrap_or(&e).show()
                ),
            )),
        }
    }

    fn matches(&self, rule: usize, depth: usize, e: &Expr) -> Option<Tree> {
        for alt in self.allowed(rule, depth) {
            let found = match &self.alts[rule][alt] {
                Alt::Op(o) => (e.args.is_empty() && e.name == self.ops[*o]).then(Vec::new),
                Alt::Sym(k) => self.matches(*k, depth + 1, e).map(|t| vec![t]),
                Alt::Topo { name, args, .. } => {
                    if *name != e.name || args.len() != e.args.len() {
                        None
                    } else {
                        let mut kids = Vec::new();
                        let ok = args.iter().zip(&e.args).all(|(a, x)| match a {
                            Arg::Op(o) => x.args.is_empty() && x.name == self.ops[*o],
                            Arg::Sym(k) => match self.matches(*k, depth + 1, x) {
                                Some(t) => {
                                    kids.push(t);
                                    true
                                }
                                None => false,
                            },
                        });
                        ok.then_some(kids)
                    }
                }
            };
            if let Some(kids) = found {
                return Some(Tree { rule, alt, kids });
            }
        }
        None
    }

    /// The innermost part of `e` under a topology that names it but does not fit.
    fn first_misfit<'e>(&self, rule: usize, depth: usize, e: &'e Expr) -> Option<&'e Expr> {
        for alt in self.allowed(rule, depth) {
            if let Alt::Topo { name, args, .. } = &self.alts[rule][alt] {
                if *name == e.name && args.len() == e.args.len() {
                    for (a, x) in args.iter().zip(&e.args) {
                        if let Arg::Sym(k) = a {
                            if self.matches(*k, depth + 1, x).is_none() {
                                return self.first_misfit(*k, depth + 1, x).or(Some(x));
                            }
                        }
                    }
                }
            }
        }
        None
    }

    /// Every derivation one subtree away: each choice changed to every other alternative
    /// that fits, its subtree kept when the new alternative expands the same symbols,
    /// else drawn from a generator seeded by the position (so the list is reproducible).
    pub fn neighbours(&self, c: &[u8]) -> Vec<Vec<u8>> {
        let tree = self.decode(c);
        let mut out = Vec::new();
        let mut path = Vec::new();
        self.neighbours_at(&tree, &tree, 1, &mut path, &mut out);
        out.sort();
        out.dedup();
        out.retain(|n| n != c);
        out
    }

    fn neighbours_at(
        &self,
        root: &Tree,
        t: &Tree,
        depth: usize,
        path: &mut Vec<usize>,
        out: &mut Vec<Vec<u8>>,
    ) {
        for alt in self.allowed(t.rule, depth) {
            if alt == t.alt {
                continue;
            }
            let kids = if self.alts[t.rule][alt].kids() == self.alts[t.rule][t.alt].kids() {
                t.kids.clone()
            } else {
                let seed = path
                    .iter()
                    .fold(alt as u64, |h, &p| h.wrapping_mul(31) ^ p as u64);
                let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
                self.alts[t.rule][alt]
                    .kids()
                    .into_iter()
                    .map(|k| self.sample_at(k, depth + 1, &mut rng))
                    .collect()
            };
            let replaced = Tree {
                rule: t.rule,
                alt,
                kids,
            };
            out.push(encode(&replace(root, path, replaced)));
        }
        for (i, k) in t.kids.iter().enumerate() {
            path.push(i);
            self.neighbours_at(root, k, depth + 1, path, out);
            path.pop();
        }
    }

    /// One subtree, chosen uniformly among the derivation's nodes, drawn afresh.
    pub fn mutate(&self, c: &[u8], rng: &mut dyn RngCore) -> Vec<u8> {
        let tree = self.decode(c);
        let mut nodes = Vec::new();
        collect_paths(&tree, 1, &mut Vec::new(), &mut nodes);
        for _ in 0..16 {
            let (path, depth, rule) = &nodes[super::super::pick(rng, nodes.len())];
            let fresh = self.sample_at(*rule, *depth, rng);
            let m = encode(&replace(&tree, path, fresh));
            if m != c {
                return m;
            }
        }
        c.to_vec()
    }

    /// The lowered graph: operations on the expanded DAG's edges become nodes (labelled
    /// with the operation, and its level when asked), `none` edges vanish, identities
    /// are wires, and nodes off every input-to-output path are pruned.
    pub fn lower(&self, c: &[u8]) -> Arch {
        let tree = self.decode(c);
        let mut edges = Vec::new();
        let mut nodes = 2;
        self.expand(&tree, 0, 1, 1, &mut nodes, &mut edges);
        let label = |op: usize, level: usize| -> Label {
            if self.level_labels {
                Label::Owned(format!("{}@{level}", self.ops[op]))
            } else {
                Label::Owned(self.ops[op].clone())
            }
        };
        lower_edges(nodes, &edges, &self.roles, label)
    }

    /// Adds the edges of derivation `t` between DAG nodes `u` and `v`.
    fn expand(
        &self,
        t: &Tree,
        u: usize,
        v: usize,
        depth: usize,
        nodes: &mut usize,
        edges: &mut Vec<(usize, usize, usize, usize)>,
    ) {
        match &self.alts[t.rule][t.alt] {
            Alt::Op(o) => edges.push((u, v, *o, depth)),
            Alt::Sym(_) => self.expand(&t.kids[0], u, v, depth + 1, nodes, edges),
            Alt::Topo { topo, args, .. } => {
                let map: Vec<usize> = (0..topo.nodes)
                    .map(|i| {
                        if i == 0 {
                            u
                        } else if i == topo.nodes - 1 {
                            v
                        } else {
                            *nodes += 1;
                            *nodes - 1
                        }
                    })
                    .collect();
                let mut kids = t.kids.iter();
                for (&(a, b), arg) in topo.edges.iter().zip(args) {
                    match arg {
                        Arg::Op(o) => edges.push((map[a], map[b], *o, depth)),
                        Arg::Sym(_) => {
                            let k = kids.next().expect("a kid per symbol");
                            self.expand(k, map[a], map[b], depth + 1, nodes, edges);
                        }
                    }
                }
            }
        }
    }
}

/// Lowers a DAG whose edges `(from, to, op, level)` carry operations (node 0 the input,
/// node 1 the output) into a node-labelled graph, as the built-in edge cells are.
fn lower_edges(
    nodes: usize,
    edges: &[(usize, usize, usize, usize)],
    roles: &[super::EdgeRole],
    label: impl Fn(usize, usize) -> Label,
) -> Arch {
    // A topological order of the DAG's nodes (Kahn).
    let mut indeg = vec![0usize; nodes];
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (e, &(a, b, _, _)) in edges.iter().enumerate() {
        indeg[b] += 1;
        out_edges[a].push(e);
    }
    let mut order = Vec::with_capacity(nodes);
    let mut ready: Vec<usize> = (0..nodes).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = ready.pop() {
        order.push(v);
        for &e in &out_edges[v] {
            let b = edges[e].1;
            indeg[b] -= 1;
            if indeg[b] == 0 {
                ready.push(b);
            }
        }
    }
    let mut labels: Vec<Label> = vec![Label::Borrowed("input")];
    let mut preds: Vec<Vec<usize>> = vec![Vec::new()];
    let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    feeds[0].push(0);
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (e, &(_, b, _, _)) in edges.iter().enumerate() {
        incoming[b].push(e);
    }
    for &v in &order {
        for &e in &incoming[v] {
            let (a, _, op, level) = edges[e];
            match roles[op] {
                super::EdgeRole::Drop => {}
                super::EdgeRole::Wire => {
                    let f = feeds[a].clone();
                    feeds[v].extend(f);
                }
                super::EdgeRole::Op => {
                    labels.push(label(op, level));
                    let mut p = feeds[a].clone();
                    p.sort_unstable();
                    p.dedup();
                    preds.push(p);
                    feeds[v].push(labels.len() - 1);
                }
            }
        }
    }
    let mut out_pred = feeds[1].clone();
    out_pred.sort_unstable();
    out_pred.dedup();
    labels.push(Label::Borrowed("output"));
    preds.push(out_pred);
    prune(labels, preds)
}

/// Keeps the nodes on a path from node 0 to the last node (both kept even when no path
/// joins them).
fn prune(labels: Vec<Label>, preds: Vec<Vec<usize>>) -> Arch {
    let n = labels.len();
    let mut fwd = vec![false; n];
    fwd[0] = true;
    for v in 1..n {
        fwd[v] = preds[v].iter().any(|&u| fwd[u]);
    }
    let mut bwd = vec![false; n];
    bwd[n - 1] = true;
    for v in (0..n).rev() {
        if bwd[v] {
            for &u in &preds[v] {
                bwd[u] = true;
            }
        }
    }
    let keep: Vec<bool> = (0..n)
        .map(|v| v == 0 || v == n - 1 || (fwd[v] && bwd[v]))
        .collect();
    let mut index = vec![usize::MAX; n];
    let mut kept = Vec::new();
    for (v, l) in labels.into_iter().enumerate() {
        if keep[v] {
            index[v] = kept.len();
            kept.push(l);
        }
    }
    let mut e = Vec::new();
    for v in 0..n {
        if keep[v] {
            for &u in &preds[v] {
                if keep[u] && fwd[u] && bwd[v] {
                    e.push((index[u], index[v]));
                }
            }
        }
    }
    Arch::from_trusted(kept, &e)
}

fn encode(t: &Tree) -> Vec<u8> {
    let mut out = Vec::new();
    fn go(t: &Tree, out: &mut Vec<u8>) {
        out.push(t.alt as u8);
        for k in &t.kids {
            go(k, out);
        }
    }
    go(t, &mut out);
    out
}

/// `root` with the subtree at `path` replaced by `new`.
fn replace(root: &Tree, path: &[usize], new: Tree) -> Tree {
    match path.split_first() {
        None => new,
        Some((&i, rest)) => {
            let mut t = root.clone();
            t.kids[i] = replace(&root.kids[i], rest, new);
            t
        }
    }
}

fn collect_paths(
    t: &Tree,
    depth: usize,
    path: &mut Vec<usize>,
    out: &mut Vec<(Vec<usize>, usize, usize)>,
) {
    out.push((path.clone(), depth, t.rule));
    for (i, k) in t.kids.iter().enumerate() {
        path.push(i);
        collect_paths(k, depth + 1, path, out);
        path.pop();
    }
}

/// The shallowest derivation of every rule (INF where none ends).
fn min_depths(alts: &[Vec<Alt>]) -> Vec<usize> {
    let mut d = vec![INF; alts.len()];
    loop {
        let mut changed = false;
        for r in 0..alts.len() {
            let best = alts[r]
                .iter()
                .map(|a| 1 + a.kids().iter().map(|&k| d[k]).max().unwrap_or(0))
                .min()
                .unwrap_or(INF)
                .min(INF);
            if best < d[r] {
                d[r] = best;
                changed = true;
            }
        }
        if !changed {
            return d;
        }
    }
}

/// The deepest derivation of a grammar without recursion; an error naming a cycle.
fn deepest(alts: &[Vec<Alt>], start: usize, names: &[String]) -> Result<usize> {
    fn go(
        r: usize,
        alts: &[Vec<Alt>],
        names: &[String],
        stack: &mut Vec<usize>,
        memo: &mut Vec<Option<usize>>,
    ) -> Result<usize> {
        if let Some(d) = memo[r] {
            return Ok(d);
        }
        if let Some(i) = stack.iter().position(|&s| s == r) {
            let cycle: Vec<&str> = stack[i..]
                .iter()
                .chain([&r])
                .map(|&s| names[s].as_str())
                .collect();
            return Err(bad(
                &format!("[grammar.rules] {}", names[r]),
                format!(
                    "recursive ({}): give [grammar] max_depth",
                    cycle.join(" -> ")
                ),
            ));
        }
        stack.push(r);
        let mut d = 1;
        for a in &alts[r] {
            for k in a.kids() {
                d = d.max(1 + go(k, alts, names, stack, memo)?);
            }
        }
        stack.pop();
        memo[r] = Some(d);
        Ok(d)
    }
    go(
        start,
        alts,
        names,
        &mut Vec::new(),
        &mut vec![None; alts.len()],
    )
}

/// A user topology, checked: a DAG from node 0 to the last node.
fn user_topology(name: &str, t: &TopologySpec) -> Result<Topo> {
    let place = format!("[grammar.topology.{name}]");
    if t.nodes < 2 || t.nodes > 64 {
        return Err(bad(&place, format!("nodes = {} is not in 2..=64", t.nodes)));
    }
    if t.edges.is_empty() {
        return Err(bad(&place, "has no edges"));
    }
    for &[a, b] in &t.edges {
        if a >= t.nodes || b >= t.nodes || a == b {
            return Err(bad(
                &place,
                format!(
                    "edge [{a}, {b}] is not between two of its {} nodes",
                    t.nodes
                ),
            ));
        }
    }
    // A cycle leaves nodes that never reach in-degree 0.
    let mut indeg = vec![0; t.nodes];
    for &[_, b] in &t.edges {
        indeg[b] += 1;
    }
    let mut ready: Vec<usize> = (0..t.nodes).filter(|&v| indeg[v] == 0).collect();
    let mut seen = 0;
    while let Some(v) = ready.pop() {
        seen += 1;
        for &[a, b] in &t.edges {
            if a == v {
                indeg[b] -= 1;
                if indeg[b] == 0 {
                    ready.push(b);
                }
            }
        }
    }
    if seen < t.nodes {
        let v = (0..t.nodes).find(|&v| indeg[v] > 0).unwrap_or(0);
        return Err(bad(&place, format!("a cycle through node {v}")));
    }
    Ok(Topo {
        nodes: t.nodes,
        edges: t.edges.iter().map(|&[a, b]| (a, b)).collect(),
    })
}

/// An expression as written: a name and its arguments.
#[derive(Debug)]
struct Expr {
    name: String,
    args: Vec<Expr>,
}

impl Expr {
    fn read(text: &str) -> std::result::Result<Expr, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut at = 0;
        let e = Expr::read_at(&chars, &mut at)?;
        skip_spaces(&chars, &mut at);
        if at < chars.len() {
            return Err(format!(
                "unexpected `{}` at character {}",
                chars[at],
                at + 1
            ));
        }
        Ok(e)
    }

    fn read_at(c: &[char], at: &mut usize) -> std::result::Result<Expr, String> {
        skip_spaces(c, at);
        let start = *at;
        while *at < c.len() && !matches!(c[*at], '(' | ')' | ',') && !c[*at].is_whitespace() {
            *at += 1;
        }
        if *at == start {
            return Err(format!("a name expected at character {}", start + 1));
        }
        let name: String = c[start..*at].iter().collect();
        skip_spaces(c, at);
        let mut args = Vec::new();
        if *at < c.len() && c[*at] == '(' {
            *at += 1;
            loop {
                args.push(Expr::read_at(c, at)?);
                skip_spaces(c, at);
                match c.get(*at) {
                    Some(',') => *at += 1,
                    Some(')') => {
                        *at += 1;
                        break;
                    }
                    _ => return Err(format!("`,` or `)` expected at character {}", *at + 1)),
                }
            }
        }
        Ok(Expr { name, args })
    }

    fn show(&self) -> String {
        if self.args.is_empty() {
            self.name.clone()
        } else {
            let a: Vec<String> = self.args.iter().map(Expr::show).collect();
            format!("{}({})", self.name, a.join(", "))
        }
    }
}

fn skip_spaces(c: &[char], at: &mut usize) {
    while *at < c.len() && c[*at].is_whitespace() {
        *at += 1;
    }
}
