//! Fitted GPs for throughput measurements (`wlgp bench`, `cargo bench`), so every timing
//! of the scoring path starts from the same fits.

use super::dataset;
use crate::error::Result;
use crate::gp::{Gp, GpConfig, Transform};
use crate::search::{Objective, TableObjective};
use crate::space::darts::DartsCell;
use crate::space::{DartsSpace, Nb201Space, Sampler, Space};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// A GP on `n` random rows of the NB201 table (h = 2, as the sizes are timed).
pub fn timing_gp_nb201(n: usize, seed: u64) -> Result<(Gp, Vec<[u8; 6]>)> {
    let s = Nb201Space::default();
    let mut obj = TableObjective::new(dataset("nb201")?, "baseline_accuracy")?;
    let mut cells = s.enumerate().expect("finite");
    cells.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    cells.truncate(n);
    let y = cells
        .iter()
        .map(|c| obj.evaluate(&s, c))
        .collect::<Result<Vec<_>>>()?;
    let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
    Ok((Gp::fit(&archs, &y, &gp_config())?, cells))
}

fn gp_config() -> GpConfig {
    GpConfig {
        hs: vec![2],
        transform: Transform::NegLogError { scale: 100.0 },
        ..Default::default()
    }
}

/// DARTS has no embedded table: timing-only targets from the genotype's operation counts
/// (separable convolutions up, pooling down). These are not accuracies and are never
/// reported as such; they only give the GP something to fit.
pub fn timing_gp_darts(n: usize, seed: u64) -> Result<(Gp, Vec<DartsCell>)> {
    let s = DartsSpace::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let cells: Vec<_> = (0..n).map(|_| s.sample(&mut rng)).collect();
    let y: Vec<f64> = cells
        .iter()
        .map(|c| {
            let g = s.format(c);
            0.9 + 0.003 * g.matches("sep_conv").count() as f64
                - 0.002 * g.matches("pool").count() as f64
        })
        .collect();
    let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
    Ok((Gp::fit(&archs, &y, &gp_config())?, cells))
}
