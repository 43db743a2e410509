//! The command-line interface: argument parsing and one function per subcommand.

mod bench;
mod bench_assess;
mod bench_declared;
mod bench_row;
mod bench_score;
mod data;
mod evaluate;
mod explain;
mod journal;
mod kernel;
mod lookup;
mod multi;
mod nago;
mod pareto;
mod plot;
mod predict;
mod sample;
mod score;
mod search;
mod search_args;
mod selection;
mod study;
mod train;
mod training;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wlgp::bench_data::{self, Dataset};
use wlgp::error::{Error, Result};
use wlgp::gp::{GpConfig, Selection, SolverChoice, Transform};
use wlgp::gpu::DeviceChoice;
use wlgp::kernel::BaseKernel;
use wlgp::search::SurrogateOptions;
use wlgp::space::{SpaceKind, SpaceName};
use wlgp::values::{Resolved, TransformChoice, Values, ValuesSpec};
use wlgp::wl::Direction;

/// wlgp: Weisfeiler-Lehman Gaussian-process surrogates for neural architecture search.
#[derive(Parser, Debug)]
#[command(name = "wlgp", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where WL hashing and kernel matrices run (default: WLGP_DEVICE, else auto).
    #[arg(long, value_parser = crate::named::<DeviceChoice>(), global = true)]
    device: Option<DeviceChoice>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a search on an embedded benchmark (the default command).
    Search(search_args::SearchArgs),
    /// Compare BO with random search over several seeds on an embedded benchmark.
    Compare(search::CompareArgs),
    /// Methods x datasets x seeds and the predictor study: CSVs, SVG plots, a summary.
    Study(study::StudyArgs),
    /// Which motifs help or hurt accuracy, how one architecture's prediction is made up,
    /// and what pruning by them keeps.
    Explain(explain::ExplainArgs),
    /// Build an architecture from motif scores, without scoring the space.
    Build(explain::BuildArgs),
    /// Measure how well the GP ranks held-out architectures of an embedded benchmark or of
    /// your own CSV (`--data`).
    Evaluate(evaluate::EvaluateArgs),
    /// The Pareto front of a multi-objective journal or of a table, with an SVG plot.
    Pareto(pareto::ParetoArgs),
    /// Check a search journal, or repair one keeping every intact entry.
    Journal(journal::JournalArgs),
    /// Fit on evaluated architectures and predict those named on stdin (mean and std).
    Predict(predict::PredictArgs),
    /// Look an architecture (stdin or WLGP_ARCH) up in an embedded table: a table as an
    /// --objective-cmd, for testing the user's path.
    Lookup(lookup::LookupArgs),
    /// Compare the rules that choose the WL depth and noise on every embedded table.
    Selection(selection::SelectionArgs),
    /// Fit on evaluated architectures and score a large pool of candidates.
    Score(score::ScoreArgs),
    /// Read architectures (one per line) on stdin, write their WL kernel matrix as CSV.
    Kernel(kernel::KernelArgs),
    /// Write random architectures of a space, one per line.
    Sample(sample::SampleArgs),
    /// NAGO's hierarchical network generators: sample a network from θ.
    Nago(nago::NagoArgs),
    /// Train one architecture of any space on the embedded digits with the built-in
    /// trainer (its cell stacked in three stages) and report its held-out accuracy.
    Train(train::TrainArgs),
    /// Draw a figure described in JSON, or check drawn SVGs (--check).
    Plot(plot::PlotArgs),
    /// List the embedded benchmark tables.
    Data,
    /// Measure WL-feature and kernel-matrix throughput on CPU and GPU in one run.
    Bench(bench::BenchArgs),
    /// List the GPU adapters wgpu can see and the one wlgp would use.
    Device,
}

/// Options of the surrogate, shared by every command that fits one.
#[derive(Args, Debug, Clone)]
pub(crate) struct SurrogateArgs {
    /// WL depths to choose from by --select (comma-separated; default 2, the best over
    /// every embedded table, docs/selection).
    #[arg(long, value_delimiter = ',', default_value = "2")]
    hs: Vec<usize>,
    /// Which neighbours WL aggregates.
    #[arg(long, value_parser = crate::named::<Direction>(), default_value_t = Direction::Both)]
    direction: Direction,
    /// Base kernel on the motif counts.
    #[arg(long, value_parser = crate::named::<BaseKernel>(), default_value_t = BaseKernel::Dot)]
    base_kernel: BaseKernel,
    /// Do not normalise the kernel (by default every graph has unit prior variance).
    #[arg(long)]
    no_normalize: bool,
    /// What the values are: accuracy (a fraction), accuracy-percent, error,
    /// error-percent, loss, cost or score; error, loss and cost are minimised. Default:
    /// the table's metric, the journal's declaration, or inferred from the column or
    /// metric name and announced.
    #[arg(long, value_parser = crate::named::<Values>())]
    values: Option<Values>,
    /// Target transform before standardisation: the values' own (auto), or as they are.
    #[arg(long, value_parser = crate::named::<TransformChoice>(), default_value_t = TransformChoice::Auto)]
    transform: TransformChoice,
    /// How the noise (and the WL depth, given several) is chosen: loo (leave-one-out
    /// predictive density, the default) or evidence (marginal likelihood).
    #[arg(long, value_parser = crate::named::<Selection>(), default_value_t = Selection::default())]
    select: Selection,
    /// How the GP solves: auto (Cholesky up to 1,000 training points, conjugate
    /// gradients on the sparse features above), exact or iterative.
    #[arg(long, value_parser = crate::named::<SolverChoice>(), default_value_t = SolverChoice::Auto)]
    solver: SolverChoice,
    /// How skip connections are lowered (NB201 and DARTS).
    #[arg(long, value_enum, default_value_t = SkipArg::Wire)]
    pub(crate) skip: SkipArg,
}

/// How `skip_connect` edges become graph structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SkipArg {
    /// A plain connection from the skip's source to its targets (NAS-BOWL).
    Wire,
    /// A node labelled `skip_connect`, like any other operation.
    Node,
}

impl SkipArg {
    pub(crate) fn as_wire(self) -> bool {
        self == SkipArg::Wire
    }
}

impl SurrogateArgs {
    /// The engine's surrogate options these flags give.
    pub(crate) fn options(&self) -> SurrogateOptions {
        SurrogateOptions {
            hs: self.hs.clone(),
            direction: self.direction,
            base_kernel: self.base_kernel,
            normalize: !self.no_normalize,
            values: self.values,
            transform: self.transform,
            select: self.select,
            solver: self.solver,
            skip_as_wire: self.skip.as_wire(),
        }
    }

    /// How to read values named `name`, whose semantics may already be known (`known`:
    /// an embedded table's metric, a journal's declaration); `--values` wins.
    pub(crate) fn values_spec(&self, name: &str, known: Option<Values>) -> ValuesSpec {
        self.options().values_spec(name, known)
    }

    /// The surrogate for training data: its values resolved (inference announced on
    /// stderr) and the GP configuration with their transform.
    pub(crate) fn fit_config<C>(&self, t: &training::Training<C>) -> Result<(GpConfig, Resolved)> {
        let r = self.values_spec(&t.metric, t.declared).resolve(&t.values)?;
        if self.values.is_none() && t.declared.is_none() {
            notice(r.announce());
        }
        Ok((self.gp_config(r.transform)?, r))
    }

    /// The GP configuration with a resolved target transform.
    pub(crate) fn gp_config(&self, transform: Transform) -> Result<GpConfig> {
        self.options().gp_config(transform)
    }
}

/// A clap parser for one of the engine's choices: its names are the possible values
/// (listed in --help and in a mistyped value's error), parsed by the engine's `FromStr`.
pub(crate) fn named<T: wlgp::names::Named + Clone>(
) -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(wlgp::names::names::<T>())
        .try_map(|s| wlgp::names::parse::<T>(&s))
}

/// `--space`: a built-in space's name or the path of a declared space's file (read and
/// checked here, so a bad file is an argument error naming its place).
pub(crate) fn space_name(s: &str) -> std::result::Result<SpaceName, String> {
    let path = std::path::Path::new(s);
    if s.parse::<SpaceKind>().is_err() && !path.exists() && !s.ends_with(".toml") {
        return Err(format!(
            "unknown space [possible values: {}, or the path of a space file (docs/spaces.md)]",
            wlgp::names::names::<SpaceKind>().join(", ")
        ));
    }
    s.parse::<SpaceName>().map_err(|e| match e {
        Error::Config(m) => m,
        e => e.to_string(),
    })
}

/// A command-line enum's name as typed (`wlgp`, `nasbowl`).
pub(crate) fn typed<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_string())
}

/// Notes for stderr that a command prints when it succeeds (a failing command prints
/// one line: its error).
static NOTICES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Queues a one-line note for stderr, printed if the command succeeds.
pub(crate) fn notice(line: String) {
    NOTICES.lock().unwrap_or_else(|p| p.into_inner()).push(line);
}

/// A progress bar on stderr for `len` steps of `what`, with elapsed time and an estimate
/// of what is left (indicatif hides it when stderr is not a terminal).
pub(crate) fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Resolves `--space` and `--dataset` into one embedded dataset (a declared space has
/// none).
pub(crate) fn resolve_dataset(
    space: Option<&SpaceName>,
    dataset: Option<&str>,
) -> Result<&'static Dataset> {
    let space = match space {
        Some(SpaceName::Declared(d)) => {
            return Err(Error::Config(format!(
                "the declared space `{}` has no embedded table: search it with --objective-cmd, or fit on --train FILE",
                d.spec().name
            )))
        }
        Some(SpaceName::Builtin(k)) => Some(*k),
        None => None,
    };
    let d = match (space, dataset) {
        (_, Some(name)) => bench_data::dataset(name)?,
        (None | Some(SpaceKind::Nb201), None) => bench_data::dataset("nb201")?,
        (Some(SpaceKind::Nbgraph), None) => bench_data::dataset("cora")?,
        (Some(s), None) => {
            return Err(Error::Config(format!(
                "no embedded data for space `{}`; searches run on nb201 or nbgraph",
                s.name()
            )))
        }
    };
    if let Some(s) = space {
        if s != d.space {
            return Err(Error::Config(format!(
                "dataset `{}` belongs to space `{}`, not `{}`",
                d.name,
                d.space.name(),
                s.name()
            )));
        }
    }
    Ok(d)
}

impl Cli {
    /// Parses arguments without printing or exiting on an error (for embedding, tests and
    /// fuzzing).
    pub fn try_parse_args<I, T>(args: I) -> std::result::Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_from(args)
    }
}

/// A command-line error on one line, as every other bad input is reported: clap's message
/// with its tips and possible values, without the usage block.
fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut parts = Vec::new();
    let mut usage = false;
    for l in text.lines().map(str::trim) {
        usage = (usage || l.starts_with("Usage:")) && !l.is_empty();
        if !usage && !l.is_empty() && !l.starts_with("For more information") {
            parts.push(l);
        }
    }
    format!(
        "{} (see --help)",
        parts.join(" ").replace(" tip:", "; tip:")
    )
}

/// Parses the arguments and runs one command; returns the process exit code.
pub fn main() -> i32 {
    wlgp::search::end_children_on_signal();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            eprintln!("{}", one_line(&e));
            return 2;
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
    };
    match run(cli) {
        Ok(()) => {
            for n in NOTICES.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
                eprintln!("{n}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {}", as_flags(&e));
            2
        }
    }
}

/// An error as the command line says it: an option by its flag (`--n-init 0 ...`).
fn as_flags(e: &Error) -> String {
    match e {
        Error::Setting {
            name,
            value,
            reason,
        } => format!(
            "invalid option: {}",
            wlgp::error::setting_text(&name.replace('_', "-"), value, reason, "--", " ")
        ),
        e => e.to_string(),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let device = match cli.device {
        Some(d) => d,
        None => DeviceChoice::from_env()?,
    };
    match cli.command {
        None => {
            let mut a = search_args::SearchArgs::default_args();
            a.bo.device = device;
            search::search(&a)
        }
        Some(Command::Search(mut a)) => {
            a.bo.device = device;
            search::search(&a)
        }
        Some(Command::Compare(mut a)) => {
            a.search.bo.device = device;
            search::compare(&a)
        }
        Some(Command::Study(mut a)) => {
            a.bo.device = device;
            study::study(&a, device)
        }
        Some(Command::Explain(a)) => explain::explain(&a),
        Some(Command::Build(a)) => explain::build(&a),
        Some(Command::Evaluate(a)) => evaluate::evaluate(&a),
        Some(Command::Selection(a)) => selection::selection(&a),
        Some(Command::Predict(a)) => predict::predict(&a),
        Some(Command::Journal(a)) => journal::journal(&a),
        Some(Command::Pareto(a)) => pareto::pareto(&a),
        Some(Command::Lookup(a)) => lookup::lookup(&a),
        Some(Command::Kernel(a)) => kernel::kernel(&a, device),
        Some(Command::Bench(a)) => bench::bench(&a, device),
        Some(Command::Score(a)) => score::score(&a, device),
        Some(Command::Device) => device_report(device),
        Some(Command::Sample(a)) => sample::sample(&a),
        Some(Command::Nago(a)) => nago::nago(&a),
        Some(Command::Train(a)) => train::train_one(&a),
        Some(Command::Data) => data::data(),
        Some(Command::Plot(a)) => plot::plot(&a),
    }
}

/// Writes to stdout, turning a closed pipe into a quiet success rather than a panic.
pub(crate) fn out(s: &str) -> Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| Error::io("writing to stdout", e)),
    }
}

fn device_report(choice: DeviceChoice) -> Result<()> {
    let mut s = wlgp::gpu::adapter_report();
    let engine = wlgp::gpu::Engine::new(choice)?;
    s += &format!(
        "wlgp uses: {} (--device {})\n",
        engine.name(),
        choice.name()
    );
    out(&s)
}
