//! Candidate scoring on the GPU (`shaders/score.wgsl`): one thread per candidate computes
//! the weight-space variance and the acquisition value in f32. The CPU prepares each
//! chunk (WL features, seen-feature lookup, exact mean) while the GPU scores the one
//! before, and re-scores its shortlist in f64, so the reported numbers are exact.

use super::context::gpu_err;
use super::context::GpuContext;
use crate::acquisition::Acquisition;
use crate::error::Result;
use crate::gp::WeightSpace;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    count: u32,
    dim: u32,
    form: u32,
    acquisition: u32,
    beta: f32,
    best: f32,
    signal: f32,
    pad: u32,
}

const WORKGROUP: u32 = 64;

/// A chunk of candidates prepared for upload: CSR seen-feature lists and moments.
#[derive(Default)]
pub struct Batch {
    offsets: Vec<u32>,
    index: Vec<u32>,
    value: Vec<f32>,
    moments: Vec<[f32; 2]>,
}

impl Batch {
    /// Appends one candidate given as [`WeightSpace::seen`] returns it.
    pub fn push(&mut self, seen: &[(usize, f64)], mean: f64, total: f64) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        for &(j, v) in seen {
            self.index.push(j as u32);
            self.value.push(v as f32);
        }
        self.offsets.push(self.index.len() as u32);
        self.moments.push([mean as f32, total as f32]);
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.moments.len()
    }

    /// Whether it holds no candidate.
    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }
}

/// A dispatched chunk whose results are not read yet.
pub struct Pending {
    staging: wgpu::Buffer,
    count: usize,
    rx: std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
}

/// The scoring pipeline with one fit's quadratic form resident on the device.
pub struct GpuScore {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    quad: wgpu::Buffer,
    form: u32,
    dim: u32,
    signal: f32,
}

/// A fit's variance quadratic form (`WeightSpace::quadratic_f32`'s data) on the device,
/// as both GPU scorers read it; an error when it exceeds the largest storage binding.
pub(super) fn quadratic_buffer(ctx: &GpuContext, data: &[f32]) -> Result<wgpu::Buffer> {
    let bytes = (data.len() as u64 * 4).max(16);
    if bytes > ctx.max_binding() {
        return Err(gpu_err(format!(
            "the posterior's quadratic form needs {} MiB, more than the device's largest \
             storage binding ({} MiB)",
            bytes >> 20,
            ctx.max_binding() >> 20
        )));
    }
    Ok(ctx.storage("quadratic form", bytemuck::cast_slice(data)))
}

impl GpuScore {
    /// Compiles `shaders/score.wgsl` and uploads the fit's quadratic form; an error when
    /// it exceeds the device's largest storage binding (the caller then scores on the CPU).
    pub fn new(ctx: &Arc<GpuContext>, ws: &WeightSpace) -> Result<GpuScore> {
        let (factor, dim, data) = ws.quadratic_f32();
        let quad = quadratic_buffer(ctx, &data)?;
        let (pipeline, layout) = ctx.pipeline(
            "score",
            include_str!("../../shaders/score.wgsl"),
            "score_entry",
        );
        Ok(GpuScore {
            ctx: ctx.clone(),
            pipeline,
            layout,
            quad,
            form: factor as u32,
            dim: dim as u32,
            signal: ws.signal() as f32,
        })
    }

    /// The device's description, for reports.
    pub fn device_name(&self) -> String {
        self.ctx.describe()
    }

    /// Starts scoring a batch; the GPU works while the caller prepares the next one.
    pub fn submit(&self, batch: &Batch, acq: Acquisition, best: f64) -> Result<Pending> {
        let count = batch.len();
        let (acquisition, beta) = super::pipeline::acquisition_code(acq);
        let params = Params {
            count: count as u32,
            dim: self.dim,
            form: self.form,
            acquisition,
            beta,
            best: best as f32,
            signal: self.signal,
            pad: 0,
        };
        let ctx = &self.ctx;
        let out_bytes = (count as u64 * 8).max(16);
        let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores"),
            size: out_bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores readback"),
            size: out_bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let buffers = [
            ctx.uniform("score params", &params),
            ctx.storage("offsets", bytemuck::cast_slice(&batch.offsets)),
            ctx.storage("index", bytemuck::cast_slice(&batch.index)),
            ctx.storage("value", bytemuck::cast_slice(&batch.value)),
            ctx.storage("moments", bytemuck::cast_slice(&batch.moments)),
        ];
        let res = [
            &buffers[0],
            &buffers[1],
            &buffers[2],
            &buffers[3],
            &buffers[4],
            &self.quad,
            &out,
        ];
        let bg = ctx.bind_buffers("score", &self.layout, &res);
        let (gx, gy) = super::grid(
            (count as u32).div_ceil(WORKGROUP),
            ctx.limits.max_compute_workgroups_per_dimension,
        );
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        enc.copy_buffer_to_buffer(&out, 0, &staging, 0, out_bytes);
        ctx.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        Ok(Pending { staging, count, rx })
    }

    /// Waits for a submitted batch: per candidate, upper bounds of the std and of the
    /// acquisition (on the scale of [`super::device_threshold`]: ln for EI and PI).
    pub fn finish(&self, p: Pending) -> Result<Vec<[f32; 2]>> {
        self.ctx.wait().map_err(gpu_err)?;
        p.rx.recv()
            .map_err(|e| gpu_err(e.to_string()))?
            .map_err(|e| gpu_err(e.to_string()))?;
        let bytes = p
            .staging
            .get_mapped_range(..)
            .map_err(|e| gpu_err(e.to_string()))?
            .to_vec();
        p.staging.unmap();
        let mut v: Vec<[f32; 2]> = bytemuck::pod_collect_to_vec(&bytes);
        v.truncate(p.count);
        Ok(v)
    }
}
