//! `wlgp kernel`: the WL kernel matrix of architectures read on stdin.

use clap::Args;
use std::io::Read;
use wlgp::error::{Error, Result};
use wlgp::gpu::{DeviceChoice, Engine};
use wlgp::kernel::BaseKernel;
use wlgp::space::{Space, SpaceName};
use wlgp::wl::{Direction, WlConfig, MAX_H};

#[derive(Args, Debug)]
pub(crate) struct KernelArgs {
    /// The space of the input architectures.
    #[arg(long, value_parser = crate::space_name)]
    space: SpaceName,
    /// WL depth.
    #[arg(long, default_value_t = 2)]
    h: usize,
    /// Normalise to unit self-similarity (floats); raw counts are exact integers.
    #[arg(long)]
    normalize: bool,
    /// Which neighbours WL aggregates.
    #[arg(long, value_parser = crate::named::<Direction>(), default_value_t = Direction::Both)]
    direction: Direction,
    /// Base kernel on the motif counts.
    #[arg(long, value_parser = crate::named::<BaseKernel>(), default_value_t = BaseKernel::Dot)]
    base_kernel: BaseKernel,
    /// How skip connections are lowered (NB201 and DARTS).
    #[arg(long, value_enum, default_value_t = super::SkipArg::Wire)]
    skip: super::SkipArg,
    /// For nbgraph: the proteins op set.
    #[arg(long)]
    proteins: bool,
}

/// Parses non-empty lines into cells, naming the line of the first bad one.
pub(crate) fn parse_cells<S: Space>(space: &S, text: &str) -> Result<Vec<S::Cell>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(space.parse(line).map_err(|e| Error::Line {
            line: i + 1,
            source: Box::new(e),
        })?);
    }
    if out.is_empty() {
        return Err(Error::Empty("no architectures on stdin".into()));
    }
    Ok(out)
}

/// Parses non-empty lines into graphs, naming the line of the first bad one.
pub(crate) fn parse_lines<S: Space>(space: &S, text: &str) -> Result<Vec<wlgp::graph::Arch>> {
    Ok(parse_cells(space, text)?
        .iter()
        .map(|c| space.lower(c))
        .collect())
}

fn run<S: Space>(space: &S, a: &KernelArgs, text: &str, device: DeviceChoice) -> Result<String> {
    let archs = parse_lines(space, text)?;
    // Input is checked before any GPU work starts.
    let engine = Engine::new(device)?;
    let cfg = WlConfig {
        h: a.h,
        direction: a.direction,
    };
    // Hashed, counted and multiplied on one device: on the GPU only the entries come back.
    let (raw, norm) = engine.graph_kernel(&archs, None, &cfg, a.base_kernel)?;
    let n = archs.len();
    let cells: Vec<String> = if a.normalize {
        norm.iter().map(|v| v.to_string()).collect()
    } else {
        raw.iter().map(|v| v.to_string()).collect()
    };
    let mut s = String::with_capacity(cells.len() * 4);
    for row in cells.chunks(n) {
        s += &row.join(",");
        s.push('\n');
    }
    Ok(s)
}

pub(crate) fn kernel(a: &KernelArgs, device: DeviceChoice) -> Result<()> {
    if a.h > MAX_H {
        return Err(Error::Config(format!(
            "--h {} is above the maximum {MAX_H}",
            a.h
        )));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("reading stdin", e))?;
    let space = a.space.space(a.skip.as_wire(), a.proteins)?;
    let s = run(&space, a, &text, device)?;
    super::out(&s)
}
