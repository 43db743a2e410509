//! Acquisition functions: how much a candidate's posterior promises over the incumbent.

use crate::gp::Prediction;
use serde::{Deserialize, Serialize};

/// An acquisition function on the latent (larger-is-better) scale.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Acquisition {
    /// Expected improvement over the best observed value.
    Ei,
    /// Upper confidence bound `mean + beta * std`.
    Ucb {
        /// Exploration weight.
        beta: f64,
    },
    /// Probability of improvement.
    Pi,
    /// Posterior mean alone (pure exploitation).
    Mean,
}

/// UCB's exploration weight unless told otherwise (`--ucb-beta`).
pub const DEFAULT_UCB_BETA: f64 = 2.0;

/// The acquisition a user names (`--acquisition`, Python's `acquisition=`): a function,
/// or Thompson sampling, which has none (each proposal maximises one posterior draw).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquisitionChoice {
    /// Expected improvement.
    Ei,
    /// Upper confidence bound (mean + beta std).
    Ucb,
    /// Probability of improvement.
    Pi,
    /// Posterior mean.
    Mean,
    /// Thompson sampling (search only): each proposal maximises one posterior draw.
    Ts,
}

crate::named!(AcquisitionChoice, "acquisition", {
    Ei => "ei",
    Ucb => "ucb",
    Pi => "pi",
    Mean => "mean",
    Ts => "ts",
});

impl AcquisitionChoice {
    /// The acquisition function (UCB with `beta`), or `None` for Thompson sampling.
    pub fn function(self, beta: f64) -> Option<Acquisition> {
        match self {
            AcquisitionChoice::Ei => Some(Acquisition::Ei),
            AcquisitionChoice::Ucb => Some(Acquisition::Ucb { beta }),
            AcquisitionChoice::Pi => Some(Acquisition::Pi),
            AcquisitionChoice::Mean => Some(Acquisition::Mean),
            AcquisitionChoice::Ts => None,
        }
    }

    /// The function a scorer ranks candidates by: Thompson sampling, which draws a
    /// function per proposal, is an error.
    pub fn scoring(self) -> crate::error::Result<Acquisition> {
        self.function(DEFAULT_UCB_BETA).ok_or_else(|| {
            crate::error::Error::Config(
                "acquisition `ts` draws a function per proposal (search only); \
                 wlgp score ranks by ei, ucb, pi or mean"
                    .into(),
            )
        })
    }
}

/// Standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution function, accurate in the tails.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

impl Acquisition {
    /// Whether the value never decreases as the standard deviation grows (EI, UCB with a
    /// weight of at least 0, mean), so that the prior standard deviation gives an upper
    /// bound.
    pub fn grows_with_std(&self) -> bool {
        match *self {
            Acquisition::Pi => false,
            Acquisition::Ucb { beta } => beta >= 0.0,
            Acquisition::Ei | Acquisition::Mean => true,
        }
    }

    /// The acquisition value of one prediction given the incumbent `best`.
    pub fn value(&self, p: Prediction, best: f64) -> f64 {
        match *self {
            Acquisition::Ei => {
                if p.std <= 0.0 {
                    return (p.mean - best).max(0.0);
                }
                let u = (p.mean - best) / p.std;
                p.std * (u * norm_cdf(u) + norm_pdf(u))
            }
            Acquisition::Ucb { beta } => p.mean + beta * p.std,
            Acquisition::Pi => {
                if p.std <= 0.0 {
                    return if p.mean > best { 1.0 } else { 0.0 };
                }
                norm_cdf((p.mean - best) / p.std)
            }
            Acquisition::Mean => p.mean,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ei_matches_numeric_integration() {
        let p = Prediction {
            mean: 0.3,
            std: 0.7,
        };
        let best = 0.5;
        // E[max(f - best, 0)] by the midpoint rule.
        let (mut s, n) = (0.0, 200_000);
        let (lo, hi) = (p.mean - 10.0 * p.std, p.mean + 10.0 * p.std);
        let dx = (hi - lo) / n as f64;
        for i in 0..n {
            let x = lo + (i as f64 + 0.5) * dx;
            s += (x - best).max(0.0) * norm_pdf((x - p.mean) / p.std) / p.std * dx;
        }
        assert!((Acquisition::Ei.value(p, best) - s).abs() < 1e-7);
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!(norm_cdf(-40.0) >= 0.0 && norm_cdf(-8.0) > 0.0);
        assert!(Acquisition::Pi.value(p, best) < 0.5);
        assert_eq!(Acquisition::Ucb { beta: 2.0 }.value(p, best), 0.3 + 1.4);
        // A negative UCB weight shrinks with the std: the prior std bounds nothing.
        assert!(Acquisition::Ucb { beta: 2.0 }.grows_with_std());
        assert!(!Acquisition::Ucb { beta: -1.0 }.grows_with_std());
    }
}
