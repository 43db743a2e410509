//! `wlgp explain` (which motifs help or hurt, how one architecture's prediction is made
//! up, what a confident pruning keeps) and `wlgp build` (an architecture built from the
//! motif scores, without scoring the space).

use super::training::{TrainArgs, Training};
use super::SurrogateArgs;
use clap::Args;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use wlgp::error::{Error, Result};
use wlgp::explain::{self, Built, MotifEffect, MotifScores, Provenance};
use wlgp::gp::{Gp, WeightSpace};
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{Sampler, TableKey};
use wlgp::wl;

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    data: TrainArgs,
    /// How many good and how many bad motifs to show.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Only motifs in at least this many evaluated architectures.
    #[arg(long, default_value_t = 2)]
    min_archs: usize,
    /// Explain one architecture: how each of its motifs adds to its prediction.
    #[arg(long)]
    arch: Option<String>,
    /// Draw the effects (bars with +-1 std error bars) as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write each shown motif as Graphviz DOT into this directory (and SVG when `dot`
    /// is installed).
    #[arg(long)]
    dot: Option<PathBuf>,
    /// Confidence of pruning: drop operations and connections whose effect is below zero
    /// by more than Z standard deviations.
    #[arg(long, default_value_t = 2.0)]
    prune_z: f64,
    #[command(flatten)]
    surrogate: SurrogateArgs,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    data: TrainArgs,
    /// Architectures to start climbing from (the best evaluated ones).
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Most edits per climb.
    #[arg(long, default_value_t = 50)]
    max_steps: usize,
    #[command(flatten)]
    surrogate: SurrogateArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// A fitted GP with its weight-space form, motif provenance and effects.
struct Fitted<C> {
    t: Training<C>,
    gp: Gp,
    ws: WeightSpace,
    prov: Provenance,
    effects: Vec<MotifEffect>,
}

fn fit<S: Sampler>(space: &S, t: Training<S::Cell>, s: &SurrogateArgs) -> Result<Fitted<S::Cell>> {
    let (cfg, _) = s.fit_config(&t)?;
    let archs: Vec<_> = t.cells.iter().map(|c| space.lower(c)).collect();
    let gp = Gp::fit(&archs, &t.values, &cfg)?;
    let ws = WeightSpace::new(&gp).ok_or_else(|| {
        Error::Config("motif effects need the dot base kernel (not optimal assignment)".into())
    })?;
    let prov = Provenance::record(&archs, &gp.wl_config());
    let effects = explain::motif_effects(&gp, &ws, &prov);
    Ok(Fitted {
        t,
        gp,
        ws,
        prov,
        effects,
    })
}

/// The table's view of the space, where the training data came from an embedded table.
struct Truth<'a, C> {
    /// Every cell's value, in enumeration order.
    all: Vec<f64>,
    maximize: bool,
    value: ValueOf<'a, C>,
}

/// Looks a cell's value up in the table.
type ValueOf<'a, C> = Box<dyn Fn(&C) -> Option<f64> + 'a>;

fn truth<'a, S: Sampler + TableKey>(
    space: &'a S,
    t: &Training<S::Cell>,
) -> Option<Truth<'a, S::Cell>> {
    let mut obj = TableObjective::new(t.dataset?, &t.metric).ok()?;
    let (_, all) = obj.every_cell(space)?.ok()?;
    let maximize = <TableObjective as Objective<S>>::kind(&obj).maximize();
    let obj = std::cell::RefCell::new(obj);
    Some(Truth {
        all,
        maximize,
        value: Box::new(move |c| obj.borrow_mut().evaluate(space, c).ok()),
    })
}

#[derive(Serialize)]
struct PruneReport {
    z: f64,
    dropped: Vec<String>,
    /// Measured on the whole space, where it is finite and from an embedded table.
    stats: Option<explain::PruneStats>,
}

fn prune_report<S: Sampler>(
    space: &S,
    f: &Fitted<S::Cell>,
    z: f64,
    truth: Option<&Truth<S::Cell>>,
) -> PruneReport {
    let bad = explain::harmful(&f.effects, z, 1, f.t.cells.len());
    let stats = truth.and_then(|t| {
        let all = space.enumerate()?;
        Some(explain::prune_stats(
            space, &f.gp, &bad, &all, &t.all, t.maximize,
        ))
    });
    PruneReport {
        z,
        dropped: bad.iter().map(|e| e.motif.clone()).collect(),
        stats,
    }
}

#[derive(Serialize)]
struct ExplainReport<'a> {
    training: usize,
    h: usize,
    direction: String,
    normalized: bool,
    effect_kind: &'static str,
    good: Vec<&'a MotifEffect>,
    bad: Vec<&'a MotifEffect>,
    prune: PruneReport,
    arch: Option<ArchReport>,
}

#[derive(Serialize)]
struct ArchReport {
    arch: String,
    predicted: f64,
    predicted_std: f64,
    contributions: Vec<explain::Contribution>,
}

fn explain_in<S: Sampler>(
    space: &S,
    f: Fitted<S::Cell>,
    a: &ExplainArgs,
    truth: Option<Truth<S::Cell>>,
) -> Result<()> {
    let shown: Vec<&MotifEffect> = f
        .effects
        .iter()
        .filter(|e| e.archs >= a.min_archs)
        .collect();
    let good: Vec<&MotifEffect> = shown
        .iter()
        .filter(|e| e.effect > 0.0)
        .take(a.top)
        .copied()
        .collect();
    let bad: Vec<&MotifEffect> = shown
        .iter()
        .rev()
        .filter(|e| e.effect < 0.0)
        .take(a.top)
        .copied()
        .collect();
    let normalized = f.gp.kernel_config().normalize;
    let arch = match &a.arch {
        None => None,
        Some(s) => {
            let cell = space.parse(s)?;
            let x = wl::features(&space.lower(&cell), &f.gp.wl_config());
            let p = f.ws.predict(&x);
            Some(ArchReport {
                arch: space.format(&cell),
                predicted: f.gp.to_original(p.mean),
                predicted_std: f.gp.std_to_original(p.mean, p.std),
                contributions: explain::contributions(&f.gp, &f.ws, &f.prov, &x),
            })
        }
    };
    let report = ExplainReport {
        training: f.t.cells.len(),
        h: f.gp.wl_config().h,
        direction: format!("{:?}", f.gp.wl_config().direction).to_lowercase(),
        normalized,
        effect_kind: if normalized {
            "derivative of the posterior mean with respect to the motif's count, averaged over the evaluated architectures that contain it"
        } else {
            "the motif's weight: change of the posterior mean per occurrence"
        },
        good,
        bad,
        prune: prune_report(space, &f, a.prune_z, truth.as_ref()),
        arch,
    };
    if let Some(p) = &a.plot {
        let mut both: Vec<&MotifEffect> = report.good.clone();
        both.extend(report.bad.iter().rev());
        wlgp::study::plot_effects(p, &both, &f.t.metric)?;
    }
    if let Some(dir) = &a.dot {
        write_dots(dir, &f.prov, report.good.iter().chain(&report.bad).copied())?;
    }
    if a.json {
        return super::out(&(serde_json::to_string(&report).expect("plain data") + "\n"));
    }
    let mut s = format!(
        "GP on {} architectures, h = {}, direction {}; effect = {} (in {} units at the incumbent; latent effect ± std and z = effect/std also shown).\n\n",
        report.training, report.h, report.direction, report.effect_kind, f.t.metric
    );
    for (title, list) in [
        ("Motifs that help", &report.good),
        ("Motifs that hurt", &report.bad),
    ] {
        let _ = writeln!(s, "{title}:\n| motif | effect ({}) | latent effect ± std | z | archs |\n|---|---|---|---|---|", f.t.metric);
        for e in list.iter() {
            let _ = writeln!(
                s,
                "| `{}` | {:+.4} ± {:.4} | {:+.4} ± {:.4} | {:+.1} | {} |",
                e.motif,
                e.effect_units,
                e.std_units,
                e.effect,
                e.std,
                e.z(),
                e.archs
            );
        }
        s.push('\n');
    }
    let pr = &report.prune;
    let _ = writeln!(
        s,
        "Pruning at z = {}: drops cells containing {}",
        pr.z,
        if pr.dropped.is_empty() {
            "nothing (no operation or connection hurts with that confidence)".to_string()
        } else {
            pr.dropped
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if let Some(st) = &pr.stats {
        let _ = writeln!(
            s,
            "Pruned space: {} of {} cells ({:.1}%); it keeps {:.1}% of the table's top 1%; mean true value inside {}, outside {}",
            st.kept,
            st.total,
            100.0 * st.kept as f64 / st.total as f64,
            100.0 * st.top1_kept,
            st.mean_inside.map_or("–".into(), |v| format!("{v:.4}")),
            st.mean_outside.map_or("–".into(), |v| format!("{v:.4}"))
        );
    }
    if let Some(r) = &report.arch {
        let _ = writeln!(
            s,
            "\n{}: predicted {:.4} ± {:.4}\n| motif | count | contribution (latent) ± std |\n|---|---|---|",
            r.arch, r.predicted, r.predicted_std
        );
        for c in &r.contributions {
            let _ = writeln!(
                s,
                "| `{}` | {} | {:+.4} ± {:.4} |",
                c.motif, c.count, c.contribution, c.std
            );
        }
    }
    super::out(&s)
}

fn write_dots<'a>(
    dir: &PathBuf,
    prov: &Provenance,
    effects: impl Iterator<Item = &'a MotifEffect>,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let have_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    for (i, e) in effects.enumerate() {
        let Some(m) = prov.decode(e.label) else {
            continue;
        };
        let p = dir.join(format!("motif_{:02}_{:016x}.dot", i + 1, e.label));
        std::fs::write(&p, m.dot(prov.arrow()))
            .map_err(|err| Error::io(format!("writing {}", p.display()), err))?;
        if have_dot {
            let _ = std::process::Command::new("dot")
                .args(["-Tsvg", "-O"])
                .arg(&p)
                .status();
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct BuiltRow {
    arch: String,
    predicted: f64,
    predicted_std: f64,
    motif_score: f64,
    steps: usize,
    /// The table's value, when the training data came from an embedded table.
    true_value: Option<f64>,
    /// Its percentile in the table (100 = best), likewise.
    true_percentile: Option<f64>,
}

#[derive(Serialize)]
struct BuildReport {
    arch: String,
    predicted: f64,
    predicted_std: f64,
    true_value: Option<f64>,
    true_percentile: Option<f64>,
    best_evaluated: f64,
    alternatives: Vec<BuiltRow>,
}

fn build_in<S: Sampler>(
    space: &S,
    f: Fitted<S::Cell>,
    a: &BuildArgs,
    truth: Option<Truth<S::Cell>>,
) -> Result<()> {
    let kind = wlgp::bench_data::metric_kind(&f.t.metric);
    let mut order: Vec<usize> = (0..f.t.cells.len()).collect();
    order.sort_by(|&x, &y| {
        let (vx, vy) = (f.t.values[x], f.t.values[y]);
        if kind.maximize() {
            vy.total_cmp(&vx)
        } else {
            vx.total_cmp(&vy)
        }
    });
    let starts: Vec<S::Cell> = order
        .iter()
        .take(a.starts.max(1))
        .map(|&i| f.t.cells[i].clone())
        .collect();
    let evaluated: HashSet<S::Cell> = f.t.cells.iter().cloned().collect();
    let built = explain::build(
        space,
        &f.gp,
        &MotifScores::new(&f.effects),
        &starts,
        &evaluated,
        a.max_steps,
    );
    let row = |b: &Built<S::Cell>| {
        let tv = truth.as_ref().and_then(|t| (t.value)(&b.cell));
        let tp = truth
            .as_ref()
            .zip(tv)
            .map(|(t, v)| explain::percentile(&t.all, v, t.maximize));
        BuiltRow {
            arch: space.format(&b.cell),
            predicted: f.gp.to_original(b.prediction.mean),
            predicted_std: f.gp.std_to_original(b.prediction.mean, b.prediction.std),
            motif_score: b.score,
            steps: b.steps,
            true_value: tv,
            true_percentile: tp,
        }
    };
    let rows: Vec<BuiltRow> = built.iter().map(row).collect();
    let first = rows
        .first()
        .ok_or_else(|| Error::Empty("nothing was built".into()))?;
    let report = BuildReport {
        arch: first.arch.clone(),
        predicted: first.predicted,
        predicted_std: first.predicted_std,
        true_value: first.true_value,
        true_percentile: first.true_percentile,
        best_evaluated: f.t.values[order[0]],
        alternatives: rows
            .iter()
            .skip(1)
            .map(|r| BuiltRow {
                arch: r.arch.clone(),
                ..*r
            })
            .collect(),
    };
    if a.json {
        return super::out(&(serde_json::to_string(&report).expect("plain data") + "\n"));
    }
    let mut s = format!(
        "Built from the motif scores of {} architectures (best evaluated: {:.4}).\n| arch | predicted ± std | motif score | edits | true value | true percentile |\n|---|---|---|---|---|---|\n",
        f.t.cells.len(), report.best_evaluated
    );
    for r in &rows {
        let _ = writeln!(
            s,
            "| {} | {:.4} ± {:.4} | {:+.3} | {} | {} | {} |",
            r.arch,
            r.predicted,
            r.predicted_std,
            r.motif_score,
            r.steps,
            r.true_value.map_or("–".into(), |v| format!("{v:.4}")),
            r.true_percentile.map_or("–".into(), |v| format!("{v:.1}"))
        );
    }
    super::out(&s)
}

/// What runs on a fitted space (explain or build).
trait OnFitted {
    fn run<S: Sampler>(
        &self,
        space: &S,
        f: Fitted<S::Cell>,
        truth: Option<Truth<S::Cell>>,
    ) -> Result<()>;
}

impl OnFitted for ExplainArgs {
    fn run<S: Sampler>(&self, s: &S, f: Fitted<S::Cell>, t: Option<Truth<S::Cell>>) -> Result<()> {
        explain_in(s, f, self, t)
    }
}

impl OnFitted for BuildArgs {
    fn run<S: Sampler>(&self, s: &S, f: Fitted<S::Cell>, t: Option<Truth<S::Cell>>) -> Result<()> {
        build_in(s, f, self, t)
    }
}

/// Fits on the space the training flags name and runs `r` there; spaces with embedded
/// tables also get the table's true values.
fn with_space(data: &TrainArgs, surrogate: &SurrogateArgs, r: &impl OnFitted) -> Result<()> {
    let s = data.sampler(surrogate.skip.as_wire())?;
    let f = fit(&s, data.load(&s)?, surrogate)?;
    let t = truth(&s, &f.t);
    r.run(&s, f, t)
}

pub(crate) fn explain(a: &ExplainArgs) -> Result<()> {
    with_space(&a.data, &a.surrogate, a)
}

pub(crate) fn build(a: &BuildArgs) -> Result<()> {
    with_space(&a.data, &a.surrogate, a)
}
