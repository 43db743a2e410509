//! A space the user declares in a file (`--space my_space.toml`, Python's
//! `Space.from_spec`): cell templates whose edges choose operations (fixed edges, or each
//! node picking k of its predecessors, as DARTS does) and macro chains of stages with a
//! depth choice and per-block choices. docs/spaces.md documents the format.
//!
//! An architecture is a vector of choices, one per decision (an edge's operation, a
//! node's input, a stage's depth, a block's kernel). Decisions come in groups that are
//! sampled and normalised together (a node's picks, a stage's blocks), so that every
//! architecture has one canonical vector: a node's picks sorted by input, the blocks past
//! a stage's depth at their first value (written `-`). Its string form is the choices in
//! decision order, separated by spaces.

mod grammar;
mod nodes;
pub mod spec;

use super::edge_cell::{CellEdge, EdgeCell, EdgeRole, Node};
use super::{Sampler, Space};
use crate::error::{Error, Result};
use crate::graph::{Arch, FlatGraph, Label};
use crate::wl::initial_label;
use nodes::NodeCell;
use rand::RngCore;
use spec::{CellSpec, ChainSpec, OperationsOn};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use spec::{SpaceSpec, Value};

/// One architecture of a declared space: the index of its choice at every decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclaredCell(pub Vec<u8>);

/// One decision: its name (`2->3`, `normal.n3.in1`, `s2.b1.kernel`) and its options.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The decision's name, as error messages and the DAG JSON give it.
    pub name: String,
    /// The options, as written in the string form.
    pub options: Vec<String>,
}

/// Decisions sampled and normalised together, at `start..start + len` of the vector.
#[derive(Clone, Debug)]
enum Group {
    /// One decision, any option.
    Free { at: usize, n: usize },
    /// A node's `k` picks `(input, op)` of `inputs` predecessors, distinct and sorted by
    /// input.
    Pick {
        at: usize,
        k: usize,
        inputs: usize,
        ops: usize,
    },
    /// A cell with operations on its nodes and optional edges.
    Nodes(NodeCell),
    /// A stage: its depth decision, then `max_depth` blocks of `radix.len()` choices each.
    Stage {
        at: usize,
        depths: Vec<usize>,
        radix: Vec<usize>,
        max_depth: usize,
    },
}

/// A lowered cell's labels.
#[derive(Clone, Debug)]
struct CellPart {
    /// Where the cell's decisions start.
    at: usize,
    /// Fixed edges `(from, to)`, one decision each; empty for a picking cell.
    edges: Vec<(usize, usize)>,
    /// Picks a node (`None` for fixed edges).
    pick: Option<usize>,
    /// Operations on nodes instead (`None` for edge cells).
    node_cell: Option<NodeCell>,
    nodes: usize,
    inputs: usize,
    outputs: Vec<usize>,
    roles: Vec<EdgeRole>,
    /// Input and operation labels, as text and as WL iteration-0 labels.
    input_names: Vec<String>,
    op_names: Vec<String>,
    input_labels: Vec<u64>,
    op_labels: Vec<u64>,
}

/// A chain's labels: each stage's block labels, by the block's choices in mixed radix.
#[derive(Clone, Debug)]
struct ChainPart {
    input: (String, u64),
    output: (String, u64),
    /// For each stage: the index of its group, and every block label.
    stages: Vec<(usize, Vec<(String, u64)>)>,
}

#[derive(Clone, Debug)]
enum Parts {
    Cells(Vec<CellPart>),
    Chain(ChainPart),
    Grammar(grammar::Grammar),
}

/// A declared space, ready to sample and lower.
#[derive(Clone, Debug)]
pub struct DeclaredSpace {
    spec: SpaceSpec,
    decisions: Vec<Decision>,
    groups: Vec<Group>,
    parts: Parts,
    /// Draws rejected so far for breaking a rule (no input-to-output path, too many edges).
    rejected: Arc<AtomicU64>,
    /// The number of architectures, counted once when first asked.
    size: Arc<std::sync::OnceLock<Option<u128>>>,
}

/// Largest space that [`Sampler::enumerate`] lists.
const ENUMERATE_LIMIT: u128 = 2_000_000;

impl DeclaredSpace {
    /// The space of a checked spec.
    pub fn new(spec: SpaceSpec) -> Result<DeclaredSpace> {
        spec.check()?;
        let mut b = Builder::default();
        let parts = match (&spec.chain, &spec.grammar) {
            (_, Some(g)) => Parts::Grammar(grammar::Grammar::new(g)?),
            (Some(chain), None) => Parts::Chain(b.chain(chain)),
            (None, None) => Parts::Cells(
                spec.cell
                    .iter()
                    .enumerate()
                    .map(|(i, c)| b.cell(c, &c.display_name(i, spec.cell.len())))
                    .collect(),
            ),
        };
        Ok(DeclaredSpace {
            spec,
            decisions: b.decisions,
            groups: b.groups,
            parts,
            rejected: Arc::default(),
            size: Arc::default(),
        })
        .and_then(DeclaredSpace::check_limits)
    }

    /// A space whose limits leave no architecture in 100,000 draws is an error.
    fn check_limits(self) -> Result<DeclaredSpace> {
        if self.spec.limits.is_empty() {
            return Ok(self);
        }
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        match self.draw_within_limits(&mut rng, 100_000) {
            Some(_) => Ok(self),
            None => Err(spec::bad(
                "[limits]",
                "no architecture within the limits in 100000 draws: the space has no valid architecture",
            )),
        }
    }

    /// Reads a space file (TOML).
    pub fn from_file(path: &std::path::Path) -> Result<DeclaredSpace> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading space file {}", path.display()), e))?;
        DeclaredSpace::new(SpaceSpec::from_toml(&text, &path.display().to_string())?)
    }

    /// The spec the space was made from (what a journal header records).
    pub fn spec(&self) -> &SpaceSpec {
        &self.spec
    }

    /// How many sampled architectures were redrawn for breaking a rule, so far.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Every decision, in the string form's order.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Whether decision `i` of `cell` matters (a block past its stage's depth does not).
    pub fn active(&self, cell: &DeclaredCell, i: usize) -> bool {
        for g in &self.groups {
            if let Group::Stage {
                at, depths, radix, ..
            } = g
            {
                let (start, len) = g.span();
                if i > *at && i < start + len {
                    return (i - at - 1) / radix.len() < depths[cell.0[*at] as usize];
                }
            }
        }
        true
    }

    /// The canonical form of a choice vector whose every group is valid.
    fn normalise(&self, c: &mut [u8]) {
        for g in &self.groups {
            g.normalise(c);
        }
    }

    /// The first group whose choices break a rule, with why.
    fn invalid(&self, c: &[u8]) -> Option<String> {
        self.groups
            .iter()
            .find_map(|g| g.invalid(c, &self.decisions))
            .or_else(|| self.over_limit(&DeclaredCell(c.to_vec())))
    }

    /// The first cost above its limit, with the figures.
    fn over_limit(&self, c: &DeclaredCell) -> Option<String> {
        self.spec.limits.iter().find_map(|(name, &max)| {
            let v = self.cost_of(name, c)?;
            (v > max).then(|| format!("{name} {v} is above the limit {max}"))
        })
    }

    /// The cost `name` of an architecture: its table's value for each lowered node's
    /// label, summed.
    fn cost_of(&self, name: &str, c: &DeclaredCell) -> Option<f64> {
        let table = self.spec.costs.get(name)?;
        let g = self.lower(c);
        Some(
            (0..g.node_count())
                .filter_map(|i| table.get(g.label(i)))
                .sum(),
        )
    }

    /// The first of at most `tries` draws within the limits, or `None`.
    fn draw_within_limits(&self, rng: &mut dyn RngCore, tries: u64) -> Option<DeclaredCell> {
        for _ in 0..tries {
            let c = self.draw(rng);
            if self.spec.limits.is_empty() || self.over_limit(&c).is_none() {
                return Some(c);
            }
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
        None
    }

    /// One draw, its rules met (limits aside).
    fn draw(&self, rng: &mut dyn RngCore) -> DeclaredCell {
        if let Some(g) = self.grammar() {
            return DeclaredCell(g.sample(rng));
        }
        let mut c = vec![0u8; self.decisions.len()];
        let rejected: u64 = self.groups.iter().map(|g| g.sample(&mut c, rng)).sum();
        if rejected > 0 {
            self.rejected.fetch_add(rejected, Ordering::Relaxed);
        }
        DeclaredCell(c)
    }
}

impl Group {
    fn normalise(&self, c: &mut [u8]) {
        match *self {
            Group::Free { .. } => {}
            Group::Nodes(ref n) => n.normalise(c),
            Group::Pick { at, k, .. } => {
                let mut pairs: Vec<(u8, u8)> =
                    (0..k).map(|a| (c[at + 2 * a], c[at + 2 * a + 1])).collect();
                pairs.sort_unstable();
                for (a, (i, o)) in pairs.into_iter().enumerate() {
                    c[at + 2 * a] = i;
                    c[at + 2 * a + 1] = o;
                }
            }
            Group::Stage {
                at,
                ref depths,
                ref radix,
                max_depth,
            } => {
                let d = depths[c[at] as usize];
                let from = at + 1 + d * radix.len();
                c[from..at + 1 + max_depth * radix.len()].fill(0);
            }
        }
    }

    fn invalid(&self, c: &[u8], decisions: &[Decision]) -> Option<String> {
        match *self {
            Group::Nodes(ref n) => n.invalid(c),
            Group::Pick { at, k, .. } => {
                let ins: Vec<u8> = (0..k).map(|a| c[at + 2 * a]).collect();
                (1..k).find(|&a| ins[..a].contains(&ins[a])).map(|a| {
                    format!(
                        "`{}` reads node {} a second time (a node's picks are distinct)",
                        decisions[at + 2 * a].name,
                        ins[a]
                    )
                })
            }
            _ => None,
        }
    }

    /// Draws the group's decisions; returns how many draws were rejected.
    fn sample(&self, c: &mut [u8], rng: &mut dyn RngCore) -> u64 {
        if let Group::Nodes(n) = self {
            return n.sample(c, rng);
        }
        let mut draw = |n: usize| super::pick(rng, n) as u8;
        match *self {
            Group::Nodes(_) => {}
            Group::Free { at, n } => c[at] = draw(n),
            Group::Pick { at, k, inputs, ops } => {
                // Distinct inputs uniformly (a partial Fisher-Yates), each with its op.
                let mut pool: Vec<u8> = (0..inputs as u8).collect();
                for a in 0..k {
                    let j = a + draw(inputs - a) as usize;
                    pool.swap(a, j);
                    c[at + 2 * a] = pool[a];
                    c[at + 2 * a + 1] = draw(ops);
                }
            }
            Group::Stage {
                at,
                ref depths,
                ref radix,
                max_depth,
            } => {
                c[at] = draw(depths.len());
                for b in 0..max_depth {
                    for (r, &n) in radix.iter().enumerate() {
                        c[at + 1 + b * radix.len() + r] = draw(n);
                    }
                }
            }
        }
        self.normalise(c);
        0
    }

    /// How many canonical, valid settings the group has.
    fn size(&self) -> Option<u128> {
        match *self {
            Group::Free { n, .. } => Some(n as u128),
            Group::Nodes(ref n) => n.size(),
            Group::Pick { k, inputs, ops, .. } => {
                let choose = (0..k).try_fold(1u128, |acc, i| {
                    Some(acc.checked_mul((inputs - i) as u128)? / (i as u128 + 1))
                })?;
                choose.checked_mul((ops as u128).checked_pow(k as u32)?)
            }
            Group::Stage {
                ref depths,
                ref radix,
                ..
            } => {
                let block = radix
                    .iter()
                    .try_fold(1u128, |a, &n| a.checked_mul(n as u128))?;
                depths
                    .iter()
                    .try_fold(0u128, |a, &d| a.checked_add(block.checked_pow(d as u32)?))
            }
        }
    }

    /// Every canonical, valid setting of the group's decisions (`len` values each).
    fn all(&self) -> Vec<Vec<u8>> {
        match *self {
            Group::Free { n, .. } => (0..n as u8).map(|o| vec![o]).collect(),
            Group::Nodes(ref n) => n.all(),
            Group::Pick { k, inputs, ops, .. } => {
                let mut out = Vec::new();
                for ins in combinations(inputs, k) {
                    for opv in product(&vec![ops; k]) {
                        out.push(ins.iter().zip(&opv).flat_map(|(&i, &o)| [i, o]).collect());
                    }
                }
                out
            }
            Group::Stage {
                ref depths,
                ref radix,
                max_depth,
                ..
            } => {
                let mut out = Vec::new();
                for (di, &d) in depths.iter().enumerate() {
                    let mut sizes = Vec::new();
                    for _ in 0..d {
                        sizes.extend_from_slice(radix);
                    }
                    for blocks in product(&sizes) {
                        let mut v = vec![di as u8];
                        v.extend(blocks);
                        v.resize(1 + max_depth * radix.len(), 0);
                        out.push(v);
                    }
                }
                out
            }
        }
    }
}

/// Every sorted `k`-subset of `0..n`.
fn combinations(n: usize, k: usize) -> Vec<Vec<u8>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    (k - 1..n)
        .flat_map(|last| {
            combinations(last, k - 1).into_iter().map(move |mut c| {
                c.push(last as u8);
                c
            })
        })
        .collect()
}

/// Every vector `v` with `v[i] < sizes[i]`, the last position fastest.
fn product(sizes: &[usize]) -> Vec<Vec<u8>> {
    sizes.iter().fold(vec![Vec::new()], |acc, &n| {
        acc.into_iter()
            .flat_map(|v| {
                (0..n as u8).map(move |o| {
                    let mut w = v.clone();
                    w.push(o);
                    w
                })
            })
            .collect()
    })
}

/// Builds the decisions, groups and labels of a spec.
#[derive(Default)]
struct Builder {
    decisions: Vec<Decision>,
    groups: Vec<Group>,
}

impl Builder {
    fn decide(&mut self, name: String, options: Vec<String>) -> usize {
        self.decisions.push(Decision { name, options });
        self.decisions.len() - 1
    }

    fn cell(&mut self, c: &CellSpec, name: &str) -> CellPart {
        let dot = if name.is_empty() {
            String::new()
        } else {
            format!("{name}.")
        };
        let at = self.decisions.len();
        let mut edges = Vec::new();
        let mut node_cell = None;
        match c.pick {
            None if c.operations_on == OperationsOn::Nodes => {
                let n = NodeCell {
                    at,
                    nodes: c.nodes,
                    max_edges: c.max_edges,
                    ops: c.ops.len(),
                };
                for (i, j) in n.edges() {
                    self.decide(format!("{dot}{i}->{j}"), vec!["0".into(), "1".into()]);
                }
                for v in 1..c.nodes - 1 {
                    self.decide(format!("{dot}node{v}"), c.ops.clone());
                }
                self.groups.push(Group::Nodes(n.clone()));
                node_cell = Some(n);
            }
            None => {
                for [a, b] in c.edge_list() {
                    let i = self.decide(format!("{dot}{a}->{b}"), c.ops.clone());
                    self.groups.push(Group::Free {
                        at: i,
                        n: c.ops.len(),
                    });
                    edges.push((a, b));
                }
            }
            Some(k) => {
                for j in c.inputs..c.nodes {
                    let start = self.decisions.len();
                    for a in 0..k {
                        let ins = (0..j).map(|i| i.to_string()).collect();
                        self.decide(format!("{dot}n{j}.in{a}"), ins);
                        self.decide(format!("{dot}n{j}.op{a}"), c.ops.clone());
                    }
                    self.groups.push(Group::Pick {
                        at: start,
                        k,
                        inputs: j,
                        ops: c.ops.len(),
                    });
                }
            }
        }
        let input_names: Vec<String> = if c.input_names.is_empty() {
            vec!["input".to_string(); c.inputs]
        } else {
            c.input_names.clone()
        };
        let op_names: Vec<String> = c
            .ops
            .iter()
            .map(|o| format!("{}{o}", c.label_prefix))
            .collect();
        CellPart {
            at,
            edges,
            pick: c.pick,
            node_cell,
            nodes: c.nodes,
            inputs: c.inputs,
            outputs: c.output_nodes(),
            roles: roles(&c.ops, &c.none, &c.identity),
            input_labels: input_names.iter().map(|n| initial_label(n)).collect(),
            op_labels: op_names.iter().map(|n| initial_label(n)).collect(),
            input_names,
            op_names,
        }
    }

    fn chain(&mut self, c: &ChainSpec) -> ChainPart {
        let mut stages = Vec::new();
        for (s, st) in c.stages().into_iter().enumerate() {
            let stage = s + 1;
            let at = self.decide(
                format!("s{stage}.depth"),
                st.depth.iter().map(|d| d.to_string()).collect(),
            );
            let max_depth = st.depth.iter().copied().max().unwrap_or(1);
            let choices: Vec<(&String, Vec<String>)> = st
                .choices
                .iter()
                .map(|(k, v)| (k, v.iter().map(Value::to_string).collect()))
                .collect();
            for b in 1..=max_depth {
                for (name, values) in &choices {
                    self.decide(format!("s{stage}.b{b}.{name}"), values.clone());
                }
            }
            let radix: Vec<usize> = choices.iter().map(|(_, v)| v.len()).collect();
            let labels = product(&radix)
                .into_iter()
                .map(|combo| {
                    let text = block_label(c.label.as_deref(), stage, &choices, &combo);
                    let l = initial_label(&text);
                    (text, l)
                })
                .collect();
            stages.push((self.groups.len(), labels));
            self.groups.push(Group::Stage {
                at,
                depths: st.depth.clone(),
                radix,
                max_depth,
            });
        }
        ChainPart {
            input: (c.input.clone(), initial_label(&c.input)),
            output: (c.output.clone(), initial_label(&c.output)),
            stages,
        }
    }
}

/// What each operation does to its edge: `none` drops it, `identity` wires it through,
/// the rest are nodes (for cells and grammars alike).
fn roles(ops: &[String], none: &[String], identity: &[String]) -> Vec<EdgeRole> {
    ops.iter()
        .map(|o| {
            if none.contains(o) {
                EdgeRole::Drop
            } else if identity.contains(o) {
                EdgeRole::Wire
            } else {
                EdgeRole::Op
            }
        })
        .collect()
}

/// A block's label from the template (or `name=value,...`).
fn block_label(
    template: Option<&str>,
    stage: usize,
    choices: &[(&String, Vec<String>)],
    combo: &[u8],
) -> String {
    match template {
        None => choices
            .iter()
            .zip(combo)
            .map(|((n, v), &i)| format!("{n}={}", v[i as usize]))
            .collect::<Vec<_>>()
            .join(","),
        Some(t) => {
            let mut s = t.replace("{stage}", &stage.to_string());
            for ((n, v), &i) in choices.iter().zip(combo) {
                s = s.replace(&format!("{{{n}}}"), &v[i as usize]);
            }
            s
        }
    }
}

impl CellPart {
    /// The cell's edges `(from, to, op)` for the lowering.
    fn cell_edges(&self, c: &[u8]) -> Vec<CellEdge> {
        match self.pick {
            None => self
                .edges
                .iter()
                .enumerate()
                .map(|(e, &(a, b))| (a, b, c[self.at + e]))
                .collect(),
            Some(k) => (self.inputs..self.nodes)
                .enumerate()
                .flat_map(|(n, j)| {
                    let base = self.at + n * 2 * k;
                    (0..k).map(move |a| (c[base + 2 * a] as usize, j, c[base + 2 * a + 1]))
                })
                .collect(),
        }
    }

    /// A node cell's labels: the input, each kept node's operation, the output.
    fn node_labels<'a, T>(
        &'a self,
        n: &'a NodeCell,
        c: &'a [u8],
        input: &'a T,
        op: &'a [T],
        output: &'a T,
    ) -> impl Iterator<Item = &'a T> + 'a {
        let (nodes, _) = n.graph(c);
        nodes.into_iter().map(move |v| {
            if v == 0 {
                input
            } else if v == n.nodes - 1 {
                output
            } else {
                &op[c[n.ops_at() + v - 1] as usize]
            }
        })
    }

    fn lower(&self, c: &[u8]) -> Arch {
        if let Some(n) = &self.node_cell {
            let output = "output".to_string();
            let labels: Vec<Label> = self
                .node_labels(n, c, &self.input_names[0], &self.op_names, &output)
                .map(|l| Label::Owned(l.clone()))
                .collect();
            return Arch::from_trusted(labels, &n.graph(c).1);
        }
        let edges = self.cell_edges(c);
        EdgeCell::new(&edges, &self.roles, self.inputs, &self.outputs).to_arch_by(|n| {
            let name = match n {
                Node::Input(k) => &self.input_names[k],
                Node::Op(op) => &self.op_names[op],
                Node::Output => "output",
                Node::DeadInput => "input",
            };
            Label::Owned(name.to_string())
        })
    }

    fn lower_flat(&self, c: &[u8], out: &mut FlatGraph) {
        if let Some(n) = &self.node_cell {
            let base = out.labels.len() as u32;
            let output = initial_label("output");
            let labels: Vec<u64> = self
                .node_labels(n, c, &self.input_labels[0], &self.op_labels, &output)
                .copied()
                .collect();
            out.labels.extend(labels);
            out.edges.extend(
                n.graph(c)
                    .1
                    .into_iter()
                    .map(|(a, b)| (base + a as u32, base + b as u32)),
            );
            return;
        }
        let edges = self.cell_edges(c);
        EdgeCell::new(&edges, &self.roles, self.inputs, &self.outputs).append_to(
            out,
            &self.input_labels,
            &self.op_labels,
        );
    }
}

impl ChainPart {
    /// The active blocks' labels in order: `(text, WL label)`.
    fn blocks<'a>(
        &'a self,
        groups: &'a [Group],
        c: &'a [u8],
    ) -> impl Iterator<Item = &'a (String, u64)> + 'a {
        self.stages.iter().flat_map(move |(g, labels)| {
            let Group::Stage {
                at, depths, radix, ..
            } = &groups[*g]
            else {
                unreachable!("a chain's groups are stages")
            };
            let d = depths[c[*at] as usize];
            (0..d).map(move |b| {
                let start = at + 1 + b * radix.len();
                let index = radix
                    .iter()
                    .enumerate()
                    .fold(0usize, |acc, (r, &n)| acc * n + c[start + r] as usize);
                &labels[index]
            })
        })
    }
}

impl DeclaredSpace {
    /// The grammar, for a grammar space.
    fn grammar(&self) -> Option<&grammar::Grammar> {
        match &self.parts {
            Parts::Grammar(g) => Some(g),
            _ => None,
        }
    }

    /// Why `text` is not an architecture of the space, or its canonical cell.
    fn read(&self, text: &str) -> Result<DeclaredCell> {
        if let Some(g) = self.grammar() {
            let c = DeclaredCell(g.parse(text, &self.spec.name)?);
            return match self.over_limit(&c) {
                Some(why) => Err(Error::parse(&self.spec.name, text, why)),
                None => Ok(c),
            };
        }
        let err = |reason: String| Error::parse(&self.spec.name, text, reason);
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if tokens.len() != self.decisions.len() {
            return Err(err(format!(
                "{} values, expected {} (one per decision: {} ...)",
                tokens.len(),
                self.decisions.len(),
                self.decisions
                    .iter()
                    .take(4)
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        let mut c = Vec::with_capacity(tokens.len());
        let mut dashes = Vec::new();
        for (i, (t, d)) in tokens.iter().zip(&self.decisions).enumerate() {
            if *t == "-" {
                dashes.push(i);
                c.push(0);
                continue;
            }
            let o = d.options.iter().position(|o| o == t).ok_or_else(|| {
                err(format!(
                    "value {} (`{}`): `{t}` is not one of {}",
                    i + 1,
                    d.name,
                    d.options.join(", ")
                ))
            })?;
            c.push(o as u8);
        }
        if let Some(why) = self.invalid(&c) {
            return Err(err(why));
        }
        self.normalise(&mut c);
        let cell = DeclaredCell(c);
        if let Some(&i) = dashes.iter().find(|&&i| self.active(&cell, i)) {
            return Err(err(format!(
                "value {} (`{}`) is `-`, but the block is within its stage's depth",
                i + 1,
                self.decisions[i].name
            )));
        }
        Ok(cell)
    }
}

impl Space for DeclaredSpace {
    type Cell = DeclaredCell;

    fn name(&self) -> &str {
        &self.spec.name
    }

    fn parse(&self, s: &str) -> Result<DeclaredCell> {
        self.read(s)
    }

    fn format(&self, c: &DeclaredCell) -> String {
        if let Some(g) = self.grammar() {
            return g.format(&c.0);
        }
        c.0.iter()
            .enumerate()
            .map(|(i, &o)| {
                if self.active(c, i) {
                    Cow::Borrowed(self.decisions[i].options[o as usize].as_str())
                } else {
                    Cow::Borrowed("-")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn lower(&self, c: &DeclaredCell) -> Arch {
        match &self.parts {
            Parts::Grammar(g) => g.lower(&c.0),
            Parts::Cells(cells) => cells
                .iter()
                .map(|p| p.lower(&c.0))
                .reduce(|a, b| a.disjoint_union(&b))
                .expect("a checked spec has a cell"),
            Parts::Chain(chain) => {
                let mut labels: Vec<Label> = vec![Cow::Owned(chain.input.0.clone())];
                labels.extend(
                    chain
                        .blocks(&self.groups, &c.0)
                        .map(|(t, _)| Cow::Owned(t.clone())),
                );
                labels.push(Cow::Owned(chain.output.0.clone()));
                let edges: Vec<(usize, usize)> = (1..labels.len()).map(|v| (v - 1, v)).collect();
                Arch::from_trusted(labels, &edges)
            }
        }
    }

    /// The lowered graph and every decision's choice:
    /// `{"labels": [...], "edges": [[from, to], ...], "choices": {"0->1": "none", ...}}`.
    fn describe(&self, c: &DeclaredCell) -> String {
        let g = self.lower(c);
        let j = serde_json::json!({
            "labels": (0..g.node_count()).map(|i| g.label(i).to_string()).collect::<Vec<_>>(),
            "edges": g.edges().into_iter().map(|(a, b)| [a, b]).collect::<Vec<_>>(),
            "choices": self.choices(c),
        });
        let j = match self.grammar() {
            Some(_) => serde_json::json!({
                "labels": j["labels"],
                "edges": j["edges"],
                "expression": self.format(c),
            }),
            None => j,
        };
        j.to_string()
    }

    fn lower_flat(&self, c: &DeclaredCell, out: &mut FlatGraph) {
        out.clear();
        match &self.parts {
            Parts::Grammar(g) => out.set_from_arch(&g.lower(&c.0)),
            Parts::Cells(cells) => {
                for p in cells {
                    p.lower_flat(&c.0, out);
                }
            }
            Parts::Chain(chain) => {
                out.labels.push(chain.input.1);
                out.labels
                    .extend(chain.blocks(&self.groups, &c.0).map(|(_, l)| *l));
                out.labels.push(chain.output.1);
                let n = out.labels.len() as u32;
                out.edges.extend((1..n).map(|v| (v - 1, v)));
            }
        }
    }
}

impl DeclaredSpace {
    /// Every decision's choice by name (`null` for a block past its stage's depth).
    pub fn choices(&self, c: &DeclaredCell) -> serde_json::Map<String, serde_json::Value> {
        self.decisions
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let v = if self.active(c, i) {
                    serde_json::Value::String(d.options[c.0[i] as usize].clone())
                } else {
                    serde_json::Value::Null
                };
                (d.name.clone(), v)
            })
            .collect()
    }
}

impl Sampler for DeclaredSpace {
    /// Uniform over each decision (a node's picks uniform over distinct inputs), then
    /// normalised: a stage's depth is uniform over its values, and each active block's
    /// choices uniform.
    fn sample(&self, rng: &mut dyn RngCore) -> DeclaredCell {
        // The space was checked to have architectures within its limits when it was made.
        loop {
            if let Some(c) = self.draw_within_limits(rng, u64::MAX) {
                return c;
            }
        }
    }

    /// Every single-decision change, normalised, valid and distinct from `cell`.
    fn neighbours(&self, cell: &DeclaredCell) -> Vec<DeclaredCell> {
        if let Some(g) = self.grammar() {
            return g
                .neighbours(&cell.0)
                .into_iter()
                .map(DeclaredCell)
                .collect();
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, d) in self.decisions.iter().enumerate() {
            if !self.active(cell, i) {
                continue;
            }
            for o in 0..d.options.len() as u8 {
                if o == cell.0[i] {
                    continue;
                }
                let mut c = cell.0.clone();
                c[i] = o;
                if self.invalid(&c).is_some() {
                    continue;
                }
                self.normalise(&mut c);
                if c != cell.0 && seen.insert(c.clone()) {
                    out.push(DeclaredCell(c));
                }
            }
        }
        out
    }

    /// The lowered graph's [fingerprint](super::fingerprint).
    fn twin_key(&self, cell: &DeclaredCell) -> Option<u64> {
        Some(super::fingerprint(&self.lower(cell)))
    }

    /// One random neighbour; for a grammar, one subtree drawn afresh.
    fn mutate(&self, cell: &DeclaredCell, rng: &mut dyn RngCore) -> DeclaredCell {
        if let Some(g) = self.grammar() {
            return DeclaredCell(g.mutate(&cell.0, rng));
        }
        let n = self.neighbours(cell);
        if n.is_empty() {
            return cell.clone();
        }
        n[super::pick(rng, n.len())].clone()
    }

    fn size(&self) -> Option<u128> {
        *self.size.get_or_init(|| {
            if self.spec.limits.is_empty() {
                self.unlimited_size()
            } else {
                // Within limits, counted by listing (where the space is small enough).
                self.enumerate().map(|all| all.len() as u128)
            }
        })
    }

    fn enumerate(&self) -> Option<Vec<DeclaredCell>> {
        if self.unlimited_size()? > ENUMERATE_LIMIT {
            return None;
        }
        let all: Vec<DeclaredCell> = match self.grammar() {
            Some(g) => g.all().into_iter().map(DeclaredCell).collect(),
            None => self.every_vector().into_iter().map(DeclaredCell).collect(),
        };
        Some(match self.spec.limits.is_empty() {
            true => all,
            false => all
                .into_iter()
                .filter(|c| self.over_limit(c).is_none())
                .collect(),
        })
    }
}

impl DeclaredSpace {
    /// The number of architectures before limits: the product of the groups' counts.
    fn unlimited_size(&self) -> Option<u128> {
        match self.grammar() {
            Some(g) => g.size(),
            None => self
                .groups
                .iter()
                .try_fold(1u128, |a, g| a.checked_mul(g.size()?)),
        }
    }

    /// Every canonical vector, group by group.
    fn every_vector(&self) -> Vec<Vec<u8>> {
        let mut out = vec![vec![0u8; self.decisions.len()]];
        for g in &self.groups {
            let (at, len) = g.span();
            let all = g.all();
            out = out
                .into_iter()
                .flat_map(|c| {
                    all.iter().map(move |v| {
                        let mut c = c.clone();
                        c[at..at + len].copy_from_slice(v);
                        c
                    })
                })
                .collect();
        }
        out
    }
}

impl Group {
    /// Where the group's decisions are: `(start, count)`.
    fn span(&self) -> (usize, usize) {
        match *self {
            Group::Free { at, .. } => (at, 1),
            Group::Nodes(ref n) => (n.at, n.len()),
            Group::Pick { at, k, .. } => (at, 2 * k),
            Group::Stage {
                at,
                ref radix,
                max_depth,
                ..
            } => (at, 1 + max_depth * radix.len()),
        }
    }
}

impl super::TableKey for DeclaredSpace {
    fn table_key(&self, _cell: &DeclaredCell) -> Option<u64> {
        None
    }
}

impl super::nb201_cost::ComputedCosts for DeclaredSpace {
    /// The costs the file declares (`[costs.params]`, ...).
    fn cost_names(&self) -> Vec<&str> {
        self.spec.costs.keys().map(String::as_str).collect()
    }

    fn cost(&self, name: &str, cell: &DeclaredCell) -> Option<f64> {
        self.cost_of(name, cell)
    }
}

impl super::OneHot for DeclaredSpace {
    /// Each decision's choice.
    fn one_hot(&self, c: &DeclaredCell) -> Vec<(usize, usize)> {
        c.0.iter()
            .enumerate()
            .map(|(i, &o)| (i, o as usize))
            .collect()
    }
}

#[cfg(test)]
mod tests;
