//! The user's own command as a multi-objective objective, and the journal of a
//! multi-objective search. The command prints its objectives on its last line, as a JSON
//! object keyed by name (`{"acc": 0.93, "latency": 1.2}`) or as numbers separated by
//! spaces in the declared order; objectives the space computes (NB201's `params` and
//! `flops`) are not asked of it.

use super::journal::{Entry, Journal};
use super::multi::{MultiObjective, Semantics};
pub use super::tail::parse_scores;
use super::CommandObjective;
use crate::error::{Error, Result};
use crate::space::nb201_cost::ComputedCosts;
use crate::space::Sampler;
use crate::values::Values;
use std::collections::{HashMap, VecDeque};

/// A command measuring the objectives the space does not compute.
pub struct CommandMulti {
    command: CommandObjective,
    semantics: Vec<Semantics>,
    computed: Vec<bool>,
}

impl CommandMulti {
    /// Parses `NAME:max|min[:VALUES],...`: each name is measured by the command unless
    /// the space computes it; its values are what the third field declares (e.g.
    /// `acc:max:accuracy`), else inferred at the first fit from the name and the values
    /// (an `accuracy` in [0, 1] is an accuracy), and announced.
    pub fn new<S: ComputedCosts>(
        space: &S,
        command: CommandObjective,
        spec: &str,
    ) -> Result<CommandMulti> {
        let mut m = CommandMulti {
            command,
            semantics: Vec::new(),
            computed: Vec::new(),
        };
        for (name, maximize, declared) in super::multi_table::parse_spec(spec)? {
            let computed = space.cost_names().contains(&name.as_str());
            if computed && maximize {
                return Err(Error::Config(format!(
                    "`{name}` is a cost: declare it as {name}:min"
                )));
            }
            let known = if computed {
                Some(Values::Cost)
            } else {
                declared
            };
            m.semantics.push(Semantics {
                name,
                maximize,
                known,
            });
            m.computed.push(computed);
        }
        Ok(m)
    }
}

impl<S: Sampler + ComputedCosts> MultiObjective<S> for CommandMulti {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<Vec<f64>> {
        let arch = space.format(cell);
        let measured: Vec<&str> = self
            .semantics
            .iter()
            .zip(&self.computed)
            .filter(|(_, c)| !**c)
            .map(|(s, _)| s.name.as_str())
            .collect();
        let got = self
            .command
            .last_line(space.name(), &arch, &space.describe(cell))?
            .and_then(|l| parse_scores(&l, &measured))
            .map_err(|status| Error::Evaluation {
                arch: arch.clone(),
                status,
            })?;
        let mut it = got.into_iter();
        Ok(self
            .semantics
            .iter()
            .zip(&self.computed)
            .map(|(s, &c)| {
                if c {
                    space.cost(&s.name, cell).expect("computed")
                } else {
                    it.next().expect("one per measured")
                }
            })
            .collect())
    }

    fn exact(&self, space: &S, cell: &S::Cell, k: usize) -> Option<f64> {
        self.computed[k]
            .then(|| space.cost(&self.semantics[k].name, cell))
            .flatten()
    }

    fn range(&self, space: &S, k: usize) -> Option<(f64, f64)> {
        self.computed[k]
            .then(|| space.cost_range(&self.semantics[k].name))
            .flatten()
    }

    fn semantics(&self) -> Vec<Semantics> {
        self.semantics.clone()
    }
}

/// A multi-objective objective that answers from a journal while replaying, then
/// evaluates and records every outcome (failures too), fsynced.
pub struct JournaledMulti<'a, S: Sampler> {
    inner: &'a mut dyn MultiObjective<S>,
    journal: Journal,
    replay: HashMap<String, VecDeque<Entry>>,
}

impl<'a, S: Sampler> JournaledMulti<'a, S> {
    /// Wraps an objective with an open journal and the entries it already holds.
    pub fn new(inner: &'a mut dyn MultiObjective<S>, journal: Journal, done: Vec<Entry>) -> Self {
        let mut replay: HashMap<String, VecDeque<Entry>> = HashMap::new();
        for e in done {
            replay.entry(e.arch.clone()).or_default().push_back(e);
        }
        JournaledMulti {
            inner,
            journal,
            replay,
        }
    }
}

impl<S: Sampler> MultiObjective<S> for JournaledMulti<'_, S> {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<Vec<f64>> {
        let arch = space.format(cell);
        if let Some(e) = self.replay.get_mut(&arch).and_then(|q| q.pop_front()) {
            return e.values.ok_or(Error::Evaluation {
                arch,
                status: e.status,
            });
        }
        let t = std::time::Instant::now();
        let r = self.inner.evaluate(space, cell);
        let (values, status) = match &r {
            Ok(v) => (Some(v.clone()), "ok".to_string()),
            Err(Error::Evaluation { status, .. }) => (None, status.clone()),
            Err(_) => return r,
        };
        self.journal.append(&Entry {
            arch,
            value: values.as_ref().map(|v| v[0]),
            values,
            status,
            seconds: t.elapsed().as_secs_f64(),
        })?;
        r
    }

    fn exact(&self, space: &S, cell: &S::Cell, k: usize) -> Option<f64> {
        self.inner.exact(space, cell, k)
    }

    fn range(&self, space: &S, k: usize) -> Option<(f64, f64)> {
        self.inner.range(space, k)
    }

    fn semantics(&self) -> Vec<Semantics> {
        self.inner.semantics()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_objects_and_space_separated_numbers() {
        assert_eq!(
            parse_scores(r#"{"acc": 0.9, "lat": 2}"#, &["acc", "lat"]).unwrap(),
            vec![0.9, 2.0]
        );
        assert_eq!(
            parse_scores(" 0.9  2 ", &["acc", "lat"]).unwrap(),
            vec![0.9, 2.0]
        );
        assert!(parse_scores("0.9", &["acc", "lat"])
            .unwrap_err()
            .contains("has 1 values"));
        assert!(parse_scores(r#"{"acc": 0.9}"#, &["acc", "lat"])
            .unwrap_err()
            .contains("no number `lat`"));
        assert!(parse_scores("0.9 nan", &["acc", "lat"]).is_err());
    }
}
