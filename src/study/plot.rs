//! Study plots (SVG, plotters): mean regret +- 1 standard error against evaluations, and
//! predictor rank correlation against training size.

use super::{regret_curve, PredictorRow, StudyRun};
use crate::error::{Error, Result};
use crate::stats::mean_se;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use std::path::Path;

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("drawing {}: {e}", path.display()))
}

/// Colours for the series, in order.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// One named series of `(x, mean, standard error)` points.
type Series = (String, Vec<(f64, f64, f64)>);

/// Draws series with a shaded +-1 s.e. band: y on a log scale clamped at a floor below
/// the smallest positive mean when `log_y` (regret), else x on a log scale (training size).
fn draw(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<()> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, m, se) in series.iter().flat_map(|s| s.1.iter()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(m - se);
        y1 = y1.max(m + se);
    }
    if !x0.is_finite() || !y0.is_finite() {
        return Err(Error::Empty(format!(
            "nothing to plot in {}",
            path.display()
        )));
    }
    let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60);
    if log_y {
        let floor = series
            .iter()
            .flat_map(|s| s.1.iter().map(|p| p.1))
            .filter(|&v| v > 0.0)
            .fold(1e-3, f64::min)
            * 0.5;
        let chart = builder
            .build_cartesian_2d(x0..x1, (floor..y1.max(floor * 10.0)).log_scale())
            .map_err(|e| plot_err(path, e))?;
        fill(chart, path, x_label, y_label, series, floor, false)?;
    } else {
        let chart = builder
            .build_cartesian_2d((x0..x1).log_scale(), y0.min(0.0)..1.0)
            .map_err(|e| plot_err(path, e))?;
        fill(
            chart,
            path,
            x_label,
            y_label,
            series,
            f64::NEG_INFINITY,
            true,
        )?;
    }
    root.present().map_err(|e| plot_err(path, e))
}

/// Mesh, bands, lines (and dots) and legend on a built chart; values are clamped at `floor`.
fn fill<'a, X, Y>(
    mut chart: ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    path: &Path,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    floor: f64,
    dots: bool,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let err = |e: DrawingAreaErrorKind<_>| plot_err(path, e);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(err)?;
    for (i, (name, s)) in series.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        let band: Vec<(f64, f64)> = s
            .iter()
            .map(|p| (p.0, (p.1 + p.2).max(floor)))
            .chain(s.iter().rev().map(|p| (p.0, (p.1 - p.2).max(floor))))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18))))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                s.iter().map(|p| (p.0, p.1.max(floor))),
                c.stroke_width(2),
            ))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
        if dots {
            chart
                .draw_series(s.iter().map(|p| Circle::new((p.0, p.1), 3, c.filled())))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .position(if dots {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        })
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Mean regret +- 1 s.e. against evaluations, one line per method, for one dataset.
pub fn plot_regret(path: &Path, dataset: &str, runs: &[StudyRun]) -> Result<()> {
    let mut methods = Vec::new();
    for r in runs.iter().filter(|r| r.dataset == dataset) {
        if !methods.contains(&r.method) {
            methods.push(r.method);
        }
    }
    let series: Vec<Series> = methods
        .iter()
        .map(|&m| {
            let rs: Vec<&StudyRun> = runs
                .iter()
                .filter(|r| r.dataset == dataset && r.method == m)
                .collect();
            let curve = regret_curve(&rs);
            (
                format!("{m:?}").to_lowercase(),
                curve
                    .iter()
                    .enumerate()
                    .map(|(i, &(m, se))| ((i + 1) as f64, m, se))
                    .collect(),
            )
        })
        .collect();
    let seeds = runs
        .iter()
        .filter(|r| r.dataset == dataset && r.method == methods[0])
        .count();
    draw(
        path,
        &format!("{dataset}: mean regret +- 1 s.e. ({seeds} seeds)"),
        "evaluations",
        "regret",
        &series,
        true,
    )
}

/// Spearman rho (mean +- 1 s.e. over seeds) against training size for the given models.
pub fn plot_predictor(
    path: &Path,
    dataset: &str,
    rows: &[PredictorRow],
    models: &[&str],
) -> Result<()> {
    let series: Vec<Series> = models
        .iter()
        .map(|&m| {
            let mut sizes: Vec<usize> = rows
                .iter()
                .filter(|r| r.dataset == dataset && r.model == m)
                .map(|r| r.size)
                .collect();
            sizes.sort_unstable();
            sizes.dedup();
            let pts = sizes
                .iter()
                .map(|&n| {
                    let v: Vec<f64> = rows
                        .iter()
                        .filter(|r| r.dataset == dataset && r.model == m && r.size == n)
                        .map(|r| r.spearman)
                        .collect();
                    let (mean, se) = mean_se(&v);
                    (n as f64, mean, se)
                })
                .collect();
            (m.to_string(), pts)
        })
        .filter(|s: &Series| !s.1.is_empty())
        .collect();
    draw(
        path,
        &format!("{dataset}: held-out Spearman rho vs training size"),
        "training architectures",
        "Spearman rho",
        &series,
        false,
    )
}

/// Motif effects as horizontal bars with +-1 std error bars, motif text beside each bar.
pub fn plot_effects(
    path: &Path,
    effects: &[&crate::explain::MotifEffect],
    metric: &str,
) -> Result<()> {
    if effects.is_empty() {
        return Err(Error::Empty("no motif effects to plot".into()));
    }
    let err = |e: DrawingAreaErrorKind<_>| plot_err(path, e);
    let lo = effects
        .iter()
        .map(|e| e.effect_units - e.std_units)
        .fold(0.0, f64::min);
    let hi = effects
        .iter()
        .map(|e| e.effect_units + e.std_units)
        .fold(0.0, f64::max);
    let pad = 0.05 * (hi - lo).max(1e-12);
    let n = effects.len();
    let root = SVGBackend::new(path, (1100, 60 + 26 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let labels: Vec<String> = effects.iter().map(|e| e.motif.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("motif effects on {metric} (mean ± 1 std)"),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(520)
        .build_cartesian_2d(lo - pad..hi + pad, 0.0..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = (n as f64 - *y - 0.5).round();
            if (0.0..n as f64).contains(&i) {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_desc(format!("effect on {metric}"))
        .draw()
        .map_err(err)?;
    for (i, e) in effects.iter().enumerate() {
        let y = n as f64 - i as f64 - 0.5;
        let c = if e.effect_units >= 0.0 {
            COLOURS[2]
        } else {
            COLOURS[1]
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.35), (e.effect_units, y + 0.35)],
                c.mix(0.7).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                [
                    (e.effect_units - e.std_units, y),
                    (e.effect_units + e.std_units, y),
                ],
                BLACK.stroke_width(2),
            )))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// A Pareto plot of the first two objectives, in their own units: every evaluated point,
/// the found front (joined as a staircase), and the true front where a table gives one.
pub fn plot_front(
    path: &Path,
    title: &str,
    names: [&str; 2],
    evaluated: &[(f64, f64)],
    found: &[(f64, f64)],
    truth: &[(f64, f64)],
) -> Result<()> {
    let all = || evaluated.iter().chain(found).chain(truth);
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.0), a.1.max(p.0))
    });
    let (y0, y1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.1), a.1.max(p.1))
    });
    if !x0.is_finite() || !y0.is_finite() {
        return Err(Error::Empty(format!(
            "nothing to plot in {}",
            path.display()
        )));
    }
    let pad = |lo: f64, hi: f64| ((hi - lo).abs() * 0.05).max(1e-9);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(names[0])
        .y_desc(names[1])
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let sorted = |pts: &[(f64, f64)]| {
        let mut v = pts.to_vec();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let grey = RGBColor(0xb0, 0xb0, 0xb0);
    chart
        .draw_series(evaluated.iter().map(|&p| Circle::new(p, 3, grey.filled())))
        .map_err(|e| plot_err(path, e))?
        .label("evaluated")
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, grey.filled()));
    for (pts, name, colour) in [
        (truth, "true front", COLOURS[2]),
        (found, "found front", COLOURS[1]),
    ] {
        if pts.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(sorted(pts), colour.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

/// Hypervolume regret (mean ± 1 s.e. over seeds, log scale) against evaluations, one
/// series per method: `curves` holds each method's name and its runs' regret curves.
pub fn plot_hypervolume_regret(
    path: &Path,
    title: &str,
    curves: &[(String, Vec<Vec<f64>>)],
) -> Result<()> {
    let series: Vec<Series> = curves
        .iter()
        .map(|(name, runs)| {
            let len = runs.iter().map(|r| r.len()).min().unwrap_or(0);
            let points = (0..len)
                .map(|i| {
                    let at: Vec<f64> = runs.iter().map(|r| r[i]).collect();
                    let (m, se) = mean_se(&at);
                    ((i + 1) as f64, m, se)
                })
                .collect();
            (name.clone(), points)
        })
        .collect();
    draw(
        path,
        title,
        "evaluations",
        "hypervolume regret",
        &series,
        true,
    )
}
