//! Where a surrogate's training data comes from: a CSV (`arch,value`), N random rows of
//! an embedded table, or a search journal. Shared by `score`, `explain` and `build`.

use super::resolve_dataset;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use wlgp::bench_data;
use wlgp::error::{Error, Result};
use wlgp::search::{Objective, Recorded, TableObjective};
use wlgp::space::{AnyCell, AnySampler, Sampler, Space, SpaceName, TableKey};
use wlgp::values::Values;

/// Evaluated architectures and the metric their values are (the value column's name for
/// a CSV).
pub(crate) struct Training<C> {
    pub(crate) cells: Vec<C>,
    pub(crate) values: Vec<f64>,
    pub(crate) metric: String,
    /// What the values are when the source says so (an embedded table's metric, a
    /// journal's declaration); otherwise `--values` or inference decides.
    pub(crate) declared: Option<Values>,
    /// The embedded dataset the rows come from, if any (for true values).
    pub(crate) dataset: Option<&'static bench_data::Dataset>,
}

/// Reads a training CSV, its values from `column` when named (see
/// [`wlgp::training::read_csv_file`]).
pub(crate) fn from_csv<S: Space>(
    space: &S,
    path: &std::path::Path,
    column: Option<&str>,
) -> Result<Training<S::Cell>> {
    let rows = wlgp::training::read_csv_file(space, path, column)?;
    Ok(Training {
        cells: rows.cells,
        values: rows.values,
        metric: rows.column,
        declared: None,
        dataset: None,
    })
}

pub(crate) fn from_table<S: Sampler + TableKey>(
    space: &S,
    spec: &str,
    seed: u64,
) -> Result<Training<S::Cell>> {
    let (d, metric, n) = parse_spec(spec)?;
    let mut obj = TableObjective::new(d, &metric)?;
    let mut cells = space
        .enumerate()
        .ok_or_else(|| Error::Config("embedded tables cover finite spaces only".into()))?;
    if n == 0 || n > cells.len() {
        return Err(Error::Config(format!(
            "N = {n} must be in 1..={} for {}",
            cells.len(),
            d.name
        )));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    cells.shuffle(&mut rng);
    cells.truncate(n);
    let values = cells
        .iter()
        .map(|c| obj.evaluate(space, c))
        .collect::<Result<_>>()?;
    Ok(Training {
        cells,
        values,
        declared: Some(Values::of_table_metric(&metric)),
        metric,
        dataset: Some(d),
    })
}

/// The space a journal was written on: a built-in name, or the declared space its
/// header records.
fn journal_space(h: &wlgp::search::JournalHeader) -> Result<SpaceName> {
    match h.settings.get("space_spec") {
        Some(spec) => {
            let spec = serde_json::from_value(spec.clone())
                .map_err(|e| Error::Config(format!("the journal's space_spec: {e}")))?;
            Ok(SpaceName::Declared(std::sync::Arc::new(
                wlgp::space::DeclaredSpace::new(spec)?,
            )))
        }
        None => h.space.parse(),
    }
}

/// Parses DATASET:METRIC:N.
pub(crate) fn parse_spec(spec: &str) -> Result<(&'static bench_data::Dataset, String, usize)> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() != 3 {
        return Err(Error::Config(format!(
            "`{spec}`: expected DATASET:METRIC:N, e.g. nb201:baseline_accuracy:100"
        )));
    }
    let d = bench_data::dataset(parts[0])?;
    d.metric(parts[1])?;
    let n = parts[2]
        .parse()
        .map_err(|_| Error::Config(format!("`{spec}`: N = `{}` is not a number", parts[2])))?;
    Ok((d, parts[1].to_string(), n))
}

/// The evaluations of a search journal (failed ones skipped; those it was given with
/// `--init` first), with its dataset and metric.
pub(crate) fn from_journal<S: Sampler>(space: &S, path: &Path) -> Result<Training<S::Cell>> {
    let r = Recorded::read(path)?;
    if r.header.space != space.name() {
        return Err(Error::Journal(format!(
            "{} is a journal of the {} space, not {}",
            path.display(),
            r.header.space,
            space.name()
        )));
    }
    let mut t = Training {
        cells: Vec::new(),
        values: Vec::new(),
        metric: r.header.metric.clone(),
        declared: r.declared_values(),
        dataset: bench_data::dataset(&r.header.dataset).ok(),
    };
    // The evaluations the search was given before it began (`wlgp search --init`), on
    // line 1; then each successful entry on its own line.
    let given = r.given().into_iter().map(|(a, v)| (1, a, v));
    let entries = r
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i + 2, e.arch.clone(), e.value?)));
    for (line, arch, v) in given.chain(entries) {
        let cell = space.parse(&arch).map_err(|err| Error::Line {
            line,
            source: Box::new(err),
        })?;
        t.cells.push(cell);
        t.values.push(v);
    }
    if t.cells.is_empty() {
        return Err(Error::Empty(format!(
            "{} has no successful evaluations",
            path.display()
        )));
    }
    Ok(t)
}

/// The training-data flags every fitting command shares.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TrainArgs {
    /// Space of the architectures (inferred from --train-from-data or --from when omitted).
    #[arg(long, value_parser = crate::space_name)]
    pub(crate) space: Option<SpaceName>,
    /// CSV with a header and columns `arch,value` (arch in the space's string form); other
    /// columns are allowed when --metric names the value column.
    #[arg(long)]
    pub(crate) train: Option<PathBuf>,
    /// The --train CSV's value column, e.g. `val_acc` in `arch,val_acc,test_acc,params`
    /// (default: `value`, or the one column beside `arch`).
    #[arg(long, alias = "column")]
    pub(crate) metric: Option<String>,
    /// N random rows of an embedded table, as DATASET:METRIC:N (e.g. nb201:baseline_accuracy:100).
    #[arg(long)]
    pub(crate) train_from_data: Option<String>,
    /// A search journal (its successful evaluations).
    #[arg(long)]
    pub(crate) from: Option<PathBuf>,
    /// Seed of the training rows.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
}

impl TrainArgs {
    /// The space these flags name, and whether it uses the proteins op set.
    pub(crate) fn space(&self) -> Result<(SpaceName, bool)> {
        if let Some(spec) = &self.train_from_data {
            let d = parse_spec(spec)?.0;
            let named = self.space.clone().unwrap_or(SpaceName::Builtin(d.space));
            let s = resolve_dataset(Some(&named), Some(d.name))?;
            return Ok((SpaceName::Builtin(s.space), s.proteins));
        }
        if let Some(p) = &self.from {
            let h = Recorded::read(p)?.header;
            let d = bench_data::dataset(&h.dataset).ok();
            let name = match &self.space {
                Some(s) => s.clone(),
                None => journal_space(&h)?,
            };
            return Ok((name, d.is_some_and(|d| d.proteins)));
        }
        self.space
            .clone()
            .map(|s| (s, false))
            .ok_or_else(|| Error::Config("give --space (or --train-from-data)".into()))
    }

    /// The space the training flags name, with `skip_as_wire` lowering.
    pub(crate) fn sampler(&self, skip_as_wire: bool) -> Result<AnySampler> {
        let (name, proteins) = self.space()?;
        name.sampler(skip_as_wire, proteins)
    }

    /// Loads the training data; `--train-from-data` only for a space with embedded tables.
    pub(crate) fn load(&self, space: &AnySampler) -> Result<Training<AnyCell>> {
        match (&self.train, &self.train_from_data, &self.from) {
            (Some(p), None, None) => from_csv(space, p, self.metric.as_deref()),
            (None, Some(_), None) if !space.has_table() => Err(Error::Config(format!(
                "no embedded data for the {} space: give --train FILE or --from JOURNAL",
                space.name()
            ))),
            (None, Some(spec), None) => from_table(space, spec, self.seed),
            (None, None, Some(p)) => from_journal(space, p),
            (None, None, None) => Err(Error::Config(
                "give --train FILE, --train-from-data DATASET:METRIC:N or --from JOURNAL".into(),
            )),
            _ => Err(Error::Config(
                "give only one of --train, --train-from-data and --from".into(),
            )),
        }
    }
}
