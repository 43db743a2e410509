//! A search as a user states it: every option under the one name that the CLI's flag
//! (`--n-init`) and Python's keyword (`n_init=`) share, with the defaults the docs state.
//! The front-ends only translate into [`SearchOptions`]; what the options turn into (the
//! engine's [`BoConfig`], a journal header, the space) is decided here, once.

use super::journal::EXTERNAL;
use super::{
    BatchStrategy, BoConfig, EvolutionConfig, Incumbent, InitDesign, JournalHeader, Method,
    PoolConfig, SemiSearchConfig, Surrogate,
};
use crate::acquisition::{AcquisitionChoice, DEFAULT_UCB_BETA};
use crate::assess::{AssessorConfig, GraphConfig};
use crate::error::{Error, Result};
use crate::gp::{GpConfig, Selection, SolverChoice, Transform, DEFAULT_HS};
use crate::gpu::DeviceChoice;
use crate::kernel::{BaseKernel, KernelConfig};
use crate::space::{AnySampler, Space, SpaceKind, SpaceName};
use crate::values::{TransformChoice, Values, ValuesSpec};
use crate::wl::{Direction, WlConfig, MAX_H};
use std::path::PathBuf;

/// The surrogate's options, shared by every command that fits one.
#[derive(Clone, Debug)]
pub struct SurrogateOptions {
    /// WL depths to choose from by `select`.
    pub hs: Vec<usize>,
    /// Which neighbours WL aggregates.
    pub direction: Direction,
    /// Base kernel on the motif counts.
    pub base_kernel: BaseKernel,
    /// Whether every graph has unit prior variance.
    pub normalize: bool,
    /// What the values are, when the user says.
    pub values: Option<Values>,
    /// Target transform before standardisation.
    pub transform: TransformChoice,
    /// How the noise (and the WL depth, given several) is chosen.
    pub select: Selection,
    /// Cholesky or conjugate gradients (`auto`: by the number of training points).
    pub solver: SolverChoice,
    /// Skip connections as plain wires (NB201 and DARTS), else as nodes.
    pub skip_as_wire: bool,
}

impl Default for SurrogateOptions {
    fn default() -> Self {
        let gp = GpConfig::default();
        SurrogateOptions {
            hs: DEFAULT_HS.to_vec(),
            direction: gp.direction,
            base_kernel: gp.kernel.base,
            normalize: gp.kernel.normalize,
            values: None,
            transform: TransformChoice::Auto,
            select: gp.selection,
            solver: gp.solver,
            skip_as_wire: true,
        }
    }
}

impl SurrogateOptions {
    /// How to read values named `name`, whose semantics may already be known (`known`:
    /// an embedded table's metric, a journal's declaration); `values` wins.
    pub fn values_spec(&self, name: &str, known: Option<Values>) -> ValuesSpec {
        ValuesSpec {
            declared: self.values.or(known),
            name: name.to_string(),
            transform: self.transform,
        }
    }

    /// The GP configuration with a resolved target transform.
    pub fn gp_config(&self, transform: Transform) -> Result<GpConfig> {
        if self.hs.is_empty() {
            return Err(Error::setting("hs", "", "needs at least one depth"));
        }
        for &h in &self.hs {
            crate::wl::check_depth(h)?;
        }
        Ok(GpConfig {
            hs: self.hs.clone(),
            direction: self.direction,
            kernel: KernelConfig {
                base: self.base_kernel,
                normalize: self.normalize,
            },
            transform,
            selection: self.select,
            solver: self.solver,
        })
    }
}

/// The semi-supervised surrogates' options (`surrogate` assessor or propagation).
#[derive(Clone, Debug)]
pub struct AssessorOptions {
    /// Nearest neighbours of each architecture in the similarity graph.
    pub knn: usize,
    /// Width of the SVD embedding of the WL features (the assessor's node input).
    pub embedding: usize,
    /// WL depth of the graph's similarity and of the embedding.
    pub graph_h: usize,
    /// Pool: the whole space when it has at most this many architectures, else a
    /// uniform sample of this many.
    pub unlabelled: usize,
    /// Ensemble members (their spread is the uncertainty).
    pub members: usize,
    /// Most training epochs per member.
    pub epochs: usize,
    /// Hidden units per GCN layer.
    pub hidden: usize,
    /// Weight of the pairwise ranking loss next to the squared error.
    pub rank_weight: f64,
}

impl Default for AssessorOptions {
    fn default() -> Self {
        AssessorOptions {
            knn: 10,
            embedding: 32,
            graph_h: 2,
            unlabelled: 30_000,
            members: 5,
            epochs: 300,
            hidden: 64,
            rank_weight: 1.0,
        }
    }
}

impl AssessorOptions {
    /// The similarity graph's settings.
    pub fn graph(&self) -> Result<GraphConfig> {
        if self.graph_h > MAX_H {
            return Err(Error::setting(
                "graph_h",
                &self.graph_h.to_string(),
                format!("exceeds {MAX_H}"),
            ));
        }
        Ok(GraphConfig {
            k: self.knn,
            embedding: self.embedding.max(1),
            wl: WlConfig {
                h: self.graph_h,
                direction: Direction::Both,
            },
            seed: 0,
        })
    }

    /// The network's settings with a seed.
    pub fn network(&self, seed: u64) -> AssessorConfig {
        AssessorConfig {
            members: self.members.max(1),
            epochs: self.epochs,
            hidden: self.hidden.max(1),
            rank_weight: self.rank_weight,
            seed,
            ..Default::default()
        }
    }
}

/// Every option of a search (and of the baselines), with its default.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// The space searched: a built-in name or a declared space's file.
    pub space: SpaceName,
    /// The most parameters an architecture may have (a declared space's `params` cost).
    pub max_params: Option<f64>,
    /// Let BO propose twins of evaluated architectures (same lowered graph).
    pub repeats: bool,
    /// nbgraph only: the proteins dataset's 5 operations.
    pub proteins: bool,
    /// The search method.
    pub method: Method,
    /// Number of new evaluations.
    pub budget: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The objective's name (an external objective's default: `score`).
    pub metric: Option<String>,
    /// Smaller values are better (short for `values` loss).
    pub minimize: bool,
    /// Random architectures evaluated before the first fit.
    pub n_init: usize,
    /// How the initial architectures are chosen.
    pub init_design: InitDesign,
    /// The acquisition, or Thompson sampling.
    pub acquisition: AcquisitionChoice,
    /// UCB's exploration weight.
    pub ucb_beta: f64,
    /// What EI and PI improve on.
    pub incumbent: Incumbent,
    /// Proposals per round.
    pub batch: usize,
    /// How a batch is chosen.
    pub batch_strategy: BatchStrategy,
    /// The candidate pool.
    pub pool: PoolConfig,
    /// The model that ranks candidates.
    pub surrogate_model: Surrogate,
    /// The GP's options.
    pub surrogate: SurrogateOptions,
    /// The semi-supervised surrogates' options.
    pub assessor: AssessorOptions,
    /// Where the similarity graph's kernel rows run.
    pub device: DeviceChoice,
    /// Prune candidates with a motif that hurts by more than this many std.
    pub prune: Option<f64>,
    /// The evolution baseline's settings.
    pub evolution: EvolutionConfig,
    /// A CSV of architectures evaluated before the search.
    pub init: Option<PathBuf>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        let bo = BoConfig::default();
        SearchOptions {
            space: SpaceKind::Nb201.into(),
            max_params: None,
            repeats: false,
            proteins: false,
            method: Method::Bo,
            budget: bo.budget,
            seed: bo.seed,
            metric: None,
            minimize: false,
            n_init: bo.n_init,
            init_design: bo.init_design,
            acquisition: AcquisitionChoice::Ei,
            ucb_beta: DEFAULT_UCB_BETA,
            incumbent: bo.incumbent,
            batch: bo.batch,
            batch_strategy: BatchStrategy::Auto,
            pool: PoolConfig::default(),
            surrogate_model: Surrogate::Gp,
            surrogate: SurrogateOptions::default(),
            assessor: AssessorOptions::default(),
            device: DeviceChoice::Auto,
            prune: None,
            evolution: EvolutionConfig::default(),
            init: None,
        }
    }
}

/// Parses an option's value, or the error naming it.
fn value<T: std::str::FromStr>(key: &str, v: &str, expected: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| Error::setting(key, v, format!("is not {expected}")))
}

/// A boolean option (`true`/`false`, `1`/`0`, `yes`/`no`).
fn flag(key: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(Error::setting(key, v, "is not true or false")),
    }
}

/// One of the engine's named choices, the error naming the option.
fn named<T: crate::names::Named>(key: &str, v: &str) -> Result<T> {
    crate::names::parse(v).map_err(|_| {
        Error::setting(
            key,
            v,
            format!("is not one of {}", crate::names::names::<T>().join(", ")),
        )
    })
}

/// A built-in space's name or a space file; a file's own errors as they are.
fn space_name(key: &str, v: &str) -> Result<SpaceName> {
    if v.parse::<SpaceKind>().is_err() && !std::path::Path::new(v).exists() && !v.ends_with(".toml")
    {
        let known = crate::names::names::<SpaceKind>().join(", ");
        return Err(Error::setting(
            key,
            v,
            format!("is not one of {known}, nor a space file"),
        ));
    }
    v.parse()
}

/// A comma-separated list of depths.
fn depths(key: &str, v: &str) -> Result<Vec<usize>> {
    v.split(',')
        .map(|d| value(key, d, "a list of whole numbers (comma-separated)"))
        .collect()
}

const INT: &str = "a whole number";
const NUM: &str = "a number";

impl SearchOptions {
    /// Every option's name, as [`SearchOptions::set`] takes it.
    pub const NAMES: &'static [&'static str] = &[
        "space",
        "space_spec",
        "max_params",
        "repeats",
        "proteins",
        "method",
        "budget",
        "seed",
        "metric",
        "minimize",
        "n_init",
        "init_design",
        "acquisition",
        "ucb_beta",
        "incumbent",
        "batch",
        "batch_strategy",
        "full_space_limit",
        "pool_parents",
        "pool_mutations",
        "pool_random",
        "surrogate",
        "hs",
        "direction",
        "base_kernel",
        "no_normalize",
        "values",
        "transform",
        "select",
        "solver",
        "skip",
        "knn",
        "embedding",
        "graph_h",
        "unlabelled",
        "members",
        "epochs",
        "hidden",
        "rank_weight",
        "prune",
        "population",
        "tournament",
        "init",
    ];

    /// Sets the option `key` (`n_init` or `n-init`) from its text, as a flag or a keyword
    /// gives it; an error names the option, its value and what was expected.
    pub fn set(&mut self, key: &str, v: &str) -> Result<()> {
        let k = key.replace('-', "_");
        let k = k.as_str();
        let s = &mut self.surrogate;
        let a = &mut self.assessor;
        match k {
            "space" => self.space = space_name(k, v)?,
            "max_params" => self.max_params = Some(value(k, v, NUM)?),
            "repeats" => self.repeats = flag(k, v)?,
            "space_spec" => {
                let spec = crate::space::declared::SpaceSpec::from_json(v)?;
                self.space = SpaceName::Declared(std::sync::Arc::new(
                    crate::space::DeclaredSpace::new(spec)?,
                ));
            }
            "proteins" => self.proteins = flag(k, v)?,
            "method" => self.method = named(k, v)?,
            "budget" => self.budget = value(k, v, INT)?,
            "seed" => self.seed = value(k, v, INT)?,
            "metric" => self.metric = Some(v.to_string()),
            "minimize" => self.minimize = flag(k, v)?,
            "n_init" => self.n_init = value(k, v, INT)?,
            "init_design" => self.init_design = named(k, v)?,
            "acquisition" => self.acquisition = named(k, v)?,
            "ucb_beta" => self.ucb_beta = value(k, v, NUM)?,
            "incumbent" => self.incumbent = named(k, v)?,
            "batch" => self.batch = value(k, v, INT)?,
            "batch_strategy" => self.batch_strategy = named(k, v)?,
            "full_space_limit" => self.pool.full_space_limit = value(k, v, INT)?,
            "pool_parents" => self.pool.parents = value(k, v, INT)?,
            "pool_mutations" => self.pool.mutations = Some(value(k, v, INT)?),
            "pool_random" => self.pool.random = value(k, v, INT)?,
            "surrogate" => self.surrogate_model = named(k, v)?,
            "hs" => s.hs = depths(k, v)?,
            "direction" => s.direction = named(k, v)?,
            "base_kernel" => s.base_kernel = named(k, v)?,
            "no_normalize" => s.normalize = !flag(k, v)?,
            "values" => s.values = Some(named(k, v)?),
            "transform" => s.transform = named(k, v)?,
            "select" => s.select = named(k, v)?,
            "solver" => s.solver = named(k, v)?,
            "skip" => {
                s.skip_as_wire = match v.trim() {
                    "wire" => true,
                    "node" => false,
                    _ => return Err(Error::setting(k, v, "is not one of wire, node")),
                }
            }
            "knn" => a.knn = value(k, v, INT)?,
            "embedding" => a.embedding = value(k, v, INT)?,
            "graph_h" => a.graph_h = value(k, v, INT)?,
            "unlabelled" => a.unlabelled = value(k, v, INT)?,
            "members" => a.members = value(k, v, INT)?,
            "epochs" => a.epochs = value(k, v, INT)?,
            "hidden" => a.hidden = value(k, v, INT)?,
            "rank_weight" => a.rank_weight = value(k, v, NUM)?,
            "prune" => self.prune = Some(value(k, v, NUM)?),
            "population" => self.evolution.population = value(k, v, INT)?,
            "tournament" => self.evolution.tournament = value(k, v, INT)?,
            "init" => self.init = Some(PathBuf::from(v)),
            _ => {
                return Err(Error::Config(format!(
                    "unknown search option `{key}` (known: {})",
                    Self::NAMES.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// The engine's configuration of this search for values read as `values`.
    pub fn bo_config(&self, values: ValuesSpec) -> Result<BoConfig> {
        if !self.ucb_beta.is_finite() {
            return Err(Error::setting(
                "ucb_beta",
                &self.ucb_beta.to_string(),
                "is not a finite number",
            ));
        }
        // Undeclared values get their transform at the first fit, from the values seen.
        let transform = values.resolve(&[])?.transform;
        let function = self.acquisition.function(self.ucb_beta);
        Ok(BoConfig {
            budget: self.budget,
            n_init: self.n_init,
            init_design: self.init_design,
            seed: self.seed,
            acquisition: function.unwrap_or(crate::acquisition::Acquisition::Ei),
            incumbent: self.incumbent,
            thompson: function.is_none(),
            batch: self.batch,
            batch_strategy: match self.batch_strategy {
                // Thompson draws need the dot kernel's feature map.
                BatchStrategy::Auto if self.surrogate.base_kernel != BaseKernel::Dot => {
                    BatchStrategy::Believer
                }
                s => s.resolve(self.batch),
            },
            surrogate: self.surrogate_model,
            gp: self.surrogate.gp_config(transform)?,
            values,
            semi: SemiSearchConfig {
                graph: self.assessor.graph()?,
                network: self.assessor.network(self.seed),
                unlabelled: self.assessor.unlabelled,
                device: self.device,
            },
            pool: self.pool.clone(),
            prune: self.prune,
            evolution: self.evolution,
            init: Vec::new(),
            repeats: self.repeats,
        })
    }

    /// The space with `max_params` applied.
    pub fn space(&self) -> Result<SpaceName> {
        match self.max_params {
            Some(m) => self.space.with_limit("params", m),
            None => Ok(self.space.clone()),
        }
    }

    /// A search on an external objective: its space, settings and journal header, with
    /// the `init` file's evaluations read into the settings.
    pub fn plan(&self) -> Result<Plan> {
        let metric = self.metric.clone().unwrap_or_else(|| "score".into());
        let values = self
            .surrogate
            .values_spec(&metric, self.minimize.then_some(Values::Loss));
        let space = self
            .space()?
            .sampler(self.surrogate.skip_as_wire, self.proteins)?;
        let mut cfg = self.bo_config(values)?;
        if let Some(path) = &self.init {
            cfg.init = given(&space, path, &metric)?;
        }
        Ok(Plan {
            space,
            method: self.method,
            cfg,
            metric,
        })
    }
}

/// The evaluations an `init` CSV gives, as canonical strings with their values: the
/// CSV's `metric` column when it has one, else its `value` column or the one beside `arch`.
pub fn given<S: Space>(
    space: &S,
    path: &std::path::Path,
    metric: &str,
) -> Result<Vec<(String, f64)>> {
    let named = csv::Reader::from_path(path)
        .and_then(|mut r| r.headers().cloned())
        .map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))?
        .iter()
        .any(|h| h.trim_start_matches('\u{feff}').trim() == metric);
    let rows = crate::training::read_csv_file(space, path, named.then_some(metric))?;
    Ok(rows
        .cells
        .iter()
        .map(|c| space.format(c))
        .zip(rows.values)
        .collect())
}

/// A search on an external objective set up from [`SearchOptions`]: the same options give
/// the same settings, journal header and proposals through the CLI and Python.
pub struct Plan {
    /// The space searched.
    pub space: AnySampler,
    /// The search method.
    pub method: Method,
    /// Every setting of the run.
    pub cfg: BoConfig,
    /// The objective's name (default `score`).
    pub metric: String,
}

impl Plan {
    /// The journal header of this search on the objective `objective` (`wlgp search
    /// --objective-cmd` writes `command: CMD`).
    pub fn header(&self, objective: &str) -> JournalHeader {
        let method = format!("{:?}", self.method).to_lowercase();
        JournalHeader::new(
            self.space.name(),
            &format!("{EXTERNAL}{objective}"),
            &self.metric,
            &method,
            self.cfg.seed,
            &self.cfg,
        )
        .with_space(&self.space)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_flags_name_the_same_option() {
        let mut a = SearchOptions::default();
        a.set("n_init", "5").unwrap();
        a.set("pool-random", "7").unwrap();
        a.set("hs", "1,2").unwrap();
        a.set("no_normalize", "true").unwrap();
        assert_eq!(a.n_init, 5);
        assert_eq!(a.pool.random, 7);
        assert_eq!(a.surrogate.hs, vec![1, 2]);
        assert!(!a.surrogate.normalize);
    }

    #[test]
    fn a_bad_value_names_the_option_and_what_was_expected() {
        let mut a = SearchOptions::default();
        let e = a.set("budget", "lots").unwrap_err().to_string();
        assert!(
            e.contains("budget") && e.contains("lots") && e.contains("is not a whole number"),
            "{e}"
        );
        let e = a.set("acquisition", "best").unwrap_err().to_string();
        assert!(e.contains("is not one of ei, ucb, pi, mean, ts"), "{e}");
        let e = a.set("n_inits", "3").unwrap_err().to_string();
        assert!(e.contains("unknown search option `n_inits`"), "{e}");
        a.ucb_beta = f64::NAN;
        let e = a.bo_config(ValuesSpec::table("v")).unwrap_err().to_string();
        assert!(e.contains("ucb_beta") && e.contains("finite"), "{e}");
    }

    #[test]
    fn a_plan_reads_its_init_file_in_canonical_form() {
        let dir = std::env::temp_dir().join(format!("wlgp-options-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("before.csv");
        let arch =
            "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|";
        std::fs::write(&csv, format!("arch,val_acc\n{arch},91.5\n")).unwrap();
        let mut o = SearchOptions::default();
        o.set("init", csv.to_str().unwrap()).unwrap();
        o.set("metric", "val_acc").unwrap();
        let plan = o.plan().unwrap();
        assert_eq!(plan.cfg.init, vec![(arch.to_string(), 91.5)]);
        assert_eq!(plan.metric, "val_acc");
        let h = plan.header("python");
        assert_eq!(h.space, "nb201");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn every_listed_name_is_an_option() {
        for name in SearchOptions::NAMES {
            let e = SearchOptions::default().set(name, "?").err();
            let unknown = e.is_some_and(|e| e.to_string().contains("unknown search option"));
            assert!(!unknown, "{name} is listed but not set");
        }
    }

    #[test]
    fn the_defaults_are_the_engines() {
        let cfg = SearchOptions::default()
            .bo_config(ValuesSpec::table("v"))
            .unwrap();
        let d = BoConfig::default();
        assert_eq!(cfg.n_init, d.n_init);
        assert_eq!(cfg.batch, d.batch);
        assert_eq!(cfg.gp.hs, GpConfig::default().hs);
        assert_eq!(cfg.acquisition, d.acquisition);
    }
}
