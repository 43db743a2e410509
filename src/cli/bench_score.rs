//! `wlgp bench` rows for candidate scoring: function-space vs weight-space posterior at
//! several training sizes on real NB201 data, and end-to-end candidates/s (sampling,
//! lowering, WL, posterior, acquisition, top-k) for NB201 and DARTS on CPU and GPU.

use super::bench::{best_of, Row};
use crate::acquisition::Acquisition;
use crate::bench_data::{timing_gp_darts, timing_gp_nb201};
use crate::error::Result;
use crate::gp::{Gp, WeightSpace};
use crate::gpu::{GpuContext, GpuScore};
use crate::score::{score, Candidates, Posterior, ScoreConfig};
use crate::space::{DartsSpace, Nb201Space, Sampler, Space};
use crate::wl;
use rand::SeedableRng;
use std::collections::HashSet;
use std::sync::Arc;

/// Function space vs weight space at each training size, then end to end.
pub(crate) fn rows(
    sizes: &[usize],
    candidates: u64,
    repeats: usize,
    gpu: Option<&Arc<GpuContext>>,
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
            rows.push(Row {
                task: format!("posterior, n = {n}"),
                space: "nb201",
                engine: engine.into(),
                items: items as u64,
                seconds: secs,
                per_second: items as f64 / secs,
                unit: "candidates/s",
            });
        }
    }
    let n = 1_000;
    let (gp, train) = timing_gp_nb201(n, 2)?;
    rows.extend(end_to_end(
        &s, "nb201", &gp, &train, candidates, repeats, gpu,
    )?);
    let d = DartsSpace::default();
    let (gp, train) = timing_gp_darts(n, 3)?;
    rows.extend(end_to_end(
        &d, "darts", &gp, &train, candidates, repeats, gpu,
    )?);
    Ok(rows)
}

fn end_to_end<S: Sampler>(
    space: &S,
    name: &'static str,
    gp: &Gp,
    train: &[S::Cell],
    candidates: u64,
    repeats: usize,
    gpu: Option<&Arc<GpuContext>>,
) -> Result<Vec<Row>> {
    let ws = WeightSpace::new(gp).expect("dot kernel");
    let exclude: HashSet<S::Cell> = train.iter().cloned().collect();
    let cfg = ScoreConfig {
        acquisition: Acquisition::Ei,
        top: 10,
        chunk: 65_536,
    };
    let src = Candidates::Sample {
        n: candidates,
        seed: 11,
    };
    let threads = rayon::current_num_threads();
    let mut engines = vec![(format!("cpu, {threads} threads"), None)];
    if let Some(ctx) = gpu {
        engines.push((ctx.describe(), Some(GpuScore::new(ctx, &ws)?)));
    }
    let mut rows = Vec::new();
    for (engine, g) in &engines {
        let post = match g {
            Some(g) => Posterior::Gpu(&ws, g),
            None => Posterior::WeightSpace(&ws),
        };
        let mut scored = 0;
        let secs = best_of(repeats, || {
            scored = score(space, gp, &src, &exclude, post, &cfg, &|_| {})?.scored;
            Ok(())
        })?;
        rows.push(Row {
            task: format!("end to end, n = {}, EI, top 10", train.len()),
            space: name,
            engine: engine.clone(),
            items: scored,
            seconds: secs,
            per_second: scored as f64 / secs,
            unit: "candidates/s",
        });
    }
    Ok(rows)
}
