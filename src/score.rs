//! Streaming candidate scoring: WL features, posterior (weight space when it applies),
//! acquisition and a top-k selection over fixed-size chunks, so memory stays flat however
//! many candidates are scored.

mod gpu_choice;

pub use gpu_choice::{posterior, weight_space_for, GpuScorer};

use crate::acquisition::Acquisition;
use crate::error::{Error, Result};
use crate::gp::{Gp, Prediction, WeightSpace};
use crate::gpu::{
    device_threshold, Batch, DevicePipeline, DeviceQuery, DeviceStream, GpuScore, Pending,
};
use crate::graph::FlatGraph;
use crate::space::{Sampler, Space};
use crate::wl::{self, Features, WlConfig, WlScratch};
use rand::SeedableRng;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::Hash;

/// Where candidates come from.
#[derive(Clone, Debug)]
pub enum Candidates<C> {
    /// Every cell of a finite space.
    All,
    /// `n` uniform samples (with replacement), drawn chunk by chunk from the seed.
    Sample {
        /// How many.
        n: u64,
        /// Seed of the draws.
        seed: u64,
    },
    /// All one-edit neighbours of these cells.
    Mutations(Vec<C>),
    /// These cells.
    List(Vec<C>),
}

impl<C> Candidates<C> {
    /// How many candidates the source yields at most (`u64::MAX` where the space does not
    /// say): the work a scoring run is asked to do, which chooses the posterior's form.
    pub fn work<S: Sampler<Cell = C>>(&self, space: &S) -> u64 {
        let at_most = |n: u128| n.min(u64::MAX as u128) as u64;
        match self {
            Candidates::All => space.size().map_or(u64::MAX, at_most),
            Candidates::Sample { n, .. } => *n,
            // Each parent's neighbours: a few tens of edits a cell in every space here.
            Candidates::Mutations(parents) => (parents.len() as u64).saturating_mul(64),
            Candidates::List(cells) => cells.len() as u64,
        }
    }
}

/// One scored candidate.
#[derive(Clone, Debug)]
pub struct Scored<C> {
    /// The candidate.
    pub cell: C,
    /// Its position in the candidate stream (ties are broken by it).
    pub index: u64,
    /// Posterior in the latent scale.
    pub prediction: Prediction,
    /// Acquisition value.
    pub value: f64,
}

/// Orders by acquisition value, best first, then by stream position.
fn better<C>(a: &Scored<C>, b: &Scored<C>) -> Ordering {
    b.value.total_cmp(&a.value).then(a.index.cmp(&b.index))
}

/// Keeps the `k` best distinct candidates of what it is given; equal to sorting
/// everything, dropping repeats and truncating.
pub struct TopK<C> {
    k: usize,
    items: Vec<Scored<C>>,
}

impl<C: Eq + Hash + Clone> TopK<C> {
    /// An empty selection of at most `k`.
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            items: Vec::new(),
        }
    }

    /// Adds candidates; memory stays O(k + batch).
    pub fn extend(&mut self, batch: impl IntoIterator<Item = Scored<C>>) {
        self.items.extend(batch);
        if self.items.len() > 2 * self.k.max(1) {
            self.truncate();
        }
    }

    fn truncate(&mut self) {
        self.items.sort_by(better);
        let mut seen = HashSet::new();
        self.items.retain(|s| seen.insert(s.cell.clone()));
        self.items.truncate(self.k);
    }

    /// The value a candidate must beat to enter, once `k` are held.
    pub fn threshold(&mut self) -> Option<f64> {
        self.truncate();
        (self.items.len() == self.k).then(|| self.items[self.k - 1].value)
    }

    /// The best `k`, best first.
    pub fn into_sorted(mut self) -> Vec<Scored<C>> {
        self.truncate();
        self.items
    }
}

/// Candidates drawn from one generator and handled by one thread at a time.
const BLOCK: u64 = 4_096;

/// One thread's buffers: lowering and WL hashing reuse them from candidate to candidate.
#[derive(Default)]
struct Scratch {
    graph: FlatGraph,
    wl: WlScratch,
    features: Features,
}

impl Scratch {
    /// WL features of `cell` into `self.features`.
    fn features<S: Space>(&mut self, space: &S, cell: &S::Cell, cfg: &WlConfig) {
        space.lower_flat(cell, &mut self.graph);
        self.wl.features_into(&self.graph, cfg, &mut self.features);
    }
}

/// Candidates `b0..b1` of the stream (a sampled block has its own generator, so blocks
/// can be drawn in parallel and in any order).
fn block_cells<S: Sampler>(
    space: &S,
    source: &Candidates<S::Cell>,
    all: &[S::Cell],
    b0: u64,
    b1: u64,
) -> Vec<S::Cell> {
    match source {
        Candidates::Sample { seed, .. } => {
            // The counter-based stream where the space has one (what the device pipeline
            // draws), else one generator per block.
            if let Some(first) = space.sample_at(*seed, b0) {
                return std::iter::once(first)
                    .chain((b0 + 1..b1).filter_map(|i| space.sample_at(*seed, i)))
                    .collect();
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
                seed ^ (b0 / BLOCK).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            );
            (b0..b1).map(|_| space.sample(&mut rng)).collect()
        }
        _ => all[b0 as usize..b1 as usize].to_vec(),
    }
}

/// How scoring runs.
#[derive(Clone, Debug)]
pub struct ScoreConfig {
    /// Acquisition function.
    pub acquisition: Acquisition,
    /// How many of the best to keep.
    pub top: usize,
    /// Candidates per chunk.
    pub chunk: usize,
    /// Only the stream positions `start..end` (a shard of the stream; `None`: all). A
    /// sampled stream's shard starts at a multiple of [`SAMPLE_BLOCK`], so that shards
    /// scored apart and merged give exactly the whole stream's top-k.
    pub range: Option<(u64, u64)>,
}

/// Candidates of a sampled stream drawn from one generator: shard boundaries are
/// multiples of it.
pub const SAMPLE_BLOCK: u64 = BLOCK;

/// `shards` contiguous ranges covering stream positions `0..total`, each starting at a
/// multiple of [`SAMPLE_BLOCK`] (some are empty when `total` is small).
pub fn shard_ranges(total: u64, shards: u64) -> Vec<(u64, u64)> {
    let shards = shards.max(1);
    let blocks = total.div_ceil(BLOCK);
    (0..shards)
        .map(|i| {
            let b0 = blocks * i / shards;
            let b1 = blocks * (i + 1) / shards;
            ((b0 * BLOCK).min(total), (b1 * BLOCK).min(total))
        })
        .collect()
}

/// What a scoring run produced.
pub struct ScoreResult<C> {
    /// The best candidates, best first.
    pub top: Vec<Scored<C>>,
    /// Candidates scored (excluded ones not counted).
    pub scored: u64,
}

/// How each candidate's posterior is computed.
#[derive(Clone, Copy)]
pub enum Posterior<'a> {
    /// The function-space reference: O(n^2) per candidate.
    FunctionSpace,
    /// The weight-space form on the CPU, with bound pruning: exact.
    WeightSpace(&'a WeightSpace),
    /// The weight-space form on the GPU: f32 upper bounds of the acquisition, and the
    /// candidates whose bound reaches the exact k-th value re-scored in f64: exact.
    Gpu(&'a WeightSpace, &'a GpuScore),
    /// The device-resident pipeline: the GPU also draws, lowers and hashes the candidates
    /// (edge-cell spaces, whole NB201 or sampled streams); pruned by bounds and re-scored
    /// in f64 as with `Gpu`: exact.
    Device(&'a WeightSpace, &'a DevicePipeline),
}

/// A candidate stream: where candidates come from, which to skip, how to featurise them.
struct Stream<'a, S: Sampler> {
    space: &'a S,
    source: &'a Candidates<S::Cell>,
    /// The listed candidates (empty for a sampled stream).
    all: Vec<S::Cell>,
    /// The excluded cells, re-hashed with FxHash (SipHash cost 3% of a DARTS run).
    exclude: HashSet<&'a S::Cell, rustc_hash::FxBuildHasher>,
    wl_cfg: WlConfig,
}

impl<'a, S: Sampler> Stream<'a, S> {
    /// The stream of a source without `exclude`, and how many candidates it holds
    /// (excluded ones included); an error for a space too large to enumerate or an empty
    /// source.
    fn new(
        space: &'a S,
        source: &'a Candidates<S::Cell>,
        exclude: &'a HashSet<S::Cell>,
        wl_cfg: WlConfig,
    ) -> Result<(Self, u64)> {
        let all: Vec<S::Cell> = match source {
            Candidates::All => space.enumerate().ok_or_else(|| {
                Error::Config(format!(
                    "the {} space is too large to enumerate; sample from it instead",
                    space.name()
                ))
            })?,
            Candidates::Sample { .. } => Vec::new(),
            Candidates::Mutations(parents) => {
                parents.iter().flat_map(|p| space.neighbours(p)).collect()
            }
            Candidates::List(cells) => cells.clone(),
        };
        let total = match source {
            Candidates::Sample { n, .. } => *n,
            _ => all.len() as u64,
        };
        if total == 0 {
            return Err(Error::Empty("no candidates to score".into()));
        }
        let stream = Stream {
            space,
            source,
            all,
            exclude: exclude.iter().collect(),
            wl_cfg,
        };
        Ok((stream, total))
    }
}

impl<S: Sampler> Stream<'_, S> {
    /// Candidates `start..start + len`, in blocks handled in parallel: each candidate not
    /// excluded goes through `each` with its thread's scratch buffers (already holding its
    /// WL features). Returns how many were not excluded and what `each` kept, in order.
    fn chunk<T: Send>(
        &self,
        start: u64,
        len: u64,
        each: impl Fn(&mut Scratch, u64, S::Cell) -> Option<T> + Sync,
    ) -> (u64, Vec<T>) {
        let blocks: Vec<u64> = (start..start + len).step_by(BLOCK as usize).collect();
        let parts: Vec<(u64, Vec<T>)> = blocks
            .par_iter()
            .map_init(Scratch::default, |scratch, &b0| {
                let b1 = (b0 + BLOCK).min(start + len);
                let mut n = 0;
                let mut out = Vec::new();
                let cells = block_cells(self.space, self.source, &self.all, b0, b1);
                for (index, cell) in (b0..b1).zip(cells) {
                    if self.exclude.contains(&cell) {
                        continue;
                    }
                    n += 1;
                    scratch.features(self.space, &cell, &self.wl_cfg);
                    out.extend(each(scratch, index, cell));
                }
                (n, out)
            })
            .collect();
        let n = parts.iter().map(|p| p.0).sum();
        (n, parts.into_iter().flat_map(|p| p.1).collect())
    }
}

/// Scores a stream of candidates by any function of their WL features and cell (an acquisition
/// that combines several posteriors, such as expected hypervolume improvement), in
/// constant memory, skipping `exclude`; the `top` best by value, ties by stream order.
pub fn score_by<S: Sampler>(
    space: &S,
    source: &Candidates<S::Cell>,
    exclude: &HashSet<S::Cell>,
    wl_cfg: WlConfig,
    top: usize,
    value: impl Fn(&Features, &S::Cell) -> f64 + Sync,
) -> Result<ScoreResult<S::Cell>> {
    let (stream, total) = Stream::new(space, source, exclude, wl_cfg)?;
    let mut best = TopK::new(top.max(1));
    let (mut scored, mut start) = (0u64, 0u64);
    while start < total {
        let len = (total - start).min(16 * BLOCK);
        let (n, got) = stream.chunk(start, len, |scratch, index, cell| {
            let v = value(&scratch.features, &cell);
            Some(Scored {
                cell,
                index,
                prediction: Prediction { mean: v, std: 0.0 },
                value: v,
            })
        });
        scored += n;
        best.extend(got);
        start += len;
    }
    Ok(ScoreResult {
        top: best.into_sorted(),
        scored,
    })
}

/// Scores a stream of candidates with a fitted GP, skipping `exclude` (already evaluated).
/// An iterative fit scores the pool with the low-rank upper bound of the std, keeps a
/// shortlist of [`SHORTLIST`] times the top (at least 64), and ranks it again by the
/// exact posterior: the reported top has exact means and stds.
pub fn score<S: Sampler>(
    space: &S,
    gp: &Gp,
    source: &Candidates<S::Cell>,
    exclude: &HashSet<S::Cell>,
    posterior: Posterior,
    cfg: &ScoreConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScoreResult<S::Cell>> {
    if gp.krylov().is_none() || cfg.top == 0 {
        return score_bounded(space, gp, source, exclude, posterior, cfg, progress);
    }
    let wide = ScoreConfig {
        top: (cfg.top * SHORTLIST).max(64),
        ..cfg.clone()
    };
    let mut r = score_bounded(space, gp, source, exclude, posterior, &wide, progress)?;
    let wl_cfg = gp.wl_config();
    let feats: Vec<Features> = r
        .top
        .par_iter()
        .map(|s| wl::features(&space.lower(&s.cell), &wl_cfg))
        .collect();
    let best = gp.best_latent();
    for (s, p) in r.top.iter_mut().zip(gp.predict_features(&feats)) {
        if !p.std.is_finite() {
            return Err(Error::Value(
                "the exact variance of a shortlisted candidate did not converge".into(),
            ));
        }
        s.prediction = p;
        s.value = cfg.acquisition.value(p, best);
    }
    r.top.sort_by(better);
    r.top.truncate(cfg.top);
    Ok(r)
}

/// How many times the requested top an iterative fit's pool scoring shortlists for the
/// exact posterior.
pub const SHORTLIST: usize = 8;

/// [`score`] with the posterior as `posterior` gives it (for an iterative fit, the
/// low-rank bound).
fn score_bounded<S: Sampler>(
    space: &S,
    gp: &Gp,
    source: &Candidates<S::Cell>,
    exclude: &HashSet<S::Cell>,
    posterior: Posterior,
    cfg: &ScoreConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScoreResult<S::Cell>> {
    if cfg.top == 0 {
        return Err(Error::Config("--top must be at least 1".into()));
    }
    // Whole blocks per chunk: the sampled stream is then the same whatever the chunk size.
    let chunk = (cfg.chunk.max(1) as u64).div_ceil(BLOCK) * BLOCK;
    let wl_cfg = gp.wl_config();
    let best = gp.best_latent();
    let acq = cfg.acquisition;
    let (stream, total) = Stream::new(space, source, exclude, wl_cfg)?;
    let (first, total) = match cfg.range {
        None => (0, total),
        Some((a, b)) => {
            if a > b || b > total {
                return Err(Error::Config(format!(
                    "shard {a}..{b} is outside the {total} candidates"
                )));
            }
            if a % BLOCK != 0 && matches!(source, Candidates::Sample { .. }) {
                return Err(Error::Config(format!(
                    "a shard of a sampled stream starts at a multiple of {BLOCK}, not {a}"
                )));
            }
            (a, b)
        }
    };
    let scored_as = |cell, index, p: Prediction| Scored {
        cell,
        index,
        value: acq.value(p, best),
        prediction: p,
    };
    // The first chunk is one block, so pruning has a threshold after 4,096 candidates
    // rather than after a whole chunk scored in full.
    let chunk_of = |start: u64| (total - start).min(if start == first { BLOCK } else { chunk });
    if let Posterior::Device(ws, dev) = posterior {
        return score_on_device(&stream, ws, dev, (first, total), cfg, best, progress);
    }
    if let Posterior::Gpu(ws, gpu) = posterior {
        return score_host_prepared(
            &stream,
            ws,
            gpu,
            (first, total),
            chunk_of,
            cfg,
            best,
            progress,
        );
    }
    let mut scored = 0u64;
    let mut start = first;
    let mut top = TopK::new(cfg.top);
    while start < total {
        let len = chunk_of(start);
        // With the weight-space form, a candidate whose upper bound (exact mean, prior
        // std) cannot beat the current k-th best is not worth its quadratic form: the
        // result is exactly the same, for a fraction of the work.
        let threshold = if acq.grows_with_std() {
            top.threshold()
        } else {
            None
        };
        let keep = |bound: Prediction| threshold.is_none_or(|t| acq.value(bound, best) >= t);
        let (n, batch) = match posterior {
            Posterior::WeightSpace(ws) => stream.chunk(start, len, |s, i, c| {
                ws.predict_if(&s.features, keep).map(|p| scored_as(c, i, p))
            }),
            _ => {
                let (n, feats) =
                    stream.chunk(start, len, |s, i, c| Some((i, c, s.features.clone())));
                let preds =
                    gp.predict_features(&feats.iter().map(|f| f.2.clone()).collect::<Vec<_>>());
                let batch = feats
                    .into_iter()
                    .zip(preds)
                    .map(|((i, c, _), p)| scored_as(c, i, p))
                    .collect();
                (n, batch)
            }
        };
        scored += n;
        top.extend(batch);
        start += len;
        progress(start);
    }
    Ok(ScoreResult {
        top: top.into_sorted(),
        scored,
    })
}

/// The host-prepared GPU path: the CPU builds each candidate's seen features and exact
/// mean, skipping those whose exact bound (prior std) cannot reach the k-th value so far;
/// the GPU bounds the rest's acquisition from above while the CPU prepares the next
/// chunk, and the candidates whose bound reaches the k-th value are re-scored in f64. The
/// top-k is the CPU's exactly.
#[allow(clippy::too_many_arguments)]
fn score_host_prepared<S: Sampler>(
    stream: &Stream<'_, S>,
    ws: &WeightSpace,
    gpu: &GpuScore,
    (first, total): (u64, u64),
    chunk_of: impl Fn(u64) -> u64,
    cfg: &ScoreConfig,
    best: f64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScoreResult<S::Cell>> {
    let acq = cfg.acquisition;
    let mut top = TopK::new(cfg.top);
    // A submitted chunk and its `(cell, stream position)` pairs.
    type InFlight<C> = Option<(Pending, Vec<(C, u64)>)>;
    let mut pending: InFlight<S::Cell> = None;
    let drain = |pending: InFlight<S::Cell>, top: &mut TopK<S::Cell>| {
        let Some((p, cells)) = pending else {
            return Ok(());
        };
        let bounds = gpu.finish(p)?;
        let threshold = top.threshold().and_then(|t| device_threshold(acq, t));
        let kept = cells
            .into_iter()
            .zip(bounds)
            .filter(|(_, b)| threshold.is_none_or(|t| b[1] >= t))
            .map(|(c, _)| c)
            .collect();
        top.extend(rescore(stream, ws, cfg, best, kept));
        Ok::<(), Error>(())
    };
    let (mut scored, mut start) = (0u64, first);
    while start < total {
        let len = chunk_of(start);
        // Until k are held, the previous chunk is read back first (no overlap), so that
        // only the first chunk goes unpruned.
        if acq.grows_with_std() && top.threshold().is_none() {
            drain(pending.take(), &mut top)?;
        }
        let threshold = acq.grows_with_std().then(|| top.threshold()).flatten();
        let (n, prepared) = stream.chunk(start, len, |s, i, c| {
            let (seen, mean, total) = ws.seen(&s.features);
            let prior = Prediction {
                mean,
                std: (ws.signal() * total).sqrt(),
            };
            let keep = threshold.is_none_or(|t| acq.value(prior, best) >= t);
            keep.then_some((i, c, (seen, mean, total)))
        });
        let mut batch = Batch::default();
        let mut cells = Vec::with_capacity(prepared.len());
        for (i, c, (seen, mean, total)) in prepared {
            batch.push(&seen, mean, total);
            cells.push((c, i));
        }
        drain(pending.take(), &mut top)?;
        if !batch.is_empty() {
            pending = Some((gpu.submit(&batch, acq, best)?, cells));
        }
        scored += n;
        start += len;
        progress(start);
    }
    drain(pending.take(), &mut top)?;
    Ok(ScoreResult {
        top: top.into_sorted(),
        scored,
    })
}

/// The device-resident path: the device draws, builds and scores positions `range`,
/// bounding each acquisition from above; the candidates whose bound reaches the exact
/// k-th value so far are re-scored here in f64 (cells regenerated by their CPU twins),
/// and that value is the next chunk's threshold. The top-k is the CPU's exactly.
fn score_on_device<S: Sampler>(
    stream: &Stream<'_, S>,
    ws: &WeightSpace,
    dev: &DevicePipeline,
    range: (u64, u64),
    cfg: &ScoreConfig,
    best: f64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScoreResult<S::Cell>> {
    let space = stream.space;
    if space.device_space().as_ref() != Some(dev.space()) {
        return Err(Error::Config(format!(
            "the device pipeline was built for another space than {}",
            space.name()
        )));
    }
    let device_stream = match stream.source {
        Candidates::All => DeviceStream::Enumerate,
        Candidates::Sample { seed, .. } => DeviceStream::Counter { seed: *seed },
        _ => {
            return Err(Error::Config(
                "the device pipeline scores a whole space or a sampled stream".into(),
            ))
        }
    };
    let exclude: Vec<[u32; 4]> = stream
        .exclude
        .iter()
        .filter_map(|c| space.device_code(c))
        .collect();
    let query = DeviceQuery {
        stream: device_stream,
        range,
        exclude: &exclude,
        acquisition: cfg.acquisition,
        best,
    };
    let cell_at = |position: u64| match device_stream {
        DeviceStream::Enumerate => stream.all[position as usize].clone(),
        DeviceStream::Counter { seed } => space
            .sample_at(seed, position)
            .expect("spaces with a device pipeline sample by counter"),
    };
    let mut top = TopK::new(cfg.top);
    let scored = dev.shortlist(
        &query,
        &mut |hits| {
            let cells: Vec<(S::Cell, u64)> = hits
                .par_iter()
                .map(|h| (cell_at(h.position), h.position))
                .collect();
            top.extend(rescore(stream, ws, cfg, best, cells));
            top.threshold()
        },
        progress,
    )?;
    Ok(ScoreResult {
        top: top.into_sorted(),
        scored,
    })
}

/// `(cell, stream position)` pairs re-scored exactly in f64 on the CPU (in parallel: a
/// device chunk can hand over thousands); the caller's [`TopK`] keeps the best.
fn rescore<S: Sampler>(
    stream: &Stream<'_, S>,
    ws: &WeightSpace,
    cfg: &ScoreConfig,
    best: f64,
    cells: Vec<(S::Cell, u64)>,
) -> Vec<Scored<S::Cell>> {
    cells
        .into_par_iter()
        .map_init(Scratch::default, |scratch, (cell, index)| {
            scratch.features(stream.space, &cell, &stream.wl_cfg);
            let p = ws.predict(&scratch.features);
            Scored {
                cell,
                index,
                value: cfg.acquisition.value(p, best),
                prediction: p,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_equals_a_full_sort() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        use rand::Rng;
        let items: Vec<Scored<u32>> = (0..10_000u64)
            .map(|i| Scored {
                cell: i as u32,
                index: i,
                prediction: Prediction {
                    mean: 0.0,
                    std: 0.0,
                },
                // Many ties, so the tie-break by index matters.
                value: (rng.gen_range(0..500) as f64) / 7.0,
            })
            .collect();
        let mut full = items.clone();
        full.sort_by(better);
        for k in [1, 7, 100, 10_000, 20_000] {
            let mut t = TopK::new(k);
            for c in items.chunks(333) {
                t.extend(c.iter().cloned());
            }
            let got: Vec<u64> = t.into_sorted().iter().map(|s| s.index).collect();
            let want: Vec<u64> = full.iter().take(k).map(|s| s.index).collect();
            assert_eq!(got, want, "k={k}");
        }
    }
}

#[cfg(test)]
mod pipeline_tests {
    use super::*;
    use crate::bench_data::dataset;
    use crate::gp::{GpConfig, Transform};
    use crate::search::TableObjective;
    use crate::space::{Nb201Space, Space};

    #[test]
    fn pruned_weight_space_scoring_equals_exhaustive_function_space() {
        let s = Nb201Space::default();
        let mut obj = TableObjective::new(dataset("nb201").unwrap(), "baseline_accuracy").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let train: Vec<_> = (0..150).map(|_| s.sample(&mut rng)).collect();
        let y: Vec<f64> = train
            .iter()
            .map(|c| crate::search::Objective::evaluate(&mut obj, &s, c).unwrap())
            .collect();
        let archs: Vec<_> = train.iter().map(|c| s.lower(c)).collect();
        let cfg = GpConfig {
            transform: Transform::NegLogError { scale: 100.0 },
            ..Default::default()
        };
        let gp = Gp::fit(&archs, &y, &cfg).unwrap();
        let ws = WeightSpace::new(&gp).unwrap();
        let exclude: HashSet<_> = train.iter().cloned().collect();
        for acq in [
            Acquisition::Ei,
            Acquisition::Ucb { beta: 2.0 },
            Acquisition::Pi,
        ] {
            let c = ScoreConfig {
                acquisition: acq,
                top: 20,
                chunk: 1_000,
                range: None,
            };
            let run = |p| score(&s, &gp, &Candidates::All, &exclude, p, &c, &|_| {}).unwrap();
            let fast = run(Posterior::WeightSpace(&ws));
            let slow = run(Posterior::FunctionSpace);
            assert_eq!(fast.scored, slow.scored);
            let a: Vec<_> = fast.top.iter().map(|t| t.cell).collect();
            let b: Vec<_> = slow.top.iter().map(|t| t.cell).collect();
            // Rounding differs between the two forms only in the last bits; ranks agree.
            assert_eq!(a, b, "{acq:?}");
            for (x, y) in fast.top.iter().zip(&slow.top) {
                assert!((x.value - y.value).abs() <= 1e-9 * y.value.abs().max(1e-6));
            }
        }
    }
}
