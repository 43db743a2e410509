//! `wlgp bench --declared` rows: a declared space against the built-in space it restates
//! (the nb201 file against `--space nb201`: sampling, lowering and WL hashing, one
//! thread), and end-to-end scoring of the MobileNetV3 chain at n = 1,000.

use super::bench_row::{best_of, Row};
use rand::SeedableRng;
use std::sync::Arc;
use wlgp::error::Result;
use wlgp::gp::{Gp, GpConfig};
use wlgp::gpu::GpuContext;
use wlgp::graph::FlatGraph;
use wlgp::space::declared::SpaceSpec;
use wlgp::space::{AnySampler, DeclaredSpace, Sampler, Space, SpaceKind};
use wlgp::wl::{Direction, Features, WlConfig, WlScratch};

const NB201: &str = include_str!("../../../examples/spaces/nb201.toml");
const MOBILENET: &str = include_str!("../../../examples/spaces/mobilenetv3.toml");

fn declared(text: &str, name: &str) -> Result<AnySampler> {
    let spec = SpaceSpec::from_toml(text, name)?;
    Ok(AnySampler::Declared(Arc::new(DeclaredSpace::new(spec)?)))
}

/// Samples, lowers and hashes `n` cells on one thread.
fn sample_lower_hash(s: &AnySampler, n: usize, cfg: &WlConfig) -> usize {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let (mut g, mut scratch, mut f) = (
        FlatGraph::default(),
        WlScratch::default(),
        Features::default(),
    );
    let mut nnz = 0;
    for _ in 0..n {
        let c = s.sample(&mut rng);
        s.lower_flat(&c, &mut g);
        scratch.features_into(&g, cfg, &mut f);
        nnz += f.nnz();
    }
    nnz
}

/// The rows: nb201 built-in and declared, then MobileNetV3 end to end.
pub(crate) fn rows(
    graphs: usize,
    h: usize,
    candidates: u64,
    repeats: usize,
    gpu: Option<&Arc<GpuContext>>,
) -> Result<Vec<Row>> {
    let cfg = WlConfig {
        h,
        direction: Direction::Both,
    };
    let mut rows = Vec::new();
    let builtin = AnySampler::new(SpaceKind::Nb201, true, false)?;
    for (name, s) in [
        ("nb201", builtin),
        ("nb201.toml", declared(NB201, "nb201.toml")?),
    ] {
        let secs = best_of(repeats, || Ok(sample_lower_hash(&s, graphs, &cfg)))?;
        rows.push(Row::new(
            format!("sample, lower, WL h={h}"),
            name,
            "cpu, 1 thread".into(),
            graphs as u64,
            secs,
            "graphs/s",
        ));
    }
    let m = declared(MOBILENET, "mobilenetv3.toml")?;
    let (gp, train) = timing_gp(&m, 1_000)?;
    rows.extend(super::bench_score::end_to_end(
        &m,
        "mobilenetv3.toml",
        &gp,
        &train,
        candidates,
        repeats,
        gpu,
    )?);
    Ok(rows)
}

/// Timing-only targets for the chain (larger kernels and expansions up, depth down):
/// not accuracies, never reported as such; they give the GP something to fit.
fn timing_gp(s: &AnySampler, n: usize) -> Result<(Gp, Vec<wlgp::space::AnyCell>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let cells: Vec<_> = (0..n).map(|_| s.sample(&mut rng)).collect();
    let y: Vec<f64> = cells
        .iter()
        .map(|c| {
            let t = s.format(c);
            0.7 + 0.002 * t.matches('7').count() as f64 + 0.001 * t.matches('6').count() as f64
                - 0.001 * t.matches('-').count() as f64
        })
        .collect();
    let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
    let cfg = GpConfig {
        hs: vec![2],
        ..Default::default()
    };
    Ok((Gp::fit(&archs, &y, &cfg)?, cells))
}
