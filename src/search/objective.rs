//! What a search evaluates: the embedded benchmark tables, or the user's own command.

use super::tail::{parse_named_score, parse_score, Tail};
use crate::bench_data::{Dataset, MetricKind, Table};
use crate::error::{Error, Result};
use crate::space::{Space, TableKey};

/// Called as each evaluation of a batch finishes: `(index in the batch, result, seconds)`.
pub type OnDone<'a> = &'a mut dyn FnMut(usize, &Result<f64>, f64) -> Result<()>;

/// Something that measures an architecture.
pub trait Objective<S: Space> {
    /// The measured value of a cell.
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64>;
    /// Evaluates a batch of proposals, in parallel where the objective can: one result
    /// per cell, in order. `on_done(i, result, seconds)` is called as each finishes (in
    /// completion order), so that a journal can record it at once; an error from it, or
    /// any error other than [`Error::Evaluation`] from a cell, stops the batch.
    fn evaluate_batch(
        &mut self,
        space: &S,
        cells: &[S::Cell],
        on_done: OnDone,
    ) -> Result<Vec<Result<f64>>> {
        let mut out = Vec::with_capacity(cells.len());
        for (i, c) in cells.iter().enumerate() {
            let t = std::time::Instant::now();
            let r = self.evaluate(space, c);
            on_done(i, &r, t.elapsed().as_secs_f64())?;
            out.push(fatal(r)?);
        }
        Ok(out)
    }
    /// Whether larger is better, and whether it is an accuracy.
    fn kind(&self) -> MetricKind;
}

/// [`Objective::evaluate`] for an objective whose work is done in batches: one cell as a
/// batch of one.
pub fn evaluate_as_batch<S: Space, O: Objective<S> + ?Sized>(
    objective: &mut O,
    space: &S,
    cell: &S::Cell,
) -> Result<f64> {
    let mut r =
        objective.evaluate_batch(space, std::slice::from_ref(cell), &mut |_, _, _| Ok(()))?;
    r.pop().expect("one result per cell")
}

/// Passes a cell's result on, unless it is an error that must stop the search (anything
/// but a failed evaluation).
pub(crate) fn fatal(r: Result<f64>) -> Result<Result<f64>> {
    match r {
        Err(Error::Evaluation { .. }) | Ok(_) => Ok(r),
        Err(e) => Err(e),
    }
}

/// Every cell of a space and its value, in the same order.
pub type CellValues<C> = (Vec<C>, Vec<f64>);

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
        if self.kind.maximize() {
            col.fold(f64::NEG_INFINITY, f64::max)
        } else {
            col.fold(f64::INFINITY, f64::min)
        }
    }

    /// Every cell of a finite space with its value, or `None` for a space too large to
    /// enumerate.
    pub fn every_cell<S: crate::space::Sampler + TableKey>(
        &mut self,
        space: &S,
    ) -> Option<Result<CellValues<S::Cell>>> {
        let cells = space.enumerate()?;
        let values: Result<Vec<f64>> = cells.iter().map(|c| self.evaluate(space, c)).collect();
        Some(values.map(|v| (cells, v)))
    }

    /// All values of the metric, in key order.
    pub fn values(&self) -> Vec<f64> {
        self.table.column(self.metric).collect()
    }
}

impl<S: TableKey> Objective<S> for TableObjective {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        space
            .table_key(cell)
            .and_then(|key| self.table.get(key, self.metric))
            .ok_or_else(|| Error::Table {
                name: self.dataset.to_string(),
                reason: format!("no row for architecture `{}`", space.format(cell)),
            })
    }

    fn kind(&self) -> MetricKind {
        self.kind
    }
}

/// Runs the user's command once per architecture: the architecture arrives on stdin (one
/// line) and in `WLGP_ARCH` (with `WLGP_SPACE`, and its lowered graph as JSON in
/// `WLGP_GRAPH`: labels, edges and, for a declared space, every decision's choice), the
/// score is the last line of stdout.
/// A non-zero exit, a last line that is not a number, or the timeout is a failed
/// evaluation, which the search records and goes past.
pub struct CommandObjective {
    command: String,
    timeout: Option<std::time::Duration>,
    kind: MetricKind,
    workers: usize,
    /// The score's name, read from a last line that is a JSON object of metrics.
    metric: Option<String>,
}

impl CommandObjective {
    /// A command run with `sh -c`; `kind` says whether larger scores are better.
    pub fn new(
        command: &str,
        timeout: Option<std::time::Duration>,
        kind: MetricKind,
    ) -> Result<Self> {
        if command.trim().is_empty() {
            return Err(Error::Config("--objective-cmd is empty".into()));
        }
        Ok(CommandObjective {
            command: command.to_string(),
            timeout,
            kind,
            workers: 1,
            metric: None,
        })
    }

    /// Reads the score named `metric` when the last line is a JSON object of metrics
    /// (`{"val_acc": 0.93, "loss": 0.21}`); a plain number is read as ever.
    pub fn with_metric(mut self, metric: &str) -> Self {
        self.metric = Some(metric.to_string());
        self
    }

    /// Runs up to `n` commands at once when a batch is evaluated (`--workers`).
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    fn evaluate_one(&self, space: &str, arch: String, graph: &str) -> Result<f64> {
        self.evaluate_with(space, arch.clone(), &arch, graph)
    }

    /// Runs the command with `arch` in `WLGP_ARCH` and `input` on stdin (for objectives
    /// whose command reads more than the architecture's string, such as a generator's
    /// sampled network); a failure is [`Error::Evaluation`].
    pub fn evaluate_with_input(&self, space: &str, arch: String, input: &str) -> Result<f64> {
        self.evaluate_with(space, arch, input, "")
    }

    fn evaluate_with(&self, space: &str, arch: String, input: &str, graph: &str) -> Result<f64> {
        match self
            .last_line_with(space, &arch, input, graph)?
            .and_then(|l| match &self.metric {
                Some(name) => parse_named_score(&l, name),
                None => parse_score(&l),
            }) {
            Ok(v) => Ok(v),
            Err(status) => Err(Error::Evaluation { arch, status }),
        }
    }

    /// Runs the command on one architecture: its last line of output, or why there is
    /// none to read (a failure, a timeout, an absurdly long line).
    pub(crate) fn last_line(
        &self,
        space: &str,
        arch: &str,
        graph: &str,
    ) -> Result<std::result::Result<String, String>> {
        self.last_line_with(space, arch, arch, graph)
    }

    /// [`CommandObjective::last_line`] with `input` on stdin instead of the architecture
    /// (and `graph` in `WLGP_GRAPH` unless empty).
    fn last_line_with(
        &self,
        space: &str,
        arch: &str,
        input: &str,
        graph: &str,
    ) -> Result<std::result::Result<String, String>> {
        use std::io::{Read, Write};
        use std::process::{Command, Stdio};
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .env("WLGP_ARCH", arch)
            .env("WLGP_SPACE", space)
            .env("WLGP_GRAPH", graph)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("starting `{}`", self.command), e))?;
        let _live = super::children::register(child.id());
        // The command may exit without reading its input: that is not an error.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(format!("{input}\n").as_bytes());
        }
        let mut stdout = child.stdout.take().expect("piped");
        let tail = std::sync::Arc::new(std::sync::Mutex::new(Tail::default()));
        let sink = tail.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 << 10];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(&buf[..n]);
            }
        });
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(st) = child
                .try_wait()
                .map_err(|e| Error::io("waiting for the objective", e))?
            {
                break Some(st);
            }
            if self.timeout.is_some_and(|t| start.elapsed() >= t) {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        // Killed by the signal handler: the process is ending, and this is no result.
        while super::children::interrupted() {
            std::thread::park();
        }
        // Whatever the command left running in its group (a background job holding
        // stdout open) is ended; a process that escaped the group is not waited for.
        kill_group(&mut child);
        let waited = std::time::Instant::now();
        while !reader.is_finished() && waited.elapsed() < std::time::Duration::from_secs(2) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let last = tail.lock().unwrap_or_else(|p| p.into_inner()).last_line();
        let Some(status) = status else {
            return Ok(Err(format!(
                "timeout after {:.1} s",
                self.timeout.unwrap_or_default().as_secs_f64()
            )));
        };
        if !status.success() {
            return Ok(Err(format!("failed: {status}")));
        }
        Ok(last)
    }
}

/// Kills the command and everything it started (it runs in its own process group).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    // SAFETY: killpg only sends a signal; the group id is the child's own pid.
    unsafe {
        libc::killpg(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.kill();
}

impl<S: Space> Objective<S> for CommandObjective {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        self.evaluate_one(space.name(), space.format(cell), &space.describe(cell))
    }

    /// Up to `workers` commands at once, each taking the next proposal when it finishes.
    fn evaluate_batch(
        &mut self,
        space: &S,
        cells: &[S::Cell],
        on_done: OnDone,
    ) -> Result<Vec<Result<f64>>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let archs: Vec<String> = cells.iter().map(|c| space.format(c)).collect();
        let graphs: Vec<String> = cells.iter().map(|c| space.describe(c)).collect();
        let next = AtomicUsize::new(0);
        let (tx, rx) = std::sync::mpsc::channel();
        let this = &*self;
        let mut out: Vec<Option<Result<f64>>> = (0..cells.len()).map(|_| None).collect();
        let mut first_err = None;
        std::thread::scope(|scope| {
            for _ in 0..this.workers.min(cells.len()) {
                let (tx, next, archs, graphs) = (tx.clone(), &next, &archs, &graphs);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(arch) = archs.get(i) else { break };
                    let t = std::time::Instant::now();
                    let r = this.evaluate_one(space.name(), arch.clone(), &graphs[i]);
                    if tx.send((i, r, t.elapsed().as_secs_f64())).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            for (i, r, secs) in rx {
                if first_err.is_none() {
                    if let Err(e) = on_done(i, &r, secs) {
                        first_err = Some(e);
                        // Workers finish their running command; no new one starts.
                        next.store(usize::MAX / 2, Ordering::SeqCst);
                    }
                }
                out[i] = Some(r);
            }
        });
        if let Some(e) = first_err {
            return Err(e);
        }
        out.into_iter()
            .map(|r| fatal(r.expect("every cell evaluated")))
            .collect()
    }

    fn kind(&self) -> MetricKind {
        self.kind
    }
}
