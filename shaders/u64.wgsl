// 64-bit unsigned arithmetic on vec2<u32> (x = low word, y = high word): WGSL has no
// portable u64. These functions are the WGSL half of src/wl/hash.rs and must give the
// same bits; tests/gpu.rs checks mix64 against Rust on many inputs.

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

// Full 32 x 32 -> 64-bit product from 16-bit halves.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (p00 & 0xffffu) | (mid << 16u);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// Low 64 bits of a 64 x 64-bit product (wrapping, as Rust's wrapping_mul).
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    var r = mul_wide(a.x, b.x);
    r.y = r.y + a.x * b.y + a.y * b.x;
    return r;
}

// Logical right shift by 0 < k < 32.
fn shr64(a: vec2<u32>, k: u32) -> vec2<u32> {
    return vec2<u32>((a.x >> k) | (a.y << (32u - k)), a.y >> k);
}

// The splitmix64 finaliser, as wl::mix64.
fn mix64(v: vec2<u32>) -> vec2<u32> {
    var z = v;
    z = mul64(z ^ shr64(z, 30u), vec2<u32>(0x1ce4e5b9u, 0xbf58476du));
    z = mul64(z ^ shr64(z, 27u), vec2<u32>(0x133111ebu, 0x94d049bbu));
    return z ^ shr64(z, 31u);
}

// a < b as unsigned 64-bit numbers.
fn less64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}
