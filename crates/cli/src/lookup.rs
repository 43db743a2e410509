//! `wlgp lookup`: an embedded table as a training command. It reads one architecture
//! (from `WLGP_ARCH`, else the first line of stdin) and prints its value, so that
//! `wlgp search --objective-cmd 'wlgp lookup --dataset nb201'` runs the user's path on
//! real data. `--metrics a,b` prints several as a JSON object (`{"a": .., "b": ..}`), as a
//! multi-objective training command does, and `--fraction` prints percentages as
//! fractions, as most training scripts report accuracy.

use super::resolve_dataset;
use clap::Args;
use std::io::BufRead;
use wlgp::error::{Error, Result};
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{Space, SpaceKind, TableKey};
use wlgp::values::Values;

#[derive(Args, Debug)]
pub(crate) struct LookupArgs {
    /// Embedded dataset.
    #[arg(long)]
    dataset: String,
    /// Metric (default: the dataset's validation/baseline accuracy).
    #[arg(long, conflicts_with = "metrics")]
    metric: Option<String>,
    /// Several metrics, comma-separated, printed as one JSON object keyed by name.
    #[arg(long)]
    metrics: Option<String>,
    /// Print accuracies the table holds in percent as fractions in [0, 1].
    #[arg(long)]
    fraction: bool,
    /// Space (inferred from the dataset).
    #[arg(long, value_parser = crate::named::<SpaceKind>())]
    space: Option<SpaceKind>,
}

fn value<S: Space + TableKey>(space: &S, obj: &mut TableObjective, arch: &str) -> Result<f64> {
    let cell = space.parse(arch)?;
    obj.evaluate(space, &cell)
}

pub(crate) fn lookup(a: &LookupArgs) -> Result<()> {
    let d = resolve_dataset(
        a.space.map(wlgp::space::SpaceName::Builtin).as_ref(),
        Some(&a.dataset),
    )?;
    let metrics: Vec<&str> = match &a.metrics {
        Some(m) => m
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect(),
        None => vec![a.metric.as_deref().unwrap_or(d.default_metric)],
    };
    if metrics.is_empty() {
        return Err(Error::Config("--metrics names no metric".into()));
    }
    let arch = read_arch()?;
    let mut got = Vec::new();
    for m in &metrics {
        let mut obj = TableObjective::new(d, m)?;
        let mut v = value(&d.sampler(true)?, &mut obj, &arch)?;
        if a.fraction && Values::of_table_metric(m) == Values::AccuracyPercent {
            v /= 100.0;
        }
        got.push((m.to_string(), v));
    }
    if a.metrics.is_none() {
        return super::out(&format!("{}\n", got[0].1));
    }
    let obj: serde_json::Map<String, serde_json::Value> = got
        .into_iter()
        .map(|(m, v)| (m, serde_json::json!(v)))
        .collect();
    super::out(&(serde_json::Value::Object(obj).to_string() + "\n"))
}

/// The architecture to look up: `WLGP_ARCH`, else the first line of stdin.
fn read_arch() -> Result<String> {
    let arch = match std::env::var("WLGP_ARCH") {
        Ok(s) if !s.trim().is_empty() => s,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Error::io("reading stdin", e))?;
            line
        }
    };
    let arch = arch.trim();
    if arch.is_empty() {
        return Err(Error::Empty(
            "no architecture in WLGP_ARCH or on stdin".into(),
        ));
    }
    Ok(arch.to_string())
}
