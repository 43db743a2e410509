//! `wlgp bench`: throughput of WL features and kernel matrices on this machine, CPU (one
//! thread, all threads) and GPU measured in the same run.

use clap::Args;
use rand::SeedableRng;
use wlgp::error::{Error, Result};
use wlgp::gpu::{DeviceChoice, Engine};
use wlgp::graph::Arch;
use wlgp::kernel::BaseKernel;
use wlgp::space::{DartsSpace, Nb201Space, Sampler};
use wlgp::wl::{Direction, WlConfig};

use super::bench_row::{best_of, Row};

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Graphs per WL batch.
    #[arg(long, default_value_t = 100_000)]
    graphs: usize,
    /// Training-set rows of the kernel matrix.
    #[arg(long, default_value_t = 1_000)]
    train: usize,
    /// Candidate columns of the kernel matrix.
    #[arg(long, default_value_t = 10_000)]
    candidates: usize,
    /// Graphs of the graph-kernel rows (hashed, counted and multiplied: an n x n matrix).
    #[arg(long, default_value_t = 2_000)]
    kernel_graphs: usize,
    /// WL depth.
    #[arg(long, default_value_t = 3)]
    h: usize,
    /// Timed repetitions (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Skip the single-thread CPU rows (they are the slowest).
    #[arg(long)]
    no_single_thread: bool,
    /// Training sizes of the function- vs weight-space posterior rows.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,4000")]
    score_sizes: Vec<usize>,
    /// Sampled candidates of the end-to-end scoring rows.
    #[arg(long, default_value_t = 1_000_000)]
    score_candidates: u64,
    /// Also write the JSON report to this file (the table still goes to stdout).
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
    /// Training sizes of the end-to-end scoring rows (NB201 and DARTS, CPU and GPU).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    end_to_end_sizes: Vec<usize>,
    /// Skip the scoring rows.
    #[arg(long)]
    no_score: bool,
    /// Also time end-to-end scoring on the concrete space types (CPU), beside the
    /// run-time space (`AnySampler`) that `wlgp score` uses: the enum's cost, same run.
    #[arg(long)]
    concrete: bool,
    /// Also time declared spaces: the nb201 space file against `--space nb201` (sample,
    /// lower, WL hash) and end-to-end scoring of the MobileNetV3 chain at n = 1,000.
    #[arg(long)]
    declared: bool,
    /// Skip the semi-supervised assessor rows (kNN graph and assessor fit on all of NB201).
    #[arg(long)]
    no_assessor: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn graphs<S: Sampler>(s: &S, n: usize, seed: u64) -> Vec<Arch> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| s.lower(&s.sample(&mut rng))).collect()
}

pub(crate) fn bench(a: &BenchArgs, device: DeviceChoice) -> Result<()> {
    let gpu = match device {
        DeviceChoice::Cpu => None,
        d => match Engine::new(d)? {
            Engine::Cpu => None,
            e => Some(e),
        },
    };
    let cpu = Engine::Cpu;
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| wlgp::Error::Config(e.to_string()))?;
    let threads = rayon::current_num_threads();
    let cfg = WlConfig {
        h: a.h,
        direction: Direction::Both,
    };
    let mut rows = Vec::new();
    let spaces: [(&'static str, Vec<Arch>); 2] = [
        ("nb201", graphs(&Nb201Space::default(), a.graphs, 1)),
        ("darts", graphs(&DartsSpace::default(), a.graphs, 2)),
    ];
    for (space, archs) in &spaces {
        let mut engines: Vec<(String, &Engine, bool)> = Vec::new();
        if !a.no_single_thread {
            engines.push(("cpu, 1 thread".into(), &cpu, true));
        }
        engines.push((format!("cpu, {threads} threads"), &cpu, false));
        if let Some(g) = &gpu {
            engines.push((g.name(), g, false));
        }
        let feats = cpu.features(archs, &cfg)?;
        let train = &feats[..a.train.min(feats.len())];
        let cands = &feats[..a.candidates.min(feats.len())];
        let few = &archs[..a.kernel_graphs.min(archs.len())];
        let (nk, ng) = (
            (train.len() * cands.len()) as u64,
            (few.len() * few.len()) as u64,
        );
        for (name, e, one) in &engines {
            // Times `job` on this engine (on one thread for the single-thread rows).
            let mut measure =
                |task: String, items: u64, unit, job: &(dyn Fn() -> Result<()> + Sync)| {
                    let s = best_of(a.repeats, || if *one { single.install(job) } else { job() })?;
                    rows.push(Row::new(task, space, name.clone(), items, s, unit));
                    Ok::<(), Error>(())
                };
            measure(
                format!("WL features h={}", a.h),
                archs.len() as u64,
                "graphs/s",
                &|| e.features(archs, &cfg).map(drop),
            )?;
            measure(
                format!("kernel {}x{}", train.len(), cands.len()),
                nk,
                "entries/s",
                &|| e.kernel_raw(train, cands, BaseKernel::Dot).map(drop),
            )?;
            measure(
                format!("graph kernel {0}x{0} (WL, counts, entries)", few.len()),
                ng,
                "entries/s",
                &|| e.graph_kernel(few, None, &cfg, BaseKernel::Dot).map(drop),
            )?;
        }
    }
    if !a.no_score {
        let ctx = match &gpu {
            Some(Engine::Gpu { ctx, .. }) => Some(ctx),
            _ => None,
        };
        rows.extend(super::bench_score::rows(
            &a.score_sizes,
            &a.end_to_end_sizes,
            a.score_candidates,
            a.repeats,
            ctx,
            a.concrete,
        )?);
    }
    if a.declared {
        let ctx = match &gpu {
            Some(Engine::Gpu { ctx, .. }) => Some(ctx),
            _ => None,
        };
        rows.extend(super::bench_declared::rows(
            a.graphs,
            a.h,
            a.score_candidates,
            a.repeats,
            ctx,
        )?);
    }
    if !a.no_assessor {
        rows.extend(super::bench_assess::rows(a.repeats, gpu.as_ref())?);
    }
    let v = serde_json::json!({
        "machine": machine(),
        "cpu_threads": threads,
        "gpu": gpu.as_ref().map(|g| g.name()),
        "rows": rows,
    });
    if let Some(p) = &a.json_out {
        std::fs::write(p, v.to_string() + "\n")
            .map_err(|e| Error::io(format!("writing {}", p.display()), e))?;
    }
    if a.json {
        return super::out(&(v.to_string() + "\n"));
    }
    let mut s = format!(
        "machine: {} ({threads} threads); GPU: {}\n| task | space | engine | items | seconds | throughput | vs reference (CPU all threads; function space) |\n|---|---|---|---|---|---|---|\n",
        machine(),
        gpu.as_ref().map_or("none".into(), |g| g.name())
    );
    for r in &rows {
        let reference = rows
            .iter()
            .find(|x| {
                x.task == r.task
                    && x.space == r.space
                    && (x.engine.starts_with("cpu") && !x.engine.contains("1 thread")
                        || x.engine.starts_with("function space"))
            })
            .map_or(f64::NAN, |x| x.per_second);
        s += &format!(
            "| {} | {} | {} | {} | {:.4} | {:.3e} {} | {:.2}x |\n",
            r.task,
            r.space,
            r.engine,
            r.items,
            r.seconds,
            r.per_second,
            r.unit,
            r.per_second / reference
        );
    }
    super::out(&s)
}

/// The CPU model, for reports.
pub(crate) fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
