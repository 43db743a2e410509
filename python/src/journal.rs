//! `Study.from_journal`'s reader: the engine's own journal reader, so Python reads a
//! journal exactly as `wlgp search --resume` and `--from` do, with the same errors.

use crate::errors::to_py;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;
use wlgp::search::Recorded;

/// A journal's header (as JSON text) and its entries as dicts (`arch`, `value`,
/// `values`, `status`, `seconds`), in order; an incomplete last line is skipped.
#[pyfunction]
pub(crate) fn read_journal<'py>(
    py: Python<'py>,
    path: &str,
) -> PyResult<(String, Vec<Bound<'py, PyDict>>)> {
    let r = py
        .detach(|| Recorded::read(Path::new(path)))
        .map_err(to_py)?;
    let header = serde_json::to_string(&r.header).expect("plain data");
    let entries = r
        .entries
        .into_iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("arch", e.arch)?;
            d.set_item("value", e.value)?;
            d.set_item("values", e.values)?;
            d.set_item("status", e.status)?;
            d.set_item("seconds", e.seconds)?;
            Ok(d)
        })
        .collect::<PyResult<_>>()?;
    Ok((header, entries))
}
