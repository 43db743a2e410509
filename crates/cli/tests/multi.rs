//! Multi-objective search from the command line: the front, its hypervolume against the
//! table's true front, computed costs, and clear errors.

use std::process::Command;
use wlgp::space::{nb201_cost, Nb201Space, Space};

mod common;
use common::run as wlgp;

fn json(args: &[&str]) -> serde_json::Value {
    let o = wlgp(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

#[test]
fn fronts_are_non_dominated_and_scored_against_the_table() {
    for (dataset, spec, method) in [
        ("cora", "valid_perf:max,latency:min", "ehvi"),
        ("computers", "valid_perf:max,para:min", "parego"),
        ("nb201", "baseline_accuracy:max,flops:min", "ehvi"),
        (
            "nb201",
            "baseline_accuracy:max,analog_accuracy:max,params:min",
            "ehvi",
        ),
        ("photo", "valid_perf:max,latency:min", "nsga2"),
        ("nb201", "baseline_accuracy:max,flops:min", "evolution"),
        ("cs", "valid_perf:max,para:min", "random"),
    ] {
        let v = json(&[
            "search",
            "--dataset",
            dataset,
            "--objectives",
            spec,
            "--budget",
            "30",
            "--mo-method",
            method,
            "--batch",
            "2",
            "--json",
        ]);
        assert_eq!(v["evaluations"], 30);
        let hv = v["hypervolume"].as_f64().unwrap();
        let regret = v["hypervolume_regret"].as_f64().unwrap();
        assert!(
            (0.0..=1.0).contains(&hv) && regret >= 0.0 && hv + regret <= 1.0 + 1e-12,
            "{v}"
        );
        let front = v["front"].as_array().unwrap();
        assert!(!front.is_empty());
        // Oriented to maximisation, no front point dominates another.
        let signs: Vec<f64> = spec
            .split(',')
            .map(|p| if p.ends_with(":max") { 1.0 } else { -1.0 })
            .collect();
        let pts: Vec<Vec<f64>> = front
            .iter()
            .map(|p| {
                p["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(&signs)
                    .map(|(x, s)| s * x.as_f64().unwrap())
                    .collect()
            })
            .collect();
        for a in &pts {
            assert!(!pts.iter().any(|b| dominates(b, a)), "{dataset}: {pts:?}");
        }
        // Computed costs are the formula's, exactly.
        if spec.contains("flops") || spec.contains("params") {
            let space = Nb201Space::default();
            for p in front {
                let cell = space.parse(p["arch"].as_str().unwrap()).unwrap();
                let last = p["values"]
                    .as_array()
                    .unwrap()
                    .last()
                    .unwrap()
                    .as_f64()
                    .unwrap();
                let want = if spec.contains("flops") {
                    nb201_cost::flops_m(&cell)
                } else {
                    nb201_cost::params_m(&cell)
                };
                assert_eq!(last, want);
            }
        }
    }
}

#[test]
fn bad_objectives_get_one_clear_line() {
    for (spec, want) in [
        ("valid_perf:max", "2 or 3 objectives"),
        ("valid_perf:max,latency:max", "`latency` is minimised"),
        ("valid_perf:max,speed:min", "unknown metric `speed`"),
        ("valid_perf:max,latency", "expected NAME:max or NAME:min"),
        (
            "valid_perf:max:loss,latency:min",
            "loss values are minimised",
        ),
        (
            "valid_perf:max:fraction,latency:min",
            "is not one of accuracy",
        ),
    ] {
        let o = wlgp(&["search", "--dataset", "cora", "--objectives", spec]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(want), "{spec}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
    let o = wlgp(&[
        "search",
        "--dataset",
        "cora",
        "--objectives",
        "valid_perf:max,latency:min",
        "--method",
        "local",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_users_command_measures_several_objectives_and_failures_are_recorded() {
    let dir = std::env::temp_dir().join(format!("wlgp-multi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("mo.jsonl");
    let _ = std::fs::remove_file(&j);
    let bin = env!("CARGO_BIN_EXE_wlgp");
    // Space-separated values in declared order (flops is computed, not asked); cells
    // whose first edge is `none` fail.
    let cmd = format!(
        "read a; case \"$a\" in '|none~0|'*) exit 3;; esac; echo \"$({bin} lookup --dataset nb201) $({bin} lookup --dataset nb201 --metric noisy_accuracy)\""
    );
    let args = [
        "search",
        "--objective-cmd",
        &cmd,
        "--objectives",
        "acc:max:accuracy-percent,noisy:max,flops:min",
        "--budget",
        "20",
        "--json",
        "--journal",
        j.to_str().unwrap(),
    ];
    let v = json(&args);
    assert_eq!(v["evaluations"], 20);
    assert!(v["hypervolume_regret"].is_null() && v["hypervolume"].as_f64().unwrap() > 0.0);
    let text = std::fs::read_to_string(&j).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 20);
    for e in &entries {
        if e["arch"].as_str().unwrap().starts_with("|none~0|") {
            assert!(
                e["status"].as_str().unwrap().contains("failed") && e["values"].is_null(),
                "{e}"
            );
        } else {
            assert_eq!(e["values"].as_array().unwrap().len(), 3, "{e}");
        }
    }
    assert_eq!(
        v["failed"].as_u64().unwrap() as usize,
        entries.iter().filter(|e| e["values"].is_null()).count()
    );
    // Resumed with a larger budget, nothing recorded is run again.
    let mut more = args.to_vec();
    more[6] = "24";
    let k = more.iter().position(|a| *a == "--journal").unwrap();
    more[k] = "--resume";
    let v2 = json(&more);
    assert_eq!(v2["evaluations"], 24);
    let after = std::fs::read_to_string(&j).unwrap();
    assert!(after.starts_with(&text));
    assert_eq!(after.lines().count(), 25);
}

#[test]
fn pareto_reads_a_journal_and_a_table_and_draws_the_fronts() {
    let dir = std::env::temp_dir().join(format!("wlgp-pareto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (j, svg) = (dir.join("p.jsonl"), dir.join("p.svg"));
    let _ = std::fs::remove_file(&j);
    let search = json(&[
        "search",
        "--dataset",
        "cora",
        "--objectives",
        "valid_perf:max,latency:min",
        "--budget",
        "40",
        "--journal",
        j.to_str().unwrap(),
        "--json",
    ]);
    let p = json(&[
        "pareto",
        "--from",
        j.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--json",
    ]);
    // The journal's front is the search's, with the same hypervolume.
    assert_eq!(p["front"], search["front"]);
    assert_eq!(p["hypervolume"], search["hypervolume"]);
    assert_eq!(p["method"], "ehvi");
    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.contains("true front") && drawing.contains("found front"));
    // A table's true front: nothing dominates it, and it has no regret.
    let t = json(&[
        "pareto",
        "--dataset",
        "nb201",
        "--objectives",
        "baseline_accuracy:max,flops:min",
        "--json",
    ]);
    assert_eq!(t["hypervolume_regret"], 0.0);
    assert!(t["hypervolume"].as_f64().unwrap() >= search["hypervolume"].as_f64().unwrap() - 1.0);
    let front = t["front"].as_array().unwrap();
    assert!(front.len() > 3);
    let o = wlgp(&["pareto", "--from", "/nonexistent/j.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn study_with_objectives_writes_curves_plots_and_a_summary() {
    let out = std::env::temp_dir().join(format!("wlgp-mostudy-{}", std::process::id()));
    let o = wlgp(&[
        "study",
        "--objectives",
        "valid_perf:max,latency:min",
        "--datasets",
        "cora,nb201",
        "--seeds",
        "2",
        "--budget",
        "12",
        "--mo-methods",
        "ehvi,random",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // nb201 has no valid_perf: only cora runs.
    assert!(
        summary.contains("| cora |") && !summary.contains("| nb201 |"),
        "{summary}"
    );
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * 12);
    // Regret never grows along a run.
    let regrets: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    for run in regrets.chunks(12) {
        assert!(run.windows(2).all(|w| w[1] <= w[0] + 1e-12), "{run:?}");
    }
    assert!(out
        .join("hv_regret_cora_valid_perf_max_latency_min.svg")
        .exists());
}

#[test]
fn an_accuracy_from_a_command_is_inferred_announced_and_kept_on_resume() {
    let dir = std::env::temp_dir().join(format!("wlgp-mo-values-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("acc.jsonl");
    let _ = std::fs::remove_file(&j);
    let bin = env!("CARGO_BIN_EXE_wlgp");
    // CIFAR-10 accuracy as a fraction, as a user's script prints it; FLOPs computed.
    let cmd = format!("{bin} lookup --dataset nb201 --metrics baseline_accuracy --fraction");
    let args = |spec: &'static str, flag: &'static str| {
        vec![
            "search".to_string(),
            "--objective-cmd".into(),
            cmd.clone(),
            "--objectives".into(),
            spec.into(),
            "--budget".into(),
            "14".into(),
            "--n-init".into(),
            "6".into(),
            "--json".into(),
            flag.into(),
            j.to_str().unwrap().into(),
        ]
    };
    let run = |a: Vec<String>| Command::new(bin).args(&a).output().unwrap();
    let o = run(args("baseline_accuracy:max,flops:min", "--journal"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let announced: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("values taken as"))
        .collect();
    assert_eq!(announced.len(), 1, "{err}");
    assert!(
        announced[0].contains("objective `baseline_accuracy`")
            && announced[0].contains("`accuracy`")
            && announced[0].contains("ln(1"),
        "{err}"
    );
    let text = std::fs::read_to_string(&j).unwrap();
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("baseline_accuracy:max,flops:min"));
    for e in text.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(e).unwrap();
        let acc = v["values"][0].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{v}");
    }
    // A resume that declares the accuracy otherwise is refused, naming the declaration.
    let o = run(args("baseline_accuracy:max:score,flops:min", "--resume"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("metric") && err.contains("baseline_accuracy:max:score"),
        "{err}"
    );
    // The same declaration resumes, and announces the same reading.
    let o = run(args("baseline_accuracy:max,flops:min", "--resume"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("values taken as `accuracy`"), "{err}");
}

#[test]
fn a_study_runs_through_the_users_command() {
    let out = std::env::temp_dir().join(format!("wlgp-mostudy-cmd-{}", std::process::id()));
    let o = wlgp(&[
        "study",
        "--objectives",
        "baseline_accuracy:max,flops:min",
        "--datasets",
        "nb201",
        "--seeds",
        "2",
        "--budget",
        "12",
        "--mo-methods",
        "ehvi,parego",
        "--through-command",
        "--report-at",
        "6,12",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("user's path") && summary.contains("after 6, 12 evaluations"),
        "{summary}"
    );
    let row = summary
        .lines()
        .find(|l| l.starts_with("| nb201 |"))
        .unwrap();
    // Two methods, two checkpoints each, every regret a number in [0, 1].
    let regrets: Vec<f64> = row
        .split('|')
        .skip(3)
        .flat_map(|c| c.split('/'))
        .filter_map(|p| p.trim().trim_matches('*').split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(regrets.len(), 4, "{row}");
    assert!(regrets.iter().all(|r| (0.0..=1.0).contains(r)), "{row}");
}
