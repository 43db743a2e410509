//! `wlgp journal check|repair FILE`: what a journal holds, and a repair that keeps every
//! intact entry.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use wlgp::error::{Error, Result};
use wlgp::search::repair::{self, JournalReport};

#[derive(Args, Debug)]
pub(crate) struct JournalArgs {
    #[command(subcommand)]
    action: JournalAction,
}

#[derive(Subcommand, Debug)]
enum JournalAction {
    /// Report the header, entries, corrupt lines and a torn last line; exit 2 when the
    /// journal needs a repair.
    Check {
        /// The journal.
        file: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Keep the header and every intact entry; the original is copied to FILE.bak and
    /// the dropped lines go to FILE.quarantine.
    Repair {
        /// The journal.
        file: PathBuf,
    },
}

fn describe(r: &JournalReport) -> String {
    let lines: Vec<String> = r
        .corrupt_lines
        .iter()
        .take(10)
        .map(|l| l.to_string())
        .collect();
    let given = if r.given > 0 {
        format!(
            " ({} evaluations given before the search, in its settings)",
            r.given
        )
    } else {
        String::new()
    };
    format!(
        "header        {}{given}\nentries       {} ({} failed evaluations, {} salvaged from corrupt lines, {} repeated architectures)\ncorrupt lines {}{}\ntorn last line {}\n",
        if r.header { "ok" } else { "missing or corrupt" },
        r.entries,
        r.failed,
        r.salvaged,
        r.duplicates,
        r.corrupt_lines.len(),
        if lines.is_empty() {
            String::new()
        } else {
            format!(" (lines {}{})", lines.join(", "), if r.corrupt_lines.len() > 10 { ", ..." } else { "" })
        },
        if r.torn_tail { "yes" } else { "no" },
    )
}

pub(crate) fn journal(a: &JournalArgs) -> Result<()> {
    match &a.action {
        JournalAction::Check { file, json } => {
            let text = std::fs::read(file)
                .map_err(|e| Error::io(format!("reading journal {}", file.display()), e))?;
            let (r, ..) = repair::inspect(&String::from_utf8_lossy(&text));
            if *json {
                super::out(&(serde_json::to_string(&r).expect("plain data") + "\n"))?;
            } else {
                super::out(&describe(&r))?;
            }
            if !r.header {
                return Err(Error::Journal(format!(
                    "{}: line 1 is not a wlgp journal header",
                    file.display()
                )));
            }
            if r.needs_repair() {
                return Err(Error::Journal(format!(
                    "{} needs a repair: wlgp journal repair {0}",
                    file.display()
                )));
            }
            Ok(())
        }
        JournalAction::Repair { file } => {
            let done = repair::repair(file)?;
            let mut s = describe(&done.before);
            match (&done.backup, &done.quarantine) {
                (Some(b), Some(q)) => {
                    s += &format!(
                        "repaired: {} entries kept; the original is {}, the {} dropped line(s) are in {}\n",
                        done.before.entries,
                        b.display(),
                        done.before.corrupt_lines.len() + usize::from(done.before.torn_tail),
                        q.display()
                    );
                }
                _ => s += "nothing to repair\n",
            }
            super::out(&s)
        }
    }
}
