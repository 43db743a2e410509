//! `wlgp.Optimizer`'s engine: ask/tell over the CLI's own search loop.
//!
//! The search (`wlgp::search::run`, as `wlgp search` runs it) runs on a thread of its own;
//! its objective hands each batch of proposals to Python and waits for the values. So the
//! proposals are those of `wlgp search` with the same flags and seed, and the journal is
//! the CLI's: a Python study and `wlgp search --resume` continue each other.

use crate::errors::{check_finite, to_py};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wlgp::error::{Error, Result};
use wlgp::search::{
    self, Entry, Evaluation, Journal, Journaled, Objective, OnDone, Plan, SearchOptions,
};
use wlgp::space::{AnySampler, Sampler, Space};
use wlgp::values::Values;

/// The objective name a Python study writes in its journal header.
const OBJECTIVE: &str = "python";

/// What the search thread says.
enum Said {
    /// Proposals to evaluate, as canonical strings.
    Batch(Vec<String>),
    /// The search ended: the budget or the space is spent, or an error stopped it.
    Done(std::result::Result<(), String>),
}

/// One proposal's outcome: a value, or why there is none; and its seconds.
type Told = (std::result::Result<f64, String>, f64);

/// The objective on the search thread: sends each batch, waits for the outcomes.
struct Channel {
    say: Sender<Said>,
    hear: Receiver<Vec<Told>>,
    kind: Values,
}

impl<S: Sampler> Objective<S> for Channel {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        search::evaluate_as_batch(self, space, cell)
    }

    fn evaluate_batch(
        &mut self,
        space: &S,
        cells: &[S::Cell],
        on_done: OnDone,
    ) -> Result<Vec<Result<f64>>> {
        let archs: Vec<String> = cells.iter().map(|c| space.format(c)).collect();
        let closed = || Error::Config("the optimizer was closed".into());
        self.say
            .send(Said::Batch(archs.clone()))
            .map_err(|_| closed())?;
        let told = self.hear.recv().map_err(|_| closed())?;
        let mut out = Vec::with_capacity(told.len());
        for (i, (r, secs)) in told.into_iter().enumerate() {
            let r = r.map_err(|status| Error::Evaluation {
                arch: archs[i].clone(),
                status,
            });
            on_done(i, &r, secs)?;
            out.push(r);
        }
        Ok(out)
    }

    fn kind(&self) -> Values {
        self.kind
    }
}

/// The search loop on its thread, journaled when a journal is given.
fn search_thread(
    plan: Plan,
    mut objective: Channel,
    journal: Option<(Journal, Vec<Entry>)>,
    history: Arc<Mutex<Vec<Evaluation>>>,
) {
    let say = objective.say.clone();
    let space = &plan.space;
    let mut on_eval = |e: &Evaluation| {
        history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e.clone())
    };
    let r = match journal {
        None => search::run(space, &mut objective, plan.method, &plan.cfg, &mut on_eval),
        Some((j, done)) => search::run(
            space,
            &mut Journaled::new(&mut objective, j, done),
            plan.method,
            &plan.cfg,
            &mut on_eval,
        ),
    };
    let _ = say.send(Said::Done(r.map(|_| ()).map_err(|e| e.to_string())));
}

/// The state of the batch being evaluated.
struct Batch {
    archs: Vec<String>,
    /// How many of `archs` were handed out by `ask`.
    handed: usize,
    told: HashMap<usize, Told>,
    started: Instant,
    /// Whether every outcome was sent to the search thread.
    sent: bool,
    /// Evaluations the search had recorded when it proposed this batch.
    recorded_before: usize,
}

impl Batch {
    fn new(archs: Vec<String>, recorded_before: usize) -> Batch {
        Batch {
            archs,
            handed: 0,
            told: HashMap::new(),
            started: Instant::now(),
            sent: false,
            recorded_before,
        }
    }
}

/// Ask/tell over `wlgp search`'s loop.
#[pyclass(module = "wlgp._native", name = "AskTell")]
pub struct PyAskTell {
    space: AnySampler,
    hear: Mutex<Receiver<Said>>,
    say: Sender<Vec<Told>>,
    batch: Batch,
    done: Option<std::result::Result<(), String>>,
    history: Arc<Mutex<Vec<Evaluation>>>,
    maximize: bool,
}

impl PyAskTell {
    /// Waits for the next batch (or the end) from the search thread.
    fn next_batch(&mut self, py: Python<'_>) {
        let hear = &self.hear;
        let said = py.detach(|| hear.lock().unwrap_or_else(|p| p.into_inner()).recv());
        match said {
            Ok(Said::Batch(archs)) => {
                // The search records a batch's evaluations before it proposes the next.
                let recorded = self.history.lock().unwrap_or_else(|p| p.into_inner()).len();
                self.batch = Batch::new(archs, recorded);
            }
            Ok(Said::Done(r)) => self.done = Some(r),
            Err(_) => self.done = Some(Err("the search thread ended unexpectedly".into())),
        }
    }

    /// The error a finished search ended with, as a Python exception.
    fn check_done(&self) -> PyResult<()> {
        match &self.done {
            Some(Err(e)) => Err(to_py(Error::Config(e.clone()))),
            _ => Ok(()),
        }
    }
}

/// Evaluations given from Python, canonical and finite (once: not with an `init` file).
fn given_rows(
    space: &AnySampler,
    rows: Vec<(String, f64)>,
    from_file: bool,
) -> Result<Vec<(String, f64)>> {
    if from_file {
        return Err(Error::Config(
            "init: give a file or evaluations, not both".into(),
        ));
    }
    let (archs, values): (Vec<String>, Vec<f64>) = rows.into_iter().unzip();
    check_finite(&values, "init: ")?;
    Ok(space.format_all(&archs)?.into_iter().zip(values).collect())
}

#[pymethods]
impl PyAskTell {
    /// Starts a search from its options (`(name, value)` pairs as `wlgp search` takes
    /// them: `("n_init", "5")`), journaled in `journal` when given (continued when it
    /// has evaluations); `given` are evaluations made before the search, as `init` reads
    /// them from a file.
    #[new]
    #[pyo3(signature = (options, journal = None, given = None))]
    fn new(
        options: Vec<(String, String)>,
        journal: Option<PathBuf>,
        given: Option<Vec<(String, f64)>>,
    ) -> PyResult<Self> {
        let mut opts = SearchOptions::default();
        for (k, v) in &options {
            opts.set(k, v).map_err(to_py)?;
        }
        let mut plan = opts.plan().map_err(to_py)?;
        if let Some(rows) = given {
            plan.cfg.init = given_rows(&plan.space, rows, opts.init.is_some()).map_err(to_py)?;
        }
        let header = plan.header(OBJECTIVE);
        let journal = match journal {
            None => None,
            Some(p) => Some(if std::fs::metadata(&p).is_ok_and(|m| m.len() > 0) {
                Journal::resume(&p, &header).map_err(to_py)?
            } else {
                (Journal::create(&p, &header).map_err(to_py)?, Vec::new())
            }),
        };
        let space = plan.space.clone();
        let (to_py_side, hear) = channel();
        let (say, from_py_side) = channel();
        let kind = plan.cfg.values.direction_values();
        let objective = Channel {
            say: to_py_side,
            hear: from_py_side,
            kind,
        };
        let history = Arc::new(Mutex::new(Vec::new()));
        let h = history.clone();
        std::thread::Builder::new()
            .name("wlgp-search".into())
            .spawn(move || {
                search_thread(plan, objective, journal, h);
            })
            .map_err(|e| to_py(Error::io("starting the search thread", e)))?;
        Ok(PyAskTell {
            space,
            hear: Mutex::new(hear),
            say,
            batch: Batch {
                sent: true,
                ..Batch::new(Vec::new(), 0)
            },
            done: None,
            history,
            maximize: kind.maximize(),
        })
    }

    /// Up to `n` proposals (all that are ready when `n` is None): the rest of the current
    /// batch, or the next batch once every proposal of this one is told. An empty list
    /// means every proposal is out and waiting for `tell`, or the search is finished.
    #[pyo3(signature = (n = None))]
    fn ask(&mut self, py: Python<'_>, n: Option<usize>) -> PyResult<Vec<String>> {
        self.check_done()?;
        if self.done.is_none() && self.batch.handed == self.batch.archs.len() {
            if !self.batch.sent {
                return Ok(Vec::new());
            }
            self.next_batch(py);
            self.check_done()?;
            if self.done.is_some() {
                return Ok(Vec::new());
            }
        }
        let b = &mut self.batch;
        let k = n.unwrap_or(usize::MAX).min(b.archs.len() - b.handed);
        let out = b.archs[b.handed..b.handed + k].to_vec();
        b.handed += k;
        Ok(out)
    }

    /// Records the outcome of a proposal: its value, or `status` (why there is none) for
    /// a failed evaluation. Once the whole batch is told, the next one is prepared.
    #[pyo3(signature = (arch, value, status = None))]
    fn tell(&mut self, arch: &str, value: Option<f64>, status: Option<String>) -> PyResult<()> {
        let canonical = self
            .space
            .format_all(&[arch.to_string()])
            .map_err(to_py)?
            .remove(0);
        let b = &mut self.batch;
        let Some(i) = (0..b.handed).find(|&i| b.archs[i] == canonical && !b.told.contains_key(&i))
        else {
            return Err(to_py(Error::Config(format!(
                "`{arch}` is not a proposal waiting for its value (ask for it first; each is told once)"
            ))));
        };
        let secs = b.started.elapsed().as_secs_f64();
        let outcome = match (value, status) {
            (Some(v), None) if v.is_finite() => Ok(v),
            (Some(v), None) => Err(format!("failed: the value {v} is not finite")),
            (None, s) => Err(s.unwrap_or_else(|| "failed".into())),
            (Some(_), Some(_)) => {
                return Err(to_py(Error::Config(
                    "give a value or a failure status, not both".into(),
                )))
            }
        };
        b.told.insert(i, (outcome, secs));
        if b.told.len() == b.archs.len() {
            let told = (0..b.archs.len())
                .map(|i| b.told.remove(&i).expect("all told"))
                .collect();
            // The search thread fits and proposes while the caller goes on.
            if self.say.send(told).is_err() {
                return Err(to_py(Error::Config("the search thread has ended".into())));
            }
            b.sent = true;
        }
        Ok(())
    }

    /// Proposals handed out by `ask` and not yet told.
    #[getter]
    fn pending(&self) -> Vec<String> {
        let b = &self.batch;
        (0..b.handed)
            .filter(|i| !b.sent && !b.told.contains_key(i))
            .map(|i| b.archs[i].clone())
            .collect()
    }

    /// Whether the search has ended (its budget or its space spent).
    #[getter]
    fn finished(&self) -> bool {
        self.done.is_some()
    }

    /// Whether larger values are better.
    #[getter]
    fn maximize(&self) -> bool {
        self.maximize
    }

    /// Every evaluation told so far, journal replays included, in the order the search
    /// records them: `(arch, value or None, status)`.
    #[getter]
    fn history(&self, py: Python<'_>) -> Vec<(String, Option<f64>, String)> {
        let b = &self.batch;
        let expected = b.recorded_before + if b.sent { b.archs.len() } else { 0 };
        let history = &self.history;
        let done = self.done.is_some();
        // The search thread records a told batch at once; wait for it (never long).
        py.detach(|| {
            while !done && history.lock().unwrap_or_else(|p| p.into_inner()).len() < expected {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        self.history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|e| {
                (
                    e.arch.clone(),
                    e.value.is_finite().then_some(e.value),
                    e.status.clone(),
                )
            })
            .collect()
    }
}
