//! `wlgp nago`: NAGO's hierarchical network generators.

use super::search_args::{journaled, Record, SearchArgs};
use clap::{Args, Subcommand};
use rand::SeedableRng;
use serde::Serialize;
use wlgp::error::Error;
use wlgp::error::Result;
use wlgp::search::generator::{
    generator_bo, Cost, GeneratorBoConfig, GeneratorCommand, GeneratorKernel, TrainObjective,
};
use wlgp::search::journal::EXTERNAL;
use wlgp::search::multi::MultiMethod;
use wlgp::search::{CommandObjective, Evaluation, JournalHeader, Method, Objective};
use wlgp::space::nago::space::{Generator, GeneratorSpace};
use wlgp::space::nago::train::{train, Digits, Structure, TrainConfig, TrainReport};
use wlgp::space::nago::{Network, Theta};
use wlgp::space::Space;
use wlgp::values::Values;

#[derive(Args, Debug)]
pub(crate) struct NagoArgs {
    #[command(subcommand)]
    command: NagoCommand,
}

#[derive(Subcommand, Debug)]
enum NagoCommand {
    /// Sample a network from a generator: θ, the three levels of graphs and the whole
    /// network as one labelled DAG (docs/nago.md describes the JSON).
    Sample(SampleArgs),
    /// Sample a network from a generator, train it on scikit-learn's digits (fixed
    /// split, seeded) and report its validation accuracy, exact parameter count and
    /// seconds.
    Train(TrainArgs),
}

#[derive(Args, Debug)]
struct TrainArgs {
    #[command(flatten)]
    sample: SampleArgs,
    /// Passes over the 1,198 training images.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    epochs: usize,
    /// Images per SGD step.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    batch: usize,
    /// Peak learning rate (cosine decay to zero).
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    lr: f32,
    /// Parameter limit of the reference's width rule: width = int(sqrt(budget / Σ 9 ·
    /// in · out)) over the operations in units of the width...
    #[arg(long, default_value_t = TrainConfig::default().budget)]
    budget: usize,
    /// ...but never fewer channels than this in the first stage.
    #[arg(long, default_value_t = TrainConfig::default().min_width)]
    min_width: usize,
    /// `residual` (default): the reference's network with a residual path around each
    /// operation whose channels do not change and merges starting as means, which trains
    /// in a few epochs; `reference`: the reference's rules only (docs/nago.md compares).
    #[arg(long, default_value_t = Structure::default())]
    structure: Structure,
}

/// What `wlgp nago train --json` prints.
#[derive(Serialize)]
struct Trained {
    theta: Theta,
    seed: u64,
    #[serde(flatten)]
    report: TrainReport,
    structure: Structure,
    config: TrainConfig,
}

#[derive(Args, Debug)]
struct SampleArgs {
    /// The generator as a JSON object keyed by G1_nodes, G1_K, G1_P, G2_nodes, G2_P,
    /// G3_nodes, G3_K, G3_P (default: drawn uniformly from the ranges with --seed).
    #[arg(long)]
    theta: Option<String>,
    /// Seed of the network (and of θ when --theta is not given).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the whole sample as JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Draw the network that `wlgp search --space nago --seed K` evaluates for θ
    /// (instead of the network of --seed).
    #[arg(long, value_name = "K")]
    search_seed: Option<u64>,
}

/// θ from `--theta`, or drawn from the seed.
fn theta(a: &SampleArgs) -> Result<Theta> {
    match &a.theta {
        Some(s) => Theta::parse(s),
        None => Ok(Theta::sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(
            a.seed,
        ))),
    }
}

/// The network these arguments name: of --seed, or the one a search evaluates.
fn network(a: &SampleArgs) -> Result<Network> {
    let t = theta(a)?;
    match a.search_seed {
        Some(k) => GeneratorSpace { seed: k }.network(&Generator::new(&t)),
        None => Network::sample(&t, a.seed),
    }
}

fn sample(a: &SampleArgs) -> Result<()> {
    let network = network(a)?;
    let t = network.theta;
    let arch = network.to_arch();
    if a.json {
        let mut v = network.sample_json_of(&arch);
        let d = TrainConfig::default();
        let (width, params) = wlgp::space::nago::train::sized(&network, &d)?;
        let cells = wlgp::space::nago::build::cells(&network);
        v["trainer"] = serde_json::json!({"width": width, "params": params, "cells": cells});
        return super::out(&(v.to_string() + "\n"));
    }
    let level = |name: &str, graphs: &[&wlgp::space::nago::graphs::Graph]| {
        let edges: usize = graphs.iter().map(|g| g.edges.len()).sum();
        format!("{name:<8} {} graph(s), {edges} edges\n", graphs.len())
    };
    let middle: Vec<_> = network.middle.iter().collect();
    let bottom: Vec<_> = network.bottom.iter().flatten().collect();
    super::out(&format!(
        "theta    {}\nseed     {}\n{}{}{}operations {}\ngraph    {} nodes, {} edges\n",
        serde_json::to_string(&t).expect("plain data"),
        network.seed,
        level("top", &[&network.top]),
        level("middle", &middle),
        level("bottom", &bottom),
        network.operations(),
        arch.node_count(),
        arch.edge_count()
    ))
}

fn train_one(a: &TrainArgs) -> Result<()> {
    let config = TrainConfig {
        budget: a.budget,
        min_width: a.min_width,
        ..super::train::config(a.epochs, a.batch, a.lr)?
    };
    let network = network(&a.sample)?;
    let theta = network.theta;
    let report = train(&network, &Digits::load()?, &config, a.structure)?;
    if a.sample.json {
        let t = Trained {
            theta,
            seed: network.seed,
            report,
            structure: a.structure,
            config,
        };
        return super::out(&(serde_json::to_string(&t).expect("plain data") + "\n"));
    }
    super::out(&format!(
        "theta      {}\nseed       {}\naccuracy   {:.2} %  (digits, 599 held-out images)\nparams     {}  (width {}, {} convolutions)\nseconds    {:.2}\n",
        serde_json::to_string(&theta).expect("plain data"),
        network.seed,
        report.accuracy,
        report.params,
        report.width,
        report.operations,
        report.seconds
    ))
}

pub(crate) fn nago(a: &NagoArgs) -> Result<()> {
    match &a.command {
        NagoCommand::Sample(s) => sample(s),
        NagoCommand::Train(t) => train_one(t),
    }
}

/// What `wlgp search --space nago --json` prints.
#[derive(Serialize)]
struct Outcome {
    dataset: String,
    metric: String,
    method: String,
    kernel: Option<GeneratorKernel>,
    seed: u64,
    /// θ of the best generator, as its JSON object.
    best_arch: String,
    best_value: f64,
    evaluations: usize,
    seconds: f64,
    trajectory: Vec<f64>,
    /// With --objectives accuracy:max,params:min: the non-dominated evaluations.
    #[serde(skip_serializing_if = "Option::is_none")]
    front: Option<Vec<FrontPoint>>,
    /// With --objectives: the area dominated by the front in (accuracy %, log10 params)
    /// above accuracy 0 and below 10^7 parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    hypervolume: Option<f64>,
}

/// One generator of the accuracy–parameters front.
#[derive(Serialize)]
struct FrontPoint {
    theta: String,
    accuracy: f64,
    params: f64,
}

/// The generator search's settings, as its journal header records them.
#[derive(Serialize)]
struct Settings<'a> {
    #[serde(flatten)]
    bo: &'a GeneratorBoConfig,
    train: Option<&'a TrainConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    objectives: Option<&'static str>,
}

/// The one multi-objective problem over generators: accuracy against parameters.
const ACCURACY_PARAMS: &str = "accuracy:max,params:min";

/// Whether `--objectives` asks for accuracy against parameters (an error for anything
/// else, or with a user's command).
fn multi(a: &SearchArgs) -> Result<bool> {
    let Some(spec) = &a.objectives else {
        return Ok(false);
    };
    if spec.replace(' ', "") != ACCURACY_PARAMS || a.objective_cmd.is_some() {
        return Err(Error::Config(format!(
            "--space nago searches --objectives {ACCURACY_PARAMS} with the built-in trainer only (not `{spec}`{})",
            if a.objective_cmd.is_some() { " with --objective-cmd" } else { "" }
        )));
    }
    match a.mo_method {
        MultiMethod::Ehvi | MultiMethod::Random => Ok(true),
        m => Err(Error::Config(format!(
            "--space nago --objectives searches with --mo-method ehvi or random, not {m:?}"
        ))),
    }
}

/// The non-dominated evaluations (accuracy up, parameters down) and their hypervolume.
fn front(h: &wlgp::search::History, params: Cost) -> Result<(Vec<FrontPoint>, f64)> {
    let mut pts = Vec::new();
    for e in h.evaluations.iter().filter(|e| e.value.is_finite()) {
        let g = GeneratorSpace::default().parse(&e.arch)?;
        pts.push((e.arch.clone(), e.value, params(&g)?));
    }
    let oriented: Vec<Vec<f64>> = pts.iter().map(|p| vec![p.1, -p.2.log10()]).collect();
    let hv = wlgp::pareto::hypervolume(&oriented, &[0.0, -7.0]);
    let keep = wlgp::pareto::non_dominated(&oriented);
    let front = keep
        .into_iter()
        .map(|i| FrontPoint {
            theta: pts[i].0.clone(),
            accuracy: pts[i].1,
            params: pts[i].2,
        })
        .collect();
    Ok((front, hv))
}

pub(crate) fn search(a: &SearchArgs) -> Result<()> {
    let multi = multi(a)?;
    if a.dataset.is_some() {
        return Err(Error::Config(
            "--space nago trains on the embedded digits, or runs --objective-cmd; --dataset does not apply".into(),
        ));
    }
    let bo = if multi {
        a.mo_method == MultiMethod::Ehvi
    } else {
        !matches!(a.method, Method::Random)
    };
    if !multi && !matches!(a.method, Method::Bo | Method::Random) {
        return Err(Error::Config(format!(
            "--space nago searches with bo or random, not {}",
            a.method.name()
        )));
    }
    let g = &a.generator;
    let cfg = GeneratorBoConfig {
        budget: a.budget,
        n_init: a.bo.n_init,
        seed: a.seed,
        kernel: g.generator_kernel,
        acquisition: a.bo.acquisition.function(a.bo.ucb_beta).ok_or_else(|| {
            Error::Config("--space nago has no Thompson sampling: use ei, ucb, pi or mean".into())
        })?,
        pool: g.generator_pool.max(1),
        local: g.generator_local,
        networks: g.generator_networks.max(1),
        wl_h: 2,
        device: a.bo.device,
    };
    let train = TrainConfig {
        epochs: a
            .trainer
            .train_epochs
            .unwrap_or(TrainConfig::default().epochs),
        ..TrainConfig::default()
    };
    let space = GeneratorSpace { seed: a.seed };
    let (mut obj, dataset, metric): (Box<dyn Objective<GeneratorSpace>>, String, String) =
        match &a.objective_cmd {
            Some(cmd) => {
                let metric = a.metric.clone().unwrap_or_else(|| "score".into());
                let kind =
                    a.bo.surrogate
                        .values_spec(&metric, a.minimize.then_some(Values::Loss))
                        .direction_values();
                let c = CommandObjective::new(cmd, a.timeout()?, kind)?.with_metric(&metric);
                (
                    Box::new(GeneratorCommand(c)),
                    format!("{EXTERNAL}{cmd}"),
                    metric,
                )
            }
            None => (
                Box::new(TrainObjective::new(train.clone())?),
                "digits".into(),
                "accuracy".into(),
            ),
        };
    let settings = Settings {
        bo: &cfg,
        train: a.objective_cmd.is_none().then_some(&train),
        objectives: multi.then_some(ACCURACY_PARAMS),
    };
    let method = match (multi, bo) {
        (true, true) => "ehvi".to_string(),
        (true, false) => "random".to_string(),
        _ => a.method.name().to_string(),
    };
    let params = |g: &Generator| -> Result<f64> {
        Ok(wlgp::space::nago::train::sized(&space.network(g)?, &train)?.1 as f64)
    };
    let cost: Option<Cost> = multi.then_some(&params);
    let hdr = || JournalHeader::new("nago", &dataset, &metric, &method, a.seed, &settings);
    let pb = super::progress_bar(a.budget as u64, &format!("{method} over generators"));
    let mut on_eval = |e: &Evaluation| {
        pb.inc(1);
        pb.set_message(format!("best {:.4}", e.best_so_far));
    };
    let t = std::time::Instant::now();
    let h = journaled(&mut *obj, hdr, Record::of(a), |o| {
        if bo {
            generator_bo(&space, o, &cfg, cost, &mut on_eval)
        } else {
            wlgp::search::random_search(&space, o, cfg.budget, cfg.seed, &mut on_eval)
        }
    })?;
    pb.finish_and_clear();
    let best = h.best();
    let (front, hypervolume) = match multi {
        true => front(&h, &params).map(|(f, hv)| (Some(f), Some(hv)))?,
        false => (None, None),
    };
    let o = Outcome {
        dataset,
        metric,
        method,
        kernel: bo.then_some(cfg.kernel),
        seed: a.seed,
        best_arch: best.arch.clone(),
        best_value: best.value,
        evaluations: h.evaluations.len(),
        seconds: t.elapsed().as_secs_f64(),
        trajectory: h.evaluations.iter().map(|e| e.best_so_far).collect(),
        front,
        hypervolume,
    };
    if a.json {
        return super::out(&(serde_json::to_string(&o).expect("plain data") + "\n"));
    }
    let fronts: String = o.front.iter().flatten().fold(String::new(), |acc, p| {
        acc + &format!(
            "front         {:.2} % with {} params: {}\n",
            p.accuracy, p.params, p.theta
        )
    });
    super::out(&format!(
        "objective     {} ({})\nmethod        {}{}, seed {}\nbest theta    {}\nbest value    {}\nevaluations   {}\ntime          {:.2} s\n{fronts}",
        o.dataset,
        o.metric,
        o.method,
        o.kernel.map_or(String::new(), |k| format!(" ({k:?} kernel)").to_lowercase()),
        o.seed,
        o.best_arch,
        o.best_value,
        o.evaluations,
        o.seconds
    ))
}
