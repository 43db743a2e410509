//! An x-y chart: lines with a shaded ±error band, dots, and lines with dots, on count,
//! linear or log axes, with a light grid under the data and the legend beside the plot
//! (never over it).

use super::axis::{Axis, Scale};
use super::svg::{Anchor, Svg};
use super::{colour, Frame};
use serde::{Deserialize, Serialize};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A line through the points, with a shaded band where points carry an error.
    #[default]
    Line,
    /// A line through the points with a dot at each.
    Linedots,
    /// Dots only (every evaluation of a search, say).
    Dots,
}

/// One point; `err` shades `y ± err` on a line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal value.
    pub x: f64,
    /// Vertical value.
    pub y: f64,
    /// Half-width of the shaded band (a standard error, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<f64>,
}

/// A named set of points drawn in one colour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The legend's name for it.
    pub name: String,
    /// The points, drawn in the order given (sorted by x for a front).
    pub points: Vec<Point>,
    /// How it is drawn.
    #[serde(default)]
    pub style: Style,
    /// A colour (`#rrggbb`); by default the next of the palette.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

/// An axis as declared: the range is fitted to the data where not given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisSpec {
    /// The axis title.
    pub label: String,
    /// Count, linear or log.
    pub scale: Scale,
    /// A fixed lower end (else fitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lo: Option<f64>,
    /// A fixed upper end (else fitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hi: Option<f64>,
}

impl AxisSpec {
    /// An axis fitted to its data.
    pub fn new(label: &str, scale: Scale) -> AxisSpec {
        AxisSpec {
            label: label.to_string(),
            scale,
            lo: None,
            hi: None,
        }
    }

    fn resolve(&self, values: impl IntoIterator<Item = f64>) -> Axis {
        let fixed = [self.lo, self.hi].into_iter().flatten();
        let mut a = Axis::fit(&self.label, self.scale, values.into_iter().chain(fixed));
        a.lo = self.lo.unwrap_or(a.lo);
        a.hi = self.hi.unwrap_or(a.hi);
        a
    }
}

/// An x-y chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// The caption above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: AxisSpec,
    /// The vertical axis.
    pub y: AxisSpec,
    /// What is drawn, in order (later series on top).
    pub series: Vec<Series>,
}

const WIDTH: f64 = 780.0;
const HEIGHT: f64 = 460.0;
const LEGEND: f64 = 170.0;

impl Chart {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.x));
        let ys = self.series.iter().flat_map(|s| {
            s.points.iter().flat_map(|p| {
                let e = p.err.unwrap_or(0.0);
                [p.y - e, p.y + e]
            })
        });
        let frame = Frame {
            left: 72.0,
            top: 44.0,
            right: WIDTH - LEGEND,
            bottom: HEIGHT - 52.0,
        };
        let (x, y) = (self.x.resolve(xs), self.y.resolve(ys));
        let mut svg = Svg::new(WIDTH, HEIGHT);
        frame.caption(&mut svg, &self.title, WIDTH);
        frame.grid_and_ticks(&mut svg, Some(&x), Some(&y));
        for (i, s) in self.series.iter().enumerate() {
            let c = s.colour.clone().unwrap_or_else(|| colour(i).to_string());
            let at = |p: &Point, v: f64| frame.at(&x, &y, p.x, v);
            let band = s.points.iter().any(|p| p.err.is_some());
            if band && s.style != Style::Dots {
                let e = |p: &Point| p.err.unwrap_or(0.0);
                let edge: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .map(|p| at(p, p.y + e(p)))
                    .chain(s.points.iter().rev().map(|p| at(p, p.y - e(p))))
                    .collect();
                svg.polygon(&edge, &c, 0.18);
            }
            if s.style != Style::Dots {
                let line: Vec<(f64, f64)> = s.points.iter().map(|p| at(p, p.y)).collect();
                svg.polyline(&line, &c, 2.0, "series");
            }
            if s.style != Style::Line {
                let (r, o) = if s.style == Style::Dots {
                    (2.5, 0.45)
                } else {
                    (3.5, 1.0)
                };
                for p in &s.points {
                    svg.circle(at(p, p.y), r, &c, o);
                }
            }
            frame.legend_entry(&mut svg, i, &s.name, &c, s.style);
        }
        frame.axis_titles(&mut svg, &x.label, Some(&y.label));
        svg.finish()
    }
}

impl Frame {
    /// One legend entry beside the plot: a swatch in the series' style and its name.
    fn legend_entry(&self, svg: &mut Svg, i: usize, name: &str, c: &str, style: Style) {
        let (x, y) = (self.right + 16.0, self.top + 8.0 + 18.0 * i as f64);
        if style == Style::Dots {
            svg.circle((x + 9.0, y), 3.0, c, 0.8);
        } else {
            svg.line((x, y), (x + 18.0, y), c, 2.5);
        }
        svg.text(
            (x + 24.0, y + 4.0),
            name,
            Anchor::Start,
            11.0,
            "legend",
            None,
            None,
        );
    }
}
