//! Kernel matrices on the GPU (`shaders/kernel.wgsl`): one thread per entry merges two
//! label-sorted feature lists held on the device ([`DeviceFeatures`]). Raw values are exact
//! 64-bit integers; normalised values f32. Only the entries come back to the host.

use super::context::gpu_err;
use super::context::GpuContext;
use super::features::DeviceFeatures;
use super::indexed::{Indexed, IndexedKernel};
use crate::error::Result;
use crate::kernel::BaseKernel;
use crate::wl::Features;
use bytemuck::{Pod, Zeroable};
use std::ops::Range;
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    base: u32,
    row_offset: u32,
    col_offset: u32,
    pad: [u32; 3],
}

/// The kernel pipelines, compiled once.
pub struct GpuKernel {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    self_pipeline: wgpu::ComputePipeline,
    self_layout: wgpu::BindGroupLayout,
    /// The dot kernel by dense columns and an inverted index.
    indexed: IndexedKernel,
    /// Whether `compute` may use `indexed` (tests turn it off to reach the merge join).
    use_index: bool,
    /// Most output entries per dispatch.
    budget: u64,
}

const TILE: u32 = 8;
const SELF_WORKGROUP: u32 = 64;

/// Where one block of entries lands in the caller's row-major output.
struct Dest<'a> {
    raw: &'a mut [u64],
    norm: &'a mut [f32],
    /// Output row of the block's first row.
    row: usize,
    /// Output column of the block's first column.
    col: usize,
    /// Output row length.
    width: usize,
}

impl GpuKernel {
    /// Compiles `shaders/kernel.wgsl`.
    pub fn new(ctx: &Arc<GpuContext>) -> GpuKernel {
        let src = include_str!("../../shaders/kernel.wgsl");
        let (pipeline, layout) = ctx.pipeline("kernel", src, "kernel_entry");
        let (self_pipeline, self_layout) = ctx.pipeline("self kernel", src, "self_entry");
        GpuKernel {
            ctx: ctx.clone(),
            pipeline,
            layout,
            self_pipeline,
            self_layout,
            indexed: IndexedKernel::new(ctx),
            use_index: true,
            // Output per dispatch within the binding limit and 256 MiB, so memory stays bounded.
            budget: ctx.max_binding().min(256 << 20) / 8,
        }
    }

    /// Lowers the entries per dispatch, so tests can exercise row and column chunking.
    #[doc(hidden)]
    pub fn set_budget(&mut self, entries: u64) {
        self.budget = entries.max(1);
    }

    /// Whether [`GpuKernel::compute`] may take the indexed dot kernel (on by default; tests
    /// turn it off to exercise the merge join on dot kernels too).
    #[doc(hidden)]
    pub fn set_index(&mut self, on: bool) {
        self.use_index = on;
    }

    /// The dot kernel `a x b` prepared for [`GpuKernel::run_prepared`], or `None` when
    /// values could exceed u32 sums (or the index is off).
    pub fn prepare(&self, a: &[Features], b: &[Features]) -> Option<Indexed> {
        let limit = self.ctx.max_binding().min(256 << 20);
        self.use_index
            .then(|| Indexed::new(&self.ctx, a, b, limit))
            .flatten()
    }

    /// Rows `rows` of a prepared dot kernel, raw (exact) and normalised (f32), row-major.
    pub fn run_prepared(&self, k: &Indexed, rows: Range<usize>) -> Result<(Vec<u64>, Vec<f32>)> {
        self.indexed.run(&self.ctx, k, rows, self.budget)
    }

    /// Raw (exact) and normalised (f32) entries `k(a_i, b_j)`, row-major, from host
    /// features: the dot kernel by the index when it is exact in u32, else by merging.
    pub fn compute(
        &mut self,
        a: &[Features],
        b: &[Features],
        base: BaseKernel,
    ) -> Result<(Vec<u64>, Vec<f32>)> {
        if base == BaseKernel::Dot {
            if let Some(k) = self.prepare(a, b) {
                return self.run_prepared(&k, 0..a.len());
            }
        }
        let limit = self.ctx.max_binding().min(256 << 20);
        let da = DeviceFeatures::upload_batches(&self.ctx, a, limit)?;
        if std::ptr::eq(a, b) {
            return self.matrix(&da, 0..a.len(), &da, base);
        }
        let db = DeviceFeatures::upload_batches(&self.ctx, b, limit)?;
        self.matrix(&da, 0..a.len(), &db, base)
    }

    /// Raw (exact) and normalised (f32) entries `k(a_i, b_j)` for the rows `rows` of the
    /// vectors in `a` (its batches in order) against every vector of `b`, row-major.
    pub fn matrix(
        &mut self,
        a: &[DeviceFeatures],
        rows: Range<usize>,
        b: &[DeviceFeatures],
        base: BaseKernel,
    ) -> Result<(Vec<u64>, Vec<f32>)> {
        let m: usize = b.iter().map(DeviceFeatures::len).sum();
        let mut raw = vec![0u64; rows.len() * m];
        let mut norm = vec![0f32; rows.len() * m];
        let mut a0 = 0;
        for da in a {
            let (lo, hi) = (rows.start.max(a0), rows.end.min(a0 + da.len()));
            let mut c0 = 0;
            for db in b.iter().filter(|_| lo < hi) {
                let dest = Dest {
                    raw: &mut raw,
                    norm: &mut norm,
                    row: lo - rows.start,
                    col: c0,
                    width: m,
                };
                self.block(da, lo - a0..hi - a0, db, base, dest)?;
                c0 += db.len();
            }
            a0 += da.len();
        }
        Ok((raw, norm))
    }

    /// `k(x, x)` of every vector of `d` as f32, computed on the device once per base.
    fn self_kernels<'d>(&self, d: &'d DeviceFeatures, base: BaseKernel) -> &'d wgpu::Buffer {
        d.self_k[base_code(base) as usize].get_or_init(|| {
            let ctx = &self.ctx;
            let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("self kernels"),
                size: (d.len() as u64 * 4).max(16),
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            });
            let p = params(d.len(), 0, base, 0, 0);
            let ub = ctx.uniform("self kernel params", &p);
            let bg = ctx.bind_entries(
                "self kernel",
                &self.self_layout,
                &[(0, &ub), (1, &d.ranges), (3, &d.counts), (11, &out)],
            );
            let max = ctx.limits.max_compute_workgroups_per_dimension;
            let groups = super::grid((d.len() as u32).div_ceil(SELF_WORKGROUP), max);
            ctx.dispatch(&self.self_pipeline, &bg, groups);
            out
        })
    }

    /// Rows `rows` of `a` against all of `b`, in dispatches of at most `budget` entries.
    fn block(
        &self,
        a: &DeviceFeatures,
        rows: Range<usize>,
        b: &DeviceFeatures,
        base: BaseKernel,
        dest: Dest,
    ) -> Result<()> {
        let (n, m) = (rows.len(), b.len());
        if n == 0 || m == 0 {
            return Ok(());
        }
        let ctx = &self.ctx;
        let (a_self, b_self) = (self.self_kernels(a, base), self.self_kernels(b, base));
        let max_dim = ctx.limits.max_compute_workgroups_per_dimension as u64 * TILE as u64;
        let cols_per = (m as u64).min(self.budget).min(max_dim).max(1) as usize;
        let rows_per = ((self.budget / cols_per as u64).min(max_dim).max(1) as usize).min(n);
        let out_entries = (rows_per * cols_per) as u64;
        let (out_raw, out_norm) = (
            ctx.output("raw", out_entries * 8),
            ctx.output("normalized", out_entries * 4),
        );
        for c0 in (0..m).step_by(cols_per) {
            let cols = cols_per.min(m - c0);
            for r0 in (0..n).step_by(rows_per) {
                let r = rows_per.min(n - r0);
                let ub = ctx.uniform("kernel params", &params(r, cols, base, rows.start + r0, c0));
                let res = [
                    &ub, &a.ranges, &a.labels, &a.counts, &b.ranges, &b.labels, &b.counts, a_self,
                    b_self, &out_raw, &out_norm,
                ];
                let bg = ctx.bind_buffers("kernel", &self.layout, &res);
                let groups = ((cols as u32).div_ceil(TILE), (r as u32).div_ceil(TILE));
                ctx.dispatch(&self.pipeline, &bg, groups);
                let rv: Vec<u64> = bytemuck::pod_collect_to_vec(
                    &ctx.read_back(&out_raw, (r * cols) as u64 * 8)
                        .map_err(gpu_err)?,
                );
                let nv: Vec<f32> = bytemuck::pod_collect_to_vec(
                    &ctx.read_back(&out_norm, (r * cols) as u64 * 4)
                        .map_err(gpu_err)?,
                );
                for i in 0..r {
                    let at = (dest.row + r0 + i) * dest.width + dest.col + c0;
                    dest.raw[at..at + cols].copy_from_slice(&rv[i * cols..(i + 1) * cols]);
                    dest.norm[at..at + cols].copy_from_slice(&nv[i * cols..(i + 1) * cols]);
                }
            }
        }
        Ok(())
    }
}

fn base_code(base: BaseKernel) -> u32 {
    match base {
        BaseKernel::Dot => 0,
        BaseKernel::OptimalAssignment => 1,
    }
}

fn params(
    rows: usize,
    cols: usize,
    base: BaseKernel,
    row_offset: usize,
    col_offset: usize,
) -> Params {
    Params {
        rows: rows as u32,
        cols: cols as u32,
        base: base_code(base),
        row_offset: row_offset as u32,
        col_offset: col_offset as u32,
        pad: [0; 3],
    }
}
