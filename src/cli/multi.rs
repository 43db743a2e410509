//! `wlgp search --objectives A:max,B:min`: a multi-objective search on an embedded table,
//! reported as its Pareto front and hypervolume against the table's true front.

use super::search::SearchArgs;
use crate::bench_data::Dataset;
use crate::error::{Error, Result};
use crate::pareto::{igd, non_dominated};
use crate::search::multi::{
    multi_objective_search, normalised_hypervolume, orient, MultiConfig, MultiMethod,
};
use crate::search::multi_table::TableMulti;
use crate::search::Method;
use crate::space::nb201_cost::ComputedCosts;
use crate::space::{Nb201Space, NbGraphSpace, Sampler, SpaceKind, TableKey};
use serde::Serialize;

/// One point of a front.
#[derive(Serialize)]
struct FrontPoint {
    arch: String,
    values: Vec<f64>,
}

/// What a multi-objective search reports.
#[derive(Serialize)]
struct MultiOutcome {
    dataset: String,
    objectives: Vec<String>,
    method: String,
    seed: u64,
    front: Vec<FrontPoint>,
    /// Hypervolume of the found front, each objective mapped onto [0, 1] from the table's
    /// worst to its best value; the reference point is the worst corner (all 0).
    hypervolume: f64,
    /// The true front's hypervolume minus the found one's.
    hypervolume_regret: f64,
    /// Inverted generational distance to the true front, in the same normalised units.
    igd: f64,
    true_front_size: usize,
    evaluations: usize,
    seconds: f64,
}

fn run_on<S: Sampler + TableKey + ComputedCosts>(
    space: &S,
    d: &'static Dataset,
    spec: &str,
    cfg: &MultiConfig,
) -> Result<MultiOutcome> {
    let mut obj = TableMulti::new(space, d, spec)?;
    let values = crate::search::multi::MultiObjective::<S>::values(&obj);
    let t = std::time::Instant::now();
    let h = multi_objective_search(space, &mut obj, cfg)?;
    let seconds = t.elapsed().as_secs_f64();
    let all: Vec<Vec<f64>> = obj
        .every_cell(space)?
        .iter()
        .map(|v| orient(v, &values))
        .collect();
    let dims = values.len();
    let lo: Vec<f64> = (0..dims)
        .map(|k| all.iter().map(|p| p[k]).fold(f64::INFINITY, f64::min))
        .collect();
    let hi: Vec<f64> = (0..dims)
        .map(|k| all.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let norm = |p: &Vec<f64>| -> Vec<f64> {
        p.iter()
            .zip(&lo)
            .zip(&hi)
            .map(|((x, l), h)| (x - l) / (h - l).max(1e-300))
            .collect()
    };
    let true_front: Vec<Vec<f64>> = non_dominated(&all)
        .into_iter()
        .map(|i| all[i].clone())
        .collect();
    let found: Vec<Vec<f64>> = h
        .evaluations
        .iter()
        .map(|e| orient(&e.1, &values))
        .collect();
    let front_idx = non_dominated(&found);
    let front: Vec<Vec<f64>> = front_idx.iter().map(|&i| found[i].clone()).collect();
    let hv = normalised_hypervolume(&front, &lo, &hi);
    let hv_true = normalised_hypervolume(&true_front, &lo, &hi);
    let (tn, fnorm): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (
        true_front.iter().map(norm).collect(),
        front.iter().map(norm).collect(),
    );
    Ok(MultiOutcome {
        dataset: d.name.to_string(),
        objectives: obj.names.clone(),
        method: format!("{:?}", cfg.method).to_lowercase(),
        seed: cfg.seed,
        front: front_idx
            .iter()
            .map(|&i| FrontPoint {
                arch: h.evaluations[i].0.clone(),
                values: h.evaluations[i].1.clone(),
            })
            .collect(),
        hypervolume: hv,
        hypervolume_regret: (hv_true - hv).max(0.0),
        igd: igd(&tn, &fnorm),
        true_front_size: true_front.len(),
        evaluations: h.evaluations.len(),
        seconds,
    })
}

/// Runs `wlgp search --objectives ...` and prints the front.
pub(crate) fn search(a: &SearchArgs, spec: &str) -> Result<()> {
    if a.objective_cmd.is_some() || a.journal.is_some() || a.resume.is_some() {
        return Err(Error::Config(
            "--objectives runs on the embedded tables; with --objective-cmd, --journal or --resume it is not supported yet".into(),
        ));
    }
    let method = match (a.method, a.mo_method) {
        (Method::Random, _) => MultiMethod::Random,
        (Method::Bo, m) => m,
        (m, _) => {
            return Err(Error::Config(format!(
                "--method {} is not available with --objectives (use bo or random)",
                m.name()
            )))
        }
    };
    let d = super::resolve_dataset(a.space, a.dataset.as_deref())?;
    let gp = a.bo.surrogate.gp_config(crate::gp::Transform::Identity)?;
    let cfg = MultiConfig {
        budget: a.budget,
        n_init: a.bo.n_init,
        seed: a.seed,
        batch: a.bo.batch,
        method,
        gp,
        parents: a.bo.pool_parents,
        random: a.bo.pool_random,
        draws: 128,
    };
    let o = match d.space {
        SpaceKind::Nbgraph => run_on(&NbGraphSpace::new(d.proteins), d, spec, &cfg)?,
        _ => run_on(
            &Nb201Space {
                skip_as_wire: a.bo.surrogate.skip.as_wire(),
            },
            d,
            spec,
            &cfg,
        )?,
    };
    if a.json {
        return super::out(&(serde_json::to_string(&o).expect("plain data") + "\n"));
    }
    let mut s = format!(
        "dataset       {}\nobjectives    {}\nmethod        {}, seed {}\nevaluations   {}\nhypervolume   {:.6} (normalised over the table; regret {:.6}, IGD {:.6}; true front {} points)\ntime          {:.2} s\n\n| arch | {} |\n|---|{}\n",
        o.dataset,
        o.objectives.join(", "),
        o.method,
        o.seed,
        o.evaluations,
        o.hypervolume,
        o.hypervolume_regret,
        o.igd,
        o.true_front_size,
        o.seconds,
        o.objectives.join(" | "),
        "---|".repeat(o.objectives.len()),
    );
    for p in &o.front {
        let v: Vec<String> = p.values.iter().map(|v| format!("{v:.6}")).collect();
        s += &format!("| {} | {} |\n", p.arch, v.join(" | "));
    }
    super::out(&s)
}
