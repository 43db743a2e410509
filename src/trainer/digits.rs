//! The embedded real data the built-in trainer learns: scikit-learn's digits (1,797
//! 8×8 images, 10 classes; `data/digits.u8`, provenance in data/PROVENANCE.md) with a
//! fixed split, two thirds to train on and one third held out.

use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The digits, 65 bytes an image: 64 pixels (0–16, row-major) then the class.
const DIGITS: &[u8] = include_bytes!("../../data/digits.u8");
/// Images in the dataset.
pub const IMAGES: usize = 1797;
/// Seed of the fixed train/validation split (the same for every evaluation).
const SPLIT_SEED: u64 = 0x5eed_d161;

/// Classes of the digits (0 to 9).
pub const CLASSES: usize = 10;

/// The digits with a fixed split: two thirds to train on, one third to validate.
#[derive(Clone, Debug)]
pub struct Digits {
    /// Pixels scaled to [0, 1], `[image][64]`.
    pub x: Vec<f32>,
    /// Classes.
    pub y: Vec<u8>,
    /// Indices of the training images.
    pub train: Vec<usize>,
    /// Indices of the validation images.
    pub valid: Vec<usize>,
}

impl Digits {
    /// The embedded dataset, checked, with its fixed split.
    pub fn load() -> Result<Digits> {
        if DIGITS.len() != IMAGES * 65 {
            return Err(Error::Config(format!(
                "data/digits.u8 has {} bytes, not {} (rebuild it with scripts/convert_digits.py)",
                DIGITS.len(),
                IMAGES * 65
            )));
        }
        let (mut x, mut y) = (Vec::with_capacity(IMAGES * 64), Vec::with_capacity(IMAGES));
        for row in DIGITS.chunks_exact(65) {
            x.extend(row[..64].iter().map(|&v| v as f32 / 16.0));
            y.push(row[64]);
        }
        let mut idx: Vec<usize> = (0..IMAGES).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(SPLIT_SEED));
        let valid = idx.split_off(IMAGES * 2 / 3);
        Ok(Digits {
            x,
            y,
            train: idx,
            valid,
        })
    }

    /// The pixels (`[64][image]`, the trainer's layout) and classes of the images `idx`.
    pub fn batch(&self, idx: &[usize]) -> (Vec<f32>, Vec<u8>) {
        let b = idx.len();
        let mut x = vec![0.0; b * 64];
        for (img, &i) in idx.iter().enumerate() {
            for (q, &v) in self.x[i * 64..(i + 1) * 64].iter().enumerate() {
                x[q * b + img] = v;
            }
        }
        (x, idx.iter().map(|&i| self.y[i]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_fixed_and_disjoint() {
        let d = Digits::load().unwrap();
        assert_eq!((d.train.len(), d.valid.len()), (1198, 599));
        let mut all: Vec<usize> = d.train.iter().chain(&d.valid).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..IMAGES).collect::<Vec<_>>());
        assert_eq!(d.valid[..3], Digits::load().unwrap().valid[..3]);
        assert!(d.y.iter().all(|&c| c < 10));
    }
}
