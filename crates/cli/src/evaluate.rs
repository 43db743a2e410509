//! `wlgp evaluate`: rank correlation of the GP on held-out architectures of an embedded
//! table or of the user's own CSV.

use super::training::Training;
use super::{notice, resolve_dataset, SurrogateArgs};
use clap::Args;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wlgp::bench_data::Dataset;
use wlgp::error::{Error, Result};
use wlgp::gp::{Gp, GpConfig};
use wlgp::graph::Arch;
use wlgp::search::TableObjective;
use wlgp::space::{Sampler, Space, SpaceName, TableKey};
use wlgp::stats::{kendall, mean_se, spearman};
use wlgp::values::Values;
use wlgp::wl;

#[derive(Args, Debug)]
pub(crate) struct EvaluateArgs {
    /// Search space (inferred from --dataset when omitted; needed with --data).
    #[arg(long, value_parser = crate::space_name)]
    space: Option<SpaceName>,
    /// Embedded dataset.
    #[arg(long)]
    dataset: Option<String>,
    /// A CSV of your own evaluated architectures (`arch` and value columns, as --train):
    /// the GP is scored on held-out architectures of it. Rows that repeat an architecture
    /// (several seeds) are averaged, so no architecture is both trained on and held out.
    #[arg(long, conflicts_with = "dataset")]
    data: Option<PathBuf>,
    /// Metric to predict: a metric of the embedded table, or the --data CSV's value
    /// column (default: `value`, or the one column beside `arch`).
    #[arg(long, alias = "column")]
    metric: Option<String>,
    /// Training-set sizes (comma-separated); with --data, sizes that leave fewer than 10
    /// held-out architectures are dropped (said on stderr).
    #[arg(long, value_delimiter = ',', default_value = "50,100,400")]
    train_sizes: Vec<usize>,
    /// Seeds per size.
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Held-out architectures scored per seed (Kendall's tau uses at most 2,000 of them).
    #[arg(long, default_value_t = 5_000)]
    test_size: usize,
    #[command(flatten)]
    surrogate: SurrogateArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    train_size: usize,
    spearman: f64,
    spearman_se: f64,
    kendall: f64,
    kendall_se: f64,
    /// Share of held-out values inside the 95% predictive interval (noise included):
    /// about 0.95 when the surrogate's uncertainty is honest.
    coverage_95: f64,
    coverage_95_se: f64,
    chosen_h: Vec<usize>,
}

/// Architectures with one value each, lowered to graphs, and what the values are.
struct Labelled {
    /// The embedded dataset's name, or the CSV's path.
    source: String,
    graphs: Vec<Arch>,
    training: Training<()>,
    /// Rows read (more than `graphs` when a CSV repeats architectures).
    rows: usize,
}

/// Every architecture of an embedded table and its value.
fn from_table<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
) -> Result<Labelled> {
    let mut obj = TableObjective::new(d, metric)?;
    let cells = space
        .enumerate()
        .ok_or_else(|| Error::Config("the space must be finite to evaluate on a table".into()))?;
    let values: Vec<f64> = cells
        .iter()
        .map(|c| wlgp::search::Objective::evaluate(&mut obj, space, c))
        .collect::<Result<_>>()?;
    Ok(Labelled {
        source: d.name.to_string(),
        graphs: cells.iter().map(|c| space.lower(c)).collect(),
        rows: cells.len(),
        training: Training {
            cells: Vec::new(),
            values,
            metric: metric.to_string(),
            declared: Some(Values::of_table_metric(metric)),
            dataset: Some(d),
        },
    })
}

/// A user's CSV, repeated architectures averaged (in order of first appearance).
fn from_csv<S: Space>(space: &S, path: &Path, column: Option<&str>) -> Result<Labelled> {
    let rows = super::training::from_csv(space, path, column)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut graphs, mut sums, mut counts) = (Vec::new(), Vec::<f64>::new(), Vec::<f64>::new());
    for (cell, v) in rows.cells.iter().zip(&rows.values) {
        let k = *index.entry(space.format(cell)).or_insert_with(|| {
            graphs.push(space.lower(cell));
            sums.push(0.0);
            counts.push(0.0);
            graphs.len() - 1
        });
        sums[k] += v;
        counts[k] += 1.0;
    }
    Ok(Labelled {
        source: path.display().to_string(),
        graphs,
        rows: rows.values.len(),
        training: Training {
            cells: Vec::new(),
            values: sums.iter().zip(&counts).map(|(s, c)| s / c).collect(),
            metric: rows.metric,
            declared: None,
            dataset: None,
        },
    })
}

/// Spearman and Kendall on held-out architectures, over seeds, at each training size.
fn eval_on(l: &Labelled, cfg: &GpConfig, sizes: &[usize], a: &EvaluateArgs) -> Result<Vec<Row>> {
    let ys = &l.training.values;
    let feats = wl::features_per_depth(&l.graphs, &cfg.hs, cfg.direction);
    let mut rows = Vec::new();
    for &n in sizes {
        let (mut sp, mut kt, mut cov, mut hs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for seed in 0..a.seeds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut idx: Vec<usize> = (0..ys.len()).collect();
            idx.shuffle(&mut rng);
            let (tr, rest) = idx.split_at(n);
            let te = &rest[..a.test_size.min(rest.len())];
            let train: Vec<(usize, Vec<wl::Features>)> = cfg
                .hs
                .iter()
                .enumerate()
                .map(|(hi, &h)| (h, tr.iter().map(|&i| feats[hi][i].clone()).collect()))
                .collect();
            let y: Vec<f64> = tr.iter().map(|&i| ys[i]).collect();
            let gp = Gp::fit_features(&train, &y, cfg)?;
            let hi = cfg
                .hs
                .iter()
                .position(|&h| h == gp.wl_config().h)
                .expect("candidate h");
            let tf: Vec<wl::Features> = te.iter().map(|&i| feats[hi][i].clone()).collect();
            let preds = gp.predict_features(&tf);
            let p: Vec<f64> = preds.iter().map(|p| gp.to_original(p.mean)).collect();
            let yt: Vec<f64> = te.iter().map(|&i| ys[i]).collect();
            cov.push(coverage(&gp, &preds, &yt));
            sp.push(spearman(&p, &yt));
            let k = te.len().min(2_000);
            kt.push(kendall(&p[..k], &yt[..k]));
            hs.push(gp.wl_config().h);
        }
        let (s, sse) = mean_se(&sp);
        let (k, kse) = mean_se(&kt);
        let (c, cse) = mean_se(&cov);
        rows.push(Row {
            train_size: n,
            spearman: s,
            spearman_se: sse,
            kendall: k,
            kendall_se: kse,
            coverage_95: c,
            coverage_95_se: cse,
            chosen_h: hs,
        });
    }
    Ok(rows)
}

/// The share of `ys` inside their 95% predictive intervals: the latent mean ± 1.96
/// predictive standard deviations (posterior and noise), mapped to the values' units
/// (the transforms are monotone, so the interval maps exactly).
fn coverage(gp: &Gp, preds: &[wlgp::gp::Prediction], ys: &[f64]) -> f64 {
    let noise = gp.noise_std();
    let inside = preds
        .iter()
        .zip(ys)
        .filter(|(p, &y)| {
            let s = 1.96 * p.std.hypot(noise);
            let (a, b) = (gp.to_original(p.mean - s), gp.to_original(p.mean + s));
            a.min(b) <= y && y <= a.max(b)
        })
        .count();
    inside as f64 / ys.len() as f64
}

/// Fewest held-out architectures a user's CSV must leave at a training size.
const MIN_TEST: usize = 10;

/// The training sizes that leave a test set: on a table every one must; on a user's
/// CSV the ones too large for it are dropped and said.
fn sizes_that_fit(a: &EvaluateArgs, archs: usize) -> Result<Vec<usize>> {
    let (fit, dropped): (Vec<usize>, Vec<usize>) = a
        .train_sizes
        .iter()
        .partition(|&&n| n >= 1 && n + MIN_TEST <= archs);
    if a.data.is_none() {
        if let Some(n) = dropped.first() {
            return Err(Error::Config(format!(
                "train size {n} leaves no test set ({archs} architectures)"
            )));
        }
    } else if !dropped.is_empty() {
        notice(format!(
            "wlgp: train sizes {dropped:?} dropped: {archs} distinct architectures leave fewer than {MIN_TEST} held out"
        ));
    }
    if fit.is_empty() {
        return Err(Error::Config(format!(
            "no train size in {:?} leaves {MIN_TEST} of {archs} architectures held out: give --train-sizes",
            a.train_sizes
        )));
    }
    Ok(fit)
}

fn load(a: &EvaluateArgs) -> Result<Labelled> {
    let wire = a.surrogate.skip.as_wire();
    if let Some(path) = &a.data {
        let kind = a
            .space
            .as_ref()
            .ok_or_else(|| Error::Config("give --space with --data".into()))?;
        let space = kind.space(wire, false)?;
        return from_csv(&space, path, a.metric.as_deref());
    }
    let d = resolve_dataset(a.space.as_ref(), a.dataset.as_deref())?;
    let metric = a
        .metric
        .clone()
        .unwrap_or_else(|| d.default_metric.to_string());
    d.metric(&metric)?;
    from_table(&d.sampler(wire)?, d, &metric)
}

pub(crate) fn evaluate(a: &EvaluateArgs) -> Result<()> {
    if a.seeds == 0 || a.train_sizes.is_empty() {
        return Err(Error::Config(
            "need at least one seed and one train size".into(),
        ));
    }
    let l = load(a)?;
    let sizes = sizes_that_fit(a, l.graphs.len())?;
    let (cfg, resolved) = a.surrogate.fit_config(&l.training)?;
    let rows = eval_on(&l, &cfg, &sizes, a)?;
    let metric = &l.training.metric;
    if a.json {
        let v = serde_json::json!({
            "dataset": l.source,
            "metric": metric,
            "values": resolved.values,
            "rows_read": l.rows,
            "architectures": l.graphs.len(),
            "seeds": a.seeds,
            "rows": rows,
        });
        return super::out(&(v.to_string() + "\n"));
    }
    let repeated = if l.rows > l.graphs.len() {
        format!(" ({} rows averaged)", l.rows)
    } else {
        String::new()
    };
    let mut s = format!(
        "{}:{metric}, {} architectures{repeated}, {} seeds, direction {}\n| train | Spearman ρ | ± s.e. | Kendall τ | ± s.e. | 95% interval covers | h chosen |\n|---|---|---|---|---|---|---|\n",
        l.source,
        l.graphs.len(),
        a.seeds,
        a.surrogate.direction
    );
    for r in rows {
        s += &format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:?} |\n",
            r.train_size,
            r.spearman,
            r.spearman_se,
            r.kendall,
            r.kendall_se,
            r.coverage_95,
            r.chosen_h
        );
    }
    super::out(&s)
}
