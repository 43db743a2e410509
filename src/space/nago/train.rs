//! Real evaluation without a GPU: a sampled network trained on scikit-learn's digits
//! (1,797 8×8 images, 10 classes; `data/digits.u8`, provenance in data/PROVENANCE.md)
//! with SGD, and its accuracy on a fixed held-out third.

use super::net::{cross_entropy, Model, Plan, SIDE};
use super::Network;
use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The digits, 65 bytes an image: 64 pixels (0–16, row-major) then the class.
const DIGITS: &[u8] = include_bytes!("../../../data/digits.u8");
/// Images in the dataset.
pub const IMAGES: usize = 1797;
/// Seed of the fixed train/validation split (the same for every evaluation).
const SPLIT_SEED: u64 = 0x5eed_d161;

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

    fn batch(&self, idx: &[usize]) -> (Vec<f32>, Vec<u8>) {
        let mut x = Vec::with_capacity(idx.len() * 64);
        for &i in idx {
            x.extend_from_slice(&self.x[i * 64..(i + 1) * 64]);
        }
        (x, idx.iter().map(|&i| self.y[i]).collect())
    }
}

/// How a network is trained.
#[derive(Clone, Debug, Serialize)]
pub struct TrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to zero).
    pub lr: f32,
    /// SGD momentum (Nesterov).
    pub momentum: f32,
    /// L2 penalty on every parameter.
    pub weight_decay: f32,
    /// The largest parameter count the width is chosen for.
    pub budget: usize,
    /// The fewest channels of the first stage, whatever the budget.
    pub min_width: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 4,
            batch: 64,
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 5e-4,
            budget: 40_000,
            min_width: 2,
        }
    }
}

/// What one training run measured.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// Accuracy on the held-out images, in percent.
    pub accuracy: f64,
    /// Exact parameter count of the trained model.
    pub params: usize,
    /// Wall-clock seconds of building and training.
    pub seconds: f64,
    /// Channels of the first stage.
    pub width: usize,
    /// Convolutions in the model (three stages).
    pub operations: usize,
    /// Mean training loss over the last epoch.
    pub train_loss: f64,
}

/// Trains `net` (initialisation and batch order from its seed) and measures it.
pub fn train(net: &Network, data: &Digits, cfg: &TrainConfig) -> Result<TrainReport> {
    if cfg.epochs == 0 || cfg.batch == 0 {
        return Err(Error::Config(
            "training needs epochs and batch above 0".into(),
        ));
    }
    let start = std::time::Instant::now();
    let plan = Plan::new(net);
    let operations = plan.convs() * super::net::STAGES;
    let model = Model::for_budget(plan, cfg.budget, cfg.min_width);
    let mut rng = ChaCha8Rng::seed_from_u64(crate::wl::mix64(net.seed ^ 0x7a11));
    let (mut p, mut s) = model.init(&mut rng);
    let mut velocity = vec![0.0f32; p.len()];
    let mut order = data.train.clone();
    let steps = cfg.epochs * order.len().div_ceil(cfg.batch);
    let (mut step, mut train_loss) = (0, 0.0);
    for _ in 0..cfg.epochs {
        order.shuffle(&mut rng);
        let (mut sum, mut batches) = (0.0, 0);
        for idx in order.chunks(cfg.batch) {
            let lr =
                cfg.lr * 0.5 * (1.0 + (std::f32::consts::PI * step as f32 / steps as f32).cos());
            let loss = sgd_step(&model, &mut p, &mut s, &mut velocity, data, idx, lr, cfg);
            if !loss.is_finite() {
                return Err(Error::Config(format!(
                    "training diverged at step {step} (loss {loss})"
                )));
            }
            (sum, batches, step) = (sum + loss, batches + 1, step + 1);
        }
        train_loss = sum / batches as f64;
    }
    let accuracy = evaluate(&model, &p, &mut s, data);
    Ok(TrainReport {
        accuracy,
        params: model.params(),
        seconds: start.elapsed().as_secs_f64(),
        width: model.width(),
        operations,
        train_loss,
    })
}

/// One SGD step (Nesterov momentum, L2 penalty) on a batch.
#[allow(clippy::too_many_arguments)]
fn sgd_step(
    model: &Model,
    p: &mut [f32],
    s: &mut [f32],
    velocity: &mut [f32],
    data: &Digits,
    idx: &[usize],
    lr: f32,
    cfg: &TrainConfig,
) -> f64 {
    let (x, y) = data.batch(idx);
    let mut tape = model.forward(p, s, &x, idx.len(), true);
    let mut dlogits = std::mem::take(&mut tape.logits);
    let (loss, _) = cross_entropy(&mut dlogits, &y);
    let mut g = vec![0.0f32; p.len()];
    model.backward(p, &tape, &dlogits, &mut g);
    for ((w, v), gi) in p.iter_mut().zip(velocity.iter_mut()).zip(&g) {
        let gi = gi + cfg.weight_decay * *w;
        *v = cfg.momentum * *v + gi;
        *w -= lr * (gi + cfg.momentum * *v);
    }
    loss
}

/// Accuracy in percent on the validation images (batch norm with running statistics).
fn evaluate(model: &Model, p: &[f32], s: &mut [f32], data: &Digits) -> f64 {
    let mut correct = 0;
    for idx in data.valid.chunks(256) {
        let (x, y) = data.batch(idx);
        let mut tape = model.forward(p, s, &x, idx.len(), false);
        correct += cross_entropy(&mut tape.logits, &y).1;
    }
    100.0 * correct as f64 / data.valid.len() as f64
}

const _: () = assert!(SIDE * SIDE == 64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nago::graphs::Graph;

    /// One operation a stage: the trainer's own check, apart from the space.
    fn tiny() -> Network {
        let g = |nodes: usize| Graph {
            nodes,
            edges: vec![],
        };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        Network {
            theta: super::super::Theta::sample(&mut rng),
            seed: 1,
            top: g(1),
            middle: vec![g(1)],
            bottom: vec![vec![g(1)]],
        }
    }

    #[test]
    fn a_small_network_learns_the_digits_and_training_is_deterministic() {
        let data = Digits::load().unwrap();
        let cfg = TrainConfig {
            lr: 0.1,
            budget: 20_000,
            ..TrainConfig::default()
        };
        let a = train(&tiny(), &data, &cfg).unwrap();
        assert!(a.accuracy > 90.0, "{a:?}");
        let b = train(&tiny(), &data, &cfg).unwrap();
        assert_eq!(
            (a.accuracy, a.train_loss.to_bits(), a.params),
            (b.accuracy, b.train_loss.to_bits(), b.params)
        );
        let other = Network { seed: 2, ..tiny() };
        let c = train(&other, &data, &cfg).unwrap();
        assert_ne!(a.train_loss.to_bits(), c.train_loss.to_bits());
    }

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
