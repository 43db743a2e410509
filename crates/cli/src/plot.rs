//! `wlgp plot`: draws a figure described in JSON (what a script such as
//! `scripts/nago_study.py` writes) with the same plotting module as every command, and
//! `--check` reads drawn SVGs back and lists what a reader could not read.

use clap::Args;
use std::path::PathBuf;
use wlgp::error::{Error, Result};
use wlgp::plot::{check, Figure};

#[derive(Args, Debug)]
pub(crate) struct PlotArgs {
    /// A figure as JSON (`{"kind": "chart" | "bars", ...}`, the fields of wlgp::plot), or
    /// with --check, the SVG files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the SVG (default: the JSON's path with `.svg`).
    #[arg(long, conflicts_with = "check")]
    out: Option<PathBuf>,
    /// Check drawn SVGs instead: every bar labelled, counts ticked at integers, every axis
    /// with at least two labels; one line per problem, exit 1 if any.
    #[arg(long)]
    check: bool,
}

pub(crate) fn plot(a: &PlotArgs) -> Result<()> {
    if a.check {
        return check_files(&a.files);
    }
    let [spec] = a.files.as_slice() else {
        return Err(Error::Config(
            "draw one figure at a time (or use --check)".into(),
        ));
    };
    let text = std::fs::read_to_string(spec)
        .map_err(|e| Error::Config(format!("{}: {e}", spec.display())))?;
    let figure: Figure = serde_json::from_str(&text)
        .map_err(|e| Error::Config(format!("{}: not a figure: {e}", spec.display())))?;
    let out = a.out.clone().unwrap_or_else(|| spec.with_extension("svg"));
    figure.write(&out)
}

fn check_files(files: &[PathBuf]) -> Result<()> {
    let mut bad = 0;
    for f in files {
        let svg = std::fs::read_to_string(f)
            .map_err(|e| Error::Config(format!("{}: {e}", f.display())))?;
        for p in check::problems(&svg) {
            println!("{}: {p}", f.display());
            bad += 1;
        }
    }
    if bad > 0 {
        return Err(Error::Config(format!(
            "{bad} problem(s) in {} plot(s)",
            files.len()
        )));
    }
    Ok(())
}
