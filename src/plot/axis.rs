//! Axes: a range, a scale, and the ticks a reader needs to read values off the plot.
//!
//! Three scales, because a reader reads each differently: a count (evaluations, training
//! size) is labelled only at integers; a linear measure at 1-2-5 steps with as many
//! decimals as the step needs; a log axis at every decade, with 2 and 5 labelled as well
//! when the plot spans two decades or fewer, so that a plot spanning one or two decades never
//! carries a single label.

use serde::{Deserialize, Serialize};

/// How values map onto an axis and how its ticks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// A continuous measure on a linear axis.
    Linear,
    /// A count on a linear axis: ticks only at integers, labelled as integers.
    Count,
    /// A positive measure on a base-10 log axis.
    Log,
}

crate::named!(Scale, "scale", {
    Linear => "linear",
    Count => "count",
    Log => "log",
});

/// One axis: its title, its scale and the value range it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The title printed along the axis.
    pub label: String,
    /// How values map and how ticks read.
    pub scale: Scale,
    /// The smallest value shown (positive on a log axis).
    pub lo: f64,
    /// The largest value shown.
    pub hi: f64,
}

/// A tick: where it is, and its label (empty for an unlabelled minor tick).
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// The value at the tick.
    pub value: f64,
    /// Its printed label; empty for a minor tick.
    pub label: String,
    /// Whether a grid line is drawn through it.
    pub major: bool,
}

impl Axis {
    /// An axis over the values given, widened to whole ticks (a count or linear axis) or
    /// to the decades around them (a log axis; non-positive values are ignored there).
    pub fn fit(label: &str, scale: Scale, values: impl IntoIterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            if v.is_finite() && (scale != Scale::Log || v > 0.0) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() {
            (lo, hi) = if scale == Scale::Log {
                (1.0, 10.0)
            } else {
                (0.0, 1.0)
            };
        }
        let (lo, hi) = match scale {
            Scale::Log => widen_log(lo, hi),
            Scale::Linear | Scale::Count => widen_linear(lo, hi, scale == Scale::Count),
        };
        Axis {
            label: label.to_string(),
            scale,
            lo,
            hi,
        }
    }

    /// Where `v` falls on the axis, 0 at `lo` and 1 at `hi`.
    pub fn frac(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Log => {
                (v.max(self.lo * 1e-3).log10() - self.lo.log10()) / (self.hi / self.lo).log10()
            }
            Scale::Linear | Scale::Count => (v - self.lo) / (self.hi - self.lo),
        }
    }

    /// The ticks inside the range, in increasing order.
    pub fn ticks(&self) -> Vec<Tick> {
        match self.scale {
            Scale::Log => log_ticks(self.lo, self.hi),
            Scale::Linear | Scale::Count => {
                linear_ticks(self.lo, self.hi, self.scale == Scale::Count)
            }
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about five intervals over `span`;
/// at least 1 for a count.
fn nice_step(span: f64, count: bool) -> f64 {
    let raw = (span / 5.0).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    if count {
        step.max(1.0).round()
    } else {
        step
    }
}

fn widen_linear(lo: f64, hi: f64, count: bool) -> (f64, f64) {
    let (lo, hi) = if hi - lo < 1e-12 * lo.abs().max(1.0) {
        (
            lo - 0.5_f64.max(lo.abs() * 0.05),
            hi + 0.5_f64.max(hi.abs() * 0.05),
        )
    } else {
        (lo, hi)
    };
    let step = nice_step(hi - lo, count);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

fn widen_log(lo: f64, hi: f64) -> (f64, f64) {
    let (a, b) = (lo.log10().floor(), hi.log10().ceil());
    let b = if b <= a { a + 1.0 } else { b };
    (10f64.powf(a), 10f64.powf(b))
}

fn linear_ticks(lo: f64, hi: f64, count: bool) -> Vec<Tick> {
    let step = nice_step(hi - lo, count);
    let decimals = if count {
        0
    } else {
        (-step.log10().floor()).max(0.0) as usize
    };
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            Tick {
                value: v,
                label: format!("{:.*}", decimals, if v == 0.0 { 0.0 } else { v }),
                major: true,
            }
        })
        .collect()
}

fn log_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    // Two decades or fewer across the plot: 2 and 5 are labelled too.
    let few = (hi / lo).log10() <= 2.0 + 1e-9;
    let mut ticks = Vec::new();
    for e in a..=b {
        for m in 1..10 {
            let v = m as f64 * 10f64.powi(e);
            if !inside(v) {
                continue;
            }
            let labelled = m == 1 || (few && (m == 2 || m == 5));
            ticks.push(Tick {
                value: v,
                label: if labelled {
                    log_label(v)
                } else {
                    String::new()
                },
                major: m == 1,
            });
        }
    }
    ticks
}

/// A log tick's label: plain digits from 0.001 to 9999, `k`/`M`/`G` above, `1e-4` below.
fn log_label(v: f64) -> String {
    if v >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else if v >= 1e-3 {
        trim(v)
    } else {
        let e = v.log10().floor();
        format!("{}e{}", trim(v / 10f64.powf(e)), e as i32)
    }
}

/// A value printed with the fewest decimals (at most 6) that keep it.
fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: &Axis) -> Vec<String> {
        a.ticks()
            .into_iter()
            .filter(|t| !t.label.is_empty())
            .map(|t| t.label)
            .collect()
    }

    #[test]
    fn a_count_axis_is_labelled_only_at_integers() {
        for hi in [3.0, 7.0, 10.0, 30.0, 100.0, 160.0, 1000.0] {
            let a = Axis::fit("evaluations", Scale::Count, [1.0, hi]);
            let l = labels(&a);
            assert!(l.len() >= 2, "{hi}: {l:?}");
            assert!(l.iter().all(|s| s.parse::<i64>().is_ok()), "{hi}: {l:?}");
        }
    }

    #[test]
    fn a_log_axis_over_two_decades_carries_labels_inside_each() {
        let a = Axis::fit("parameters", Scale::Log, [3.0e4, 2.0e6]);
        assert_eq!((a.lo, a.hi), (1e4, 1e7));
        let l = labels(&a);
        assert!(
            l.contains(&"100k".to_string()) && l.contains(&"1M".to_string()),
            "{l:?}"
        );
        let a = Axis::fit("parameters", Scale::Log, [1.2e5, 8.0e5]);
        let l = labels(&a);
        assert!(l.len() >= 4, "one decade must still carry labels: {l:?}");
    }

    #[test]
    fn linear_ticks_have_the_decimals_their_step_needs() {
        let a = Axis::fit("rho", Scale::Linear, [0.12, 0.87]);
        assert_eq!(labels(&a), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let a = Axis::fit("accuracy", Scale::Linear, [61.0, 93.5]);
        assert!(labels(&a).iter().all(|s| !s.contains('.')));
        assert!(a.lo >= 60.0 && a.hi <= 100.0, "{a:?}");
    }

    #[test]
    fn a_single_value_still_gets_a_range() {
        let a = Axis::fit("x", Scale::Linear, [5.0, 5.0]);
        assert!(a.lo < 5.0 && a.hi > 5.0);
        let a = Axis::fit("x", Scale::Log, [5.0]);
        assert!(a.lo < 5.0 && a.hi > 5.0);
        assert!(Axis::fit("x", Scale::Count, []).hi > 0.0);
    }
}
