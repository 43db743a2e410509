//! `wlgp sample`: random architectures in a space's string form.

use clap::Args;
use rand::SeedableRng;
use wlgp::error::Result;
use wlgp::space::{Sampler, SpaceName};

#[derive(Args, Debug)]
pub(crate) struct SampleArgs {
    /// The space to sample from.
    #[arg(long, value_parser = crate::space_name)]
    space: SpaceName,
    /// How many architectures.
    #[arg(short = 'n', long = "n")]
    n: usize,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// For nbgraph: use the proteins op set.
    #[arg(long)]
    proteins: bool,
}

fn write<S: Sampler>(space: &S, a: &SampleArgs) -> Result<()> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    let mut s = String::new();
    for _ in 0..a.n {
        s += &space.format(&space.sample(&mut rng));
        s.push('\n');
    }
    super::out(&s)
}

pub(crate) fn sample(a: &SampleArgs) -> Result<()> {
    write(&a.space.sampler(true, a.proteins)?, a)
}
