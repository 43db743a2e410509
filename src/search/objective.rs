//! What a search evaluates: for now the embedded benchmark tables.

use crate::bench_data::{Dataset, MetricKind, Table};
use crate::error::{Error, Result};
use crate::space::{Space, TableKey};

/// Something that measures an architecture.
pub trait Objective<S: Space> {
    /// The measured value of a cell.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64>;
    /// Whether larger is better, and whether it is an accuracy.
    fn kind(&self) -> MetricKind;
}

/// Looks architectures up in an embedded benchmark table.
pub struct TableObjective {
    table: &'static Table,
    metric: usize,
    kind: MetricKind,
    dataset: &'static str,
}

impl TableObjective {
    /// The objective for one metric of one dataset.
    pub fn new(dataset: &'static Dataset, metric: &str) -> Result<Self> {
        Ok(TableObjective {
            table: dataset.table()?,
            metric: dataset.metric(metric)?,
            kind: crate::bench_data::metric_kind(metric),
            dataset: dataset.name,
        })
    }

    /// The best value in the whole table (the optimum a search is measured against).
    pub fn optimum(&self) -> f64 {
        let col = self.table.column(self.metric);
        if self.kind.maximize {
            col.fold(f64::NEG_INFINITY, f64::max)
        } else {
            col.fold(f64::INFINITY, f64::min)
        }
    }

    /// All values of the metric, in key order.
    pub fn values(&self) -> Vec<f64> {
        self.table.column(self.metric).collect()
    }
}

impl<S: TableKey> Objective<S> for TableObjective {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        self.table
            .get(space.table_key(cell), self.metric)
            .ok_or_else(|| Error::Table {
                name: self.dataset.to_string(),
                reason: format!("no row for architecture `{}`", space.format(cell)),
            })
    }

    fn kind(&self) -> MetricKind {
        self.kind
    }
}
