//! `wlgp pareto`: the non-dominated evaluations of a multi-objective journal, or the true
//! front of an embedded table, as a table, JSON or an SVG plot.

use super::multi::{outcome, print, MultiOutcome};
use clap::Args;
use std::path::PathBuf;
use wlgp::error::{Error, Result};
use wlgp::search::multi::{orient, MultiConfig, MultiHistory, MultiMethod, MultiObjective};
use wlgp::search::multi_table::{parse_spec, TableMulti};
use wlgp::search::Recorded;
use wlgp::space::nb201_cost::ComputedCosts;
use wlgp::space::{Sampler, TableKey};
use wlgp::values::Values;

#[derive(Args, Debug)]
pub(crate) struct ParetoArgs {
    /// A multi-objective search journal.
    #[arg(long, conflicts_with = "dataset")]
    from: Option<PathBuf>,
    /// An embedded table, for its true front (with --objectives).
    #[arg(long)]
    dataset: Option<String>,
    /// NAME:max|min,... (for --dataset).
    #[arg(long)]
    objectives: Option<String>,
    /// Draw the first two objectives: evaluated points, found front, true front.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The settings a pareto report is made with (no search runs).
fn report_config() -> MultiConfig {
    MultiConfig {
        budget: 0,
        n_init: 0,
        seed: 0,
        batch: 1,
        method: MultiMethod::Random,
        gp: Default::default(),
        parents: 0,
        random: 0,
        draws: 0,
    }
}

/// Every cell of a table: its objectives (oriented), their semantics, its string form.
type TablePoints = (Vec<Vec<f64>>, Vec<Values>, Vec<String>);

fn table_points<S: Sampler + TableKey + ComputedCosts>(
    space: &S,
    dataset: &str,
    spec: &str,
) -> Result<TablePoints> {
    let d = wlgp::bench_data::dataset(dataset)?;
    let mut t = TableMulti::new(space, d, spec)?;
    let values = MultiObjective::<S>::values(&t);
    let archs = space
        .enumerate()
        .map(|c| c.iter().map(|c| space.format(c)).collect())
        .unwrap_or_default();
    let all = t
        .every_cell(space)?
        .iter()
        .map(|v| orient(v, &values))
        .collect();
    Ok((all, values, archs))
}

fn every_cell(dataset: &str, spec: &str) -> Result<TablePoints> {
    let d = wlgp::bench_data::dataset(dataset)?;
    table_points(&d.sampler(true)?, dataset, spec)
}

pub(crate) fn pareto(a: &ParetoArgs) -> Result<()> {
    let (o, all, values, evaluated) = match (&a.from, &a.dataset) {
        (Some(p), _) => from_journal(p)?,
        (None, Some(d)) => {
            let spec = a.objectives.as_deref().ok_or_else(|| {
                Error::Config("give --objectives NAME:max|min,... with --dataset".into())
            })?;
            let (all, values, archs) = every_cell(d, spec)?;
            // The table's true front, reported as if every cell had been evaluated.
            let h = MultiHistory {
                evaluations: Vec::new(),
                failed: 0,
            };
            let mut o = outcome(
                d,
                names(spec)?,
                &values,
                &h,
                Some(&all),
                &report_config(),
                0.0,
            );
            let front = wlgp::pareto::non_dominated(&all);
            o.front = front
                .iter()
                .map(|&i| super::multi::FrontPoint {
                    arch: archs[i].clone(),
                    values: unorient(&all[i], &values),
                })
                .collect();
            o.method = "true front".into();
            o.evaluations = all.len();
            o.hypervolume += o.hypervolume_regret.unwrap_or(0.0);
            (o.hypervolume_regret, o.igd) = (Some(0.0), Some(0.0));
            (o, Some(all), values, Vec::new())
        }
        (None, None) => {
            return Err(Error::Config(
                "give --from JOURNAL or --dataset D --objectives ...".into(),
            ))
        }
    };
    if let Some(path) = &a.plot {
        plot(path, &o, all.as_deref(), &values, &evaluated)?;
    }
    print(&o, a.json)
}

fn names(spec: &str) -> Result<Vec<String>> {
    Ok(parse_spec(spec)?.into_iter().map(|p| p.0).collect())
}

/// Back from the maximisation convention to the objectives' own units.
fn unorient(p: &[f64], values: &[Values]) -> Vec<f64> {
    orient(p, values)
}

/// The front of a journal's evaluations (and the table's truth when it came from one).
/// What a journal's front report needs: the outcome, every table cell (oriented) when
/// the journal searched a table, the objectives' semantics, and every evaluation's first
/// two values.
type JournalFront = (
    MultiOutcome,
    Option<Vec<Vec<f64>>>,
    Vec<Values>,
    Vec<(f64, f64)>,
);

fn from_journal(path: &std::path::Path) -> Result<JournalFront> {
    let Recorded {
        header, entries, ..
    } = Recorded::read(path)?;
    let spec = header.metric.clone();
    let dirs = parse_spec(&spec).map_err(|_| {
        Error::Journal(format!(
            "{} is not a multi-objective journal (its objective is `{spec}`)",
            path.display()
        ))
    })?;
    let values: Vec<Values> = dirs
        .iter()
        .map(|d| if d.1 { Values::Score } else { Values::Cost })
        .collect();
    let evaluations: Vec<(String, Vec<f64>)> = entries
        .iter()
        .filter_map(|e| e.values.clone().map(|v| (e.arch.clone(), v)))
        .filter(|(_, v)| v.len() == values.len())
        .collect();
    let failed = entries.len() - evaluations.len();
    let h = MultiHistory {
        evaluations,
        failed,
    };
    let dataset = header.dataset.clone();
    let all = match wlgp::bench_data::dataset(&dataset) {
        Ok(_) => Some(every_cell(&dataset, &spec)?.0),
        Err(_) => None,
    };
    let mut o = outcome(
        &dataset,
        names(&spec)?,
        &values,
        &h,
        all.as_deref(),
        &report_config(),
        0.0,
    );
    o.method = header.method;
    o.seed = header.seed;
    let evaluated = h.evaluations.iter().map(|e| (e.1[0], e.1[1])).collect();
    Ok((o, all, values, evaluated))
}

fn plot(
    path: &std::path::Path,
    o: &MultiOutcome,
    all: Option<&[Vec<f64>]>,
    values: &[Values],
    evaluated: &[(f64, f64)],
) -> Result<()> {
    let xy = |v: &[f64]| (v[0], v[1]);
    let found: Vec<(f64, f64)> = o.front.iter().map(|p| xy(&p.values)).collect();
    let truth: Vec<(f64, f64)> = all
        .map(|all| {
            wlgp::pareto::non_dominated(all)
                .into_iter()
                .map(|i| xy(&unorient(&all[i], values)))
                .collect()
        })
        .unwrap_or_default();
    let title = format!(
        "{}: {} against {}",
        o.dataset, o.objectives[0], o.objectives[1]
    );
    wlgp::study::plot_front(
        path,
        &title,
        [&o.objectives[0], &o.objectives[1]],
        evaluated,
        &found,
        &truth,
    )
}
