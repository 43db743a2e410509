//! A sampled network trained by the built-in trainer ([`crate::trainer`]) on the
//! embedded digits, built by the reference's rules ([`super::build`]).

use super::build;
pub use super::build::Structure;
use super::Network;
use crate::error::Result;
pub use crate::trainer::{Digits, TrainConfig};
use serde::Serialize;

/// What one training run of a sampled network measured.
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
    /// Convolutions in the network's cells.
    pub operations: usize,
    /// Mean training loss over the last epoch.
    pub train_loss: f64,
}

/// The width `cfg` gives `net` (the reference's rule for its parameter limit).
pub fn width(net: &Network, cfg: &TrainConfig) -> usize {
    build::width_for(net, cfg.budget, cfg.min_width)
}

/// The width and exact parameter count of the model `cfg` builds for `net`, without
/// training it.
pub fn sized(net: &Network, cfg: &TrainConfig) -> Result<(usize, usize)> {
    let w = width(net, cfg);
    Ok((
        w,
        // Both structures have the same parameters.
        crate::trainer::net::Model::new(build::spec(net, w, Structure::Residual))?.params(),
    ))
}

/// Trains `net` built as `structure` (initialisation and batch order from its seed) and
/// measures it.
pub fn train(
    net: &Network,
    data: &Digits,
    cfg: &TrainConfig,
    structure: Structure,
) -> Result<TrainReport> {
    let w = width(net, cfg);
    let t = crate::trainer::train(build::spec(net, w, structure), net.seed, data, cfg)?;
    Ok(TrainReport {
        accuracy: t.accuracy,
        params: t.params,
        seconds: t.seconds,
        width: w,
        operations: net.operations(),
        train_loss: t.train_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::nago::graphs::Graph;

    /// One operation in one node in one cell: the trainer's own check, apart from the space.
    fn tiny() -> Network {
        let g = |nodes: usize| Graph {
            nodes,
            edges: vec![],
        };
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
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
        let cfg = TrainConfig::default();
        let a = train(&tiny(), &data, &cfg, Structure::Residual).unwrap();
        assert!(a.accuracy > 90.0, "{a:?}");
        let b = train(&tiny(), &data, &cfg, Structure::Residual).unwrap();
        assert_eq!(
            (a.accuracy, a.train_loss.to_bits(), a.params),
            (b.accuracy, b.train_loss.to_bits(), b.params)
        );
        let other = Network { seed: 2, ..tiny() };
        let c = train(&other, &data, &cfg, Structure::Residual).unwrap();
        assert_ne!(a.train_loss.to_bits(), c.train_loss.to_bits());
    }

    #[test]
    fn a_nan_in_the_forward_pass_fails_the_evaluation() {
        let mut data = Digits::load().unwrap();
        let i = data.train[0];
        data.x[i * 64 + 27] = f32::NAN;
        let e = train(&tiny(), &data, &TrainConfig::default(), Structure::Residual)
            .unwrap_err()
            .to_string();
        assert!(e.contains("diverged"), "{e}");
    }
}
