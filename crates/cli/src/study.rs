//! `wlgp study`: methods x datasets x seeds, the predictor study, CSVs, plots and a
//! markdown summary, written to one directory.

use super::search_args::BoArgs;
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use wlgp::bench_data::{self, Dataset};
use wlgp::error::{Error, Result};
use wlgp::search::Method;
use wlgp::study::{self, PredictorConfig, PredictorRow, StudyRun, Summary};

/// A named study configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Protocol {
    /// wlgp's defaults (as given by the other flags).
    Wlgp,
    /// NAS-BOWL's published setting (Ru et al., 2021): 10 random initial architectures,
    /// batches of 5 by EI (kriging believer), a pool of 100 mutations of the 10 best plus
    /// 100 random samples, 160 evaluations, 20 seeds.
    Nasbowl,
}

#[derive(Args, Debug)]
pub(crate) struct StudyArgs {
    /// Datasets to search (comma-separated; default: every embedded table).
    #[arg(long, value_delimiter = ',')]
    datasets: Vec<String>,
    /// Methods (comma-separated).
    #[arg(
        long,
        value_parser = crate::named::<Method>(),
        value_delimiter = ',',
        default_value = "bo,random,evolution,local"
    )]
    methods: Vec<Method>,
    /// Seeds per method and dataset (seeds 0..N).
    #[arg(long, default_value_t = 20)]
    seeds: u64,
    /// Evaluations per search.
    #[arg(long, default_value_t = 100)]
    budget: usize,
    /// A named configuration; it overrides budget, seeds and the BO settings it names.
    #[arg(long, value_enum, default_value_t = Protocol::Wlgp)]
    protocol: Protocol,
    #[command(flatten)]
    pub(crate) bo: BoArgs,
    /// Datasets of the predictor study (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "nb201,cora,computers,arxiv"
    )]
    predictor_datasets: Vec<String>,
    /// Training sizes of the predictor study.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,20,50,100,200,400,1000"
    )]
    predictor_sizes: Vec<usize>,
    /// Seeds (random training sets) per predictor size.
    #[arg(long, default_value_t = 3)]
    predictor_seeds: u64,
    /// Datasets of the explain study (built architecture, pruning).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "nb201,cora,computers,arxiv"
    )]
    explain_datasets: Vec<String>,
    /// Evaluated architectures the explain study fits on.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200")]
    explain_sizes: Vec<usize>,
    /// Seeds per explain-study size.
    #[arg(long, default_value_t = 10)]
    explain_seeds: u64,
    /// Skip the explain study.
    #[arg(long)]
    no_explain: bool,
    /// Datasets of the semi-supervised study (assessor and label propagation vs the GP).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "nb201,cora,computers,arxiv"
    )]
    semi_datasets: Vec<String>,
    /// Label counts of the semi-supervised study.
    #[arg(long, value_delimiter = ',', default_value = "10,20,50,100")]
    semi_sizes: Vec<usize>,
    /// Seeds per semi-supervised label count.
    #[arg(long, default_value_t = 10)]
    semi_seeds: u64,
    /// Skip the semi-supervised study.
    #[arg(long)]
    no_semi: bool,

    /// Skip the searches.
    #[arg(long)]
    no_search: bool,
    /// Skip the predictor study.
    #[arg(long)]
    no_predictor: bool,
    /// A multi-objective study instead: NAME:max|min,... on every dataset that has those
    /// metrics (repeat the flag for several problems); hypervolume regret against
    /// evaluations for each of --mo-methods.
    #[arg(long)]
    objectives: Vec<String>,
    /// Methods of the multi-objective study.
    #[arg(
        long,
        value_parser = crate::named::<wlgp::search::multi::MultiMethod>(),
        value_delimiter = ',',
        default_value = "ehvi,parego,random,nsga2,evolution"
    )]
    mo_methods: Vec<wlgp::search::multi::MultiMethod>,
    /// Multi-objective study through the user's path: each evaluation runs `wlgp lookup`
    /// as the training command (objectives as JSON, percentages as fractions, semantics
    /// undeclared), instead of reading the table in process.
    #[arg(long)]
    through_command: bool,
    /// Evaluation counts at which a multi-objective study's summary reports the regret
    /// (default: half the budget and the budget).
    #[arg(long, value_delimiter = ',')]
    report_at: Vec<usize>,
    /// Redraw the plots of the study in --out from its CSVs (runs.csv, predictor.csv,
    /// semi.csv) instead of running it.
    #[arg(long)]
    replot: bool,
    /// Directory for runs.csv, predictor.csv, the SVG plots and summary.md.
    #[arg(long, default_value = "study")]
    out: PathBuf,
}

fn datasets(names: &[String]) -> Result<Vec<&'static Dataset>> {
    if names.is_empty() {
        return Ok(bench_data::datasets().iter().collect());
    }
    names.iter().map(|n| bench_data::dataset(n)).collect()
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(format!("writing {}", path.display()), e)
}

pub(crate) fn study(a: &StudyArgs, device: wlgp::gpu::DeviceChoice) -> Result<()> {
    if a.replot {
        return replot(&a.out);
    }
    if !a.objectives.is_empty() {
        let base = wlgp::search::multi::MultiConfig {
            budget: a.budget,
            n_init: a.bo.n_init,
            seed: 0,
            batch: a.bo.batch,
            method: wlgp::search::multi::MultiMethod::Ehvi,
            gp: a.bo.surrogate.gp_config(wlgp::gp::Transform::Identity)?,
            parents: a.bo.pool_parents,
            random: a.bo.pool_random,
            draws: 128,
        };
        if a.budget < 2 || a.seeds == 0 {
            return Err(Error::Config(
                "a study needs a budget of at least 2 and one seed".into(),
            ));
        }
        let report_at = if a.report_at.is_empty() {
            vec![a.budget / 2, a.budget]
        } else {
            a.report_at.clone()
        };
        if let Some(n) = report_at.iter().find(|&&n| n == 0 || n > a.budget) {
            return Err(Error::Config(format!(
                "--report-at {n}: expected an evaluation count from 1 to the budget {}",
                a.budget
            )));
        }
        return super::multi::study(&super::multi::MultiStudy {
            specs: &a.objectives,
            datasets: &datasets(&a.datasets)?,
            methods: &a.mo_methods,
            seeds: a.seeds,
            base: &base,
            out: &a.out,
            through_command: a.through_command,
            report_at,
        });
    }
    let mut bo = a.bo.clone();
    let (mut budget, mut seeds) = (a.budget, a.seeds);
    if a.protocol == Protocol::Nasbowl {
        (budget, seeds) = (160, 20);
        bo.n_init = 10;
        bo.batch = 5;
        bo.acquisition = wlgp::acquisition::AcquisitionChoice::Ei;
        bo.batch_strategy = wlgp::search::BatchStrategy::Believer;
        bo.pool_parents = 10;
        bo.pool_mutations = Some(100);
        bo.pool_random = 100;
        bo.full_space_limit = 0;
    }
    std::fs::create_dir_all(&a.out).map_err(io(&a.out))?;
    let mut md = format!(
        "# wlgp study\n\nProtocol `{}`, budget {budget}, {seeds} seeds; BO: {:?} acquisition, batch {} ({}), {} initial, pool: {} parents ({}), {} random.\n\n",
        super::typed(&a.protocol),
        bo.acquisition,
        bo.batch,
        bo.batch_strategy.name(),
        bo.n_init,
        bo.pool_parents,
        bo.pool_mutations
            .map_or("all neighbours".to_string(), |m| format!("{m} mutations")),
        bo.pool_random
    );
    if !a.no_search {
        let ds = datasets(&a.datasets)?;
        let mut jobs = Vec::new();
        for d in &ds {
            for &m in &a.methods {
                for s in 0..seeds {
                    jobs.push((*d, d.default_metric.to_string(), m, s));
                }
            }
        }
        // The target transform depends on the metric: one configuration per dataset.
        let configs = ds
            .iter()
            .map(|d| {
                Ok((
                    d.name,
                    bo.config(
                        budget,
                        0,
                        bo.surrogate.values_spec(
                            d.default_metric,
                            Some(wlgp::values::Values::of_table_metric(d.default_metric)),
                        ),
                    )?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let config = |d: &Dataset| {
            configs
                .iter()
                .find(|c| c.0 == d.name)
                .map(|c| c.1.clone())
                .expect("one per dataset")
        };
        let pb = super::progress_bar(jobs.len() as u64, "searches");
        let wire = bo.surrogate.skip.as_wire();
        let runs = study::run_searches(&jobs, &config, wire, &|| pb.inc(1))?;
        pb.finish_and_clear();
        write_runs(&a.out.join("runs.csv"), &runs)?;
        let summaries = study::summarize(&runs);
        md += &search_tables(&summaries, &a.methods);
        md += &plot_searches(&a.out, &runs)?;
    }
    if !a.no_predictor {
        let cfg = PredictorConfig {
            sizes: a.predictor_sizes.clone(),
            seeds: a.predictor_seeds,
            skip_as_wire: bo.surrogate.skip.as_wire(),
            ..Default::default()
        };
        let ds = datasets(&a.predictor_datasets)?;
        let pb = super::progress_bar(
            ds.len() as u64 * cfg.sizes.len() as u64 * cfg.seeds,
            "predictor fits",
        );
        let mut rows = Vec::new();
        for d in &ds {
            rows.extend(study::predictor_study(d, d.default_metric, &cfg, &|| {
                pb.inc(1)
            })?);
        }
        pb.finish_and_clear();
        write_predictor(&a.out.join("predictor.csv"), &rows)?;
        let title = format!(
            "## Predictor: held-out rank correlation (mean over {} seeds; {} held-out architectures)\n\n",
            cfg.seeds, cfg.test
        );
        md += &predictor_tables(&rows, &cfg.sizes, &title);
        md += &plot_models(&a.out, &rows, Models::Predictor)?;
    }
    if !a.no_explain {
        let ds = datasets(&a.explain_datasets)?;
        let pb = super::progress_bar(
            ds.len() as u64 * a.explain_sizes.len() as u64 * a.explain_seeds,
            "explain fits",
        );
        let mut rows = Vec::new();
        for d in &ds {
            rows.extend(study::explain_study(
                d,
                &a.explain_sizes,
                a.explain_seeds,
                2.0,
                bo.surrogate.skip.as_wire(),
                &|| pb.inc(1),
            )?);
        }
        pb.finish_and_clear();
        let p = a.out.join("explain.csv");
        let mut w = csv::Writer::from_path(&p)
            .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?;
        for r in &rows {
            w.serialize(r)
                .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?;
        }
        w.flush().map_err(io(&p))?;
        md += &explain_table(&rows, &a.explain_sizes, a.explain_seeds);
    }
    if !a.no_semi {
        md += &semi(a, bo.surrogate.skip.as_wire(), device)?;
    }
    let p = a.out.join("summary.md");
    std::fs::write(&p, &md).map_err(io(&p))?;
    super::out(&md)
}

/// The two families of models whose rank correlation a study plots against training size.
#[derive(Clone, Copy)]
enum Models {
    /// The predictor study (predictor.csv, spearman_<dataset>.svg).
    Predictor,
    /// The semi-supervised study (semi.csv, semi_<dataset>.svg).
    Semi,
}

impl Models {
    fn names(self) -> &'static [&'static str] {
        match self {
            Models::Predictor => &[
                "wl-both-ml",
                "wl-in-ml",
                "wl-out-ml",
                "wl-both-h0",
                "one-hot",
            ],
            Models::Semi => &[
                "assessor",
                "assessor+gp",
                "laplacian-gp",
                "propagation",
                "gp",
            ],
        }
    }

    /// The plot's file prefix and the caption's word.
    fn file(self) -> (&'static str, &'static str) {
        match self {
            Models::Predictor => ("spearman", "Spearman"),
            Models::Semi => ("semi", "semi-supervised Spearman"),
        }
    }
}

/// The datasets of `names`, each once, in first-seen order.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen
}

/// A regret plot per dataset of `runs`, and the summary's links to them.
fn plot_searches(out: &Path, runs: &[study::StudyRun]) -> Result<String> {
    let mut md = String::new();
    for d in distinct(runs.iter().map(|r| r.dataset)) {
        study::plot_regret(&out.join(format!("regret_{d}.svg")), d, runs)?;
        let _ = writeln!(md, "![{d} regret](regret_{d}.svg)\n");
    }
    Ok(md)
}

/// A rank-correlation plot per dataset of `rows`, and the summary's links to them.
fn plot_models(out: &Path, rows: &[PredictorRow], models: Models) -> Result<String> {
    let (prefix, caption) = models.file();
    let mut md = String::new();
    for d in distinct(rows.iter().map(|r| r.dataset)) {
        let p = out.join(format!("{prefix}_{d}.svg"));
        study::plot_predictor(&p, d, rows, models.names())?;
        let _ = writeln!(md, "![{d} {caption}]({prefix}_{d}.svg)\n");
    }
    Ok(md)
}

/// `--replot`: the plots of a finished study, redrawn from the CSVs it wrote.
fn replot(out: &Path) -> Result<()> {
    let mut drawn = false;
    let runs = out.join("runs.csv");
    if runs.exists() {
        drawn |= !plot_searches(out, &read_runs(&runs)?)?.is_empty();
    }
    for (file, models) in [
        ("predictor.csv", Models::Predictor),
        ("semi.csv", Models::Semi),
    ] {
        let p = out.join(file);
        if p.exists() {
            drawn |= !plot_models(out, &read_rows(&p)?, models)?.is_empty();
        }
    }
    if !drawn {
        return Err(Error::Empty(format!(
            "{}: no runs.csv, predictor.csv or semi.csv to plot",
            out.display()
        )));
    }
    Ok(())
}

/// The CSV's records with a header-name lookup, each error naming the file and line.
fn records(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>)> {
    let err = |e: csv::Error| Error::Config(format!("{}: {e}", path.display()));
    let mut r = csv::Reader::from_path(path).map_err(err)?;
    let head = r.headers().map_err(err)?.clone();
    let rows = r
        .records()
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(err)?;
    Ok((head, rows))
}

/// The field `name` of `row`, parsed.
fn field<T: std::str::FromStr>(
    path: &Path,
    head: &csv::StringRecord,
    row: &csv::StringRecord,
    name: &str,
) -> Result<T> {
    let line = row.position().map_or(0, |p| p.line());
    let text = head
        .iter()
        .position(|h| h == name)
        .and_then(|i| row.get(i))
        .ok_or_else(|| Error::Config(format!("{}: no column `{name}`", path.display())))?;
    text.parse().map_err(|_| {
        Error::Config(format!(
            "{}:{line}: `{text}` is not a valid {name}",
            path.display()
        ))
    })
}

/// A study's runs.csv read back into its runs (one per dataset, method and seed).
fn read_runs(path: &Path) -> Result<Vec<study::StudyRun>> {
    let (head, rows) = records(path)?;
    let mut runs: Vec<study::StudyRun> = Vec::new();
    for row in &rows {
        let name: String = field(path, &head, row, "dataset")?;
        let method: String = field(path, &head, row, "method")?;
        let seed: u64 = field(path, &head, row, "seed")?;
        let method = Method::ALL
            .iter()
            .copied()
            .find(|m| format!("{m:?}").to_lowercase() == method)
            .ok_or_else(|| {
                Error::Config(format!("{}: unknown method `{method}`", path.display()))
            })?;
        let d = bench_data::dataset(&name)?;
        let at = runs
            .iter()
            .position(|r| r.dataset == d.name && r.method == method && r.seed == seed);
        let at = at.unwrap_or_else(|| {
            runs.push(study::StudyRun {
                dataset: d.name,
                metric: field(path, &head, row, "metric").unwrap_or_default(),
                method,
                seed,
                values: Vec::new(),
                regret: Vec::new(),
                test_regret: None,
                seconds: 0.0,
            });
            runs.len() - 1
        });
        runs[at].values.push(field(path, &head, row, "value")?);
        runs[at].regret.push(field(path, &head, row, "regret")?);
    }
    Ok(runs)
}

/// A predictor.csv or semi.csv read back into its rows.
fn read_rows(path: &Path) -> Result<Vec<PredictorRow>> {
    let (head, rows) = records(path)?;
    rows.iter()
        .map(|row| {
            let name: String = field(path, &head, row, "dataset")?;
            Ok(PredictorRow {
                dataset: bench_data::dataset(&name)?.name,
                model: field(path, &head, row, "model")?,
                size: field(path, &head, row, "size")?,
                seed: field(path, &head, row, "seed")?,
                spearman: field(path, &head, row, "spearman")?,
                kendall: field(path, &head, row, "kendall")?,
            })
        })
        .collect()
}

/// The semi-supervised study: semi.csv, semi_timing.csv, a Spearman plot per dataset and
/// the summary's tables.
fn semi(a: &StudyArgs, skip_as_wire: bool, device: wlgp::gpu::DeviceChoice) -> Result<String> {
    let cfg = study::SemiConfig {
        sizes: a.semi_sizes.clone(),
        seeds: a.semi_seeds,
        graph: a.bo.assessor.options().graph()?,
        assessor: a.bo.assessor.options().network(0),
        skip_as_wire,
    };
    let engine = wlgp::gpu::Engine::new_preferring_hardware(device)?;
    let ds = datasets(&a.semi_datasets)?;
    let pb = super::progress_bar(
        ds.len() as u64 * cfg.sizes.len() as u64 * cfg.seeds,
        "semi-supervised fits",
    );
    let (mut rows, mut timing) = (Vec::new(), Vec::new());
    for d in &ds {
        let (r, t) = study::semi_study(d, d.default_metric, &cfg, &engine, &|| pb.inc(1))?;
        rows.extend(r);
        timing.push(t);
    }
    pb.finish_and_clear();
    write_predictor(&a.out.join("semi.csv"), &rows)?;
    write_predictor(&a.out.join("semi_timing.csv"), &timing)?;
    let mut md = predictor_tables(
        &rows,
        &cfg.sizes,
        &format!(
            "## Semi-supervised assessor: rank correlation on every unlabelled architecture (mean over {} seeds; graph: {} nearest neighbours by the normalised WL kernel, h = {}; {}-dim SVD embedding)\n\n",
            cfg.seeds, cfg.graph.k, cfg.graph.wl.h, cfg.graph.embedding
        ),
    );
    md += "| dataset | nodes | edges | graph + embedding (s) | assessor fit (s) | propagation (s) | Laplacian GP (s) | GP fit + predict (s) |\n|---|---|---|---|---|---|---|---|\n";
    for t in &timing {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.1} | {:.2} | {:.3} | {:.2} | {:.2} |",
            t.dataset,
            t.nodes,
            t.edges,
            t.graph_seconds,
            t.assessor_seconds,
            t.propagation_seconds,
            t.laplacian_seconds,
            t.gp_seconds
        );
    }
    md.push('\n');
    md += &plot_models(&a.out, &rows, Models::Semi)?;
    Ok(md)
}

fn write_runs(path: &Path, runs: &[StudyRun]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    let err = |e: csv::Error| Error::Config(format!("{}: {e}", path.display()));
    w.write_record([
        "dataset",
        "metric",
        "method",
        "seed",
        "evaluation",
        "value",
        "regret",
        "final_test_regret",
        "seconds",
    ])
    .map_err(err)?;
    for r in runs {
        for (i, (v, g)) in r.values.iter().zip(&r.regret).enumerate() {
            w.write_record([
                r.dataset.to_string(),
                r.metric.clone(),
                format!("{:?}", r.method).to_lowercase(),
                r.seed.to_string(),
                (i + 1).to_string(),
                v.to_string(),
                g.to_string(),
                r.test_regret.map_or(String::new(), |t| t.to_string()),
                format!("{:.3}", r.seconds),
            ])
            .map_err(err)?;
        }
    }
    w.flush().map_err(io(path))
}

fn write_predictor<R: serde::Serialize>(path: &Path, rows: &[R]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    for r in rows {
        w.serialize(r)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    }
    w.flush().map_err(io(path))
}

/// Final regret per dataset and method, and each baseline's difference from BO.
fn search_tables(s: &[Summary], methods: &[Method]) -> String {
    let halfway = s.iter().map(|x| x.halfway).min().unwrap_or(0);
    let mut md = regret_table(
        s,
        methods,
        "## Final regret (mean ± s.e.)",
        &|x| (x.regret, x.regret_se),
        true,
    );
    md += &regret_table(
        s,
        methods,
        &format!("## Regret after {halfway} evaluations (mean ± s.e.)"),
        &|x| (x.regret_half, x.regret_half_se),
        false,
    );
    md
}

/// One regret table (a statistic of each summary), each method against BO; with
/// `test`, a column for the test regret of BO's final pick.
fn regret_table(
    s: &[Summary],
    methods: &[Method],
    title: &str,
    stat: &dyn Fn(&Summary) -> (f64, f64),
    test: bool,
) -> String {
    let mut md = format!("{title}\n\n| dataset |");
    for m in methods {
        let _ = write!(md, " {} |", m.name());
    }
    if test {
        md += " test regret of BO's pick |";
    }
    md += "\n|---|";
    md += &"---|".repeat(methods.len() + usize::from(test));
    md.push('\n');
    let mut names: Vec<&str> = Vec::new();
    for x in s {
        if !names.contains(&x.dataset) {
            names.push(x.dataset);
        }
    }
    let find = |d: &str, m: Method| s.iter().find(|x| x.dataset == d && x.method == m);
    for d in &names {
        let _ = write!(md, "| {d} |");
        let bo = find(d, Method::Bo);
        for &m in methods {
            match find(d, m) {
                Some(x) => {
                    let (v, se) = stat(x);
                    let _ = write!(md, " {v:.4} ± {se:.4}");
                    if let (Some(b), true) = (bo, m != Method::Bo) {
                        let (bv, bse) = stat(b);
                        let diff = v - bv;
                        let se = (se.powi(2) + bse.powi(2)).sqrt();
                        let _ = write!(
                            md,
                            " (BO {}{:.4} ± {:.4})",
                            if diff >= 0.0 {
                                "better by "
                            } else {
                                "worse by "
                            },
                            diff.abs(),
                            se
                        );
                    }
                    md += " |";
                }
                None => md += " – |",
            }
        }
        if test {
            match bo.and_then(|b| b.test_regret.zip(b.test_regret_se)) {
                Some((t, se)) => {
                    let _ = write!(md, " {t:.4} ± {se:.4} |");
                }
                None => md += " – |",
            }
        }
        md.push('\n');
    }
    md.push('\n');
    md
}

/// Mean Spearman and Kendall per model and training size, one table per dataset.
fn predictor_tables(rows: &[PredictorRow], sizes: &[usize], title: &str) -> String {
    let mut md = title.to_string();
    let mut names: Vec<&str> = Vec::new();
    let mut models: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.dataset) {
            names.push(r.dataset);
        }
        if !models.contains(&r.model.as_str()) {
            models.push(&r.model);
        }
    }
    for d in names {
        let _ = write!(md, "### {d}: Spearman ρ / Kendall τ\n\n| model |");
        for n in sizes {
            let _ = write!(md, " n = {n} |");
        }
        md += "\n|---|";
        md += &"---|".repeat(sizes.len());
        md.push('\n');
        for m in &models {
            let _ = write!(md, "| {m} |");
            for &n in sizes {
                let v: Vec<&PredictorRow> = rows
                    .iter()
                    .filter(|r| r.dataset == d && r.model == *m && r.size == n)
                    .collect();
                if v.is_empty() {
                    md += " – |";
                    continue;
                }
                let k = v.len() as f64;
                let _ = write!(
                    md,
                    " {:.3} / {:.3} |",
                    v.iter().map(|r| r.spearman).sum::<f64>() / k,
                    v.iter().map(|r| r.kendall).sum::<f64>() / k
                );
            }
            md.push('\n');
        }
        md.push('\n');
    }
    md
}

/// Built-architecture percentile and pruning per dataset and size.
fn explain_table(rows: &[study::ExplainRow], sizes: &[usize], seeds: u64) -> String {
    let mut md = format!(
        "## Building and pruning from motifs (mean over {seeds} seeds)\n\n| dataset | N | built arch percentile | built in top 5% | best evaluated percentile | pruned space (share of table) | top-1% kept | most frequent top motif |\n|---|---|---|---|---|---|---|---|\n"
    );
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.dataset) {
            names.push(r.dataset);
        }
    }
    for d in names {
        for &n in sizes {
            let v: Vec<&study::ExplainRow> = rows
                .iter()
                .filter(|r| r.dataset == d && r.size == n)
                .collect();
            if v.is_empty() {
                continue;
            }
            let k = v.len() as f64;
            let mean =
                |f: &dyn Fn(&study::ExplainRow) -> f64| v.iter().map(|r| f(r)).sum::<f64>() / k;
            let mut counts: Vec<(String, usize)> = Vec::new();
            for r in &v {
                let first = r.top_motifs.split("; ").next().unwrap_or("").to_string();
                match counts.iter_mut().find(|c| c.0 == first) {
                    Some(c) => c.1 += 1,
                    None => counts.push((first, 1)),
                }
            }
            counts.sort_by_key(|c| std::cmp::Reverse(c.1));
            let _ = writeln!(
                md,
                "| {d} | {n} | {:.1} | {:.0}% | {:.1} | {:.1}% | {:.1}% | `{}` ({}/{}) |",
                mean(&|r| r.built_percentile),
                100.0 * mean(&|r| (r.built_percentile >= 95.0) as u8 as f64),
                mean(&|r| r.best_evaluated_percentile),
                100.0 * mean(&|r| r.pruned_share),
                100.0 * mean(&|r| r.top1_kept),
                counts[0].0,
                counts[0].1,
                v.len()
            );
        }
    }
    md.push('\n');
    md
}
