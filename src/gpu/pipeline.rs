//! The device-resident scorer (`shaders/pipeline.wgsl`): for the edge-cell spaces the GPU
//! builds every candidate itself (NB201 enumeration, or the counter-based sampler of
//! [`crate::space::device`]), lowers and hashes it, looks its labels up in a table of the
//! posterior's seen labels and bounds its acquisition from above, with every f32 rounding
//! error accounted for. What crosses the bus per chunk is a few counters and the
//! candidates whose bound reaches the exact k-th value so far, not a byte per candidate;
//! the caller re-scores those in f64, so its top-k is the CPU's exactly.

use super::context::gpu_err;
use super::context::GpuContext;
use super::grid;
use crate::acquisition::Acquisition;
use crate::error::{Error, Result};
use crate::gp::WeightSpace;
use crate::space::device::{code_table, DeviceKind, DeviceSpace};
use crate::wl::{mix64, Direction, WlConfig};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy, Default, Pod, Zeroable)]
struct Params {
    count: u32,
    base_lo: u32,
    base_hi: u32,
    key_lo: u32,
    key_hi: u32,
    mode: u32,
    space: u32,
    skip_wire: u32,
    none_op: u32,
    skip_op: u32,
    h: u32,
    direction: u32,
    normalize: u32,
    form: u32,
    dim: u32,
    table_mask: u32,
    excl_mask: u32,
    acquisition: u32,
    prune: u32,
    has_threshold: u32,
    beta: f32,
    best: f32,
    signal: f32,
    threshold: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    pad3: u32,
}

/// Threads per workgroup, one candidate each.
const WORKGROUP: u64 = 64;
/// Most WL iterations the shader hashes (its `MAX_H`).
pub const DEVICE_MAX_H: usize = 3;
/// The first chunk is small, so that a threshold exists early; chunks then grow fourfold
/// up to [`MAX_CHUNK`] (whose worst case, every candidate kept, is 64 MiB of entries).
const FIRST_CHUNK: u64 = 4_096;
const MAX_CHUNK: u64 = 1 << 21;
/// Layout of `emit_cells` output per candidate, in vec4s.
const EMIT_STRIDE: usize = 2 + 128;

/// Where the device draws candidates from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStream {
    /// Position `i` is NAS-Bench-201 cell `i` (`Nb201Space::from_index`), the whole space.
    Enumerate,
    /// Position `i` is the `i`-th draw of the counter-based sampler under this seed.
    Counter {
        /// The stream's seed.
        seed: u64,
    },
}

/// What to score on the device.
#[derive(Clone, Copy, Debug)]
pub struct DeviceQuery<'a> {
    /// Where candidates come from.
    pub stream: DeviceStream,
    /// Stream positions `range.0..range.1`.
    pub range: (u64, u64),
    /// Codes of the cells to skip (evaluated ones).
    pub exclude: &'a [[u32; 4]],
    /// The acquisition function.
    pub acquisition: Acquisition,
    /// The incumbent in the latent scale.
    pub best: f64,
}

/// One candidate the device kept: its stream position, the bound and its code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceHit {
    /// Position in the candidate stream.
    pub position: u64,
    /// An upper bound of the acquisition value, on the device's scale (ln for EI and PI;
    /// the caller re-scores in f64).
    pub bound: f32,
    /// The cell's code (`crate::space::device`).
    pub code: [u32; 4],
}

/// What `emit_cells` computes for one candidate (for tests against the CPU twin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmittedCell {
    /// The cell's code.
    pub code: [u32; 4],
    /// Whether it is in the excluded set.
    pub excluded: bool,
    /// Nodes of the lowered graph.
    pub nodes: u32,
    /// Distinct WL labels ascending, with their counts and seen columns.
    pub features: Vec<(u64, u32, Option<u32>)>,
}

/// The device pipeline for one fit: the posterior's tables resident on the device.
pub struct DevicePipeline {
    ctx: Arc<GpuContext>,
    score: (wgpu::ComputePipeline, wgpu::BindGroupLayout),
    emit: (wgpu::ComputePipeline, wgpu::BindGroupLayout),
    labels: wgpu::Buffer,
    seen: wgpu::Buffer,
    weights: wgpu::Buffer,
    quad: wgpu::Buffer,
    head: wgpu::Buffer,
    base: Params,
    space: DeviceSpace,
}

impl DevicePipeline {
    /// Uploads a fit's tables for scoring `space`'s cells; an error when WL depth exceeds
    /// [`DEVICE_MAX_H`] or the quadratic form exceeds the device's largest binding.
    pub fn new(
        ctx: &Arc<GpuContext>,
        ws: &WeightSpace,
        space: DeviceSpace,
        wl: WlConfig,
    ) -> Result<DevicePipeline> {
        if wl.h > DEVICE_MAX_H {
            return Err(Error::Config(format!(
                "the device pipeline hashes at most {DEVICE_MAX_H} WL iterations, not {}",
                wl.h
            )));
        }
        let (factor, dim, data) = ws.quadratic_f32();
        let quad = super::score::quadratic_buffer(ctx, &data)?;
        let head = factor_head(factor, dim, &data);
        let head = ctx.storage("factor head", bytemuck::cast_slice(&head));
        let src = include_str!("../../shaders/pipeline.wgsl");
        let score = ctx.pipeline("pipeline", src, "score_stream");
        let emit = ctx.pipeline("pipeline emit", src, "emit_cells");
        let (table, table_mask) = seen_table(ws);
        let weights: Vec<f32> = (0..ws.seen_features())
            .map(|j| ws.weight(j) as f32)
            .collect();
        let labels = label_entries(&space.labels, ws);
        let base = Params {
            space: space.kind as u32,
            skip_wire: space.skip_as_wire as u32,
            none_op: space.none_op,
            skip_op: space.skip_op,
            h: wl.h as u32,
            direction: match wl.direction {
                Direction::In => 0,
                Direction::Out => 1,
                Direction::Both => 2,
            },
            normalize: ws.normalized() as u32,
            form: factor as u32,
            dim: dim as u32,
            table_mask,
            signal: ws.signal() as f32,
            ..Params::default()
        };
        Ok(DevicePipeline {
            ctx: ctx.clone(),
            score,
            emit,
            labels: ctx.storage("iteration-0 labels", bytemuck::cast_slice(&labels)),
            seen: ctx.storage("seen labels", bytemuck::cast_slice(&table)),
            weights: ctx.storage("weights", bytemuck::cast_slice(&weights)),
            quad,
            head,
            base,
            space,
        })
    }

    /// The space this pipeline builds cells of.
    pub fn space(&self) -> &DeviceSpace {
        &self.space
    }

    /// The device's description, for reports.
    pub fn device_name(&self) -> String {
        self.ctx.describe()
    }

    /// Scores stream positions `range.0..range.1`, skipping the cells whose codes are in
    /// `exclude`, and returns how many were scored. Chunks grow from 4,096 to 2^21
    /// positions; each chunk's candidates whose acquisition bound reaches the threshold
    /// go to `take`, which re-scores them exactly and returns the exact value a candidate
    /// must reach from then on (its k-th best so far), or `None` while it has fewer than
    /// k. A candidate whose bound falls short cannot enter the exact top-k, so nothing
    /// rests on the f32 ranking.
    pub fn shortlist(
        &self,
        q: &DeviceQuery,
        take: &mut dyn FnMut(Vec<DeviceHit>) -> Option<f64>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64> {
        let DeviceQuery {
            stream,
            range,
            exclude,
            acquisition: acq,
            best,
        } = *q;
        self.check_stream(stream, range)?;
        let (acquisition, beta) = acquisition_code(acq);
        let mut params = Params {
            acquisition,
            beta,
            best: best as f32,
            prune: acq.grows_with_std() as u32,
            ..self.stream_params(stream)
        };
        let ctx = &self.ctx;
        let (excl, excl_mask) = code_table(exclude);
        params.excl_mask = excl_mask;
        let excl = ctx.storage("excluded cells", bytemuck::cast_slice(&excl));
        let hits = ctx.output("kept entries", MAX_CHUNK.min(range.1 - range.0).max(1) * 32);
        let counters = self.counters();
        let uniform = ctx.uniform("pipeline params", &params);
        let bg = ctx.bind_buffers(
            "pipeline",
            &self.score.1,
            &[
                &uniform,
                &self.labels,
                &self.seen,
                &self.weights,
                &self.quad,
                &excl,
                &counters,
                &hits,
                &self.head,
            ],
        );
        let mut scored = 0u64;
        let (mut start, mut chunk) = (range.0, FIRST_CHUNK);
        while start < range.1 {
            let len = chunk.min(range.1 - start);
            params.count = len as u32;
            (params.base_lo, params.base_hi) = (start as u32, (start >> 32) as u32);
            ctx.queue
                .write_buffer(&uniform, 0, bytemuck::bytes_of(&params));
            ctx.queue.write_buffer(&counters, 0, &[0u8; 16]);
            let groups = len.div_ceil(WORKGROUP) as u32;
            self.dispatch(&self.score.0, &bg, groups);
            let c: Vec<u32> =
                bytemuck::pod_collect_to_vec(&ctx.read_back(&counters, 16).map_err(gpu_err)?);
            scored += c[0] as u64;
            let entries: Vec<[u32; 4]> = bytemuck::pod_collect_to_vec(
                &ctx.read_back(&hits, c[1] as u64 * 32).map_err(gpu_err)?,
            );
            let chunk_hits = entries.chunks_exact(2).map(|e| DeviceHit {
                position: start + e[0][1] as u64,
                bound: f32::from_bits(e[0][0]),
                code: e[1],
            });
            let threshold = take(chunk_hits.collect()).and_then(|t| device_threshold(acq, t));
            (params.has_threshold, params.threshold) = match threshold {
                Some(t) => (1, t),
                None => (0, 0.0),
            };
            start += len;
            progress(start);
            chunk = (chunk * 4).min(MAX_CHUNK);
        }
        Ok(scored)
    }

    /// What the shader computes for positions `start..start + count` (codes, exclusion,
    /// WL features and seen columns), for tests against the CPU.
    #[doc(hidden)]
    pub fn emit(
        &self,
        stream: DeviceStream,
        start: u64,
        count: usize,
        exclude: &[[u32; 4]],
    ) -> Result<Vec<EmittedCell>> {
        self.check_stream(stream, (start, start + count as u64))?;
        let (excl, excl_mask) = code_table(exclude);
        let params = Params {
            count: count as u32,
            base_lo: start as u32,
            base_hi: (start >> 32) as u32,
            excl_mask,
            ..self.stream_params(stream)
        };
        let ctx = &self.ctx;
        let bytes = (count * EMIT_STRIDE * 16).max(16) as u64;
        let out = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("emitted cells"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let excl = ctx.storage("excluded cells", bytemuck::cast_slice(&excl));
        let uniform = ctx.uniform("pipeline params", &params);
        let bg = ctx.bind_entries(
            "pipeline emit",
            &self.emit.1,
            &[
                (0, &uniform),
                (1, &self.labels),
                (2, &self.seen),
                (5, &excl),
                (7, &out),
            ],
        );
        self.dispatch(&self.emit.0, &bg, (count as u64).div_ceil(WORKGROUP) as u32);
        let raw: Vec<[u32; 4]> =
            bytemuck::pod_collect_to_vec(&ctx.read_back(&out, bytes).map_err(gpu_err)?);
        Ok(raw
            .chunks_exact(EMIT_STRIDE)
            .take(count)
            .map(|c| EmittedCell {
                code: c[0],
                excluded: c[1][2] == 1,
                nodes: c[1][1],
                features: sorted_features(&c[2..2 + c[1][0] as usize]),
            })
            .collect())
    }

    /// Enumeration covers NB201's 15,625 cells and nothing else.
    fn check_stream(&self, stream: DeviceStream, range: (u64, u64)) -> Result<()> {
        if stream == DeviceStream::Enumerate
            && (self.space.kind != DeviceKind::Nb201 || range.1 > 15_625)
        {
            return Err(Error::Config(
                "the device pipeline enumerates NB201's 15,625 cells only".into(),
            ));
        }
        if range.0 > range.1 {
            return Err(Error::Config(format!(
                "positions {}..{} are empty",
                range.0, range.1
            )));
        }
        Ok(())
    }

    fn stream_params(&self, stream: DeviceStream) -> Params {
        let (mode, key) = match stream {
            DeviceStream::Enumerate => (0, 0),
            DeviceStream::Counter { seed } => (1, mix64(seed)),
        };
        Params {
            mode,
            key_lo: key as u32,
            key_hi: (key >> 32) as u32,
            ..self.base
        }
    }

    fn counters(&self) -> wgpu::Buffer {
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("pipeline counters"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    fn dispatch(&self, pipeline: &wgpu::ComputePipeline, bg: &wgpu::BindGroup, groups: u32) {
        let max = self.ctx.limits.max_compute_workgroups_per_dimension;
        self.ctx.dispatch(pipeline, bg, grid(groups, max));
    }
}

/// An exact acquisition value on the scale of the shader's `acquire_bound` (ln for EI
/// and PI), rounded down to f32 so that a bound equal to it still passes; `None` when it
/// cannot prune (ln 0, or beyond f32's range).
pub fn device_threshold(acq: Acquisition, value: f64) -> Option<f32> {
    let v = match acq {
        Acquisition::Ei | Acquisition::Pi => value.ln(),
        _ => value,
    };
    let f = v as f32;
    if !f.is_finite() {
        return None;
    }
    Some(if f as f64 > v { f.next_down() } else { f })
}

/// The shader's acquisition code and UCB weight.
pub(super) fn acquisition_code(acq: Acquisition) -> (u32, f32) {
    match acq {
        Acquisition::Ei => (0, 0.0),
        Acquisition::Ucb { beta } => (1, beta as f32),
        Acquisition::Pi => (2, 0.0),
        Acquisition::Mean => (3, 0.0),
    }
}

/// Emitted `(low, high, count, column)` entries by ascending label.
fn sorted_features(entries: &[[u32; 4]]) -> Vec<(u64, u32, Option<u32>)> {
    let mut f: Vec<_> = entries
        .iter()
        .map(|e| {
            let label = e[0] as u64 | (e[1] as u64) << 32;
            (label, e[2], (e[3] != u32::MAX).then_some(e[3]))
        })
        .collect();
    f.sort_unstable_by_key(|e| e.0);
    f
}

/// The shader's iteration-0 table: `(low, high, seen column or NONE, first entry with
/// the same label)`, so that its histogram over entries counts equal labels together.
fn label_entries(labels: &[u64; 22], ws: &WeightSpace) -> Vec<[u32; 4]> {
    labels
        .iter()
        .map(|&l| {
            let [lo, hi] = split(l);
            let col = ws.column(l).map_or(u32::MAX, |j| j as u32);
            let first = labels.iter().position(|&m| m == l).unwrap_or(0) as u32;
            [lo, hi, col, first]
        })
        .collect()
}

fn split(l: u64) -> [u32; 2] {
    [l as u32, (l >> 32) as u32]
}

/// The first 16 rows of the factor form's B (`n` rows, column-major `data`) packed
/// column by column, zero beyond its rows; a single zero for the dense form, which does
/// not read it.
fn factor_head(factor: bool, n: usize, data: &[f32]) -> Vec<f32> {
    if !factor {
        return vec![0.0];
    }
    data.chunks(n)
        .flat_map(|col| (0..16).map(move |r| col.get(r).copied().unwrap_or(0.0)))
        .collect()
}

/// The seen labels as an open-addressing table by low word, at most half full:
/// `(low, high, column, 1)` entries, `w = 0` empty.
fn seen_table(ws: &WeightSpace) -> (Vec<[u32; 4]>, u32) {
    let cap = (2 * ws.seen_features() + 2).next_power_of_two();
    let mask = cap as u32 - 1;
    let mut t = vec![[0u32; 4]; cap];
    for (l, j) in ws.seen_labels() {
        let [lo, hi] = split(l);
        let mut s = lo & mask;
        while t[s as usize][3] != 0 {
            s = (s + 1) & mask;
        }
        t[s as usize] = [lo, hi, j as u32, 1];
    }
    (t, mask)
}
