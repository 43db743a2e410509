//! The GPU engine: WL hashing and kernel matrices in WGSL compute shaders (wgpu), bit for
//! bit equal to the CPU reference, with the CPU path as the fallback when no adapter exists.

mod context;
mod features;
mod indexed;
mod kernel;
mod pipeline;
mod score;
mod wl;

pub use context::{adapter_report, GpuContext};
pub use features::DeviceFeatures;
pub use indexed::Indexed;
pub use kernel::GpuKernel;
pub use pipeline::{
    device_threshold, DeviceHit, DevicePipeline, DeviceQuery, DeviceStream, EmittedCell,
    DEVICE_MAX_H,
};
pub use score::{Batch, GpuScore, Pending};
pub use wl::GpuWl;

use crate::error::{Error, Result};
use crate::graph::Arch;
use crate::kernel::{self as cpu_kernel, BaseKernel};
use crate::wl::{self as cpu_wl, Features, WlConfig};
use std::sync::{Arc, Mutex, Once, OnceLock};

/// Workgroup counts `(x, y)` for `groups` workgroups when one dimension holds at most
/// `max`: 2-D once `groups` exceeds it (shaders fold `y` back into one index).
pub(crate) fn grid(groups: u32, max: u32) -> (u32, u32) {
    let groups = groups.max(1);
    (groups.min(max), groups.div_ceil(max))
}

/// Where the heavy work runs, as chosen by `--device` or `WLGP_DEVICE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The GPU when an adapter exists, else the CPU after one notice on stderr.
    Auto,
    /// The GPU; an error when no adapter exists.
    Gpu,
    /// The CPU reference.
    Cpu,
}

crate::named!(DeviceChoice, "device", {
    Auto => "auto",
    Gpu => "gpu",
    Cpu => "cpu",
});

impl DeviceChoice {
    /// The choice named by `WLGP_DEVICE`, or `Auto`.
    pub fn from_env() -> Result<DeviceChoice> {
        match std::env::var("WLGP_DEVICE") {
            Err(_) => Ok(DeviceChoice::Auto),
            Ok(v) => v.parse::<DeviceChoice>().map_err(|_| {
                Error::Config(format!("WLGP_DEVICE=`{v}`: expected auto, gpu or cpu"))
            }),
        }
    }
}

/// The lazily created, process-wide GPU context (created once, reused by every call);
/// the error says why no adapter could be used.
pub fn shared_context() -> std::result::Result<Arc<GpuContext>, String> {
    static CTX: OnceLock<std::result::Result<Arc<GpuContext>, String>> = OnceLock::new();
    CTX.get_or_init(|| GpuContext::new().map(Arc::new)).clone()
}

/// A compute engine: the GPU pipelines, or the CPU path.
pub enum Engine {
    /// The CPU reference (rayon).
    Cpu,
    /// GPU pipelines, compiled once and reused with their buffers.
    Gpu {
        /// The device and queue.
        ctx: Arc<GpuContext>,
        /// WL hashing pipeline (boxed: pipelines are large next to the `Cpu` variant).
        wl: Box<Mutex<GpuWl>>,
        /// Kernel-matrix pipeline.
        kernel: Box<Mutex<GpuKernel>>,
    },
}

impl Engine {
    /// Builds the engine for a device choice; `Auto` falls back to the CPU with one
    /// notice per process when no adapter exists.
    pub fn new(choice: DeviceChoice) -> Result<Engine> {
        if choice == DeviceChoice::Cpu {
            return Ok(Engine::Cpu);
        }
        match shared_context() {
            Ok(ctx) => Ok(Engine::Gpu {
                wl: Box::new(Mutex::new(GpuWl::new(&ctx))),
                kernel: Box::new(Mutex::new(GpuKernel::new(&ctx))),
                ctx,
            }),
            Err(e) if choice == DeviceChoice::Gpu => {
                Err(Error::Config(format!("--device gpu: no GPU adapter ({e})")))
            }
            Err(e) => {
                static NOTICE: Once = Once::new();
                NOTICE.call_once(|| eprintln!("wlgp: no GPU adapter ({e}); using the CPU"));
                Ok(Engine::Cpu)
            }
        }
    }

    /// As [`Engine::new`], except that `Auto` keeps to the CPU on a software adapter (such
    /// as lavapipe), where kernel rows run at about 0.3x the CPU path: for the heavy,
    /// optional GPU work (the assessor's similarity graph).
    pub fn new_preferring_hardware(choice: DeviceChoice) -> Result<Engine> {
        if choice == DeviceChoice::Auto && shared_context().is_ok_and(|c| c.is_software()) {
            return Ok(Engine::Cpu);
        }
        Engine::new(choice)
    }

    /// A name for reports: the adapter and its backend, or "cpu".
    pub fn name(&self) -> String {
        match self {
            Engine::Cpu => "cpu".into(),
            Engine::Gpu { ctx, .. } => ctx.describe(),
        }
    }

    /// WL features of many graphs; equal to [`crate::wl::features_batch`] bit for bit.
    pub fn features(&self, archs: &[Arch], cfg: &WlConfig) -> Result<Vec<Features>> {
        match self {
            Engine::Cpu => Ok(cpu_wl::features_batch(archs, cfg)),
            Engine::Gpu { wl, .. } => wl.lock().map_err(|_| poisoned())?.features(archs, cfg),
        }
    }

    /// Raw kernel entries `k(a_i, b_j)`, row-major; exact integers on both paths.
    pub fn kernel_raw(&self, a: &[Features], b: &[Features], base: BaseKernel) -> Result<Vec<u64>> {
        match self {
            Engine::Cpu => Ok(cpu_raw(a, b, base)),
            Engine::Gpu { kernel, .. } => kernel
                .lock()
                .map_err(|_| poisoned())?
                .compute(a, b, base)
                .map(|(raw, _)| raw),
        }
    }

    /// The kernel matrix of graphs: their WL features with `cfg`, then raw and normalised
    /// entries `k(a_i, b_j)` (`b` = `a` when `None`), row-major. On the GPU node labels
    /// never come back: the dot kernel reads the counts back to index them by label
    /// frequency; other base kernels keep the features on the device and merge there.
    pub fn graph_kernel(
        &self,
        a: &[Arch],
        b: Option<&[Arch]>,
        cfg: &WlConfig,
        base: BaseKernel,
    ) -> Result<(Vec<u64>, Vec<f64>)> {
        match self {
            Engine::Cpu => {
                let fa = self.features(a, cfg)?;
                match b {
                    None => self.kernel(&fa, &fa, base),
                    Some(b) => self.kernel(&fa, &self.features(b, cfg)?, base),
                }
            }
            Engine::Gpu { wl, kernel, .. } if base == BaseKernel::Dot => {
                // Counts come back (not node labels) to index the dot kernel by label
                // frequency, which beats merging lists entry by entry (docs/performance.md).
                let mut wl = wl.lock().map_err(|_| poisoned())?;
                let fa = wl.features(a, cfg)?;
                let fb = b.map(|b| wl.features(b, cfg)).transpose()?;
                let mut kernel = kernel.lock().map_err(|_| poisoned())?;
                let (raw, norm) = kernel.compute(&fa, fb.as_deref().unwrap_or(&fa), base)?;
                Ok((raw, norm.into_iter().map(f64::from).collect()))
            }
            Engine::Gpu { wl, kernel, .. } => {
                let mut wl = wl.lock().map_err(|_| poisoned())?;
                let da = wl.resident(a, cfg)?;
                let db = b.map(|b| wl.resident(b, cfg)).transpose()?;
                let mut kernel = kernel.lock().map_err(|_| poisoned())?;
                let (raw, norm) =
                    kernel.matrix(&da, 0..a.len(), db.as_deref().unwrap_or(&da), base)?;
                Ok((raw, norm.into_iter().map(f64::from).collect()))
            }
        }
    }

    /// The normalised kernel of `xs` with itself in blocks of `rows_per` rows, handed to
    /// `each(first_row, block)` row-major: on the GPU the features are uploaded once and
    /// every block reads them there, so memory stays bounded whatever `xs.len()`.
    pub fn kernel_rows(
        &self,
        xs: &[Features],
        base: BaseKernel,
        rows_per: usize,
        mut each: impl FnMut(usize, &[f64]),
    ) -> Result<()> {
        let rows_per = rows_per.max(1);
        match self {
            Engine::Cpu => {
                for r0 in (0..xs.len()).step_by(rows_per) {
                    let r1 = (r0 + rows_per).min(xs.len());
                    each(r0, &self.kernel(&xs[r0..r1], xs, base)?.1);
                }
            }
            Engine::Gpu { ctx, kernel, .. } => {
                let mut kernel = kernel.lock().map_err(|_| poisoned())?;
                if let Some(k) = (base == BaseKernel::Dot)
                    .then(|| kernel.prepare(xs, xs))
                    .flatten()
                {
                    for r0 in (0..xs.len()).step_by(rows_per) {
                        let r1 = (r0 + rows_per).min(xs.len());
                        let (_, norm) = kernel.run_prepared(&k, r0..r1)?;
                        each(r0, &norm.into_iter().map(f64::from).collect::<Vec<_>>());
                    }
                    return Ok(());
                }
                let limit = ctx.max_binding().min(256 << 20);
                let resident = DeviceFeatures::upload_batches(ctx, xs, limit)?;
                for r0 in (0..xs.len()).step_by(rows_per) {
                    let r1 = (r0 + rows_per).min(xs.len());
                    let (_, norm) = kernel.matrix(&resident, r0..r1, &resident, base)?;
                    each(r0, &norm.into_iter().map(f64::from).collect::<Vec<_>>());
                }
            }
        }
        Ok(())
    }

    /// Raw and normalised kernel entries, row-major (normalised in f32 on the GPU, f64 on
    /// the CPU, returned as f64).
    pub fn kernel(
        &self,
        a: &[Features],
        b: &[Features],
        base: BaseKernel,
    ) -> Result<(Vec<u64>, Vec<f64>)> {
        match self {
            Engine::Cpu => {
                let raw = cpu_raw(a, b, base);
                let ka: Vec<u64> = a.iter().map(|x| cpu_kernel::self_kernel(x, base)).collect();
                let kb: Vec<u64> = b.iter().map(|x| cpu_kernel::self_kernel(x, base)).collect();
                let norm = raw
                    .iter()
                    .enumerate()
                    .map(|(e, &k)| cpu_kernel::scale(k, ka[e / b.len()], kb[e % b.len()], true))
                    .collect();
                Ok((raw, norm))
            }
            Engine::Gpu { kernel, .. } => {
                let (raw, norm) = kernel.lock().map_err(|_| poisoned())?.compute(a, b, base)?;
                Ok((raw, norm.into_iter().map(f64::from).collect()))
            }
        }
    }
}

fn cpu_raw(a: &[Features], b: &[Features], base: BaseKernel) -> Vec<u64> {
    use rayon::prelude::*;
    if base == BaseKernel::Dot {
        return cpu_kernel::dot_matrix(a, b);
    }
    a.par_iter()
        .flat_map_iter(|x| b.iter().map(move |y| cpu_kernel::raw(x, y, base)))
        .collect()
}

fn poisoned() -> Error {
    Error::Config("a previous GPU call panicked; the engine is unusable".into())
}
