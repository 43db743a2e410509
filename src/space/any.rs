//! A space chosen at run time (`--space`, Python's `Space("...")`) as one value: every
//! command takes an [`AnySpace`] (parse, format, lower) or an [`AnySampler`] (all a
//! search needs on top) and runs the same generic code on it, with no dispatch of its own.
//!
//! The cells of every space live in one enum, [`AnyCell`]. A cell always comes from the
//! space that made it (parsed, sampled, enumerated or mutated there), so a cell of another
//! space reaching a space's method is a bug in wlgp, never user input.

use super::darts::DartsCell;
use super::declared::{DeclaredCell, DeclaredSpace};
use super::device::DeviceSpace;
use super::json::JsonCell;
use super::nb101::Nb101Cell;
use super::nb201::Nb201Cell;
use super::nb201_cost::ComputedCosts;
use super::nbgraph::NbGraphCell;
use super::{
    DartsSpace, JsonSpace, Nb101Space, Nb201Space, NbGraphSpace, OneHot, Sampler, Space, SpaceKind,
    TableKey,
};
use crate::error::{Error, Result};
use crate::graph::{Arch, FlatGraph};
use rand::RngCore;
use std::sync::Arc;

/// One of the spaces, chosen at run time.
#[derive(Clone, Debug)]
pub enum AnySpace {
    /// A space that can also sample (every space but json).
    Sampler(AnySampler),
    /// Labelled DAGs in JSON: parse, format and lower only.
    Json(JsonSpace),
}

/// One of the spaces a search can move through, chosen at run time: what `--space` names
/// for `search`, `score` and `sample`. Made by [`AnySpace::sampler`], which is where the
/// json space's "no sampler" error is raised, once.
#[derive(Clone, Debug)]
pub enum AnySampler {
    /// NAS-Bench-201 cells.
    Nb201(Nb201Space),
    /// NAS-Bench-Graph architectures.
    Nbgraph(NbGraphSpace),
    /// NAS-Bench-101 cells.
    Nb101(Nb101Space),
    /// DARTS genotypes.
    Darts(DartsSpace),
    /// A space the user declared in a file.
    Declared(Arc<DeclaredSpace>),
}

/// A cell of any space.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyCell {
    /// A NAS-Bench-201 cell.
    Nb201(Nb201Cell),
    /// A NAS-Bench-Graph architecture.
    Nbgraph(NbGraphCell),
    /// A NAS-Bench-101 cell.
    Nb101(Nb101Cell),
    /// A DARTS genotype.
    Darts(DartsCell),
    /// An architecture of a declared space.
    Declared(DeclaredCell),
    /// A user graph (boxed: the other cells are a few bytes, and the hot loops move them).
    Json(Box<JsonCell>),
}

/// Runs `$body` with `$s` bound to the concrete space of an [`AnySampler`] (private:
/// the delegation below is its only use).
macro_rules! each {
    ($space:expr, $s:ident => $body:expr) => {
        match $space {
            AnySampler::Nb201($s) => $body,
            AnySampler::Nbgraph($s) => $body,
            AnySampler::Nb101($s) => $body,
            AnySampler::Darts($s) => $body,
            AnySampler::Declared($s) => $body,
        }
    };
}

/// Runs `$body` with `$s` and `$c` bound to the concrete space and the concrete cell.
macro_rules! with_cell {
    ($space:expr, $cell:expr, $s:ident, $c:ident => $body:expr) => {
        match ($space, $cell) {
            (AnySampler::Nb201($s), AnyCell::Nb201($c)) => $body,
            (AnySampler::Nbgraph($s), AnyCell::Nbgraph($c)) => $body,
            (AnySampler::Nb101($s), AnyCell::Nb101($c)) => $body,
            (AnySampler::Darts($s), AnyCell::Darts($c)) => $body,
            (AnySampler::Declared($s), AnyCell::Declared($c)) => $body,
            (s, c) => foreign(s.name(), c),
        }
    };
}

/// The same as [`each!`], wrapping the concrete cell `$body` gives into [`AnyCell`].
macro_rules! each_cell {
    ($space:expr, $s:ident => $body:expr) => {
        match $space {
            AnySampler::Nb201($s) => AnyCell::Nb201($body),
            AnySampler::Nbgraph($s) => AnyCell::Nbgraph($body),
            AnySampler::Nb101($s) => AnyCell::Nb101($body),
            AnySampler::Darts($s) => AnyCell::Darts($body),
            AnySampler::Declared($s) => AnyCell::Declared($body),
        }
    };
}

/// The same as [`with_cell!`], wrapping every cell of the `Vec` that `$body` gives.
macro_rules! with_cell_vec {
    ($space:expr, $cell:expr, $s:ident, $c:ident => $body:expr) => {
        match ($space, $cell) {
            (AnySampler::Nb201($s), AnyCell::Nb201($c)) => wrap($body, AnyCell::Nb201),
            (AnySampler::Nbgraph($s), AnyCell::Nbgraph($c)) => wrap($body, AnyCell::Nbgraph),
            (AnySampler::Nb101($s), AnyCell::Nb101($c)) => wrap($body, AnyCell::Nb101),
            (AnySampler::Darts($s), AnyCell::Darts($c)) => wrap($body, AnyCell::Darts),
            (AnySampler::Declared($s), AnyCell::Declared($c)) => wrap($body, AnyCell::Declared),
            (s, c) => foreign(s.name(), c),
        }
    };
}

fn wrap<C>(cells: Vec<C>, f: impl Fn(C) -> AnyCell) -> Vec<AnyCell> {
    cells.into_iter().map(f).collect()
}

/// A cell given to a space that did not make it: a bug in wlgp, not in the input.
#[cold]
fn foreign(space: &str, cell: &AnyCell) -> ! {
    panic!("wlgp bug: a cell of another space reached the {space} space: {cell:?}")
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
        Ok(AnySpace::Sampler(match kind {
            SpaceKind::Nb201 => AnySampler::Nb201(Nb201Space { skip_as_wire }),
            SpaceKind::Nbgraph => AnySampler::Nbgraph(NbGraphSpace::new(proteins)),
            SpaceKind::Nb101 => AnySampler::Nb101(Nb101Space),
            SpaceKind::Darts => AnySampler::Darts(DartsSpace { skip_as_wire }),
            SpaceKind::Json => return Ok(AnySpace::Json(JsonSpace)),
            SpaceKind::Nago => return Err(generators_only()),
        }))
    }

    /// The space as a sampler, or the json space's error.
    pub fn sampler(&self) -> Result<&AnySampler> {
        match self {
            AnySpace::Sampler(s) => Ok(s),
            AnySpace::Json(_) => Err(no_sampler()),
        }
    }

    /// The space as a sampler, or the json space's error.
    pub fn into_sampler(self) -> Result<AnySampler> {
        match self {
            AnySpace::Sampler(s) => Ok(s),
            AnySpace::Json(_) => Err(no_sampler()),
        }
    }
}

impl AnySampler {
    /// The sampler of a kind (as [`AnySpace::new`]); an error for json and nago.
    pub fn new(kind: SpaceKind, skip_as_wire: bool, proteins: bool) -> Result<AnySampler> {
        AnySpace::new(kind, skip_as_wire, proteins)?.into_sampler()
    }

    /// Whether the space's cells have rows in embedded benchmark tables
    /// ([`TableKey::table_key`] gives them).
    pub fn has_table(&self) -> bool {
        matches!(self, AnySampler::Nb201(_) | AnySampler::Nbgraph(_))
    }
}

impl Space for AnySpace {
    type Cell = AnyCell;

    fn name(&self) -> &str {
        match self {
            AnySpace::Sampler(s) => s.name(),
            AnySpace::Json(j) => j.name(),
        }
    }

    fn parse(&self, text: &str) -> Result<AnyCell> {
        match self {
            AnySpace::Sampler(s) => s.parse(text),
            AnySpace::Json(j) => j.parse(text).map(|c| AnyCell::Json(Box::new(c))),
        }
    }

    fn format(&self, cell: &AnyCell) -> String {
        match (self, cell) {
            (AnySpace::Sampler(s), c) => s.format(c),
            (AnySpace::Json(j), AnyCell::Json(c)) => j.format(c),
            (AnySpace::Json(j), c) => foreign(j.name(), c),
        }
    }

    fn lower(&self, cell: &AnyCell) -> Arch {
        match (self, cell) {
            (AnySpace::Sampler(s), c) => s.lower(c),
            (AnySpace::Json(j), AnyCell::Json(c)) => j.lower(c),
            (AnySpace::Json(j), c) => foreign(j.name(), c),
        }
    }

    fn lower_flat(&self, cell: &AnyCell, out: &mut FlatGraph) {
        match (self, cell) {
            (AnySpace::Sampler(s), c) => s.lower_flat(c, out),
            (AnySpace::Json(j), AnyCell::Json(c)) => j.lower_flat(c, out),
            (AnySpace::Json(j), c) => foreign(j.name(), c),
        }
    }

    fn describe(&self, cell: &AnyCell) -> String {
        match (self, cell) {
            (AnySpace::Sampler(s), c) => s.describe(c),
            (AnySpace::Json(j), AnyCell::Json(c)) => j.describe(c),
            (AnySpace::Json(j), c) => foreign(j.name(), c),
        }
    }
}

impl Space for AnySampler {
    type Cell = AnyCell;

    fn name(&self) -> &str {
        each!(self, s => s.name())
    }

    fn parse(&self, text: &str) -> Result<AnyCell> {
        Ok(each_cell!(self, s => s.parse(text)?))
    }

    fn format(&self, cell: &AnyCell) -> String {
        with_cell!(self, cell, s, c => s.format(c))
    }

    fn lower(&self, cell: &AnyCell) -> Arch {
        with_cell!(self, cell, s, c => s.lower(c))
    }

    fn lower_flat(&self, cell: &AnyCell, out: &mut FlatGraph) {
        with_cell!(self, cell, s, c => s.lower_flat(c, out))
    }

    fn describe(&self, cell: &AnyCell) -> String {
        with_cell!(self, cell, s, c => s.describe(c))
    }
}

impl Sampler for AnySampler {
    fn sample(&self, rng: &mut dyn RngCore) -> AnyCell {
        each_cell!(self, s => s.sample(rng))
    }

    fn neighbours(&self, cell: &AnyCell) -> Vec<AnyCell> {
        with_cell_vec!(self, cell, s, c => s.neighbours(c))
    }

    fn mutate(&self, cell: &AnyCell, rng: &mut dyn RngCore) -> AnyCell {
        match (self, cell) {
            (AnySampler::Nb201(s), AnyCell::Nb201(c)) => AnyCell::Nb201(s.mutate(c, rng)),
            (AnySampler::Nbgraph(s), AnyCell::Nbgraph(c)) => AnyCell::Nbgraph(s.mutate(c, rng)),
            (AnySampler::Nb101(s), AnyCell::Nb101(c)) => AnyCell::Nb101(s.mutate(c, rng)),
            (AnySampler::Darts(s), AnyCell::Darts(c)) => AnyCell::Darts(s.mutate(c, rng)),
            (AnySampler::Declared(s), AnyCell::Declared(c)) => AnyCell::Declared(s.mutate(c, rng)),
            (s, c) => foreign(s.name(), c),
        }
    }

    fn size(&self) -> Option<u128> {
        each!(self, s => s.size())
    }

    fn enumerate(&self) -> Option<Vec<AnyCell>> {
        match self {
            AnySampler::Nb201(s) => s.enumerate().map(|v| wrap(v, AnyCell::Nb201)),
            AnySampler::Nbgraph(s) => s.enumerate().map(|v| wrap(v, AnyCell::Nbgraph)),
            AnySampler::Nb101(s) => s.enumerate().map(|v| wrap(v, AnyCell::Nb101)),
            AnySampler::Darts(s) => s.enumerate().map(|v| wrap(v, AnyCell::Darts)),
            AnySampler::Declared(s) => s.enumerate().map(|v| wrap(v, AnyCell::Declared)),
        }
    }

    fn sample_at(&self, seed: u64, index: u64) -> Option<AnyCell> {
        match self {
            AnySampler::Nb201(s) => s.sample_at(seed, index).map(AnyCell::Nb201),
            AnySampler::Nbgraph(s) => s.sample_at(seed, index).map(AnyCell::Nbgraph),
            AnySampler::Nb101(s) => s.sample_at(seed, index).map(AnyCell::Nb101),
            AnySampler::Darts(s) => s.sample_at(seed, index).map(AnyCell::Darts),
            AnySampler::Declared(s) => s.sample_at(seed, index).map(AnyCell::Declared),
        }
    }

    fn device_space(&self) -> Option<DeviceSpace> {
        each!(self, s => s.device_space())
    }

    fn twin_key(&self, cell: &AnyCell) -> Option<u64> {
        with_cell!(self, cell, s, c => s.twin_key(c))
    }

    fn device_code(&self, cell: &AnyCell) -> Option<[u32; 4]> {
        with_cell!(self, cell, s, c => s.device_code(c))
    }
}

impl TableKey for AnySampler {
    fn table_key(&self, cell: &AnyCell) -> Option<u64> {
        with_cell!(self, cell, s, c => s.table_key(c))
    }
}

impl OneHot for AnySampler {
    fn one_hot(&self, cell: &AnyCell) -> Vec<(usize, usize)> {
        with_cell!(self, cell, s, c => s.one_hot(c))
    }
}

impl ComputedCosts for AnySampler {
    fn cost_names(&self) -> Vec<&str> {
        each!(self, s => s.cost_names())
    }

    fn cost(&self, name: &str, cell: &AnyCell) -> Option<f64> {
        with_cell!(self, cell, s, c => s.cost(name, c))
    }

    fn cost_range(&self, name: &str) -> Option<(f64, f64)> {
        each!(self, s => s.cost_range(name))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wl::{features, WlConfig};
    use rand::SeedableRng;

    fn samplers() -> Vec<AnySampler> {
        [
            SpaceKind::Nb201,
            SpaceKind::Nbgraph,
            SpaceKind::Nb101,
            SpaceKind::Darts,
        ]
        .into_iter()
        .map(|k| AnySampler::new(k, true, false).unwrap())
        .collect()
    }

    #[test]
    fn json_and_nago_are_refused_once_at_construction() {
        let json = AnySpace::new(SpaceKind::Json, true, false).unwrap();
        assert!(json
            .sampler()
            .unwrap_err()
            .to_string()
            .contains("no sampler"));
        assert!(AnySampler::new(SpaceKind::Nago, true, false).is_err());
    }

    #[test]
    fn every_sampler_round_trips_its_cells_and_their_neighbours() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for s in samplers() {
            for _ in 0..20 {
                let c = s.sample(&mut rng);
                assert_eq!(s.parse(&s.format(&c)).unwrap(), c, "{}", s.name());
                for n in s.neighbours(&c).iter().take(5) {
                    assert_eq!(&s.parse(&s.format(n)).unwrap(), n);
                }
                let m = s.mutate(&c, &mut rng);
                assert_eq!(s.parse(&s.format(&m)).unwrap(), m);
            }
        }
    }

    #[test]
    fn the_enum_gives_what_the_concrete_space_gives() {
        let concrete = Nb201Space { skip_as_wire: true };
        let any = AnySampler::new(SpaceKind::Nb201, true, false).unwrap();
        let cells = concrete.enumerate().unwrap();
        let wrapped = any.enumerate().unwrap();
        assert_eq!(cells.len(), wrapped.len());
        let cfg = WlConfig {
            h: 3,
            direction: crate::wl::Direction::In,
        };
        for (c, w) in cells.iter().zip(&wrapped).step_by(97) {
            assert_eq!(concrete.format(c), any.format(w));
            assert_eq!(concrete.table_key(c), any.table_key(w));
            assert_eq!(concrete.cost("params", c), any.cost("params", w));
            assert_eq!(
                features(&concrete.lower(c), &cfg),
                features(&any.lower(w), &cfg)
            );
            assert_eq!(concrete.device_code(c), any.device_code(w));
        }
        let darts = DartsSpace { skip_as_wire: true };
        let any_darts = AnySampler::new(SpaceKind::Darts, true, false).unwrap();
        for i in 0..50 {
            let c = darts.sample_at(3, i).unwrap();
            assert_eq!(any_darts.sample_at(3, i), Some(AnyCell::Darts(c)));
        }
        assert!(any.has_table() && !any_darts.has_table());
        assert_eq!(
            any_darts.table_key(&any_darts.sample_at(3, 0).unwrap()),
            None
        );
    }

    #[test]
    fn json_parses_formats_and_lowers_through_any_space() {
        let json = AnySpace::new(SpaceKind::Json, true, false).unwrap();
        let text = r#"{"labels":["input","conv3x3","output"],"edges":[[0,1],[1,2]]}"#;
        let c = json.parse(text).unwrap();
        assert_eq!(json.parse(&json.format(&c)).unwrap(), c);
        assert_eq!(json.lower(&c).node_count(), 3);
    }

    #[test]
    fn a_cell_stays_small_for_the_hot_loop() {
        // DARTS' 34-byte genotype and a tag, aligned to the json variant's box.
        assert_eq!(std::mem::size_of::<AnyCell>(), 40);
    }

    #[test]
    fn one_hot_encodings_have_a_fixed_length_and_tell_cells_apart() {
        use std::collections::HashSet;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for (s, len) in samplers().into_iter().zip([6, 8, 28, 34]) {
            let mut seen = HashSet::new();
            let mut cells = HashSet::new();
            for _ in 0..200 {
                let c = s.sample(&mut rng);
                let code = s.one_hot(&c);
                assert_eq!(code.len(), len, "{}", s.name());
                let mut positions: Vec<usize> = code.iter().map(|&(p, _)| p).collect();
                positions.sort_unstable();
                assert!(positions.iter().enumerate().all(|(i, &p)| p == i));
                seen.insert(code);
                cells.insert(c);
            }
            assert_eq!(
                seen.len(),
                cells.len(),
                "{}: two cells share a code",
                s.name()
            );
        }
    }
}
