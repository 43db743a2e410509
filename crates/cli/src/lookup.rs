//! `wlgp lookup`: an embedded table as a training command. It reads one architecture
//! (from `WLGP_ARCH`, else the first line of stdin) and prints its value, so that
//! `wlgp search --objective-cmd 'wlgp lookup --dataset nb201'` runs the user's path on
//! real data.

use super::resolve_dataset;
use clap::Args;
use std::io::BufRead;
use wlgp::error::{Error, Result};
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{Space, SpaceKind, TableKey};
use wlgp::with_table_space;

#[derive(Args, Debug)]
pub(crate) struct LookupArgs {
    /// Embedded dataset.
    #[arg(long)]
    dataset: String,
    /// Metric (default: the dataset's validation/baseline accuracy).
    #[arg(long)]
    metric: Option<String>,
    /// Space (inferred from the dataset).
    #[arg(long, value_enum)]
    space: Option<SpaceKind>,
}

fn value<S: Space + TableKey>(space: &S, obj: &mut TableObjective, arch: &str) -> Result<f64> {
    let cell = space.parse(arch)?;
    obj.evaluate(space, &cell)
}

pub(crate) fn lookup(a: &LookupArgs) -> Result<()> {
    let d = resolve_dataset(a.space, Some(&a.dataset))?;
    let metric = a.metric.as_deref().unwrap_or(d.default_metric);
    let mut obj = TableObjective::new(d, metric)?;
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
    let v = with_table_space!(d, true, |space| value(space, &mut obj, arch))?;
    super::out(&format!("{v}\n"))
}
