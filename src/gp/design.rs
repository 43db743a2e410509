//! The training points' WL feature vectors as one sparse matrix Phi (n x |S|, one column
//! per label seen in training, scaled as the kernel scales them), so that the Gram
//! matrix is never formed: `K v = Phi (Phi' v)` costs two passes over the non-zeros.
//! This is what makes the iterative GP's memory O(n nnz + |S|).

use super::weight_space::feature_scale;
use crate::wl::Features;
use nohash_hasher::IntMap;
use rayon::prelude::*;

/// A sparse matrix in compressed-row and compressed-column form (both: products with it
/// and its transpose then both run in parallel without write conflicts).
#[derive(Clone, Debug, Default)]
struct Sparse {
    row_ptr: Vec<usize>,
    row_col: Vec<u32>,
    row_val: Vec<f64>,
    col_ptr: Vec<usize>,
    col_row: Vec<u32>,
    col_val: Vec<f64>,
}

impl Sparse {
    /// From rows of `(column, value)` pairs over `cols` columns.
    fn from_rows(rows: &[Vec<(u32, f64)>], cols: usize) -> Sparse {
        let mut m = Sparse {
            row_ptr: vec![0],
            ..Default::default()
        };
        for r in rows {
            for &(j, v) in r {
                m.row_col.push(j);
                m.row_val.push(v);
            }
            m.row_ptr.push(m.row_col.len());
        }
        // The transpose by counting sort: columns in order, rows ascending within each.
        let nnz = m.row_col.len();
        m.col_ptr = vec![0usize; cols + 1];
        for &j in &m.row_col {
            m.col_ptr[j as usize + 1] += 1;
        }
        for j in 0..cols {
            m.col_ptr[j + 1] += m.col_ptr[j];
        }
        let mut fill = m.col_ptr.clone();
        (m.col_row, m.col_val) = (vec![0u32; nnz], vec![0.0; nnz]);
        for i in 0..rows.len() {
            for k in m.row_ptr[i]..m.row_ptr[i + 1] {
                let j = m.row_col[k] as usize;
                m.col_row[fill[j]] = i as u32;
                m.col_val[fill[j]] = m.row_val[k];
                fill[j] += 1;
            }
        }
        m
    }

    fn rows(&self) -> usize {
        self.row_ptr.len() - 1
    }

    fn cols(&self) -> usize {
        self.col_ptr.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.row_col[r.clone()], &self.row_val[r])
    }

    /// `M' V` (cols x q, row-major) for a row-major rows x q block `v`.
    fn tmul_block(&self, v: &[f64], q: usize) -> Vec<f64> {
        let mut w = vec![0.0; self.cols() * q];
        w.par_chunks_mut(q).enumerate().for_each(|(j, wj)| {
            let r = self.col_ptr[j]..self.col_ptr[j + 1];
            for (&i, &x) in self.col_row[r.clone()].iter().zip(&self.col_val[r]) {
                let vi = &v[i as usize * q..(i as usize + 1) * q];
                for (a, b) in wj.iter_mut().zip(vi) {
                    *a += x * b;
                }
            }
        });
        w
    }

    /// `M W` (rows x q, row-major) for a row-major cols x q block `w`.
    fn mul_block(&self, w: &[f64], q: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.rows() * q];
        out.par_chunks_mut(q).enumerate().for_each(|(i, oi)| {
            let (c, x) = self.row(i);
            for (&j, &x) in c.iter().zip(x) {
                let wj = &w[j as usize * q..(j as usize + 1) * q];
                for (a, b) in oi.iter_mut().zip(wj) {
                    *a += x * b;
                }
            }
        });
        out
    }
}

/// Phi, and the same split for the Gram products: a label that only one training point
/// has adds to K's diagonal alone, so `K = Phi_c Phi_c' + D` with Phi_c the shared
/// labels' columns and D the rest's squared values per row. Most deep WL labels are
/// unique to one architecture (DARTS, n = 10^4: 199,157 labels), so the products that
/// conjugate gradients repeat touch a fraction of the columns.
#[derive(Clone, Debug)]
pub struct Design {
    index: IntMap<u64, usize>,
    full: Sparse,
    shared: Sparse,
    diag: Vec<f64>,
}

impl Design {
    /// Phi of `train`, each row scaled by `1 / sqrt(k(x, x))` when `normalize`.
    pub fn new(train: &[Features], normalize: bool) -> Design {
        let mut index: IntMap<u64, usize> = IntMap::default();
        let rows: Vec<Vec<(u32, f64)>> = train
            .iter()
            .map(|f| {
                let s = feature_scale(f, normalize);
                f.iter()
                    .map(|(l, c)| {
                        let next = index.len();
                        (*index.entry(l).or_insert(next) as u32, c as f64 * s)
                    })
                    .collect()
            })
            .collect();
        let cols = index.len();
        let mut count = vec![0u32; cols];
        for r in &rows {
            for &(j, _) in r {
                count[j as usize] += 1;
            }
        }
        let mut remap = vec![u32::MAX; cols];
        let mut next = 0u32;
        for (j, &c) in count.iter().enumerate() {
            if c > 1 {
                remap[j] = next;
                next += 1;
            }
        }
        let mut diag = vec![0.0; rows.len()];
        let shared_rows: Vec<Vec<(u32, f64)>> = rows
            .iter()
            .zip(&mut diag)
            .map(|(r, d)| {
                r.iter()
                    .filter_map(|&(j, v)| match remap[j as usize] {
                        u32::MAX => {
                            *d += v * v;
                            None
                        }
                        k => Some((k, v)),
                    })
                    .collect()
            })
            .collect();
        Design {
            index,
            full: Sparse::from_rows(&rows, cols),
            shared: Sparse::from_rows(&shared_rows, next as usize),
            diag,
        }
    }

    /// Rows n (training points).
    pub fn rows(&self) -> usize {
        self.full.rows()
    }

    /// Columns |S| (distinct training labels).
    pub fn cols(&self) -> usize {
        self.full.cols()
    }

    /// Stored non-zeros.
    pub fn nnz(&self) -> usize {
        self.full.row_val.len()
    }

    /// Labels that more than one training point has (the Gram products' columns).
    pub fn shared_cols(&self) -> usize {
        self.shared.cols()
    }

    /// The column of a label, `None` if no training point has it.
    pub fn column(&self, label: u64) -> Option<usize> {
        self.index.get(&label).copied()
    }

    /// Every label with its column.
    pub fn labels(&self) -> &IntMap<u64, usize> {
        &self.index
    }

    /// `Phi w` (an n-vector) for `w` over columns.
    pub fn mul(&self, w: &[f64]) -> Vec<f64> {
        self.full.mul_block(w, 1)
    }

    /// `Phi' v` (a |S|-vector) for `v` over rows.
    pub fn tmul(&self, v: &[f64]) -> Vec<f64> {
        self.full.tmul_block(v, 1)
    }

    /// `K v = Phi (Phi' v)`, the Gram matrix times `v` without forming it.
    pub fn gram_mul(&self, v: &[f64]) -> Vec<f64> {
        self.gram_mul_block(v, 1)
    }

    /// `K V` for a block of `q` vectors stored row-major (`v[i * q + c]` is component i
    /// of vector c), one pass over the shared labels' non-zeros for all of them.
    pub fn gram_mul_block(&self, v: &[f64], q: usize) -> Vec<f64> {
        let mut out = self.shared.mul_block(&self.shared.tmul_block(v, q), q);
        for (i, d) in self.diag.iter().enumerate() {
            for k in i * q..(i + 1) * q {
                out[k] += d * v[k];
            }
        }
        out
    }

    /// `Phi' V` (|S| x q, row-major) for a row-major n x q block `v`.
    pub fn tmul_block(&self, v: &[f64], q: usize) -> Vec<f64> {
        self.full.tmul_block(v, q)
    }

    /// `Phi W` (n x q, row-major) for a row-major |S| x q block `w`.
    pub fn mul_block(&self, w: &[f64], q: usize) -> Vec<f64> {
        self.full.mul_block(w, q)
    }

    /// A candidate's row of Phi as `(column, value)` over the seen labels only (unseen
    /// labels contribute nothing to any product with the training points).
    pub fn sparse_row(&self, x: &Features, normalize: bool) -> Vec<(usize, f64)> {
        let s = feature_scale(x, normalize);
        x.iter()
            .filter_map(|(l, c)| self.column(l).map(|j| (j, c as f64 * s)))
            .collect()
    }

    /// `Phi a` for a sparse `a` over columns: the candidate's kernel row against the
    /// training points, through the compressed columns (cost: the columns' lengths).
    pub fn cross(&self, a: &[(usize, f64)]) -> Vec<f64> {
        let m = &self.full;
        let mut out = vec![0.0; self.rows()];
        for &(j, x) in a {
            let r = m.col_ptr[j]..m.col_ptr[j + 1];
            for (&i, &v) in m.col_row[r.clone()].iter().zip(&m.col_val[r]) {
                out[i as usize] += v * x;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{self, BaseKernel, KernelConfig};
    use crate::space::{Nb201Space, Sampler, Space};
    use crate::wl::{self, Direction, WlConfig};
    use rand::SeedableRng;

    #[test]
    fn products_equal_the_gram_matrix() {
        let s = Nb201Space::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let archs: Vec<_> = (0..50).map(|_| s.lower(&s.sample(&mut rng))).collect();
        let cfg = WlConfig {
            h: 2,
            direction: Direction::Both,
        };
        let f = wl::features_batch(&archs, &cfg);
        for normalize in [true, false] {
            let k = kernel::gram(
                &f,
                KernelConfig {
                    base: BaseKernel::Dot,
                    normalize,
                },
            );
            let d = Design::new(&f, normalize);
            let v: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
            let kv = d.gram_mul(&v);
            for i in 0..50 {
                let want: f64 = (0..50).map(|j| k[(i, j)] * v[j]).sum();
                assert!((kv[i] - want).abs() < 1e-10 * want.abs().max(1.0));
            }
            let row = d.sparse_row(&f[7], normalize);
            let cross = d.cross(&row);
            for i in 0..50 {
                assert!((cross[i] - k[(i, 7)]).abs() < 1e-12 * k[(i, 7)].abs().max(1.0));
            }
            assert_eq!(d.rows(), 50);
            assert_eq!(d.nnz(), f.iter().map(|x| x.nnz()).sum::<usize>());
        }
    }
}
