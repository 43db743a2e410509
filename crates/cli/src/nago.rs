//! `wlgp nago`: NAGO's hierarchical network generators.

use clap::{Args, Subcommand};
use rand::SeedableRng;
use serde::Serialize;
use wlgp::error::Error;
use wlgp::error::Result;
use wlgp::space::nago::train::{train, Digits, TrainConfig, TrainReport};
use wlgp::space::nago::{Network, Theta};

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
    /// The width is the largest whose parameter count stays within this budget...
    #[arg(long, default_value_t = TrainConfig::default().budget)]
    budget: usize,
    /// ...but never fewer channels than this in the first stage.
    #[arg(long, default_value_t = TrainConfig::default().min_width)]
    min_width: usize,
}

/// What `wlgp nago train --json` prints.
#[derive(Serialize)]
struct Trained {
    theta: Theta,
    seed: u64,
    #[serde(flatten)]
    report: TrainReport,
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
}

/// A sampled network as printed: the hierarchy, and the flattened DAG.
#[derive(Serialize)]
struct Sample {
    #[serde(flatten)]
    network: Network,
    /// Convolutions in the network.
    operations: usize,
    /// The whole network as one labelled DAG (`labels`, `edges` as `[from, to]`).
    graph: serde_json::Value,
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

fn sample(a: &SampleArgs) -> Result<()> {
    let t = theta(a)?;
    let network = Network::sample(&t, a.seed)?;
    let arch = network.to_arch();
    if a.json {
        let s = Sample {
            operations: network.operations(),
            graph: serde_json::from_str(&arch.to_json()).expect("valid JSON"),
            network,
        };
        return super::out(&(serde_json::to_string(&s).expect("plain data") + "\n"));
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
        a.seed,
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
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        budget: a.budget,
        min_width: a.min_width,
        ..TrainConfig::default()
    };
    if !(config.lr.is_finite() && config.lr > 0.0) {
        return Err(Error::Config(format!(
            "--lr {} must be a positive number",
            a.lr
        )));
    }
    let theta = theta(&a.sample)?;
    let network = Network::sample(&theta, a.sample.seed)?;
    let report = train(&network, &Digits::load()?, &config)?;
    if a.sample.json {
        let t = Trained {
            theta,
            seed: a.sample.seed,
            report,
            config,
        };
        return super::out(&(serde_json::to_string(&t).expect("plain data") + "\n"));
    }
    super::out(&format!(
        "theta      {}\nseed       {}\naccuracy   {:.2} %  (digits, 599 held-out images)\nparams     {}  (width {}, {} convolutions)\nseconds    {:.2}\n",
        serde_json::to_string(&theta).expect("plain data"),
        a.sample.seed,
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
