//! The hash functions of WL relabelling. They are the contract with `shaders/`: change
//! one, change both, and the CPU-vs-GPU tests will say so.

/// The splitmix64 finaliser: a bijective 64-bit mixer with full avalanche.
#[inline]
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a of a byte string (the operation name).
#[inline]
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a continued from `state` (the hash of a prefix): `fnv1a64_from(fnv1a64(a), b)`
/// equals `fnv1a64` of `a` followed by `b`, without building the joined string.
#[inline]
pub const fn fnv1a64_from(state: u64, bytes: &[u8]) -> u64 {
    let mut h = state;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// Iteration-0 label of an operation: `mix64(fnv1a64(name))`.
#[inline]
pub fn initial_label(op: &str) -> u64 {
    mix64(fnv1a64(op.as_bytes()))
}

/// Iteration-`i` label from the node's previous label and the wrapping sum of its
/// neighbours' mixed previous labels (a multiset hash: no sorting needed).
#[inline]
pub const fn refine(prev: u64, iteration: u64, neighbour_sum: u64) -> u64 {
    mix64(prev ^ mix64(iteration.wrapping_add(neighbour_sum)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // splitmix64 of 0 after one increment of the golden gamma is the well-known
        // first output of splitmix64 seeded with 0.
        assert_eq!(mix64(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
        // FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a64_from(fnv1a64(b"foo"), b"bar"), fnv1a64(b"foobar"));
    }
}
