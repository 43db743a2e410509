//! Crash safety: a search killed with SIGKILL at random moments and resumed ends with the
//! same history as an uninterrupted run, and a torn journal line is handled.

use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::dir;

fn bin() -> Command {
    let mut c = common::bin();
    c.stdout(Stdio::null());
    c
}

/// A journal's evaluations: (arch, value).
type Evaluations = Vec<(String, f64)>;

/// The evaluations of a journal: (arch, value), without timings.
fn evaluations(p: &Path) -> Vec<(String, f64)> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["arch"].as_str().unwrap().to_string(),
                v["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Runs `args` once uninterrupted, then again killed with SIGKILL at up to `max_kills`
/// random moments and resumed each time; both journals must hold the same evaluations.
fn kill_and_resume(d: &Path, name: &str, args: &[&str], budget: usize, max_kills: usize) {
    kill_and_resume_as(d, name, args, budget, max_kills, |e| e);
}

/// [`kill_and_resume`], comparing the journals after `view` (parallel workers finish a
/// batch in any order, so their journals are compared as sets).
fn kill_and_resume_as(
    d: &Path,
    name: &str,
    args: &[&str],
    budget: usize,
    max_kills: usize,
    view: fn(Evaluations) -> Evaluations,
) {
    let whole = d.join(format!("{name}-whole.jsonl"));
    let t = std::time::Instant::now();
    let st = bin()
        .args(args)
        .arg("--journal")
        .arg(&whole)
        .status()
        .unwrap();
    assert!(st.success());
    // Kill moments in the first third of a whole run (a resumed run replays its
    // journal fast, then goes on), so every kill lands mid-search.
    let run_ms = (t.elapsed().as_millis() as u64 / 3).max(5);
    let cut = d.join(format!("{name}-cut.jsonl"));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(name.len() as u64);
    let mut kills = 0;
    loop {
        let mut cmd = bin();
        // A run killed before it created the journal is simply started again.
        cmd.args(args)
            .arg(if cut.exists() {
                "--resume"
            } else {
                "--journal"
            })
            .arg(&cut);
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..run_ms)));
        if kills < max_kills && child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            continue;
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        break;
    }
    eprintln!("{name}: {kills} kills");
    assert_eq!(
        view(evaluations(&cut)),
        view(evaluations(&whole)),
        "{name} after {kills} kills"
    );
    assert_eq!(evaluations(&whole).len(), budget);
}

#[test]
fn killed_and_resumed_search_equals_an_uninterrupted_one() {
    let d = dir("resume");
    for (method, extra) in [
        ("bo", &[][..]),
        ("evolution", &[]),
        ("local", &[]),
        // Batches of 4 by Thompson sampling: the journal holds partial batches when killed.
        ("bo", &["--batch", "4", "--acquisition", "ts"]),
    ] {
        let mut args = vec![
            "search",
            "--dataset",
            "cora",
            "--budget",
            "80",
            "--seed",
            "4",
            "--method",
            method,
        ];
        args.extend_from_slice(extra);
        kill_and_resume(&d, &format!("{method}{}", extra.join("")), &args, 80, 20);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// The semi-supervised surrogates retrain from scratch on every resume: their proposals
/// must be reproducible for a resumed search to go on where it stopped.
#[test]
fn killed_and_resumed_semi_supervised_search_equals_an_uninterrupted_one() {
    let d = dir("resume-semi");
    for s in ["assessor", "propagation", "laplacian"] {
        let args = [
            "search",
            "--dataset",
            "nb201",
            "--surrogate",
            s,
            "--unlabelled",
            "3000",
            "--budget",
            "30",
            "--batch",
            "2",
            "--seed",
            "5",
        ];
        kill_and_resume(&d, s, &args, 30, 5);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn torn_and_corrupt_journals() {
    let d = dir("torn");
    let j = d.join("j.jsonl");
    let args = ["search", "--budget", "20", "--seed", "1"];
    assert!(bin()
        .args(args)
        .arg("--journal")
        .arg(&j)
        .status()
        .unwrap()
        .success());
    let full = evaluations(&j);
    // A crash mid-write leaves a partial last line: it is dropped and re-evaluated.
    let text = std::fs::read_to_string(&j).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap();
    let torn = lines.join("\n") + "\n" + &last[..last.len() / 2];
    std::fs::write(&j, &torn).unwrap();
    let out = bin().args(args).arg("--resume").arg(&j).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete last line"));
    assert_eq!(evaluations(&j), full);
    // A corrupt line in the middle is an error naming the line, and the file is left alone.
    let bad = text.replacen("\"status\":\"ok\"", "\"status\":", 1);
    std::fs::write(&j, &bad).unwrap();
    let out = bin().args(args).arg("--resume").arg(&j).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2 is corrupt"));
    assert_eq!(std::fs::read_to_string(&j).unwrap(), bad);
    // Another dataset's journal is refused.
    std::fs::write(&j, &text).unwrap();
    let out = bin()
        .args([
            "search",
            "--dataset",
            "cora",
            "--budget",
            "20",
            "--seed",
            "1",
            "--resume",
        ])
        .arg(&j)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different search"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn killed_mid_batch_with_parallel_workers_resumes_to_the_same_history() {
    let d = dir("workers");
    let lookup = format!(
        "sleep 0.0$(( $$ % 5 )); {} lookup --dataset nb201",
        env!("CARGO_BIN_EXE_wlgp")
    );
    let args = [
        "search",
        "--objective-cmd",
        &lookup,
        "--values",
        "accuracy-percent",
        "--budget",
        "24",
        "--batch",
        "4",
        "--workers",
        "4",
        "--seed",
        "2",
    ];
    kill_and_resume_as(&d, "workers", &args, 24, 6, |mut e| {
        e.sort_by(|a, b| a.0.cmp(&b.0));
        e
    });
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn killed_and_resumed_multi_objective_search_equals_an_uninterrupted_one() {
    let d = dir("multi");
    for method in ["ehvi", "parego"] {
        let args = [
            "search",
            "--dataset",
            "cora",
            "--objectives",
            "valid_perf:max,latency:min",
            "--mo-method",
            method,
            "--batch",
            "2",
            "--budget",
            "40",
            "--seed",
            "3",
        ];
        kill_and_resume(&d, &format!("multi-{method}"), &args, 40, 8);
    }
    std::fs::remove_dir_all(&d).unwrap();
}
