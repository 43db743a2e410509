//! The arguments of `wlgp search` (and the BO settings `wlgp study` shares), with what
//! they turn into: the engine's configurations, the journal a search records in. Kept
//! apart from the commands that run them, so that the single-objective, multi-objective
//! and NAGO searches all read them without importing each other.

use super::{resolve_dataset, SurrogateArgs};
use clap::{Args, Parser};
use std::path::{Path, PathBuf};
use wlgp::acquisition::AcquisitionChoice;
use wlgp::bench_data::Dataset;
use wlgp::error::{Error, Result};
use wlgp::gpu::DeviceChoice;
use wlgp::search::generator::{GeneratorBoConfig, GeneratorKernel};
use wlgp::search::multi::MultiMethod;
use wlgp::search::{
    AssessorOptions, BatchStrategy, BoConfig, EvolutionConfig, Incumbent, InitDesign, Journal,
    JournalHeader, Journaled, Method, Objective, PoolConfig, SearchOptions, Surrogate,
};
use wlgp::space::{Space, SpaceKind, SpaceName};
use wlgp::trainer::cell::Stacking;
use wlgp::values::ValuesSpec;

#[derive(Args, Debug, Clone)]
pub(crate) struct SearchArgs {
    /// Search space (nb201 or nbgraph); inferred from --dataset when omitted.
    #[arg(long, value_parser = crate::space_name)]
    pub(crate) space: Option<SpaceName>,
    /// Embedded dataset: nb201, or a NAS-Bench-Graph name (cora, arxiv, ...).
    #[arg(long)]
    pub(crate) dataset: Option<String>,
    /// Metric to optimise (default: the dataset's validation/baseline accuracy); with
    /// --objective-cmd, the name of the command's score (read to infer its semantics).
    #[arg(long)]
    pub(crate) metric: Option<String>,
    /// Number of architectures to evaluate.
    #[arg(long, default_value_t = 100)]
    pub(crate) budget: usize,
    /// Random seed; the same seed gives the same search.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Search method.
    #[arg(long, value_parser = crate::named::<Method>(), default_value_t = Method::Bo)]
    pub(crate) method: Method,
    #[command(flatten)]
    pub(crate) bo: BoArgs,
    /// Evaluate architectures with the built-in trainer instead of a table or a command:
    /// `builtin-digits` stacks each cell into a network and trains it on the embedded
    /// digits (its held-out accuracy in percent; docs/trainer.md).
    #[arg(long, value_parser = [crate::search::BUILTIN_DIGITS])]
    pub(crate) objective: Option<String>,
    #[command(flatten)]
    pub(crate) trainer: TrainerArgs,
    /// With --objective-cmd: evaluations run at once (default: --batch).
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// Evaluate architectures with this command instead of an embedded table: it gets the
    /// architecture on stdin and in WLGP_ARCH, and prints the score as its last line.
    #[arg(long)]
    pub(crate) objective_cmd: Option<String>,
    /// With --objective-cmd: seconds after which an evaluation is killed and recorded as
    /// a timeout.
    #[arg(long)]
    pub(crate) timeout: Option<f64>,
    /// With --objective-cmd: smaller scores are better (short for --values loss).
    #[arg(long)]
    pub(crate) minimize: bool,
    /// With --objective-cmd on nbgraph: draw from the 5 operations of the proteins
    /// dataset (gcn, sage, arma, fc, skip), as an embedded proteins search does.
    #[arg(long)]
    pub(crate) proteins: bool,
    /// The most parameters an architecture may have: a declared space's `params` cost
    /// ([costs.params] in its file); architectures above are never proposed.
    #[arg(long)]
    pub(crate) max_params: Option<f64>,
    /// Let BO propose an architecture whose lowered graph is that of one already
    /// evaluated (a twin); by default a declared space's twins are skipped.
    #[arg(long)]
    pub(crate) repeats: bool,
    /// Append every evaluation to this JSONL journal (fsynced before the next proposal).
    #[arg(long, conflicts_with = "resume")]
    pub(crate) journal: Option<PathBuf>,
    /// Continue the search recorded in this journal (same flags as the run that wrote it).
    #[arg(long)]
    pub(crate) resume: Option<PathBuf>,
    /// Architectures you evaluated before this search, as a CSV like --train (`arch` and
    /// the values in the --metric column, `value`, or the one column beside `arch`): BO
    /// starts from them, never proposes them again and only tops them up to --n-init at
    /// random. --budget counts the new evaluations. Recorded in a journal's settings, so
    /// --resume needs the same file.
    #[arg(long)]
    pub(crate) init: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Several objectives at once, as NAME:max|min,... (2 or 3): table metrics, or the
    /// space's computed costs (nb201: params, flops). Reports the Pareto front.
    #[arg(long)]
    pub(crate) objectives: Option<String>,
    /// With --objectives: ehvi or parego (BO), or the baselines random, nsga2, evolution.
    #[arg(long, value_parser = crate::named::<MultiMethod>(), default_value_t = MultiMethod::Ehvi)]
    pub(crate) mo_method: MultiMethod,
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
}

/// The settings of a BO run (and of the baselines), shared by `search` and `study`.
#[derive(Args, Debug, Clone)]
pub(crate) struct BoArgs {
    /// Random architectures evaluated before the first fit.
    #[arg(long, default_value_t = BoConfig::default().n_init)]
    pub(crate) n_init: usize,
    /// How the initial architectures are chosen: uniform samples, or spread out in
    /// WL-feature space (each the one the others explain least).
    #[arg(long, value_parser = crate::named::<InitDesign>(), default_value_t = BoConfig::default().init_design)]
    pub(crate) init_design: InitDesign,
    /// Acquisition function (or ts: Thompson sampling).
    #[arg(long, value_parser = crate::named::<AcquisitionChoice>(), default_value_t = SearchOptions::default().acquisition)]
    pub(crate) acquisition: AcquisitionChoice,
    /// UCB's exploration weight: `mean + beta * std` (with --acquisition ucb).
    #[arg(long, default_value_t = wlgp::acquisition::DEFAULT_UCB_BETA)]
    pub(crate) ucb_beta: f64,
    /// What EI and PI improve on: the best value observed, or the best posterior mean at
    /// an evaluated architecture (robust to noisy values).
    #[arg(long, value_parser = crate::named::<Incumbent>(), default_value_t = BoConfig::default().incumbent)]
    pub(crate) incumbent: Incumbent,
    /// Proposals per round, evaluated together (in parallel with --workers).
    #[arg(long, default_value_t = BoConfig::default().batch)]
    pub(crate) batch: usize,
    /// How a batch is chosen: auto (believer below 100 proposals, thompson from 100), believer
    /// (kriging believer), penalize (local penalisation) or thompson (one posterior draw per
    /// proposal).
    #[arg(long, value_parser = crate::named::<BatchStrategy>(), default_value_t = BatchStrategy::Auto)]
    pub(crate) batch_strategy: BatchStrategy,
    /// Score the whole space when it has at most this many cells (0: never; the local
    /// pool below gave lower regret on every embedded table).
    #[arg(long, default_value_t = PoolConfig::default().full_space_limit)]
    pub(crate) full_space_limit: u128,
    /// Otherwise: all one-edit neighbours of this many best architectures...
    #[arg(long, default_value_t = PoolConfig::default().parents)]
    pub(crate) pool_parents: usize,
    /// ...or only this many random mutations of them (NAS-BOWL: 100)...
    #[arg(long)]
    pub(crate) pool_mutations: Option<usize>,
    /// ...plus this many uniform samples.
    #[arg(long, default_value_t = PoolConfig::default().random)]
    pub(crate) pool_random: usize,
    /// The model that ranks candidates: the WL GP, or a semi-supervised one that also
    /// learns from unevaluated architectures (assessor: GCN ensemble; propagation: label
    /// propagation with the GP's variance) over a fixed pool (see --unlabelled).
    #[arg(long = "surrogate", value_parser = crate::named::<Surrogate>(), default_value_t = Surrogate::Gp)]
    pub(crate) surrogate_model: Surrogate,
    #[command(flatten)]
    pub(crate) surrogate: SurrogateArgs,
    #[command(flatten)]
    pub(crate) assessor: AssessorArgs,
    /// Where the similarity graph's kernel rows run: the global --device, set by `run`.
    #[arg(skip = DeviceChoice::Auto)]
    pub(crate) device: DeviceChoice,
    /// Search the pruned space: each round, skip candidates containing an operation or
    /// connection whose motif hurts by more than Z posterior standard deviations.
    #[arg(long, value_name = "Z")]
    pub(crate) prune: Option<f64>,
    /// Regularised evolution: population size.
    #[arg(long, default_value_t = EvolutionConfig::default().population)]
    pub(crate) population: usize,
    /// Regularised evolution: members drawn per tournament.
    #[arg(long, default_value_t = EvolutionConfig::default().tournament)]
    pub(crate) tournament: usize,
}

#[derive(Parser)]
pub(crate) struct Defaults {
    #[command(flatten)]
    pub(crate) a: SearchArgs,
}

impl SearchArgs {
    /// `--space`, nb201 when not given.
    pub(crate) fn space_name(&self) -> SpaceName {
        self.space.clone().unwrap_or(SpaceKind::Nb201.into())
    }

    /// Whether the search is over NAGO generators.
    pub(crate) fn is_nago(&self) -> bool {
        self.space.as_ref().is_some_and(|s| s.is(SpaceKind::Nago))
    }

    /// `--timeout` as a duration, checked.
    pub(crate) fn timeout(&self) -> Result<Option<std::time::Duration>> {
        match self.timeout {
            Some(t) if !(t > 0.0 && t.is_finite()) => Err(Error::Config(format!(
                "--timeout {t}: expected a positive number of seconds"
            ))),
            t => Ok(t.map(std::time::Duration::from_secs_f64)),
        }
    }

    /// The dataset and metric these arguments name (defaults filled in, both checked).
    pub(crate) fn target(&self) -> Result<(&'static Dataset, String)> {
        let d = resolve_dataset(self.space.as_ref(), self.dataset.as_deref())?;
        let metric = self
            .metric
            .clone()
            .unwrap_or_else(|| d.default_metric.to_string());
        d.metric(&metric)?;
        Ok((d, metric))
    }

    /// The arguments of a bare `wlgp search`, used when wlgp runs with no command.
    pub(crate) fn default_args() -> SearchArgs {
        Defaults::parse_from(["wlgp"]).a
    }
}

/// Settings of the semi-supervised surrogates (`--surrogate assessor|propagation`, and the
/// semi-supervised study).
#[derive(Args, Debug, Clone)]
pub(crate) struct AssessorArgs {
    /// Nearest neighbours of each architecture in the similarity graph.
    #[arg(long, default_value_t = AssessorOptions::default().knn)]
    pub(crate) knn: usize,
    /// Width of the SVD embedding of the WL features (the assessor's node input).
    #[arg(long, default_value_t = AssessorOptions::default().embedding)]
    pub(crate) embedding: usize,
    /// WL depth of the graph's similarity and of the embedding.
    #[arg(long, default_value_t = AssessorOptions::default().graph_h)]
    pub(crate) graph_h: usize,
    /// Pool of the semi-supervised search: the whole space when it has at most this many
    /// architectures, else a uniform sample of this many.
    #[arg(long, default_value_t = AssessorOptions::default().unlabelled)]
    pub(crate) unlabelled: usize,
    /// Assessor ensemble members (their spread is the uncertainty).
    #[arg(long, default_value_t = AssessorOptions::default().members)]
    pub(crate) members: usize,
    /// Most training epochs per member (early stopping on a held-out fifth of the labels).
    #[arg(long, default_value_t = AssessorOptions::default().epochs)]
    pub(crate) epochs: usize,
    /// Hidden units per GCN layer.
    #[arg(long, default_value_t = AssessorOptions::default().hidden)]
    pub(crate) hidden: usize,
    /// Weight of the pairwise ranking loss next to the squared error.
    #[arg(long, default_value_t = AssessorOptions::default().rank_weight)]
    pub(crate) rank_weight: f64,
}

impl AssessorArgs {
    /// The engine's options these flags give.
    pub(crate) fn options(&self) -> AssessorOptions {
        AssessorOptions {
            knn: self.knn,
            embedding: self.embedding,
            graph_h: self.graph_h,
            unlabelled: self.unlabelled,
            members: self.members,
            epochs: self.epochs,
            hidden: self.hidden,
            rank_weight: self.rank_weight,
        }
    }
}

impl BoArgs {
    /// The engine's options of a search with these BO settings, budget and seed.
    pub(crate) fn options(&self, budget: usize, seed: u64) -> SearchOptions {
        let a = self;
        SearchOptions {
            budget,
            seed,
            n_init: a.n_init,
            init_design: a.init_design,
            acquisition: a.acquisition,
            ucb_beta: a.ucb_beta,
            incumbent: a.incumbent,
            batch: a.batch,
            batch_strategy: a.batch_strategy,
            pool: PoolConfig {
                full_space_limit: a.full_space_limit,
                parents: a.pool_parents,
                mutations: a.pool_mutations,
                random: a.pool_random,
            },
            surrogate_model: a.surrogate_model,
            surrogate: a.surrogate.options(),
            assessor: a.assessor.options(),
            device: a.device,
            prune: a.prune,
            evolution: EvolutionConfig {
                population: a.population,
                tournament: a.tournament,
            },
            ..SearchOptions::default()
        }
    }

    /// The BO (and baseline) settings for a budget, seed and the values' semantics.
    pub(crate) fn config(&self, budget: usize, seed: u64, values: ValuesSpec) -> Result<BoConfig> {
        self.options(budget, seed).bo_config(values)
    }
}

impl SearchArgs {
    /// The engine's options these flags give (a search on an external objective).
    pub(crate) fn options(&self) -> SearchOptions {
        SearchOptions {
            space: self.space_name(),
            max_params: self.max_params,
            repeats: self.repeats,
            proteins: self.proteins,
            method: self.method,
            metric: self.metric.clone(),
            minimize: self.minimize,
            init: self.init.clone(),
            ..self.bo.options(self.budget, self.seed)
        }
    }
}

/// Where a search records its evaluations, if anywhere.
#[derive(Clone, Copy)]
pub(crate) enum Record<'a> {
    None,
    New(&'a Path),
    Resume(&'a Path),
}

impl<'a> Record<'a> {
    pub(crate) fn of(a: &'a SearchArgs) -> Self {
        match (&a.journal, &a.resume) {
            (Some(p), _) => Record::New(p),
            (None, Some(p)) => Record::Resume(p),
            (None, None) => Record::None,
        }
    }
}

/// Runs `run` on the objective wrapped in the journal `record` names (a new one, or one
/// to resume: its evaluations are replayed first), or on the bare objective.
pub(crate) fn journaled<S: Space, T>(
    obj: &mut dyn Objective<S>,
    hdr: impl Fn() -> JournalHeader,
    record: Record,
    run: impl FnOnce(&mut dyn Objective<S>) -> Result<T>,
) -> Result<T> {
    match record {
        Record::None => run(obj),
        Record::New(p) => {
            let j = Journal::create(p, &hdr())?;
            run(&mut Journaled::new(obj, j, Vec::new()))
        }
        Record::Resume(p) => {
            let (j, done) = Journal::resume(p, &hdr())?;
            run(&mut Journaled::new(obj, j, done))
        }
    }
}

/// `wlgp search --space nago`: the generator search's own settings.
#[derive(Args, Debug, Clone)]
pub(crate) struct GeneratorArgs {
    /// With --space nago: the GP's kernel on generators (Matérn on θ, the WL mean
    /// embedding of their networks, or their mixture chosen by marginal likelihood).
    #[arg(long, value_parser = crate::named::<GeneratorKernel>(), default_value_t = GeneratorKernel::Sum)]
    pub(crate) generator_kernel: GeneratorKernel,
    /// With --space nago: quasi-random candidate generators a round...
    #[arg(long, default_value_t = GeneratorBoConfig::default().pool)]
    pub(crate) generator_pool: usize,
    /// ...plus this many perturbations of the best.
    #[arg(long, default_value_t = GeneratorBoConfig::default().local)]
    pub(crate) generator_local: usize,
    /// With --space nago: networks sampled per generator for its WL embedding.
    #[arg(long, default_value_t = GeneratorBoConfig::default().networks)]
    pub(crate) generator_networks: usize,
}

/// The built-in trainer's settings in a search (`--space nago`, `--objective
/// builtin-digits`).
#[derive(Args, Debug, Clone)]
pub(crate) struct TrainerArgs {
    /// With the built-in trainer: training epochs of each network (default 4 for
    /// --space nago, 10 for --objective builtin-digits; docs/trainer.md says why).
    #[arg(long)]
    pub(crate) train_epochs: Option<usize>,
    /// With --objective builtin-digits: channels of the first of the three stages.
    #[arg(long, default_value_t = Stacking::default().width)]
    pub(crate) train_width: usize,
    /// With --objective builtin-digits: cells in each stage.
    #[arg(long, default_value_t = Stacking::default().cells)]
    pub(crate) train_cells: usize,
}

impl TrainerArgs {
    /// How cells are stacked.
    pub(crate) fn stacking(&self) -> Stacking {
        Stacking {
            width: self.train_width,
            cells: self.train_cells,
        }
    }
}
