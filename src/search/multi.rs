//! Multi-objective search: several objectives at once (accuracy against latency,
//! parameters or FLOPs), with Pareto fronts. BO keeps one GP per modelled objective
//! (each with its own hyperparameters and value semantics) and maximises the expected
//! hypervolume improvement (exact in 2-D, Monte Carlo in 3-D) or, with ParEGO, expected
//! improvement of a random augmented Chebyshev scalarisation per round. Costs that are
//! known exactly (NB201's parameters and FLOPs) are not modelled: their std is 0.

use super::check_budget;
use crate::acquisition::Acquisition;
use crate::error::{Error, Result};
use crate::gp::{Gp, GpConfig, Prediction};
use crate::pareto::{ehvi_2d, ehvi_monte_carlo, hypervolume, non_dominated, normal_draws};
use crate::space::Sampler;
use crate::values::Values;
use crate::wl::{self, Features};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// How a multi-objective search proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
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

/// Something that measures several objectives of an architecture.
pub trait MultiObjective<S: Sampler> {
    /// The objectives' values, in declared order and their own units.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<Vec<f64>>;
    /// Objective `k` of a cell if it is known without evaluating (a computed cost).
    fn exact(&self, space: &S, cell: &S::Cell, k: usize) -> Option<f64>;
    /// The objectives' value semantics (direction and transform).
    fn values(&self) -> Vec<Values>;
}

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

/// Everything a multi-objective search evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct MultiHistory {
    /// `(arch, values)` of the successful evaluations, in order.
    pub evaluations: Vec<(String, Vec<f64>)>,
    /// Evaluations that gave no values (they count against the budget).
    pub failed: usize,
}

impl MultiHistory {
    /// Indices of the non-dominated evaluations.
    pub fn front(&self, values: &[Values]) -> Vec<usize> {
        let pts: Vec<Vec<f64>> = self
            .evaluations
            .iter()
            .map(|e| orient(&e.1, values))
            .collect();
        non_dominated(&pts)
    }
}

/// Values in the maximisation convention.
pub fn orient(v: &[f64], values: &[Values]) -> Vec<f64> {
    v.iter()
        .zip(values)
        .map(|(x, s)| if s.maximize() { *x } else { -x })
        .collect()
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
    while run.spent < budget {
        let q = cfg.batch.max(1).min(budget - run.spent);
        let picks = propose(space, objective, &run, &values, cfg, &draws, q, &mut rng)?;
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

/// The evaluations so far, shared by BO and the evolutionary baselines: the successful
/// ones, every cell tried, and how many were made.
pub(super) struct Run<C> {
    pub(super) cells: Vec<C>,
    pub(super) ys: Vec<Vec<f64>>,
    pub(super) seen: HashSet<C>,
    pub(super) spent: usize,
}

impl<C> Default for Run<C> {
    fn default() -> Self {
        Run {
            cells: Vec::new(),
            ys: Vec::new(),
            seen: HashSet::new(),
            spent: 0,
        }
    }
}

impl<C: Clone + Eq + std::hash::Hash> Run<C> {
    /// Evaluates a cell and records it; its values, or `None` for a failed evaluation
    /// (journaled by the objective; it counts against the budget).
    pub(super) fn push<S: Sampler<Cell = C>>(
        &mut self,
        space: &S,
        objective: &mut dyn MultiObjective<S>,
        c: C,
    ) -> Result<Option<Vec<f64>>> {
        self.spent += 1;
        self.seen.insert(c.clone());
        let y = match objective.evaluate(space, &c) {
            Ok(y) => y,
            Err(Error::Evaluation { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::Value(format!(
                "objective values {y:?} of `{}` are not all finite",
                space.format(&c)
            )));
        }
        self.cells.push(c);
        self.ys.push(y.clone());
        Ok(Some(y))
    }

    /// The search's history: the successful evaluations in order, and the failures.
    pub(super) fn history<S: Sampler<Cell = C>>(&self, space: &S) -> MultiHistory {
        MultiHistory {
            evaluations: self
                .cells
                .iter()
                .zip(&self.ys)
                .map(|(c, y)| (space.format(c), y.clone()))
                .collect(),
            failed: self.spent - self.cells.len(),
        }
    }
}

/// Per-objective affine maps of oriented values onto [0, 1] over the evaluations so far,
/// and the reference point 0.1 below the worst, where EHVI and ParEGO work.
struct Scale {
    lo: Vec<f64>,
    span: Vec<f64>,
}

impl Scale {
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
        values: &[Values],
        gp: &GpConfig,
        feats: &[(usize, Vec<Features>)],
    ) -> Result<Models> {
        let gps = values
            .iter()
            .enumerate()
            .map(|(k, v)| {
                if objective.exact(space, &run.cells[0], k).is_some() {
                    return Ok(None);
                }
                let ys: Vec<f64> = run.ys.iter().map(|y| y[k]).collect();
                let cfg = GpConfig {
                    transform: v.transform(),
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
        let wl_cfg = self.gps.iter().flatten().map(|g| g.wl_config()).next();
        let scale = Scale::new(oriented);
        let mut front: Vec<Vec<f64>> = non_dominated(oriented)
            .into_iter()
            .map(|i| scale.point(&oriented[i]))
            .collect();
        let reference = [-0.1, -0.1];
        // Computed costs of the pool, looked up while the stream runs in parallel.
        let exact: std::collections::HashMap<S::Cell, [f64; 2]> = cands
            .iter()
            .map(|c| {
                let e = |k| objective.exact(space, c, k).unwrap_or(0.0);
                (c.clone(), [e(0), e(1)])
            })
            .collect();
        let oriented_pred = |f: &Features, c: &S::Cell| -> ([f64; 2], [f64; 2]) {
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
                m[k] = (m[k] - scale.lo[k]) / scale.span[k];
                sd[k] /= scale.span[k];
            }
            (m, sd)
        };
        let mut left = cands;
        let mut out = Vec::new();
        for _ in 0..q {
            if left.is_empty() {
                break;
            }
            let src = crate::score::Candidates::List(left.clone());
            let cfg = wl_cfg.unwrap_or(crate::wl::WlConfig {
                h: 0,
                direction: crate::wl::Direction::Both,
            });
            let top = crate::score::score_by(space, &src, &HashSet::new(), cfg, 1, |f, c| {
                let (m, sd) = oriented_pred(f, c);
                ehvi_2d(&front, &reference, &m, &sd)
            })?;
            let Some(best) = top.top.into_iter().next() else {
                break;
            };
            let f = wl::features(&space.lower(&best.cell), &cfg);
            front.push(oriented_pred(&f, &best.cell).0.to_vec());
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

#[allow(clippy::too_many_arguments)]
fn propose<S: Sampler>(
    space: &S,
    objective: &dyn MultiObjective<S>,
    run: &Run<S::Cell>,
    values: &[Values],
    cfg: &MultiConfig,
    draws: &[Vec<f64>],
    q: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<S::Cell>> {
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
    let archs: Vec<_> = run.cells.iter().map(|c| space.lower(c)).collect();
    let feats: Vec<(usize, Vec<Features>)> = cfg
        .gp
        .hs
        .iter()
        .copied()
        .zip(wl::features_per_depth(&archs, &cfg.gp.hs, cfg.gp.direction))
        .collect();
    match cfg.method {
        MultiMethod::Parego => parego(space, &oriented, &feats, &cands, cfg, q, rng),
        _ => {
            let models = Models::fit(space, objective, run, values, &cfg.gp, &feats)?;
            if values.len() == 2 {
                return models.ehvi_stream(space, objective, values, &oriented, cands, q);
            }
            let preds = models.predict(space, objective, &cands, values);
            Ok(ehvi_batch(&oriented, &cands, preds, draws, q))
        }
    }
}

/// The q candidates of highest EHVI, each added to the front at its mean before the
/// next is chosen (kriging believer).
fn ehvi_batch<C: Clone>(
    oriented: &[Vec<f64>],
    cands: &[C],
    preds: Vec<(Vec<f64>, Vec<f64>)>,
    draws: &[Vec<f64>],
    q: usize,
) -> Vec<C> {
    let scale = Scale::new(oriented);
    let mut front: Vec<Vec<f64>> = non_dominated(oriented)
        .into_iter()
        .map(|i| scale.point(&oriented[i]))
        .collect();
    let reference = vec![-0.1; oriented[0].len()];
    let scaled: Vec<(Vec<f64>, Vec<f64>)> = preds
        .iter()
        .map(|(m, s)| {
            (
                scale.point(m),
                s.iter().zip(&scale.span).map(|(s, w)| s / w).collect(),
            )
        })
        .collect();
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
/// augmented Chebyshev scalarisation `min_k w_k y_k + 0.05 sum_k w_k y_k` of the scaled
/// values, one GP on it, and the q best candidates by EI (kriging believer).
#[allow(clippy::too_many_arguments)]
fn parego<S: Sampler>(
    space: &S,
    oriented: &[Vec<f64>],
    feats: &[(usize, Vec<Features>)],
    cands: &[S::Cell],
    cfg: &MultiConfig,
    q: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<S::Cell>> {
    use rand_distr::{Distribution, Exp1};
    let d = oriented[0].len();
    let raw: Vec<f64> = (0..d).map(|_| Exp1.sample(rng)).collect();
    let total: f64 = raw.iter().sum();
    let w: Vec<f64> = raw.iter().map(|x| x / total).collect();
    let scale = Scale::new(oriented);
    let g: Vec<f64> = oriented
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
