//! Which GPU scorer a run uses, shared by `wlgp score` and Python's `wlgp.score`: the
//! device-resident pipeline where it applies (NB201 and DARTS, the whole space or a
//! sampled stream, WL depth at most 3), the host-prepared scorer elsewhere, or none.

use super::{Candidates, Posterior};
use crate::error::{Error, Result};
use crate::gp::{Gp, WeightSpace};
use crate::gpu::{shared_context, DeviceChoice, DevicePipeline, GpuScore, DEVICE_MAX_H};
use crate::space::Sampler;

/// How the GPU takes part in scoring.
pub enum GpuScorer {
    /// The CPU draws, lowers and hashes candidates; the GPU computes their posteriors.
    Prepared(GpuScore),
    /// The GPU does the whole pipeline (edge-cell spaces, whole space or samples).
    Resident(Box<DevicePipeline>),
}

impl GpuScorer {
    /// The scorer for `device`, or `None` for the CPU. `auto` takes the GPU only when it is
    /// a real one (a software rasteriser such as lavapipe scores slower than the CPU), and
    /// falls back to the CPU with a notice where the GPU cannot score this fit; `gpu`
    /// makes either an error.
    pub fn choose<S: Sampler>(
        device: DeviceChoice,
        ws: Option<&WeightSpace>,
        space: &S,
        gp: &Gp,
        source: &Candidates<S::Cell>,
    ) -> Result<Option<GpuScorer>> {
        let ctx = match device {
            DeviceChoice::Cpu => return Ok(None),
            DeviceChoice::Auto => match shared_context() {
                Ok(c) if !c.is_software() => c,
                _ => return Ok(None),
            },
            DeviceChoice::Gpu => shared_context()
                .map_err(|e| Error::Config(format!("device gpu: no GPU adapter ({e})")))?,
        };
        let Some(ws) = ws else {
            return match device {
                DeviceChoice::Gpu => Err(Error::Config(
                    "device gpu scores in weight space, which needs the dot base kernel".into(),
                )),
                _ => Ok(None),
            };
        };
        let streamable = matches!(source, Candidates::All | Candidates::Sample { .. });
        let scorer = match space.device_space() {
            Some(ds) if streamable && gp.wl_config().h <= DEVICE_MAX_H => {
                DevicePipeline::new(&ctx, ws, ds, gp.wl_config())
                    .map(|p| GpuScorer::Resident(Box::new(p)))
            }
            _ => GpuScore::new(&ctx, ws).map(GpuScorer::Prepared),
        };
        match scorer {
            Ok(g) => Ok(Some(g)),
            Err(e) if device == DeviceChoice::Gpu => Err(e),
            Err(e) => {
                eprintln!("wlgp: {e}; scoring on the CPU");
                Ok(None)
            }
        }
    }

    /// The device's description, for reports.
    pub fn device_name(&self) -> String {
        match self {
            GpuScorer::Prepared(g) => g.device_name(),
            GpuScorer::Resident(p) => p.device_name(),
        }
    }

    /// Where candidates are built: `host-prepared` or `device-resident`.
    pub fn pipeline(&self) -> &'static str {
        match self {
            GpuScorer::Prepared(_) => "host-prepared",
            GpuScorer::Resident(_) => "device-resident",
        }
    }
}

/// The posterior a run scores with: on `gpu` when there is one, else the weight space on
/// the CPU, else the function space (kernels without a weight space).
pub fn posterior<'a>(ws: Option<&'a WeightSpace>, gpu: Option<&'a GpuScorer>) -> Posterior<'a> {
    match (ws, gpu) {
        (Some(w), Some(GpuScorer::Prepared(g))) => Posterior::Gpu(w, g),
        (Some(w), Some(GpuScorer::Resident(p))) => Posterior::Device(w, p),
        (Some(w), None) => Posterior::WeightSpace(w),
        (None, _) => Posterior::FunctionSpace,
    }
}

/// The weight-space posterior when scoring `candidates` pays for building it (or a GPU,
/// which scores in weight space only, is asked for), else `None`: the function space.
/// The one rule `wlgp score` and Python's `score` follow, so that the posterior's form
/// follows the work asked and not the training size alone.
pub fn weight_space_for(gp: &Gp, device: DeviceChoice, candidates: u64) -> Option<WeightSpace> {
    if device == DeviceChoice::Gpu || WeightSpace::pays_for(gp, candidates) {
        WeightSpace::for_candidates(gp, candidates)
    } else {
        None
    }
}
