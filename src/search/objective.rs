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

/// Runs the user's command once per architecture: the architecture arrives on stdin (one
/// line) and in `WLGP_ARCH` (with `WLGP_SPACE`), the score is the last line of stdout.
/// A non-zero exit, a last line that is not a number, or the timeout is a failed
/// evaluation, which the search records and goes past.
pub struct CommandObjective {
    command: String,
    timeout: Option<std::time::Duration>,
    kind: MetricKind,
}

impl CommandObjective {
    /// A command run with `sh -c`; `maximize` says whether larger scores are better.
    pub fn new(
        command: &str,
        timeout: Option<std::time::Duration>,
        maximize: bool,
    ) -> Result<Self> {
        if command.trim().is_empty() {
            return Err(Error::Config("--objective-cmd is empty".into()));
        }
        Ok(CommandObjective {
            command: command.to_string(),
            timeout,
            kind: MetricKind {
                maximize,
                accuracy_scale: None,
            },
        })
    }

    fn run(&self, space: &str, arch: &str) -> Result<std::result::Result<f64, String>> {
        use std::io::{Read, Write};
        use std::process::{Command, Stdio};
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .env("WLGP_ARCH", arch)
            .env("WLGP_SPACE", space)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("starting `{}`", self.command), e))?;
        // The command may exit without reading its input: that is not an error.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(format!("{arch}\n").as_bytes());
        }
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
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
        let out = reader.join().unwrap_or_default();
        let Some(status) = status else {
            return Ok(Err(format!(
                "timeout after {:.1} s",
                self.timeout.unwrap_or_default().as_secs_f64()
            )));
        };
        if !status.success() {
            return Ok(Err(format!("failed: {status}")));
        }
        let last = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        Ok(match last.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!(
                "failed: the last line of output, `{last}`, is not a finite number"
            )),
        })
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
        let arch = space.format(cell);
        match self.run(space.name(), &arch)? {
            Ok(v) => Ok(v),
            Err(status) => Err(Error::Evaluation { arch, status }),
        }
    }

    fn kind(&self) -> MetricKind {
        self.kind
    }
}
