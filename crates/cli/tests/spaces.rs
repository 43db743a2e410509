//! Declared spaces (`--space FILE`) through the commands a user types: every example is
//! sampled, searched through `--objective-cmd`, resumed and scored.

mod common;
use common::{dir, err, one_line_error, run, run_env, s, text};
use std::path::PathBuf;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/spaces")
        .join(format!("{name}.toml"))
}

/// A space file written into a fresh folder for test `name`.
fn space_file(name: &str, text: &str) -> PathBuf {
    let path = dir(name).join("s.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A deterministic score of the architecture string (its length), enough to drive a search.
const LENGTH: &str = "sh -c 'printf %s \"$WLGP_ARCH\" | wc -c'";

#[test]
fn every_example_samples_searches_and_resumes() {
    let d = dir("spaces-search");
    for name in ["nb201", "nb101", "darts", "mobilenetv3", "hnb201"] {
        let space = example(name);
        let o = run(&["sample", "--space", s(&space), "-n", "20", "--seed", "3"]);
        assert!(o.status.success(), "{}", err(&o));
        assert_eq!(text(&o.stdout).lines().count(), 20);
        let j = d.join(format!("{name}.jsonl"));
        let args = |budget: &'static str| {
            vec![
                "search".to_string(),
                "--space".into(),
                s(&space).into(),
                "--objective-cmd".into(),
                LENGTH.into(),
                "--budget".into(),
                budget.into(),
                "--n-init".into(),
                "5".into(),
                "--json".into(),
            ]
        };
        let mut first = args("12");
        first.extend(["--journal".into(), s(&j).into()]);
        let o = run(&first.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{name}: {}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["evaluations"], 12);
        let journal = std::fs::read_to_string(&j).unwrap();
        assert!(journal.lines().next().unwrap().contains("\"space_spec\""));
        let mut more = args("16");
        more.extend(["--resume".into(), s(&j).into()]);
        let o = run(&more.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{name}: {}", err(&o));
        assert_eq!(std::fs::read_to_string(&j).unwrap().lines().count(), 17);
        // A model fitted on the journal reads the space back from its header.
        let o = run_env(
            &["predict", "--from", s(&j)],
            &journal.lines().nth(1).map_or(String::new(), |l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["arch"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }),
            &[],
        );
        assert!(o.status.success(), "{name}: {}", err(&o));
        assert!(text(&o.stdout).starts_with("arch,mean,std"));
    }
}

#[test]
fn a_resume_against_an_edited_space_file_is_refused() {
    let d = dir("spaces-edited");
    let space = d.join("s.toml");
    let original = std::fs::read_to_string(example("nb201")).unwrap();
    std::fs::write(&space, &original).unwrap();
    let j = d.join("j.jsonl");
    let search = |extra: &str| {
        run(&[
            "search",
            "--space",
            s(&space),
            "--objective-cmd",
            LENGTH,
            "--budget",
            "6",
            "--n-init",
            "3",
            extra,
            s(&j),
        ])
    };
    assert!(search("--journal").status.success());
    std::fs::write(
        &space,
        original.replace("\"avg_pool_3x3\"]", "\"avg_pool_3x3\", \"max_pool_3x3\"]"),
    )
    .unwrap();
    one_line_error(&search("--resume"), "settings.space_spec");
}

#[test]
fn the_nb201_spec_searches_the_real_table_through_a_users_command() {
    let cmd = format!(
        "sh {}",
        example("nb201").with_file_name("nb201_lookup.sh").display()
    );
    let o = run_env(
        &[
            "search",
            "--space",
            s(&example("nb201")),
            "--objective-cmd",
            &cmd,
            "--budget",
            "25",
            "--seed",
            "2",
            "--json",
        ],
        "",
        &[("WLGP", env!("CARGO_BIN_EXE_wlgp"))],
    );
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The best of 25 BO evaluations on NAS-Bench-201's CIFAR-10 accuracies.
    assert!(v["best_value"].as_f64().unwrap() > 90.0, "{v}");
}

#[test]
fn a_declared_space_scores_from_a_training_csv() {
    let d = dir("spaces-score");
    let space = example("mobilenetv3");
    let o = run(&["sample", "--space", s(&space), "-n", "40", "--seed", "9"]);
    let csv: String = std::iter::once("arch,value".to_string())
        .chain(
            text(&o.stdout)
                .lines()
                .map(|a| format!("{a},{}", a.len() % 17)),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let train = d.join("train.csv");
    std::fs::write(&train, csv).unwrap();
    let o = run(&[
        "--device",
        "cpu",
        "score",
        "--space",
        s(&space),
        "--train",
        s(&train),
        "--candidates",
        "5000",
        "--top",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["top"].as_array().unwrap().len(), 3);
    assert_eq!(v["space"], "mobilenetv3-ofa");
}

#[test]
fn bad_space_files_are_one_line_errors() {
    let bad = space_file(
        "spaces-bad",
        "name = \"x\"\n[[cell]]\nnodes = 4\nops = [\"a\"]\nedges = [[3, 1]]\n",
    );
    let d = bad.parent().unwrap().to_path_buf();
    one_line_error(
        &run(&["sample", "--space", s(&bad)]),
        "edges[0]: [3, 1] is not a forward edge",
    );
    one_line_error(
        &run(&["sample", "--space", s(&d.join("missing.toml"))]),
        "reading space file",
    );
    let unknown = run(&["sample", "--space", "nb2O1"]);
    one_line_error(&unknown, "or the path of a space file");
    one_line_error(&unknown, "[possible values: nb201");
}

#[test]
fn a_users_command_receives_the_graph_and_every_choice() {
    let d = dir("spaces-graph");
    let out = d.join("graph.json");
    let cmd = format!("printf %s \"$WLGP_GRAPH\" > {}; echo 1", s(&out));
    let o = run(&[
        "search",
        "--space",
        s(&example("mobilenetv3")),
        "--objective-cmd",
        &cmd,
        "--budget",
        "1",
        "--n-init",
        "1",
        "--method",
        "random",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let labels = g["labels"].as_array().unwrap();
    assert_eq!(labels[0], "stem");
    assert_eq!(g["edges"].as_array().unwrap().len(), labels.len() - 1);
    let choices = g["choices"].as_object().unwrap();
    assert_eq!(choices.len(), 45);
    let depth: usize = choices["s1.depth"].as_str().unwrap().parse().unwrap();
    assert!(choices["s1.b1.kernel"].is_string());
    assert_eq!(choices["s1.b4.kernel"].is_null(), depth < 4);
}

#[test]
fn max_params_bounds_every_proposal_and_params_is_an_objective() {
    let space = space_file(
        "spaces-params",
        "name = \"p\"\n[[cell]]\nnodes = 4\nops = [\"a\", \"conv\"]\n[costs.params]\nconv = 1.0\n",
    );
    let d = space.parent().unwrap().to_path_buf();
    let j = d.join("j.jsonl");
    let o = run(&[
        "search",
        "--space",
        s(&space),
        "--objective-cmd",
        LENGTH,
        "--budget",
        "15",
        "--n-init",
        "5",
        "--max-params",
        "2",
        "--journal",
        s(&j),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let journal = std::fs::read_to_string(&j).unwrap();
    for line in journal.lines().skip(1) {
        let arch = serde_json::from_str::<serde_json::Value>(line).unwrap()["arch"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(arch.matches("conv").count() <= 2, "{arch}");
    }
    let o = run(&[
        "search",
        "--space",
        s(&space),
        "--objective-cmd",
        "echo '{\"score\": 1}'",
        "--objectives",
        "score:max,params:min",
        "--budget",
        "6",
        "--n-init",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    one_line_error(
        &run(&[
            "search",
            "--space",
            "nb201",
            "--objective-cmd",
            LENGTH,
            "--max-params",
            "1",
        ]),
        "needs a declared space with [costs.params]",
    );
}

#[test]
fn count_gives_architectures_and_distinct_graphs() {
    let ours = run(&["sample", "--space", s(&example("nb201")), "--count"]);
    let builtin = run(&["sample", "--space", "nb201", "--count"]);
    assert!(ours.status.success(), "{}", err(&ours));
    let (ours, builtin) = (text(&ours.stdout), text(&builtin.stdout));
    assert!(ours.contains("architectures   15625"), "{ours}");
    let graphs = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("distinct graphs"))
            .unwrap()
            .to_string()
    };
    assert_eq!(graphs(&ours), graphs(&builtin));
    let big = text(&run(&["sample", "--space", s(&example("mobilenetv3")), "--count"]).stdout);
    assert!(
        big.contains("unknown (too many architectures to list)"),
        "{big}"
    );
}
