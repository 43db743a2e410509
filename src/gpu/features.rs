//! WL feature vectors held in GPU memory: what `shaders/wl_count.wgsl` writes and
//! `shaders/kernel.wgsl` reads, so that a kernel matrix of graphs hashed on the device
//! moves only its entries back to the host.

use super::context::gpu_err;
use super::context::GpuContext;
use crate::error::{Error, Result};
use crate::wl::Features;
use std::sync::OnceLock;

/// Sparse feature vectors on the device: vector `i` is `labels[r.0..r.1]` with
/// `counts[r.0..r.1]`, `r = ranges[i]`, labels ascending (as [`Features`]).
pub struct DeviceFeatures {
    /// `[begin, end)` of each vector, as `vec2<u32>`.
    pub(crate) ranges: wgpu::Buffer,
    /// Labels, 64-bit as (low, high) words.
    pub(crate) labels: wgpu::Buffer,
    /// The count of each label.
    pub(crate) counts: wgpu::Buffer,
    /// Number of vectors.
    pub(crate) len: usize,
    /// Entries in `labels` and `counts` (read back in full: ranges may leave gaps).
    pub(crate) slots: usize,
    /// Self-kernels `k(x, x)` as f32, per base kernel (dot, optimal assignment), made by
    /// the kernel shader on first use.
    pub(crate) self_k: [OnceLock<wgpu::Buffer>; 2],
}

impl DeviceFeatures {
    /// Uploads host features in batches whose labels fit one binding of `max_bytes`.
    pub fn upload_batches(
        ctx: &GpuContext,
        xs: &[Features],
        max_bytes: u64,
    ) -> Result<Vec<DeviceFeatures>> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < xs.len() {
            let (mut end, mut bytes) = (start, 0u64);
            while end < xs.len() && bytes + xs[end].labels.len() as u64 * 8 <= max_bytes {
                bytes += xs[end].labels.len() as u64 * 8;
                end += 1;
            }
            if end == start {
                return Err(Error::Config(format!(
                    "feature vector {start} has {} labels: too many for the GPU's buffer limits",
                    xs[start].labels.len()
                )));
            }
            out.push(Self::upload(ctx, &xs[start..end]));
            start = end;
        }
        Ok(out)
    }

    /// Uploads host features, packed without gaps.
    pub fn upload(ctx: &GpuContext, xs: &[Features]) -> DeviceFeatures {
        let mut ranges = Vec::with_capacity(xs.len());
        let mut labels = Vec::new();
        let mut counts = Vec::new();
        for x in xs {
            let begin = labels.len() as u32;
            labels.extend(x.labels.iter().map(|&l| [l as u32, (l >> 32) as u32]));
            counts.extend_from_slice(&x.counts);
            ranges.push([begin, labels.len() as u32]);
        }
        let slots = labels.len();
        DeviceFeatures {
            ranges: ctx.storage("feature ranges", bytemuck::cast_slice(&ranges)),
            labels: ctx.storage("feature labels", bytemuck::cast_slice(&labels)),
            counts: ctx.storage("feature counts", bytemuck::cast_slice(&counts)),
            len: xs.len(),
            slots,
            self_k: Default::default(),
        }
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the vectors back to the host.
    pub fn read(&self, ctx: &GpuContext) -> Result<Vec<Features>> {
        if self.len == 0 {
            return Ok(Vec::new());
        }
        let fetch =
            |b: &wgpu::Buffer, bytes: usize| ctx.read_back(b, bytes as u64).map_err(gpu_err);
        let ranges: Vec<[u32; 2]> =
            bytemuck::pod_collect_to_vec(&fetch(&self.ranges, self.len * 8)?);
        let labels: Vec<[u32; 2]> =
            bytemuck::pod_collect_to_vec(&fetch(&self.labels, self.slots * 8)?);
        let counts: Vec<u32> = bytemuck::pod_collect_to_vec(&fetch(&self.counts, self.slots * 4)?);
        Ok(ranges
            .iter()
            .map(|&[b, e]| {
                let (b, e) = (b as usize, e as usize);
                Features {
                    labels: labels[b..e]
                        .iter()
                        .map(|w| w[0] as u64 | (w[1] as u64) << 32)
                        .collect(),
                    counts: counts[b..e].to_vec(),
                }
            })
            .collect())
    }
}
