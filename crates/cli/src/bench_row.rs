//! One row of `wlgp bench` (a measured throughput, said on stderr as it is measured) and
//! the timing rule every row follows (best of N after a warm-up), shared by the bench's
//! parts so that none imports another.

use serde::Serialize;
use std::time::Instant;
use wlgp::error::Result;

/// One measured throughput.
#[derive(Serialize)]
pub(crate) struct Row {
    pub(crate) task: String,
    pub(crate) space: &'static str,
    pub(crate) engine: String,
    pub(crate) items: u64,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    pub(crate) unit: &'static str,
}

impl Row {
    /// A measured throughput, said at once on stderr: a bench cut short (a device
    /// machine's time limit) still reports every row it measured.
    pub(crate) fn new(
        task: String,
        space: &'static str,
        engine: String,
        items: u64,
        seconds: f64,
        unit: &'static str,
    ) -> Row {
        let per_second = items as f64 / seconds;
        eprintln!("bench: {task} | {space} | {engine} | {seconds:.4} s | {per_second:.3e} {unit}");
        Row {
            task,
            space,
            engine,
            items,
            seconds,
            per_second,
            unit,
        }
    }
}

/// The best time of `repeats` runs after one warm-up run.
pub(crate) fn best_of<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
    f()?; // warm-up: pipelines, buffers, caches
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}
