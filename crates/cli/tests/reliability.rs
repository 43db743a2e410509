//! Reliability: one journal has one writer, a damaged journal is repaired without losing
//! an intact entry, faults (a full disk, a read-only place, stubborn commands) give one
//! clear line and lose nothing, and extreme data gives finite answers.

mod common;
use common::{bin as wlgp, dir, err, one_line_error, run, s};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn lookup(sleep: &str) -> String {
    format!(
        "sleep {sleep}; {} lookup --dataset nb201",
        env!("CARGO_BIN_EXE_wlgp")
    )
}

fn entries(p: &Path) -> Vec<(String, Option<f64>)> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["arch"].as_str().unwrap().to_string(), v["value"].as_f64())
        })
        .collect()
}

#[test]
fn a_second_writer_is_refused_and_the_journal_stays_readable() {
    let d = dir("lock");
    let j = d.join("run.jsonl");
    let cmd = lookup("0.05");
    let args = |flag: &str| -> Vec<String> {
        [
            "search",
            "--objective-cmd",
            &cmd,
            "--values",
            "accuracy-percent",
            "--budget",
            "30",
            "--seed",
            "4",
            flag,
            s(&j),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    let mut first = wlgp().args(args("--journal")).spawn().unwrap();
    let t = Instant::now();
    while entries_or_empty(&j) < 3 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the first search did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = wlgp().args(args("--resume")).output().unwrap();
    one_line_error(&second, "is being written by another search");
    assert!(
        err(&second).contains(&format!("pid {}", first.id())),
        "{}",
        err(&second)
    );
    let third = wlgp().args(args("--journal")).output().unwrap();
    one_line_error(&third, "is being written by another search");
    assert!(first.wait().unwrap().success());
    let check = run(&["journal", "check", s(&j)]);
    assert!(check.status.success(), "{}", err(&check));
    assert_eq!(entries(&j).len(), 30);
    // Once the first has finished, a resume with a larger budget goes on.
    let mut more = args("--resume");
    more[6] = "32".into();
    let o = wlgp().args(&more).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(entries(&j).len(), 32);
}

/// The names of the files in `d`, sorted.
fn files_in(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_finished_and_an_interrupted_search_leave_only_the_journal() {
    let d = dir("leftovers");
    let j = d.join("done.jsonl");
    let o = run(&[
        "search",
        "--budget",
        "12",
        "--seed",
        "1",
        "--journal",
        s(&j),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(files_in(&d), ["done.jsonl"]);
    let cut = d.join("cut.jsonl");
    let cmd = lookup("0.05");
    let mut child = wlgp()
        .args([
            "search",
            "--objective-cmd",
            &cmd,
            "--values",
            "accuracy-percent",
        ])
        .args(["--budget", "200", "--journal", s(&cut)])
        .spawn()
        .unwrap();
    let t = Instant::now();
    while entries_or_empty(&cut) < 3 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the search did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling a child process we own.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait().unwrap();
    assert_eq!(files_in(&d), ["cut.jsonl", "done.jsonl"]);
}

fn entries_or_empty(p: &Path) -> usize {
    std::fs::read_to_string(p).map_or(0, |t| t.lines().count().saturating_sub(1))
}

#[test]
fn repair_keeps_every_intact_entry_of_an_interleaved_journal() {
    let d = dir("repair");
    let (whole, j) = (d.join("whole.jsonl"), d.join("j.jsonl"));
    let args = ["search", "--budget", "25", "--seed", "6"];
    assert!(wlgp()
        .args(args)
        .arg("--journal")
        .arg(&whole)
        .status()
        .unwrap()
        .success());
    let text = std::fs::read_to_string(&whole).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Two writers' bytes interleaved mid-line: line 5 cut in two around line 6, and a
    // stray tail alone on a line, as unlocked appends produced.
    let (a, b) = lines[5].split_at(lines[5].len() / 2);
    let mut bad: Vec<String> = lines[..5].iter().map(|s| s.to_string()).collect();
    bad.push(format!("{a}{}", lines[6]));
    bad.push(b.to_string());
    bad.push("11930429}".into());
    bad.extend(lines[7..].iter().map(|s| s.to_string()));
    let damaged = bad.join("\n") + "\n";
    std::fs::write(&j, &damaged).unwrap();
    let o = run(&["search", "--budget", "25", "--seed", "6", "--resume", s(&j)]);
    one_line_error(&o, "journal repair");
    let o = run(&["journal", "check", s(&j)]);
    one_line_error(&o, "needs a repair");
    let o = run(&["journal", "repair", s(&j)]);
    assert!(o.status.success(), "{}", err(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("1 salvaged") && report.contains("repaired"),
        "{report}"
    );
    // Nothing deleted: the original is kept byte for byte, the dropped lines quarantined.
    let mut bak = j.as_os_str().to_owned();
    bak.push(".bak");
    assert_eq!(
        std::fs::read_to_string(PathBuf::from(bak)).unwrap(),
        damaged
    );
    let mut q = j.as_os_str().to_owned();
    q.push(".quarantine");
    let q = std::fs::read_to_string(PathBuf::from(q)).unwrap();
    assert!(q.contains("11930429}") && q.contains(b));
    // Every intact entry is back (the one that was cut is re-evaluated on resume).
    let kept = entries(&j);
    assert_eq!(kept.len(), 24);
    assert!(run(&["journal", "check", s(&j)]).status.success());
    let o = run(&["search", "--budget", "25", "--seed", "6", "--resume", s(&j)]);
    assert!(o.status.success(), "{}", err(&o));
    let mut got = entries(&j);
    let mut want = entries(&whole);
    got.sort_by(|x, y| x.0.cmp(&y.0));
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(got, want);
}

#[test]
fn a_full_disk_and_a_read_only_place_lose_nothing() {
    let d = dir("full");
    let j = d.join("j.jsonl");
    // A 12 KiB file-size limit (SIGXFSZ ignored, so writes fail with EFBIG).
    let script = format!(
        "trap '' XFSZ; ulimit -f 12; exec {} search --budget 60 --seed 3 --journal {}",
        env!("CARGO_BIN_EXE_wlgp"),
        s(&j)
    );
    let o = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    let e = err(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("journal") && !e.contains("panicked"), "{e}");
    let partial = std::fs::read_to_string(&j).unwrap();
    assert!(partial.len() <= 12 * 1024);
    // Resumed without the limit, it ends with what an uninterrupted run evaluates.
    let o = run(&["search", "--budget", "60", "--seed", "3", "--resume", s(&j)]);
    assert!(o.status.success(), "{}", err(&o));
    let whole = d.join("whole.jsonl");
    assert!(run(&[
        "search",
        "--budget",
        "60",
        "--seed",
        "3",
        "--journal",
        s(&whole)
    ])
    .status
    .success());
    assert_eq!(entries(&j), entries(&whole));
    // A place that cannot be written: one line, exit 2, nothing created.
    let o = run(&[
        "search",
        "--budget",
        "5",
        "--journal",
        "/proc/wlgp-no/j.jsonl",
    ]);
    one_line_error(&o, "creating journal /proc/wlgp-no/j.jsonl");
}

#[test]
fn stubborn_and_forking_commands_do_not_hang_the_search() {
    // Ignores SIGTERM and leaves a child holding stdout: the timeout still ends it.
    let stubborn = "trap '' TERM; sleep 30 & sleep 30; echo 0.5";
    let t = Instant::now();
    let o = run(&[
        "search",
        "--objective-cmd",
        stubborn,
        "--budget",
        "2",
        "--timeout",
        "0.5",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("all 2 evaluations failed") && err(&o).contains("timeout"),
        "{}",
        err(&o)
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    // Exits at once but leaves a background child with stdout open: the score is read
    // without waiting for the child.
    let forking = "(sleep 30 &); echo 0.25";
    let t = Instant::now();
    let o = run(&[
        "search",
        "--objective-cmd",
        forking,
        "--budget",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["best_value"], 0.25);
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}

#[test]
fn extreme_constant_and_single_values_give_finite_answers() {
    let d = dir("values");
    let archs: Vec<String> =
        String::from_utf8(run(&["sample", "--space", "nb201", "-n", "12", "--seed", "1"]).stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    let query = archs[10..].join("\n") + "\n";
    let cases: Vec<(&str, Vec<f64>)> = vec![
        (
            "extreme",
            (0..10)
                .map(|i| if i % 2 == 0 { 1e308 } else { -1e308 })
                .collect(),
        ),
        ("constant", vec![0.5; 10]),
        ("single", vec![0.7]),
        (
            "duplicated",
            vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        ),
    ];
    for (name, ys) in cases {
        let csv = d.join(format!("{name}.csv"));
        let mut text = "arch,value\n".to_string();
        for (i, y) in ys.iter().enumerate() {
            // The duplicated case repeats two architectures.
            let a = if name == "duplicated" {
                &archs[i % 2]
            } else {
                &archs[i]
            };
            text += &format!("{a},{y:e}\n");
        }
        std::fs::write(&csv, text).unwrap();
        let mut c = wlgp();
        c.args(["predict", "--space", "nb201", "--train", s(&csv), "--json"])
            .stdin(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(query.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{name}: {}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for p in v["predictions"].as_array().unwrap() {
            let (m, sd) = (p["mean"].as_f64().unwrap(), p["std"].as_f64().unwrap());
            assert!(m.is_finite() && sd.is_finite() && sd > 0.0, "{name}: {p}");
        }
        let o = run(&[
            "score",
            "--space",
            "nb201",
            "--train",
            s(&csv),
            "--candidates",
            "2000",
            "--json",
        ]);
        assert!(o.status.success(), "{name}: {}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for t in v["top"].as_array().unwrap() {
            assert!(t["mean"].as_f64().unwrap().is_finite(), "{name}: {t}");
            assert!(t["std"].as_f64().unwrap() > 0.0, "{name}: {t}");
            assert!(
                t["acquisition"].as_f64().unwrap().is_finite(),
                "{name}: {t}"
            );
        }
    }
}
