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
    #[arg(short = 'n', long = "n", required_unless_present = "count")]
    n: Option<usize>,
    /// Print the space's size instead: its architectures (choice vectors, exactly) and,
    /// where the space can be listed, how many distinct lowered graphs they give.
    #[arg(long)]
    count: bool,
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
    for _ in 0..a.n.unwrap_or(0) {
        s += &space.format(&space.sample(&mut rng));
        s.push('\n');
    }
    super::out(&s)
}

pub(crate) fn sample(a: &SampleArgs) -> Result<()> {
    let space = a.space.sampler(true, a.proteins)?;
    if a.count {
        return count(&space);
    }
    write(&space, a)
}

/// `--count`: the size, and the distinct lowered graphs where the space can be listed.
fn count<S: Sampler>(space: &S) -> Result<()> {
    let size = space
        .size()
        .map_or("more than 2^128".to_string(), |n| n.to_string());
    let graphs = match wlgp::space::count_graphs(space) {
        Some((_, g)) => g.to_string(),
        None => "unknown (too many architectures to list)".to_string(),
    };
    super::out(&format!(
        "space           {}
architectures   {size}
distinct graphs {graphs}
",
        space.name()
    ))
}
