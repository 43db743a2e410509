//! `wlgp train` and `wlgp search --objective builtin-digits`: cells of every image space
//! built and trained on the digits, deterministically; a search on them journaled and
//! resumed; what cannot be built is one line, or a failed evaluation in a search.

mod common;
use common::{dir, one_line_error, run, s};
use serde_json::Value;

const NB201: &str =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";
const DARTS_V2: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
const NB101: &str = r#"{"matrix":[[0,1,1,0,0],[0,0,0,1,0],[0,0,0,1,1],[0,0,0,0,1],[0,0,0,0,0]],"ops":["input","conv3x3-bn-relu","maxpool3x3","conv1x1-bn-relu","output"]}"#;

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{}", common::err(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn train_builds_and_trains_cells_of_every_image_space_deterministically() {
    for (space, arch) in [("nb201", NB201), ("darts", DARTS_V2), ("nb101", NB101)] {
        let args = [
            "train", "--space", space, "--arch", arch, "--epochs", "6", "--json",
        ];
        let v = json(&args);
        let acc = v["accuracy"].as_f64().unwrap();
        // Real learning on 10 classes (chance is 10 %), at the default stacking.
        assert!(acc > 50.0 && acc <= 100.0, "{space}: {v}");
        assert_eq!(v["space"], space);
        assert_eq!(v["stacking"]["width"], 8);
        assert_eq!(v["config"]["epochs"], 6);
        assert!(v["params"].as_u64().unwrap() > 1000 && v["nodes"].as_u64().unwrap() > 5);
        let again = json(&args);
        assert_eq!(
            (&v["accuracy"], &v["train_loss"]),
            (&again["accuracy"], &again["train_loss"])
        );
    }
    // Wider and deeper stacks have more parameters.
    let base = json(&[
        "train", "--space", "nb201", "--arch", NB201, "--epochs", "1", "--json",
    ]);
    let wide = json(&[
        "train", "--space", "nb201", "--arch", NB201, "--epochs", "1", "--width", "12", "--cells",
        "2", "--json",
    ]);
    assert!(wide["params"].as_u64() > base["params"].as_u64());
}

#[test]
fn what_the_trainer_cannot_build_is_one_line() {
    let nbgraph = run(&["sample", "--space", "nbgraph", "-n", "1"]);
    let arch = common::text(&nbgraph.stdout);
    one_line_error(
        &run(&["train", "--space", "nbgraph", "--arch", arch.trim()]),
        "is not one it builds",
    );
    one_line_error(
        &run(&[
            "train",
            "--space",
            "nb201",
            "--arch",
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        ]),
        "no path from an input",
    );
    one_line_error(
        &run(&["train", "--space", "nb201", "--arch", "|x~0|"]),
        "cannot parse",
    );
    one_line_error(
        &run(&["train", "--space", "nb201", "--arch", NB201, "--width", "0"]),
        "width",
    );
    one_line_error(
        &run(&["train", "--space", "nago", "--arch", "{}"]),
        "wlgp nago train",
    );
    one_line_error(
        &run(&[
            "search",
            "--space",
            "nbgraph",
            "--objective",
            "builtin-digits",
            "--budget",
            "3",
        ]),
        "--objective builtin-digits on nbgraph",
    );
    one_line_error(
        &run(&[
            "search",
            "--objective",
            "builtin-digits",
            "--dataset",
            "nb201",
            "--budget",
            "3",
        ]),
        "replaces --dataset",
    );
    one_line_error(
        &run(&[
            "search",
            "--objective",
            "builtin-digits",
            "--objective-cmd",
            "true",
            "--budget",
            "3",
        ]),
        "give one",
    );
}

/// A search on the trainer: accuracies in percent, the trainer's settings in the journal,
/// resumed to the uninterrupted run's trajectory, refused with other settings.
#[test]
fn search_on_the_builtin_objective_journals_and_resumes() {
    let d = dir("builtin-search");
    let j = d.join("run.jsonl");
    let args = |budget: &'static str| {
        vec![
            "search",
            "--space",
            "nb201",
            "--objective",
            "builtin-digits",
            "--train-epochs",
            "2",
            "--budget",
            budget,
            "--n-init",
            "4",
            "--json",
        ]
    };
    let whole = json(&args("8"));
    assert_eq!(whole["dataset"], "builtin-digits");
    assert_eq!(whole["values"], "accuracy-percent");
    let best = whole["best_value"].as_f64().unwrap();
    assert!(best > 20.0 && best <= 100.0, "{whole}");
    let mut first = args("5");
    first.extend(["--journal", s(&j)]);
    json(&first);
    let header = std::fs::read_to_string(&j).unwrap();
    assert!(
        header.contains(r#""stacking":{"cells":1,"width":8}"#),
        "{header}"
    );
    let mut rest = args("8");
    rest.extend(["--resume", s(&j)]);
    assert_eq!(json(&rest)["trajectory"], whole["trajectory"]);
    let mut other = args("9");
    other.extend(["--resume", s(&j), "--train-width", "4"]);
    one_line_error(&run(&other), "settings.train");
}
