//! Bayesian optimisation over NAGO generators. The objective of θ is the score of one
//! network sampled from it, so it is noisy by nature. Surrogates, chosen with
//! `GeneratorKernel`:
//! * `matern`: Matérn-5/2 on θ in the unit cube with one length scale per
//!   hyperparameter (integers at their rounded values), as NAGO's BO;
//! * `wl`: the WL kernel on generators, θ embedded by the mean WL feature vector of
//!   networks sampled from it ([`crate::space::nago::embed`]);
//! * `sum`: `(1 - a)·Matérn + a·WL`, with `a` in {0, ¼, ½, ¾, 1}.
//!
//! Length scales, noise and `a` are chosen by marginal likelihood over random draws.
//! Candidates each round: a quasi-random (Halton) pool of the unit cube plus Gaussian
//! perturbations of the best generators, scored block by block with the acquisition.

use super::{check_budget, Evaluation, History, Objective, Recorder};
use crate::acquisition::Acquisition;
use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::gp::dense::{matern52, DenseGp};
use crate::gp::Prediction;
use crate::gpu::{DeviceChoice, Engine};
use crate::search::CommandObjective;
use crate::space::nago::embed::{self, Embedding};
use crate::space::nago::space::{Generator, GeneratorSpace};
use crate::space::nago::train::{train, Digits, TrainConfig};
use crate::space::{Sampler, Space};
use crate::wl::{Direction, WlConfig};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Which kernel the generator GP uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratorKernel {
    /// Matérn-5/2 on θ, one length scale per hyperparameter.
    Matern,
    /// The WL mean-embedding kernel on the generators' networks.
    Wl,
    /// Their mixture, its weight chosen by marginal likelihood.
    Sum,
}

crate::named!(GeneratorKernel, "generator kernel", {
    Matern => "matern",
    Wl => "wl",
    Sum => "sum",
});

impl GeneratorKernel {
    fn weights(self) -> &'static [f64] {
        match self {
            GeneratorKernel::Matern => &[0.0],
            GeneratorKernel::Wl => &[1.0],
            GeneratorKernel::Sum => &[0.0, 0.25, 0.5, 0.75, 1.0],
        }
    }
}

/// Settings of BO over generators.
#[derive(Clone, Debug, Serialize)]
pub struct GeneratorBoConfig {
    /// Evaluations in all.
    pub budget: usize,
    /// Random generators evaluated before the first fit.
    pub n_init: usize,
    /// Seed of the search.
    pub seed: u64,
    /// The surrogate's kernel.
    pub kernel: GeneratorKernel,
    /// The acquisition function.
    pub acquisition: Acquisition,
    /// Quasi-random candidates a round.
    pub pool: usize,
    /// Perturbations of the best generators a round.
    pub local: usize,
    /// Networks sampled per generator for its WL embedding.
    pub networks: usize,
    /// WL depth of the embedding.
    pub wl_h: usize,
    /// Where the embeddings' networks are hashed (the answer is the same bit for bit;
    /// `Auto` keeps to the CPU on a software adapter).
    #[serde(skip)]
    pub device: DeviceChoice,
}

impl Default for GeneratorBoConfig {
    fn default() -> Self {
        GeneratorBoConfig {
            budget: 40,
            n_init: 10,
            seed: 0,
            kernel: GeneratorKernel::Sum,
            acquisition: Acquisition::Ei,
            pool: 500,
            local: 100,
            networks: 4,
            wl_h: 2,
            device: DeviceChoice::Auto,
        }
    }
}

/// Hyperparameters of the generator GP.
#[derive(Clone, Debug)]
struct Hyper {
    lengths: [f64; 8],
    noise: f64,
    weight: f64,
}

/// The surrogate's inputs for a set of generators.
struct Inputs {
    unit: Vec<[f64; 8]>,
    embedding: Vec<Embedding>,
}

/// Computes the WL embeddings of generators, keeping those of evaluated ones: they are
/// the training inputs of every later round, while a round's candidates (a Halton pool
/// that moves on each round) rarely come back, and keeping theirs grew memory by a pool
/// a round.
struct Embedder {
    engine: Engine,
    cfg: WlConfig,
    networks: usize,
    seed: u64,
    cache: HashMap<Generator, Embedding>,
}

impl Embedder {
    /// The inputs of `gs`, with WL embeddings when `wl`; `keep` caches those computed.
    fn inputs(&mut self, gs: &[Generator], wl: bool, keep: bool) -> Result<Inputs> {
        let unit = gs.iter().map(Generator::unit).collect();
        if !wl {
            return Ok(Inputs {
                unit,
                embedding: Vec::new(),
            });
        }
        let missing: Vec<Generator> = gs
            .iter()
            .filter(|g| !self.cache.contains_key(*g))
            .cloned()
            .collect();
        let thetas: Vec<_> = missing.iter().map(Generator::theta).collect();
        let fresh: HashMap<Generator, Embedding> = missing
            .into_iter()
            .zip(embed::embed_all_on(
                &self.engine,
                &thetas,
                self.networks,
                self.seed,
                &self.cfg,
            )?)
            .collect();
        let embedding = gs
            .iter()
            .map(|g| {
                self.cache
                    .get(g)
                    .or_else(|| fresh.get(g))
                    .cloned()
                    .expect("every generator is cached or embedded above")
            })
            .collect();
        if keep {
            self.cache.extend(fresh);
        }
        Ok(Inputs { unit, embedding })
    }
}

/// The kernel matrix between two input sets under `h` (WL part precomputed in `wl`).
fn kernel(a: &Inputs, b: &Inputs, wl: &[f64], h: &Hyper) -> DMatrix<f64> {
    DMatrix::from_fn(a.unit.len(), b.unit.len(), |i, j| {
        let m = if h.weight < 1.0 {
            matern52(&a.unit[i], &b.unit[j], &h.lengths)
        } else {
            0.0
        };
        let w = if h.weight > 0.0 {
            wl[i * b.unit.len() + j]
        } else {
            0.0
        };
        (1.0 - h.weight) * m + h.weight * w
    })
}

/// The hyperparameters of largest marginal likelihood among random draws.
fn select(
    x: &Inputs,
    wl: &[f64],
    y: &[f64],
    kind: GeneratorKernel,
    rng: &mut ChaCha8Rng,
) -> Result<(Hyper, DenseGp)> {
    let mut best: Option<(Hyper, DenseGp)> = None;
    for draw in 0..256 {
        let weights = kind.weights();
        let h = if draw == 0 {
            Hyper {
                lengths: [0.3; 8],
                noise: 0.05,
                weight: weights[0],
            }
        } else {
            let mut lengths = [0.0; 8];
            for l in &mut lengths {
                *l = rng.gen_range(0.05f64.ln()..3f64.ln()).exp();
            }
            Hyper {
                lengths,
                noise: rng.gen_range(1e-4f64.ln()..1f64.ln()).exp(),
                weight: weights[rng.gen_range(0..weights.len())],
            }
        };
        let Some(gp) = DenseGp::fit(&kernel(x, x, wl, &h), y, h.noise) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(_, b)| gp.log_likelihood > b.log_likelihood)
        {
            best = Some((h, gp));
        }
    }
    best.ok_or_else(|| Error::Value("no generator GP could be fitted".into()))
}

/// The `i`-th point of the Halton sequence in 8 dimensions.
fn halton(mut i: u64) -> [f64; 8] {
    const PRIMES: [u64; 8] = [2, 3, 5, 7, 11, 13, 17, 19];
    i += 1;
    let mut out = [0.0; 8];
    for (x, p) in out.iter_mut().zip(PRIMES) {
        let (mut f, mut n) = (1.0, i);
        while n > 0 {
            f /= p as f64;
            *x += f * (n % p) as f64;
            n /= p;
        }
    }
    out
}

/// This round's candidates: a Halton pool (continuing the sequence from round to round)
/// and perturbations of the three best generators, without the evaluated ones.
fn candidates(
    cfg: &GeneratorBoConfig,
    round: usize,
    best: &[Generator],
    seen: &HashSet<Generator>,
    rng: &mut ChaCha8Rng,
) -> Vec<Generator> {
    let start = (round * cfg.pool) as u64;
    let mut out: Vec<Generator> = (start..start + cfg.pool as u64)
        .map(|i| Generator::from_unit(&halton(i)))
        .collect();
    let normal = Normal::new(0.0, 0.1).expect("finite");
    for k in 0..cfg.local {
        let Some(parent) = best.get(k % best.len().max(1)) else {
            break;
        };
        let mut u = parent.unit();
        for x in &mut u {
            *x += normal.sample(rng);
        }
        out.push(Generator::from_unit(&u));
    }
    let mut dedup = HashSet::new();
    out.retain(|g| !seen.contains(g) && dedup.insert(g.clone()));
    out
}

/// Candidates scored per block (their embeddings are computed a block at a time).
const BLOCK: usize = 256;

/// A second objective known exactly for every generator without evaluating it, and
/// minimised (the built-in trainer's parameter count). With one, each round maximises
/// the expected hypervolume improvement of (objective, −log10 cost) instead of the
/// acquisition: the GP models the first, the second is computed.
pub type Cost<'a> = &'a dyn Fn(&Generator) -> Result<f64>;

/// BO over generators: `n_init` random ones, then one proposal a round.
pub fn generator_bo(
    space: &GeneratorSpace,
    objective: &mut dyn Objective<GeneratorSpace>,
    cfg: &GeneratorBoConfig,
    cost: Option<Cost>,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    let budget = check_budget(space, cfg.budget)?;
    let sign = if objective.kind().maximize() {
        1.0
    } else {
        -1.0
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut rec = Recorder::new(objective.kind(), on_eval);
    let mut seen = HashSet::new();
    let mut done: Vec<(Generator, f64)> = Vec::new();
    let wl = cfg.kernel != GeneratorKernel::Matern;
    let mut embedder = Embedder {
        engine: if wl {
            Engine::new_preferring_hardware(cfg.device)?
        } else {
            Engine::Cpu
        },
        cfg: WlConfig {
            h: cfg.wl_h,
            direction: Direction::In,
        },
        networks: cfg.networks.max(1),
        seed: cfg.seed,
        cache: HashMap::new(),
    };
    let mut round = 0;
    while rec.len() < budget {
        let next = if done.len() < cfg.n_init.max(2) {
            space.sample(&mut rng)
        } else {
            round += 1;
            let r = Round {
                cfg,
                done: &done,
                seen: &seen,
                wl,
                round,
                cost,
            };
            propose(&r, &mut embedder, &mut rng)?
        };
        if !seen.insert(next.clone()) {
            continue;
        }
        if let Some(v) = rec.evaluate(space, objective, &next)? {
            done.push((next, sign * v));
        }
    }
    rec.finish()
}

/// What one round of BO knows.
struct Round<'a> {
    cfg: &'a GeneratorBoConfig,
    done: &'a [(Generator, f64)],
    seen: &'a HashSet<Generator>,
    wl: bool,
    round: usize,
    cost: Option<Cost<'a>>,
}

impl Round<'_> {
    /// How a candidate with posterior `p` is scored: the acquisition against the best
    /// value, or (with a cost) the exact 2-D EHVI against the evaluated front.
    fn scorer(&self) -> Result<impl Fn(&Generator, Prediction) -> Result<f64> + '_> {
        let best = self
            .done
            .iter()
            .map(|d| d.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let front: Vec<Vec<f64>> = match self.cost {
            None => Vec::new(),
            Some(c) => self
                .done
                .iter()
                .map(|(g, y)| Ok(vec![*y, -c(g)?.log10()]))
                .collect::<Result<_>>()?,
        };
        // Just below the worst evaluated point in each objective.
        let reference = match crate::pareto::bounds(&front) {
            (lo, _) if lo.len() == 2 => [lo[0] - 1e-6, lo[1] - 0.1],
            _ => [0.0, 0.0],
        };
        Ok(move |g: &Generator, p: Prediction| match self.cost {
            None => Ok(self.cfg.acquisition.value(p, best)),
            Some(c) => {
                let m = [p.mean, -c(g)?.log10()];
                Ok(crate::pareto::ehvi_2d(
                    &front,
                    &reference,
                    &m,
                    &[p.std, 0.0],
                ))
            }
        })
    }
}

/// One round: fit the GP to what was evaluated, score the candidates, return the best.
fn propose(r: &Round, embedder: &mut Embedder, rng: &mut ChaCha8Rng) -> Result<Generator> {
    let (cfg, done, wl) = (r.cfg, r.done, r.wl);
    let gs: Vec<Generator> = done.iter().map(|(g, _)| g.clone()).collect();
    let y: Vec<f64> = done.iter().map(|(_, v)| *v).collect();
    let x = embedder.inputs(&gs, wl, true)?;
    let wl_xx = if wl {
        embed::normalized_cross(&x.embedding, &x.embedding)
    } else {
        Vec::new()
    };
    let (h, gp) = select(&x, &wl_xx, &y, cfg.kernel, rng)?;
    let mut ranked: Vec<&(Generator, f64)> = done.iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let parents: Vec<Generator> = ranked.iter().take(3).map(|(g, _)| g.clone()).collect();
    let pool = candidates(cfg, r.round, &parents, r.seen, rng);
    let score = r.scorer()?;
    let mut top: Option<(f64, Generator)> = None;
    for block in pool.chunks(BLOCK) {
        let c = embedder.inputs(block, wl && h.weight > 0.0, false)?;
        let wl_cx = if wl && h.weight > 0.0 {
            embed::normalized_cross(&c.embedding, &x.embedding)
        } else {
            Vec::new()
        };
        let k = kernel(&c, &x, &wl_cx, &h);
        for (i, g) in block.iter().enumerate() {
            let row: Vec<f64> = k.row(i).iter().copied().collect();
            let a = score(g, gp.predict(&row, 1.0))?;
            if top.as_ref().is_none_or(|(b, _)| a > *b) {
                top = Some((a, g.clone()));
            }
        }
    }
    top.map(|(_, g)| g)
        .ok_or_else(|| Error::Empty("no candidate generator left to propose".into()))
}

/// The built-in objective: the held-out accuracy (%) of the generator's network trained
/// on the embedded digits ([`crate::space::nago::train`]).
pub struct TrainObjective {
    data: Digits,
    cfg: TrainConfig,
}

impl TrainObjective {
    /// Trains with `cfg` on the embedded digits.
    pub fn new(cfg: TrainConfig) -> Result<TrainObjective> {
        Ok(TrainObjective {
            data: Digits::load()?,
            cfg,
        })
    }
}

impl Objective<GeneratorSpace> for TrainObjective {
    fn evaluate(&mut self, space: &GeneratorSpace, g: &Generator) -> Result<f64> {
        let net = space.network(g)?;
        let r = train(&net, &self.data, &self.cfg, Default::default());
        Ok(super::builtin::failed_if_diverged(space.format(g), r)?.accuracy)
    }
    fn kind(&self) -> MetricKind {
        MetricKind::AccuracyPercent
    }
}

/// The user's command on generators: θ in `WLGP_ARCH`, and on stdin the sampled
/// network's JSON (as `wlgp nago sample --json` prints it) to build and train.
pub struct GeneratorCommand(pub CommandObjective);

impl Objective<GeneratorSpace> for GeneratorCommand {
    fn evaluate(&mut self, space: &GeneratorSpace, g: &Generator) -> Result<f64> {
        let input = space.network(g)?.sample_json().to_string();
        self.0
            .evaluate_with_input(space.name(), space.format(g), &input)
    }
    fn kind(&self) -> MetricKind {
        <CommandObjective as Objective<GeneratorSpace>>::kind(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth objective of θ alone: BO must find better generators than random search.
    struct Bowl;
    impl Objective<GeneratorSpace> for Bowl {
        fn evaluate(&mut self, _: &GeneratorSpace, g: &Generator) -> Result<f64> {
            let u = g.unit();
            Ok(-u.iter().map(|x| (x - 0.3).powi(2)).sum::<f64>())
        }
        fn kind(&self) -> MetricKind {
            MetricKind::Score
        }
    }

    #[test]
    fn bo_beats_random_search_on_a_smooth_objective_with_every_kernel() {
        let space = GeneratorSpace { seed: 0 };
        for kernel in [
            GeneratorKernel::Matern,
            GeneratorKernel::Sum,
            GeneratorKernel::Wl,
        ] {
            let (mut bo, mut rs) = (0.0, 0.0);
            for seed in 0..3 {
                let cfg = GeneratorBoConfig {
                    budget: 25,
                    seed,
                    kernel,
                    pool: 200,
                    local: 50,
                    ..Default::default()
                };
                let h = generator_bo(&space, &mut Bowl, &cfg, None, &mut |_| {}).unwrap();
                bo += h.best().value;
                let r = super::super::random_search(&space, &mut Bowl, 25, seed, &mut |_| {});
                rs += r.unwrap().best().value;
            }
            eprintln!("{kernel:?}: bo {bo:.3} random {rs:.3}");
            if kernel != GeneratorKernel::Wl {
                assert!(bo > rs, "{kernel:?}: bo {bo} vs random {rs}");
            }
        }
    }

    /// With a computed cost, BO maximises EHVI: its front over (score, -log10 cost)
    /// has a larger hypervolume than random search's, summed over seeds.
    #[test]
    fn ehvi_bo_finds_a_better_front_than_random_search() {
        let space = GeneratorSpace { seed: 0 };
        let cost = |g: &Generator| -> Result<f64> { Ok(space.network(g)?.operations() as f64) };
        let hv = |h: &History| {
            let pts: Vec<Vec<f64>> = h
                .evaluations
                .iter()
                .map(|e| {
                    let g = space.parse(&e.arch).unwrap();
                    vec![e.value, -cost(&g).unwrap().log10()]
                })
                .collect();
            crate::pareto::hypervolume(&pts, &[-3.0, -3.1])
        };
        let (mut bo, mut rs) = (0.0, 0.0);
        for seed in 0..3 {
            let cfg = GeneratorBoConfig {
                budget: 25,
                seed,
                kernel: GeneratorKernel::Matern,
                pool: 200,
                local: 50,
                ..Default::default()
            };
            bo += hv(&generator_bo(&space, &mut Bowl, &cfg, Some(&cost), &mut |_| {}).unwrap());
            rs +=
                hv(&super::super::random_search(&space, &mut Bowl, 25, seed, &mut |_| {}).unwrap());
        }
        assert!(bo > rs, "hypervolume: bo {bo} vs random {rs}");
    }

    #[test]
    fn the_halton_pool_fills_the_cube() {
        let pts: Vec<[f64; 8]> = (0..512).map(halton).collect();
        for d in 0..8 {
            let mean = pts.iter().map(|p| p[d]).sum::<f64>() / 512.0;
            assert!((mean - 0.5).abs() < 0.02, "dimension {d}: mean {mean}");
            assert!(pts.iter().all(|p| (0.0..1.0).contains(&p[d])));
        }
    }
}
