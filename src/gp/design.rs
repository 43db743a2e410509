//! The training points' WL feature vectors as one sparse matrix Phi (n x |S|, one column
//! per label seen in training, scaled as the kernel scales them), so that the Gram
//! matrix is never formed: `K v = Phi (Phi' v)` costs two passes over the non-zeros.
//! This is what makes the iterative GP's memory O(n nnz + |S|).

use super::weight_space::feature_scale;
use crate::wl::Features;
use nohash_hasher::IntMap;
use rayon::prelude::*;

/// Phi in compressed-row and compressed-column form (both: products with Phi and Phi'
/// then both run in parallel without write conflicts).
#[derive(Clone, Debug)]
pub struct Design {
    index: IntMap<u64, usize>,
    row_ptr: Vec<usize>,
    row_col: Vec<u32>,
    row_val: Vec<f64>,
    col_ptr: Vec<usize>,
    col_row: Vec<u32>,
    col_val: Vec<f64>,
}

impl Design {
    /// Phi of `train`, each row scaled by `1 / sqrt(k(x, x))` when `normalize`.
    pub fn new(train: &[Features], normalize: bool) -> Design {
        let mut index: IntMap<u64, usize> = IntMap::default();
        let mut row_ptr = Vec::with_capacity(train.len() + 1);
        let nnz: usize = train.iter().map(|f| f.nnz()).sum();
        let (mut row_col, mut row_val) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        row_ptr.push(0);
        for f in train {
            let s = feature_scale(f, normalize);
            for (l, c) in f.iter() {
                let next = index.len();
                let j = *index.entry(l).or_insert(next);
                row_col.push(j as u32);
                row_val.push(c as f64 * s);
            }
            row_ptr.push(row_col.len());
        }
        // The transpose by counting sort: columns in order, rows ascending within each.
        let cols = index.len();
        let mut col_ptr = vec![0usize; cols + 1];
        for &j in &row_col {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..cols {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut fill = col_ptr.clone();
        let (mut col_row, mut col_val) = (vec![0u32; nnz], vec![0.0; nnz]);
        for i in 0..train.len() {
            for k in row_ptr[i]..row_ptr[i + 1] {
                let j = row_col[k] as usize;
                col_row[fill[j]] = i as u32;
                col_val[fill[j]] = row_val[k];
                fill[j] += 1;
            }
        }
        Design {
            index,
            row_ptr,
            row_col,
            row_val,
            col_ptr,
            col_row,
            col_val,
        }
    }

    /// Rows n (training points).
    pub fn rows(&self) -> usize {
        self.row_ptr.len() - 1
    }

    /// Columns |S| (distinct training labels).
    pub fn cols(&self) -> usize {
        self.col_ptr.len() - 1
    }

    /// Stored non-zeros.
    pub fn nnz(&self) -> usize {
        self.row_val.len()
    }

    /// The column of a label, `None` if no training point has it.
    pub fn column(&self, label: u64) -> Option<usize> {
        self.index.get(&label).copied()
    }

    /// Every label with its column.
    pub fn labels(&self) -> &IntMap<u64, usize> {
        &self.index
    }

    /// Row `i` as `(columns, values)`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.row_col[r.clone()], &self.row_val[r])
    }

    /// `Phi w` (an n-vector) for `w` over columns.
    pub fn mul(&self, w: &[f64]) -> Vec<f64> {
        self.mul_block(w, 1)
    }

    /// `Phi' v` (a |S|-vector) for `v` over rows.
    pub fn tmul(&self, v: &[f64]) -> Vec<f64> {
        self.tmul_block(v, 1)
    }

    /// `K v = Phi (Phi' v)`, the Gram matrix times `v` without forming it.
    pub fn gram_mul(&self, v: &[f64]) -> Vec<f64> {
        self.mul(&self.tmul(v))
    }

    /// `K V` for a block of `q` vectors stored row-major (`v[i * q + c]` is component i
    /// of vector c): the products of [`Design::gram_mul`] with each vector, one pass over
    /// the non-zeros for all of them.
    pub fn gram_mul_block(&self, v: &[f64], q: usize) -> Vec<f64> {
        self.mul_block(&self.tmul_block(v, q), q)
    }

    /// `Phi' V` (|S| x q, row-major) for a row-major n x q block `v`.
    pub fn tmul_block(&self, v: &[f64], q: usize) -> Vec<f64> {
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

    /// `Phi W` (n x q, row-major) for a row-major |S| x q block `w`.
    pub fn mul_block(&self, w: &[f64], q: usize) -> Vec<f64> {
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
        let mut out = vec![0.0; self.rows()];
        for &(j, x) in a {
            let r = self.col_ptr[j]..self.col_ptr[j + 1];
            for (&i, &v) in self.col_row[r.clone()].iter().zip(&self.col_val[r]) {
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
