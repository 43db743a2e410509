//! The selection study: how each rule for choosing the WL depth and the noise ranks
//! held-out architectures, on every embedded table and metric, so that the default is
//! chosen by its mean rank over all tables and not by one of them.
//!
//! Rules, each with the table's value semantics (the transform a user gets by declaring
//! `--values`): the evidence (marginal likelihood) over h, closed-form leave-one-out
//! predictive density over h, Bayesian model averaging over h with evidence weights, and
//! fixed depths; over h in {0..3} and {1..3}, for each WL direction.

use crate::bench_data::Dataset;
use crate::error::Result;
use crate::gp::{Gp, GpConfig, Selection};
use crate::search::TableObjective;
use crate::space::{Sampler, TableKey};
use crate::stats::{kendall, spearman};
use crate::values::Values;
use crate::wl::{self, Direction, Features};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

/// What the selection study measures.
#[derive(Clone, Debug)]
pub struct SelectionConfig {
    /// Training-set sizes.
    pub sizes: Vec<usize>,
    /// Random training sets per size.
    pub seeds: u64,
    /// Held-out architectures per training set.
    pub test: usize,
    /// WL directions.
    pub directions: Vec<Direction>,
}

/// One rule at one training size and seed.
#[derive(Clone, Debug, Serialize)]
pub struct SelectionRow {
    /// Dataset name.
    pub dataset: &'static str,
    /// Metric.
    pub metric: String,
    /// Rule, e.g. `loo-h0..3-both`, `evidence-h1..3-out`, `bma-h0..3-both`, `h2-both`
    /// (fixed depth, noise by evidence), `loo-h2-both` (fixed depth, noise by leave-one-out).
    pub rule: String,
    /// Training-set size.
    pub size: usize,
    /// Seed of the training set.
    pub seed: u64,
    /// Spearman's rho on the held-out set.
    pub spearman: f64,
    /// Kendall's tau on the held-out set.
    pub kendall: f64,
    /// The depth chosen (the most probable one for model averaging).
    pub h: usize,
}

const HS: [usize; 4] = [0, 1, 2, 3];

/// Runs the study on one dataset's metric.
pub fn selection_study(
    d: &'static Dataset,
    metric: &str,
    cfg: &SelectionConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<SelectionRow>> {
    study_in(&d.sampler(true)?, d, metric, cfg, progress)
}

/// One depth's fit under one selection criterion, with its held-out latent means.
struct DepthFit {
    h: usize,
    score: f64,
    lml: f64,
    means: Vec<f64>,
}

fn study_in<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    cfg: &SelectionConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<SelectionRow>> {
    let (cells, y) = TableObjective::new(d, metric)?
        .every_cell(space)
        .expect("embedded tables cover finite spaces")?;
    let transform = Values::of_table_metric(metric).transform();
    let truth_all: Vec<f64> = y
        .iter()
        .map(|&v| transform.apply(v))
        .collect::<Result<_>>()?;
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let feats: Vec<(Direction, Vec<Vec<Features>>)> = cfg
        .directions
        .iter()
        .map(|&dir| (dir, wl::features_per_depth(&archs, &HS, dir)))
        .collect();
    let jobs: Vec<(usize, u64)> = cfg
        .sizes
        .iter()
        .flat_map(|&n| (0..cfg.seeds).map(move |s| (n, s)))
        .filter(|&(n, _)| n + 2 < cells.len())
        .collect();
    let rows: Vec<Vec<SelectionRow>> = jobs
        .par_iter()
        .map(|&(n, seed)| {
            let mut idx: Vec<usize> = (0..cells.len()).collect();
            idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let (train, rest) = idx.split_at(n);
            let test = &rest[..rest.len().min(cfg.test)];
            let ytr: Vec<f64> = train.iter().map(|&i| y[i]).collect();
            let truth: Vec<f64> = test.iter().map(|&i| truth_all[i]).collect();
            let mut out = Vec::new();
            for (dir, per_h) in &feats {
                let fits = |sel: Selection| -> Vec<DepthFit> {
                    HS.iter()
                        .filter_map(|&h| {
                            let pick = |ix: &[usize]| -> Vec<Features> {
                                ix.iter().map(|&i| per_h[h][i].clone()).collect()
                            };
                            let g = GpConfig {
                                hs: vec![h],
                                direction: *dir,
                                transform,
                                selection: sel,
                                ..Default::default()
                            };
                            let gp = Gp::fit_features(&[(h, pick(train))], &ytr, &g).ok()?;
                            Some(DepthFit {
                                h,
                                score: gp.report().score,
                                lml: gp.report().lml,
                                means: gp.predict_means(&pick(test)),
                            })
                        })
                        .collect()
                };
                let (ev, loo) = (fits(Selection::Evidence), fits(Selection::Loo));
                let dname = format!("{dir:?}").to_lowercase();
                let mut row = |rule: String, h: usize, means: &[f64]| {
                    out.push(SelectionRow {
                        dataset: d.name,
                        metric: metric.to_string(),
                        rule: format!("{rule}-{dname}"),
                        size: n,
                        seed,
                        spearman: spearman(means, &truth),
                        kendall: kendall(means, &truth),
                        h,
                    })
                };
                for (name, set) in [("evidence", &ev), ("loo", &loo)] {
                    for lo in [0, 1, 2] {
                        if let Some(b) = best(set, lo) {
                            row(format!("{name}-h{lo}..3"), b.h, &b.means);
                        }
                    }
                }
                // Fixed depths, the noise by either criterion.
                for f in &ev {
                    row(format!("h{}", f.h), f.h, &f.means);
                }
                for f in loo.iter().filter(|f| f.h == 2) {
                    row("loo-h2".into(), f.h, &f.means);
                }
                if let Some((h, m)) = model_average(&ev) {
                    row("bma-h0..3".into(), h, &m);
                }
            }
            progress();
            out
        })
        .collect();
    Ok(rows.into_iter().flatten().collect())
}

/// The fit with the best criterion among depths `lo..=3`.
fn best(set: &[DepthFit], lo: usize) -> Option<&DepthFit> {
    set.iter()
        .filter(|f| f.h >= lo)
        .max_by(|a, b| a.score.total_cmp(&b.score))
}

/// Means averaged over depths with posterior weights proportional to the evidence, and
/// the most probable depth.
fn model_average(set: &[DepthFit]) -> Option<(usize, Vec<f64>)> {
    let top = set.iter().max_by(|a, b| a.lml.total_cmp(&b.lml))?;
    let w: Vec<f64> = set.iter().map(|f| (f.lml - top.lml).exp()).collect();
    let total: f64 = w.iter().sum();
    let m = (0..top.means.len())
        .map(|j| set.iter().zip(&w).map(|(f, w)| w * f.means[j]).sum::<f64>() / total)
        .collect();
    Some((top.h, m))
}

/// Mean of a slice (NaN for an empty one).
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The markdown report: every rule's mean rank over the tables, then per table and
/// training size, Spearman's rho and Kendall's tau (mean over seeds).
pub fn selection_summary(rows: &[SelectionRow], seeds: u64) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let tables: Vec<(String, String)> = {
        let mut t: Vec<(String, String)> = Vec::new();
        for r in rows {
            let k = (r.dataset.to_string(), r.metric.clone());
            if !t.contains(&k) {
                t.push(k);
            }
        }
        t
    };
    let mut rules: Vec<String> = rows.iter().map(|r| r.rule.clone()).collect();
    rules.sort();
    rules.dedup();
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.size).collect();
    sizes.sort();
    sizes.dedup();
    // (table, rule) -> mean Spearman over sizes and seeds.
    let mut per: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
    // (table, rule, size) -> (Spearman, Kendall) over seeds.
    type Cell = (Vec<f64>, Vec<f64>);
    let mut cell: BTreeMap<(usize, &str, usize), Cell> = BTreeMap::new();
    for r in rows {
        let ti = tables
            .iter()
            .position(|t| t.0 == r.dataset && t.1 == r.metric)
            .expect("listed");
        per.entry((ti, &r.rule)).or_default().push(r.spearman);
        let c = cell.entry((ti, &r.rule, r.size)).or_default();
        c.0.push(r.spearman);
        c.1.push(r.kendall);
    }
    // Rank of each rule within each table (1 = best mean Spearman), then the mean rank.
    let mut ranks: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut means: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for ti in 0..tables.len() {
        let mut v: Vec<(&str, f64)> = rules
            .iter()
            .filter_map(|r| per.get(&(ti, r.as_str())).map(|s| (r.as_str(), mean(s))))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (i, (r, m)) in v.iter().enumerate() {
            ranks.entry(r).or_default().push(i as f64 + 1.0);
            means.entry(r).or_default().push(*m);
        }
    }
    let mut order: Vec<&str> = ranks.keys().copied().collect();
    order.sort_by(|a, b| mean(&ranks[a]).total_cmp(&mean(&ranks[b])));
    let mut s = format!(
        "## Mean rank over {} tables (Spearman ρ averaged over training sizes {:?} and {seeds} seeds)\n\n| rule | mean rank | mean ρ over tables | worst table ρ |\n|---|---|---|---|\n",
        tables.len(),
        sizes
    );
    for r in &order {
        let m = &means[r];
        let _ = writeln!(
            s,
            "| {r} | {:.2} | {:.4} | {:.4} |",
            mean(&ranks[r]),
            mean(m),
            m.iter().copied().fold(f64::INFINITY, f64::min)
        );
    }
    let _ = writeln!(
        s,
        "\n## Per table: Spearman ρ / Kendall τ (mean over {seeds} seeds)\n"
    );
    for (ti, (d, m)) in tables.iter().enumerate() {
        let _ = writeln!(s, "### {d}: {m}\n");
        let head: Vec<String> = sizes.iter().map(|n| format!("n = {n}")).collect();
        let _ = writeln!(s, "| rule | {} |", head.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(sizes.len()));
        for r in &order {
            let cols: Vec<String> = sizes
                .iter()
                .map(|&n| match cell.get(&(ti, r, n)) {
                    Some((sp, kt)) => format!("{:.3} / {:.3}", mean(sp), mean(kt)),
                    None => "".into(),
                })
                .collect();
            let _ = writeln!(s, "| {r} | {} |", cols.join(" | "));
        }
        s.push('\n');
    }
    s
}
