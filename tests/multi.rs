//! Multi-objective search from the command line: the front, its hypervolume against the
//! table's true front, computed costs, and clear errors.

use std::process::Command;
use wlgp::space::{nb201_cost, Nb201Space, Space};

fn wlgp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wlgp"))
        .args(args)
        .output()
        .unwrap()
}

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
        "evolution",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
