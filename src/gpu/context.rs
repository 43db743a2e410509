//! One wgpu instance, adapter, device and queue per process, with the adapter's own
//! limits (the default 128 MiB storage binding is far too small for big batches).

use crate::error::Error;
use std::fmt::Write;

/// The device, its queue and what the adapter is.
pub struct GpuContext {
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Name, backend and driver of the adapter.
    pub info: wgpu::AdapterInfo,
    /// The limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
}

/// Backends: `WGPU_BACKEND` (e.g. `vulkan`, `metal`, `dx12`) when set, else the primary ones.
fn backends() -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY)
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backends(),
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    })
}

impl GpuContext {
    /// Requests the highest-performance adapter and a device with its full limits.
    pub fn new() -> Result<GpuContext, String> {
        let instance = instance();
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| e.to_string())?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("wlgp"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| format!("{} ({:?}): {e}", info.name, info.backend))?;
        Ok(GpuContext {
            device,
            queue,
            info,
            limits,
        })
    }

    /// Whether the adapter is a software rasteriser on the CPU (lavapipe, WARP, ...).
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// "name (backend, driver)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}{})",
            self.info.name,
            self.info.backend,
            if self.info.driver.is_empty() {
                String::new()
            } else {
                format!(", {}", self.info.driver)
            }
        )
    }

    /// Largest storage buffer binding, in bytes.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// Compiles a shader from `shaders/`, prefixed with the shared 64-bit helpers and
    /// acquisition functions.
    pub(crate) fn shader(&self, name: &str, body: &str) -> wgpu::ShaderModule {
        let src = format!(
            "{}\n{}\n{}",
            include_str!("../../shaders/u64.wgsl"),
            include_str!("../../shaders/acquisition.wgsl"),
            body
        );
        self.device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            })
    }

    /// Compiles a shader and builds the compute pipeline of one entry point, with the
    /// bind-group layout naga derives from the shader's bindings.
    pub(crate) fn pipeline(
        &self,
        name: &str,
        body: &str,
        entry: &str,
    ) -> (wgpu::ComputePipeline, wgpu::BindGroupLayout) {
        let module = self.shader(name, body);
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        (pipeline, layout)
    }

    /// Binds buffers to bindings 0, 1, 2, ... of a layout, in order (every wlgp shader
    /// numbers its bindings that way).
    pub(crate) fn bind_buffers(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let numbered: Vec<(u32, &wgpu::Buffer)> = buffers
            .iter()
            .enumerate()
            .map(|(i, &b)| (i as u32, b))
            .collect();
        self.bind_entries(label, layout, &numbered)
    }

    /// Binds `(binding, buffer)` pairs: for an entry point that uses some of a shader's
    /// bindings only.
    pub(crate) fn bind_entries(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[(u32, &wgpu::Buffer)],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .map(|&(i, b)| wgpu::BindGroupEntry {
                binding: i,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout,
            entries: &entries,
        })
    }

    /// A read-only storage buffer holding `data` (at least 16 bytes, as bindings need).
    pub(crate) fn storage(&self, label: &str, data: &[u8]) -> wgpu::Buffer {
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (data.len() as u64).max(16).next_multiple_of(4),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&b, 0, data);
        b
    }

    /// A storage buffer of `size` bytes (at least 16) that shaders write and the host
    /// reads back.
    pub(crate) fn output(&self, label: &str, size: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(16),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    /// Submits one dispatch of `pipeline` over `(x, y)` workgroups, `bind_group` at group 0.
    pub(crate) fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        (x, y): (u32, u32),
    ) {
        let mut enc = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.queue.submit([enc.finish()]);
    }

    /// A uniform buffer holding `value`.
    pub(crate) fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: std::mem::size_of::<T>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&b, 0, bytemuck::bytes_of(value));
        b
    }

    /// Blocks until the queue is idle.
    pub(crate) fn wait(&self) -> Result<(), String> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Copies `size` bytes of `src` to a fresh mappable buffer and reads them back.
    pub(crate) fn read_back(&self, src: &wgpu::Buffer, size: u64) -> Result<Vec<u8>, String> {
        if size == 0 {
            return Ok(Vec::new());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(src, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let out = staging
            .get_mapped_range(..)
            .map_err(|e| e.to_string())?
            .to_vec();
        staging.unmap();
        Ok(out)
    }
}

/// Every adapter wgpu can see, one line each (for `wlgp device`).
pub fn adapter_report() -> String {
    let instance = instance();
    let adapters = pollster::block_on(instance.enumerate_adapters(backends()));
    let mut s = String::new();
    if adapters.is_empty() {
        s.push_str("no GPU adapter found\n");
    }
    for a in adapters {
        let i = a.get_info();
        let l = a.limits();
        let _ = writeln!(
            s,
            "{} | backend {:?} | type {:?} | driver {} {} | max storage binding {} MiB | max buffer {} MiB",
            i.name,
            i.backend,
            i.device_type,
            i.driver,
            i.driver_info,
            l.max_storage_buffer_binding_size / (1 << 20),
            l.max_buffer_size / (1 << 20)
        );
    }
    s
}

impl GpuContext {
    /// Runs `shaders/mix64_check.wgsl` on `inputs`: returns `(mix64(x_i), x_i + x_{i+1})`
    /// as the GPU computes them, for checking against the Rust reference.
    pub fn check_u64(&self, inputs: &[u64]) -> Result<(Vec<u64>, Vec<u64>), String> {
        let (pipeline, layout) = self.pipeline(
            "mix64_check",
            include_str!("../../shaders/mix64_check.wgsl"),
            "check",
        );
        let bytes = (inputs.len() as u64 * 8).max(16);
        let mk = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: bytes,
                usage,
                mapped_at_creation: false,
            })
        };
        let rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let (inp, mixed, sums) = (
            mk(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST),
            mk(rw),
            mk(rw),
        );
        self.queue
            .write_buffer(&inp, 0, bytemuck::cast_slice(inputs));
        let bg = self.bind_buffers("mix64_check", &layout, &[&inp, &mixed, &sums]);
        let mut enc = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups((inputs.len() as u32).div_ceil(64), 1, 1);
        }
        self.queue.submit([enc.finish()]);
        let n = inputs.len() as u64 * 8;
        let m = bytemuck::pod_collect_to_vec(&self.read_back(&mixed, n)?);
        let s = bytemuck::pod_collect_to_vec(&self.read_back(&sums, n)?);
        Ok((m, s))
    }

    /// Runs `shaders/acquisition_check.wgsl` on `(u, mean, sd, best)` inputs: returns
    /// `(ln_tau(u), ln_norm_cdf(u), EI bound, PI bound)` as the GPU computes them in f32,
    /// for checking against the f64 reference.
    pub fn check_acquisition(&self, inputs: &[[f32; 4]]) -> Result<Vec<[f32; 4]>, String> {
        let (pipeline, layout) = self.pipeline(
            "acquisition_check",
            include_str!("../../shaders/acquisition_check.wgsl"),
            "check",
        );
        let bytes = inputs.len() as u64 * 16;
        let inp = self.storage("acquisition inputs", bytemuck::cast_slice(inputs));
        let out = self.output("acquisition outputs", bytes);
        let bg = self.bind_buffers("acquisition_check", &layout, &[&inp, &out]);
        self.dispatch(&pipeline, &bg, ((inputs.len() as u32).div_ceil(64), 1));
        Ok(bytemuck::pod_collect_to_vec(&self.read_back(&out, bytes)?))
    }
}

/// A device failure (a read-back, a mapping) as the engine's error.
pub(crate) fn gpu_err(e: String) -> Error {
    Error::Config(format!("GPU: {e}"))
}
