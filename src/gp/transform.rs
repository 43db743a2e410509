//! Target transforms applied before standardisation.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A monotone increasing map from the user's values to the modelled scale.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Transform {
    /// Model the values as they are.
    Identity,
    /// Negate (for metrics where smaller is better, such as latency).
    Negate,
    /// `-ln(1 - v / scale)`: spreads accuracies near the top (NAS-BOWL's choice);
    /// `scale` is 1 for fractions and 100 for percentages.
    NegLogError {
        /// The value of a perfect score.
        scale: f64,
    },
    /// `-ln(v / scale)`: the same scale for error rates (smaller is better).
    NegLog {
        /// The error of a total failure (1 for fractions, 100 for percentages).
        scale: f64,
    },
}

/// The smallest error (as a fraction) the log scales resolve: a perfect score is
/// modelled as this error rather than an infinite value.
pub const ERROR_FLOOR: f64 = 1e-4;

impl Transform {
    /// Transforms one value, rejecting NaN, infinities and accuracies outside [0, scale).
    pub fn apply(&self, v: f64) -> Result<f64> {
        if !v.is_finite() {
            return Err(Error::Value(format!(
                "{v} is not a finite number (NaN or missing?)"
            )));
        }
        Ok(match *self {
            Transform::Identity => v,
            Transform::Negate => -v,
            Transform::NegLogError { scale } => {
                let a = v / scale;
                if !(0.0..=1.0).contains(&a) {
                    return Err(Error::Value(format!(
                        "{v} is outside [0, {scale}] and cannot be modelled as an accuracy"
                    )));
                }
                -(1.0 - a).max(ERROR_FLOOR).ln()
            }
            Transform::NegLog { scale } => {
                let e = v / scale;
                if !(0.0..=1.0).contains(&e) {
                    return Err(Error::Value(format!(
                        "{v} is outside [0, {scale}] and cannot be modelled as an error rate"
                    )));
                }
                -e.max(ERROR_FLOOR).ln()
            }
        })
    }

    /// The map as a formula of the value `v`, for messages and JSON output.
    pub fn formula(&self) -> String {
        match *self {
            Transform::Identity => "v".into(),
            Transform::Negate => "-v".into(),
            Transform::NegLogError { scale: 1.0 } => "-ln(1 - v)".into(),
            Transform::NegLogError { scale } => format!("-ln(1 - v/{scale})"),
            Transform::NegLog { scale: 1.0 } => "-ln(v)".into(),
            Transform::NegLog { scale } => format!("-ln(v/{scale})"),
        }
    }

    /// Transforms a slice, naming the first bad entry.
    pub fn apply_all(&self, y: &[f64]) -> Result<Vec<f64>> {
        y.iter()
            .enumerate()
            .map(|(i, &v)| {
                self.apply(v)
                    .map_err(|e| Error::Value(format!("target {i}: {e}")))
            })
            .collect()
    }

    /// Transformed and standardised targets `z` (mean 0, std 1) with the mean and std
    /// used: every surrogate models this latent scale. Computed on values scaled by their
    /// largest magnitude, so that values near the largest float do not overflow; constant
    /// values (or one value) get the std `max(|mean|, 1e-3)` (in the transformed units),
    /// so that nothing learned leaves the prior's uncertainty rather than none.
    pub fn standardize(&self, y: &[f64]) -> Result<(Vec<f64>, f64, f64)> {
        let t = self.apply_all(y)?;
        let n = t.len().max(1) as f64;
        let big = t.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let k = if big > 0.0 { big } else { 1.0 };
        let mean_k = t.iter().map(|v| v / k).sum::<f64>() / n;
        let var_k = t.iter().map(|v| (v / k - mean_k).powi(2)).sum::<f64>() / n;
        let (mean, std) = if var_k > 1e-24 {
            (mean_k * k, var_k.sqrt() * k)
        } else {
            let m = mean_k * k;
            (m, m.abs().max(1e-3))
        };
        let z = t
            .iter()
            .map(|v| (v / k - mean_k) / (std / k))
            .collect::<Vec<f64>>();
        if z.iter().any(|v| !v.is_finite()) || !mean.is_finite() || !std.is_finite() {
            return Err(Error::Value(
                "the values cannot be standardised in floating point (too extreme?)".into(),
            ));
        }
        Ok((z, mean, std))
    }

    /// Size of the derivative of the inverse map at `t` (to carry a standard deviation back, to first order).
    pub fn invert_slope(&self, t: f64) -> f64 {
        match *self {
            Transform::Identity | Transform::Negate => 1.0,
            Transform::NegLogError { scale } => scale * (-t).exp(),
            Transform::NegLog { scale } => scale * (-t).exp(),
        }
    }

    /// The inverse map.
    pub fn invert(&self, t: f64) -> f64 {
        match *self {
            Transform::Identity => t,
            Transform::Negate => -t,
            Transform::NegLogError { scale } => scale * (1.0 - (-t).exp()),
            Transform::NegLog { scale } => scale * (-t).exp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_and_constant_values_standardise_to_finite_numbers() {
        let (z, m, s) = Transform::Identity
            .standardize(&[1e308, -1e308, 1e308])
            .unwrap();
        assert!(z.iter().all(|v| v.is_finite()) && m.is_finite() && s.is_finite() && s > 0.0);
        let (z, m, s) = Transform::Identity.standardize(&[0.7, 0.7, 0.7]).unwrap();
        assert_eq!((z, m, s), (vec![0.0; 3], 0.7, 0.7));
        let (_, _, s) = Transform::Identity.standardize(&[0.0]).unwrap();
        assert_eq!(s, 1e-3);
    }

    #[test]
    fn round_trips() {
        for t in [
            Transform::Identity,
            Transform::Negate,
            Transform::NegLogError { scale: 100.0 },
            Transform::NegLog { scale: 1.0 },
        ] {
            let top = if matches!(t, Transform::NegLog { .. }) {
                1.0
            } else {
                100.0
            };
            for v in [0.0, 0.125, 0.937, 12.5, 93.7]
                .into_iter()
                .filter(|&v| v <= top)
            {
                if matches!(t, Transform::NegLog { .. }) && v < ERROR_FLOOR {
                    continue;
                }
                assert!((t.invert(t.apply(v).unwrap()) - v).abs() < 1e-9);
            }
        }
        // A perfect score is finite: the error floor.
        let top = Transform::NegLogError { scale: 1.0 }.apply(1.0).unwrap();
        assert!((top + ERROR_FLOOR.ln()).abs() < 1e-12);
        assert!(Transform::NegLogError { scale: 1.0 }.apply(1.01).is_err());
        assert!(Transform::NegLog { scale: 1.0 }.apply(-0.1).is_err());
        assert!(Transform::Identity.apply(f64::NAN).is_err());
    }
}
