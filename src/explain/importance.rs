//! Motif effects from a fitted GP. In weight space the posterior over the motif weights is
//! Gaussian (mean `Phi' alpha`, covariance `s2 (I - B'B)`), so any linear functional of
//! them has an exact mean and standard deviation:
//! - raw-count kernel: a motif's effect is its weight, the change in the latent
//!   prediction per extra occurrence;
//! - normalised kernel (the default): the prediction `w . c / |c|` is not linear in the
//!   counts, so the effect is the derivative with respect to the motif's count, averaged
//!   over the evaluated architectures that contain it (as NAS-BOWL does) — still linear
//!   in `w`, so still exact in mean and variance.

use super::Provenance;
use crate::gp::{Gp, WeightSpace};
use crate::kernel::{self_kernel, BaseKernel};
use crate::wl::Features;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// One motif's effect on the predicted value.
#[derive(Clone, Debug, Serialize)]
pub struct MotifEffect {
    /// The WL label.
    pub label: u64,
    /// Hops below the root (the WL iteration).
    pub depth: usize,
    /// The motif as text (`nor_conv_3x3 <- [input]`).
    pub motif: String,
    /// Mean effect on the latent prediction (standardised transformed target).
    pub effect: f64,
    /// Its posterior standard deviation.
    pub std: f64,
    /// The effect in the metric's own units, to first order at the incumbent.
    pub effect_units: f64,
    /// Its standard deviation in the metric's units.
    pub std_units: f64,
    /// Evaluated architectures that contain the motif.
    pub archs: usize,
}

impl MotifEffect {
    /// How sure the model is of the sign: effect / std.
    pub fn z(&self) -> f64 {
        self.effect / self.std.max(1e-300)
    }
}

/// `|c|` of a feature vector under the GP's kernel (1 when not normalised).
fn norm(gp: &Gp, x: &Features) -> f64 {
    if gp.kernel_config().normalize {
        (self_kernel(x, BaseKernel::Dot) as f64).sqrt().max(1e-300)
    } else {
        1.0
    }
}

/// The effect of every motif of the training set, best first.
pub fn motif_effects(gp: &Gp, ws: &WeightSpace, prov: &Provenance) -> Vec<MotifEffect> {
    let train = gp.training_features();
    let normalize = gp.kernel_config().normalize;
    // Per training point: its norm, the columns of its motifs, f(x) and u = B phi~(x).
    type Prepared = (f64, Vec<(usize, f64)>, f64, Vec<f64>);
    let prepared: Vec<Prepared> = train
        .par_iter()
        .map(|x| {
            let n = norm(gp, x);
            let cols: Vec<(usize, f64)> = x
                .iter()
                .map(|(l, c)| (ws.column(l).expect("training label"), c as f64))
                .collect();
            let f = cols.iter().map(|&(j, c)| ws.weight(j) * c).sum::<f64>() / n;
            let scaled: Vec<(usize, f64)> = cols.iter().map(|&(j, c)| (j, c / n)).collect();
            (n, cols, f, ws.b_times(&scaled))
        })
        .collect();
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, x) in train.iter().enumerate() {
        for &l in &x.labels {
            holders.entry(l).or_default().push(i);
        }
    }
    let s2 = ws.signal();
    let incumbent = gp.best_latent();
    let mut out: Vec<MotifEffect> = holders
        .par_iter()
        .map(|(&l, who)| {
            let jl = ws.column(l).expect("training label");
            let m = who.len() as f64;
            // a = mean over holders of e_l / n - c_l c / n^3 (just e_l without normalising).
            let mut a: HashMap<usize, f64> = HashMap::new();
            let mut ba = vec![0.0; ws.rows()];
            let mut mean = 0.0;
            let bl = ws.b_times(&[(jl, 1.0)]);
            for &i in who {
                let (n, cols, f, u) = &prepared[i];
                let cl = train[i].count(l) as f64;
                if normalize {
                    *a.entry(jl).or_default() += 1.0 / (n * m);
                    for &(j, c) in cols {
                        *a.entry(j).or_default() -= cl * c / (n * n * n * m);
                    }
                    mean += (ws.weight(jl) / n - cl * f / (n * n)) / m;
                    for ((t, &b), &uu) in ba.iter_mut().zip(&bl).zip(u) {
                        *t += (b / n - cl * uu / (n * n)) / m;
                    }
                } else {
                    a.insert(jl, 1.0);
                    mean = ws.weight(jl);
                    ba.clone_from(&bl);
                }
            }
            let aa: f64 = a.values().map(|v| v * v).sum();
            let q: f64 = ba.iter().map(|v| v * v).sum();
            let std = (s2 * (aa - q).max(0.0)).sqrt();
            let motif = prov.decode(l);
            MotifEffect {
                label: l,
                depth: motif.as_ref().map_or(0, |m| m.depth),
                motif: motif.map_or_else(|| format!("{l:016x}"), |m| m.text(prov.arrow())),
                effect: mean,
                std,
                effect_units: gp.std_to_original(incumbent, mean),
                std_units: gp.std_to_original(incumbent, std).abs(),
                archs: who.len(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.effect.total_cmp(&a.effect).then(a.label.cmp(&b.label)));
    out
}

/// One motif's share of one architecture's predicted value.
#[derive(Clone, Debug, Serialize)]
pub struct Contribution {
    /// The motif as text.
    pub motif: String,
    /// Occurrences in the architecture.
    pub count: u32,
    /// Latent contribution `w_l c_l / |c|` (they sum to the posterior mean).
    pub contribution: f64,
    /// Its posterior standard deviation.
    pub std: f64,
    /// Whether the motif was seen in training (an unseen one contributes 0 on average).
    pub seen: bool,
}

/// How each motif of `x` adds to its posterior mean, largest first.
pub fn contributions(
    gp: &Gp,
    ws: &WeightSpace,
    prov: &Provenance,
    x: &Features,
) -> Vec<Contribution> {
    let n = norm(gp, x);
    let s2 = ws.signal();
    let mut out: Vec<Contribution> = x
        .iter()
        .map(|(l, c)| {
            let text = prov
                .decode(l)
                .map_or_else(|| format!("(unseen) {l:016x}"), |m| m.text(prov.arrow()));
            match ws.column(l) {
                Some(j) => {
                    let v = c as f64 / n;
                    let b: f64 = ws.b_times(&[(j, 1.0)]).iter().map(|t| t * t).sum();
                    Contribution {
                        motif: text,
                        count: c,
                        contribution: ws.weight(j) * v,
                        std: (s2 * (1.0 - b).max(0.0)).sqrt() * v,
                        seen: true,
                    }
                }
                None => Contribution {
                    motif: text,
                    count: c,
                    contribution: 0.0,
                    std: s2.sqrt() * c as f64 / n,
                    seen: false,
                },
            }
        })
        .collect();
    out.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gp::{GpConfig, Transform};
    use crate::space::{Nb201Space, Sampler, Space};
    use crate::wl;
    use rand::SeedableRng;

    fn fit(normalize: bool) -> (Gp, Vec<crate::graph::Arch>) {
        let s = Nb201Space::default();
        let d = crate::bench_data::dataset("nb201").unwrap();
        let mut obj = crate::search::TableObjective::new(d, "baseline_accuracy").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let cells: Vec<_> = (0..90).map(|_| s.sample(&mut rng)).collect();
        let y: Vec<f64> = cells
            .iter()
            .map(|c| crate::search::Objective::evaluate(&mut obj, &s, c).unwrap())
            .collect();
        let archs: Vec<_> = cells.iter().map(|c| s.lower(c)).collect();
        let mut cfg = GpConfig {
            transform: Transform::NegLogError { scale: 100.0 },
            ..Default::default()
        };
        cfg.kernel.normalize = normalize;
        (Gp::fit(&archs[..60], &y[..60], &cfg).unwrap(), archs)
    }

    /// The motifs' contributions add up to the function-space posterior mean.
    #[test]
    fn contributions_sum_to_the_gp_mean() {
        for normalize in [true, false] {
            let (gp, archs) = fit(normalize);
            let ws = WeightSpace::new(&gp).unwrap();
            let prov = Provenance::record(&archs, &gp.wl_config());
            let feats = wl::features_batch(&archs[60..], &gp.wl_config());
            for (f, p) in feats.iter().zip(gp.predict_features(&feats)) {
                let sum: f64 = contributions(&gp, &ws, &prov, f)
                    .iter()
                    .map(|c| c.contribution)
                    .sum();
                assert!((sum - p.mean).abs() < 1e-9 * p.mean.abs().max(1.0));
            }
        }
    }

    /// With raw counts a motif's effect is its weight: mean and std equal the function-space
    /// posterior at a pseudo-architecture made of that one motif.
    #[test]
    fn raw_count_effects_match_function_space() {
        let (gp, archs) = fit(false);
        let ws = WeightSpace::new(&gp).unwrap();
        let prov = Provenance::record(&archs, &gp.wl_config());
        let effects = motif_effects(&gp, &ws, &prov);
        assert!(effects.len() > 20);
        for e in effects.iter().take(40) {
            let x = Features {
                labels: vec![e.label],
                counts: vec![1],
            };
            let p = gp.predict_features(&[x])[0];
            assert!(
                (e.effect - p.mean).abs() < 1e-9 * p.mean.abs().max(1e-3),
                "{}",
                e.motif
            );
            assert!(
                (e.std - p.std).abs() < 1e-6 * p.std.max(1e-3),
                "{}",
                e.motif
            );
        }
    }
}
