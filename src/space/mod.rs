//! Search spaces: the community's string form of each cell, sampling, mutation,
//! enumeration where finite, and lowering to one `Arch` type.
//!
//! A space is split in two traits, as BoTorch splits model from optimiser: [`Space`]
//! (parse, format, lower) is all the surrogate needs; [`Sampler`] (sample, neighbours,
//! enumerate) is what a search needs on top.

mod any;
pub mod darts;
pub mod declared;
pub mod device;
mod edge_cell;
pub mod json;
pub mod nago;
mod name;
pub mod nb101;
pub mod nb201;
pub mod nb201_cost;
pub mod nbgraph;

use crate::error::{Error, Result};
use crate::graph::{Arch, FlatGraph};
use rand::RngCore;
use rayon::prelude::*;
use std::fmt::Debug;
use std::hash::Hash;

pub use any::{at, generators_only, no_sampler, AnyCell, AnySampler, AnySpace};
pub use darts::DartsSpace;
pub use declared::DeclaredSpace;
pub use json::JsonSpace;
pub use name::SpaceName;
pub use nb101::Nb101Space;
pub use nb201::Nb201Space;
pub use nbgraph::NbGraphSpace;

/// How a space writes and reads its cells, and how a cell becomes a graph.
pub trait Space: Send + Sync {
    /// One cell of the space, small and cheap to copy around.
    type Cell: Clone + Eq + Hash + Debug + Send + Sync;
    /// The space's name on the command line.
    fn name(&self) -> &str;
    /// Reads the community's string form; errors name the input and what is wrong.
    fn parse(&self, s: &str) -> Result<Self::Cell>;
    /// Writes the string form that [`Space::parse`] reads back.
    fn format(&self, cell: &Self::Cell) -> String;
    /// The node-labelled DAG on which WL features are computed.
    fn lower(&self, cell: &Self::Cell) -> Arch;
    /// The same graph written into a reusable [`FlatGraph`] (what the scoring hot loop
    /// hashes). Spaces override it to skip building an [`Arch`]; a test checks that both
    /// forms give the same WL features.
    fn lower_flat(&self, cell: &Self::Cell, out: &mut FlatGraph) {
        out.set_from_arch(&self.lower(cell));
    }

    /// The architecture as a user's command receives it in `WLGP_GRAPH`: the lowered
    /// graph's `labels` and `edges` as JSON (a declared space adds every decision's
    /// choice).
    fn describe(&self, cell: &Self::Cell) -> String {
        self.lower(cell).to_json()
    }

    /// Parses every architecture to its graph, naming the index of the first bad one.
    fn lower_all(&self, archs: &[String]) -> Result<Vec<Arch>> {
        // In parallel, then in order, so that the error names the first bad one.
        let lowered: Vec<Result<Arch>> = archs
            .par_iter()
            .enumerate()
            .map(|(i, a)| self.parse(a).map(|c| self.lower(&c)).map_err(|e| at(i, e)))
            .collect();
        lowered.into_iter().collect()
    }

    /// The canonical string of every architecture, naming the index of the first bad one.
    fn format_all(&self, archs: &[String]) -> Result<Vec<String>> {
        archs
            .iter()
            .enumerate()
            .map(|(i, a)| self.parse(a).map(|c| self.format(&c)).map_err(|e| at(i, e)))
            .collect()
    }
}

/// What a search needs to move through a space.
pub trait Sampler: Space {
    /// A uniformly random cell.
    fn sample(&self, rng: &mut dyn RngCore) -> Self::Cell;
    /// All cells one edit away (one operation or one connection changed), without `cell`.
    fn neighbours(&self, cell: &Self::Cell) -> Vec<Self::Cell>;
    /// One random neighbour (uniform over [`Sampler::neighbours`] unless overridden).
    fn mutate(&self, cell: &Self::Cell, rng: &mut dyn RngCore) -> Self::Cell {
        let n = self.neighbours(cell);
        if n.is_empty() {
            return cell.clone();
        }
        n[(rng.next_u64() % n.len() as u64) as usize].clone()
    }
    /// Number of distinct cells, when it fits in a u128.
    fn size(&self) -> Option<u128>;
    /// Every cell, for spaces small enough to list (`None` otherwise).
    fn enumerate(&self) -> Option<Vec<Self::Cell>>;
    /// The cell at position `index` of the counter-based stream of `seed` ([`device`]),
    /// for spaces that have one: sampled scoring streams use it, so that any position is
    /// drawn alone and the same by a GPU thread, a shard or the CPU.
    fn sample_at(&self, _seed: u64, _index: u64) -> Option<Self::Cell> {
        None
    }
    /// A key that two cells share exactly when they lower to the same graph (twins), for
    /// spaces that name their twins (`None` otherwise): BO skips the twins of evaluated
    /// architectures on such spaces.
    fn twin_key(&self, _cell: &Self::Cell) -> Option<u64> {
        None
    }
    /// How the device pipeline builds this space's candidates (edge-cell spaces only).
    fn device_space(&self) -> Option<device::DeviceSpace> {
        None
    }
    /// The cell's fixed-size code ([`device::DeviceKind`]), for spaces with a
    /// [`Sampler::device_space`].
    fn device_code(&self, _cell: &Self::Cell) -> Option<[u32; 4]> {
        None
    }
}

/// Where a space's cells are in the embedded benchmark tables.
pub trait TableKey: Space {
    /// The key of `cell`'s row (equivalent cells share a key), or `None` for a space that
    /// has no embedded table.
    fn table_key(&self, cell: &Self::Cell) -> Option<u64>;
}

/// A fixed-length categorical encoding of a cell, `(position, choice)` pairs: the
/// one-hot/adjacency representation that simple baseline predictors use.
pub trait OneHot: Space {
    /// The cell's choice at every position.
    fn one_hot(&self, cell: &Self::Cell) -> Vec<(usize, usize)>;

    /// The encoding as a sparse feature vector (one label per position and choice), so
    /// that the same GP on a dot-product kernel gives the one-hot baseline.
    fn one_hot_features(&self, cell: &Self::Cell) -> crate::wl::Features {
        let mut labels: Vec<u64> = self
            .one_hot(cell)
            .into_iter()
            .map(|(p, c)| crate::wl::mix64(((p as u64) << 32) | c as u64))
            .collect();
        crate::wl::Features::from_labels(&mut labels)
    }
}

/// The spaces known on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceKind {
    /// NAS-Bench-201 cells (15,625).
    Nb201,
    /// NAS-Bench-Graph GNN architectures (26,206; 2,021 with the proteins op set).
    Nbgraph,
    /// NAS-Bench-101 cells.
    Nb101,
    /// DARTS normal + reduction genotypes (about 10^18).
    Darts,
    /// Any labelled DAG in JSON, one per line.
    Json,
    /// NAGO network generators θ (`wlgp nago`, `wlgp search --space nago`).
    Nago,
}

crate::named!(SpaceKind, "space", {
    Nb201 => "nb201",
    Nbgraph => "nbgraph",
    Nb101 => "nb101",
    Darts => "darts",
    Json => "json",
    Nago => "nago",
});

/// A fingerprint of a lowered graph that two graphs share when they are the same (WL
/// features refined until they settle: h = the node count, at most [`crate::wl::MAX_H`],
/// both directions; hashed). What twins and distinct-graph counts are keyed by.
pub fn fingerprint(g: &Arch) -> u64 {
    let cfg = crate::wl::WlConfig {
        h: g.node_count().min(crate::wl::MAX_H),
        direction: crate::wl::Direction::Both,
    };
    let f = crate::wl::features(g, &cfg);
    f.iter().fold(g.node_count() as u64, |h, (l, n)| {
        crate::wl::mix64(h ^ crate::wl::mix64(l ^ u64::from(n)))
    })
}

/// How many architectures a finite space has, and how many distinct lowered graphs
/// they give (`None` for a space too large to list).
pub fn count_graphs<S: Sampler>(space: &S) -> Option<(usize, usize)> {
    let all = space.enumerate()?;
    let graphs: std::collections::HashSet<u64> = all
        .par_iter()
        .map(|c| fingerprint(&space.lower(c)))
        .collect();
    Some((all.len(), graphs.len()))
}

/// Small random-index helper shared by the samplers and searches.
pub(crate) fn pick(rng: &mut dyn RngCore, n: usize) -> usize {
    debug_assert!(n > 0);
    (rng.next_u64() % n as u64) as usize
}

/// Looks up an op name in a list, with a parse error naming the known ops.
pub(crate) fn op_index(
    space: &'static str,
    input: &str,
    ops: &[&str],
    name: &str,
) -> Result<usize> {
    ops.iter().position(|o| *o == name).ok_or_else(|| {
        Error::parse(
            space,
            input,
            format!("unknown operation `{name}` (known: {})", ops.join(", ")),
        )
    })
}
