//! `wlgp nago`: NAGO's hierarchical network generators.

use clap::{Args, Subcommand};
use rand::SeedableRng;
use serde::Serialize;
use wlgp::error::Result;
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

pub(crate) fn nago(a: &NagoArgs) -> Result<()> {
    match &a.command {
        NagoCommand::Sample(s) => sample(s),
    }
}
