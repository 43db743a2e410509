//! `wlgp predict`: the posterior mean and std of the architectures a user names, in the
//! values' own units.

use super::training::{TrainArgs, Training};
use super::SurrogateArgs;
use clap::Args;
use serde::Serialize;
use std::io::Read;
use wlgp::error::{Error, Result};
use wlgp::gp::Gp;
use wlgp::space::Sampler;

#[derive(Args, Debug)]
pub(crate) struct PredictArgs {
    #[command(flatten)]
    data: TrainArgs,
    #[command(flatten)]
    surrogate: SurrogateArgs,
    /// Print one JSON object (`predictions`, `h`, `values`, `transform`) instead of CSV.
    #[arg(long)]
    json: bool,
}

/// One architecture's prediction in the user's units.
#[derive(Serialize)]
struct Predicted {
    arch: String,
    mean: f64,
    std: f64,
}

#[derive(Serialize)]
struct Report {
    h: usize,
    training: usize,
    values: wlgp::values::Values,
    transform: String,
    noise_ratio: f64,
    predictions: Vec<Predicted>,
}

/// Fits on the training data and predicts every architecture on stdin, in order.
fn run<S: Sampler>(space: &S, t: Training<S::Cell>, a: &PredictArgs, text: &str) -> Result<Report> {
    let cells = super::kernel::parse_cells(space, text)?;
    let lines: Vec<String> = cells.iter().map(|c| space.format(c)).collect();
    let archs: Vec<_> = cells.iter().map(|c| space.lower(c)).collect();
    let (cfg, resolved) = a.surrogate.fit_config(&t)?;
    let train: Vec<_> = t.cells.iter().map(|c| space.lower(c)).collect();
    let gp = Gp::fit(&train, &t.values, &cfg)?;
    let predictions = lines
        .into_iter()
        .zip(gp.predict(&archs))
        .map(|(arch, p)| match gp.in_units(p) {
            Some((mean, std)) => Ok(Predicted { arch, mean, std }),
            None => Err(Error::Value(format!(
                "the prediction for `{arch}` is not finite (mean {}, std {})",
                gp.to_original(p.mean),
                gp.std_to_original(p.mean, p.std)
            ))),
        })
        .collect::<Result<_>>()?;
    Ok(Report {
        h: gp.wl_config().h,
        training: t.values.len(),
        values: resolved.values,
        transform: resolved.transform.formula(),
        noise_ratio: gp.report().noise_ratio,
        predictions,
    })
}

pub(crate) fn predict(a: &PredictArgs) -> Result<()> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("reading stdin", e))?;
    let space = a.data.sampler(a.surrogate.skip.as_wire())?;
    let r = run(&space, a.data.load(&space)?, a, &text)?;
    if a.json {
        return super::out(&(serde_json::to_string(&r).expect("plain data") + "\n"));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Config(format!("writing CSV: {e}"));
    w.write_record(["arch", "mean", "std"]).map_err(csv_err)?;
    for p in &r.predictions {
        w.write_record([p.arch.clone(), p.mean.to_string(), p.std.to_string()])
            .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Config(format!("writing CSV: {e}")))?;
    super::out(&String::from_utf8_lossy(&bytes))
}
