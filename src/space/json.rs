//! Any labelled DAG, as JSON `{"labels": [...], "edges": [[from, to], ...]}`, so users can
//! bring spaces wlgp does not know.

use super::Space;
use crate::error::Result;
use crate::graph::{Arch, JsonArch};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};

/// A user graph, stored in its normalised JSON form (edges sorted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonCell(pub JsonArch);

impl Hash for JsonCell {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.labels.hash(state);
        self.0.edges.hash(state);
    }
}

/// The generic space: parse, format and lower only (a user space has no sampler here).
#[derive(Clone, Debug, Default)]
pub struct JsonSpace;

impl Space for JsonSpace {
    type Cell = JsonCell;

    fn name(&self) -> &'static str {
        "json"
    }

    fn parse(&self, s: &str) -> Result<JsonCell> {
        let a = Arch::from_json(s)?;
        Ok(JsonCell(JsonArch {
            labels: (0..a.node_count())
                .map(|i| a.label(i).to_string())
                .collect(),
            edges: a.edges().into_iter().map(|(x, y)| [x, y]).collect(),
        }))
    }

    fn format(&self, c: &JsonCell) -> String {
        serde_json::to_string(&c.0).expect("plain JSON")
    }

    fn lower(&self, c: &JsonCell) -> Arch {
        let e: Vec<(usize, usize)> = c.0.edges.iter().map(|e| (e[0], e[1])).collect();
        Arch::from_trusted(c.0.labels.iter().cloned().map(Cow::Owned).collect(), &e)
    }
}
