//! A space chosen at run time (`--space`, Python's `Space("...")`): the concrete spaces
//! behind one type, and [`with_space!`](crate::with_space) /
//! [`with_sampler!`](crate::with_sampler) to run generic code on whichever it is.

use super::{DartsSpace, JsonSpace, Nb101Space, Nb201Space, NbGraphSpace, Space, SpaceKind};
use crate::error::{Error, Result};
use crate::graph::Arch;
use rayon::prelude::*;

/// One of the spaces, chosen at run time.
#[derive(Clone, Debug)]
pub enum AnySpace {
    /// NAS-Bench-201 cells.
    Nb201(Nb201Space),
    /// NAS-Bench-Graph architectures.
    Nbgraph(NbGraphSpace),
    /// NAS-Bench-101 cells.
    Nb101(Nb101Space),
    /// DARTS genotypes.
    Darts(DartsSpace),
    /// Labelled DAGs in JSON.
    Json(JsonSpace),
}

/// Evaluates `$body` with `$s` bound to the concrete space inside an [`AnySpace`].
#[macro_export]
macro_rules! with_space {
    ($space:expr, $s:ident => $body:expr) => {
        match $space {
            $crate::space::AnySpace::Nb201($s) => $body,
            $crate::space::AnySpace::Nbgraph($s) => $body,
            $crate::space::AnySpace::Nb101($s) => $body,
            $crate::space::AnySpace::Darts($s) => $body,
            $crate::space::AnySpace::Json($s) => $body,
        }
    };
}

/// Evaluates `$body` (a `Result`) with `$s` bound to the concrete space inside an
/// [`AnySpace`] when it can sample (every space but json, which is an error).
#[macro_export]
macro_rules! with_sampler {
    ($space:expr, $s:ident => $body:expr) => {
        match $space {
            $crate::space::AnySpace::Nb201($s) => $body,
            $crate::space::AnySpace::Nbgraph($s) => $body,
            $crate::space::AnySpace::Nb101($s) => $body,
            $crate::space::AnySpace::Darts($s) => $body,
            $crate::space::AnySpace::Json(_) => Err($crate::space::no_sampler()),
        }
    };
}

/// The error of sampling, searching or scoring the json space.
pub fn no_sampler() -> Error {
    Error::Config(
        "the json space has no sampler: bring your own graphs (sampling, search and scoring need nb201, nbgraph, nb101 or darts)"
            .into(),
    )
}

impl AnySpace {
    /// The space of a kind, with its skip lowering (NB201, DARTS) and op set (nbgraph);
    /// an error for nago, whose generators have their own commands.
    pub fn new(kind: SpaceKind, skip_as_wire: bool, proteins: bool) -> Result<AnySpace> {
        Ok(match kind {
            SpaceKind::Nb201 => AnySpace::Nb201(Nb201Space { skip_as_wire }),
            SpaceKind::Nbgraph => AnySpace::Nbgraph(NbGraphSpace::new(proteins)),
            SpaceKind::Nb101 => AnySpace::Nb101(Nb101Space),
            SpaceKind::Darts => AnySpace::Darts(DartsSpace { skip_as_wire }),
            SpaceKind::Json => AnySpace::Json(JsonSpace),
            SpaceKind::Nago => return Err(generators_only()),
        })
    }

    /// The space's name as typed.
    pub fn name(&self) -> &'static str {
        crate::with_space!(self, s => s.name())
    }

    /// Parses every architecture to its graph, naming the index of the first bad one.
    pub fn lower_all(&self, archs: &[String]) -> Result<Vec<Arch>> {
        // In parallel, then in order, so that the error names the first bad one.
        let lowered: Vec<Result<Arch>> = crate::with_space!(self, s => archs
            .par_iter()
            .enumerate()
            .map(|(i, a)| s.parse(a).map(|c| s.lower(&c)).map_err(|e| at(i, e)))
            .collect());
        lowered.into_iter().collect()
    }

    /// The canonical string of every architecture, naming the index of the first bad one.
    pub fn format_all(&self, archs: &[String]) -> Result<Vec<String>> {
        crate::with_space!(self, s => archs
            .iter()
            .enumerate()
            .map(|(i, a)| s.parse(a).map(|c| s.format(&c)).map_err(|e| at(i, e)))
            .collect())
    }
}

/// The error of using the nago space where cells are expected.
pub fn generators_only() -> Error {
    Error::Config(
        "the nago space holds generators, not cells: use `wlgp nago sample|train` and `wlgp search --space nago` (a sampled network's graph goes to --space json)".into(),
    )
}

/// An error about the `i`-th architecture of a list.
pub fn at(i: usize, e: Error) -> Error {
    Error::At {
        what: format!("architecture {i}"),
        source: Box::new(e),
    }
}
