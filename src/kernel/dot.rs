//! The dot-product WL kernel of many graphs at once, exact in integers.
//!
//! Pairwise merging costs O(nnz) per pair whatever the labels. Here each label shared by
//! both sides is handled by what it costs: labels most graphs have (the operations at
//! depth 0, common small motifs) become dense columns multiplied by one matrix product;
//! the rest go through an inverted index of the second side, so a pair costs only the
//! rare labels it shares. f64 sums of integer products are exact below 2^53, which is
//! checked (pairwise integer merging otherwise).

use crate::wl::Features;
use faer::{linalg::matmul::matmul, Accum, Mat, MatMut, Par};
use nohash_hasher::IntMap;
use rayon::prelude::*;

/// A label's document frequency and largest count on one side.
#[derive(Clone, Copy, Default)]
struct Stat {
    df: u32,
    max: u32,
}

fn stats(xs: &[Features]) -> IntMap<u64, Stat> {
    let mut m: IntMap<u64, Stat> = IntMap::default();
    for x in xs {
        for (l, c) in x.iter() {
            let s = m.entry(l).or_default();
            s.df += 1;
            s.max = s.max.max(c);
        }
    }
    m
}

/// Labels whose share of pairs exceeds this are dense columns: a pair costs a dense
/// column about 2 flops in a matrix product (~50 GFLOP/s) against ~1.5 ns for a scattered
/// add, so density products above ~1/40 are cheaper dense.
const DENSE_SHARE: f64 = 1.0 / 32.0;

/// The labels both sides share, split into dense columns and sparse ones, and a bound on
/// any kernel value (the sum over shared labels of the largest counts' product).
pub(crate) struct Split {
    /// Dense labels and their column.
    pub(crate) dense: IntMap<u64, usize>,
    /// Sparse labels and their inverted-index list.
    pub(crate) sparse: IntMap<u64, usize>,
    /// No kernel value exceeds this.
    pub(crate) bound: u64,
}

pub(crate) fn split(a: &[Features], b: &[Features]) -> Split {
    let (m, n) = (a.len(), b.len());
    let sa = stats(a);
    let own;
    let sb = if same(a, b) {
        &sa
    } else {
        own = stats(b);
        &own
    };
    let mut out = Split {
        dense: IntMap::default(),
        sparse: IntMap::default(),
        bound: 0,
    };
    for (l, x) in &sa {
        let Some(y) = sb.get(l) else { continue };
        out.bound = out.bound.saturating_add(x.max as u64 * y.max as u64);
        let share = (x.df as f64 / m as f64) * (y.df as f64 / n as f64);
        let side = if share > DENSE_SHARE {
            &mut out.dense
        } else {
            &mut out.sparse
        };
        let k = side.len();
        side.insert(*l, k);
    }
    out
}

/// Whether both sides are one slice (a Gram matrix), whose statistics and dense columns
/// are then computed once.
fn same(a: &[Features], b: &[Features]) -> bool {
    std::ptr::eq(a, b)
}

/// Below this every kernel value is an integer an f64 holds exactly.
const F64_EXACT: u64 = 1 << 53;

/// `sum_l a_i(l) b_j(l)` for every pair, row-major (`a.len() x b.len()`), exact.
pub fn dot_matrix(a: &[Features], b: &[Features]) -> Vec<u64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let parts = split(a, b);
    if parts.bound >= F64_EXACT {
        return pairwise(a, b);
    }
    let k = by_parts(a, b, &parts);
    k.into_par_iter().map(|v| v as u64).collect()
}

/// Pairwise integer merging, for counts so large that f64 sums could round.
fn pairwise(a: &[Features], b: &[Features]) -> Vec<u64> {
    a.par_iter()
        .flat_map_iter(|x| {
            b.iter()
                .map(move |y| super::raw(x, y, super::BaseKernel::Dot))
        })
        .collect()
}

/// [`dot_matrix`] as floats, for kernels that are scaled next: exact while every value is
/// below 2^53 (always, short of counts in the millions).
pub fn dot_matrix_f64(a: &[Features], b: &[Features]) -> Vec<f64> {
    dot_matrix_f64_then(a, b, &|_, _| {})
}

/// [`dot_matrix_f64`] divided by `sqrt(k(a,a) k(b,b))` (0 for an empty graph): every
/// graph has unit prior variance.
pub fn dot_matrix_normalized(a: &[Features], b: &[Features]) -> Vec<f64> {
    let norm = |xs: &[Features]| -> Vec<f64> {
        xs.iter()
            .map(|x| (super::self_kernel(x, super::BaseKernel::Dot) as f64).sqrt())
            .collect()
    };
    let (na, nb) = (norm(a), norm(b));
    dot_matrix_f64_then(a, b, &|i, row| {
        let x = na[i];
        for (v, &y) in row.iter_mut().zip(&nb) {
            *v = if x * y > 0.0 { *v / (x * y) } else { 0.0 };
        }
    })
}

/// [`dot_matrix_f64`] with `finish(i, row)` applied to each row `i` as soon as it is
/// computed (while it is in cache), for kernels scaled row by row.
pub(crate) fn dot_matrix_f64_then(
    a: &[Features],
    b: &[Features],
    finish: &(dyn Fn(usize, &mut [f64]) + Sync),
) -> Vec<f64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let parts = split(a, b);
    if parts.bound >= F64_EXACT {
        let mut k: Vec<f64> = pairwise(a, b).into_iter().map(|v| v as f64).collect();
        k.par_chunks_mut(b.len())
            .enumerate()
            .for_each(|(i, row)| finish(i, row));
        return k;
    }
    by_parts_then(a, b, &parts, finish)
}

fn by_parts(a: &[Features], b: &[Features], parts: &Split) -> Vec<f64> {
    by_parts_then(a, b, parts, &|_, _| {})
}

/// Output bytes one task fills at a time: the dense product, the sparse labels and
/// `finish` then each pass over rows still in cache, not over the whole matrix.
const BLOCK_BYTES: usize = 1 << 20;

/// The dense labels' product and the sparse labels' inverted index into the row-major
/// output (`a.len() x b.len()`), block of rows by block of rows; `finish(i, row)` then
/// sees each finished row `i` while it is in cache. An f32 product (exact below 2^24)
/// multiplies faster, but its buffer and conversion cost more than they save.
fn by_parts_then(
    a: &[Features],
    b: &[Features],
    parts: &Split,
    finish: &(dyn Fn(usize, &mut [f64]) + Sync),
) -> Vec<f64> {
    let (m, n) = (a.len(), b.len());
    let mut out = zeroed_output(m * n);
    let da = dense_columns(a, &parts.dense);
    let own;
    let db = if same(a, b) {
        &da
    } else {
        own = dense_columns(b, &parts.dense);
        &own
    };
    let postings = postings(b, &parts.sparse);
    let rows = (BLOCK_BYTES / (8 * n)).clamp(1, m);
    out.par_chunks_mut(rows * n)
        .zip(a.par_chunks(rows))
        .enumerate()
        .for_each(|(blk, (block, xs))| {
            let first = blk * rows;
            if !parts.dense.is_empty() {
                // The column-major n x r product db * da' lies in memory as the row-major
                // r x n block.
                matmul(
                    MatMut::from_column_major_slice_mut(block, n, xs.len()),
                    Accum::Replace,
                    db.as_ref(),
                    da.as_ref().subrows(first, xs.len()).transpose(),
                    1.0,
                    Par::Seq,
                );
            }
            for (i, (row, x)) in block.chunks_mut(n).zip(xs).enumerate() {
                sparse_row(x, &parts.sparse, &postings, row);
                finish(first + i, row);
            }
        });
    out
}

/// Each graph's counts of the dense labels, one row per graph.
fn dense_columns(xs: &[Features], dense: &IntMap<u64, usize>) -> Mat<f64> {
    let mut mat = Mat::<f64>::zeros(xs.len(), dense.len());
    if dense.is_empty() {
        return mat;
    }
    for (i, x) in xs.iter().enumerate() {
        for (l, c) in x.iter() {
            if let Some(&k) = dense.get(&l) {
                mat[(i, k)] = c as f64;
            }
        }
    }
    mat
}

/// A zeroed matrix of `len` floats. On Linux one of 8 MiB or more asks for transparent huge
/// pages before its first touch: writing a fresh 4,000 x 4,000 Gram matrix then faults
/// 64 pages instead of 32,768, and those faults were most of its cost on a 2-core VM.
fn zeroed_output(len: usize) -> Vec<f64> {
    let out = vec![0.0; len];
    #[cfg(target_os = "linux")]
    if len >= 1 << 20 {
        const HUGE: usize = 2 << 20;
        let first = out.as_ptr() as usize;
        let (start, end) = (
            first.next_multiple_of(HUGE),
            (first + len * 8) / HUGE * HUGE,
        );
        if end > start {
            // SAFETY: the range lies inside `out`'s allocation, and the advice changes no
            // contents (a failure only leaves the pages small).
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    out
}

/// The inverted index of `b` over the sparse labels: `(graph, count)` lists by column.
fn postings(b: &[Features], sparse: &IntMap<u64, usize>) -> Vec<Vec<(u32, u32)>> {
    let mut postings: Vec<Vec<(u32, u32)>> = vec![Vec::new(); sparse.len()];
    if sparse.is_empty() {
        return postings;
    }
    for (j, y) in b.iter().enumerate() {
        for (l, c) in y.iter() {
            if let Some(&k) = sparse.get(&l) {
                postings[k].push((j as u32, c));
            }
        }
    }
    postings
}

/// Adds the sparse labels' contribution to one row of the output.
fn sparse_row(
    x: &Features,
    sparse: &IntMap<u64, usize>,
    postings: &[Vec<(u32, u32)>],
    row: &mut [f64],
) {
    if sparse.is_empty() {
        return;
    }
    for (l, c) in x.iter() {
        if let Some(&k) = sparse.get(&l) {
            for &(j, cb) in &postings[k] {
                row[j as usize] += (c as u64 * cb as u64) as f64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{raw, BaseKernel};
    use rand::{Rng, SeedableRng};

    /// Random feature vectors: a few labels most graphs share, many rare ones.
    fn random(n: usize, big: bool, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<Features> {
        (0..n)
            .map(|_| {
                let mut labels: Vec<u64> = (0..rng.gen_range(0..30))
                    .map(|_| {
                        if rng.gen_bool(0.5) {
                            rng.gen_range(0..6)
                        } else {
                            rng.gen_range(0..400)
                        }
                    })
                    .collect();
                if big {
                    labels.extend(std::iter::repeat_n(7, rng.gen_range(0..100_000)));
                }
                Features::from_labels(&mut labels)
            })
            .collect()
    }

    #[test]
    fn equals_pairwise_merging_exactly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for (m, n, big) in [
            (0, 5, false),
            (1, 1, false),
            (37, 120, false),
            (200, 150, false),
            (60, 80, true),
            // Rows of 3,000 columns: blocks of 43 rows, the last one short.
            (100, 3_000, false),
        ] {
            let a = random(m, big, &mut rng);
            let b = random(n, big, &mut rng);
            let k = dot_matrix(&a, &b);
            assert_eq!(k.len(), m * n);
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(k[i * n + j], raw(&a[i], &b[j], BaseKernel::Dot), "{i} {j}");
                }
            }
        }
    }

    #[test]
    fn normalized_divides_by_both_norms_in_every_block() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        for big in [false, true] {
            let mut a = random(90, big, &mut rng);
            a.push(Features::default());
            let b = random(3_000, big, &mut rng);
            let k = dot_matrix_normalized(&a, &b);
            let n = b.len();
            for (i, x) in a.iter().enumerate() {
                for (j, y) in b.iter().enumerate() {
                    let d = raw(x, x, BaseKernel::Dot) as f64 * raw(y, y, BaseKernel::Dot) as f64;
                    let want = if d > 0.0 {
                        raw(x, y, BaseKernel::Dot) as f64 / d.sqrt()
                    } else {
                        0.0
                    };
                    assert!(
                        (k[i * n + j] - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{i} {j}"
                    );
                }
            }
        }
    }
}
