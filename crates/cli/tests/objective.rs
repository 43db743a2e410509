//! The external-command objective: failures and timeouts are recorded and the search goes
//! on; a resumed search does not run the command again for journaled architectures.

use std::process::Command;

mod common;
use common::run as wlgp;

fn statuses(journal: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn failures_and_timeouts_are_recorded_and_the_search_goes_on() {
    let dir = std::env::temp_dir().join(format!("wlgp-obj-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("j.jsonl");
    // Cells with an average pool fail, cells with a 1x1 convolution hang, others score
    // their number of 3x3 convolutions (a structural score, not an accuracy).
    let cmd = r#"read a; case "$a" in *avg_pool*) exit 3;; *nor_conv_1x1*) sleep 10;; esac; echo "$a" | grep -o nor_conv_3x3 | wc -l"#;
    let o = wlgp(&[
        "search",
        "--objective-cmd",
        cmd,
        "--timeout",
        "0.3",
        "--budget",
        "25",
        "--n-init",
        "8",
        "--seed",
        "2",
        "--journal",
        j.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["evaluations"], 25);
    assert!(v["regret"].is_null());
    let s = statuses(&j);
    assert_eq!(s.len(), 25);
    assert!(s.iter().any(|x| x == "ok"));
    assert!(s.iter().any(|x| x.starts_with("failed")), "{s:?}");
    assert!(s.iter().any(|x| x.starts_with("timeout")), "{s:?}");
    let best = v["best_arch"].as_str().unwrap();
    assert!(!best.contains("avg_pool") && !best.contains("nor_conv_1x1"));

    // Resuming replays the journal: the command runs only for new evaluations.
    let count = dir.join("count");
    let counted = format!(
        "echo x >> {}; read a; echo \"$a\" | grep -o nor_conv | wc -l",
        count.display()
    );
    let j2 = dir.join("j2.jsonl");
    let args = |budget: &'static str, flag: &'static str| {
        vec![
            "search".to_string(),
            "--objective-cmd".into(),
            counted.clone(),
            "--budget".into(),
            budget.into(),
            "--seed".into(),
            "5".into(),
            flag.into(),
            j2.to_str().unwrap().into(),
        ]
    };
    let run = |a: Vec<String>| {
        Command::new(env!("CARGO_BIN_EXE_wlgp"))
            .args(&a)
            .output()
            .unwrap()
    };
    assert!(run(args("12", "--journal")).status.success());
    assert!(run(args("20", "--resume")).status.success());
    let runs = std::fs::read_to_string(&count).unwrap().lines().count();
    assert_eq!(runs, 20, "12 evaluations, then 8 more: none repeated");
    assert_eq!(statuses(&j2).len(), 20);
    // Bad objective options are clear errors.
    let o = wlgp(&["search", "--objective-cmd", "echo 1", "--timeout", "-1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = wlgp(&["search", "--objective-cmd", "echo 1", "--dataset", "cora"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("replaces --dataset"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--batch 4 --workers 4` runs four commands at once: each waits (up to 20 s) until it
/// sees another one running, which a sequential run would never satisfy, so every
/// evaluation succeeding proves concurrency without timing anything. The journal then
/// resumes to the same history.
#[test]
fn workers_evaluate_a_batch_concurrently_and_resume() {
    let dir = std::env::temp_dir().join(format!("wlgp-workers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("j.jsonl");
    let d = dir.to_str().unwrap();
    let cmd = format!(
        r#"read a; m=$(mktemp {d}/run.XXXXXX); i=0; while [ $(ls {d}/run.* | wc -l) -lt 2 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; n=$(ls {d}/run.* | wc -l); sleep 0.2; rm -f $m; [ $n -ge 2 ] || exit 9; echo "$a" | grep -o nor_conv_3x3 | wc -l"#
    );
    let args = |budget: &str, flag: &str| {
        vec![
            "search".to_string(),
            "--objective-cmd".into(),
            cmd.clone(),
            "--budget".into(),
            budget.into(),
            "--n-init".into(),
            "4".into(),
            "--batch".into(),
            "4".into(),
            "--workers".into(),
            "4".into(),
            flag.into(),
            j.to_str().unwrap().into(),
            "--json".into(),
        ]
    };
    let o = Command::new(env!("CARGO_BIN_EXE_wlgp"))
        .args(args("8", "--journal"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = statuses(&j);
    assert_eq!(s.len(), 8);
    assert!(s.iter().all(|x| x == "ok"), "{s:?}");
    // Resuming with a larger budget replays all eight and runs one more batch.
    let o = Command::new(env!("CARGO_BIN_EXE_wlgp"))
        .args(args("12", "--resume"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(statuses(&j).len(), 12);
    assert!(statuses(&j).iter().all(|x| x == "ok"));
}

/// Whether a process is alive (a zombie waiting to be reaped counts as ended).
#[cfg(target_os = "linux")]
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim_start().starts_with('Z'))
    })
}

/// Ctrl-C (SIGINT) or SIGTERM to a search ends the objective commands it is running: they
/// run in their own process groups, which the terminal's signal does not reach.
#[test]
#[cfg(target_os = "linux")]
fn an_interrupted_search_ends_its_objective_commands() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let dir = std::env::temp_dir().join(format!("wlgp-int-{}-{sig}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let cmd = format!(
            "sleep 60 & echo $! > {}.tmp; mv {0}.tmp {0}; wait",
            pidfile.display()
        );
        let mut search = Command::new(env!("CARGO_BIN_EXE_wlgp"))
            .args(["search", "--objective-cmd", &cmd, "--budget", "3"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while !pidfile.exists() {
            assert!(start.elapsed().as_secs() < 30, "the command never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let sleeper: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(alive(sleeper));
        // SAFETY: sending a signal to the child we spawned.
        unsafe { libc::kill(search.id() as i32, sig) };
        let status = search.wait().unwrap();
        assert!(!status.success());
        let start = std::time::Instant::now();
        while alive(sleeper) {
            assert!(
                start.elapsed().as_secs() < 10,
                "signal {sig}: the objective command outlived the search"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A training script that prints all its metrics as JSON on its last line: `--metric`
/// names the one searched; without a matching key the evaluation fails and says so.
#[test]
fn a_json_last_line_is_read_by_the_metrics_name() {
    let cmd = r#"read a; n=$(echo "$a" | grep -o nor_conv_3x3 | wc -l); echo "training..."; echo "{\"loss\": 0.5, \"val_acc\": 0.$((80 + n))}""#;
    let o = wlgp(&[
        "search",
        "--objective-cmd",
        cmd,
        "--metric",
        "val_acc",
        "--budget",
        "12",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let best = v["best_value"].as_f64().unwrap();
    assert!((0.80..=0.86).contains(&best), "{best}");
    assert_eq!(v["values"], "accuracy");
    let o = wlgp(&[
        "search",
        "--objective-cmd",
        cmd,
        "--metric",
        "acc",
        "--budget",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has no number `acc`"), "{err}");
}
