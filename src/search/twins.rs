//! Twins: two architectures that lower to the same graph, so the same network (a `none`
//! edge's choices, a block past its stage's depth). On a space that names its twins
//! ([`Sampler::twin_key`]: the declared spaces), BO does not spend an evaluation on the
//! twin of an architecture already evaluated or proposed, unless asked for repeats.

use crate::score::Candidates;
use crate::space::Sampler;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// The twin keys of the cells seen so far, and of those taken (evaluated or proposed).
pub(super) struct Twins<C> {
    on: bool,
    keys: HashMap<C, Option<u64>>,
    taken: HashSet<u64>,
}

impl<C: Clone + Eq + Hash> Twins<C> {
    /// Twins are skipped unless `repeats`.
    pub fn new(repeats: bool) -> Self {
        Twins {
            on: !repeats,
            keys: HashMap::new(),
            taken: HashSet::new(),
        }
    }

    fn key<S: Sampler<Cell = C>>(&mut self, space: &S, c: &C) -> Option<u64> {
        if let Some(k) = self.keys.get(c) {
            return *k;
        }
        let k = space.twin_key(c);
        self.keys.insert(c.clone(), k);
        k
    }

    /// Marks `c`'s graph as taken.
    pub fn take<S: Sampler<Cell = C>>(&mut self, space: &S, c: &C) {
        if self.on {
            if let Some(k) = self.key(space, c) {
                self.taken.insert(k);
            }
        }
    }

    /// Takes `c`'s graph if no twin of it was taken: whether `c` is new.
    pub fn fresh<S: Sampler<Cell = C>>(&mut self, space: &S, c: &C) -> bool {
        if !self.on {
            return true;
        }
        match self.key(space, c) {
            Some(k) => self.taken.insert(k),
            None => true,
        }
    }

    /// The candidates without twins of taken graphs, and one of each graph: unchanged
    /// on spaces that do not name twins.
    pub fn filter<S: Sampler<Cell = C>>(
        &mut self,
        space: &S,
        source: Candidates<C>,
    ) -> Candidates<C> {
        if !self.on {
            return source;
        }
        let list = match source {
            Candidates::List(v) => v,
            Candidates::All => match space.enumerate() {
                Some(v) => v,
                None => return Candidates::All,
            },
            other => return other,
        };
        if list.first().is_none_or(|c| space.twin_key(c).is_none()) {
            return Candidates::List(list);
        }
        let mut here = HashSet::new();
        let kept = list
            .into_iter()
            .filter(|c| match self.key(space, c) {
                Some(k) => !self.taken.contains(&k) && here.insert(k),
                None => true,
            })
            .collect();
        Candidates::List(kept)
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Result;
    use crate::search::{run, BoConfig, Method, Objective};
    use crate::space::declared::SpaceSpec;
    use crate::space::{DeclaredSpace, Sampler, Space};
    use crate::values::Values;
    use std::collections::HashSet;

    /// Counts convolutions: many cells share a graph (a `none` edge's choices), and the
    /// best ones are plentiful, so twins of good cells compete for each proposal.
    struct Convs;

    impl<S: Space> Objective<S> for Convs {
        fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
            Ok(space.format(cell).matches("conv").count() as f64)
        }
        fn kind(&self) -> Values {
            Values::Score
        }
    }

    fn twins_among(space: &DeclaredSpace, archs: &[String]) -> usize {
        let keys: HashSet<u64> = archs
            .iter()
            .map(|a| space.twin_key(&space.parse(a).unwrap()).unwrap())
            .collect();
        archs.len() - keys.len()
    }

    #[test]
    fn bo_skips_the_twins_of_evaluated_architectures_unless_asked() {
        let text = "name = \"t\"\n[[cell]]\nnodes = 4\nops = [\"none\", \"skip\", \"conv\"]\nnone = [\"none\"]\nidentity = [\"skip\"]\n";
        let space = DeclaredSpace::new(SpaceSpec::from_toml(text, "t").unwrap()).unwrap();
        for batch in [1, 4] {
            let cfg = BoConfig {
                budget: 60,
                n_init: 5,
                batch,
                ..Default::default()
            };
            let h = run(&space, &mut Convs, Method::Bo, &cfg, &mut |_| {}).unwrap();
            let archs: Vec<String> = h.evaluations.iter().map(|e| e.arch.clone()).collect();
            // Neither the random start nor any proposal is the twin of another.
            assert_eq!(twins_among(&space, &archs), 0, "batch {batch}");
            assert_eq!(archs.len(), 60);
        }
        let cfg = BoConfig {
            budget: 60,
            n_init: 5,
            repeats: true,
            ..Default::default()
        };
        let h = run(&space, &mut Convs, Method::Bo, &cfg, &mut |_| {}).unwrap();
        let archs: Vec<String> = h.evaluations.iter().map(|e| e.arch.clone()).collect();
        assert!(
            twins_among(&space, &archs) > 0,
            "with repeats, twins are proposed"
        );
        assert!(space.size().unwrap() == 729);
    }
}
