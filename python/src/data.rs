//! `wlgp.data`: the embedded benchmark tables as numpy arrays (no pandas needed).

use crate::errors::to_py;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use wlgp::bench_data::{self, Dataset};
use wlgp::error::Result;
use wlgp::search::TableObjective;
use wlgp::space::{Sampler, TableKey};

/// Every embedded dataset: a list of dicts (`name`, `space`, `proteins`, `metrics`,
/// `default_metric`, `source`).
#[pyfunction]
pub(crate) fn datasets<'py>(py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
    bench_data::datasets()
        .iter()
        .map(|d| {
            let t = d.table().map_err(to_py)?;
            let o = PyDict::new(py);
            o.set_item("name", d.name)?;
            o.set_item("space", space_name(d))?;
            o.set_item("proteins", d.proteins)?;
            o.set_item("metrics", t.metrics.clone())?;
            o.set_item("default_metric", d.default_metric)?;
            o.set_item("source", d.source)?;
            Ok(o)
        })
        .collect()
}

fn space_name(d: &Dataset) -> &'static str {
    d.space.name()
}

/// Every architecture of a table (in the space's string form, enumeration order) and
/// each metric's values in the same order.
/// A table's architectures and its named columns.
type Columns = (Vec<String>, Vec<(String, Vec<f64>)>);

fn columns<S: Sampler + TableKey>(space: &S, d: &'static Dataset) -> Result<Columns> {
    let t = d.table()?;
    let mut archs = Vec::new();
    let mut cols = Vec::new();
    for m in &t.metrics {
        let mut obj = TableObjective::new(d, m)?;
        let (cells, values) = obj
            .every_cell(space)
            .ok_or_else(|| wlgp::error::Error::Config("tables cover finite spaces".into()))??;
        if archs.is_empty() {
            archs = cells.iter().map(|c| space.format(c)).collect();
        }
        cols.push((m.clone(), values));
    }
    Ok((archs, cols))
}

/// One embedded table: `(archs, {metric: float64 array})`, rows in the same order.
#[pyfunction]
pub(crate) fn table<'py>(
    py: Python<'py>,
    name: &str,
) -> PyResult<(Vec<String>, Bound<'py, PyDict>)> {
    let d = bench_data::dataset(name).map_err(to_py)?;
    let (archs, cols) = py.detach(|| columns(&d.sampler(true)?, d)).map_err(to_py)?;
    let out = PyDict::new(py);
    for (m, v) in cols {
        out.set_item(m, v.into_pyarray(py))?;
    }
    Ok((archs, out))
}
