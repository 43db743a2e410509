//! Fuzzing every parser and file format on stable Rust: proptest feeds each target random
//! bytes and mutations of valid inputs (byte flips, cuts, insertions, duplicated spans),
//! and every input must give a value or a clear error, never a panic, a hang or a NaN.
//!
//! CI runs `WLGP_FUZZ_CASES` (default 3,000) inputs per target; the long run in
//! docs/reliability.md used `WLGP_FUZZ_CASES=1000000 cargo test --release --test fuzz`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::SeedableRng;
use wlgp::space::{DartsSpace, JsonSpace, Nb101Space, Nb201Space, NbGraphSpace, Sampler, Space};
use wlgp::wl::{self, Direction, WlConfig};

fn cases() -> u32 {
    std::env::var("WLGP_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000)
}

/// One edit of a valid input.
#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Repeat(usize, usize),
    Delete(usize, usize),
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut b = seed.as_bytes().to_vec();
    for e in edits {
        let n = b.len().max(1);
        match e {
            Edit::Flip(i, v) => {
                if !b.is_empty() {
                    let i = i % n;
                    b[i] = *v;
                }
            }
            Edit::Cut(i) => b.truncate(i % (n + 1)),
            Edit::Insert(i, v) => {
                let i = i % (b.len() + 1);
                b.splice(i..i, v.iter().copied());
            }
            Edit::Repeat(i, len) => {
                let i = i % n;
                let j = (i + len % 16).min(b.len());
                let span = b[i.min(b.len())..j].to_vec();
                b.splice(j..j, span);
            }
            Edit::Delete(i, len) => {
                let i = i % n;
                let j = (i + len % 8).min(b.len());
                b.drain(i.min(b.len())..j);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes biased towards the characters the formats are made of.
    let byte = prop_oneof![
        any::<u8>(),
        proptest::sample::select(b"{}[](),:;|~+-_.0123456789eE\"' \n\tnull".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, v)| Edit::Flip(i, v)),
        any::<usize>().prop_map(Edit::Cut),
        (any::<usize>(), proptest::collection::vec(byte, 1..6))
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, l)| Edit::Repeat(i, l)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, l)| Edit::Delete(i, l)),
    ]
}

/// Inputs: mutations of one of `seeds`, or arbitrary bytes.
fn inputs(seeds: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (proptest::sample::select(seeds), proptest::collection::vec(edit(), 1..5))
            .prop_map(|(s, e)| apply(&s, &e)),
        1 => proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn run(name: &str, strategy: impl Strategy<Value = String>, check: impl Fn(&str)) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let t = std::time::Instant::now();
    let result = runner.run(&strategy, |s| {
        check(&s);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!(
        "fuzz {name}: {} inputs, no panic, {:.1} s",
        cases(),
        t.elapsed().as_secs_f64()
    );
}

fn samples<S: Sampler>(space: &S, n: usize) -> Vec<String> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|_| space.format(&space.sample(&mut rng)))
        .collect()
}

/// A parsed architecture must format, parse back to itself and lower to a graph that
/// WL hashes.
fn parse_target<S: Space>(space: &S, s: &str) {
    if let Ok(c) = space.parse(s) {
        let f = space.format(&c);
        assert_eq!(space.parse(&f).expect("formatted cells parse"), c, "{s:?}");
        let a = space.lower(&c);
        let _ = wl::features(
            &a,
            &WlConfig {
                h: 2,
                direction: Direction::Both,
            },
        );
    }
}

#[test]
fn fuzz_nb201_strings() {
    let s = Nb201Space { skip_as_wire: true };
    run("nb201", inputs(samples(&s, 50)), |x| parse_target(&s, x));
}

#[test]
fn fuzz_nbgraph_strings() {
    let s = NbGraphSpace::new(false);
    let mut seeds = samples(&s, 50);
    seeds.push("Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb'])".into());
    run("nbgraph", inputs(seeds), |x| parse_target(&s, x));
}

#[test]
fn fuzz_nb101_strings() {
    run("nb101", inputs(samples(&Nb101Space, 30)), |x| {
        parse_target(&Nb101Space, x)
    });
}

#[test]
fn fuzz_darts_strings() {
    let s = DartsSpace {
        skip_as_wire: false,
    };
    run("darts", inputs(samples(&s, 30)), |x| parse_target(&s, x));
}

#[test]
fn fuzz_json_dags() {
    let seeds = vec![
        r#"{"labels": ["input", "conv", "output"], "edges": [[0, 1], [1, 2]]}"#.to_string(),
        r#"{"labels": ["a", "b", "c", "d"], "edges": [[0, 1], [0, 2], [1, 3], [2, 3]]}"#
            .to_string(),
        r#"{"labels": ["x"], "edges": []}"#.to_string(),
    ];
    run("json", inputs(seeds), |x| parse_target(&JsonSpace, x));
}

#[test]
fn fuzz_training_csvs() {
    let s = Nb201Space { skip_as_wire: true };
    let rows = samples(&s, 5);
    let seeds = vec![
        format!("arch,value\n{},93.1\n{},0.5\n", rows[0], rows[1]),
        format!("value,arch\n1e3,{}\n-2,{}\n", rows[2], rows[3]),
        format!("arch,val_acc\n\"{}\",0.91\n", rows[4]),
    ];
    run("csv", inputs(seeds), |x| {
        if let Ok(r) = wlgp::training::read_csv(&s, x.as_bytes(), "fuzz") {
            assert_eq!(r.cells.len(), r.values.len());
            assert!(r.values.iter().all(|v| v.is_finite()));
        }
    });
}

#[test]
fn fuzz_journal_files() {
    let header = r#"{"wlgp_journal":1,"space":"nb201","dataset":"nb201","metric":"baseline_accuracy","method":"bo","seed":0,"settings":{}}"#;
    let s = Nb201Space { skip_as_wire: true };
    let rows = samples(&s, 3);
    let seeds = vec![format!(
        "{header}\n{{\"arch\":\"{}\",\"value\":91.2,\"status\":\"ok\",\"seconds\":0.1}}\n{{\"arch\":\"{}\",\"value\":null,\"status\":\"timeout\",\"seconds\":3.0}}\n{{\"arch\":\"{}\",\"value\":1e308,\"status\":\"ok\",\"seconds\":0}}\n",
        rows[0], rows[1], rows[2]
    )];
    run("journal", inputs(seeds), |x| {
        let (r, _, entries, dropped) = wlgp::search::repair::inspect(x);
        assert_eq!(r.entries, entries.len());
        assert!(dropped.len() >= r.corrupt_lines.len());
    });
}

#[test]
fn fuzz_objective_output() {
    let seeds = vec![
        "epoch 1 loss 2.3\nepoch 2 loss 1.1\n0.9312\n".to_string(),
        "93.5".to_string(),
        "log\n\n  -1e-3  \n\n".to_string(),
    ];
    run("objective output", inputs(seeds), |x| {
        let mut t = wlgp::search::tail::Tail::default();
        for chunk in x.as_bytes().chunks(7) {
            t.push(chunk);
        }
        if let Ok(v) = t
            .last_line()
            .and_then(|l| wlgp::search::tail::parse_score(&l))
        {
            assert!(v.is_finite());
        }
    });
}

#[test]
fn fuzz_command_line_numbers() {
    let seeds: Vec<String> = [
        "100",
        "0",
        "-1",
        "1e9",
        "18446744073709551616",
        "0.5",
        "nan",
        "inf",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let flags = [
        "--budget",
        "--seed",
        "--batch",
        "--n-init",
        "--timeout",
        "--prune",
        "--hs",
        "--workers",
        "--candidates",
    ];
    // Each input goes to one numeric flag, chosen by its length.
    run("cli numbers", inputs(seeds), |x| {
        let flag = flags[x.len() % flags.len()];
        let cmd = if flag == "--candidates" {
            "score"
        } else {
            "search"
        };
        let _ = wlgp_cli::Cli::try_parse_args(["wlgp", cmd, flag, x]);
    });
}

#[test]
fn fuzz_values_and_standardisation() {
    let strategy = proptest::collection::vec(
        prop_oneof![
            any::<f64>(),
            -1e308..1e308f64,
            0.0..1.0f64,
            Just(0.0),
            Just(1.0),
            Just(100.0)
        ],
        0..20,
    )
    .prop_map(|v| {
        serde_json::to_string(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap()
    });
    run("values", strategy, |x| {
        let v: Vec<String> = serde_json::from_str(x).unwrap();
        let ys: Vec<f64> = v.iter().map(|s| s.parse().unwrap()).collect();
        for values in [
            wlgp::values::Values::Accuracy,
            wlgp::values::Values::AccuracyPercent,
            wlgp::values::Values::Error,
            wlgp::values::Values::Loss,
            wlgp::values::Values::Score,
        ] {
            if values.check(&ys).is_ok() {
                if let Ok((z, m, s)) = values.transform().standardize(&ys) {
                    assert!(
                        z.iter().all(|v| v.is_finite()) && m.is_finite() && s > 0.0,
                        "{ys:?}"
                    );
                }
            }
        }
    });
}

/// Real-world malformed inputs (`tests/corpus/`): spreadsheet exports with a byte-order
/// mark and CRLF, NaN and missing values, typos in every space's strings, cyclic and
/// dangling JSON graphs, interleaved and torn journals, tracebacks and locale-formatted
/// numbers as a command's last line. Every one gives a value or a clear error.
#[test]
fn corpus_of_real_world_malformed_inputs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let nb201 = Nb201Space { skip_as_wire: true };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            parse_target(&nb201, line);
            parse_target(&NbGraphSpace::new(false), line);
            parse_target(&Nb101Space, line);
            parse_target(&DartsSpace { skip_as_wire: true }, line);
            parse_target(&JsonSpace, line);
        }
        let _ = wlgp::training::read_csv(&nb201, bytes.as_slice(), "corpus");
        let _ = wlgp::training::read_csv(&NbGraphSpace::new(false), bytes.as_slice(), "corpus");
        let _ = wlgp::search::repair::inspect(&text);
        let mut t = wlgp::search::tail::Tail::default();
        t.push(&bytes);
        let _ = t
            .last_line()
            .and_then(|l| wlgp::search::tail::parse_score(&l));
        seen += 1;
    }
    assert!(seen >= 15, "{seen} corpus files");
    // What each should say, where it matters to a user.
    let csv = std::fs::read(dir.join("csv_excel_bom_crlf.csv")).unwrap();
    let r = wlgp::training::read_csv(&nb201, csv.as_slice(), "excel.csv").unwrap();
    assert_eq!(
        (r.column.as_str(), r.values.as_slice()),
        ("val_acc", &[0.91][..])
    );
    // A benchmark's export with several metrics: the one named is read, an unnamed one
    // is refused with the header, and the named column must exist.
    let arch =
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|";
    let wide = format!("arch,val_acc,test_acc,params\n\"{arch}\",91.5,90.25,1.2\n");
    let read =
        |column| wlgp::training::read_csv_column(&nb201, wide.as_bytes(), "wide.csv", column);
    let r = read(Some("test_acc")).unwrap();
    assert_eq!(
        (r.column.as_str(), r.values.as_slice()),
        ("test_acc", &[90.25][..])
    );
    let e = read(None).unwrap_err().to_string();
    assert!(e.contains("header: arch,val_acc,test_acc,params"), "{e}");
    let e = read(Some("latency")).unwrap_err().to_string();
    assert!(e.contains("no `latency` column"), "{e}");
    let nan = std::fs::read(dir.join("csv_nan.csv")).unwrap();
    let e = wlgp::training::read_csv(&nb201, nan.as_slice(), "nan.csv").unwrap_err();
    assert!(
        e.to_string().contains("line 2") && e.to_string().contains("not finite"),
        "{e}"
    );
    let journal = std::fs::read_to_string(dir.join("journal_two_writers.jsonl")).unwrap();
    let (report, _, entries, _) = wlgp::search::repair::inspect(&journal);
    assert_eq!(
        (report.entries, report.salvaged, report.torn_tail),
        (2, 1, true)
    );
    assert_eq!(entries[1].value, Some(83.1));
    let cyclic = r#"{"labels": ["a", "b"], "edges": [[0, 1], [1, 0]]}"#;
    assert!(JsonSpace
        .parse(cyclic)
        .unwrap_err()
        .to_string()
        .contains("cycle"));
}
