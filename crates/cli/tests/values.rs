//! Value semantics on the user's path: the same rows given as an embedded table, a CSV,
//! a journal or a training command give the same model once their values are declared.

mod common;
use common::{s, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wlgp(args: &[&str], stdin: &str) -> Output {
    common::run_env(args, stdin, &[])
}

fn ok(args: &[&str], stdin: &str) -> (String, String) {
    let o = wlgp(args, stdin);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{args:?}: {err}");
    (out, err)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wlgp-values-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// The successful rows of a journal as `(arch, value)`.
fn rows(journal: &Path) -> Vec<(String, f64)> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|e| {
            (
                e["arch"].as_str().unwrap().to_string(),
                e["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn write_csv(path: &Path, column: &str, rows: &[(String, f64)], map: impl Fn(f64) -> f64) {
    let mut s = format!("arch,{column}\n");
    for (a, v) in rows {
        s += &format!("\"{a}\",{}\n", map(*v));
    }
    std::fs::write(path, s).unwrap();
}

/// Predictions as `(arch, mean, std)`.
fn parse(csv: &str) -> Vec<(String, f64, f64)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.rsplitn(3, ',').collect();
            (
                f[2].to_string(),
                f[1].parse().unwrap(),
                f[0].parse().unwrap(),
            )
        })
        .collect()
}

fn same(a: &[(String, f64, f64)], b: &[(String, f64, f64)], what: &str) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.0, y.0);
        assert!(
            (x.1 - y.1).abs() <= 1e-12 * x.1.abs().max(1.0),
            "{what}: mean {} vs {}",
            x.1,
            y.1
        );
        assert!(
            (x.2 - y.2).abs() <= 1e-12 * x.2.abs().max(1.0),
            "{what}: std {} vs {}",
            x.2,
            y.2
        );
    }
}

#[test]
fn table_csv_journal_and_command_give_the_same_model() {
    let bin = env!("CARGO_BIN_EXE_wlgp");
    for (dataset, values) in [("nb201", "accuracy-percent"), ("cora", "accuracy")] {
        let (ja, jb) = (
            tmp(&format!("{dataset}-table.jsonl")),
            tmp(&format!("{dataset}-cmd.jsonl")),
        );
        let common = ["--budget", "24", "--seed", "5", "--json"];
        let mut a = vec!["search", "--dataset", dataset, "--journal", s(&ja)];
        a.extend(common);
        let (table_run, _) = ok(&a, "");
        let cmd = format!("{bin} lookup --dataset {dataset}");
        let space = if dataset == "nb201" {
            "nb201"
        } else {
            "nbgraph"
        };
        let mut b = vec![
            "search",
            "--space",
            space,
            "--objective-cmd",
            &cmd,
            "--values",
            values,
            "--journal",
            s(&jb),
        ];
        b.extend(common);
        let (cmd_run, _) = ok(&b, "");
        let (ta, tb): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&table_run).unwrap(),
            serde_json::from_str(&cmd_run).unwrap(),
        );
        assert_eq!(
            ta["trajectory"], tb["trajectory"],
            "{dataset}: the searches differ"
        );
        assert_eq!(ta["best_arch"], tb["best_arch"]);
        assert_eq!(ta["transform"], tb["transform"]);
        assert_eq!(tb["values"], values);

        let r = rows(&ja);
        assert_eq!(r, rows(&jb));
        let (csv, named) = (
            tmp(&format!("{dataset}.csv")),
            tmp(&format!("{dataset}-acc.csv")),
        );
        write_csv(&csv, "value", &r, |v| v);
        write_csv(&named, "val_acc", &r, |v| v);
        let (queries, _) = ok(&["sample", "--space", space, "-n", "40", "--seed", "9"], "");
        let from_a = ok(&["predict", "--from", s(&ja)], &queries).0;
        let from_b = ok(&["predict", "--from", s(&jb)], &queries).0;
        let from_csv = ok(
            &[
                "predict",
                "--space",
                space,
                "--train",
                s(&csv),
                "--values",
                values,
            ],
            &queries,
        )
        .0;
        let (from_named, said) = ok(
            &["predict", "--space", space, "--train", s(&named)],
            &queries,
        );
        assert!(
            said.contains(&format!("values taken as `{values}`")),
            "{said}"
        );
        let p = parse(&from_a);
        assert_eq!(p.len(), 40);
        same(&p, &parse(&from_b), "journal of a command");
        same(&p, &parse(&from_csv), "declared CSV");
        same(&p, &parse(&from_named), "inferred CSV");
        // Undeclared `value` columns are modelled as they are, and say so.
        let (_, said) = ok(&["predict", "--space", space, "--train", s(&csv)], &queries);
        assert!(
            said.contains("values taken as `score`") && said.contains("declare"),
            "{said}"
        );
    }
}

#[test]
fn error_rates_give_the_accuracy_model_mirrored() {
    let j = tmp("err.jsonl");
    ok(
        &[
            "search",
            "--dataset",
            "nb201",
            "--budget",
            "20",
            "--journal",
            s(&j),
        ],
        "",
    );
    let r = rows(&j);
    let (acc, err) = (tmp("acc.csv"), tmp("err.csv"));
    write_csv(&acc, "value", &r, |v| v / 100.0);
    write_csv(&err, "value", &r, |v| 1.0 - v / 100.0);
    let (q, _) = ok(
        &["sample", "--space", "nb201", "-n", "10", "--seed", "1"],
        "",
    );
    let pa = parse(
        &ok(
            &[
                "predict",
                "--space",
                "nb201",
                "--train",
                s(&acc),
                "--values",
                "accuracy",
            ],
            &q,
        )
        .0,
    );
    let pe = parse(
        &ok(
            &[
                "predict",
                "--space",
                "nb201",
                "--train",
                s(&err),
                "--values",
                "error",
            ],
            &q,
        )
        .0,
    );
    for (a, e) in pa.iter().zip(&pe) {
        assert!((a.1 - (1.0 - e.1)).abs() < 1e-9, "{} vs 1 - {}", a.1, e.1);
        assert!((a.2 - e.2).abs() < 1e-9);
    }
    // Minimised values: a search on error rates minimises.
    let bin = env!("CARGO_BIN_EXE_wlgp");
    let cmd = format!("echo \"1 - $({bin} lookup --dataset nb201) / 100\" | bc -l");
    if Command::new("bc").arg("--version").output().is_ok() {
        let (out, _) = ok(
            &[
                "search",
                "--objective-cmd",
                &cmd,
                "--values",
                "error",
                "--budget",
                "15",
                "--json",
            ],
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let t: Vec<f64> = v["trajectory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(t.windows(2).all(|w| w[1] <= w[0]), "{t:?}");
    }
}

#[test]
fn out_of_range_accuracies_and_bad_lines_get_one_clear_line() {
    let csv = tmp("pct.csv");
    std::fs::write(
        &csv,
        "arch,value\n|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|,93.5\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10.0\n",
    )
    .unwrap();
    let one_line = |values: &str, stdin: &str, want: &[&str]| {
        let args = [
            "predict",
            "--space",
            "nb201",
            "--train",
            s(&csv),
            "--values",
            values,
        ];
        let o = wlgp(&args, stdin);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(want.iter().all(|w| err.contains(w)), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"));
    };
    let good = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\n";
    one_line("accuracy", good, &["outside [0, 1]", "accuracy-percent"]);
    one_line(
        "accuracy-percent",
        &format!("{good}|conv~0|+|x|\n"),
        &["line 2", "cannot parse"],
    );
}
