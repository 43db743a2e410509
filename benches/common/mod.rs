//! Shared inputs of the benches: lowered graphs of real spaces, made once.

use rand::SeedableRng;
use wlgp::graph::Arch;
use wlgp::space::{DartsSpace, Nb201Space, Sampler};

/// `n` random cells of a space, lowered to graphs.
pub fn graphs<S: Sampler>(space: &S, n: usize, seed: u64) -> Vec<Arch> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| space.lower(&space.sample(&mut rng)))
        .collect()
}

/// The two spaces the benches cover: small NB201 cells and large two-cell DARTS genotypes.
pub fn spaces(n: usize) -> [(&'static str, Vec<Arch>); 2] {
    [
        ("nb201", graphs(&Nb201Space::default(), n, 1)),
        ("darts", graphs(&DartsSpace::default(), n, 2)),
    ]
}

/// A rayon pool with one thread, for the single-thread reference.
pub fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
}

/// The GPU engine when an adapter exists (lavapipe counts), for the GPU rows.
pub fn gpu() -> Option<wlgp::gpu::Engine> {
    match wlgp::gpu::Engine::new(wlgp::gpu::DeviceChoice::Gpu) {
        Ok(e) => {
            eprintln!("GPU rows on {}", e.name());
            Some(e)
        }
        Err(e) => {
            eprintln!("no GPU rows: {e}");
            None
        }
    }
}
