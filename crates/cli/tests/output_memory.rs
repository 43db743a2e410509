//! An objective that prints a gigabyte before its score: the search keeps only the tail
//! of the output, so its memory stays under 100 MB. Alone in its test binary, so that
//! the peak resident size of finished children is this search's.

use std::process::Command;

#[test]
fn a_gigabyte_of_output_keeps_memory_under_100_mb() {
    let cmd = "yes 'epoch 1: loss 2.302585 acc 0.1000 lr 0.1 (a training log line)' | head -c 1000000000; echo; echo 0.8125";
    let o = Command::new(env!("CARGO_BIN_EXE_wlgp"))
        .args(["search", "--objective-cmd", cmd, "--budget", "1", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["best_value"], 0.8125);
    // SAFETY: getrusage only writes into the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let peak_mb = ru.ru_maxrss as f64 / 1024.0;
    eprintln!("peak resident size of the search: {peak_mb:.1} MB");
    assert!(peak_mb < 100.0, "{peak_mb} MB");
}
