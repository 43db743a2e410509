//! End-to-end runs of the `wlgp` binary: real commands, real embedded data, bad input.

mod common;
use common::{one_line_error, run_env as wlgp_env, text};
use std::process::Output;

fn wlgp(args: &[&str], stdin: &str) -> Output {
    wlgp_env(args, stdin, &[])
}

/// A failing command: exit code 2, one line on stderr containing `want`, no panic.
fn fails_with(args: &[&str], stdin: &str, want: &str) {
    one_line_error(&wlgp(args, stdin), want);
}

#[test]
fn search_json_reports_the_contract_fields() {
    let o = wlgp(&["search", "--budget", "25", "--seed", "3", "--json"], "");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "best_arch",
        "best_value",
        "optimum",
        "regret",
        "evaluations",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["evaluations"], 25);
    let regret = v["regret"].as_f64().unwrap();
    assert!(regret >= 0.0);
    assert!((v["optimum"].as_f64().unwrap() - 94.0664).abs() < 1e-9);
    // Same seed, same search.
    let again = wlgp(&["search", "--budget", "25", "--seed", "3", "--json"], "");
    let w: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["trajectory"], w["trajectory"]);
    assert_eq!(v["best_arch"], w["best_arch"]);
}

#[test]
fn search_on_nas_bench_graph_and_random_baseline() {
    for m in ["bo", "random"] {
        let o = wlgp(
            &[
                "search",
                "--dataset",
                "proteins",
                "--metric",
                "perf",
                "--budget",
                "15",
                "--method",
                m,
                "--json",
            ],
            "",
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["evaluations"], 15);
        assert!(v["best_arch"].as_str().unwrap().contains(":["));
    }
    // Smaller-is-better metrics are minimised.
    let o = wlgp(
        &[
            "search",
            "--dataset",
            "cora",
            "--metric",
            "latency",
            "--budget",
            "12",
            "--json",
        ],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["best_value"].as_f64().unwrap() >= v["optimum"].as_f64().unwrap());
}

#[test]
fn sample_then_kernel_for_every_space() {
    for space in ["nb201", "nbgraph", "nb101", "darts"] {
        let s = wlgp(&["sample", "--space", space, "-n", "6", "--seed", "1"], "");
        assert!(s.status.success(), "{}", text(&s.stderr));
        let archs = text(&s.stdout);
        assert_eq!(archs.lines().count(), 6);
        let k = wlgp(&["kernel", "--space", space, "--h", "2"], &archs);
        assert!(k.status.success(), "{space}: {}", text(&k.stderr));
        let rows: Vec<Vec<u64>> = text(&k.stdout)
            .lines()
            .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
            .collect();
        assert_eq!(rows.len(), 6);
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_eq!(*v, rows[j][i]);
            }
        }
        let n = wlgp(
            &["kernel", "--space", space, "--h", "1", "--normalize"],
            &archs,
        );
        let first: f64 = text(&n.stdout).split(',').next().unwrap().parse().unwrap();
        assert!((first - 1.0).abs() < 1e-12);
    }
}

#[test]
fn kernel_reads_json_graphs() {
    let g = "{\"labels\":[\"input\",\"conv\",\"output\"],\"edges\":[[0,1],[1,2]]}\n{\"labels\":[\"input\",\"pool\",\"output\"],\"edges\":[[0,1],[1,2]]}\n";
    let o = wlgp(
        &["kernel", "--space", "json", "--h", "1", "--direction", "in"],
        g,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Shared at h=1 (direction in): input, output at h=0 and input's h=1 label.
    assert_eq!(text(&o.stdout), "6,3\n3,6\n");
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_2() {
    let good = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\n";
    fails_with(
        &["kernel", "--space", "nb201", "--h", "1"],
        &format!("{good}|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|\n"),
        "line 2",
    );
    fails_with(
        &["kernel", "--space", "nb201", "--h", "1"],
        "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|\n",
        "unknown operation `nor_conv_9x9`",
    );
    fails_with(
        &["kernel", "--space", "nb201", "--h", "1"],
        "",
        "empty input",
    );
    fails_with(
        &["kernel", "--space", "nb201", "--h", "11"],
        good,
        "maximum",
    );
    fails_with(
        &["kernel", "--space", "json", "--h", "1"],
        "{\"labels\":[\"a\",\"b\"],\"edges\":[[0,1],[1,0]]}\n",
        "cycle",
    );
    fails_with(
        &["kernel", "--space", "darts", "--h", "1"],
        "Genotype(normal=[\n",
        "line 1",
    );
    fails_with(
        &["kernel", "--space", "nb101", "--h", "1"],
        "{\"matrix\":[[0]],\"ops\":[\"input\"]}\n",
        "vertices",
    );
    fails_with(
        &["search", "--dataset", "mnist"],
        "",
        "unknown dataset `mnist`",
    );
    fails_with(
        &["search", "--dataset", "cora", "--metric", "acc"],
        "",
        "unknown metric `acc`",
    );
    fails_with(
        &["search", "--space", "nb201", "--dataset", "cora"],
        "",
        "belongs to space",
    );
    fails_with(&["search", "--budget", "0"], "", "--budget");
    // The small-budget study's options: a weight that is not a number, unknown names.
    fails_with(
        &["search", "--acquisition", "ucb", "--ucb-beta", "nan"],
        "",
        "--ucb-beta NaN is not a finite number",
    );
    // Checked by the engine's options, written back as the flags the user typed.
    fails_with(
        &["search", "--surrogate", "assessor", "--graph-h", "99"],
        "",
        "--graph-h 99 exceeds",
    );
    fails_with(&["search", "--hs", ""], "", "--hs");
    fails_with(&["search", "--init-design", "grid"], "", "grid");
    fails_with(&["search", "--incumbent", "median"], "", "median");
    fails_with(
        &[
            "search",
            "--dataset",
            "cora",
            "--metric",
            "latency",
            "--transform",
            "neg-log-error",
        ],
        "",
        "needs accuracies",
    );
    fails_with(&["sample", "--space", "json", "-n", "3"], "", "no sampler");
    // clap's own errors also exit 2.
    let o = wlgp(&["search", "--budget", "many"], "");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn data_lists_every_table() {
    let o = wlgp(&["data"], "");
    assert!(o.status.success());
    let t = text(&o.stdout);
    for name in [
        "nb201",
        "arxiv",
        "citeseer",
        "computers",
        "cora",
        "cs",
        "photo",
        "physics",
        "proteins",
        "pubmed",
    ] {
        assert!(t.contains(name), "{name}");
    }
    assert!(t.contains("26206") && t.contains("2021") && t.contains("15625"));
}

#[test]
fn kernel_on_gpu_and_cpu_prints_identical_raw_matrices() {
    let s = wlgp(
        &["sample", "--space", "darts", "-n", "300", "--seed", "5"],
        "",
    );
    let archs = text(&s.stdout);
    let cpu = wlgp(
        &["kernel", "--space", "darts", "--h", "3", "--device", "cpu"],
        &archs,
    );
    assert!(cpu.status.success());
    // auto: the GPU when an adapter exists (lavapipe in CI), else the CPU after a notice.
    let auto = wlgp(
        &["kernel", "--space", "darts", "--h", "3", "--device", "auto"],
        &archs,
    );
    assert!(auto.status.success(), "{}", text(&auto.stderr));
    assert_eq!(cpu.stdout, auto.stdout);
    let env = wlgp_env(
        &["kernel", "--space", "darts", "--h", "3"],
        &archs,
        &[("WLGP_DEVICE", "cpu")],
    );
    assert_eq!(cpu.stdout, env.stdout);
}

#[test]
fn device_errors_are_clear() {
    let o = wlgp_env(&["device"], "", &[("WLGP_DEVICE", "tpu")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("WLGP_DEVICE=`tpu`"));
    // No backend that can exist here: `gpu` is an error, `auto` falls back with one notice.
    let good = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\n";
    let no_gpu = [("WGPU_BACKEND", "dx12")];
    let o = wlgp_env(
        &["kernel", "--space", "nb201", "--h", "1", "--device", "gpu"],
        good,
        &no_gpu,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("no GPU adapter"));
    let o = wlgp_env(&["kernel", "--space", "nb201", "--h", "1"], good, &no_gpu);
    assert!(o.status.success());
    assert_eq!(text(&o.stderr).matches("using the CPU").count(), 1);
    let cpu = wlgp(
        &["kernel", "--space", "nb201", "--h", "1", "--device", "cpu"],
        good,
    );
    assert_eq!(o.stdout, cpu.stdout);
}

#[test]
fn score_reports_the_contract_fields_and_the_best_candidates() {
    let o = wlgp(
        &[
            "score",
            "--train-from-data",
            "nb201:baseline_accuracy:200",
            "--candidates",
            "all",
            "--top",
            "5",
            "--json",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "candidates",
        "seconds",
        "candidates_per_second",
        "device",
        "top",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    // The whole space minus the 200 training cells.
    assert_eq!(v["candidates"], 15_625 - 200);
    let top = v["top"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    let acq: Vec<f64> = top
        .iter()
        .map(|t| t["acquisition"].as_f64().unwrap())
        .collect();
    assert!(acq.windows(2).all(|w| w[0] >= w[1]));
    let archs: std::collections::HashSet<&str> =
        top.iter().map(|t| t["arch"].as_str().unwrap()).collect();
    assert_eq!(archs.len(), 5, "no repeated candidates");
    // Sampling with replacement from a finite space, on NAS-Bench-Graph.
    let o = wlgp(
        &[
            "score",
            "--train-from-data",
            "proteins:valid_perf:50",
            "--candidates",
            "3000",
            "--acquisition",
            "ucb",
            "--json",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn score_reads_a_training_csv_and_rejects_bad_ones() {
    let dir = std::env::temp_dir().join(format!("wlgp-score-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = wlgp(
        &["sample", "--space", "darts", "-n", "30", "--seed", "2"],
        "",
    );
    let mut csv = String::from("arch,value\n");
    for (i, a) in text(&s.stdout).lines().enumerate() {
        // Values from the cells' own structure (count of separable convolutions), not accuracies.
        let v = a.matches("sep_conv").count() as f64 + 0.01 * i as f64;
        csv += &format!("\"{a}\",{v}\n");
    }
    let good = dir.join("good.csv");
    std::fs::write(&good, &csv).unwrap();
    let o = wlgp(
        &[
            "score",
            "--space",
            "darts",
            "--train",
            good.to_str().unwrap(),
            "--candidates",
            "2000",
            "--top",
            "3",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("| 1 | Genotype("));
    let bad_arch = dir.join("bad_arch.csv");
    std::fs::write(&bad_arch, csv.replacen("sep_conv_3x3", "conv_9x9", 1)).unwrap();
    fails_with(
        &[
            "score",
            "--space",
            "darts",
            "--train",
            bad_arch.to_str().unwrap(),
            "--candidates",
            "10",
        ],
        "",
        "line 2",
    );
    let nan = dir.join("nan.csv");
    let mut lines: Vec<&str> = csv.lines().collect();
    let last = lines.pop().unwrap().rsplit_once(',').unwrap().0.to_string() + ",NaN";
    lines.push(&last);
    std::fs::write(&nan, lines.join("\n")).unwrap();
    fails_with(
        &[
            "score",
            "--space",
            "darts",
            "--train",
            nan.to_str().unwrap(),
            "--candidates",
            "10",
        ],
        "",
        "not finite",
    );
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "arch,value\n").unwrap();
    fails_with(
        &[
            "score",
            "--space",
            "darts",
            "--train",
            empty.to_str().unwrap(),
        ],
        "",
        "no training rows",
    );
    fails_with(
        &["score", "--space", "darts", "--train", "/nonexistent.csv"],
        "",
        "nonexistent",
    );
    fails_with(
        &[
            "score",
            "--space",
            "darts",
            "--train",
            good.to_str().unwrap(),
            "--candidates",
            "all",
        ],
        "",
        "too large to enumerate",
    );
    fails_with(
        &["score", "--train-from-data", "nb201:baseline_accuracy:lots"],
        "",
        "not a number",
    );
    fails_with(
        &["score", "--train-from-data", "nb201:acc:10"],
        "",
        "unknown metric",
    );
    fails_with(
        &[
            "score",
            "--train-from-data",
            "nb201:baseline_accuracy:10",
            "--candidates",
            "many",
        ],
        "",
        "--candidates",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small `wlgp study` writes every artefact, and its CSV has one row per evaluation.
#[test]
fn study_writes_csv_plots_and_summary() {
    let dir = std::env::temp_dir().join(format!("wlgp-study-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = wlgp(
        &[
            "study",
            "--datasets",
            "nb201,proteins",
            "--methods",
            "bo,random",
            "--seeds",
            "2",
            "--budget",
            "15",
            "--predictor-datasets",
            "proteins",
            "--predictor-sizes",
            "10,40",
            "--predictor-seeds",
            "1",
            "--semi-datasets",
            "nb201",
            "--semi-sizes",
            "10,30",
            "--semi-seeds",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for f in [
        "runs.csv",
        "predictor.csv",
        "semi.csv",
        "semi_timing.csv",
        "summary.md",
        "regret_nb201.svg",
        "regret_proteins.svg",
        "spearman_proteins.svg",
        "semi_nb201.svg",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    // Header + 2 datasets x 2 methods x 2 seeds x 15 evaluations.
    assert_eq!(runs.lines().count(), 1 + 2 * 2 * 2 * 15);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("| proteins |") && summary.contains("one-hot"),
        "{summary}"
    );
    // The semi-supervised study: 6 models x 2 label counts x 1 seed, each a finite rho
    // on all 15,625 - n unlabelled cells.
    let semi = std::fs::read_to_string(dir.join("semi.csv")).unwrap();
    assert_eq!(semi.lines().count(), 1 + 6 * 2, "{semi}");
    for m in [
        "gp",
        "propagation",
        "laplacian-gp",
        "assessor",
        "assessor+gp",
        "gp-assessor-avg",
    ] {
        assert!(summary.contains(&format!("| {m} |")), "{m}: {summary}");
    }
    for line in semi.lines().skip(1) {
        let rho: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
        assert!(rho.is_finite() && rho > 0.0, "{line}");
    }
    // NAS-Bench-Graph searches on validation accuracy also report test regret.
    let proteins_row = summary
        .lines()
        .find(|l| l.starts_with("| proteins |"))
        .unwrap();
    assert!(!proteins_row.ends_with("– |"), "{proteins_row}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn wlgp_json(args: &[&str]) -> serde_json::Value {
    let out = wlgp(args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `wlgp explain` on real data: good motifs have positive effects, bad ones negative,
/// each with a std and a count; pruning reports what it keeps of the table.
#[test]
fn explain_reports_motifs_and_pruning() {
    let v = wlgp_json(&[
        "explain",
        "--train-from-data",
        "nb201:baseline_accuracy:80",
        "--json",
        "--arch",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    ]);
    let good = v["good"].as_array().unwrap();
    let bad = v["bad"].as_array().unwrap();
    assert!(!good.is_empty() && !bad.is_empty());
    assert!(good.iter().all(|e| e["effect"].as_f64().unwrap() > 0.0));
    assert!(bad.iter().all(|e| e["effect"].as_f64().unwrap() < 0.0));
    assert!(good.iter().all(|e| e["std"].as_f64().unwrap() > 0.0));
    assert!(good[0]["motif"].as_str().unwrap().len() > 2);
    let st = &v["prune"]["stats"];
    assert!(st["kept"].as_u64().unwrap() <= st["total"].as_u64().unwrap());
    assert_eq!(st["total"], 15625);
    let contributions = v["arch"]["contributions"].as_array().unwrap();
    assert!(!contributions.is_empty());
}

/// `wlgp build` returns a parseable architecture with a prediction and, from a table, its
/// true value; a journal works as training data too.
#[test]
fn build_from_table_and_from_journal() {
    let v = wlgp_json(&["build", "--train-from-data", "cora:valid_perf:60", "--json"]);
    let arch = v["arch"].as_str().unwrap();
    assert!(arch.contains(':'), "{arch}");
    assert!(v["predicted"].as_f64().unwrap() > 0.0);
    assert!(v["true_percentile"].as_f64().unwrap() > 0.0);
    let dir = std::env::temp_dir().join(format!("wlgp-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("j.jsonl");
    wlgp_json(&[
        "search",
        "--dataset",
        "nb201",
        "--budget",
        "30",
        "--journal",
        j.to_str().unwrap(),
        "--json",
    ]);
    let v = wlgp_json(&["build", "--from", j.to_str().unwrap(), "--json"]);
    assert!(v["arch"].as_str().unwrap().starts_with('|'));
    let v = wlgp_json(&[
        "explain",
        "--from",
        j.to_str().unwrap(),
        "--json",
        "--top",
        "3",
    ]);
    assert_eq!(v["training"], 30);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bad input to the new commands: one line, exit 2, no panic.
#[test]
fn explain_build_study_reject_bad_input() {
    for (args, want) in [
        (
            vec![
                "explain",
                "--train-from-data",
                "nb201:baseline_accuracy:30",
                "--arch",
                "garbage",
            ],
            "cannot parse nb201 architecture",
        ),
        (
            vec!["build", "--from", "/nonexistent.jsonl", "--space", "nb201"],
            "reading journal",
        ),
        (
            vec!["explain", "--from", "Cargo.toml", "--space", "nb201"],
            "no journal header",
        ),
        (
            vec![
                "score",
                "--train-from-data",
                "nb201:baseline_accuracy:30",
                "--acquisition",
                "ts",
            ],
            "wlgp score ranks by",
        ),
        (
            vec!["study", "--datasets", "nope", "--out", "/tmp/wlgp-never"],
            "unknown dataset `nope`",
        ),
        (
            vec![
                "build",
                "--train-from-data",
                "nb201:baseline_accuracy:30",
                "--train",
                "x.csv",
            ],
            "only one of",
        ),
    ] {
        let out = wlgp(&args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    }
}

/// A training CSV of `n` sampled DARTS genotypes scored by a planted rule (separable
/// convolutions help, pooling hurts; not accuracies), written to `path`.
fn darts_csv(path: &std::path::Path, n: usize, seed: u64) -> std::path::PathBuf {
    let (n, seed) = (n.to_string(), seed.to_string());
    let out = wlgp(
        &["sample", "--space", "darts", "--n", &n, "--seed", &seed],
        "",
    );
    let mut csv = String::from("arch,value\n");
    for g in text(&out.stdout).lines() {
        let v = 0.9 + 0.003 * g.matches("sep_conv").count() as f64
            - 0.002 * g.matches("pool").count() as f64;
        csv += &format!("\"{g}\",{v}\n");
    }
    std::fs::write(path, csv).unwrap();
    path.to_path_buf()
}

/// `explain` and `build` work on a space without an embedded table, from a CSV: on DARTS
/// genotypes scored by a planted rule (separable convolutions help, pooling hurts; not
/// accuracies), the top motif is a separable convolution and the built genotype has no
/// pooling.
#[test]
fn explain_and_build_on_darts_from_csv() {
    let dir = std::env::temp_dir().join(format!("wlgp-darts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = darts_csv(&dir.join("train.csv"), 150, 4);
    let p = path.to_str().unwrap();
    let v = wlgp_json(&["explain", "--space", "darts", "--train", p, "--json"]);
    assert!(
        v["good"][0]["motif"].as_str().unwrap().contains("sep_conv"),
        "{}",
        v["good"]
    );
    assert!(v["prune"]["stats"].is_null());
    let v = wlgp_json(&["build", "--space", "darts", "--train", p, "--json"]);
    let arch = v["arch"].as_str().unwrap();
    assert!(!arch.contains("pool"), "{arch}");
    assert!(v["true_value"].is_null());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The semi-supervised surrogates drive a search end to end, reproducibly, and refuse
/// settings they cannot honour.
#[test]
fn search_with_semi_supervised_surrogates() {
    for s in ["assessor", "propagation"] {
        let args = [
            "search",
            "--surrogate",
            s,
            "--budget",
            "14",
            "--n-init",
            "6",
            "--batch",
            "2",
            "--seed",
            "1",
            "--json",
        ];
        let v = wlgp_json(&args);
        assert_eq!(v["evaluations"], 14, "{s}");
        assert!(v["regret"].as_f64().unwrap() >= 0.0);
        let w = wlgp_json(&args);
        assert_eq!(
            v["trajectory"], w["trajectory"],
            "{s}: same seed, same search"
        );
    }
    fails_with(
        &["search", "--surrogate", "assessor", "--acquisition", "ts"],
        "",
        "use --surrogate gp",
    );
    fails_with(
        &["search", "--surrogate", "propagation", "--prune", "2"],
        "",
        "use --surrogate gp",
    );
    fails_with(
        &[
            "search",
            "--surrogate",
            "assessor",
            "--knn",
            "0",
            "--budget",
            "12",
        ],
        "",
        "--knn",
    );
}

#[test]
fn nago_sample_prints_the_hierarchy_and_a_dag_a_user_can_build() {
    let theta = r#"{"G1_nodes": 4, "G1_K": 2, "G1_P": 0.5, "G2_nodes": 3, "G2_P": 0.6, "G3_nodes": 5, "G3_K": 4, "G3_P": 0.2}"#;
    let o = wlgp(
        &["nago", "sample", "--theta", theta, "--seed", "7", "--json"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["theta"]["G1_nodes"], 4);
    assert_eq!(v["seed"], 7);
    assert_eq!(v["top"]["nodes"], 4);
    assert_eq!(v["middle"].as_array().unwrap().len(), 4);
    assert_eq!(v["bottom"][0].as_array().unwrap().len(), 3);
    assert_eq!(v["operations"], 4 * 3 * 5);
    let labels = v["graph"]["labels"].as_array().unwrap();
    let convs = labels.iter().filter(|l| *l == "conv").count();
    assert_eq!(convs, 60);
    // Every edge of every level points from a lower to a higher index.
    for e in v["top"]["edges"].as_array().unwrap() {
        assert!(e[0].as_u64() < e[1].as_u64());
    }
    // The same θ and seed give the same sample; the flattened graph is a valid json-space DAG.
    let again = wlgp(
        &["nago", "sample", "--theta", theta, "--seed", "7", "--json"],
        "",
    );
    assert_eq!(o.stdout, again.stdout);
    let graph = v["graph"].to_string();
    let k = wlgp(&["kernel", "--space", "json", "--h", "1"], &graph);
    assert!(k.status.success(), "{}", text(&k.stderr));
    // Without --theta, θ is drawn from the seed.
    let a = wlgp(&["nago", "sample", "--seed", "5"], "");
    assert!(text(&a.stdout).contains("operations"));
    // The built-in trainer's model of it, and the network a search with seed 3 evaluates.
    assert!(v["trainer"]["params"].as_u64().unwrap() > 0);
    // The reference's width rule under the default budget of 200,000 parameters.
    assert_eq!(v["trainer"]["width"], 8);
    assert_eq!(v["trainer"]["cells"].as_array().unwrap().len(), 4);
    let searched = [
        "nago",
        "sample",
        "--theta",
        theta,
        "--search-seed",
        "3",
        "--json",
    ];
    let s = wlgp_json(&searched);
    assert_ne!(s["seed"], v["seed"]);
    let again = wlgp_json(&searched);
    assert_eq!(s, again);
}

#[test]
fn nago_rejects_bad_theta() {
    fails_with(
        &["nago", "sample", "--theta", "{\"G1_nodes\": 6}"],
        "",
        "missing field",
    );
    fails_with(
        &[
            "nago",
            "sample",
            "--theta",
            r#"{"G1_nodes": 12, "G1_K": 4, "G1_P": 0.3, "G2_nodes": 5, "G2_P": 0.5, "G3_nodes": 4, "G3_K": 3, "G3_P": 0.7}"#,
        ],
        "",
        "G1_nodes = 12 is outside its range",
    );
    fails_with(&["nago", "sample", "--theta", "not json"], "", "theta");
}

#[test]
fn nago_train_reports_accuracy_params_and_seconds_deterministically() {
    let theta = r#"{"G1_nodes": 3, "G1_K": 2, "G1_P": 0.5, "G2_nodes": 3, "G2_P": 0.5, "G3_nodes": 3, "G3_K": 2, "G3_P": 0.5}"#;
    let args = [
        "nago", "train", "--theta", theta, "--seed", "4", "--epochs", "1", "--json",
    ];
    let o = wlgp(&args, "");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&acc), "{v}");
    assert!(v["params"].as_u64().unwrap() > 0);
    assert!(v["seconds"].as_f64().unwrap() > 0.0);
    // One pass of the hierarchy: 3 cells x 3 nodes x 3 operations.
    assert_eq!(v["operations"], 27);
    let again: serde_json::Value = serde_json::from_slice(&wlgp(&args, "").stdout).unwrap();
    assert_eq!(
        (&v["accuracy"], &v["train_loss"]),
        (&again["accuracy"], &again["train_loss"])
    );
    fails_with(&["nago", "train", "--epochs", "0"], "", "epochs");
    fails_with(&["nago", "train", "--lr=-1"], "", "--lr");
    fails_with(&["nago", "train", "--theta", "{}"], "", "missing field");
    fails_with(
        &["nago", "train", "--structure", "plain"],
        "",
        "residual or reference",
    );
    // The reference's own structure trains too, to a different result.
    let reference: serde_json::Value = serde_json::from_slice(
        &wlgp(&[&args[..], &["--structure", "reference"]].concat(), "").stdout,
    )
    .unwrap();
    assert_eq!(reference["structure"], "reference");
    assert_eq!(reference["params"], v["params"]);
    assert_ne!(reference["train_loss"], v["train_loss"]);
}

/// `wlgp search --space nago` with a user's command: the command gets θ in WLGP_ARCH and
/// the sampled network's JSON on stdin; BO beats random search on a score that prefers
/// small networks; a journaled run resumes to the uninterrupted run's result.
#[test]
fn nago_search_runs_the_users_command_on_generators_and_resumes() {
    let dir = std::env::temp_dir().join(format!("wlgp-nago-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = dir.join("objective.sh");
    std::fs::write(
        &cmd,
        "#!/bin/sh\n# fewer convolutions score higher; the network on stdin must be theta's\nnet=$(cat)\necho \"$net\" | grep -q \"$(echo \"$WLGP_ARCH\" | cut -c2-13)\" || exit 3\nops=$(echo \"$net\" | sed 's/.*\"operations\":\\([0-9]*\\).*/\\1/')\necho \"-$ops\"\n",
    )
    .unwrap();
    let cmd = format!("sh {}", cmd.display());
    let journal = dir.join("j.jsonl");
    let run = |method: &str, budget: &str, extra: &[&str]| {
        let mut args = vec![
            "search",
            "--space",
            "nago",
            "--objective-cmd",
            &cmd,
            "--method",
            method,
            "--budget",
            budget,
            "--n-init",
            "5",
            "--generator-pool",
            "200",
            "--json",
        ];
        args.extend_from_slice(extra);
        wlgp_json(&args)
    };
    let bo = run("bo", "16", &[]);
    let random = run("random", "16", &[]);
    assert_eq!(bo["evaluations"], 16);
    let (b, r) = (
        bo["best_value"].as_f64().unwrap(),
        random["best_value"].as_f64().unwrap(),
    );
    assert!(b > r, "bo {b} vs random {r}");
    let theta: serde_json::Value = serde_json::from_str(bo["best_arch"].as_str().unwrap()).unwrap();
    assert!(theta["G1_nodes"].as_u64().unwrap() <= 10);
    // Journal 10, resume to 16: the same trajectory as the uninterrupted run.
    let j = journal.to_str().unwrap();
    run("bo", "10", &["--journal", j]);
    let resumed = run("bo", "16", &["--resume", j]);
    assert_eq!(resumed["trajectory"], bo["trajectory"]);
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(lines, 17, "a header and 16 evaluations");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nago_search_trains_on_the_digits_and_rejects_what_it_does_not_do() {
    // Three evaluations of one-epoch training, small candidate pools.
    let quick = |extra: &[&str]| {
        let base = [
            "search",
            "--space",
            "nago",
            "--budget",
            "3",
            "--n-init",
            "2",
            "--train-epochs",
            "1",
            "--generator-pool",
            "50",
            "--generator-local",
            "10",
            "--json",
        ];
        wlgp_json(&[&base[..], extra].concat())
    };
    let v = quick(&["--seed", "1"]);
    assert_eq!(
        (v["dataset"].as_str(), v["metric"].as_str()),
        (Some("digits"), Some("accuracy"))
    );
    let best = v["best_value"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&best), "{v}");
    // Accuracy against the built-in trainer's exact parameter count: EHVI over the GP.
    let mo = quick(&["--objectives", "accuracy:max,params:min"]);
    assert_eq!(mo["method"], "ehvi");
    let front = mo["front"].as_array().unwrap();
    assert!(!front.is_empty() && front.len() <= 3, "{mo}");
    assert!(front.iter().all(|p| p["params"].as_f64().unwrap() > 1000.0));
    assert!(mo["hypervolume"].as_f64().unwrap() > 0.0);
    let nago = ["search", "--space", "nago"];
    for (extra, want) in [
        (
            &["--objectives", "accuracy:max,flops:min"][..],
            "built-in trainer only",
        ),
        (
            &[
                "--objectives",
                "accuracy:max,params:min",
                "--mo-method",
                "nsga2",
            ],
            "ehvi or random",
        ),
        (&["--dataset", "nb201"], "--dataset"),
        (&["--method", "local"], "bo or random"),
        (&["--acquisition", "ts"], "Thompson"),
    ] {
        fails_with(&[&nago[..], extra].concat(), "", want);
    }
    fails_with(&["kernel", "--space", "nago"], "", "generators, not cells");
}

/// `wlgp score --device gpu` runs the device-resident pipeline for NB201 (the whole space
/// and a sample) and DARTS (a sample) and prints the CPU's answer. Needs an adapter: with
/// `WLGP_REQUIRE_GPU=1` (CI, lavapipe) a missing one fails, otherwise the test says so.
#[test]
fn score_on_the_device_prints_the_cpus_answer() {
    let probe = wlgp(&["device"], "");
    if text(&probe.stdout).contains("no GPU adapter found") {
        assert!(
            std::env::var("WLGP_REQUIRE_GPU").map_or(true, |v| v != "1"),
            "WLGP_REQUIRE_GPU=1 but no adapter: {}",
            text(&probe.stdout)
        );
        eprintln!("no GPU adapter: device scoring not tested");
        return;
    }
    let dir = std::env::temp_dir().join(format!("wlgp-devscore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let darts = darts_csv(&dir.join("darts.csv"), 120, 6);
    let darts = darts.to_str().unwrap();
    let cases: [&[&str]; 3] = [
        &[
            "--train-from-data",
            "nb201:baseline_accuracy:100",
            "--candidates",
            "all",
        ],
        &[
            "--train-from-data",
            "nb201:baseline_accuracy:100",
            "--candidates",
            "50000",
        ],
        &[
            "--space",
            "darts",
            "--train",
            darts,
            "--candidates",
            "20000",
        ],
    ];
    for case in cases {
        let run = |device: &str| {
            let mut args = vec!["score", "--top", "8", "--json", "--device", device];
            args.extend_from_slice(case);
            let o = wlgp(&args, "");
            assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
        };
        let (gpu, cpu) = (run("gpu"), run("cpu"));
        assert_eq!(gpu["pipeline"], "device-resident", "{case:?}");
        assert_eq!(cpu["pipeline"], "cpu");
        assert_eq!(gpu["candidates"], cpu["candidates"], "{case:?}");
        let archs = |v: &serde_json::Value| -> Vec<String> {
            v["top"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["arch"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(archs(&gpu), archs(&cpu), "{case:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `wlgp bench` at toy sizes on the CPU: every row a finite, positive throughput in the
/// JSON, and each row said on stderr as it is measured (a bench cut short by a device
/// machine's time limit still reports what it measured).
#[test]
fn bench_reports_every_row_as_it_goes() {
    let o = wlgp(
        &[
            "--device",
            "cpu",
            "bench",
            "--graphs",
            "200",
            "--train",
            "20",
            "--candidates",
            "50",
            "--kernel-graphs",
            "30",
            "--score-sizes",
            "20",
            "--end-to-end-sizes",
            "20",
            "--score-candidates",
            "2000",
            "--repeats",
            "1",
            "--no-assessor",
            "--no-single-thread",
            "--json",
        ],
        "",
    );
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["gpu"], serde_json::Value::Null);
    let rows = v["rows"].as_array().unwrap();
    // WL features, kernel and graph kernel for two spaces; two posteriors; two end to end.
    assert_eq!(rows.len(), 10, "{rows:?}");
    for r in rows {
        let rate = r["per_second"].as_f64().unwrap();
        assert!(rate.is_finite() && rate > 0.0, "{r}");
        let line = format!(
            "bench: {} | {} | {} |",
            r["task"].as_str().unwrap(),
            r["space"].as_str().unwrap(),
            r["engine"].as_str().unwrap()
        );
        assert!(err.contains(&line), "`{line}` not in {err}");
    }
}

/// The whole NB201 table as a user would export it: every architecture with its two
/// accuracies (`arch,baseline_accuracy,ptq_accuracy`), each row `times` times with the
/// baseline accuracy from `value(v, copy)`.
fn nb201_export(path: &std::path::Path, times: usize, value: impl Fn(f64, usize) -> f64) {
    use wlgp::search::{Objective, TableObjective};
    use wlgp::space::{Nb201Space, Sampler, Space};
    let d = wlgp::bench_data::dataset("nb201").unwrap();
    let (mut base, mut ptq) = (
        TableObjective::new(d, "baseline_accuracy").unwrap(),
        TableObjective::new(d, "ptq_accuracy").unwrap(),
    );
    let s = Nb201Space::default();
    let mut csv = String::from("arch,baseline_accuracy,ptq_accuracy\n");
    for c in s.enumerate().unwrap() {
        let (v, q) = (
            base.evaluate(&s, &c).unwrap(),
            ptq.evaluate(&s, &c).unwrap(),
        );
        for copy in 0..times {
            csv += &format!("{},{:?},{q:?}\n", s.format(&c), value(v, copy));
        }
    }
    std::fs::write(path, csv).unwrap();
}

/// `wlgp evaluate --data` on a user's CSV: the exported table gives the embedded table's
/// figures exactly; architectures repeated over seeds are averaged (never both trained on
/// and held out); sizes too large for the data are dropped and said; bad calls fail in
/// one line.
#[test]
fn evaluate_on_a_users_csv_is_the_embedded_tables_figure() {
    let dir = std::env::temp_dir().join(format!("wlgp-evaluate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (once, twice, mean) = (
        dir.join("once.csv"),
        dir.join("twice.csv"),
        dir.join("mean.csv"),
    );
    nb201_export(&once, 1, |v, _| v);
    let other = |v: f64| 0.5 * v + 1.0;
    nb201_export(&twice, 2, |v, copy| if copy == 0 { v } else { other(v) });
    nb201_export(&mean, 1, |v, _| (v + other(v)) / 2.0);
    let common = ["--train-sizes", "30,60", "--seeds", "3", "--json"];
    let run = |source: &[&str]| {
        let mut args = vec!["evaluate"];
        args.extend_from_slice(source);
        args.extend_from_slice(&common);
        wlgp_json(&args)
    };
    let table = run(&["--dataset", "nb201"]);
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let (once, twice, mean) = (path(&once), path(&twice), path(&mean));
    let csv = |p: &str| {
        run(&[
            "--space",
            "nb201",
            "--data",
            p,
            "--metric",
            "baseline_accuracy",
        ])
    };
    let mine = csv(&once);
    assert_eq!(mine["rows"], table["rows"]);
    assert_eq!(mine["values"], "accuracy-percent");
    assert_eq!(mine["architectures"], 15625);
    let (rep, avg) = (csv(&twice), csv(&mean));
    assert_eq!(rep["rows"], avg["rows"]);
    assert_eq!(
        (rep["rows_read"].as_u64(), rep["architectures"].as_u64()),
        (Some(31250), Some(15625))
    );
    let rho = table["rows"][1]["spearman"].as_f64().unwrap();
    assert!(rho > 0.8, "{rho}");
    // The 95% predictive intervals hold about 95% of the held-out values.
    let covered = table["rows"][1]["coverage_95"].as_f64().unwrap();
    assert!((0.85..=1.0).contains(&covered), "{covered}");

    // A small CSV: sizes that leave fewer than 10 held out are dropped, and said.
    let small = dir.join("small.csv");
    let all = std::fs::read_to_string(&once).unwrap();
    let lines: Vec<&str> = all.lines().take(41).collect();
    std::fs::write(&small, lines.join("\n") + "\n").unwrap();
    let small = path(&small);
    let base = [
        "evaluate",
        "--space",
        "nb201",
        "--data",
        &small,
        "--metric",
        "ptq_accuracy",
    ];
    let o = wlgp(
        &[&base[..], &["--train-sizes", "20,35", "--seeds", "2"]].concat(),
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("train sizes [35] dropped"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("| 20 |"), "{}", text(&o.stdout));
    fails_with(&base, "", "no train size in [50, 100, 400]");
    fails_with(
        &["evaluate", "--data", &small],
        "",
        "give --space with --data",
    );
    fails_with(
        &["evaluate", "--space", "nb201", "--data", &small],
        "",
        "no `value` column and 2 others",
    );
    fails_with(
        &["evaluate", "--dataset", "nb201", "--data", &small],
        "",
        "cannot be used with",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `wlgp search --init`: BO starts from architectures evaluated before the search. It
/// never proposes them again, reports how many it was given, resumes only with the same
/// file (and then ends as an uninterrupted run does), and refuses methods that cannot use
/// them.
#[test]
fn search_starts_from_given_evaluations() {
    use wlgp::search::{Objective, TableObjective};
    use wlgp::space::{Nb201Space, Sampler, Space};
    let dir = std::env::temp_dir().join(format!("wlgp-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // 30 cells a user trained before, as a CSV with more columns than the one modelled.
    let s = Nb201Space::default();
    let d = wlgp::bench_data::dataset("nb201").unwrap();
    let mut table = TableObjective::new(d, "baseline_accuracy").unwrap();
    let cells: Vec<_> = s
        .enumerate()
        .unwrap()
        .into_iter()
        .step_by(521)
        .take(30)
        .collect();
    let mut csv = String::from("arch,epochs,baseline_accuracy\n");
    let mut given = std::collections::HashSet::new();
    for c in &cells {
        csv += &format!("{},200,{:?}\n", s.format(c), table.evaluate(&s, c).unwrap());
        given.insert(s.format(c));
    }
    let init = dir.join("before.csv");
    std::fs::write(&init, csv).unwrap();
    let init = init.to_str().unwrap();
    let journal = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let archs = |path: &str| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["arch"].to_string())
            .map(|a| a.trim_matches('"').to_string())
            .collect()
    };
    let run = |budget: &str, extra: &[&str]| {
        let mut args = vec!["search", "--metric", "baseline_accuracy", "--init", init];
        args.extend_from_slice(&["--budget", budget, "--json"]);
        args.extend_from_slice(extra);
        wlgp_json(&args)
    };
    let (whole, part) = (journal("whole.jsonl"), journal("part.jsonl"));
    let v = run("12", &["--journal", &whole]);
    assert_eq!(v["given"], 30);
    assert_eq!(v["evaluations"], 12);
    let proposed = archs(&whole);
    assert_eq!(proposed.len(), 12);
    assert!(proposed.iter().all(|a| !given.contains(a)), "{proposed:?}");
    let check = wlgp_json(&["journal", "check", "--json", &whole]);
    assert_eq!(
        (check["given"].as_u64(), check["entries"].as_u64()),
        (Some(30), Some(12))
    );
    // A surrogate fitted from the journal learns from the given evaluations too.
    let e = wlgp_json(&["explain", "--space", "nb201", "--from", &whole, "--json"]);
    assert_eq!(e["training"], 42);
    // Stopped after 5, resumed to 12 with the same file: the same 12 evaluations.
    run("5", &["--journal", &part]);
    run("12", &["--resume", &part]);
    assert_eq!(archs(&part), proposed);
    // Without the file, the journal is another search's.
    let o = wlgp(
        &["search", "--metric", "baseline_accuracy", "--resume", &part],
        "",
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("settings.init: journal [30 items"), "{err}");
    let random = ["search", "--method", "random", "--init", init];
    fails_with(&random, "", "random does not take them");
    let mo = [
        "search",
        "--objectives",
        "valid_perf:max,latency:min",
        "--dataset",
        "cora",
    ];
    fails_with(
        &[&mo[..], &["--init", init]].concat(),
        "",
        "does not apply to",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Command-line mistakes are one line too (clap's message, tips and possible values, no
/// usage block), with exit code 2; --help and --version still print in full.
#[test]
fn command_line_errors_are_one_line() {
    fails_with(&["score", "--space", "foo"], "", "[possible values: nb201");
    fails_with(
        &["score", "--spaec", "nb201"],
        "",
        "; tip: a similar argument exists",
    );
    fails_with(&["bogus"], "", "unrecognized subcommand 'bogus'");
    let help = wlgp(&["search", "--help"], "");
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("Usage: wlgp search"));
}

#[test]
fn plot_rejects_bad_figures_and_unreadable_plots() {
    let d = std::env::temp_dir().join(format!("wlgp-plot-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let write = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let pie = write("pie.json", r#"{"kind": "pie"}"#);
    fails_with(&["plot", &pie], "", "not a figure");
    let empty = write(
        "empty.json",
        r#"{"kind": "bars", "title": "t", "value_label": "v", "bars": []}"#,
    );
    fails_with(&["plot", &empty], "", "nothing to plot");
    assert!(!d.join("empty.svg").exists());
    fails_with(
        &["plot", d.join("missing.json").to_str().unwrap()],
        "",
        "missing.json",
    );
    let foreign = write("foreign.svg", "<svg><rect x=\"0\"/></svg>");
    let o = wlgp(&["plot", "--check", &foreign], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stdout).contains("not drawn by wlgp's plotting module"));
    let good = write(
        "good.json",
        r#"{"kind": "bars", "title": "t", "value_label": "v", "bars": [{"label": "a", "value": 1.0}]}"#,
    );
    let o = wlgp(&["plot", &good], "");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = wlgp(
        &["plot", "--check", d.join("good.svg").to_str().unwrap()],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stdout));
}
