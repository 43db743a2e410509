//! What every CLI test file needs: the binary, its output as text, fresh temporary
//! folders, and the check that a failure is one clear line.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `wlgp` binary under test, with no stdin and its output captured.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wlgp"));
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs `wlgp ARGS` to the end.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// Runs `wlgp ARGS` with `stdin` written to it and `env` set.
pub fn run_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = bin()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .spawn()
        .expect("binary runs");
    // A command that fails before reading stdin closes the pipe early: not an error here.
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("binary finishes")
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A run's stderr as text.
pub fn err(o: &Output) -> String {
    text(&o.stderr)
}

/// A fresh, empty temporary folder for one test.
pub fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wlgp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A failed run: exit code 2, one line on stderr containing `want`, no panic.
pub fn one_line_error(o: &Output, want: &str) {
    let e = err(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(want), "expected `{want}` in `{e}`");
    assert!(!e.contains("panicked"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
}
