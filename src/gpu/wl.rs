//! Batched WL hashing on the GPU (`shaders/wl_hash.wgsl`): one dispatch per iteration over
//! every node of a batch packed as CSR, then per-graph counting (`shaders/wl_count.wgsl`,
//! one thread per graph), so that features stay on the device ([`DeviceFeatures`]) for a
//! kernel, or come back as distinct labels and counts: node labels never cross to the host.

use super::context::{gpu_err, GpuContext};
use super::features::DeviceFeatures;
use crate::error::{Error, Result};
use crate::graph::Arch;
use crate::wl::{initial_label, Direction, Features, WlConfig, MAX_H};
use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    nodes: u32,
    iteration: u32,
    prev_offset: u32,
    next_offset: u32,
}

/// Parameters of `wl_count`, as its `Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct CountParams {
    graphs: u32,
    nodes: u32,
    levels: u32,
    pad: u32,
}

/// The WL pipeline, compiled once, with buffers kept between calls.
pub struct GpuWl {
    ctx: Arc<GpuContext>,
    mix: wgpu::ComputePipeline,
    step: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    count: wgpu::ComputePipeline,
    count_layout: wgpu::BindGroupLayout,
    /// Whether `features` counts labels on the host (see `set_host_counting`).
    host_counting: bool,
    buffers: Option<(u64, [wgpu::Buffer; 4])>,
    /// Largest batch in nodes x (h + 1) labels, from the device's limits.
    max_labels: u64,
    /// Largest workgroup count in x before the dispatch goes 2-D.
    max_groups_x: u32,
}

const WORKGROUP: u32 = 64;

impl GpuWl {
    /// Compiles `shaders/wl_hash.wgsl`.
    pub fn new(ctx: &Arc<GpuContext>) -> GpuWl {
        let module = ctx.shader("wl_hash", include_str!("../../shaders/wl_hash.wgsl"));
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("wl_hash"),
                entries: &(0..5u32)
                    .map(|binding| wgpu::BindGroupLayoutEntry {
                        binding,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: wgpu::BindingType::Buffer {
                            ty: match binding {
                                0 => wgpu::BufferBindingType::Uniform,
                                1 | 2 => wgpu::BufferBindingType::Storage { read_only: true },
                                _ => wgpu::BufferBindingType::Storage { read_only: false },
                            },
                            has_dynamic_offset: false,
                            min_binding_size: None,
                        },
                        count: None,
                    })
                    .collect::<Vec<_>>(),
            });
        let pl = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("wl_hash"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let make = |entry: &str| {
            ctx.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
        };
        let (mix, step) = (make("wl_mix"), make("wl_step"));
        let (count, count_layout) = ctx.pipeline(
            "wl_count",
            include_str!("../../shaders/wl_count.wgsl"),
            "wl_count",
        );
        // Keep one batch's labels under 256 MiB (and the binding limit) so memory stays bounded.
        let max_labels = (ctx.max_binding().min(256 << 20)) / 8;
        GpuWl {
            ctx: ctx.clone(),
            mix,
            step,
            layout,
            count,
            count_layout,
            host_counting: ctx.is_software(),
            buffers: None,
            max_labels,
            max_groups_x: ctx.limits.max_compute_workgroups_per_dimension.max(1),
        }
    }

    /// Lowers the batch and dispatch limits, so tests can exercise batch splitting and
    /// 2-D dispatch without millions of nodes.
    #[doc(hidden)]
    pub fn set_limits(&mut self, max_labels: u64, max_groups_x: u32) {
        self.max_labels = max_labels.max(1);
        self.max_groups_x = max_groups_x.max(1);
    }

    /// Where [`GpuWl::features`] counts labels: on the device (the default on hardware
    /// adapters), or on the host from the labels read back (the default on software
    /// adapters such as lavapipe, where "device memory" is host memory and the CPU's
    /// parallel sort counts 2-3x faster than one shader thread per graph).
    pub fn set_host_counting(&mut self, host: bool) {
        self.host_counting = host;
    }

    /// WL features of many graphs, equal to the CPU's bit for bit.
    pub fn features(&mut self, archs: &[Arch], cfg: &WlConfig) -> Result<Vec<Features>> {
        let mut out = Vec::with_capacity(archs.len());
        for range in self.batches(archs, cfg)? {
            let batch = &archs[range];
            let first = self.hash(batch, cfg);
            if self.host_counting {
                out.extend(self.count_on_host(&first, cfg)?);
            } else {
                out.extend(self.count_on_device(&first, cfg).read(&self.ctx)?);
            }
        }
        Ok(out)
    }

    /// WL features of many graphs, hashed and counted on the device and left there: one
    /// [`DeviceFeatures`] per batch that fits the buffer limits, in order.
    pub fn resident(&mut self, archs: &[Arch], cfg: &WlConfig) -> Result<Vec<DeviceFeatures>> {
        let mut out = Vec::new();
        for range in self.batches(archs, cfg)? {
            let first = self.hash(&archs[range], cfg);
            out.push(self.count_on_device(&first, cfg));
        }
        Ok(out)
    }

    /// Splits `archs` into batches whose labels (nodes x (h + 1)) fit the buffer limits.
    fn batches(&self, archs: &[Arch], cfg: &WlConfig) -> Result<Vec<std::ops::Range<usize>>> {
        if cfg.h > MAX_H {
            return Err(Error::Config(format!("WL depth {} above {MAX_H}", cfg.h)));
        }
        let per_label = cfg.h as u64 + 1;
        let mut out = Vec::new();
        let mut start = 0;
        while start < archs.len() {
            let mut nodes = 0u64;
            let mut end = start;
            while end < archs.len()
                && (nodes + archs[end].node_count() as u64) * per_label <= self.max_labels
            {
                nodes += archs[end].node_count() as u64;
                end += 1;
            }
            if end == start {
                return Err(Error::Config(format!(
                    "graph {start} has {} nodes: too large for the GPU's buffer limits",
                    archs[start].node_count()
                )));
            }
            out.push(start..end);
            start = end;
        }
        Ok(out)
    }

    fn ensure(&mut self, bytes: [u64; 4]) -> [wgpu::Buffer; 4] {
        let need = bytes.iter().copied().max().unwrap_or(4).max(16);
        if self.buffers.as_ref().is_none_or(|(cap, _)| *cap < need) {
            let cap = need
                .next_power_of_two()
                .min(self.ctx.max_binding().max(need));
            let mk = |label| {
                self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: cap,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_DST
                        | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                })
            };
            self.buffers = Some((
                cap,
                [mk("nb_offsets"), mk("nb_list"), mk("labels"), mk("mixed")],
            ));
        }
        self.buffers.as_ref().expect("just made").1.clone()
    }

    /// Hashes one batch on the device, leaving every node's labels of every iteration in
    /// the labels buffer; returns each graph's first node (plus the total).
    fn hash(&mut self, archs: &[Arch], cfg: &WlConfig) -> Vec<usize> {
        let Packed {
            first,
            offsets,
            mut list,
            l0,
        } = pack(archs, cfg.direction);
        let n = l0.len() as u64;
        let levels = cfg.h as u64 + 1;
        if list.is_empty() {
            list.push(0); // bindings may not be empty
        }
        let ctx = self.ctx.clone();
        let bufs = self.ensure([
            offsets.len() as u64 * 4,
            list.len() as u64 * 4,
            n * levels * 8,
            n * 8,
        ]);
        ctx.queue
            .write_buffer(&bufs[0], 0, bytemuck::cast_slice(&offsets));
        ctx.queue
            .write_buffer(&bufs[1], 0, bytemuck::cast_slice(&list));
        ctx.queue
            .write_buffer(&bufs[2], 0, bytemuck::cast_slice(&l0));
        let (gx, gy) = super::grid((n as u32).div_ceil(WORKGROUP), self.max_groups_x);
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        let mut uniforms = Vec::new();
        for it in 1..=cfg.h as u32 {
            let p = Params {
                nodes: n as u32,
                iteration: it,
                prev_offset: (it - 1) * n as u32,
                next_offset: it * n as u32,
            };
            let ub = ctx.uniform("wl params", &p);
            let bg = ctx.bind_buffers(
                "wl",
                &self.layout,
                &[&ub, &bufs[0], &bufs[1], &bufs[2], &bufs[3]],
            );
            for pipeline in [&self.mix, &self.step] {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
            uniforms.push(ub);
        }
        ctx.queue.submit([enc.finish()]);
        first
    }

    /// Counts the hashed batch on the device (`wl_count.wgsl`), into fresh buffers.
    fn count_on_device(&self, first: &[usize], cfg: &WlConfig) -> DeviceFeatures {
        let ctx = &self.ctx;
        let bufs = &self.buffers.as_ref().expect("hashed first").1;
        let graphs = first.len() - 1;
        let n = first[graphs] as u64;
        let levels = cfg.h as u64 + 1;
        let slots = (n * levels) as usize;
        let out = DeviceFeatures {
            ranges: ctx.output("feature ranges", graphs as u64 * 8),
            labels: ctx.output("feature labels", slots as u64 * 8),
            counts: ctx.output("feature counts", slots as u64 * 4),
            len: graphs,
            slots,
            self_k: Default::default(),
        };
        let first: Vec<u32> = first.iter().map(|&f| f as u32).collect();
        let first = ctx.storage("first node", bytemuck::cast_slice(&first));
        let cp = CountParams {
            graphs: graphs as u32,
            nodes: n as u32,
            levels: levels as u32,
            pad: 0,
        };
        let ub = ctx.uniform("wl_count params", &cp);
        let bg = ctx.bind_buffers(
            "wl_count",
            &self.count_layout,
            &[&ub, &bufs[2], &first, &out.labels, &out.counts, &out.ranges],
        );
        let groups = super::grid((graphs as u32).div_ceil(WORKGROUP), self.max_groups_x);
        ctx.dispatch(&self.count, &bg, groups);
        out
    }

    /// Reads the hashed batch's labels back and counts each graph's on the host, in
    /// parallel (sort and run-length encoding, as the CPU path).
    fn count_on_host(&self, first: &[usize], cfg: &WlConfig) -> Result<Vec<Features>> {
        let bufs = &self.buffers.as_ref().expect("hashed first").1;
        let graphs = first.len() - 1;
        let n = first[graphs];
        let levels = cfg.h + 1;
        let bytes = self
            .ctx
            .read_back(&bufs[2], (n * levels * 8) as u64)
            .map_err(gpu_err)?;
        let labels: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        Ok((0..graphs)
            .into_par_iter()
            .map(|g| {
                let (s, e) = (first[g], first[g + 1]);
                let mut all: Vec<u64> = (0..levels)
                    .flat_map(|it| labels[it * n + s..it * n + e].iter().copied())
                    .collect();
                Features::from_labels(&mut all)
            })
            .collect())
    }
}

/// A batch packed for upload: CSR neighbour lists over batch-global node ids.
struct Packed {
    /// First node of each graph, plus the total.
    first: Vec<usize>,
    /// CSR row pointers, nodes + 1 entries.
    offsets: Vec<u32>,
    /// Neighbours of every node.
    list: Vec<u32>,
    /// Iteration-0 label of every node, as (low, high) words.
    l0: Vec<[u32; 2]>,
}

/// Packs graphs in parallel: chunks are packed with chunk-local ids, then concatenated
/// with their node and edge offsets added.
fn pack(archs: &[Arch], dir: Direction) -> Packed {
    const CHUNK: usize = 2048;
    let parts: Vec<Packed> = archs
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut p = Packed {
                first: Vec::with_capacity(chunk.len()),
                offsets: Vec::new(),
                list: Vec::new(),
                l0: Vec::new(),
            };
            let mut cache: HashMap<&str, u64> = HashMap::new();
            for a in chunk {
                let base = p.l0.len() as u32;
                p.first.push(base as usize);
                for v in 0..a.node_count() {
                    if matches!(dir, Direction::In | Direction::Both) {
                        p.list.extend(a.predecessors(v).map(|u| base + u as u32));
                    }
                    if matches!(dir, Direction::Out | Direction::Both) {
                        p.list.extend(a.successors(v).map(|u| base + u as u32));
                    }
                    p.offsets.push(p.list.len() as u32);
                    let l = *cache
                        .entry(a.label(v))
                        .or_insert_with(|| initial_label(a.label(v)));
                    p.l0.push([l as u32, (l >> 32) as u32]);
                }
            }
            p
        })
        .collect();
    let nodes: usize = parts.iter().map(|p| p.l0.len()).sum();
    let edges: usize = parts.iter().map(|p| p.list.len()).sum();
    let mut out = Packed {
        first: Vec::with_capacity(archs.len() + 1),
        offsets: Vec::with_capacity(nodes + 1),
        list: Vec::with_capacity(edges),
        l0: Vec::with_capacity(nodes),
    };
    out.offsets.push(0);
    for p in parts {
        let (nb, eb) = (out.l0.len(), out.list.len() as u32);
        out.first.extend(p.first.iter().map(|f| f + nb));
        out.offsets.extend(p.offsets.iter().map(|o| o + eb));
        out.list.extend(p.list.iter().map(|u| u + nb as u32));
        out.l0.extend_from_slice(&p.l0);
    }
    out.first.push(out.l0.len());
    out
}
