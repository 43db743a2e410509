//! The native core of the `wlgp` Python package: thin bindings over the wlgp engine.
//! Every heavy call releases the GIL; every error is a Python exception with the CLI's
//! one-line message; the Python layer (`python/wlgp/`) adds the familiar names.

mod ask_tell;
mod data;
mod errors;
mod journal;
mod model;
mod score;
mod space;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<space::PySpace>()?;
    m.add_class::<model::PyModel>()?;
    m.add_class::<ask_tell::PyAskTell>()?;
    m.add_function(wrap_pyfunction!(score::score_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(score::shard_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(score::resolve_values, m)?)?;
    m.add_function(wrap_pyfunction!(data::datasets, m)?)?;
    m.add_function(wrap_pyfunction!(data::table, m)?)?;
    m.add_function(wrap_pyfunction!(journal::read_journal, m)?)?;
    Ok(())
}
