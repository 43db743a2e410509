//! What each objective of a multi-objective search is: declared (`acc:max:accuracy`),
//! known (an embedded table's metric, a computed cost), or inferred at the first fit from
//! its name and values, as a single-objective search infers `--values`. The inference is
//! announced once on stderr and kept; values that stop fitting it stop the search.

use crate::error::{Error, Result};
use crate::values::{Resolved, Values};

/// One objective's semantics before any value is seen.
#[derive(Clone, Debug, PartialEq)]
pub struct Semantics {
    /// The objective's name as declared.
    pub name: String,
    /// Whether larger values are better (`:max`).
    pub maximize: bool,
    /// Semantics known without looking at values (declared, a table's, a computed cost).
    pub known: Option<Values>,
}

impl Semantics {
    /// The semantics that orient the objective before the first fit: the known ones, else
    /// a score when maximised and a cost when minimised.
    pub fn direction(&self) -> Values {
        match self.known {
            Some(v) => v,
            None if self.maximize => Values::Score,
            None => Values::Cost,
        }
    }

    /// The semantics and transform for these values: the known ones, else what the name
    /// and the range say (an accuracy in [0, 1] or [0, 100], an error rate, a loss, a
    /// cost) when it agrees with the declared direction, else a score or a cost.
    pub fn resolve(&self, ys: &[f64]) -> Result<Resolved> {
        let (values, source) = match self.known {
            Some(v) => (v, "declared".to_string()),
            None => match Values::infer(&self.name, ys).filter(|v| v.maximize() == self.maximize)
            {
                Some(v) => (
                    v,
                    format!("inferred from the name `{}` and the range of the values", self.name),
                ),
                None => (
                    self.direction(),
                    format!(
                        "nothing in the name `{}` says more; declare it as {}:{}:VALUES if it is an accuracy, an error or a loss",
                        self.name,
                        self.name,
                        if self.maximize { "max" } else { "min" }
                    ),
                ),
            },
        };
        values.check(ys).map_err(|e| match e {
            Error::Value(m) => Error::Value(format!("objective `{}`: {m}", self.name)),
            e => e,
        })?;
        Ok(Resolved {
            transform: values.transform(),
            values,
            source,
        })
    }
}

/// Resolves every objective at each fit: announced on stderr when first inferred, then
/// kept; an objective whose values stop fitting its first reading stops the search.
pub(crate) struct SemanticsTracker {
    specs: Vec<Semantics>,
    first: Vec<Option<Resolved>>,
}

impl SemanticsTracker {
    pub(crate) fn new(specs: Vec<Semantics>) -> SemanticsTracker {
        let first = vec![None; specs.len()];
        SemanticsTracker { specs, first }
    }

    /// Each objective's resolved semantics for the values seen so far (`ys[i][k]`).
    pub(crate) fn resolve(&mut self, ys: &[Vec<f64>]) -> Result<Vec<Resolved>> {
        let mut out = Vec::with_capacity(self.specs.len());
        for (k, spec) in self.specs.iter().enumerate() {
            let col: Vec<f64> = ys.iter().map(|y| y[k]).collect();
            let r = spec.resolve(&col)?;
            match &self.first[k] {
                None => {
                    if spec.known.is_none() {
                        eprintln!("wlgp: objective `{}`: {}", spec.name, announce_tail(&r));
                    }
                    self.first[k] = Some(r.clone());
                }
                Some(f) if f.values != r.values => {
                    return Err(Error::Value(format!(
                        "objective `{}`: the values were taken as `{}` but now read as `{}`: declare it as {}:{}:VALUES and --resume",
                        spec.name,
                        f.values,
                        r.values,
                        spec.name,
                        if spec.maximize { "max" } else { "min" }
                    )))
                }
                Some(_) => {}
            }
            out.push(r);
        }
        Ok(out)
    }
}

/// The announcement without its `wlgp: ` prefix, to follow an objective's name.
fn announce_tail(r: &Resolved) -> String {
    let line = r.announce();
    line.strip_prefix("wlgp: ").unwrap_or(&line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, maximize: bool) -> Semantics {
        Semantics {
            name: name.into(),
            maximize,
            known: None,
        }
    }

    #[test]
    fn accuracies_are_inferred_by_name_and_range() {
        let r = spec("accuracy", true).resolve(&[0.5, 0.93]).unwrap();
        assert_eq!(r.values, Values::Accuracy);
        let r = spec("val_acc", true).resolve(&[50.0, 93.0]).unwrap();
        assert_eq!(r.values, Values::AccuracyPercent);
        // A direction the name contradicts keeps the declaration's direction.
        let r = spec("accuracy", false).resolve(&[0.5]).unwrap();
        assert_eq!(r.values, Values::Cost);
        let r = spec("valid_perf", true).resolve(&[0.5]).unwrap();
        assert_eq!(r.values, Values::Score);
        let r = spec("loss", false).resolve(&[0.5]).unwrap();
        assert_eq!(r.values, Values::Loss);
    }

    #[test]
    fn a_changed_reading_stops_the_search() {
        let mut t = SemanticsTracker::new(vec![spec("acc", true), spec("lat", false)]);
        let r = t.resolve(&[vec![0.5, 1.0], vec![0.7, 2.0]]).unwrap();
        assert_eq!(r[0].values, Values::Accuracy);
        assert_eq!(r[1].values, Values::Cost);
        let e = t
            .resolve(&[vec![0.5, 1.0], vec![70.0, 2.0]])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("objective `acc`") && e.contains("accuracy-percent"),
            "{e}"
        );
    }

    #[test]
    fn declared_values_are_checked() {
        let s = Semantics {
            known: Some(Values::Accuracy),
            ..spec("acc", true)
        };
        let e = s.resolve(&[0.5, 93.0]).unwrap_err().to_string();
        assert!(
            e.contains("objective `acc`") && e.contains("outside [0, 1]"),
            "{e}"
        );
    }
}
