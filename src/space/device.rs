//! What the device-resident scorer (`shaders/pipeline.wgsl`) needs to know of an
//! edge-cell space (NAS-Bench-201, DARTS) to build candidates itself: a fixed-size code
//! per cell, the WL labels of its nodes, and a counter-based sampler whose draws depend
//! only on `(seed, stream position)`, so that a GPU thread and the CPU twin here give the
//! same cell for the same position, in any order.
//!
//! The sampler: `key = mix64(seed)`, `base = mix64(key + position * G)` and the `j`-th
//! draw (from 0) is `mix64(base + (j + 1) * G)` with `G` the golden gamma; a draw below
//! `n` is the high 32 bits times `n`, shifted right by 32 (Lemire's multiply-shift, bias
//! below `n / 2^32`). Everything wraps at 64 bits.

use crate::wl::mix64;

/// Golden gamma of splitmix64.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The shader's space code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// NAS-Bench-201: code `[index, 0, 0, 0]` with the index as in `Nb201Space::from_index`.
    Nb201 = 0,
    /// DARTS: per half (normal, reduce) two words; edge `k` is `op | input << 3` at bits
    /// `6 (k mod 4)` of word `k / 4`, and the concat mask (nodes 2..=5) at bits 24..28 of
    /// the first word.
    Darts = 1,
}

/// An edge-cell space as the device pipeline reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpace {
    /// Which cell layout.
    pub kind: DeviceKind,
    /// Whether `skip_connect` is lowered to a wire.
    pub skip_as_wire: bool,
    /// Operation index of `none` (dropped edges).
    pub none_op: u32,
    /// Operation index of `skip_connect`.
    pub skip_op: u32,
    /// Iteration-0 labels: operations of the first half `[0, 8)`, of the second half
    /// `[8, 16)`, inputs of the first half `[16, 18)`, of the second `[18, 20)`, the output
    /// `20` and a dead input `21` (unused entries are 0).
    pub labels: [u64; 22],
}

/// A stream of counter-based draws for one candidate.
pub struct CounterDraws {
    base: u64,
    next: u64,
}

impl CounterDraws {
    /// The draws of stream position `index` under `seed`.
    pub fn new(seed: u64, index: u64) -> Self {
        CounterDraws {
            base: mix64(mix64(seed).wrapping_add(index.wrapping_mul(GOLDEN))),
            next: 0,
        }
    }

    /// The next draw, uniform on `0..n` (`n` below 2^32).
    pub fn below(&mut self, n: u32) -> u32 {
        self.next = self.next.wrapping_add(GOLDEN);
        let x = mix64(self.base.wrapping_add(self.next));
        (((x >> 32) * n as u64) >> 32) as u32
    }
}

/// The slot of a code in the device's open-addressing set of excluded cells (a 32-bit
/// mix of the four words; the shader computes the same).
pub fn code_slot(code: [u32; 4], mask: u32) -> u32 {
    let mut h = code[0].wrapping_mul(0x9e37_79b1)
        ^ code[1].wrapping_mul(0x85eb_ca77)
        ^ code[2].wrapping_mul(0xc2b2_ae3d)
        ^ code[3].wrapping_mul(0x27d4_eb2f);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    h & mask
}

/// The code that marks an empty slot (no cell has it: NB201 indices stay below 15,625
/// and DARTS words below 2^28).
pub const EMPTY_CODE: [u32; 4] = [u32::MAX; 4];

/// The excluded cells as an open-addressing table with linear probing, at most half
/// full: `(table, mask)`.
pub fn code_table(codes: &[[u32; 4]]) -> (Vec<[u32; 4]>, u32) {
    let cap = (2 * codes.len() + 2).next_power_of_two();
    let mask = cap as u32 - 1;
    let mut t = vec![EMPTY_CODE; cap];
    for &c in codes {
        let mut s = code_slot(c, mask);
        while t[s as usize] != EMPTY_CODE && t[s as usize] != c {
            s = (s + 1) & mask;
        }
        t[s as usize] = c;
    }
    (t, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_and_reproducible() {
        let mut hist = [0u32; 7];
        for i in 0..70_000 {
            let mut d = CounterDraws::new(5, i);
            hist[d.below(7) as usize] += 1;
            let mut again = CounterDraws::new(5, i);
            again.below(7);
            assert_eq!(d.below(1 << 20), again.below(1 << 20));
        }
        // 10,000 expected per bin; 5 standard deviations is 500.
        assert!(hist.iter().all(|&h| h.abs_diff(10_000) < 500), "{hist:?}");
    }

    #[test]
    fn code_table_finds_every_code() {
        let codes: Vec<[u32; 4]> = (0..1_000u32).map(|i| [i * 7, i, 0, i % 3]).collect();
        let (t, mask) = code_table(&codes);
        for c in &codes {
            let mut s = code_slot(*c, mask);
            while t[s as usize] != *c {
                assert_ne!(t[s as usize], EMPTY_CODE);
                s = (s + 1) & mask;
            }
        }
    }
}
