//! `wlgp.WLGP`'s engine: the WL-kernel GP fitted on architectures and their values, with
//! the CLI's value semantics, hyperparameter selection and predictions in the user's units.

use crate::errors::{check_finite, parse_named, to_py};
use crate::space::PySpace;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use wlgp::error::{Error, Result};
use wlgp::explain::{motif_effects, Provenance};
use wlgp::gp::{Gp, GpConfig, Selection, SolverChoice, WeightSpace};
use wlgp::kernel::{BaseKernel, KernelConfig};
use wlgp::space::{AnySpace, Space};
use wlgp::values::{Resolved, TransformChoice, Values, ValuesSpec};
use wlgp::wl::Direction;

/// A fitted GP and what it was fitted on.
pub(crate) struct Fitted {
    pub(crate) gp: Gp,
    pub(crate) resolved: Resolved,
    /// The training architectures, canonical.
    pub(crate) archs: Vec<String>,
}

/// The GP surrogate. Fit it on evaluated architectures, then predict or score.
#[pyclass(module = "wlgp._native", name = "Model")]
pub struct PyModel {
    pub(crate) space: AnySpace,
    spec: ValuesSpec,
    hs: Vec<usize>,
    direction: Direction,
    kernel: KernelConfig,
    selection: Selection,
    solver: SolverChoice,
    pub(crate) fitted: Option<Fitted>,
}

impl PyModel {
    /// The fitted state, or an error saying to fit first.
    pub(crate) fn fitted(&self) -> Result<&Fitted> {
        self.fitted.as_ref().ok_or_else(|| {
            Error::Config("the model is not fitted: call fit(archs, y) first".into())
        })
    }

    fn gp_config(&self, resolved: &Resolved) -> GpConfig {
        GpConfig {
            hs: self.hs.clone(),
            direction: self.direction,
            kernel: self.kernel,
            transform: resolved.transform,
            selection: self.selection,
            solver: self.solver,
        }
    }
}

#[pymethods]
impl PyModel {
    #[new]
    #[pyo3(signature = (space, values = None, metric = "value", transform = "auto", hs = vec![2], direction = "both", select = "loo", normalize = true, base_kernel = "dot", solver = "auto"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        space: &PySpace,
        values: Option<&str>,
        metric: &str,
        transform: &str,
        hs: Vec<usize>,
        direction: &str,
        select: &str,
        normalize: bool,
        base_kernel: &str,
        solver: &str,
    ) -> PyResult<Self> {
        let declared = values
            .map(|v| parse_named::<Values>("values", v))
            .transpose()
            .map_err(to_py)?;
        if hs.is_empty() {
            return Err(to_py(Error::Config("hs needs at least one depth".into())));
        }
        for &h in &hs {
            wlgp::wl::check_depth(h).map_err(to_py)?;
        }
        Ok(PyModel {
            space: space.space.clone(),
            spec: ValuesSpec {
                declared,
                name: metric.to_string(),
                transform: parse_named::<TransformChoice>("transform", transform).map_err(to_py)?,
            },
            hs,
            direction: parse_named("direction", direction).map_err(to_py)?,
            kernel: KernelConfig {
                base: parse_named::<BaseKernel>("base_kernel", base_kernel).map_err(to_py)?,
                normalize,
            },
            selection: parse_named("select", select).map_err(to_py)?,
            solver: parse_named("solver", solver).map_err(to_py)?,
            fitted: None,
        })
    }

    /// Fits on architectures and their measured values (failed ones left out); `metric`,
    /// when given, is the values' name for this fit (a pandas column's, say), which the
    /// inference of what they are reads when `values` was not declared.
    #[pyo3(signature = (archs, y, metric = None))]
    fn fit(
        &mut self,
        py: Python<'_>,
        archs: Vec<String>,
        y: Vec<f64>,
        metric: Option<String>,
    ) -> PyResult<()> {
        if archs.len() != y.len() {
            return Err(to_py(Error::Config(format!(
                "{} architectures but {} values",
                archs.len(),
                y.len()
            ))));
        }
        check_finite(&y, "").map_err(to_py)?;
        let fitted = py
            .detach(|| -> Result<Fitted> {
                let graphs = self.space.lower_all(&archs)?;
                let canonical = self.space.format_all(&archs)?;
                let resolved = match &metric {
                    Some(name) => ValuesSpec {
                        name: name.clone(),
                        ..self.spec.clone()
                    }
                    .resolve(&y)?,
                    None => self.spec.resolve(&y)?,
                };
                let gp = Gp::fit(&graphs, &y, &self.gp_config(&resolved))?;
                Ok(Fitted {
                    gp,
                    resolved,
                    archs: canonical,
                })
            })
            .map_err(to_py)?;
        if self.spec.declared.is_none() {
            eprintln!("{}", fitted.resolved.announce());
        }
        self.fitted = Some(fitted);
        Ok(())
    }

    /// Posterior mean and standard deviation of each architecture, in the values' units.
    #[allow(clippy::type_complexity)]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        archs: Vec<String>,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
        let f = self.fitted().map_err(to_py)?;
        let space = &self.space;
        let (mean, std) = py
            .detach(|| -> Result<(Vec<f64>, Vec<f64>)> {
                let graphs = space.lower_all(&archs)?;
                let preds = f.gp.predict(&graphs);
                let mut mean = Vec::with_capacity(preds.len());
                let mut std = Vec::with_capacity(preds.len());
                for (i, &p) in preds.iter().enumerate() {
                    let (m, s) = f.gp.in_units(p).ok_or_else(|| {
                        Error::Value(format!(
                            "the prediction for architecture {i} is not finite (mean {}, std {})",
                            f.gp.to_original(p.mean),
                            f.gp.std_to_original(p.mean, p.std)
                        ))
                    })?;
                    mean.push(m);
                    std.push(s);
                }
                Ok((mean, std))
            })
            .map_err(to_py)?;
        Ok((mean.into_pyarray(py), std.into_pyarray(py)))
    }

    /// The log marginal likelihood of the training values at the chosen hyperparameters
    /// (on the GP's transformed, standardised scale).
    fn log_marginal_likelihood(&self) -> PyResult<f64> {
        Ok(self.fitted().map_err(to_py)?.gp.report().lml)
    }

    /// What the fit chose and why: `h`, `noise_ratio`, `signal`, `lml`, `score`, `values`,
    /// `transform`, `source`, `training`.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let f = self.fitted().map_err(to_py)?;
        let r = f.gp.report();
        let d = PyDict::new(py);
        d.set_item("h", r.h)?;
        d.set_item("noise_ratio", r.noise_ratio)?;
        d.set_item("signal", r.signal)?;
        d.set_item("lml", r.lml)?;
        d.set_item("score", r.score)?;
        d.set_item("values", f.resolved.values.to_string())?;
        d.set_item("transform", f.resolved.transform.formula())?;
        d.set_item("source", f.resolved.source.clone())?;
        d.set_item("training", f.archs.len())?;
        Ok(d)
    }

    /// Every motif of the training set with its effect on the prediction, best first: a
    /// list of dicts (`motif`, `depth`, `effect`, `std`, `effect_units`, `std_units`,
    /// `archs`, `label`).
    #[pyo3(signature = (top = None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        top: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let f = self.fitted().map_err(to_py)?;
        let space = &self.space;
        let effects = py
            .detach(|| -> Result<_> {
                let ws = WeightSpace::new(&f.gp).ok_or_else(|| {
                    Error::Config("explain needs the dot base kernel (weight space)".into())
                })?;
                let graphs = space.lower_all(&f.archs)?;
                let prov = Provenance::record(&graphs, &f.gp.wl_config());
                Ok(motif_effects(&f.gp, &ws, &prov))
            })
            .map_err(to_py)?;
        effects
            .into_iter()
            .take(top.unwrap_or(usize::MAX))
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("motif", e.motif)?;
                d.set_item("depth", e.depth)?;
                d.set_item("effect", e.effect)?;
                d.set_item("std", e.std)?;
                d.set_item("effect_units", e.effect_units)?;
                d.set_item("std_units", e.std_units)?;
                d.set_item("archs", e.archs)?;
                d.set_item("label", e.label)?;
                Ok(d)
            })
            .collect()
    }

    /// The canonical training architectures.
    #[getter]
    fn training_archs(&self) -> PyResult<Vec<String>> {
        Ok(self.fitted().map_err(to_py)?.archs.clone())
    }
}
