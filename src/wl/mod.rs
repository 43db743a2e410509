//! Weisfeiler-Lehman subtree features: each graph becomes the counts of its rooted
//! subtrees (motifs), hashed to 64-bit labels exactly as DESIGN.md §3 specifies so that
//! the GPU can reproduce them bit for bit.

mod features;
mod hash;

pub use features::{
    features, features_batch, features_per_depth, node_labels, Features, WlScratch,
};
pub use hash::{fnv1a64, fnv1a64_from, initial_label, mix64, refine};

use serde::{Deserialize, Serialize};

/// Which neighbours a node aggregates in each WL iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Predecessors: a motif is an operation and what feeds it.
    In,
    /// Successors: what NAS-BOWL (GraKeL on a DiGraph) aggregates.
    Out,
    /// Both, as on an undirected graph.
    Both,
}

crate::named!(Direction, "direction", {
    In => "in",
    Out => "out",
    Both => "both",
});

/// WL settings: depth and neighbour direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WlConfig {
    /// Number of refinement iterations (0..=10); iteration 0 counts operations alone.
    pub h: usize,
    /// Which neighbours are aggregated.
    pub direction: Direction,
}

/// Largest supported WL depth.
pub const MAX_H: usize = 10;

/// A WL depth within [`MAX_H`], or an error saying so.
pub fn check_depth(h: usize) -> crate::error::Result<()> {
    if h > MAX_H {
        return Err(crate::error::Error::Config(format!(
            "WL depth {h} is above the maximum {MAX_H}"
        )));
    }
    Ok(())
}
