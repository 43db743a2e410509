//! Multi-objective search: several objectives at once (accuracy against latency,
//! parameters or FLOPs), with Pareto fronts. BO keeps one GP per modelled objective
//! (each with its own hyperparameters and value semantics) and maximises the expected
//! hypervolume improvement (exact in 2-D, Monte Carlo in 3-D) or, with ParEGO, expected
//! improvement of a random augmented Chebyshev scalarisation per round. Costs that are
//! known exactly (NB201's parameters and FLOPs) are not modelled: their std is 0.
//!
//! Each objective's value semantics are resolved at the first fit ([`Semantics`]), so an
//! undeclared `accuracy` printed by a command is modelled on the accuracies' scale, as a
//! single-objective search models it. EHVI works in a box that the evaluations alone do
//! not wall off: a computed cost spans its range over the space (or the candidate pool)
//! and a modelled objective its candidates' plausible values (mean ± 2 sd), with the
//! reference point 0.1 of each span below the box's worst corner ([`Scale`]).

use super::check_budget;
use super::multi_objective::Run;
pub use super::multi_objective::{orient, MultiHistory, MultiObjective};
pub use super::multi_values::Semantics;
use super::multi_values::SemanticsTracker;
use crate::acquisition::Acquisition;
use crate::error::{Error, Result};
use crate::gp::{Gp, GpConfig, Prediction};
use crate::pareto::{ehvi_2d, ehvi_monte_carlo, hypervolume, non_dominated, normal_draws};
use crate::space::Sampler;
use crate::values::{Resolved, Values};
use crate::wl::{self, Features};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// How a multi-objective search proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MultiMethod {
    /// BO by expected hypervolume improvement.
    Ehvi,
    /// BO by ParEGO: expected improvement of a random Chebyshev scalarisation.
    Parego,
    /// Uniform random sampling without repeats.
    Random,
    /// NSGA-II (population 20, mutation).
    Nsga2,
    /// Multi-objective regularised evolution (population 100, tournaments of 10).
    Evolution,
}

crate::named!(MultiMethod, "multi-objective method", {
    Ehvi => "ehvi",
    Parego => "parego",
    Random => "random",
    Nsga2 => "nsga2",
    Evolution => "evolution",
});

/// The settings of a multi-objective search.
#[derive(Clone, Debug, Serialize)]
pub struct MultiConfig {
    /// Evaluations in total.
    pub budget: usize,
    /// Random evaluations before the first fit.
    pub n_init: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Proposals per round (kriging believer).
    pub batch: usize,
    /// How proposals are chosen.
    pub method: MultiMethod,
    /// The GP of each modelled objective (its transform is the objective's own).
    pub gp: GpConfig,
    /// Parents of the candidate pool (drawn from the non-dominated evaluations).
    pub parents: usize,
    /// Uniform samples added to the pool.
    pub random: usize,
    /// Monte-Carlo draws of EHVI with three objectives.
    pub draws: usize,
}

/// Runs a multi-objective search.
pub fn multi_objective_search<S: Sampler>(
    space: &S,
    objective: &mut dyn MultiObjective<S>,
    cfg: &MultiConfig,
) -> Result<MultiHistory> {
    let budget = check_budget(space, cfg.budget)?;
    let values = objective.values();
    if !(2..=3).contains(&values.len()) {
        return Err(Error::Config(format!(
            "--objectives needs 2 or 3 objectives, not {}",
            values.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    if matches!(cfg.method, MultiMethod::Nsga2 | MultiMethod::Evolution) {
        return evolve(space, objective, cfg, budget, &mut rng);
    }
    let mut run = Run::default();
    let n_init = if cfg.method == MultiMethod::Random {
        budget
    } else {
        cfg.n_init.clamp(1, budget)
    };
    while run.spent < n_init {
        let c = space.sample(&mut rng);
        if !run.seen.contains(&c) {
            run.push(space, objective, c)?;
        }
    }
    let draws = normal_draws(cfg.draws, values.len(), cfg.seed);
    let mut semantics = SemanticsTracker::new(objective.semantics());
    while run.spent < budget {
        let q = cfg.batch.max(1).min(budget - run.spent);
        let ctx = Proposal {
            run: &run,
            values: &values,
            cfg,
            draws: &draws,
            q,
        };
        let picks = ctx.propose(space, objective, &mut semantics, &mut rng)?;
        if picks.is_empty() {
            break;
        }
        for c in picks {
            run.push(space, objective, c)?;
        }
    }
    Ok(run.history(space))
}

/// The evolutionary baselines, under the same budget accounting.
fn evolve<S: Sampler>(
    space: &S,
    objective: &mut dyn MultiObjective<S>,
    cfg: &MultiConfig,
    budget: usize,
    rng: &mut ChaCha8Rng,
) -> Result<MultiHistory> {
    use super::multi_evolution::{nsga2, regularised_evolution, Pool};
    let mut pool = Pool {
        space,
        objective,
        budget,
        run: Run::default(),
    };
    match cfg.method {
        MultiMethod::Nsga2 => nsga2(&mut pool, 20, rng)?,
        _ => regularised_evolution(&mut pool, 100, 10, rng)?,
    }
    Ok(pool.run.history(space))
}

/// Per-objective affine maps of oriented values onto [0, 1] over a box, where EHVI and
/// ParEGO work; the reference point is 0.1 of each span below the box's worst corner.
struct Scale {
    lo: Vec<f64>,
    span: Vec<f64>,
}

impl Scale {
    /// The box of a set of points (ParEGO's: the evaluations; EHVI's: [`reach`]).
    fn new(points: &[Vec<f64>]) -> Scale {
        let (lo, hi) = crate::pareto::bounds(points);
        let span = lo
            .iter()
            .zip(&hi)
            .map(|(l, h)| (h - l).max(1e-12))
            .collect();
        Scale { lo, span }
    }

    fn point(&self, p: &[f64]) -> Vec<f64> {
        p.iter()
            .zip(&self.lo)
            .zip(&self.span)
            .map(|((x, l), s)| (x - l) / s)
            .collect()
    }

    /// A mean and std in the box's units.
    fn prediction(&self, m: &[f64], s: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (
            self.point(m),
            s.iter().zip(&self.span).map(|(s, w)| s / w).collect(),
        )
    }
}

/// Standard deviations of plausible values: the box reaches the candidates' mean ± this
/// many posterior std.
const PLAUSIBLE_SD: f64 = 2.0;

/// Candidates whose plausible values extend the EHVI box, at most (an even stride over the
/// pool, so both its neighbours and its uniform samples are represented).
const REACH_SAMPLE: usize = 512;

/// The box of the evaluations, reaching out to what else it must hold: each computed
/// cost's range over the space where it is known, and the candidates' plausible values
/// (mean ± 2 sd, oriented; a computed cost's exact value). Without them a candidate beyond
/// the worst evaluated value of any objective falls behind the reference point and has
/// zero EHVI, however far it would extend the front along the others.
fn reach(
    oriented: &[Vec<f64>],
    preds: &[(Vec<f64>, Vec<f64>)],
    known: &[Option<(f64, f64)>],
) -> Scale {
    let (mut lo, mut hi) = crate::pareto::bounds(oriented);
    for (m, s) in preds {
        for k in 0..lo.len() {
            lo[k] = lo[k].min(m[k] - PLAUSIBLE_SD * s[k]);
            hi[k] = hi[k].max(m[k] + PLAUSIBLE_SD * s[k]);
        }
    }
    for (k, r) in known.iter().enumerate() {
        if let Some((a, b)) = r {
            lo[k] = lo[k].min(*a);
            hi[k] = hi[k].max(*b);
        }
    }
    Scale::new(&[lo, hi])
}

/// Each objective's range over the space where the objective knows it, oriented
/// (maximising), as `(worst, best)`.
fn known_ranges<S: Sampler>(
    space: &S,
    objective: &dyn MultiObjective<S>,
    values: &[Values],
) -> Vec<Option<(f64, f64)>> {
    (0..values.len())
        .map(|k| {
            objective.range(space, k).map(|(a, b)| {
                if values[k].maximize() {
                    (a, b)
                } else {
                    (-b, -a)
                }
            })
        })
        .collect()
}

/// The candidate pool: all neighbours of up to `parents` non-dominated evaluations, plus
/// uniform samples, without anything evaluated.
fn pool<S: Sampler>(
    space: &S,
    run: &Run<S::Cell>,
    oriented: &[Vec<f64>],
    cfg: &MultiConfig,
    rng: &mut ChaCha8Rng,
) -> Vec<S::Cell> {
    let mut front = non_dominated(oriented);
    front.shuffle(rng);
    front.truncate(cfg.parents.max(1));
    let mut in_pool = HashSet::new();
    front
        .iter()
        .flat_map(|&i| space.neighbours(&run.cells[i]))
        .chain((0..cfg.random).map(|_| space.sample(rng)))
        .filter(|c| !run.seen.contains(c) && in_pool.insert(c.clone()))
        .collect()
}

/// One fitted model per objective: a GP, or `None` for a computed cost.
struct Models {
    gps: Vec<Option<Gp>>,
}

impl Models {
    fn fit<S: Sampler>(
        space: &S,
        objective: &dyn MultiObjective<S>,
        run: &Run<S::Cell>,
        resolved: &[Resolved],
        gp: &GpConfig,
        feats: &[(usize, Vec<Features>)],
    ) -> Result<Models> {
        let gps = resolved
            .iter()
            .enumerate()
            .map(|(k, r)| {
                if objective.exact(space, &run.cells[0], k).is_some() {
                    return Ok(None);
                }
                let ys: Vec<f64> = run.ys.iter().map(|y| y[k]).collect();
                let cfg = GpConfig {
                    transform: r.transform,
                    ..gp.clone()
                };
                Gp::fit_features(feats, &ys, &cfg).map(Some)
            })
            .collect::<Result<_>>()?;
        Ok(Models { gps })
    }

    /// Two objectives: the pool scored by exact EHVI in the streaming scorer (weight-space
    /// posteriors, constant memory), q times, each pick joining the front at its mean
    /// (kriging believer).
    fn ehvi_stream<S: Sampler>(
        &self,
        space: &S,
        objective: &dyn MultiObjective<S>,
        values: &[Values],
        oriented: &[Vec<f64>],
        cands: Vec<S::Cell>,
        q: usize,
    ) -> Result<Vec<S::Cell>> {
        use crate::gp::WeightSpace;
        let ws: Vec<Option<WeightSpace>> = self
            .gps
            .iter()
            .map(|g| g.as_ref().and_then(WeightSpace::new))
            .collect();
        let cfg = self
            .gps
            .iter()
            .flatten()
            .map(|g| g.wl_config())
            .next()
            .unwrap_or(crate::wl::WlConfig {
                h: 0,
                direction: crate::wl::Direction::Both,
            });
        // Computed costs of the pool, looked up while the stream runs in parallel.
        let exact: std::collections::HashMap<S::Cell, [f64; 2]> = cands
            .iter()
            .map(|c| {
                let e = |k| objective.exact(space, c, k).unwrap_or(0.0);
                (c.clone(), [e(0), e(1)])
            })
            .collect();
        // Oriented mean and std of a candidate, in the objectives' own units.
        let raw = |f: &Features, c: &S::Cell| -> ([f64; 2], [f64; 2]) {
            let (mut m, mut sd) = ([0.0; 2], [0.0; 2]);
            for k in 0..2 {
                let sign = if values[k].maximize() { 1.0 } else { -1.0 };
                match (&self.gps[k], &ws[k]) {
                    (Some(g), Some(w)) => {
                        let p = w.predict(f);
                        m[k] = sign * g.to_original(p.mean);
                        sd[k] = g.std_to_original(p.mean, p.std).abs();
                    }
                    _ => m[k] = sign * exact.get(c).map_or(0.0, |e| e[k]),
                }
            }
            (m, sd)
        };
        let step = cands.len().div_ceil(REACH_SAMPLE).max(1);
        let sample: Vec<(Vec<f64>, Vec<f64>)> = cands
            .iter()
            .step_by(step)
            .map(|c| {
                let (m, s) = raw(&wl::features(&space.lower(c), &cfg), c);
                (m.to_vec(), s.to_vec())
            })
            .collect();
        let scale = reach(oriented, &sample, &known_ranges(space, objective, values));
        let scaled = |f: &Features, c: &S::Cell| -> ([f64; 2], [f64; 2]) {
            let (m, s) = raw(f, c);
            let (m, s) = scale.prediction(&m, &s);
            ([m[0], m[1]], [s[0], s[1]])
        };
        let mut front: Vec<Vec<f64>> = non_dominated(oriented)
            .into_iter()
            .map(|i| scale.point(&oriented[i]))
            .collect();
        let reference = [-0.1, -0.1];
        let mut left = cands;
        let mut out = Vec::new();
        for _ in 0..q {
            if left.is_empty() {
                break;
            }
            let src = crate::score::Candidates::List(left.clone());
            let top = crate::score::score_by(space, &src, &HashSet::new(), cfg, 1, |f, c| {
                let (m, sd) = scaled(f, c);
                ehvi_2d(&front, &reference, &m, &sd)
            })?;
            let Some(best) = top.top.into_iter().next() else {
                break;
            };
            let f = wl::features(&space.lower(&best.cell), &cfg);
            front.push(scaled(&f, &best.cell).0.to_vec());
            left.retain(|c| *c != best.cell);
            out.push(best.cell);
        }
        Ok(out)
    }

    /// Mean and std of each objective of each candidate, oriented (maximising).
    fn predict<S: Sampler>(
        &self,
        space: &S,
        objective: &dyn MultiObjective<S>,
        cands: &[S::Cell],
        values: &[Values],
    ) -> Vec<(Vec<f64>, Vec<f64>)> {
        let archs: Vec<_> = cands.iter().map(|c| space.lower(c)).collect();
        let per_k: Vec<Option<Vec<Prediction>>> = self
            .gps
            .iter()
            .map(|g| {
                g.as_ref()
                    .map(|g| g.predict_features(&wl::features_batch(&archs, &g.wl_config())))
            })
            .collect();
        (0..cands.len())
            .map(|j| {
                let (mut m, mut s) = (Vec::new(), Vec::new());
                for (k, v) in values.iter().enumerate() {
                    let sign = if v.maximize() { 1.0 } else { -1.0 };
                    match (&per_k[k], &self.gps[k]) {
                        (Some(p), Some(g)) => {
                            m.push(sign * g.to_original(p[j].mean));
                            s.push(g.std_to_original(p[j].mean, p[j].std).abs());
                        }
                        _ => {
                            m.push(sign * objective.exact(space, &cands[j], k).unwrap_or(0.0));
                            s.push(0.0);
                        }
                    }
                }
                (m, s)
            })
            .collect()
    }
}

/// What one round of proposals is made from: the evaluations, the objectives'
/// orientation, the settings, EHVI's common normal draws and how many to propose.
struct Proposal<'a, C> {
    run: &'a Run<C>,
    values: &'a [Values],
    cfg: &'a MultiConfig,
    draws: &'a [Vec<f64>],
    q: usize,
}

impl<C: Clone + Eq + std::hash::Hash> Proposal<'_, C> {
    /// The round's proposals: random while nothing has succeeded, else by the method.
    fn propose<S: Sampler<Cell = C>>(
        &self,
        space: &S,
        objective: &dyn MultiObjective<S>,
        semantics: &mut SemanticsTracker,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<C>> {
        let (run, values, cfg, q) = (self.run, self.values, self.cfg, self.q);
        let oriented: Vec<Vec<f64>> = run.ys.iter().map(|y| orient(y, values)).collect();
        if oriented.is_empty() {
            // Every evaluation so far failed: keep sampling at random.
            let mut out = Vec::new();
            let mut tries = 0;
            while out.len() < q && tries < 1000 * q {
                tries += 1;
                let c = space.sample(rng);
                if !run.seen.contains(&c) && !out.contains(&c) {
                    out.push(c);
                }
            }
            return Ok(out);
        }
        let mut cands = pool(space, run, &oriented, cfg, rng);
        if cfg.method == MultiMethod::Random || cands.is_empty() {
            cands.shuffle(rng);
            cands.truncate(q);
            return Ok(cands);
        }
        let resolved = semantics.resolve(&run.ys)?;
        let archs: Vec<_> = run.cells.iter().map(|c| space.lower(c)).collect();
        let feats: Vec<(usize, Vec<Features>)> = cfg
            .gp
            .hs
            .iter()
            .copied()
            .zip(wl::features_per_depth(&archs, &cfg.gp.hs, cfg.gp.direction))
            .collect();
        if cfg.method == MultiMethod::Parego {
            let t = transformed(&run.ys, &resolved)?;
            return parego(space, &t, &feats, &cands, cfg, q, rng);
        }
        let models = Models::fit(space, objective, run, &resolved, &cfg.gp, &feats)?;
        if values.len() == 2 {
            return models.ehvi_stream(space, objective, values, &oriented, cands, q);
        }
        let preds = models.predict(space, objective, &cands, values);
        let scale = reach(&oriented, &preds, &known_ranges(space, objective, values));
        Ok(ehvi_batch(&oriented, &scale, &cands, preds, self.draws, q))
    }
}

/// Each evaluation's objectives on their models' scales (each transform is increasing in
/// how good a value is, so these are oriented too): what ParEGO scalarises.
fn transformed(ys: &[Vec<f64>], resolved: &[Resolved]) -> Result<Vec<Vec<f64>>> {
    ys.iter()
        .map(|y| {
            y.iter()
                .zip(resolved)
                .map(|(v, r)| r.transform.apply(*v))
                .collect()
        })
        .collect()
}

/// The q candidates of highest EHVI in the box `scale` ([`reach`]), each added to the
/// front at its mean before the next is chosen (kriging believer).
fn ehvi_batch<C: Clone>(
    oriented: &[Vec<f64>],
    scale: &Scale,
    cands: &[C],
    preds: Vec<(Vec<f64>, Vec<f64>)>,
    draws: &[Vec<f64>],
    q: usize,
) -> Vec<C> {
    let mut front: Vec<Vec<f64>> = non_dominated(oriented)
        .into_iter()
        .map(|i| scale.point(&oriented[i]))
        .collect();
    let reference = vec![-0.1; oriented[0].len()];
    let scaled: Vec<(Vec<f64>, Vec<f64>)> =
        preds.iter().map(|(m, s)| scale.prediction(m, s)).collect();
    let mut taken = vec![false; cands.len()];
    let mut out = Vec::new();
    for _ in 0..q.min(cands.len()) {
        let score = |j: usize| {
            let (m, s) = &scaled[j];
            if m.len() == 2 {
                ehvi_2d(&front, &reference, m, s)
            } else {
                ehvi_monte_carlo(&front, &reference, m, s, draws)
            }
        };
        let best = (0..cands.len())
            .filter(|&j| !taken[j])
            .map(|j| (j, score(j)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((j, _)) = best else { break };
        taken[j] = true;
        front.push(scaled[j].0.clone());
        out.push(cands[j].clone());
    }
    out
}

/// ParEGO (Knowles 2006): weights drawn uniformly from the simplex each round, the
/// augmented Chebyshev scalarisation `min_k w_k y_k + 0.05 sum_k w_k y_k` of the values
/// on their models' scales (`transformed`: -ln(1 - a) for accuracies, -v for costs),
/// each mapped onto [0, 1] over the evaluations, one GP on it, and the q best candidates
/// by EI (kriging believer).
#[allow(clippy::too_many_arguments)]
fn parego<S: Sampler>(
    space: &S,
    transformed: &[Vec<f64>],
    feats: &[(usize, Vec<Features>)],
    cands: &[S::Cell],
    cfg: &MultiConfig,
    q: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<S::Cell>> {
    use rand_distr::{Distribution, Exp1};
    let d = transformed[0].len();
    let raw: Vec<f64> = (0..d).map(|_| Exp1.sample(rng)).collect();
    let total: f64 = raw.iter().sum();
    let w: Vec<f64> = raw.iter().map(|x| x / total).collect();
    let scale = Scale::new(transformed);
    let g: Vec<f64> = transformed
        .iter()
        .map(|p| {
            let y = scale.point(p);
            let min = y
                .iter()
                .zip(&w)
                .map(|(y, w)| y * w)
                .fold(f64::INFINITY, f64::min);
            min + 0.05 * y.iter().zip(&w).map(|(y, w)| y * w).sum::<f64>()
        })
        .collect();
    let cfg_g = GpConfig {
        transform: Values::Score.transform(),
        ..cfg.gp.clone()
    };
    let mut gp = Gp::fit_features(feats, &g, &cfg_g)?;
    // EI over the pool through the streaming scorer, each pick believed at its mean.
    let source = crate::score::Candidates::List(cands.to_vec());
    let score_cfg = crate::score::ScoreConfig {
        acquisition: Acquisition::Ei,
        top: 1,
        chunk: 65_536,
        range: None,
    };
    let mut taken: HashSet<S::Cell> = HashSet::new();
    let mut out = Vec::new();
    for _ in 0..q.min(cands.len()) {
        let ws = crate::gp::WeightSpace::new(&gp);
        let posterior = match &ws {
            Some(ws) => crate::score::Posterior::WeightSpace(ws),
            None => crate::score::Posterior::FunctionSpace,
        };
        let top = crate::score::score(space, &gp, &source, &taken, posterior, &score_cfg, &|_| {})?;
        let Some(best) = top.top.into_iter().next() else {
            break;
        };
        let f = wl::features(&space.lower(&best.cell), &gp.wl_config());
        gp = gp.with_observation(&f, best.prediction.mean)?;
        taken.insert(best.cell.clone());
        out.push(best.cell);
    }
    Ok(out)
}

/// The hypervolume of a point set after mapping each oriented objective onto [0, 1] by
/// the bounds `lo`, `hi` (a table's worst and best); the reference point is the origin,
/// the table's worst corner.
pub fn normalised_hypervolume(oriented: &[Vec<f64>], lo: &[f64], hi: &[f64]) -> f64 {
    let pts: Vec<Vec<f64>> = oriented
        .iter()
        .map(|p| crate::pareto::normalise(p, lo, hi))
        .collect();
    hypervolume(&pts, &vec![0.0; lo.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::multi_table::TableMulti;
    use crate::search::{Objective, TableObjective};
    use crate::space::nb201_cost::flops_m;
    use crate::space::Nb201Space;

    #[test]
    fn a_cost_beyond_the_evaluated_range_can_extend_the_front() {
        // Oriented (accuracy, -MFLOPs): the evaluations reach 20 MFLOPs; the candidate
        // costs 30 and is likely more accurate than any.
        let evals = vec![vec![0.5, -10.0], vec![0.6, -20.0]];
        let (m, s) = (vec![0.9, -30.0], vec![0.05, 0.0]);
        let ehvi = |scale: Scale| {
            let front: Vec<Vec<f64>> = evals.iter().map(|p| scale.point(p)).collect();
            let (m, s) = scale.prediction(&m, &s);
            ehvi_2d(&front, &[-0.1, -0.1], &m, &s)
        };
        // The evaluations alone put the candidate behind the reference point.
        assert_eq!(ehvi(Scale::new(&evals)), 0.0);
        assert_eq!(ehvi(reach(&evals, &[], &[None, None])), 0.0);
        // The cost's range over the space takes it in.
        assert!(ehvi(reach(&evals, &[], &[None, Some((-220.0, -7.0))])) > 0.0);
        // So does the candidate's own (exact) value.
        assert!(ehvi(reach(&evals, &[(m.clone(), s.clone())], &[None, None])) > 0.0);
    }

    fn config(method: MultiMethod, seed: u64) -> MultiConfig {
        MultiConfig {
            budget: 30,
            n_init: 10,
            seed,
            batch: 1,
            method,
            gp: GpConfig::default(),
            parents: 10,
            random: 100,
            draws: 64,
        }
    }

    #[test]
    fn ehvi_proposes_cells_costlier_than_any_evaluated() {
        let space = Nb201Space::default();
        let d = crate::bench_data::dataset("nb201").unwrap();
        for seed in 0..3 {
            let mut obj = TableMulti::new(&space, d, "baseline_accuracy:max,flops:min").unwrap();
            let cfg = config(MultiMethod::Ehvi, seed);
            let h = multi_objective_search(&space, &mut obj, &cfg).unwrap();
            let start = h.evaluations[..10]
                .iter()
                .map(|e| e.1[1])
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                h.evaluations[10..].iter().any(|e| e.1[1] > start),
                "seed {seed}: no proposal above {start} MFLOPs"
            );
        }
    }

    /// NB201's accuracy as a fraction (or already on the -ln(1 - a) scale) and its FLOPs.
    struct Fraction {
        table: TableObjective,
        pre_transformed: bool,
    }

    impl MultiObjective<Nb201Space> for Fraction {
        fn evaluate(&mut self, space: &Nb201Space, c: &[u8; 6]) -> Result<Vec<f64>> {
            let a = self.table.evaluate(space, c)? / 100.0;
            let t = Values::Accuracy.transform();
            let a = if self.pre_transformed { t.apply(a)? } else { a };
            Ok(vec![a, flops_m(c)])
        }
        fn exact(&self, _: &Nb201Space, c: &[u8; 6], k: usize) -> Option<f64> {
            (k == 1).then(|| flops_m(c))
        }
        fn semantics(&self) -> Vec<Semantics> {
            let acc = if self.pre_transformed {
                Values::Score
            } else {
                Values::Accuracy
            };
            vec![
                Semantics {
                    name: "acc".into(),
                    maximize: true,
                    known: Some(acc),
                },
                Semantics {
                    name: "flops".into(),
                    maximize: false,
                    known: Some(Values::Cost),
                },
            ]
        }
    }

    #[test]
    fn parego_scalarises_the_transformed_objectives() {
        let space = Nb201Space::default();
        let d = crate::bench_data::dataset("nb201").unwrap();
        let archs = |pre_transformed| {
            let mut obj = Fraction {
                table: TableObjective::new(d, "baseline_accuracy").unwrap(),
                pre_transformed,
            };
            let h =
                multi_objective_search(&space, &mut obj, &config(MultiMethod::Parego, 4)).unwrap();
            h.evaluations.into_iter().map(|e| e.0).collect::<Vec<_>>()
        };
        let (declared, transformed) = (archs(false), archs(true));
        assert_eq!(declared.len(), 30);
        assert_eq!(declared, transformed);
    }

    #[test]
    fn an_undeclared_accuracy_is_modelled_as_one() {
        let s = Semantics {
            name: "accuracy".into(),
            maximize: true,
            known: None,
        };
        let r = s.resolve(&[0.91, 0.93]).unwrap();
        assert_eq!(r.values, Values::Accuracy);
        assert_eq!(r.transform, Values::Accuracy.transform());
    }
}
