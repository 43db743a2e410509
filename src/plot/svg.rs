//! A minimal SVG writer: the handful of elements the charts draw, with text escaped.
//!
//! Written by hand rather than through a drawing crate because a reader's needs here are
//! SVG's own: a `<title>` tooltip on a truncated label, and `class` names that a test
//! (and [`super::check`]) can read back to verify every bar and tick.

use std::fmt::Write;

/// Text anchoring, as SVG's `text-anchor`.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    /// The text starts at x.
    Start,
    /// The text is centred on x.
    Middle,
    /// The text ends at x.
    End,
}

/// An SVG document under construction.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

/// `s` with XML's five special characters escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Points as SVG's `points` attribute.
fn points(pts: &[(f64, f64)]) -> String {
    let mut s = String::new();
    for (i, (x, y)) in pts.iter().enumerate() {
        let _ = write!(s, "{}{x:.1},{y:.1}", if i == 0 { "" } else { " " });
    }
    s
}

impl Svg {
    /// An empty white canvas of the given size in pixels.
    pub fn new(width: f64, height: f64) -> Svg {
        let mut s = Svg {
            body: String::new(),
            width,
            height,
        };
        s.rect(0.0, 0.0, width, height, "white", None, "background");
        s
    }

    /// A rectangle; `stroke` draws its outline.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: &str,
        stroke: Option<&str>,
        class: &str,
    ) {
        let stroke = stroke.map_or(String::new(), |c| format!(" stroke=\"{c}\""));
        let _ = writeln!(
            self.body,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"{stroke}/>",
            w.max(0.0),
            h.max(0.0)
        );
    }

    /// A straight line.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>",
            a.0, a.1, b.0, b.1
        );
    }

    /// An open polyline.
    pub fn polyline(&mut self, pts: &[(f64, f64)], stroke: &str, width: f64, class: &str) {
        let _ = writeln!(
            self.body,
            "<polyline class=\"{class}\" points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"/>",
            points(pts)
        );
    }

    /// A filled polygon with the given opacity.
    pub fn polygon(&mut self, pts: &[(f64, f64)], fill: &str, opacity: f64) {
        let _ = writeln!(
            self.body,
            "<polygon points=\"{}\" fill=\"{fill}\" fill-opacity=\"{opacity}\" stroke=\"none\"/>",
            points(pts)
        );
    }

    /// A filled circle with the given opacity.
    pub fn circle(&mut self, c: (f64, f64), r: f64, fill: &str, opacity: f64) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/>",
            c.0, c.1
        );
    }

    /// Text at a point; `title` adds a tooltip (the full text of a truncated label);
    /// `rotate` turns it by degrees about the point.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        at: (f64, f64),
        text: &str,
        anchor: Anchor,
        size: f64,
        class: &str,
        title: Option<&str>,
        rotate: Option<f64>,
    ) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let turn = rotate.map_or(String::new(), |r| {
            format!(" transform=\"rotate({r} {:.1} {:.1})\"", at.0, at.1)
        });
        let tip = title.map_or(String::new(), |t| format!("<title>{}</title>", escape(t)));
        let _ = writeln!(
            self.body,
            "<text class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"{size}\"{turn}>{tip}{}</text>",
            at.0,
            at.1,
            escape(text)
        );
    }

    /// The finished document.
    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\">\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        )
    }
}
