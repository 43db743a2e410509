//! Parameters and FLOPs of the standard NAS-Bench-201 CIFAR-10 network built from a cell,
//! known exactly without training. The skeleton (Dong and Yang, 2020): a 3x3 stem
//! convolution to C = 16 with batch norm; three stages of five cells at C = 16, 32, 64
//! on 32x32, 16x16 and 8x8 feature maps; between stages a residual reduction block
//! (ReLU-conv3x3-BN with stride 2, ReLU-conv3x3-BN, and a 2x2 average pool with a 1x1
//! convolution as the shortcut); a final batch norm, global pooling and a 10-way linear
//! classifier. Convolutions have no bias; batch norms are affine (2C parameters).
//! FLOPs are multiply-accumulates of convolutions and the classifier, as the benchmark's
//! counter reports them (pooling, batch norm and activations are not counted).

use super::nb201::{Nb201Cell, OPS};

/// Cells per stage.
const CELLS: u64 = 5;
/// Channels and feature-map side of each stage.
const STAGES: [(u64, u64); 3] = [(16, 32), (32, 16), (64, 8)];

/// Parameters of everything but the cells: stem, two reduction blocks, final batch norm
/// and classifier (0.073306 M, the benchmark's smallest network).
fn skeleton_params() -> u64 {
    let stem = 3 * 16 * 9 + 2 * 16;
    let reduction = |c_in: u64, c: u64| (c_in * c * 9 + 2 * c) + (c * c * 9 + 2 * c) + c_in * c;
    stem + reduction(16, 32) + reduction(32, 64) + 2 * 64 + (64 * 10 + 10)
}

/// FLOPs of everything but the cells (7.78305 M).
fn skeleton_flops() -> u64 {
    let stem = 3 * 16 * 9 * 32 * 32;
    // Stride-2 conv onto a side s map, conv at side s, 1x1 shortcut at side s.
    let reduction = |c_in: u64, c: u64, s: u64| (c_in * c * 9 + c * c * 9 + c_in * c) * s * s;
    stem + reduction(16, 32, 16) + reduction(32, 64, 8) + (64 * 10 + 10)
}

/// Kernel side of an operation's convolution, if it has one.
fn kernel(op: u8) -> Option<u64> {
    match OPS[op as usize] {
        "nor_conv_1x1" => Some(1),
        "nor_conv_3x3" => Some(3),
        _ => None,
    }
}

/// Parameters of the network, in millions.
pub fn params_m(cell: &Nb201Cell) -> f64 {
    let cells: u64 = STAGES
        .iter()
        .map(|&(c, _)| {
            cell.iter()
                .filter_map(|&op| kernel(op))
                .map(|k| k * k * c * c + 2 * c)
                .sum::<u64>()
                * CELLS
        })
        .sum();
    (skeleton_params() + cells) as f64 / 1e6
}

/// FLOPs (multiply-accumulates) of one forward pass of a 32x32 image, in millions.
pub fn flops_m(cell: &Nb201Cell) -> f64 {
    let cells: u64 = STAGES
        .iter()
        .map(|&(c, s)| {
            cell.iter()
                .filter_map(|&op| kernel(op))
                .map(|k| k * k * c * c * s * s)
                .sum::<u64>()
                * CELLS
        })
        .sum();
    (skeleton_flops() + cells) as f64 / 1e6
}

/// Objectives of a space that are computed from the cell, not measured.
pub trait ComputedCosts: super::Space {
    /// The names of the computed costs.
    fn cost_names(&self) -> Vec<&str> {
        Vec::new()
    }
    /// The cost `name` of a cell, if the space computes it.
    fn cost(&self, _name: &str, _cell: &Self::Cell) -> Option<f64> {
        None
    }
    /// The range `(min, max)` of the cost `name` over the whole space, where it is known:
    /// what lets multi-objective search see past the evaluated costs.
    fn cost_range(&self, _name: &str) -> Option<(f64, f64)> {
        None
    }
}

impl ComputedCosts for super::Nb201Space {
    fn cost_names(&self) -> Vec<&str> {
        vec!["params", "flops"]
    }

    /// `params` (millions of parameters) and `flops` (millions of FLOPs) of the CIFAR-10
    /// network.
    fn cost(&self, name: &str, cell: &Nb201Cell) -> Option<f64> {
        match name {
            "params" => Some(params_m(cell)),
            "flops" => Some(flops_m(cell)),
            _ => None,
        }
    }

    /// Both costs are sums over the edges, each edge's least with a parameter-free
    /// operation and greatest with a 3x3 convolution.
    fn cost_range(&self, name: &str) -> Option<(f64, f64)> {
        let (free, conv3) = ([0u8; 6], [3u8; 6]);
        Some((self.cost(name, &free)?, self.cost(name, &conv3)?))
    }
}

impl ComputedCosts for super::NbGraphSpace {}
impl ComputedCosts for super::Nb101Space {}
impl ComputedCosts for super::DartsSpace {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmarks_published_extremes() {
        let free = [0u8, 1, 4, 0, 1, 4]; // none, skip, pool: no parameters
        let conv3 = [3u8; 6];
        assert!(
            (params_m(&free) - 0.073306).abs() < 1e-9,
            "{}",
            params_m(&free)
        );
        assert!(
            (params_m(&conv3) - 1.531546).abs() < 1e-9,
            "{}",
            params_m(&conv3)
        );
        assert!(
            (flops_m(&free) - 7.78305).abs() < 1e-9,
            "{}",
            flops_m(&free)
        );
        assert!(
            (flops_m(&conv3) - 220.11969).abs() < 1e-9,
            "{}",
            flops_m(&conv3)
        );
        // A 1x1 convolution costs a ninth of a 3x3 one in the cells (plus its batch norm).
        let one = [2u8, 0, 0, 0, 0, 0];
        let per_edge: f64 =
            5.0 * (16.0f64.powi(2) + 32.0 + 32.0f64.powi(2) + 64.0 + 64.0f64.powi(2) + 128.0) / 1e6;
        assert!((params_m(&one) - 0.073306 - per_edge).abs() < 1e-9);
    }

    #[test]
    fn the_ranges_are_the_spaces_extremes() {
        use crate::space::{Nb201Space, Sampler};
        let space = Nb201Space::default();
        for name in ["params", "flops"] {
            let all: Vec<f64> = space
                .enumerate()
                .unwrap()
                .iter()
                .map(|c| space.cost(name, c).unwrap())
                .collect();
            let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(space.cost_range(name), Some((lo, hi)), "{name}");
        }
        assert_eq!(space.cost_range("latency"), None);
    }
}
