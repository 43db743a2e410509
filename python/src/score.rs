//! `wlgp.score`: the streaming scorer over a fitted model, in constant memory.

use crate::errors::{parse_named, to_py};
use crate::model::PyModel;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashSet;
use wlgp::acquisition::AcquisitionChoice;
use wlgp::error::{Error, Result};
use wlgp::gp::Gp;
use wlgp::gpu::DeviceChoice;
use wlgp::score::{posterior, score, Candidates, GpuScorer, ScoreConfig};
use wlgp::space::AnySpace;
use wlgp::space::Sampler;

/// The top candidates of a run, in the user's units.
#[derive(Default)]
struct Top {
    archs: Vec<String>,
    index: Vec<u64>,
    acquisition: Vec<f64>,
    mean: Vec<f64>,
    std: Vec<f64>,
    scored: u64,
    /// The GPU's description, or `cpu`.
    device: String,
    /// `cpu`, `host-prepared` or `device-resident`.
    pipeline: &'static str,
}

/// What candidates to score: `"all"`, a number of uniform samples, or a list.
pub(crate) enum Source {
    All,
    /// `n` uniform samples from `seed`'s stream.
    Sample {
        n: u64,
        seed: u64,
    },
    List(Vec<String>),
}

fn run<S: Sampler>(
    space: &S,
    gp: &Gp,
    training: &[String],
    source: &Source,
    exclude_training: bool,
    cfg: &ScoreConfig,
    device: DeviceChoice,
) -> Result<Top> {
    let candidates = match source {
        Source::All => Candidates::All,
        Source::Sample { n, seed } => Candidates::Sample { n: *n, seed: *seed },
        Source::List(archs) => Candidates::List(
            archs
                .iter()
                .enumerate()
                .map(|(i, a)| space.parse(a).map_err(|e| wlgp::space::at(i, e)))
                .collect::<Result<_>>()?,
        ),
    };
    let exclude: HashSet<S::Cell> = if exclude_training {
        training
            .iter()
            .map(|a| space.parse(a))
            .collect::<Result<_>>()?
    } else {
        HashSet::new()
    };
    let ws = wlgp::score::weight_space_for(gp, device, candidates.work(space));
    let gpu = GpuScorer::choose(device, ws.as_ref(), space, gp, &candidates)?;
    let post = posterior(ws.as_ref(), gpu.as_ref());
    let r = score(space, gp, &candidates, &exclude, post, cfg, &|_| {})?;
    let mut top = Top {
        scored: r.scored,
        device: gpu.as_ref().map_or("cpu".into(), GpuScorer::device_name),
        pipeline: gpu.as_ref().map_or("cpu", GpuScorer::pipeline),
        ..Default::default()
    };
    for s in r.top {
        top.archs.push(space.format(&s.cell));
        top.index.push(s.index);
        top.acquisition.push(s.value);
        top.mean.push(gp.to_original(s.prediction.mean));
        top.std
            .push(gp.std_to_original(s.prediction.mean, s.prediction.std));
    }
    Ok(top)
}

/// Scores candidates by an acquisition function of the fitted model and returns the best
/// `top_k`: a dict of `archs` (list), `index` (stream positions, uint64), `acquisition`,
/// `mean`, `std` (float64, in the values' units), `scored` (how many were scored),
/// `device` and `pipeline` (where they were scored). `shard=(start, end)` scores only
/// those stream positions (see `wlgp.ray.score_sharded`); `device` is `cpu`, `gpu` or
/// `auto` (a hardware GPU if there is one), as the CLI's `--device`.
#[pyfunction]
#[pyo3(signature = (model, candidates, acquisition = "ei", top_k = 10, seed = 0, exclude_training = true, shard = None, chunk = 65536, device = "cpu"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn score_candidates<'py>(
    py: Python<'py>,
    model: &PyModel,
    candidates: &Bound<'py, PyAny>,
    acquisition: &str,
    top_k: usize,
    seed: u64,
    exclude_training: bool,
    shard: Option<(u64, u64)>,
    chunk: usize,
    device: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let device = parse_named::<DeviceChoice>("device", device).map_err(to_py)?;
    let source = if let Ok(s) = candidates.extract::<String>() {
        if s != "all" {
            return Err(to_py(Error::Config(format!(
                "candidates `{s}`: expected \"all\", a number, or a list of architectures"
            ))));
        }
        Source::All
    } else if let Ok(n) = candidates.extract::<u64>() {
        Source::Sample { n, seed }
    } else {
        Source::List(candidates.extract::<Vec<String>>().map_err(|_| {
            to_py(Error::Config(
                "candidates: expected \"all\", a number, or a list of architectures".into(),
            ))
        })?)
    };
    if top_k == 0 {
        return Err(to_py(Error::Config("top_k must be at least 1".into())));
    }
    let acq = parse_named::<AcquisitionChoice>("acquisition", acquisition)
        .and_then(AcquisitionChoice::scoring)
        .map_err(to_py)?;
    let cfg = ScoreConfig {
        acquisition: acq,
        top: top_k,
        chunk: chunk.max(1),
        range: shard,
    };
    let f = model.fitted().map_err(to_py)?;
    let space: &AnySpace = &model.space;
    let top = py
        .detach(|| {
            run(
                space.sampler()?,
                &f.gp,
                &f.archs,
                &source,
                exclude_training,
                &cfg,
                device,
            )
        })
        .map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("archs", top.archs)?;
    d.set_item("index", top.index.into_pyarray(py))?;
    d.set_item("acquisition", top.acquisition.into_pyarray(py))?;
    d.set_item("mean", top.mean.into_pyarray(py))?;
    d.set_item("std", top.std.into_pyarray(py))?;
    d.set_item("scored", top.scored)?;
    d.set_item("device", top.device)?;
    d.set_item("pipeline", top.pipeline)?;
    Ok(d)
}

/// What values named `name` are taken to be (`declared` wins; else inferred from the name
/// and the values, as the CLI does): `(values, maximize, transform formula, source)`.
#[pyfunction]
#[pyo3(signature = (name, ys, declared = None))]
pub(crate) fn resolve_values(
    name: &str,
    ys: Vec<f64>,
    declared: Option<&str>,
) -> PyResult<(String, bool, String, String)> {
    let spec = wlgp::values::ValuesSpec {
        declared: declared
            .map(|d| parse_named::<wlgp::values::Values>("values", d))
            .transpose()
            .map_err(to_py)?,
        name: name.to_string(),
        transform: wlgp::values::TransformChoice::Auto,
    };
    let r = spec.resolve(&ys).map_err(to_py)?;
    Ok((
        r.values.to_string(),
        r.values.maximize(),
        r.transform.formula(),
        r.source,
    ))
}

/// `shards` ranges of stream positions covering `0..total`, aligned so that shards
/// scored apart merge to exactly the whole stream's top-k.
#[pyfunction]
pub(crate) fn shard_ranges(total: u64, shards: u64) -> Vec<(u64, u64)> {
    wlgp::score::shard_ranges(total, shards)
}
