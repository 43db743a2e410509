//! The embedded tables (and computed costs) as a multi-objective objective.

use super::multi::{MultiObjective, Semantics};
use super::{Objective, TableObjective};
use crate::bench_data::Dataset;
use crate::error::{Error, Result};
use crate::space::nb201_cost::ComputedCosts;
use crate::space::{Sampler, TableKey};
use crate::values::Values;

/// One declared objective: its name, whether it is maximised, and what its values are
/// when the declaration says (`NAME:max:accuracy`).
pub type Declared = (String, bool, Option<Values>);

/// Parses `NAME:max|min[:VALUES],...` (2 or 3 objectives); a third field declares the
/// values' semantics (as `--values` does), which must agree with the direction.
pub fn parse_spec(spec: &str) -> Result<Vec<Declared>> {
    let out = spec
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let fields: Vec<&str> = part.split(':').collect();
            let (name, dir) = match fields[..] {
                [n, d] | [n, d, _] => (n, d),
                _ => {
                    return Err(Error::Config(format!(
                        "objective `{part}`: expected NAME:max or NAME:min (optionally :VALUES)"
                    )))
                }
            };
            let maximize = match dir {
                "max" => true,
                "min" => false,
                _ => {
                    return Err(Error::Config(format!(
                        "objective `{part}`: direction `{dir}` is not max or min"
                    )))
                }
            };
            let values = match fields.get(2) {
                None => None,
                Some(v) => {
                    let v = v.parse::<Values>().map_err(|_| {
                        Error::Config(format!(
                            "objective `{part}`: `{v}` is not one of accuracy, accuracy-percent, error, error-percent, loss, cost, score"
                        ))
                    })?;
                    if v.maximize() != maximize {
                        return Err(Error::Config(format!(
                            "objective `{part}`: {v} values are {}",
                            if v.maximize() { "maximised" } else { "minimised" }
                        )));
                    }
                    Some(v)
                }
            };
            Ok((name.to_string(), maximize, values))
        })
        .collect::<Result<Vec<_>>>()?;
    if !(2..=3).contains(&out.len()) {
        return Err(Error::Config(format!(
            "--objectives needs 2 or 3 objectives, got {}",
            out.len()
        )));
    }
    Ok(out)
}

/// One objective: a table column or a computed cost.
enum Column {
    Table(TableObjective),
    Computed(String),
}

/// Several metrics of one table, and computed costs, as `NAME:max|min` declares them.
pub struct TableMulti {
    columns: Vec<Column>,
    values: Vec<Values>,
    /// The declared names, in order.
    pub names: Vec<String>,
}

impl TableMulti {
    /// Parses `NAME:max|min,...` against a dataset and the space's computed costs.
    pub fn new<S: ComputedCosts>(space: &S, d: &'static Dataset, spec: &str) -> Result<TableMulti> {
        let mut t = TableMulti {
            columns: Vec::new(),
            values: Vec::new(),
            names: Vec::new(),
        };
        for (name, maximize, declared) in parse_spec(spec)? {
            let (name, part) = (
                name.as_str(),
                format!("{name}:{}", if maximize { "max" } else { "min" }),
            );
            let (column, values) = if space.cost_names().contains(&name) {
                (Column::Computed(name.to_string()), Values::Cost)
            } else {
                let known = |e: Error| {
                    Error::Config(format!(
                        "{e}; computed costs of this space: {}",
                        space.cost_names().join(", ")
                    ))
                };
                let obj = TableObjective::new(d, name).map_err(known)?;
                (Column::Table(obj), Values::of_table_metric(name))
            };
            let values = declared.unwrap_or(values);
            if values.maximize() != maximize {
                return Err(Error::Config(format!(
                    "objective `{part}`: `{name}` is {} here ({values})",
                    if values.maximize() {
                        "maximised"
                    } else {
                        "minimised"
                    }
                )));
            }
            t.columns.push(column);
            t.values.push(values);
            t.names.push(name.to_string());
        }
        Ok(t)
    }

    /// Every cell's objective values (for the true front and the normalisation).
    pub fn every_cell<S: Sampler + TableKey + ComputedCosts>(
        &mut self,
        space: &S,
    ) -> Result<Vec<Vec<f64>>> {
        let cells = space
            .enumerate()
            .ok_or_else(|| Error::Config("the true front needs a finite space".into()))?;
        cells
            .iter()
            .map(|c| MultiObjective::evaluate(self, space, c))
            .collect()
    }
}

impl<S: Sampler + TableKey + ComputedCosts> MultiObjective<S> for TableMulti {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<Vec<f64>> {
        self.columns
            .iter_mut()
            .map(|c| match c {
                Column::Table(t) => Objective::evaluate(t, space, cell),
                Column::Computed(n) => Ok(space.cost(n, cell).expect("a listed cost")),
            })
            .collect()
    }

    fn exact(&self, space: &S, cell: &S::Cell, k: usize) -> Option<f64> {
        match &self.columns[k] {
            Column::Computed(n) => space.cost(n, cell),
            Column::Table(_) => None,
        }
    }

    fn range(&self, space: &S, k: usize) -> Option<(f64, f64)> {
        match &self.columns[k] {
            Column::Computed(n) => space.cost_range(n),
            Column::Table(_) => None,
        }
    }

    fn semantics(&self) -> Vec<Semantics> {
        self.names
            .iter()
            .zip(&self.values)
            .map(|(n, v)| Semantics {
                name: n.clone(),
                maximize: v.maximize(),
                known: Some(*v),
            })
            .collect()
    }
}
