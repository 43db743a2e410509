//! The dot-product kernel on the GPU by label frequency (`shaders/kernel_indexed.wgsl`),
//! as `kernel::dot` on the CPU: common labels as dense columns, rare ones through an
//! inverted index of the columns' side, so an entry pays only for the rare labels its two
//! graphs share instead of merging both lists. Exact: u32 sums, used when the bound on
//! every value is below 2^32 (the merge-join shader otherwise).

use super::context::gpu_err;
use super::context::GpuContext;
use crate::error::Result;
use crate::kernel::{self, split, BaseKernel, Split};
use crate::wl::Features;
use bytemuck::{Pod, Zeroable};
use std::ops::Range;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    row_offset: u32,
    dense: u32,
    pad: [u32; 4],
}

/// Columns per workgroup (`BLOCK` in the shader).
const BLOCK: usize = 2048;

/// The row side uploaded once: dense columns, sparse labels, self-kernels.
struct Rows {
    dense: wgpu::Buffer,
    sparse_offsets: wgpu::Buffer,
    sparse: wgpu::Buffer,
    selfk: wgpu::Buffer,
}

/// One chunk of columns: its dense columns (column-major), inverted index, self-kernels.
struct Cols {
    range: Range<usize>,
    dense: wgpu::Buffer,
    offsets: wgpu::Buffer,
    postings: wgpu::Buffer,
    selfk: wgpu::Buffer,
}

/// A kernel `a x b` prepared for the indexed shader: built once, then run over any rows.
pub struct Indexed {
    rows: Rows,
    cols: Vec<Cols>,
    dense: usize,
    /// Entries of the output row (`b.len()`).
    width: usize,
}

fn self_f32(xs: &[Features]) -> Vec<f32> {
    xs.iter()
        .map(|x| kernel::self_kernel(x, BaseKernel::Dot) as f32)
        .collect()
}

impl Indexed {
    /// Prepares `a x b`, or `None` when a value could reach 2^32 (u32 sums could wrap).
    /// Columns are split into chunks whose index fits `max_bytes`.
    pub fn new(
        ctx: &GpuContext,
        a: &[Features],
        b: &[Features],
        max_bytes: u64,
    ) -> Option<Indexed> {
        let parts = split(a, b);
        if parts.bound >= 1 << 32 {
            return None;
        }
        let d = parts.dense.len();
        let mut dense = vec![0u32; a.len() * d];
        let (mut offsets, mut sparse) = (vec![0u32], Vec::new());
        for (i, x) in a.iter().enumerate() {
            for (l, c) in x.iter() {
                if let Some(&k) = parts.dense.get(&l) {
                    dense[i * d + k] = c;
                } else if let Some(&k) = parts.sparse.get(&l) {
                    sparse.push([k as u32, c]);
                }
            }
            offsets.push(sparse.len() as u32);
        }
        let rows = Rows {
            dense: ctx.storage("a dense", bytemuck::cast_slice(&dense)),
            sparse_offsets: ctx.storage("a sparse offsets", bytemuck::cast_slice(&offsets)),
            sparse: ctx.storage("a sparse", bytemuck::cast_slice(&sparse)),
            selfk: ctx.storage("a self", bytemuck::cast_slice(&self_f32(a))),
        };
        let cols = chunks(b, &parts, max_bytes)
            .into_iter()
            .map(|r| Cols::new(ctx, &b[r.clone()], r, &parts))
            .collect();
        Some(Indexed {
            rows,
            cols,
            dense: d,
            width: b.len(),
        })
    }
}

/// Column ranges whose dense block and postings stay within `max_bytes` each.
fn chunks(b: &[Features], parts: &Split, max_bytes: u64) -> Vec<Range<usize>> {
    let per = |x: &Features| {
        let s = x
            .labels
            .iter()
            .filter(|l| parts.sparse.contains_key(l))
            .count();
        (s * 8 + parts.dense.len() * 4) as u64
    };
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (j, x) in b.iter().enumerate() {
        let c = per(x);
        if j > start && bytes + c > max_bytes {
            out.push(start..j);
            (start, bytes) = (j, 0);
        }
        bytes += c;
    }
    out.push(start..b.len());
    out
}

impl Cols {
    fn new(ctx: &GpuContext, b: &[Features], range: Range<usize>, parts: &Split) -> Cols {
        let (n, d) = (b.len(), parts.dense.len());
        let mut dense = vec![0u32; n * d];
        let mut lists: Vec<Vec<[u32; 2]>> = vec![Vec::new(); parts.sparse.len()];
        for (j, y) in b.iter().enumerate() {
            for (l, c) in y.iter() {
                if let Some(&k) = parts.dense.get(&l) {
                    dense[k * n + j] = c;
                } else if let Some(&k) = parts.sparse.get(&l) {
                    lists[k].push([j as u32, c]);
                }
            }
        }
        let mut offsets = vec![0u32];
        let mut postings = Vec::new();
        for list in lists {
            postings.extend(list);
            offsets.push(postings.len() as u32);
        }
        Cols {
            range,
            dense: ctx.storage("b dense", bytemuck::cast_slice(&dense)),
            offsets: ctx.storage("postings offsets", bytemuck::cast_slice(&offsets)),
            postings: ctx.storage("postings", bytemuck::cast_slice(&postings)),
            selfk: ctx.storage("b self", bytemuck::cast_slice(&self_f32(b))),
        }
    }
}

/// The compiled indexed-kernel pipeline.
pub struct IndexedKernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl IndexedKernel {
    /// Compiles `shaders/kernel_indexed.wgsl`.
    pub fn new(ctx: &GpuContext) -> IndexedKernel {
        let (pipeline, layout) = ctx.pipeline(
            "kernel indexed",
            include_str!("../../shaders/kernel_indexed.wgsl"),
            "indexed_entry",
        );
        IndexedKernel { pipeline, layout }
    }

    /// Raw (exact) and normalised (f32) entries for rows `rows` of `a` against all of `b`,
    /// row-major, in dispatches of at most `budget` entries.
    pub fn run(
        &self,
        ctx: &GpuContext,
        k: &Indexed,
        rows: Range<usize>,
        budget: u64,
    ) -> Result<(Vec<u64>, Vec<f32>)> {
        let m = k.width;
        let mut raw = vec![0u64; rows.len() * m];
        let mut norm = vec![0f32; rows.len() * m];
        let max_rows = ctx.limits.max_compute_workgroups_per_dimension as usize;
        for c in &k.cols {
            let cols = c.range.len();
            let rows_per = ((budget / cols.max(1) as u64) as usize).clamp(1, max_rows);
            for r0 in rows.clone().step_by(rows_per) {
                let r = rows_per.min(rows.end - r0);
                let p = Params {
                    rows: r as u32,
                    cols: cols as u32,
                    row_offset: r0 as u32,
                    dense: k.dense as u32,
                    pad: [0; 4],
                };
                let (rv, nv) = self.dispatch(ctx, k, c, &p)?;
                for i in 0..r {
                    let at = (r0 - rows.start + i) * m + c.range.start;
                    raw[at..at + cols].copy_from_slice(&rv[i * cols..(i + 1) * cols]);
                    norm[at..at + cols].copy_from_slice(&nv[i * cols..(i + 1) * cols]);
                }
            }
        }
        Ok((raw, norm))
    }

    fn dispatch(
        &self,
        ctx: &GpuContext,
        k: &Indexed,
        c: &Cols,
        p: &Params,
    ) -> Result<(Vec<u64>, Vec<f32>)> {
        let entries = p.rows as u64 * p.cols as u64;
        let (out_raw, out_norm) = (
            ctx.output("raw", entries * 8),
            ctx.output("normalized", entries * 4),
        );
        let ub = ctx.uniform("indexed params", p);
        let res = [
            &ub,
            &k.rows.dense,
            &c.dense,
            &k.rows.sparse_offsets,
            &k.rows.sparse,
            &c.offsets,
            &c.postings,
            &k.rows.selfk,
            &c.selfk,
            &out_raw,
            &out_norm,
        ];
        let bg = ctx.bind_buffers("kernel indexed", &self.layout, &res);
        let groups = ((p.cols as usize).div_ceil(BLOCK) as u32, p.rows);
        ctx.dispatch(&self.pipeline, &bg, groups);
        let rv =
            bytemuck::pod_collect_to_vec(&ctx.read_back(&out_raw, entries * 8).map_err(gpu_err)?);
        let nv =
            bytemuck::pod_collect_to_vec(&ctx.read_back(&out_norm, entries * 4).map_err(gpu_err)?);
        Ok((rv, nv))
    }
}
