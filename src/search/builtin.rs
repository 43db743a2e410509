//! The built-in objective on any space: each cell lowered, stacked into a network and
//! trained on the embedded digits ([`crate::trainer::cell::network`],
//! [`crate::trainer::train`]), its held-out
//! accuracy the value. A real evaluation on a fresh machine, with no table and no
//! command of the user's.

use super::objective::Objective;
use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::space::Space;
use crate::trainer::cell::{network, Stacking};
use crate::trainer::digits::CLASSES;
use crate::trainer::{arch_seed, train, Digits, TrainConfig};

/// Trains every evaluated cell on the digits (`--objective builtin-digits`).
pub struct DigitsObjective {
    data: Digits,
    cfg: TrainConfig,
    stack: Stacking,
    seed: u64,
}

impl DigitsObjective {
    /// Trains with `cfg`, stacks cells by `stack`; `seed` is mixed with each cell's graph.
    pub fn new(cfg: TrainConfig, stack: Stacking, seed: u64) -> Result<DigitsObjective> {
        Ok(DigitsObjective {
            data: Digits::load()?,
            cfg,
            stack,
            seed,
        })
    }
}

impl DigitsObjective {
    /// The settings that shape its values, for a journal's header (a resumed search
    /// must train the same way).
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({"config": self.cfg, "stacking": self.stack})
    }
}

impl<S: Space> Objective<S> for DigitsObjective {
    /// A cell the trainer cannot build (one with no path from input to output) and a
    /// diverged training are failed evaluations: recorded, and the search goes on.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        let (arch, name) = (space.lower(cell), space.format(cell));
        let spec = match network(&arch, &self.stack, CLASSES) {
            Ok(spec) => spec,
            Err(e) => {
                return Err(Error::Evaluation {
                    arch: name,
                    status: format!("failed: {e}"),
                })
            }
        };
        let seed = arch_seed(&arch, self.seed);
        failed_if_diverged(name, train(spec, seed, &self.data, &self.cfg)).map(|t| t.accuracy)
    }
    fn kind(&self) -> MetricKind {
        MetricKind::AccuracyPercent
    }
}

/// A diverged training as a failed evaluation of `arch`; every other result as it is.
pub fn failed_if_diverged<T>(arch: String, r: Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        Error::Diverged(why) => Error::Evaluation {
            arch,
            status: format!("failed: training diverged ({why})"),
        },
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Nb201Space;

    /// A cell with no input-to-output path, and a diverged training, are failed
    /// evaluations (a search records them and goes on), not errors that stop it.
    #[test]
    fn unbuildable_cells_and_divergence_are_failed_evaluations() {
        let space = Nb201Space {
            skip_as_wire: false,
        };
        let mut o = DigitsObjective::new(TrainConfig::cells(), Stacking::default(), 0).unwrap();
        let dead = space
            .parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
            .unwrap();
        match o.evaluate(&space, &dead) {
            Err(Error::Evaluation { status, .. }) => {
                assert!(status.contains("no path"), "{status}")
            }
            r => panic!("{r:?}"),
        }
        let r: Result<f64> =
            failed_if_diverged("a".into(), Err(Error::Diverged("loss NaN".into())));
        assert!(matches!(r, Err(Error::Evaluation { status, .. }) if status.contains("diverged")));
        let r: Result<f64> = failed_if_diverged("a".into(), Err(Error::Config("x".into())));
        assert!(matches!(r, Err(Error::Config(_))));
    }
}
