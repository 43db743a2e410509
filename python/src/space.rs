//! `wlgp.Space`: one class over every search space, architectures as the space's strings.

use crate::errors::{parse_named, to_py};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use wlgp::error::{Error, Result};
use wlgp::gpu::{DeviceChoice, Engine};
use wlgp::kernel::BaseKernel;
use wlgp::space::declared::SpaceSpec;
use wlgp::space::{AnySampler, AnySpace, DeclaredSpace, Sampler, Space, SpaceName};
use wlgp::wl::{Direction, Features, WlConfig};

/// The WL settings of keyword arguments, checked.
pub(crate) fn wl_config(h: usize, direction: &str) -> Result<WlConfig> {
    wlgp::wl::check_depth(h)?;
    Ok(WlConfig {
        h,
        direction: parse_named::<Direction>("direction", direction)?,
    })
}

/// The constructor arguments of a space: name, skip lowering, proteins op set, and a
/// declared space's spec as JSON.
type SpaceArgs = (String, String, bool, Option<String>);

/// A search space: NAS-Bench-201, NAS-Bench-Graph, NAS-Bench-101, DARTS, or labelled DAGs
/// in JSON. Architectures are strings in the space's own form.
#[pyclass(module = "wlgp._native", frozen, name = "Space")]
pub struct PySpace {
    pub(crate) space: AnySpace,
    skip: String,
    proteins: bool,
    /// A declared space's spec as JSON (`None` for a built-in space).
    spec: Option<String>,
}

/// A declared space's spec as JSON, and the space.
fn declared(d: DeclaredSpace) -> (Option<String>, AnySpace) {
    let json = serde_json::to_string(d.spec()).expect("plain data");
    (
        Some(json),
        AnySpace::Sampler(AnySampler::Declared(Arc::new(d))),
    )
}

#[pymethods]
impl PySpace {
    /// A built-in space by name, or a declared space's file (`.toml`); `spec` (JSON text)
    /// is how a declared space pickles.
    #[new]
    #[pyo3(signature = (name, skip = "wire", proteins = false, spec = None))]
    fn new(name: &str, skip: &str, proteins: bool, spec: Option<String>) -> PyResult<Self> {
        if let Some(json) = spec {
            let d = SpaceSpec::from_json(&json).and_then(DeclaredSpace::new);
            let (spec, space) = declared(d.map_err(to_py)?);
            return Ok(PySpace {
                space,
                skip: skip.to_string(),
                proteins,
                spec,
            });
        }
        let named = name.parse::<SpaceName>().map_err(to_py)?;
        let wire = match skip {
            "wire" => true,
            "node" => false,
            other => {
                return Err(to_py(Error::Config(format!(
                    "skip `{other}`: expected wire or node"
                ))))
            }
        };
        let (spec, space) = match named {
            SpaceName::Declared(d) => declared((*d).clone()),
            SpaceName::Builtin(kind) => (None, AnySpace::new(kind, wire, proteins).map_err(to_py)?),
        };
        Ok(PySpace {
            space,
            skip: skip.to_string(),
            proteins,
            spec,
        })
    }

    /// A declared space from a dict (the structure of docs/spaces.md) or a space file's
    /// path.
    #[staticmethod]
    fn from_spec(py: Python<'_>, spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(path) = spec.extract::<std::path::PathBuf>() {
            let (spec, space) = declared(DeclaredSpace::from_file(&path).map_err(to_py)?);
            return Ok(PySpace {
                space,
                skip: "wire".into(),
                proteins: false,
                spec,
            });
        }
        let json: String = py
            .import("json")?
            .call_method1("dumps", (spec,))?
            .extract()?;
        PySpace::new("", "wire", false, Some(json))
    }

    /// A declared space's spec as JSON text (None for a built-in space).
    #[getter]
    fn spec(&self) -> Option<String> {
        self.spec.clone()
    }

    /// The space's name (`nb201`, `nbgraph`, `nb101`, `darts`, `json`).
    #[getter]
    fn name(&self) -> &str {
        self.space.name()
    }

    /// The number of architectures (None for the json space, which has no fixed set).
    #[getter]
    fn size(&self) -> Option<u128> {
        self.space.sampler().ok().and_then(Sampler::size)
    }

    /// `n` uniform random architectures (with repeats), reproducible from `seed`.
    #[pyo3(signature = (n = 1, seed = 0))]
    fn sample(&self, n: usize, seed: u64) -> PyResult<Vec<String>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let s = self.space.sampler().map_err(to_py)?;
        Ok((0..n).map(|_| s.format(&s.sample(&mut rng))).collect())
    }

    /// Every architecture of a finite space, in the space's enumeration order.
    fn enumerate(&self) -> PyResult<Vec<String>> {
        let s = self.space.sampler().map_err(to_py)?;
        s.enumerate()
            .map(|cells| cells.iter().map(|c| s.format(c)).collect())
            .ok_or_else(|| {
                to_py(Error::Config(format!(
                    "the {} space is too large to enumerate",
                    s.name()
                )))
            })
    }

    /// All architectures one edit away from `arch`.
    fn neighbours(&self, arch: &str) -> PyResult<Vec<String>> {
        let s = self.space.sampler().map_err(to_py)?;
        s.parse(arch)
            .map(|c| s.neighbours(&c).iter().map(|n| s.format(n)).collect())
            .map_err(to_py)
    }

    /// The labelled DAG an architecture lowers to: `{"labels": [...], "edges": [[from, to], ...]}`.
    fn parse<'py>(&self, py: Python<'py>, arch: &str) -> PyResult<Bound<'py, PyDict>> {
        let g = self
            .space
            .lower_all(std::slice::from_ref(&arch.to_string()))
            .map_err(to_py)?
            .pop()
            .expect("one graph");
        let d = PyDict::new(py);
        d.set_item(
            "labels",
            (0..g.node_count())
                .map(|i| g.label(i).to_string())
                .collect::<Vec<_>>(),
        )?;
        d.set_item("edges", g.edges())?;
        Ok(d)
    }

    /// The canonical string of an architecture (as `wlgp` writes it).
    fn format(&self, arch: &str) -> PyResult<String> {
        Ok(self
            .space
            .format_all(&[arch.to_string()])
            .map_err(to_py)?
            .remove(0))
    }

    /// WL subtree features of architectures as a CSR matrix: `(data, indices, indptr,
    /// labels)`, where column j counts the motif with 64-bit hash `labels[j]`.
    #[pyo3(signature = (archs, h = 2, direction = "both"))]
    #[allow(clippy::type_complexity)]
    fn features<'py>(
        &self,
        py: Python<'py>,
        archs: Vec<String>,
        h: usize,
        direction: &str,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<u64>>,
    )> {
        let cfg = wl_config(h, direction).map_err(to_py)?;
        let space = &self.space;
        let feats = py
            .detach(|| -> Result<Vec<Features>> {
                let graphs = space.lower_all(&archs)?;
                Ok(wlgp::wl::features_batch(&graphs, &cfg))
            })
            .map_err(to_py)?;
        let (data, indices, indptr, labels) = csr(&feats);
        Ok((
            data.into_pyarray(py),
            indices.into_pyarray(py),
            indptr.into_pyarray(py),
            labels.into_pyarray(py),
        ))
    }

    /// The WL kernel matrix between `archs` and `other` (default: `archs`), normalised to
    /// unit self-similarity unless `normalize=False` (then exact integer counts as float64).
    #[pyo3(signature = (archs, other = None, h = 2, direction = "both", normalize = true, base_kernel = "dot", device = "cpu"))]
    #[allow(clippy::too_many_arguments)]
    fn kernel<'py>(
        &self,
        py: Python<'py>,
        archs: Vec<String>,
        other: Option<Vec<String>>,
        h: usize,
        direction: &str,
        normalize: bool,
        base_kernel: &str,
        device: &str,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let cfg = wl_config(h, direction).map_err(to_py)?;
        let base = parse_named::<BaseKernel>("base_kernel", base_kernel).map_err(to_py)?;
        let device = parse_named::<DeviceChoice>("device", device).map_err(to_py)?;
        let space = &self.space;
        let (rows, cols, k) = py
            .detach(|| -> Result<(usize, usize, Vec<f64>)> {
                let a = space.lower_all(&archs)?;
                let b = match &other {
                    Some(o) => space.lower_all(o)?,
                    None => Vec::new(),
                };
                if a.is_empty() {
                    return Err(Error::Empty("no architectures".into()));
                }
                if base == BaseKernel::Dot && device == DeviceChoice::Cpu {
                    // The CPU's dot kernel straight into the floats numpy gets.
                    let fa = wlgp::wl::features_batch(&a, &cfg);
                    let own;
                    // One slice for both sides of a Gram matrix: the kernel sees it is one.
                    let fb = match other {
                        Some(_) => {
                            own = wlgp::wl::features_batch(&b, &cfg);
                            &own
                        }
                        None => &fa,
                    };
                    let k = if normalize {
                        wlgp::kernel::dot_matrix_normalized(&fa, fb)
                    } else {
                        wlgp::kernel::dot_matrix_f64(&fa, fb)
                    };
                    return Ok((fa.len(), fb.len(), k));
                }
                let engine = Engine::new(device)?;
                let bs = other.as_ref().map(|_| b.as_slice());
                let (raw, norm) = engine.graph_kernel(&a, bs, &cfg, base)?;
                let k = if normalize {
                    norm
                } else {
                    raw.into_iter().map(|v| v as f64).collect()
                };
                let cols = if other.is_some() { b.len() } else { a.len() };
                Ok((a.len(), cols, k))
            })
            .map_err(to_py)?;
        let m = numpy::ndarray::Array2::from_shape_vec((rows, cols), k)
            .map_err(|e| to_py(Error::Config(e.to_string())))?;
        Ok(m.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        format!(
            "Space({:?}, skip={:?}, proteins={})",
            self.space.name(),
            self.skip,
            if self.proteins { "True" } else { "False" }
        )
    }

    /// Pickles as the constructor call.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyType>, SpaceArgs)> {
        let me = slf.get();
        Ok((
            slf.get_type(),
            (
                me.space.name().to_string(),
                me.skip.clone(),
                me.proteins,
                me.spec.clone(),
            ),
        ))
    }
}

/// CSR arrays of feature vectors over the union of their labels (columns in order of
/// first appearance).
#[allow(clippy::type_complexity)]
fn csr(feats: &[Features]) -> (Vec<u32>, Vec<i64>, Vec<i64>, Vec<u64>) {
    let mut column = std::collections::HashMap::new();
    let mut labels = Vec::new();
    let (mut data, mut indices, mut indptr) = (Vec::new(), Vec::new(), vec![0i64]);
    for f in feats {
        for (label, count) in f.iter() {
            let j = *column.entry(label).or_insert_with(|| {
                labels.push(label);
                labels.len() - 1
            });
            indices.push(j as i64);
            data.push(count);
        }
        indptr.push(indices.len() as i64);
    }
    (data, indices, indptr, labels)
}
