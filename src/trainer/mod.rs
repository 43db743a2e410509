//! The built-in objective: a network given as a DAG of feature maps ([`net::Spec`]) is
//! built, trained on the embedded digits with SGD and measured on the held-out third.
//! Real evaluation without a GPU or a download, for NAGO's generators and for any
//! space that lowers to operations the trainer knows.
//!
//! Hand-written layers, not candle: on these networks of hundreds of tiny convolutions
//! candle's eager CPU backend took 16 ms for one 3×3 convolution's forward and
//! backward pass at 8 channels on a batch of 128 8×8 maps, where one step of a whole
//! network here takes less (docs/nago.md has the figures).

pub mod cell;
pub mod digits;
pub mod layers;
pub mod net;

use crate::error::{Error, Result};
pub use digits::Digits;
use net::{cross_entropy, Mode, Model, Spec};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How a network is trained (SGD with momentum, as NAGO's reference trains, with a
/// cosine decay of the learning rate because the budget is a few epochs, not 120).
#[derive(Clone, Debug, Serialize)]
pub struct TrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to zero).
    pub lr: f32,
    /// SGD momentum.
    pub momentum: f32,
    /// L2 penalty on every parameter.
    pub weight_decay: f32,
    /// The parameter limit a network's width is chosen for (NAGO's `n_param_limit`).
    pub budget: usize,
    /// The fewest channels of the first stage, whatever the budget.
    pub min_width: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 4,
            batch: 128,
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 1e-4,
            budget: 200_000,
            min_width: 1,
        }
    }
}

impl TrainConfig {
    /// The defaults for stacked cells (`wlgp train`, `--objective builtin-digits`): 10
    /// epochs, because at 4 the digits rank 30 sampled NAS-Bench-201 cells against the
    /// benchmark's CIFAR-10 order (Spearman −0.23; 0.51 at 10, 0.59 at 20 for twice the
    /// time; docs/trainer.md). NAGO's networks keep 4, measured in their own study.
    pub fn cells() -> TrainConfig {
        TrainConfig {
            epochs: 10,
            ..TrainConfig::default()
        }
    }
}

/// What one training run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Trained {
    /// Accuracy on the held-out images, in percent.
    pub accuracy: f64,
    /// Exact parameter count of the trained model.
    pub params: usize,
    /// Wall-clock seconds of building and training.
    pub seconds: f64,
    /// Mean training loss over the last epoch.
    pub train_loss: f64,
}

/// Builds `spec` and trains it (initialisation, batch order and dropout from `seed`).
/// A non-finite loss at any step, or a non-finite logit in the evaluation, is an error:
/// a diverged training is reported, never turned into an accuracy.
pub fn train(spec: Spec, seed: u64, data: &Digits, cfg: &TrainConfig) -> Result<Trained> {
    if cfg.epochs == 0 || cfg.batch == 0 {
        return Err(Error::Config(
            "training needs epochs and batch above 0".into(),
        ));
    }
    let first = &spec.nodes.first().map(|n| (n.c_out, n.side));
    if *first != Some((1, 8)) {
        return Err(Error::Config(
            "the digits trainer takes networks whose input is one channel of 8x8".into(),
        ));
    }
    let start = std::time::Instant::now();
    let model = Model::new(spec)?;
    let mut rng = ChaCha8Rng::seed_from_u64(crate::wl::mix64(seed ^ 0x7a11));
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
            let (x, y) = data.batch(idx);
            let mode = Mode::Train {
                rng: &mut rng,
                momentum: layers::BN_MOMENTUM,
            };
            let mut tape = model.forward(&p, &mut s, &x, idx.len(), mode);
            let mut dlogits = std::mem::take(&mut tape.logits);
            let (loss, _) = cross_entropy(&mut dlogits, &y, model.spec().classes);
            if !loss.is_finite() {
                return Err(Error::Diverged(format!("loss {loss} at step {step}")));
            }
            let mut g = vec![0.0f32; p.len()];
            model.backward(&p, &tape, &dlogits, &mut g);
            for ((w, v), gi) in p.iter_mut().zip(velocity.iter_mut()).zip(&g) {
                *v = cfg.momentum * *v + gi + cfg.weight_decay * *w;
                *w -= lr * *v;
            }
            (sum, batches, step) = (sum + loss, batches + 1, step + 1);
        }
        train_loss = sum / batches as f64;
    }
    precise_bn(&model, &p, &mut s, data, cfg.batch, &mut rng);
    let accuracy = evaluate(&model, &p, &mut s, data)?;
    Ok(Trained {
        accuracy,
        params: model.params(),
        seconds: start.elapsed().as_secs_f64(),
        train_loss,
    })
}

/// The training seed of an architecture in a run seeded `seed` (its network built by
/// [`cell::network`]): the same graph trains the same way in `wlgp train` and in a search.
pub fn arch_seed(arch: &crate::graph::Arch, seed: u64) -> u64 {
    crate::wl::mix64(seed ^ crate::wl::fnv1a64(arch.to_json().as_bytes()))
}

/// Accuracy in percent on the held-out images (batch norm with running statistics).
fn evaluate(model: &Model, p: &[f32], s: &mut [f32], data: &Digits) -> Result<f64> {
    let mut correct = 0;
    for idx in data.valid.chunks(256) {
        let (x, y) = data.batch(idx);
        let mut tape = model.forward(p, s, &x, idx.len(), Mode::Eval);
        let (loss, c) = cross_entropy(&mut tape.logits, &y, model.spec().classes);
        if !loss.is_finite() {
            return Err(Error::Diverged(
                "the trained network's held-out outputs are not finite".into(),
            ));
        }
        correct += c;
    }
    Ok(100.0 * correct as f64 / data.valid.len() as f64)
}

/// Batch norm's running statistics recomputed for the trained weights, as the equal
/// average over the training batches (PreciseBN, as pycls does): after a few dozen
/// steps an exponential average still remembers the first steps' statistics, and on
/// wide networks that cost held-out accuracy (97.8 % with batch statistics against
/// 63.3 % with the running ones, one measured run).
fn precise_bn(
    model: &Model,
    p: &[f32],
    s: &mut [f32],
    data: &Digits,
    batch: usize,
    rng: &mut ChaCha8Rng,
) {
    s.fill(0.0);
    for (k, idx) in data.train.chunks(batch).enumerate() {
        let (x, _) = data.batch(idx);
        let momentum = 1.0 / (k + 1) as f32;
        model.forward(p, s, &x, idx.len(), Mode::Train { rng, momentum });
    }
}
