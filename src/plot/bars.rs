//! Horizontal bars, one row per category, every row labelled: the figure grows with the
//! number of bars instead of thinning the labels, and a name too long for the margin is
//! shortened with its full text in a `<title>` tooltip.

use super::axis::{Axis, Scale};
use super::svg::{Anchor, Svg};
use super::{colour, Frame};
use serde::{Deserialize, Serialize};

/// One bar: its category, its value and an optional ± error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// The category's name, printed beside the bar.
    pub label: String,
    /// The bar's length (negative to the left of zero).
    pub value: f64,
    /// An error bar's half-width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<f64>,
}

/// A horizontal bar chart: positive bars in one colour, negative in another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bars {
    /// The caption above the plot.
    pub title: String,
    /// The value axis's title.
    pub value_label: String,
    /// The rows, top to bottom.
    pub bars: Vec<Bar>,
}

/// Labels longer than this are shortened (the full text stays in the tooltip).
pub const MAX_LABEL: usize = 60;
const ROW: f64 = 22.0;
const CHAR: f64 = 6.4;
const WIDTH_PLOT: f64 = 480.0;

/// `s` cut to `MAX_LABEL` characters with an ellipsis, or `None` when it fits.
fn shortened(s: &str) -> Option<String> {
    (s.chars().count() > MAX_LABEL).then(|| s.chars().take(MAX_LABEL - 1).collect::<String>() + "…")
}

impl Bars {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let widest = self
            .bars
            .iter()
            .map(|b| b.label.chars().count().min(MAX_LABEL))
            .max()
            .unwrap_or(0);
        let left = 20.0 + CHAR * widest as f64;
        let frame = Frame {
            left,
            top: 44.0,
            right: left + WIDTH_PLOT,
            bottom: 44.0 + ROW * self.bars.len().max(1) as f64,
        };
        let width = frame.right + 30.0;
        let height = frame.bottom + 52.0;
        let ends = self.bars.iter().flat_map(|b| {
            let e = b.err.unwrap_or(0.0);
            [b.value - e, b.value + e, 0.0]
        });
        let x = Axis::fit(&self.value_label, Scale::Linear, ends);
        let y = Axis {
            label: String::new(),
            scale: Scale::Linear,
            lo: 0.0,
            hi: self.bars.len().max(1) as f64,
        };
        let mut svg = Svg::new(width, height);
        frame.caption(&mut svg, &self.title, width);
        frame.grid_and_ticks(&mut svg, Some(&x), None);
        for (i, b) in self.bars.iter().enumerate() {
            let row = y.hi - i as f64 - 0.5;
            let (x0, yc) = frame.at(&x, &y, 0.0, row);
            let (x1, _) = frame.at(&x, &y, b.value, row);
            let c = colour(if b.value >= 0.0 { 2 } else { 1 });
            let h = ROW * 0.66;
            svg.rect(x0.min(x1), yc - h / 2.0, (x1 - x0).abs(), h, c, None, "bar");
            if let Some(e) = b.err {
                let lo = frame.at(&x, &y, b.value - e, row);
                let hi = frame.at(&x, &y, b.value + e, row);
                svg.line(lo, hi, "#222222", 1.5);
            }
            let short = shortened(&b.label);
            svg.text(
                (frame.left - 6.0, yc + 4.0),
                short.as_deref().unwrap_or(&b.label),
                Anchor::End,
                11.0,
                "bar-label",
                short.is_some().then_some(b.label.as_str()),
                None,
            );
        }
        frame.axis_titles(&mut svg, &x.label, None);
        svg.finish()
    }
}
