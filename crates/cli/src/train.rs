//! `wlgp train`: one architecture of any space trained by the built-in trainer, and the
//! built-in objective of `wlgp search --objective builtin-digits`.

use super::search_args::TrainerArgs;
use clap::Args;
use rand::SeedableRng;
use serde::Serialize;
use wlgp::error::{Error, Result};
use wlgp::search::builtin::DigitsObjective;
use wlgp::space::{AnySpace, Sampler, Space, SpaceKind};
use wlgp::trainer::cell::{self, Stacking};
use wlgp::trainer::{arch_seed, Digits, TrainConfig, Trained};

#[derive(Args, Debug)]
pub(crate) struct TrainArgs {
    /// The architecture's space (nb201, nb101, darts, or json for your own graph).
    #[arg(long, value_parser = crate::named::<SpaceKind>())]
    space: SpaceKind,
    /// The architecture in the space's string form.
    #[arg(long)]
    arch: String,
    /// Passes over the 1,198 training images.
    #[arg(long, default_value_t = TrainConfig::cells().epochs)]
    epochs: usize,
    /// Images per SGD step.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    batch: usize,
    /// Peak learning rate (cosine decay to zero).
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    lr: f32,
    /// Channels of the first of the three stages (doubled at each).
    #[arg(long, default_value_t = Stacking::default().width)]
    width: usize,
    /// Cells in each stage.
    #[arg(long, default_value_t = Stacking::default().cells)]
    cells: usize,
    /// Seed of the initialisation and batch order (mixed with the architecture's graph,
    /// as `wlgp search --objective builtin-digits --seed K` trains it).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

/// What `wlgp train --json` prints.
#[derive(Serialize)]
struct Report {
    space: String,
    arch: String,
    seed: u64,
    #[serde(flatten)]
    trained: Trained,
    stacking: Stacking,
    /// Nodes of the built network (operations, merges, stem, input).
    nodes: usize,
    config: TrainConfig,
}

/// The training settings of these flags, checked.
pub(crate) fn config(epochs: usize, batch: usize, lr: f32) -> Result<TrainConfig> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(Error::Config(format!(
            "--lr {lr} must be a positive number"
        )));
    }
    Ok(TrainConfig {
        epochs,
        batch,
        lr,
        ..TrainConfig::cells()
    })
}

pub(crate) fn train_one(a: &TrainArgs) -> Result<()> {
    if a.space == SpaceKind::Nago {
        return Err(Error::Config(
            "the nago space holds generators: train one of their networks with `wlgp nago train`"
                .into(),
        ));
    }
    let space = AnySpace::new(a.space, false, false)?;
    let cell = space.parse(&a.arch)?;
    let (arch, canonical) = (space.lower(&cell), space.format(&cell));
    let stacking = Stacking {
        width: a.width,
        cells: a.cells,
    };
    let cfg = config(a.epochs, a.batch, a.lr)?;
    let spec = cell::network(&arch, &stacking, wlgp::trainer::digits::CLASSES)?;
    let nodes = spec.nodes.len();
    let trained = wlgp::trainer::train(spec, arch_seed(&arch, a.seed), &Digits::load()?, &cfg)?;
    if a.json {
        let r = Report {
            space: space.name().to_string(),
            arch: canonical,
            seed: a.seed,
            trained,
            stacking,
            nodes,
            config: cfg,
        };
        return super::out(&(serde_json::to_string(&r).expect("plain data") + "\n"));
    }
    super::out(&format!(
        "arch       {canonical}\naccuracy   {:.2} %  (digits, 599 held-out images)\nparams     {}  (width {}, {} cells a stage, {nodes} nodes)\ntrain loss {:.4}\nseconds    {:.2}\n",
        trained.accuracy, trained.params, a.width, a.cells, trained.train_loss, trained.seconds
    ))
}

/// The built-in objective of a search in `space`, checked first on a few sampled cells
/// so that a space the trainer cannot build (nbgraph's graph-network layers) is one line
/// before the search starts.
pub(crate) fn digits_objective<S: Sampler>(
    space: &S,
    t: &TrainerArgs,
    seed: u64,
) -> Result<DigitsObjective> {
    let stack = t.stacking();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut first = None;
    for _ in 0..8 {
        let arch = space.lower(&space.sample(&mut rng));
        match cell::network(&arch, &stack, wlgp::trainer::digits::CLASSES) {
            Ok(_) => {
                first = None;
                break;
            }
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first {
        return Err(Error::At {
            what: format!("--objective builtin-digits on {}", space.name()),
            source: Box::new(e),
        });
    }
    let d = TrainConfig::cells();
    let cfg = config(t.train_epochs.unwrap_or(d.epochs), d.batch, d.lr)?;
    DigitsObjective::new(cfg, stack, seed)
}
