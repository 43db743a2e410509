//! The file format of a declared space (TOML, or the same structure as JSON or a Python
//! dict), read into plain structs and checked; errors name the place in the file.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A declared space as written: cells or a macro chain.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpaceSpec {
    /// The space's name (in journals and errors).
    pub name: String,
    /// Cell templates, lowered side by side into one graph (DARTS' normal and reduction
    /// cells are two).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cell: Vec<CellSpec>,
    /// A macro chain of stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainSpec>,
    /// A context-free grammar of topologies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grammar: Option<super::grammar::GrammarSpec>,
    /// Computed costs (`params`, `flops`, ...): each a value per label of the lowered
    /// graph, summed over an architecture's nodes (labels not listed cost nothing).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub costs: BTreeMap<String, BTreeMap<String, f64>>,
    /// The most each cost may be: architectures above are not in the space.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, f64>,
}

/// A fixed DAG whose edges each choose an operation.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CellSpec {
    /// The cell's name, before its decisions' names (default `cell` and its index).
    #[serde(default)]
    pub name: Option<String>,
    /// Cell nodes, numbered from 0; the first `inputs` are the cell's inputs.
    pub nodes: usize,
    /// How many of the nodes are inputs.
    #[serde(default = "one")]
    pub inputs: usize,
    /// Labels of the inputs in the lowered graph (default `input` for each).
    #[serde(default)]
    pub input_names: Vec<String>,
    /// The nodes whose sum is the cell's output (default: the last node).
    #[serde(default)]
    pub outputs: Vec<usize>,
    /// The operations an edge chooses from, as the lowered graph's labels.
    pub ops: Vec<String>,
    /// Operations that mean "no edge" (NB201's `none`).
    #[serde(default)]
    pub none: Vec<String>,
    /// Operations that mean "identity": wired through, not a node.
    #[serde(default)]
    pub identity: Vec<String>,
    /// The edges `[from, to]` that choose an operation (default: every `i -> j` with
    /// `i < j` and `j` not an input). Not with `pick`.
    #[serde(default)]
    pub edges: Vec<[usize; 2]>,
    /// Each non-input node reads this many distinct predecessors, each through its own
    /// operation (DARTS: 2). Not with `edges`.
    #[serde(default)]
    pub pick: Option<usize>,
    /// Put before every operation's label (e.g. `reduce_`), so that WL tells cells apart.
    #[serde(default)]
    pub label_prefix: String,
    /// Where the operations are: `edges` (NB201, DARTS: each edge chooses one) or `nodes`
    /// (NB101: each node between the input and the output chooses one, and each forward
    /// edge is there or not).
    #[serde(default)]
    pub operations_on: OperationsOn,
    /// With operations on nodes: the most edges a cell may have (NB101: 9).
    #[serde(default)]
    pub max_edges: Option<usize>,
}

/// Where a cell's operations are.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OperationsOn {
    /// On edges.
    #[default]
    Edges,
    /// On nodes, with optional edges.
    Nodes,
}

/// Stages in sequence, each of a chosen depth, each block with its own choices.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Label of the chain's first node.
    #[serde(default = "input")]
    pub input: String,
    /// Label of the chain's last node.
    #[serde(default = "output")]
    pub output: String,
    /// A block's label: `{name}` is replaced by the block's choice of `name`, `{stage}` by
    /// the stage's number (from 1). Default: `name=value` pairs joined by `,`.
    #[serde(default)]
    pub label: Option<String>,
    /// The stages, in order.
    pub stage: Vec<StageSpec>,
}

/// One stage (or `repeat` identical ones).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// The depths the stage chooses from.
    pub depth: Vec<usize>,
    /// Each block's choices: a name and its values.
    pub choices: BTreeMap<String, Vec<Value>>,
    /// How many identical stages this entry stands for.
    #[serde(default = "one")]
    pub repeat: usize,
}

/// A choice's value as written: a number or a string.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A name.
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

fn one() -> usize {
    1
}
fn input() -> String {
    "input".into()
}
fn output() -> String {
    "output".into()
}

/// Most cell nodes, and most graph nodes of a lowered cell (the lowering's bitmasks).
pub(crate) const MAX_CELL_NODES: usize = 16;
const MAX_GRAPH_NODES: usize = 32;

/// An error about `place` of the space file.
pub(crate) fn bad(place: &str, reason: impl std::fmt::Display) -> Error {
    Error::Config(format!("space file: {place}: {reason}"))
}

impl SpaceSpec {
    /// Reads a spec from TOML text (`source` names the file in errors).
    pub fn from_toml(text: &str, source: &str) -> Result<SpaceSpec> {
        let spec: SpaceSpec = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(String::new(), |s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(" (line {line})")
            });
            Error::Config(format!(
                "space file {source}{at}: {}",
                e.message().trim_end()
            ))
        })?;
        spec.check()?;
        Ok(spec)
    }

    /// Reads a spec from JSON text (what a Python dict becomes).
    pub fn from_json(text: &str) -> Result<SpaceSpec> {
        let spec: SpaceSpec =
            serde_json::from_str(text).map_err(|e| Error::Config(format!("space spec: {e}")))?;
        spec.check()?;
        Ok(spec)
    }

    /// Checks everything the lowering relies on, naming the place of the first problem.
    pub fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(bad("name", "is empty"));
        }
        for (cost, table) in &self.costs {
            if let Some((label, v)) = table.iter().find(|(_, v)| !v.is_finite()) {
                return Err(bad(
                    &format!("[costs.{cost}] {label}"),
                    format!("{v} is not a finite number"),
                ));
            }
        }
        for (cost, v) in &self.limits {
            if !self.costs.contains_key(cost) {
                return Err(bad(&format!("[limits] {cost}"), "is not one of [costs]"));
            }
            if !v.is_finite() {
                return Err(bad(
                    &format!("[limits] {cost}"),
                    format!("{v} is not a finite number"),
                ));
            }
        }
        let kinds = usize::from(!self.cell.is_empty())
            + usize::from(self.chain.is_some())
            + usize::from(self.grammar.is_some());
        if kinds > 1 {
            return Err(bad(
                "the file",
                "declares more than one of [[cell]], [chain] and [grammar]: one kind a space",
            ));
        }
        if let Some(g) = &self.grammar {
            return super::grammar::Grammar::new(g).map(drop);
        }
        match (&self.cell[..], &self.chain) {
            ([], None) => Err(bad(
                "the file",
                "declares no [[cell]], no [chain] and no [grammar]",
            )),
            ([_, ..], Some(_)) => unreachable!("counted above"),
            ([], Some(c)) => c.check(),
            (cells, None) => {
                let mut names = std::collections::HashSet::new();
                for (i, c) in cells.iter().enumerate() {
                    let place = format!("[[cell]] {}", i + 1);
                    c.check(&place)?;
                    if !names.insert(c.display_name(i, cells.len())) {
                        return Err(bad(&place, "a second cell of the same name"));
                    }
                }
                Ok(())
            }
        }
    }
}

impl CellSpec {
    /// The cell's name in its decisions' names (`""` for a lone unnamed cell).
    pub(crate) fn display_name(&self, i: usize, cells: usize) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None if cells == 1 => String::new(),
            None => format!("cell{}", i + 1),
        }
    }

    /// The nodes the output sums.
    pub(crate) fn output_nodes(&self) -> Vec<usize> {
        if self.outputs.is_empty() {
            vec![self.nodes - 1]
        } else {
            self.outputs.clone()
        }
    }

    /// The edges that choose an operation (fixed-edge cells).
    pub(crate) fn edge_list(&self) -> Vec<[usize; 2]> {
        if !self.edges.is_empty() {
            return self.edges.clone();
        }
        (self.inputs..self.nodes)
            .flat_map(|j| (0..j).map(move |i| [i, j]))
            .collect()
    }

    fn check(&self, place: &str) -> Result<()> {
        let at = |field: &str| format!("{place} {field}");
        if self.nodes < 2 || self.nodes > MAX_CELL_NODES {
            return Err(bad(
                &at("nodes"),
                format!("{} is not in 2..={MAX_CELL_NODES}", self.nodes),
            ));
        }
        if self.inputs == 0 || self.inputs >= self.nodes {
            return Err(bad(
                &at("inputs"),
                format!("{} is not in 1..{}", self.inputs, self.nodes),
            ));
        }
        if !self.input_names.is_empty() && self.input_names.len() != self.inputs {
            return Err(bad(
                &at("input_names"),
                format!(
                    "names {} inputs, not {}",
                    self.input_names.len(),
                    self.inputs
                ),
            ));
        }
        check_names(&at("ops"), &self.ops)?;
        if self.operations_on == OperationsOn::Nodes {
            return self.check_nodes(place);
        }
        if self.max_edges.is_some() {
            return Err(bad(
                &at("max_edges"),
                "applies to operations_on = \"nodes\"",
            ));
        }
        check_roles(place, &self.ops, &self.none, &self.identity)?;
        for &o in &self.output_nodes() {
            if o < self.inputs || o >= self.nodes {
                return Err(bad(
                    &at("outputs"),
                    format!("node {o} is not a non-input node of 0..{}", self.nodes),
                ));
            }
        }
        match self.pick {
            Some(_) if !self.edges.is_empty() => {
                Err(bad(&at("pick"), "give edges or pick, not both"))
            }
            Some(k) => {
                if k == 0 || k > self.inputs {
                    return Err(bad(
                        &at("pick"),
                        format!(
                            "{k} is not in 1..={} (the first node's predecessors)",
                            self.inputs
                        ),
                    ));
                }
                self.check_size(place, (self.nodes - self.inputs) * k)
            }
            None => {
                let edges = self.edge_list();
                for (i, &[a, b]) in edges.iter().enumerate() {
                    if a >= b || b >= self.nodes || b < self.inputs {
                        return Err(bad(
                            &at(&format!("edges[{i}]")),
                            format!("[{a}, {b}] is not a forward edge into a non-input node (nodes 0..{}, inputs 0..{}): a cell is a DAG in node order", self.nodes, self.inputs),
                        ));
                    }
                    if edges[..i].contains(&[a, b]) {
                        return Err(bad(
                            &at(&format!("edges[{i}]")),
                            format!("[{a}, {b}] twice"),
                        ));
                    }
                }
                self.check_size(place, edges.len())
            }
        }
    }

    /// A cell with operations on its nodes: one input, the last node the output, every
    /// forward edge optional.
    fn check_nodes(&self, place: &str) -> Result<()> {
        let at = |field: &str| format!("{place} {field}");
        for (field, set) in [
            ("inputs", self.inputs != 1),
            ("outputs", !self.outputs.is_empty()),
            ("edges", !self.edges.is_empty()),
            ("pick", self.pick.is_some()),
            ("none", !self.none.is_empty()),
            ("identity", !self.identity.is_empty()),
        ] {
            if set {
                return Err(bad(
                    &at(field),
                    "does not apply to operations_on = \"nodes\" (one input, the last node the output, every forward edge optional)",
                ));
            }
        }
        if self.max_edges == Some(0) {
            return Err(bad(
                &at("max_edges"),
                "0: no architecture has a path from the input to the output",
            ));
        }
        if self.ops.len() > 255 {
            return Err(bad(&at("ops"), "more than 255 operations"));
        }
        Ok(())
    }

    fn check_size(&self, place: &str, edges: usize) -> Result<()> {
        if self.inputs + edges + 1 > MAX_GRAPH_NODES {
            return Err(bad(
                place,
                format!(
                    "{} inputs and {edges} edges lower to more than {MAX_GRAPH_NODES} nodes",
                    self.inputs
                ),
            ));
        }
        if self.ops.len() > 255 {
            return Err(bad(&format!("{place} ops"), "more than 255 operations"));
        }
        Ok(())
    }
}

impl ChainSpec {
    /// The stages with `repeat` unrolled.
    pub(crate) fn stages(&self) -> Vec<&StageSpec> {
        self.stage
            .iter()
            .flat_map(|s| std::iter::repeat_n(s, s.repeat))
            .collect()
    }

    fn check(&self) -> Result<()> {
        if self.stage.is_empty() {
            return Err(bad("[chain]", "has no [[chain.stage]]"));
        }
        for (i, s) in self.stage.iter().enumerate() {
            let place = format!("[[chain.stage]] {}", i + 1);
            if s.repeat == 0 {
                return Err(bad(&format!("{place} repeat"), "is 0"));
            }
            if s.depth.is_empty() {
                return Err(bad(&format!("{place} depth"), "is an empty choice"));
            }
            if s.depth.contains(&0) {
                return Err(bad(&format!("{place} depth"), "0 is not a depth"));
            }
            let mut depths = s.depth.clone();
            depths.sort_unstable();
            depths.dedup();
            if depths.len() != s.depth.len() {
                return Err(bad(&format!("{place} depth"), "a value twice"));
            }
            if s.choices.is_empty() {
                return Err(bad(&format!("{place} choices"), "a block has no choices"));
            }
            for (name, values) in &s.choices {
                let texts: Vec<String> = values.iter().map(Value::to_string).collect();
                check_names(&format!("{place} choices.{name}"), &texts)?;
            }
        }
        let blocks: usize = self
            .stages()
            .iter()
            .map(|s| s.depth.iter().max().copied().unwrap_or(0))
            .sum();
        if blocks > 4096 {
            return Err(bad(
                "[chain]",
                format!("{blocks} blocks at most depth: too many"),
            ));
        }
        if let Some(l) = &self.label {
            let names: Vec<&String> = self.stage.iter().flat_map(|s| s.choices.keys()).collect();
            for part in l.split('{').skip(1) {
                let key = part.split('}').next().unwrap_or("");
                if key != "stage" && !names.iter().any(|n| *n == key) {
                    return Err(bad(
                        "[chain] label",
                        format!("`{{{key}}}` is not a choice's name or `stage`"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `none` and `identity` (of a cell or a grammar at `place`) name operations of `ops`, and
/// no operation both.
pub(crate) fn check_roles(
    place: &str,
    ops: &[String],
    none: &[String],
    identity: &[String],
) -> Result<()> {
    for (field, list) in [("none", none), ("identity", identity)] {
        if let Some(o) = list.iter().find(|o| !ops.contains(o)) {
            return Err(bad(
                &format!("{place} {field}"),
                format!("`{o}` is not one of ops"),
            ));
        }
    }
    if let Some(o) = none.iter().find(|o| identity.contains(o)) {
        return Err(bad(
            &format!("{place} identity"),
            format!("`{o}` is also in none"),
        ));
    }
    Ok(())
}

/// A list of names: not empty, none blank, none twice, none with white space (the
/// string form separates values by spaces).
fn check_names(place: &str, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Err(bad(place, "is an empty choice"));
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || n.chars().any(char::is_whitespace) || n == "-" {
            return Err(bad(
                place,
                format!("`{n}` is not a name (no spaces, not empty, not `-`)"),
            ));
        }
        if names[..i].contains(n) {
            return Err(bad(place, format!("`{n}` twice")));
        }
    }
    Ok(())
}
