//! wlgp's errors as Python exceptions: the CLI's one-line message, as a `ValueError` for
//! anything the caller passed (bad strings, values, settings) and an `OSError` when a file
//! cannot be read or written.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;
use wlgp::error::{Error, Result};

/// The Python exception of a wlgp error, with its one-line message.
pub(crate) fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Io { .. } => PyOSError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

/// Parses a keyword's value as one of the engine's names, listing them on error.
pub(crate) fn parse_named<T: wlgp::names::Named>(what: &str, s: &str) -> Result<T> {
    wlgp::names::parse(s).map_err(|_| {
        Error::Config(format!(
            "{what} `{s}`: expected one of {}",
            wlgp::names::names::<T>().join(", ")
        ))
    })
}

/// Measured values must be finite: a failed evaluation (NaN) is left out, not modelled.
/// `what` prefixes the message (`""`, `"init: "`).
pub(crate) fn check_finite(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::Value(format!(
            "{what}value {i} ({}) is not finite: leave failed evaluations out",
            values[i]
        ))),
        None => Ok(()),
    }
}
