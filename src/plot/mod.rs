//! Plots for every command and script that draws: regret and rank-correlation curves,
//! Pareto fronts, motif effects, NAGO studies, multi-fidelity curves.
//!
//! One module so that a fix to how a plot reads lands everywhere: every bar is labelled
//! (long names truncated, the full name kept in a `<title>` tooltip), counts are ticked at
//! integers, log axes at every decade (and at 2 and 5 when two decades or fewer show), and the grid
//! is light enough not to compete with the data. A [`Figure`] is plain data (serde), so
//! `wlgp plot` draws one from JSON written by a script; [`check`] reads a drawn SVG back
//! and lists what a reader could not read.

mod axis;
mod bars;
mod chart;
pub mod check;
mod svg;

pub use axis::{Axis, Scale, Tick};
pub use bars::{Bar, Bars};
pub use chart::{AxisSpec, Chart, Point, Series, Style};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use svg::{Anchor, Svg};

/// Anything wlgp draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Figure {
    /// An x-y chart of lines and dots.
    Chart(Chart),
    /// Horizontal bars, one labelled row each.
    Bars(Bars),
}

impl Figure {
    /// The figure as an SVG document.
    pub fn svg(&self) -> String {
        match self {
            Figure::Chart(c) => c.svg(),
            Figure::Bars(b) => b.svg(),
        }
    }

    /// The first value that is not finite (a failed run's NaN), named, if any: a plot
    /// never draws one as if it were a number.
    fn not_finite(&self) -> Option<String> {
        let bad = |v: f64| !v.is_finite();
        match self {
            Figure::Chart(c) => c.series.iter().find_map(|s| {
                let i = s
                    .points
                    .iter()
                    .position(|p| bad(p.x) || bad(p.y) || p.err.is_some_and(bad))?;
                Some(format!("point {} of `{}`", i + 1, s.name))
            }),
            Figure::Bars(b) => b
                .bars
                .iter()
                .find(|r| bad(r.value) || r.err.is_some_and(bad))
                .map(|r| format!("the bar `{}`", r.label)),
        }
    }

    /// Draws the figure to `path` (written whole, then moved into place, so a reader
    /// never sees half a file); an empty figure is an error, not a blank image.
    pub fn write(&self, path: &Path) -> Result<()> {
        let empty = match self {
            Figure::Chart(c) => c.is_empty(),
            Figure::Bars(b) => b.bars.is_empty(),
        };
        if empty {
            return Err(Error::Empty(format!(
                "nothing to plot in {}",
                path.display()
            )));
        }
        if let Some(what) = self.not_finite() {
            return Err(Error::Value(format!(
                "{}: {what} is not a finite number; nothing drawn",
                path.display()
            )));
        }
        let io = |e: std::io::Error| Error::Config(format!("drawing {}: {e}", path.display()));
        let tmp = path.with_extension("svg.tmp");
        std::fs::write(&tmp, self.svg()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// The palette, in series order (colour-blind-safe where it matters: blue, vermilion,
/// green, orange, purple, brown, grey).
const PALETTE: [&str; 7] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f",
];

/// The `i`-th colour of the palette.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

const GRID: &str = "#ececec";
const FRAME: &str = "#555555";

/// The plot area inside a figure, in pixels.
struct Frame {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Frame {
    fn width(&self) -> f64 {
        self.right - self.left
    }

    fn height(&self) -> f64 {
        self.bottom - self.top
    }

    /// The pixel at a data point (clamped into the plot: a zero regret on a log axis sits
    /// on its floor).
    fn at(&self, x: &Axis, y: &Axis, vx: f64, vy: f64) -> (f64, f64) {
        let (fx, fy) = (x.frac(vx).clamp(0.0, 1.0), y.frac(vy).clamp(0.0, 1.0));
        (
            self.left + fx * self.width(),
            self.bottom - fy * self.height(),
        )
    }

    fn caption(&self, svg: &mut Svg, title: &str, width: f64) {
        svg.text(
            (width / 2.0, 24.0),
            title,
            Anchor::Middle,
            15.0,
            "title",
            None,
            None,
        );
    }

    /// The light grid at major ticks, the frame, and the tick marks and labels of the
    /// axes given (a bar chart has no vertical value axis).
    fn grid_and_ticks(&self, svg: &mut Svg, x: Option<&Axis>, y: Option<&Axis>) {
        for (axis, horizontal) in [(x, true), (y, false)] {
            let Some(a) = axis else { continue };
            let class = format!(
                "tick {} {}",
                if horizontal { "x" } else { "y" },
                a.scale.name()
            );
            for t in a.ticks() {
                let f = a.frac(t.value);
                let (p, q, len) = if horizontal {
                    let px = self.left + f * self.width();
                    ((px, self.top), (px, self.bottom), (px, self.bottom + 4.0))
                } else {
                    let py = self.bottom - f * self.height();
                    ((self.left, py), (self.right, py), (self.left - 4.0, py))
                };
                if t.major {
                    svg.line(p, q, GRID, 1.0);
                }
                let from = if horizontal { q } else { p };
                let mark = if t.major { len } else { mid(from, len) };
                svg.line(from, mark, FRAME, 1.0);
                if !t.label.is_empty() {
                    let (at, anchor) = if horizontal {
                        ((len.0, len.1 + 13.0), Anchor::Middle)
                    } else {
                        ((len.0 - 3.0, len.1 + 4.0), Anchor::End)
                    };
                    svg.text(at, &t.label, anchor, 11.0, &class, None, None);
                }
            }
        }
        svg.rect(
            self.left,
            self.top,
            self.width(),
            self.height(),
            "none",
            Some(FRAME),
            "frame",
        );
    }

    fn axis_titles(&self, svg: &mut Svg, x: &str, y: Option<&str>) {
        let cx = self.left + self.width() / 2.0;
        svg.text(
            (cx, self.bottom + 36.0),
            x,
            Anchor::Middle,
            12.0,
            "axis-title",
            None,
            None,
        );
        if let Some(y) = y {
            let at = (18.0, self.top + self.height() / 2.0);
            svg.text(at, y, Anchor::Middle, 12.0, "axis-title", None, Some(-90.0));
        }
    }
}

fn mid(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
}
