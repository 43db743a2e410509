//! `wlgp evaluate`: rank correlation of the GP on held-out architectures of a table.

use super::{resolve_dataset, SurrogateArgs};
use clap::Args;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use wlgp::bench_data::Dataset;
use wlgp::error::{Error, Result};
use wlgp::gp::Gp;
use wlgp::search::TableObjective;
use wlgp::space::{Sampler, SpaceKind, TableKey};
use wlgp::stats::{kendall, mean_se, spearman};
use wlgp::with_table_space;
use wlgp::wl;

#[derive(Args, Debug)]
pub(crate) struct EvaluateArgs {
    /// Search space (inferred from --dataset when omitted).
    #[arg(long, value_enum)]
    space: Option<SpaceKind>,
    /// Embedded dataset.
    #[arg(long)]
    dataset: Option<String>,
    /// Metric to predict.
    #[arg(long)]
    metric: Option<String>,
    /// Training-set sizes (comma-separated).
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
    chosen_h: Vec<usize>,
}

fn eval_in<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    a: &EvaluateArgs,
) -> Result<Vec<Row>> {
    let values = wlgp::values::Values::of_table_metric(metric);
    let cfg = a.surrogate.gp_config(
        a.surrogate
            .values_spec(metric, Some(values))
            .resolve(&[])?
            .transform,
    )?;
    let mut obj = TableObjective::new(d, metric)?;
    let cells = space
        .enumerate()
        .ok_or_else(|| Error::Config("the space must be finite to evaluate on a table".into()))?;
    let ys: Vec<f64> = cells
        .iter()
        .map(|c| wlgp::search::Objective::evaluate(&mut obj, space, c))
        .collect::<Result<_>>()?;
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let feats = wl::features_per_depth(&archs, &cfg.hs, cfg.direction);
    let mut rows = Vec::new();
    for &n in &a.train_sizes {
        if n + 2 > cells.len() {
            return Err(Error::Config(format!("train size {n} leaves no test set")));
        }
        let (mut sp, mut kt, mut hs) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 0..a.seeds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut idx: Vec<usize> = (0..cells.len()).collect();
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
            let gp = Gp::fit_features(&train, &y, &cfg)?;
            let hi = cfg
                .hs
                .iter()
                .position(|&h| h == gp.wl_config().h)
                .expect("candidate h");
            let tf: Vec<wl::Features> = te.iter().map(|&i| feats[hi][i].clone()).collect();
            let p: Vec<f64> = gp
                .predict_features(&tf)
                .iter()
                .map(|p| gp.to_original(p.mean))
                .collect();
            let yt: Vec<f64> = te.iter().map(|&i| ys[i]).collect();
            sp.push(spearman(&p, &yt));
            let k = te.len().min(2_000);
            kt.push(kendall(&p[..k], &yt[..k]));
            hs.push(gp.wl_config().h);
        }
        let (s, sse) = mean_se(&sp);
        let (k, kse) = mean_se(&kt);
        rows.push(Row {
            train_size: n,
            spearman: s,
            spearman_se: sse,
            kendall: k,
            kendall_se: kse,
            chosen_h: hs,
        });
    }
    Ok(rows)
}

pub(crate) fn evaluate(a: &EvaluateArgs) -> Result<()> {
    let d = resolve_dataset(a.space, a.dataset.as_deref())?;
    let metric = a
        .metric
        .clone()
        .unwrap_or_else(|| d.default_metric.to_string());
    d.metric(&metric)?;
    if a.seeds == 0 || a.train_sizes.is_empty() {
        return Err(Error::Config(
            "need at least one seed and one train size".into(),
        ));
    }
    let wire = a.surrogate.skip.as_wire();
    let rows = with_table_space!(d, wire, |space| eval_in(space, d, &metric, a))?;
    if a.json {
        let v = serde_json::json!({"dataset": d.name, "metric": metric, "seeds": a.seeds, "rows": rows});
        return super::out(&(v.to_string() + "\n"));
    }
    let mut s = format!(
        "{}:{metric}, {} seeds, direction {}\n| train | Spearman ρ | ± s.e. | Kendall τ | ± s.e. | h chosen |\n|---|---|---|---|---|---|\n",
        d.name, a.seeds, a.surrogate.direction
    );
    for r in rows {
        s += &format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:?} |\n",
            r.train_size, r.spearman, r.spearman_se, r.kendall, r.kendall_se, r.chosen_h
        );
    }
    super::out(&s)
}
