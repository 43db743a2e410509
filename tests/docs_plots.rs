//! Every plot in `docs/` reads: each bar labelled, counts ticked at integers, every axis
//! with at least two labels, no NaN drawn ([`wlgp::plot::check`]). The plots are made
//! by the commands `scripts/plots.sh` lists, so a plot drawn by an old drawer, or by a
//! script that bypasses the plotting module, fails here.

use std::path::{Path, PathBuf};

fn svgs(dir: &Path, found: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            svgs(&p, found);
        } else if p.extension().is_some_and(|x| x == "svg") {
            found.push(p);
        }
    }
}

#[test]
fn every_plot_in_the_docs_reads() {
    let mut found = Vec::new();
    svgs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("docs"),
        &mut found,
    );
    assert!(found.len() >= 10, "the docs hold {} plots", found.len());
    let mut bad = Vec::new();
    for p in &found {
        let svg = std::fs::read_to_string(p).unwrap();
        bad.extend(
            wlgp::plot::check::problems(&svg)
                .into_iter()
                .map(|q| format!("{}: {q}", p.display())),
        );
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
