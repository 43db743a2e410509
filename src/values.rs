//! What a user's numbers are: accuracies (fractions or percent), error rates, losses,
//! costs or any other score. The semantics decide the search direction and the GP's
//! target transform, so a CSV, a journal or a training command gets the same model as the
//! embedded table with the same numbers.

use crate::error::{Error, Result};
use crate::gp::Transform;
use serde::{Deserialize, Serialize};

/// The meaning of a column of values (`--values`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Values {
    /// Accuracy as a fraction in [0, 1]; modelled as -ln(1 - a).
    Accuracy,
    /// Accuracy in percent, in [0, 100]; modelled as -ln(1 - a/100).
    AccuracyPercent,
    /// Error rate as a fraction in [0, 1], minimised; modelled as -ln(e).
    Error,
    /// Error rate in percent, in [0, 100], minimised; modelled as -ln(e/100).
    ErrorPercent,
    /// A loss, minimised; modelled as -v.
    Loss,
    /// A cost such as latency, parameters or FLOPs, minimised; modelled as -v.
    Cost,
    /// Any other larger-is-better score; modelled as it is.
    Score,
}

crate::named!(Values, "values", {
    Accuracy => "accuracy",
    AccuracyPercent => "accuracy-percent",
    Error => "error",
    ErrorPercent => "error-percent",
    Loss => "loss",
    Cost => "cost",
    Score => "score",
});

impl Values {
    /// Whether larger values are better.
    pub fn maximize(self) -> bool {
        matches!(
            self,
            Values::Accuracy | Values::AccuracyPercent | Values::Score
        )
    }

    /// The better of two values.
    pub fn better(self, a: f64, b: f64) -> bool {
        if self.maximize() {
            a > b
        } else {
            a < b
        }
    }

    /// The value of a perfect score, for accuracies and error rates.
    pub fn scale(self) -> Option<f64> {
        match self {
            Values::Accuracy | Values::Error => Some(1.0),
            Values::AccuracyPercent | Values::ErrorPercent => Some(100.0),
            _ => None,
        }
    }

    /// The GP's target transform: increasing in how good a value is, and for accuracies
    /// and errors the NAS-BOWL log-error scale, which spreads the near-perfect values that
    /// decide a search (it ranks held-out architectures better on every embedded table).
    pub fn transform(self) -> Transform {
        match self {
            Values::Accuracy | Values::AccuracyPercent => Transform::NegLogError {
                scale: self.scale().expect("accuracy has a scale"),
            },
            Values::Error | Values::ErrorPercent => Transform::NegLog {
                scale: self.scale().expect("error has a scale"),
            },
            Values::Loss | Values::Cost => Transform::Negate,
            Values::Score => Transform::Identity,
        }
    }

    /// The semantics of an embedded table's metric, from its source's conventions.
    pub fn of_table_metric(metric: &str) -> Values {
        match metric {
            "latency" | "para" => Values::Cost,
            m if m.ends_with("_accuracy") => Values::AccuracyPercent,
            "valid_perf" | "perf" => Values::Accuracy,
            _ => Values::Score,
        }
    }

    /// Checks that every value fits these semantics, naming the first that does not.
    pub fn check(self, ys: &[f64]) -> Result<()> {
        for (i, &v) in ys.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::Value(format!(
                    "value {i} is {v}, not a finite number"
                )));
            }
            if let Some(s) = self.scale() {
                if !(0.0..=s).contains(&v) {
                    let hint = match self {
                        Values::Accuracy => "; for percentages use --values accuracy-percent",
                        Values::Error => "; for percentages use --values error-percent",
                        _ => "",
                    };
                    return Err(Error::Value(format!(
                        "value {i} is {v}, outside [0, {s}] for --values {}{hint}",
                        self.name()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The semantics a name suggests, given the values seen (`None`: no safe guess).
    /// Accuracies and errors are recognised by name and their scale by range; a name
    /// alone never makes values in [0, 1] an accuracy.
    pub fn infer(name: &str, ys: &[f64]) -> Option<Values> {
        let n = name.to_ascii_lowercase();
        let within = |s: f64| ys.iter().all(|v| (0.0..=s).contains(v));
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["err"]) {
            return if within(1.0) {
                Some(Values::Error)
            } else if within(100.0) {
                Some(Values::ErrorPercent)
            } else {
                None
            };
        }
        if has(&["acc", "top1", "top-1", "top_1"]) {
            return if within(1.0) {
                Some(Values::Accuracy)
            } else if within(100.0) {
                Some(Values::AccuracyPercent)
            } else {
                None
            };
        }
        if has(&["loss", "nll", "perplexity"]) {
            return Some(Values::Loss);
        }
        if has(&[
            "latency", "param", "flop", "cost", "time", "memory", "energy",
        ]) {
            return Some(Values::Cost);
        }
        None
    }

    /// The search direction a name suggests before any value is seen.
    pub fn direction_of_name(name: &str) -> bool {
        Values::infer(name, &[]).is_none_or(|v| v.maximize())
    }
}

/// How the values of a run are to be understood: declared by the user, known from an
/// embedded table, or to be inferred from a column or metric name and the values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValuesSpec {
    /// `--values` (or the table's own semantics).
    pub declared: Option<Values>,
    /// The column or metric name inference reads.
    pub name: String,
    /// `--transform`: the log-error scale (auto) or the values as they are.
    pub transform: TransformChoice,
}

/// `--transform`: the default per-values transform, or the values as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransformChoice {
    /// The values' own transform (-ln(1 - a) for accuracies, -ln(e) for errors, -v for
    /// losses and costs, v for scores).
    Auto,
    /// The values as they are (negated when smaller is better).
    Identity,
    /// -ln(1 - accuracy) or -ln(error): refused for values that are neither.
    NegLogError,
}

crate::named!(TransformChoice, "transform", {
    Auto => "auto",
    Identity => "identity",
    NegLogError => "neg-log-error",
});

/// What a [`ValuesSpec`] resolved to for the data at hand.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resolved {
    /// The semantics used.
    pub values: Values,
    /// The GP's target transform.
    pub transform: Transform,
    /// `declared`, `table`, or why the semantics were inferred.
    pub source: String,
}

impl Resolved {
    /// One line for stderr, saying what the values were taken to be.
    pub fn announce(&self) -> String {
        format!(
            "wlgp: values taken as `{}` ({}), modelled as {}",
            self.values,
            self.source,
            self.transform.formula()
        )
    }
}

impl ValuesSpec {
    /// Values known from an embedded table's metric.
    pub fn table(metric: &str) -> ValuesSpec {
        ValuesSpec {
            declared: Some(Values::of_table_metric(metric)),
            name: metric.to_string(),
            transform: TransformChoice::Auto,
        }
    }

    /// Whether larger values are better, known before any value is seen.
    pub fn maximize(&self) -> bool {
        match self.declared {
            Some(v) => v.maximize(),
            None => Values::direction_of_name(&self.name),
        }
    }

    /// The semantics that fix the search direction before any value is seen.
    pub fn direction_values(&self) -> Values {
        match self.declared {
            Some(v) => v,
            None if self.maximize() => Values::Score,
            None => Values::Loss,
        }
    }

    /// The semantics and transform for these values; errors for values that do not fit
    /// declared semantics.
    pub fn resolve(&self, ys: &[f64]) -> Result<Resolved> {
        let (values, source) = match self.declared {
            Some(v) => (v, "declared".to_string()),
            None => match Values::infer(&self.name, ys) {
                Some(v) => (
                    v,
                    format!("inferred from the name `{}` and the range of the values", self.name),
                ),
                None if self.maximize() => (
                    Values::Score,
                    format!(
                        "nothing in the name `{}` says more; declare them (`--values`, or `values=` in Python) if they are accuracies, errors or losses",
                        self.name
                    ),
                ),
                None => (Values::Loss, "inferred from --minimize".into()),
            },
        };
        values.check(ys)?;
        let transform = match self.transform {
            TransformChoice::Auto => values.transform(),
            TransformChoice::Identity if values.maximize() => Transform::Identity,
            TransformChoice::Identity => Transform::Negate,
            TransformChoice::NegLogError => match values.transform() {
                t @ (Transform::NegLogError { .. } | Transform::NegLog { .. }) => t,
                _ => {
                    return Err(Error::Config(format!(
                        "--transform neg-log-error needs accuracies or error rates, and the values are `{values}` (declare them with --values)"
                    )))
                }
            },
        };
        Ok(Resolved {
            values,
            transform,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inference_reads_names_and_ranges() {
        assert_eq!(
            Values::infer("val_acc", &[0.5, 0.9]),
            Some(Values::Accuracy)
        );
        assert_eq!(
            Values::infer("accuracy", &[50.0, 93.1]),
            Some(Values::AccuracyPercent)
        );
        assert_eq!(Values::infer("top1_err", &[0.1]), Some(Values::Error));
        assert_eq!(Values::infer("valid_loss", &[2.3]), Some(Values::Loss));
        assert_eq!(Values::infer("latency_ms", &[2.3]), Some(Values::Cost));
        // A bare `value` in [0, 1] is not assumed to be an accuracy.
        assert_eq!(Values::infer("value", &[0.5, 0.9]), None);
        assert_eq!(Values::infer("acc", &[150.0]), None);
    }

    #[test]
    fn declared_accuracy_out_of_range_is_refused() {
        let spec = ValuesSpec {
            declared: Some(Values::Accuracy),
            name: "value".into(),
            transform: TransformChoice::Auto,
        };
        let e = spec.resolve(&[0.5, 93.0]).unwrap_err().to_string();
        assert!(
            e.contains("value 1 is 93") && e.contains("accuracy-percent"),
            "{e}"
        );
        assert!(spec.resolve(&[0.5, 1.0, 0.0]).is_ok());
    }

    #[test]
    fn table_metrics_map_to_their_semantics() {
        assert_eq!(
            Values::of_table_metric("baseline_accuracy"),
            Values::AccuracyPercent
        );
        assert_eq!(Values::of_table_metric("valid_perf"), Values::Accuracy);
        assert_eq!(Values::of_table_metric("latency"), Values::Cost);
        assert!(!Values::Error.maximize() && Values::Accuracy.maximize());
        let acc = Values::Accuracy.transform().apply(0.9).unwrap();
        let err = Values::Error.transform().apply(0.1).unwrap();
        assert!((acc - err).abs() < 1e-12);
    }
}
