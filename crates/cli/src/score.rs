//! `wlgp score`: fit on evaluated architectures, then score a large candidate pool and
//! print the best by acquisition.

use super::training::{TrainArgs, Training};
use super::SurrogateArgs;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::HashSet;
use std::time::Instant;
use wlgp::acquisition::AcquisitionChoice;
use wlgp::error::{Error, Result};
use wlgp::gp::Gp;
use wlgp::gpu::DeviceChoice;
use wlgp::score::{self, Candidates, GpuScorer, ScoreConfig};
use wlgp::space::Sampler;

#[derive(Args, Debug)]
pub(crate) struct ScoreArgs {
    #[command(flatten)]
    data: TrainArgs,
    /// Candidates: a number to sample (with replacement), or `all` for a finite space.
    #[arg(long, default_value = "all")]
    candidates: String,
    /// Acquisition function.
    #[arg(long, value_parser = crate::named::<AcquisitionChoice>(), default_value_t = AcquisitionChoice::Ei)]
    acquisition: AcquisitionChoice,
    /// How many of the best candidates to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Candidates per chunk (memory is bounded by this, not by --candidates).
    #[arg(long, default_value_t = 65_536)]
    chunk: usize,
    #[command(flatten)]
    surrogate: SurrogateArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct TopRow {
    rank: usize,
    arch: String,
    mean: f64,
    std: f64,
    acquisition: f64,
}

#[derive(Serialize)]
struct Report {
    space: String,
    training: usize,
    h: usize,
    /// What the training values were taken to be.
    values: wlgp::values::Values,
    /// The GP's target transform, as a formula of the value v.
    transform: String,
    candidates: u64,
    seconds: f64,
    /// Building the weight-space posterior (once per fit; not in `seconds`).
    posterior_build_seconds: f64,
    candidates_per_second: f64,
    device: String,
    /// Where candidates are built: `cpu`, `host-prepared` (the CPU builds, the GPU
    /// computes posteriors) or `device-resident` (the GPU does everything).
    pipeline: &'static str,
    posterior: &'static str,
    /// Distinct WL features among the training architectures (|S|).
    seen_features: usize,
    top: Vec<TopRow>,
}

fn run<S: Sampler>(
    space: &S,
    t: Training<S::Cell>,
    a: &ScoreArgs,
    device: DeviceChoice,
) -> Result<Report> {
    let (cfg, resolved) = a.surrogate.fit_config(&t)?;
    let archs: Vec<_> = t.cells.iter().map(|c| space.lower(c)).collect();
    let gp = Gp::fit(&archs, &t.values, &cfg)?;
    let source = match a.candidates.as_str() {
        "all" => Candidates::All,
        n => Candidates::Sample {
            n: n.parse().map_err(|_| {
                Error::Config(format!("--candidates `{n}`: expected a number or `all`"))
            })?,
            seed: a.data.seed,
        },
    };
    let exclude: HashSet<S::Cell> = t.cells.iter().cloned().collect();
    let total = match &source {
        Candidates::Sample { n, .. } => *n,
        _ => space.size().unwrap_or(0) as u64,
    };
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} scoring [{bar:30}] {human_pos}/{human_len} {per_sec} {elapsed_precise}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let t0 = Instant::now();
    // The posterior's form follows the work asked: a few candidates are scored in function
    // space sooner than the weight space is built.
    let ws = score::weight_space_for(&gp, device, source.work(space));
    let gpu = GpuScorer::choose(device, ws.as_ref(), space, &gp, &source)?;
    let build = t0.elapsed().as_secs_f64();
    let posterior = score::posterior(ws.as_ref(), gpu.as_ref());
    let t0 = Instant::now();
    let res = score::score(
        space,
        &gp,
        &source,
        &exclude,
        posterior,
        &ScoreConfig {
            acquisition: a.acquisition.scoring()?,
            top: a.top,
            chunk: a.chunk,
            range: None,
        },
        &|done| pb.set_position(done),
    )?;
    pb.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();
    Ok(Report {
        space: space.name().to_string(),
        training: t.cells.len(),
        h: gp.wl_config().h,
        candidates: res.scored,
        seconds: secs,
        posterior_build_seconds: build,
        values: resolved.values,
        transform: resolved.transform.formula(),
        candidates_per_second: res.scored as f64 / secs.max(1e-12),
        device: match &gpu {
            Some(g) => g.device_name(),
            None => "cpu".into(),
        },
        pipeline: gpu.as_ref().map_or("cpu", GpuScorer::pipeline),
        posterior: match &ws {
            Some(w) if w.is_dense() => "weight-space (dense |S|x|S|)",
            Some(_) => "weight-space (n x |S| factor)",
            None => "function-space",
        },
        seen_features: ws.as_ref().map_or(0, |w| w.seen_features()),
        top: res
            .top
            .iter()
            .enumerate()
            .map(|(i, s)| TopRow {
                rank: i + 1,
                arch: space.format(&s.cell),
                mean: gp.to_original(s.prediction.mean),
                std: gp.std_to_original(s.prediction.mean, s.prediction.std),
                acquisition: s.value,
            })
            .collect(),
    })
}

pub(crate) fn score(a: &ScoreArgs, device: DeviceChoice) -> Result<()> {
    let space = a.data.sampler(a.surrogate.skip.as_wire())?;
    let r = run(&space, a.data.load(&space)?, a, device)?;
    if a.json {
        return super::out(&(serde_json::to_string(&r).expect("plain data") + "\n"));
    }
    let mut s = format!(
        "{} candidates scored in {:.3} s ({:.3e}/s, {} posterior built in {:.3} s, |S| = {}, h = {}, {} training points as {} modelled as {}, {})\n| rank | arch | mean | std | acquisition |\n|---|---|---|---|---|\n",
        r.candidates, r.seconds, r.candidates_per_second, r.posterior, r.posterior_build_seconds, r.seen_features, r.h, r.training, r.values, r.transform, r.device
    );
    for t in &r.top {
        s += &format!(
            "| {} | {} | {:.4} | {:.4} | {:.4e} |\n",
            t.rank, t.arch, t.mean, t.std, t.acquisition
        );
    }
    super::out(&s)
}
