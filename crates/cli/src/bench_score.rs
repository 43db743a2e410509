//! `wlgp bench` rows for candidate scoring: function-space vs weight-space posterior at
//! several training sizes on real NB201 data, and end-to-end candidates/s (sampling,
//! lowering, WL, posterior, acquisition, top-k) for NB201 and DARTS on CPU and GPU.

use super::bench_row::{best_of, Row};
use rand::SeedableRng;
use std::collections::HashSet;
use std::sync::Arc;
use wlgp::acquisition::Acquisition;
use wlgp::bench_data::{timing_gp_darts, timing_gp_nb201};
use wlgp::error::Result;
use wlgp::gp::{Gp, WeightSpace};
use wlgp::gpu::{DevicePipeline, GpuContext, GpuScore};
use wlgp::score::{score, Candidates, Posterior, ScoreConfig};
use wlgp::space::{AnyCell, AnySampler, DartsSpace, Nb201Space, Sampler, Space};
use wlgp::wl;

/// Function space vs weight space at each training size, then end to end.
pub(crate) fn rows(
    sizes: &[usize],
    end_sizes: &[usize],
    candidates: u64,
    repeats: usize,
    gpu: Option<&Arc<GpuContext>>,
    concrete: bool,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let s = Nb201Space::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for &n in sizes {
        let (gp, _) = timing_gp_nb201(n, 1)?;
        let ws = WeightSpace::new(&gp).expect("dot kernel");
        // The function-space path costs O(n^2) per candidate: fewer candidates at large n.
        let m = (2_000_000 / (n * n / 100).max(1)).clamp(50, 10_000);
        let cand: Vec<_> = (0..10_000).map(|_| s.lower(&s.sample(&mut rng))).collect();
        let feats = wl::features_batch(&cand, &gp.wl_config());
        let few = &feats[..m];
        for (engine, items, secs) in [
            (
                "function space, CPU",
                m,
                best_of(repeats, || Ok(gp.predict_features(few)))?,
            ),
            (
                "weight space, CPU",
                feats.len(),
                best_of(repeats, || {
                    Ok(feats.iter().map(|f| ws.predict(f)).collect::<Vec<_>>())
                })?,
            ),
        ] {
            rows.push(Row::new(
                format!("posterior, n = {n}"),
                "nb201",
                engine.into(),
                items as u64,
                secs,
                "candidates/s",
            ));
        }
    }
    let d = DartsSpace::default();
    let run = Run {
        candidates,
        repeats,
        gpu,
        concrete,
    };
    for &n in end_sizes {
        let (gp, train) = timing_gp_nb201(n, 2)?;
        let any = AnySampler::Nb201(s.clone());
        rows.extend(run.rows(
            &s,
            &any,
            AnyCell::Nb201,
            ["nb201", "nb201, concrete type"],
            &gp,
            &train,
        )?);
        if n == 1_000 {
            rows.push(ehvi_row(&s, &train, candidates, repeats)?);
        }
        let (gp, train) = timing_gp_darts(n, 3)?;
        let any = AnySampler::Darts(d.clone());
        rows.extend(run.rows(
            &d,
            &any,
            AnyCell::Darts,
            ["darts", "darts, concrete type"],
            &gp,
            &train,
        )?);
    }
    Ok(rows)
}

/// How the end-to-end rows run.
struct Run<'a> {
    candidates: u64,
    repeats: usize,
    gpu: Option<&'a Arc<GpuContext>>,
    /// Also time the concrete type (CPU), beside the run-time space.
    concrete: bool,
}

impl Run<'_> {
    /// End to end on the space chosen at run time (`AnySampler`, what `wlgp score` runs)
    /// on every engine; with `concrete`, the concrete type on the CPU too: the enum's
    /// cost, same run.
    fn rows<S: Sampler>(
        &self,
        space: &S,
        any: &AnySampler,
        wrap: fn(S::Cell) -> AnyCell,
        [name, concrete_name]: [&'static str; 2],
        gp: &Gp,
        train: &[S::Cell],
    ) -> Result<Vec<Row>> {
        let wrapped: Vec<AnyCell> = train.iter().cloned().map(wrap).collect();
        let (c, r) = (self.candidates, self.repeats);
        let mut rows = end_to_end(any, name, gp, &wrapped, c, r, self.gpu)?;
        if self.concrete {
            rows.extend(end_to_end(space, concrete_name, gp, train, c, r, None)?);
        }
        Ok(rows)
    }
}

pub(crate) fn end_to_end<S: Sampler>(
    space: &S,
    name: &'static str,
    gp: &Gp,
    train: &[S::Cell],
    candidates: u64,
    repeats: usize,
    gpu: Option<&Arc<GpuContext>>,
) -> Result<Vec<Row>> {
    // The posterior's form as `wlgp score` chooses it for this many candidates (a pool
    // too small to pay for any weight space, as in the tests' tiny runs, gets the default
    // one: the rows time the weight-space engines).
    let ws = wlgp::score::weight_space_for(gp, wlgp::gpu::DeviceChoice::Cpu, candidates)
        .or_else(|| WeightSpace::new(gp))
        .expect("dot kernel");
    let exclude: HashSet<S::Cell> = train.iter().cloned().collect();
    let cfg = ScoreConfig {
        acquisition: Acquisition::Ei,
        top: 10,
        chunk: 65_536,
        range: None,
    };
    let src = Candidates::Sample {
        n: candidates,
        seed: 11,
    };
    let threads = rayon::current_num_threads();
    let prepared = gpu.map(|ctx| GpuScore::new(ctx, &ws)).transpose()?;
    let resident = match (gpu, space.device_space()) {
        (Some(ctx), Some(ds)) => Some(DevicePipeline::new(ctx, &ws, ds, gp.wl_config())?),
        _ => None,
    };
    let mut engines = vec![(
        format!("cpu, {threads} threads"),
        Posterior::WeightSpace(&ws),
    )];
    if let Some(g) = &prepared {
        engines.push((
            format!("{}, host-prepared", g.device_name()),
            Posterior::Gpu(&ws, g),
        ));
    }
    if let Some(p) = &resident {
        engines.push((
            format!("{}, device-resident", p.device_name()),
            Posterior::Device(&ws, p),
        ));
    }
    let mut rows = Vec::new();
    for (engine, post) in engines {
        let mut scored = 0;
        let secs = best_of(repeats, || {
            scored = score(space, gp, &src, &exclude, post, &cfg, &|_| {})?.scored;
            Ok(())
        })?;
        rows.push(Row::new(
            format!("end to end, n = {}, EI, top 10", train.len()),
            name,
            engine,
            scored,
            secs,
            "candidates/s",
        ));
    }
    Ok(rows)
}

/// Expected hypervolume improvement of two modelled objectives (AnalogNAS-Bench's
/// baseline and analog-hardware accuracy, each with its own GP on the same 1,000 cells)
/// over a sampled NB201 stream: the multi-objective counterpart of the EI row.
fn ehvi_row(space: &Nb201Space, train: &[[u8; 6]], candidates: u64, repeats: usize) -> Result<Row> {
    use wlgp::pareto::{bounds, ehvi_2d, non_dominated, normalise};
    use wlgp::search::{Objective, TableObjective};
    let d = wlgp::bench_data::dataset("nb201")?;
    let archs: Vec<_> = train.iter().map(|c| space.lower(c)).collect();
    let mut gps = Vec::new();
    let mut ys = Vec::new();
    for metric in ["baseline_accuracy", "analog_accuracy"] {
        let mut obj = TableObjective::new(d, metric)?;
        let y: Vec<f64> = train
            .iter()
            .map(|c| obj.evaluate(space, c))
            .collect::<Result<_>>()?;
        let cfg = wlgp::gp::GpConfig {
            transform: wlgp::values::Values::AccuracyPercent.transform(),
            ..Default::default()
        };
        gps.push(Gp::fit(&archs, &y, &cfg)?);
        ys.push(y);
    }
    let ws: Vec<WeightSpace> = gps
        .iter()
        .map(|g| WeightSpace::new(g).expect("dot kernel"))
        .collect();
    let points: Vec<Vec<f64>> = (0..train.len()).map(|i| vec![ys[0][i], ys[1][i]]).collect();
    let (lo, hi) = bounds(&points);
    let front: Vec<Vec<f64>> = non_dominated(&points)
        .into_iter()
        .map(|i| normalise(&points[i], &lo, &hi))
        .collect();
    let span: Vec<f64> = lo
        .iter()
        .zip(&hi)
        .map(|(l, h)| (h - l).max(1e-12))
        .collect();
    let reference = [-0.1, -0.1];
    let value = |f: &wl::Features, _: &[u8; 6]| {
        let (mut m, mut sd) = ([0.0; 2], [0.0; 2]);
        for k in 0..2 {
            let p = ws[k].predict(f);
            m[k] = (gps[k].to_original(p.mean) - lo[k]) / span[k];
            sd[k] = gps[k].std_to_original(p.mean, p.std) / span[k];
        }
        ehvi_2d(&front, &reference, &m, &sd)
    };
    let exclude: HashSet<[u8; 6]> = train.iter().cloned().collect();
    let src = Candidates::Sample {
        n: candidates,
        seed: 11,
    };
    let mut scored = 0;
    let secs = best_of(repeats, || {
        scored =
            wlgp::score::score_by(space, &src, &exclude, gps[0].wl_config(), 10, value)?.scored;
        Ok(())
    })?;
    let threads = rayon::current_num_threads();
    Ok(Row::new(
        format!("end to end, n = {}, EHVI of 2 GPs, top 10", train.len()),
        "nb201",
        format!("cpu, {threads} threads"),
        scored,
        secs,
        "candidates/s",
    ))
}
