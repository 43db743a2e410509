//! `wlgp search` and `wlgp compare`: searches on the embedded benchmarks.

use super::search_args::{journaled, Record, SearchArgs};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;
use wlgp::bench_data::{metric_kind, Dataset};
use wlgp::error::Error;
use wlgp::error::Result;
use wlgp::search::journal::EXTERNAL;
use wlgp::search::{
    self, BoConfig, CommandObjective, Evaluation, History, JournalHeader, Method, Objective,
    TableObjective,
};
use wlgp::space::{AnySampler, Sampler, Space, TableKey};
use wlgp::stats::mean_se;
use wlgp::values::{Values, ValuesSpec};

/// What a finished search reports.
#[derive(Serialize)]
struct Outcome {
    dataset: String,
    metric: String,
    /// What the values were taken to be.
    values: Values,
    /// The GP's target transform, as a formula of the value v.
    transform: String,
    method: Method,
    seed: u64,
    best_arch: String,
    best_value: f64,
    /// Best value in the whole table (null for an external objective).
    optimum: Option<f64>,
    /// Distance from the best value found to the optimum (null for an external objective).
    regret: Option<f64>,
    evaluations: usize,
    seconds: f64,
    trajectory: Vec<f64>,
    /// Evaluations given before the search (`--init`), and the best of them.
    given: usize,
    given_best: Option<f64>,
}

fn bo_config(a: &SearchArgs, values: ValuesSpec) -> Result<BoConfig> {
    a.bo.config(a.budget, a.seed, values)
}

/// The evaluations `--init` gives, as canonical strings with their values.
fn given<S: Sampler>(space: &S, a: &SearchArgs, metric: &str) -> Result<Vec<(String, f64)>> {
    match &a.init {
        None => Ok(Vec::new()),
        Some(path) => wlgp::search::options::given(space, path, metric),
    }
}

/// The best of the given evaluations, in the direction of the values.
fn given_best(cfg: &BoConfig) -> Option<f64> {
    let better = |x: f64, y: f64| {
        if cfg.values.maximize() {
            x.max(y)
        } else {
            x.min(y)
        }
    };
    cfg.init.iter().map(|(_, v)| *v).reduce(better)
}

/// How a table metric's values are read: `--values` if given, else the table's own.
fn table_values(a: &SearchArgs, metric: &str) -> ValuesSpec {
    a.bo.surrogate
        .values_spec(metric, Some(Values::of_table_metric(metric)))
}

fn header(
    space: &str,
    dataset: &str,
    metric: &str,
    method: Method,
    cfg: &BoConfig,
) -> JournalHeader {
    let method = format!("{method:?}").to_lowercase();
    JournalHeader::new(space, dataset, metric, &method, cfg.seed, cfg)
}

/// Runs a search on any objective, journaled as `record` says.
fn run_recorded<S: Sampler>(
    space: &S,
    obj: &mut dyn Objective<S>,
    hdr: impl Fn() -> JournalHeader,
    cfg: &BoConfig,
    method: Method,
    record: Record,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<History> {
    journaled(obj, hdr, record, |o| {
        search::run(space, o, method, cfg, on_eval)
    })
}

fn run_in<S: Sampler + TableKey>(
    space: &S,
    d: &'static Dataset,
    metric: &str,
    cfg: &BoConfig,
    method: Method,
    record: Record,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<Outcome> {
    let mut obj = TableObjective::new(d, metric)?;
    let t = Instant::now();
    let hdr = || header(space.name(), d.name, metric, method, cfg);
    let h = run_recorded(space, &mut obj, hdr, cfg, method, record, on_eval)?;
    let optimum = obj.optimum();
    let best = h.best();
    let resolved = cfg.values.resolve(&h.values())?;
    Ok(Outcome {
        values: resolved.values,
        transform: resolved.transform.formula(),
        dataset: d.name.to_string(),
        metric: metric.to_string(),
        method,
        seed: cfg.seed,
        best_arch: best.arch.clone(),
        best_value: best.value,
        optimum: Some(optimum),
        regret: Some((optimum - best.value).abs()),
        evaluations: h.evaluations.len(),
        seconds: t.elapsed().as_secs_f64(),
        trajectory: h.evaluations.iter().map(|e| e.best_so_far).collect(),
        given: cfg.init.len(),
        given_best: given_best(cfg),
    })
}

fn run_one(
    d: &'static Dataset,
    metric: &str,
    cfg: &BoConfig,
    method: Method,
    skip_as_wire: bool,
    record: Record,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<Outcome> {
    let space = AnySampler::new(d.space, skip_as_wire, d.proteins)?;
    run_in(&space, d, metric, cfg, method, record, on_eval)
}

/// What a search evaluates instead of a table: the user's command, or the built-in
/// trainer.
enum External<'a> {
    /// `--objective-cmd CMD`.
    Command(&'a str),
    /// `--objective builtin-digits`.
    Digits,
}

impl External<'_> {
    /// The objective's name in the journal header and in the output's `dataset`.
    fn name(&self) -> String {
        match self {
            External::Command(cmd) => format!("{EXTERNAL}{cmd}"),
            External::Digits => BUILTIN_DIGITS.to_string(),
        }
    }
    /// The metric's name and the semantics known before any value is seen.
    fn metric(&self, a: &SearchArgs) -> (String, Option<Values>) {
        match self {
            External::Command(_) => (
                a.metric.clone().unwrap_or_else(|| "score".into()),
                a.minimize.then_some(Values::Loss),
            ),
            External::Digits => ("accuracy".into(), Some(Values::AccuracyPercent)),
        }
    }
}

/// `--objective`'s one value: each architecture trained on the embedded digits.
pub(crate) const BUILTIN_DIGITS: &str = "builtin-digits";

/// A search on the user's own command, or on the built-in trainer, instead of a table.
fn run_external(
    space: &AnySampler,
    a: &SearchArgs,
    ext: &External,
    on_eval: &mut dyn FnMut(&Evaluation),
) -> Result<Outcome> {
    let (metric, known) = ext.metric(a);
    let options = a.options();
    let cfg = options.bo_config(options.surrogate.values_spec(&metric, known))?;
    let cfg = BoConfig {
        init: given(space, a, &metric)?,
        ..cfg
    };
    let t = Instant::now();
    let name = ext.name();
    let (mut obj, train): (Box<dyn Objective<AnySampler>>, _) = match ext {
        External::Command(cmd) => (
            Box::new(
                CommandObjective::new(cmd, a.timeout()?, cfg.values.direction_values())?
                    .with_workers(a.workers.unwrap_or(a.bo.batch))
                    .with_metric(&metric),
            ),
            None,
        ),
        External::Digits => {
            let o = super::train::digits_objective(space, &a.trainer, a.seed)?;
            let settings = o.settings();
            (Box::new(o), Some(settings))
        }
    };
    let hdr = || {
        let mut h = header(space.name(), &name, &metric, a.method, &cfg).with_space(space);
        if let Some(s) = &train {
            h.settings["train"] = s.clone();
        }
        h
    };
    let h = run_recorded(
        space,
        obj.as_mut(),
        hdr,
        &cfg,
        a.method,
        Record::of(a),
        on_eval,
    )?;
    let best = h.best();
    let resolved = cfg.values.resolve(&h.values())?;
    Ok(Outcome {
        values: resolved.values,
        transform: resolved.transform.formula(),
        dataset: name.clone(),
        metric: metric.clone(),
        method: a.method,
        seed: a.seed,
        best_arch: best.arch.clone(),
        best_value: best.value,
        optimum: None,
        regret: None,
        evaluations: h.evaluations.len(),
        seconds: t.elapsed().as_secs_f64(),
        trajectory: h.evaluations.iter().map(|e| e.best_so_far).collect(),
        given: cfg.init.len(),
        given_best: given_best(&cfg),
    })
}

pub(crate) fn search(a: &SearchArgs) -> Result<()> {
    if a.init.is_some() && (a.is_nago() || a.objectives.is_some()) {
        return Err(Error::Config(
            "--init starts a single-objective BO over cells; it does not apply to --space nago or --objectives".into(),
        ));
    }
    if a.is_nago() {
        return super::nago::search(a);
    }
    if let Some(spec) = &a.objectives {
        return super::multi::search(a, spec);
    }
    let external = match (&a.objective_cmd, &a.objective) {
        (Some(_), Some(_)) => {
            return Err(Error::Config(
                "--objective-cmd and --objective are two objectives: give one".into(),
            ))
        }
        (Some(cmd), None) => Some(External::Command(cmd)),
        (None, Some(_)) => Some(External::Digits),
        (None, None) => None,
    };
    let (o, maximize) = if let Some(ext) = external {
        if a.dataset.is_some() {
            return Err(Error::Config(format!(
                "{} replaces --dataset",
                match ext {
                    External::Command(_) => "--objective-cmd",
                    External::Digits => "--objective",
                }
            )));
        }
        let pb = super::progress_bar(
            a.budget as u64,
            &format!("{} on {}", a.method.name(), ext.name()),
        );
        let mut on_eval = |e: &Evaluation| {
            pb.inc(1);
            pb.set_message(format!("best {:.4}", e.best_so_far));
        };
        let space = a
            .options()
            .space()?
            .sampler(a.bo.surrogate.skip.as_wire(), a.proteins)?;
        let o = run_external(&space, a, &ext, &mut on_eval)?;
        pb.finish_and_clear();
        (o, matches!(ext, External::Digits) || !a.minimize)
    } else {
        let (d, metric) = a.target()?;
        let cfg = BoConfig {
            init: match &a.init {
                None => Vec::new(),
                Some(p) => {
                    let space =
                        AnySampler::new(d.space, a.bo.surrogate.skip.as_wire(), d.proteins)?;
                    wlgp::search::options::given(&space, p, &metric)?
                }
            },
            ..bo_config(a, table_values(a, &metric))?
        };
        let pb = super::progress_bar(
            a.budget as u64,
            &format!("{} on {}:{metric}", a.method.name(), d.name),
        );
        let mut on_eval = |e: &Evaluation| {
            pb.inc(1);
            pb.set_message(format!("best {:.4}", e.best_so_far));
        };
        let o = run_one(
            d,
            &metric,
            &cfg,
            a.method,
            a.bo.surrogate.skip.as_wire(),
            Record::of(a),
            &mut on_eval,
        )?;
        pb.finish_and_clear();
        (o, metric_kind(&metric).maximize())
    };
    if a.json {
        return super::out(&(serde_json::to_string(&o).expect("plain data") + "\n"));
    }
    let dir = if maximize { "max" } else { "min" };
    let opt = |v: Option<f64>| {
        v.map_or("unknown (external objective)".to_string(), |v| {
            format!("{v}")
        })
    };
    let given = o.given_best.map_or(String::new(), |b| {
        format!(
            "given         {} evaluations before the search (best {b})\n",
            o.given
        )
    });
    super::out(&format!(
        "dataset       {} ({}, {dir})\nvalues        {} (modelled as {})\nmethod        {}, seed {}\n{given}best arch     {}\nbest value    {}\noptimum       {}\nregret        {}\nevaluations   {}\ntime          {:.2} s\n",
        o.dataset,
        o.metric,
        o.values,
        o.transform,
        o.method.name(),
        o.seed,
        o.best_arch,
        o.best_value,
        opt(o.optimum),
        o.regret.map_or("unknown".into(), |r| format!("{r:.6}")),
        o.evaluations,
        o.seconds
    ))
}

#[derive(Args, Debug)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    pub(crate) search: SearchArgs,
    /// Number of seeds per method (seeds 0..N).
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Methods to compare (comma-separated).
    #[arg(
        long,
        value_parser = crate::named::<Method>(),
        value_delimiter = ',',
        default_value = "bo,random,evolution,local"
    )]
    methods: Vec<Method>,
}

#[derive(Serialize)]
struct MethodSummary {
    method: Method,
    mean_regret: f64,
    se_regret: f64,
    regrets: Vec<f64>,
    mean_seconds: f64,
}

pub(crate) fn compare(c: &CompareArgs) -> Result<()> {
    let a = &c.search;
    if a.init.is_some() {
        return Err(Error::Config(
            "compare runs every method from scratch; --init is for wlgp search".into(),
        ));
    }
    let (d, metric) = a.target()?;
    let base = bo_config(a, table_values(a, &metric))?;
    let jobs: Vec<(Method, u64)> = c
        .methods
        .iter()
        .copied()
        .flat_map(|m| (0..c.seeds).map(move |s| (m, s)))
        .collect();
    let pb = super::progress_bar(jobs.len() as u64, &format!("{}:{metric}", d.name));
    let results: Vec<(Method, Outcome)> = jobs
        .par_iter()
        .map(|&(m, s)| {
            let cfg = BoConfig {
                seed: s,
                ..base.clone()
            };
            let o = run_one(
                d,
                &metric,
                &cfg,
                m,
                a.bo.surrogate.skip.as_wire(),
                Record::None,
                &mut |_| {},
            );
            pb.inc(1);
            o.map(|o| (m, o))
        })
        .collect::<Result<_>>()?;
    pb.finish_and_clear();
    let summaries: Vec<MethodSummary> = c
        .methods
        .iter()
        .copied()
        .map(|m| {
            let rs: Vec<&Outcome> = results.iter().filter(|r| r.0 == m).map(|r| &r.1).collect();
            let regrets: Vec<f64> = rs.iter().map(|o| o.regret.unwrap_or(f64::NAN)).collect();
            let (mean, se) = mean_se(&regrets);
            MethodSummary {
                method: m,
                mean_regret: mean,
                se_regret: se,
                mean_seconds: rs.iter().map(|o| o.seconds).sum::<f64>() / rs.len().max(1) as f64,
                regrets,
            }
        })
        .collect();
    if a.json {
        let v = serde_json::json!({
            "dataset": d.name, "metric": metric, "budget": a.budget, "seeds": c.seeds,
            "methods": summaries,
        });
        return super::out(&(v.to_string() + "\n"));
    }
    let mut s = format!(
        "{}:{metric}, budget {}, {} seeds\n| method | mean regret | ± s.e. | s/run |\n|---|---|---|---|\n",
        d.name, a.budget, c.seeds
    );
    for m in &summaries {
        s += &format!(
            "| {} | {:.4} | {:.4} | {:.1} |\n",
            m.method.name(),
            m.mean_regret,
            m.se_regret,
            m.mean_seconds
        );
    }
    super::out(&s)
}
