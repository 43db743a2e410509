//! `wlgp study`: methods x datasets x seeds on the embedded tables, the predictor's rank
//! correlation against training size, and what it takes to report them: trajectories,
//! regret (with test regret where a table has a test metric), plots and a summary.

mod explain_study;
mod plot;
mod predictor;
mod selection;
mod semi;

pub use explain_study::{explain_study, ExplainRow};
pub use plot::{plot_effects, plot_front, plot_hypervolume_regret, plot_predictor, plot_regret};
pub use predictor::{predictor_study, PredictorConfig, PredictorRow};
pub use selection::{selection_study, selection_summary, SelectionConfig, SelectionRow};
pub use semi::{semi_study, SemiConfig, SemiTiming};

use crate::bench_data::Dataset;
use crate::error::Result;
use crate::search::{self, BoConfig, Method, Objective, TableObjective};
use crate::space::{Sampler, SpaceKind, TableKey};
use crate::stats::mean_se;
use rayon::prelude::*;
use serde::Serialize;

/// One finished search of a study.
#[derive(Clone, Debug, Serialize)]
pub struct StudyRun {
    /// Dataset name.
    pub dataset: &'static str,
    /// Metric searched on.
    pub metric: String,
    /// Search method.
    pub method: Method,
    /// Seed.
    pub seed: u64,
    /// Measured value of each evaluation, in order (NaN for a failure).
    pub values: Vec<f64>,
    /// Regret of the best so far after each evaluation, on the searched metric.
    pub regret: Vec<f64>,
    /// Test regret of the final incumbent (chosen on the searched metric), where the
    /// table has a test metric: the honest number for NAS-Bench-Graph's validation search.
    pub test_regret: Option<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The test metric that goes with a searched metric, if the table has one.
fn test_metric(d: &Dataset, metric: &str) -> Option<&'static str> {
    (d.space == SpaceKind::Nbgraph && metric == "valid_perf").then_some("perf")
}

fn run_in<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    method: Method,
    cfg: &BoConfig,
) -> Result<StudyRun> {
    let mut obj = TableObjective::new(d, metric)?;
    let optimum = obj.optimum();
    let t = std::time::Instant::now();
    let h = search::run(space, &mut obj, method, cfg, &mut |_| {})?;
    let regret = h
        .evaluations
        .iter()
        .map(|e| (optimum - e.best_so_far).abs())
        .collect();
    let test_regret = match test_metric(d, metric) {
        Some(m) => {
            let mut test = TableObjective::new(d, m)?;
            let best = space.parse(&h.best().arch)?;
            Some((test.optimum() - test.evaluate(space, &best)?).abs())
        }
        None => None,
    };
    Ok(StudyRun {
        dataset: d.name,
        metric: metric.to_string(),
        method,
        seed: cfg.seed,
        values: h.evaluations.iter().map(|e| e.value).collect(),
        regret,
        test_regret,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Runs one search of a study on an embedded table.
pub fn run_search(
    d: &'static Dataset,
    metric: &str,
    method: Method,
    cfg: &BoConfig,
    skip_as_wire: bool,
) -> Result<StudyRun> {
    run_in(&d.sampler(skip_as_wire)?, d, metric, method, cfg)
}

/// Every (dataset, method, seed) search, in parallel; `progress` is called after each.
pub fn run_searches(
    jobs: &[(&'static Dataset, String, Method, u64)],
    config: &(dyn Fn(&Dataset) -> BoConfig + Sync),
    skip_as_wire: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<StudyRun>> {
    jobs.par_iter()
        .map(|(d, metric, method, seed)| {
            let cfg = BoConfig {
                seed: *seed,
                ..config(d)
            };
            let r = run_search(d, metric, *method, &cfg, skip_as_wire);
            progress();
            r
        })
        .collect()
}

/// Mean and standard error of a method's final regret on a dataset.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Dataset name.
    pub dataset: &'static str,
    /// Method.
    pub method: Method,
    /// Number of seeds.
    pub runs: usize,
    /// Mean final regret.
    pub regret: f64,
    /// Its standard error.
    pub regret_se: f64,
    /// Evaluations at the halfway mark (half the shortest run, rounded up).
    pub halfway: usize,
    /// Mean regret after `halfway` evaluations: how fast a method gets there.
    pub regret_half: f64,
    /// Its standard error.
    pub regret_half_se: f64,
    /// Mean final test regret (where the table has a test metric).
    pub test_regret: Option<f64>,
    /// Its standard error.
    pub test_regret_se: Option<f64>,
}

/// Final and halfway regret summaries per dataset and method, in the order they first appear.
pub fn summarize(runs: &[StudyRun]) -> Vec<Summary> {
    let mut keys: Vec<(&'static str, Method)> = Vec::new();
    for r in runs {
        if !keys.contains(&(r.dataset, r.method)) {
            keys.push((r.dataset, r.method));
        }
    }
    keys.into_iter()
        .map(|(dataset, method)| {
            let rs: Vec<&StudyRun> = runs
                .iter()
                .filter(|r| r.dataset == dataset && r.method == method)
                .collect();
            let fin: Vec<f64> = rs
                .iter()
                .map(|r| *r.regret.last().unwrap_or(&f64::NAN))
                .collect();
            let (regret, regret_se) = mean_se(&fin);
            let len = rs.iter().map(|r| r.regret.len()).min().unwrap_or(0);
            let halfway = len.div_ceil(2);
            let half: Vec<f64> = rs
                .iter()
                .map(|r| {
                    r.regret
                        .get(halfway.max(1) - 1)
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect();
            let (regret_half, regret_half_se) = mean_se(&half);
            let tests: Vec<f64> = rs.iter().filter_map(|r| r.test_regret).collect();
            let (t, tse) = mean_se(&tests);
            Summary {
                dataset,
                method,
                runs: rs.len(),
                regret,
                regret_se,
                halfway,
                regret_half,
                regret_half_se,
                test_regret: (!tests.is_empty()).then_some(t),
                test_regret_se: (!tests.is_empty()).then_some(tse),
            }
        })
        .collect()
}

/// Mean regret and its standard error after each evaluation, over a method's seeds.
pub fn regret_curve(runs: &[&StudyRun]) -> Vec<(f64, f64)> {
    let curves: Vec<&[f64]> = runs.iter().map(|r| r.regret.as_slice()).collect();
    crate::stats::mean_se_curve(&curves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(method: Method, seed: u64, regret: Vec<f64>) -> StudyRun {
        StudyRun {
            dataset: "nb201",
            metric: "m".into(),
            method,
            seed,
            values: vec![0.0; regret.len()],
            regret,
            test_regret: None,
            seconds: 0.0,
        }
    }

    #[test]
    fn summaries_give_final_and_halfway_regret_per_method() {
        let runs = [
            run(Method::Bo, 0, vec![4.0, 3.0, 2.0, 1.0]),
            run(Method::Bo, 1, vec![6.0, 5.0, 0.0, 0.0]),
            run(Method::Random, 0, vec![9.0, 8.0, 7.0, 7.0]),
        ];
        let s = summarize(&runs);
        assert_eq!(s.len(), 2);
        let bo = &s[0];
        assert_eq!((bo.method, bo.runs, bo.halfway), (Method::Bo, 2, 2));
        assert_eq!((bo.regret, bo.regret_half), (0.5, 4.0));
        assert!((bo.regret_se - 0.5).abs() < 1e-12);
        assert!((bo.regret_half_se - 1.0).abs() < 1e-12);
        assert_eq!(
            (s[1].regret, s[1].regret_half, s[1].regret_se),
            (7.0, 8.0, 0.0)
        );
        assert!(bo.test_regret.is_none());
    }
}
