//! The studies' figures, built from their results and drawn by [`crate::plot`]: mean
//! regret ± 1 s.e. against evaluations, rank correlation against training size, motif
//! effects, Pareto fronts and hypervolume regret.

use super::{regret_curve, PredictorRow, StudyRun};
use crate::error::Result;
use crate::explain::MotifEffect;
use crate::plot::{AxisSpec, Bar, Bars, Chart, Figure, Point, Scale, Series, Style};
use crate::stats::{mean_se, mean_se_curve};
use std::path::Path;

/// A series of `(x, mean, standard error)` points drawn as a line with a shaded band.
fn banded(name: &str, points: impl IntoIterator<Item = (f64, f64, f64)>) -> Series {
    Series {
        name: name.to_string(),
        points: points
            .into_iter()
            .map(|(x, y, e)| Point { x, y, err: Some(e) })
            .collect(),
        style: Style::Line,
        colour: None,
    }
}

/// Mean ± 1 s.e. of curves, at evaluations 1, 2, ...
fn mean_curve(runs: &[Vec<f64>]) -> Vec<(f64, f64, f64)> {
    let curves: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    mean_se_curve(&curves)
        .into_iter()
        .enumerate()
        .map(|(i, (m, se))| ((i + 1) as f64, m, se))
        .collect()
}

/// The figure of regret against evaluations (a count) on a log axis.
fn regret_figure(title: &str, y_label: &str, series: Vec<Series>) -> Figure {
    Figure::Chart(Chart {
        title: title.to_string(),
        x: AxisSpec::new("evaluations", Scale::Count),
        y: AxisSpec::new(y_label, Scale::Log),
        series,
    })
}

/// Mean regret ± 1 s.e. against evaluations, one line per method, for one dataset.
pub fn plot_regret(path: &Path, dataset: &str, runs: &[StudyRun]) -> Result<()> {
    let mut methods = Vec::new();
    for r in runs.iter().filter(|r| r.dataset == dataset) {
        if !methods.contains(&r.method) {
            methods.push(r.method);
        }
    }
    let of = |m| -> Vec<&StudyRun> {
        runs.iter()
            .filter(|r| r.dataset == dataset && r.method == m)
            .collect()
    };
    let series = methods
        .iter()
        .map(|&m| {
            let curve = regret_curve(&of(m));
            let points = curve
                .iter()
                .enumerate()
                .map(|(i, &(y, se))| ((i + 1) as f64, y, se));
            banded(&format!("{m:?}").to_lowercase(), points)
        })
        .collect();
    let seeds = methods.first().map_or(0, |&m| of(m).len());
    regret_figure(
        &format!("{dataset}: mean regret ± 1 s.e. ({seeds} seeds)"),
        "regret",
        series,
    )
    .write(path)
}

/// Spearman rho (mean ± 1 s.e. over seeds) against training size for the given models.
pub fn plot_predictor(
    path: &Path,
    dataset: &str,
    rows: &[PredictorRow],
    models: &[&str],
) -> Result<()> {
    let mut series = Vec::new();
    for &m in models {
        let of = |r: &&PredictorRow| r.dataset == dataset && r.model == m;
        let mut sizes: Vec<usize> = rows.iter().filter(of).map(|r| r.size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let points = sizes.iter().map(|&n| {
            let v: Vec<f64> = rows
                .iter()
                .filter(of)
                .filter(|r| r.size == n)
                .map(|r| r.spearman)
                .collect();
            let (mean, se) = mean_se(&v);
            (n as f64, mean, se)
        });
        let mut s = banded(m, points);
        s.style = Style::Linedots;
        if !s.points.is_empty() {
            series.push(s);
        }
    }
    let mut y = AxisSpec::new("Spearman rho", Scale::Linear);
    y.hi = Some(1.0);
    Figure::Chart(Chart {
        title: format!("{dataset}: held-out Spearman rho against training size"),
        x: AxisSpec::new("training architectures (log scale)", Scale::Log),
        y,
        series,
    })
    .write(path)
}

/// Motif effects as horizontal bars with ± 1 std error bars, every motif named.
pub fn plot_effects(path: &Path, effects: &[&MotifEffect], metric: &str) -> Result<()> {
    Figure::Bars(Bars {
        title: format!("motif effects on {metric} (mean ± 1 std)"),
        value_label: format!("effect on {metric}"),
        bars: effects
            .iter()
            .map(|e| Bar {
                label: e.motif.clone(),
                value: e.effect_units,
                err: Some(e.std_units),
            })
            .collect(),
    })
    .write(path)
}

/// A Pareto plot of the first two objectives, in their own units: every evaluated point,
/// the found front, and the true front where a table gives one.
pub fn plot_front(
    path: &Path,
    title: &str,
    names: [&str; 2],
    evaluated: &[(f64, f64)],
    found: &[(f64, f64)],
    truth: &[(f64, f64)],
) -> Result<()> {
    let series = |name: &str, pts: &[(f64, f64)], style, colour: &str| {
        let mut points: Vec<Point> = pts
            .iter()
            .map(|&(x, y)| Point { x, y, err: None })
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        Series {
            name: name.to_string(),
            points,
            style,
            colour: Some(colour.to_string()),
        }
    };
    let mut all = vec![series("evaluated", evaluated, Style::Dots, "#a0a0a0")];
    if !truth.is_empty() {
        all.push(series(
            "true front",
            truth,
            Style::Linedots,
            crate::plot::colour(2),
        ));
    }
    all.push(series(
        "found front",
        found,
        Style::Linedots,
        crate::plot::colour(1),
    ));
    Figure::Chart(Chart {
        title: title.to_string(),
        x: AxisSpec::new(names[0], Scale::Linear),
        y: AxisSpec::new(names[1], Scale::Linear),
        series: all,
    })
    .write(path)
}

/// Hypervolume regret (mean ± 1 s.e. over seeds, log scale) against evaluations, one
/// series per method: `curves` holds each method's name and its runs' regret curves.
pub fn plot_hypervolume_regret(
    path: &Path,
    title: &str,
    curves: &[(String, Vec<Vec<f64>>)],
) -> Result<()> {
    let series = curves
        .iter()
        .map(|(name, runs)| banded(name, mean_curve(runs)))
        .collect();
    regret_figure(title, "hypervolume regret", series).write(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::check::problems;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("wlgp-plot-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn effect(motif: &str, v: f64) -> MotifEffect {
        MotifEffect {
            label: 0,
            depth: 1,
            motif: motif.to_string(),
            effect: v,
            std: 0.1,
            effect_units: v,
            std_units: 0.1,
            archs: 3,
        }
    }

    #[test]
    fn every_motif_bar_is_named_and_a_long_name_keeps_its_full_text() {
        let long = format!("output ~ [{}]", ["nor_conv_3x3"; 8].join(", "));
        let effects: Vec<MotifEffect> = (0..16)
            .map(|i| effect(if i == 3 { &long } else { "input" }, 0.5 - i as f64 / 16.0))
            .collect();
        let refs: Vec<&MotifEffect> = effects.iter().collect();
        let p = tmp("effects.svg");
        plot_effects(&p, &refs, "accuracy").unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert_eq!(problems(&svg), Vec::<String>::new());
        assert_eq!(svg.matches("class=\"bar-label\"").count(), 16);
        assert!(svg.contains(&format!("<title>{long}</title>")));
    }

    #[test]
    fn regret_curves_tick_evaluations_at_integers_on_a_labelled_log_axis() {
        let runs: Vec<Vec<f64>> = (0..5)
            .map(|s| {
                (0..100)
                    .map(|i| 0.5 / (1.0 + i as f64 + s as f64))
                    .collect()
            })
            .collect();
        let p = tmp("regret.svg");
        plot_hypervolume_regret(
            &p,
            "t",
            &[("ehvi".into(), runs.clone()), ("random".into(), runs)],
        )
        .unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert_eq!(problems(&svg), Vec::<String>::new());
        assert!(svg.matches("class=\"tick x count\"").count() >= 3);
        assert!(svg.matches("class=\"tick y log\"").count() >= 2);
    }

    #[test]
    fn fronts_and_rank_curves_read() {
        let p = tmp("front.svg");
        let pts = [(1.0, 90.0), (2.5, 92.0), (7.0, 93.5)];
        plot_front(&p, "t", ["flops", "accuracy"], &pts, &pts[1..], &pts).unwrap();
        assert_eq!(
            problems(&std::fs::read_to_string(&p).unwrap()),
            Vec::<String>::new()
        );
        let rows: Vec<PredictorRow> = [10, 20, 50, 100, 200]
            .iter()
            .flat_map(|&size| {
                (0..3).map(move |seed| PredictorRow {
                    dataset: "nb201",
                    model: "wl".into(),
                    size,
                    seed,
                    spearman: 0.5 + size as f64 / 500.0,
                    kendall: 0.0,
                })
            })
            .collect();
        let p = tmp("rho.svg");
        plot_predictor(&p, "nb201", &rows, &["wl"]).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert_eq!(problems(&svg), Vec::<String>::new());
        assert!(svg.matches("class=\"tick x log\"").count() >= 3, "{svg}");
    }

    #[test]
    fn a_nan_is_refused_not_drawn() {
        let p = tmp("nan.svg");
        let runs = vec![vec![0.5, f64::NAN, 0.1], vec![0.4, 0.2, 0.1]];
        let e = plot_hypervolume_regret(&p, "t", &[("ehvi".into(), runs)]).unwrap_err();
        assert!(e.to_string().contains("point 2 of `ehvi`"), "{e}");
        assert!(!p.exists());
    }

    #[test]
    fn an_empty_plot_is_an_error_not_a_blank_image() {
        let p = tmp("empty.svg");
        assert!(plot_effects(&p, &[], "accuracy").is_err());
        assert!(!p.exists());
    }
}
