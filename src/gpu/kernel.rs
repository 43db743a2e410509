//! Kernel matrices on the GPU (`shaders/kernel.wgsl`): one thread per entry merges two
//! label-sorted feature lists. Raw values are exact 64-bit integers; normalised values f32.

use super::context::GpuContext;
use super::wl::gpu_err;
use crate::error::Result;
use crate::kernel::{self_kernel, BaseKernel};
use crate::wl::Features;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    base: u32,
    row_offset: u32,
    a_total: u32,
    pad: [u32; 3],
}

/// Sparse feature vectors packed as CSR for upload.
struct Packed {
    offsets: Vec<u32>,
    labels: Vec<[u32; 2]>,
    counts: Vec<u32>,
}

fn pack(xs: &[Features]) -> Packed {
    let mut p = Packed {
        offsets: vec![0],
        labels: Vec::new(),
        counts: Vec::new(),
    };
    for x in xs {
        p.labels
            .extend(x.labels.iter().map(|&l| [l as u32, (l >> 32) as u32]));
        p.counts.extend_from_slice(&x.counts);
        p.offsets.push(p.labels.len() as u32);
    }
    if p.labels.is_empty() {
        p.labels.push([0, 0]);
        p.counts.push(0);
    }
    p
}

/// The kernel pipeline, compiled once.
pub struct GpuKernel {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    /// Most output entries per dispatch.
    budget: u64,
}

const TILE: u32 = 8;

impl GpuKernel {
    /// Compiles `shaders/kernel.wgsl`.
    pub fn new(ctx: &Arc<GpuContext>) -> GpuKernel {
        let (pipeline, layout) = ctx.pipeline(
            "kernel",
            include_str!("../../shaders/kernel.wgsl"),
            "kernel_entry",
        );
        GpuKernel {
            ctx: ctx.clone(),
            pipeline,
            layout,
            // Output per dispatch within the binding limit and 256 MiB, so memory stays bounded.
            budget: ctx.max_binding().min(256 << 20) / 8,
        }
    }

    /// Lowers the entries per dispatch, so tests can exercise row and column chunking.
    #[doc(hidden)]
    pub fn set_budget(&mut self, entries: u64) {
        self.budget = entries.max(1);
    }

    /// Raw (exact) and normalised (f32) entries `k(a_i, b_j)`, row-major.
    pub fn compute(
        &mut self,
        a: &[Features],
        b: &[Features],
        base: BaseKernel,
    ) -> Result<(Vec<u64>, Vec<f32>)> {
        let (n, m) = (a.len(), b.len());
        let mut raw = vec![0u64; n * m];
        let mut norm = vec![0f32; n * m];
        if n == 0 || m == 0 {
            return Ok((raw, norm));
        }
        // Columns per dispatch also within the workgroup-count limit.
        let budget = self.budget;
        let max_dim = self.ctx.limits.max_compute_workgroups_per_dimension as u64 * TILE as u64;
        let cols_per = (m as u64).min(budget).min(max_dim).max(1) as usize;
        let pa = pack(a);
        let ka: Vec<f32> = a.iter().map(|x| self_kernel(x, base) as f32).collect();
        let ba = [
            self.ctx
                .storage("a_offsets", bytemuck::cast_slice(&pa.offsets)),
            self.ctx
                .storage("a_labels", bytemuck::cast_slice(&pa.labels)),
            self.ctx
                .storage("a_counts", bytemuck::cast_slice(&pa.counts)),
        ];
        for c0 in (0..m).step_by(cols_per) {
            let c1 = (c0 + cols_per).min(m);
            let cols = c1 - c0;
            let pb = pack(&b[c0..c1]);
            let mut selfk = ka.clone();
            selfk.extend(b[c0..c1].iter().map(|x| self_kernel(x, base) as f32));
            let bb = [
                self.ctx
                    .storage("b_offsets", bytemuck::cast_slice(&pb.offsets)),
                self.ctx
                    .storage("b_labels", bytemuck::cast_slice(&pb.labels)),
                self.ctx
                    .storage("b_counts", bytemuck::cast_slice(&pb.counts)),
                self.ctx.storage("self_k", bytemuck::cast_slice(&selfk)),
            ];
            let rows_per = ((budget / cols as u64).min(max_dim).max(1) as usize).min(n);
            let out_bytes = (rows_per * cols) as u64 * 8;
            let mk = |label, size: u64| {
                self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: size.max(16),
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                })
            };
            let (out_raw, out_norm) = (mk("raw", out_bytes), mk("normalized", out_bytes / 2));
            for r0 in (0..n).step_by(rows_per) {
                let rows = rows_per.min(n - r0);
                let p = Params {
                    rows: rows as u32,
                    cols: cols as u32,
                    base: match base {
                        BaseKernel::Dot => 0,
                        BaseKernel::OptimalAssignment => 1,
                    },
                    row_offset: r0 as u32,
                    a_total: n as u32,
                    pad: [0; 3],
                };
                let ub = self.ctx.uniform("kernel params", &p);
                let res = [
                    &ub, &ba[0], &ba[1], &ba[2], &bb[0], &bb[1], &bb[2], &bb[3], &out_raw,
                    &out_norm,
                ];
                let bg = self.ctx.bind_buffers("kernel", &self.layout, &res);
                let mut enc = self.ctx.device.create_command_encoder(&Default::default());
                {
                    let mut pass = enc.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&self.pipeline);
                    pass.set_bind_group(0, &bg, &[]);
                    pass.dispatch_workgroups(
                        (cols as u32).div_ceil(TILE),
                        (rows as u32).div_ceil(TILE),
                        1,
                    );
                }
                self.ctx.queue.submit([enc.finish()]);
                let rb = self
                    .ctx
                    .read_back(&out_raw, (rows * cols) as u64 * 8)
                    .map_err(gpu_err)?;
                let nb = self
                    .ctx
                    .read_back(&out_norm, (rows * cols) as u64 * 4)
                    .map_err(gpu_err)?;
                let rv: Vec<u64> = bytemuck::pod_collect_to_vec(&rb);
                let nv: Vec<f32> = bytemuck::pod_collect_to_vec(&nb);
                for r in 0..rows {
                    let dst = (r0 + r) * m + c0;
                    raw[dst..dst + cols].copy_from_slice(&rv[r * cols..(r + 1) * cols]);
                    norm[dst..dst + cols].copy_from_slice(&nv[r * cols..(r + 1) * cols]);
                }
            }
        }
        Ok((raw, norm))
    }
}
