//! `wlgp search --objectives A:max,B:min`: a multi-objective search on an embedded table
//! or the user's command, journaled and resumable, reported as its Pareto front and its
//! hypervolume (against the table's true front where there is one).

use super::search_args::SearchArgs;
use serde::Serialize;
use wlgp::bench_data::Dataset;
use wlgp::error::{Error, Result};
use wlgp::pareto::{bounds, igd, non_dominated, normalise};
use wlgp::search::multi::{
    multi_objective_search, normalised_hypervolume, orient, MultiConfig, MultiHistory, MultiMethod,
    MultiObjective,
};
use wlgp::search::multi_command::{CommandMulti, JournaledMulti};
use wlgp::search::multi_table::TableMulti;
use wlgp::search::Method;
use wlgp::search::{CommandObjective, Journal, JournalHeader};
use wlgp::space::nb201_cost::ComputedCosts;
use wlgp::space::{Sampler, TableKey};

/// One point of a front.
#[derive(Serialize)]
pub(crate) struct FrontPoint {
    pub(crate) arch: String,
    pub(crate) values: Vec<f64>,
}

/// What a multi-objective search reports.
#[derive(Serialize)]
pub(crate) struct MultiOutcome {
    pub(crate) dataset: String,
    pub(crate) objectives: Vec<String>,
    pub(crate) method: String,
    pub(crate) seed: u64,
    pub(crate) front: Vec<FrontPoint>,
    /// Hypervolume of the found front, each objective mapped onto [0, 1] from the table's
    /// worst to its best value (for a command: the evaluations' worst and best); the
    /// reference point is the worst corner (all 0).
    pub(crate) hypervolume: f64,
    /// The true front's hypervolume minus the found one's (tables only).
    pub(crate) hypervolume_regret: Option<f64>,
    /// Inverted generational distance to the true front, in the same normalised units
    /// (tables only).
    pub(crate) igd: Option<f64>,
    pub(crate) true_front_size: Option<usize>,
    pub(crate) evaluations: usize,
    /// Evaluations that gave no values.
    pub(crate) failed: usize,
    pub(crate) seconds: f64,
}

/// Runs the search, journaled as `--journal` / `--resume` say.
fn journaled<S: Sampler>(
    space: &S,
    obj: &mut dyn MultiObjective<S>,
    a: &SearchArgs,
    dataset: &str,
    spec: &str,
    cfg: &MultiConfig,
) -> Result<MultiHistory> {
    let method = format!("{:?}", cfg.method).to_lowercase();
    let header = || JournalHeader::new(space.name(), dataset, spec, &method, cfg.seed, cfg);
    match (&a.journal, &a.resume) {
        (Some(p), _) => {
            let j = Journal::create(p, &header())?;
            multi_objective_search(space, &mut JournaledMulti::new(obj, j, Vec::new()), cfg)
        }
        (None, Some(p)) => {
            let (j, done) = Journal::resume(p, &header())?;
            multi_objective_search(space, &mut JournaledMulti::new(obj, j, done), cfg)
        }
        (None, None) => multi_objective_search(space, obj, cfg),
    }
}

/// The outcome of a finished search; `all` is every cell's oriented values on a table.
pub(crate) fn outcome(
    dataset: &str,
    names: Vec<String>,
    values: &[wlgp::values::Values],
    h: &MultiHistory,
    all: Option<&[Vec<f64>]>,
    cfg: &MultiConfig,
    seconds: f64,
) -> MultiOutcome {
    let found: Vec<Vec<f64>> = h.evaluations.iter().map(|e| orient(&e.1, values)).collect();
    let front_idx = non_dominated(&found);
    let front: Vec<Vec<f64>> = front_idx.iter().map(|&i| found[i].clone()).collect();
    let (lo, hi) = bounds(all.unwrap_or(&found));
    let hv = normalised_hypervolume(&front, &lo, &hi);
    let truth = all.map(|all| {
        let t: Vec<Vec<f64>> = non_dominated(all)
            .into_iter()
            .map(|i| all[i].clone())
            .collect();
        let norm = |p: &Vec<f64>| normalise(p, &lo, &hi);
        let (tn, fnorm): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (
            t.iter().map(norm).collect(),
            front.iter().map(norm).collect(),
        );
        (
            (normalised_hypervolume(&t, &lo, &hi) - hv).max(0.0),
            igd(&tn, &fnorm),
            t.len(),
        )
    });
    MultiOutcome {
        dataset: dataset.to_string(),
        objectives: names,
        method: format!("{:?}", cfg.method).to_lowercase(),
        seed: cfg.seed,
        front: front_idx
            .iter()
            .map(|&i| FrontPoint {
                arch: h.evaluations[i].0.clone(),
                values: h.evaluations[i].1.clone(),
            })
            .collect(),
        hypervolume: hv,
        hypervolume_regret: truth.map(|t| t.0),
        igd: truth.map(|t| t.1),
        true_front_size: truth.map(|t| t.2),
        evaluations: h.evaluations.len() + h.failed,
        failed: h.failed,
        seconds,
    }
}

pub(crate) fn run_on<S: Sampler + TableKey + ComputedCosts>(
    space: &S,
    d: &'static Dataset,
    spec: &str,
    a: &SearchArgs,
    cfg: &MultiConfig,
) -> Result<MultiOutcome> {
    let mut obj = TableMulti::new(space, d, spec)?;
    let values = MultiObjective::<S>::values(&obj);
    let t = std::time::Instant::now();
    let h = journaled(space, &mut obj, a, d.name, spec, cfg)?;
    let seconds = t.elapsed().as_secs_f64();
    let all: Vec<Vec<f64>> = obj
        .every_cell(space)?
        .iter()
        .map(|v| orient(v, &values))
        .collect();
    Ok(outcome(
        d.name,
        obj.names.clone(),
        &values,
        &h,
        Some(&all),
        cfg,
        seconds,
    ))
}

fn run_cmd<S: Sampler + ComputedCosts>(
    space: &S,
    cmd: &str,
    spec: &str,
    a: &SearchArgs,
    cfg: &MultiConfig,
) -> Result<MultiOutcome> {
    let command = CommandObjective::new(cmd, a.timeout()?, wlgp::values::Values::Score)?;
    let mut obj = CommandMulti::new(space, command, spec)?;
    let values = MultiObjective::<S>::values(&obj);
    let names = wlgp::search::multi_table::parse_spec(spec)?
        .into_iter()
        .map(|p| p.0)
        .collect();
    let t = std::time::Instant::now();
    let dataset = format!("{}{cmd}", wlgp::search::journal::EXTERNAL);
    let h = journaled(space, &mut obj, a, &dataset, spec, cfg)?;
    Ok(outcome(
        &dataset,
        names,
        &values,
        &h,
        None,
        cfg,
        t.elapsed().as_secs_f64(),
    ))
}

/// Runs `wlgp search --objectives ...` and prints the front.
pub(crate) fn search(a: &SearchArgs, spec: &str) -> Result<()> {
    a.timeout()?;
    let method = match (a.method, a.mo_method) {
        (Method::Random, _) => MultiMethod::Random,
        (Method::Evolution, _) => MultiMethod::Evolution,
        (Method::Bo, m) => m,
        (m, _) => {
            return Err(Error::Config(format!(
                "--method {} is not available with --objectives (use bo, random or evolution; --mo-method nsga2)",
                m.name()
            )))
        }
    };
    let gp = a.bo.surrogate.gp_config(wlgp::gp::Transform::Identity)?;
    let cfg = MultiConfig {
        budget: a.budget,
        n_init: a.bo.n_init,
        seed: a.seed,
        batch: a.bo.batch,
        method,
        gp,
        parents: a.bo.pool_parents,
        random: a.bo.pool_random,
        draws: 128,
    };
    let wire = a.bo.surrogate.skip.as_wire();
    let o = if let Some(cmd) = &a.objective_cmd {
        if a.dataset.is_some() {
            return Err(Error::Config("--objective-cmd replaces --dataset".into()));
        }
        let space = a.options().space()?.sampler(wire, false)?;
        run_cmd(&space, cmd, spec, a, &cfg)?
    } else {
        let d = super::resolve_dataset(a.space.as_ref(), a.dataset.as_deref())?;
        run_on(&d.sampler(wire)?, d, spec, a, &cfg)?
    };
    print(&o, a.json)
}

/// Prints a multi-objective outcome: one JSON object, or a summary and the front.
pub(crate) fn print(o: &MultiOutcome, json: bool) -> Result<()> {
    if json {
        return super::out(&(serde_json::to_string(o).expect("plain data") + "\n"));
    }
    let mut s = format!(
        "dataset       {}\nobjectives    {}\nmethod        {}, seed {}\nevaluations   {} ({} failed)\nhypervolume   {:.6} ({})\ntime          {:.2} s\n\n| arch | {} |\n|---|{}\n",
        o.dataset,
        o.objectives.join(", "),
        o.method,
        o.seed,
        o.evaluations,
        o.failed,
        o.hypervolume,
        match (o.hypervolume_regret, o.igd, o.true_front_size) {
            (Some(r), Some(g), Some(n)) => format!(
                "normalised over the table; regret {r:.6}, IGD {g:.6}; true front {n} points"
            ),
            _ => "normalised over the evaluations".into(),
        },
        o.seconds,
        o.objectives.join(" | "),
        "---|".repeat(o.objectives.len()),
    );
    for p in &o.front {
        let v: Vec<String> = p.values.iter().map(|v| format!("{v:.6}")).collect();
        s += &format!("| {} | {} |\n", p.arch, v.join(" | "));
    }
    super::out(&s)
}

/// Hypervolume regret after each evaluation of a history, against a table's true front
/// (each objective normalised over the table).
fn regret_curve(h: &MultiHistory, values: &[wlgp::values::Values], all: &[Vec<f64>]) -> Vec<f64> {
    let (lo, hi) = bounds(all);
    let truth: Vec<Vec<f64>> = non_dominated(all)
        .into_iter()
        .map(|i| all[i].clone())
        .collect();
    let best = normalised_hypervolume(&truth, &lo, &hi);
    let mut front: Vec<Vec<f64>> = Vec::new();
    h.evaluations
        .iter()
        .map(|e| {
            front.push(orient(&e.1, values));
            front = non_dominated(&front)
                .into_iter()
                .map(|i| front[i].clone())
                .collect();
            (best - normalised_hypervolume(&front, &lo, &hi)).max(0.0)
        })
        .collect()
}

/// How a multi-objective study reaches its tables and what it reports.
pub(crate) struct MultiStudy<'a> {
    pub(crate) specs: &'a [String],
    pub(crate) datasets: &'a [&'static Dataset],
    pub(crate) methods: &'a [MultiMethod],
    pub(crate) seeds: u64,
    pub(crate) base: &'a MultiConfig,
    pub(crate) out: &'a std::path::Path,
    /// Every evaluation through the user's path: `wlgp lookup` run as the training
    /// command, printing the measured objectives as JSON (percentages as fractions), the
    /// objectives' semantics undeclared and computed costs computed by the space.
    pub(crate) through_command: bool,
    /// Evaluation counts at which the summary reports the regret.
    pub(crate) report_at: Vec<usize>,
}

/// The `wlgp lookup` command that measures a spec's table objectives of dataset `d`.
fn lookup_command<S: ComputedCosts>(space: &S, d: &Dataset, spec: &str) -> Result<String> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding the wlgp binary", e))?;
    let measured: Vec<String> = wlgp::search::multi_table::parse_spec(spec)?
        .into_iter()
        .map(|p| p.0)
        .filter(|n| !space.cost_names().contains(&n.as_str()))
        .collect();
    Ok(format!(
        "'{}' lookup --dataset {} --metrics {} --fraction",
        exe.display(),
        d.name,
        measured.join(",")
    ))
}

/// One search of a study: on the table, or through the lookup command with the history's
/// values read back from the table (so regret is measured in the table's units).
fn study_search<S: Sampler + TableKey + ComputedCosts>(
    space: &S,
    d: &'static Dataset,
    spec: &str,
    cfg: &MultiConfig,
    through_command: bool,
) -> Result<MultiHistory> {
    let mut table = TableMulti::new(space, d, spec)?;
    if !through_command {
        return multi_objective_search(space, &mut table, cfg);
    }
    let cmd = lookup_command(space, d, spec)?;
    let command = CommandObjective::new(&cmd, None, wlgp::values::Values::Score)?;
    let mut obj = CommandMulti::new(space, command, spec)?;
    let mut h = multi_objective_search(space, &mut obj, cfg)?;
    // The lookup answers every cell of its table: a failure means the path itself is
    // broken (the binary moved, the command mangled), never a result to average.
    if h.failed > 0 {
        return Err(Error::Config(format!(
            "{} of {} evaluations through `{cmd}` failed; the study's command path is broken",
            h.failed,
            h.failed + h.evaluations.len()
        )));
    }
    for e in &mut h.evaluations {
        let cell = space.parse(&e.0)?;
        e.1 = MultiObjective::evaluate(&mut table, space, &cell)?;
    }
    Ok(h)
}

/// One problem of a multi-objective study: every method, every seed, in parallel.
fn study_problem<S: Sampler + TableKey + ComputedCosts>(
    space: &S,
    d: &'static Dataset,
    spec: &str,
    st: &MultiStudy,
) -> Result<Vec<(MultiMethod, u64, Vec<f64>)>> {
    use rayon::prelude::*;
    let (methods, seeds, base) = (st.methods, st.seeds, st.base);
    let probe = TableMulti::new(space, d, spec)?;
    let values = MultiObjective::<S>::values(&probe);
    let mut t = probe;
    let all: Vec<Vec<f64>> = t
        .every_cell(space)?
        .iter()
        .map(|v| orient(v, &values))
        .collect();
    let jobs: Vec<(MultiMethod, u64)> = methods
        .iter()
        .flat_map(|&m| (0..seeds).map(move |s| (m, s)))
        .collect();
    jobs.par_iter()
        .map(|&(m, seed)| {
            let cfg = MultiConfig {
                method: m,
                seed,
                ..base.clone()
            };
            let h = study_search(space, d, spec, &cfg, st.through_command)?;
            Ok((m, seed, regret_curve(&h, &values, &all)))
        })
        .collect()
}

/// `wlgp study --objectives SPEC ...`: methods × datasets × seeds on the embedded tables,
/// hypervolume regret against evaluations (CSV, log-scale SVG plots, summary.md).
pub(crate) fn study(st: &MultiStudy) -> Result<()> {
    use std::fmt::Write as _;
    let (specs, datasets, methods, seeds, base, out) =
        (st.specs, st.datasets, st.methods, st.seeds, st.base, st.out);
    let at_list = st
        .report_at
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let io = |e| Error::io(format!("writing {}", out.display()), e);
    std::fs::create_dir_all(out).map_err(io)?;
    let mut csv = String::from("dataset,objectives,method,seed,evaluation,hypervolume_regret\n");
    let path = if st.through_command {
        " Every evaluation went through the user's path: `--objective-cmd 'wlgp lookup --dataset D --metrics ... --fraction'` (the measured objectives as JSON, percentages as fractions, their semantics undeclared and inferred; computed costs computed by the space)."
    } else {
        ""
    };
    let mut md = format!(
        "# Multi-objective study\n\n{} evaluations, {seeds} seeds.{path} Hypervolume regret: the table's true front's hypervolume minus the found front's, each objective mapped onto [0, 1] from the table's worst to its best value, reference point at the worst corner. Mean ± standard error after {at_list} evaluations; the lowest mean at each in bold.\n\n| table | objectives | {} |\n|---|---|{}\n",
        base.budget,
        methods.iter().map(|m| format!("{m:?}").to_lowercase()).collect::<Vec<_>>().join(" | "),
        "---|".repeat(methods.len())
    );
    let mut ran = 0;
    for spec in specs {
        for &d in datasets {
            let rows = study_problem(&d.sampler(true)?, d, spec, st);
            // A spec names metrics of some tables only: the others are skipped.
            let rows = match rows {
                Ok(rows) => rows,
                Err(Error::UnknownMetric { .. } | Error::Config(_)) => continue,
                Err(e) => return Err(e),
            };
            ran += 1;
            for (m, s, curve) in &rows {
                for (i, r) in curve.iter().enumerate() {
                    let _ = writeln!(csv, "{},\"{spec}\",{m:?},{s},{},{r}", d.name, i + 1);
                }
            }
            let curves: Vec<(String, Vec<Vec<f64>>)> = methods
                .iter()
                .map(|&m| {
                    let runs = rows
                        .iter()
                        .filter(|r| r.0 == m)
                        .map(|r| r.2.clone())
                        .collect();
                    (format!("{m:?}").to_lowercase(), runs)
                })
                .collect();
            let at = |runs: &Vec<Vec<f64>>, i: usize| -> (f64, f64) {
                wlgp::stats::mean_se(
                    &runs
                        .iter()
                        .filter_map(|r| r.get(i).copied())
                        .collect::<Vec<_>>(),
                )
            };
            let idx: Vec<usize> = st.report_at.iter().map(|n| n.saturating_sub(1)).collect();
            let best: Vec<f64> = idx
                .iter()
                .map(|&i| {
                    curves
                        .iter()
                        .map(|c| at(&c.1, i).0)
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
            let cells: Vec<String> = curves
                .iter()
                .map(|(_, runs)| {
                    let parts: Vec<String> = idx
                        .iter()
                        .zip(&best)
                        .map(|(&i, &b)| {
                            let (m, se) = at(runs, i);
                            let t = format!("{m:.4} ± {se:.4}");
                            if m == b {
                                format!("**{t}**")
                            } else {
                                t
                            }
                        })
                        .collect();
                    parts.join(" / ")
                })
                .collect();
            let _ = writeln!(md, "| {} | {spec} | {} |", d.name, cells.join(" | "));
            let name = format!("hv_regret_{}_{}.svg", d.name, spec.replace([':', ','], "_"));
            let title = format!("{}: {spec} ({seeds} seeds)", d.name);
            wlgp::study::plot_hypervolume_regret(&out.join(&name), &title, &curves)?;
        }
    }
    if ran == 0 {
        return Err(Error::Config(format!(
            "no dataset has every objective of {}",
            specs.join(" or ")
        )));
    }
    std::fs::write(out.join("runs.csv"), csv).map_err(io)?;
    std::fs::write(out.join("summary.md"), &md).map_err(io)?;
    super::out(&md)
}
