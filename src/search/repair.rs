//! Checking and repairing a journal that something other than wlgp's own appends wrote
//! into: a second writer before journals were locked, an editor, a full disk. Repair
//! keeps every intact entry (also one that another write cut into), moves the rest to a
//! quarantine file, and copies the original aside first: nothing is deleted.

use super::journal::{Entry, JournalHeader};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a journal holds, line by line.
#[derive(Clone, Debug, Default, Serialize)]
pub struct JournalReport {
    /// Whether line 1 is a journal header.
    pub header: bool,
    /// Intact entries (successful and failed evaluations).
    pub entries: usize,
    /// Entries recording a failed evaluation.
    pub failed: usize,
    /// Line numbers (1-based) that are not an entry.
    pub corrupt_lines: Vec<usize>,
    /// Entries recovered from inside corrupt lines.
    pub salvaged: usize,
    /// Whether the file ends in a partial line (a write cut short).
    pub torn_tail: bool,
    /// Entries whose architecture appeared earlier in the journal.
    pub duplicates: usize,
    /// Evaluations the search was given before it began (`wlgp search --init`), held in
    /// the header's settings.
    pub given: usize,
}

impl JournalReport {
    /// Whether repair has something to do.
    pub fn needs_repair(&self) -> bool {
        !self.corrupt_lines.is_empty() || self.torn_tail
    }
}

/// Parses a journal's text: the header, the intact entries in order (salvaged ones in
/// place of the line they were found in), and the lines that are not entries.
pub fn inspect(text: &str) -> (JournalReport, Option<String>, Vec<Entry>, Vec<String>) {
    let mut r = JournalReport::default();
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    r.torn_tail = complete < text.len();
    let mut lines = text[..complete].lines();
    let parsed = lines
        .next()
        .and_then(|l| Some((l, serde_json::from_str::<JournalHeader>(l).ok()?)));
    r.given = parsed.as_ref().map_or(0, |(_, h)| {
        h.settings["init"].as_array().map_or(0, Vec::len)
    });
    let header = parsed.map(|(l, _)| l.to_string());
    r.header = header.is_some();
    let (mut entries, mut dropped) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for (i, l) in lines.enumerate() {
        let found = match serde_json::from_str::<Entry>(l) {
            Ok(e) => vec![e],
            Err(_) => {
                r.corrupt_lines.push(i + 2);
                dropped.push(l.to_string());
                let s = salvage(l);
                r.salvaged += s.len();
                s
            }
        };
        for e in found {
            r.failed += usize::from(e.value.is_none());
            r.duplicates += usize::from(!seen.insert(e.arch.clone()));
            entries.push(e);
        }
    }
    if r.torn_tail {
        dropped.push(text[complete..].to_string());
    }
    r.entries = entries.len();
    (r, header, entries, dropped)
}

/// Whole entries inside a line that other writes cut into.
fn salvage(line: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = line[from..].find("{\"arch\"") {
        let start = from + k;
        let mut it = serde_json::Deserializer::from_str(&line[start..]).into_iter::<Entry>();
        match it.next() {
            Some(Ok(e)) => {
                out.push(e);
                from = start + it.byte_offset();
            }
            _ => from = start + 1,
        }
    }
    out
}

/// A path beside `path` with `suffix` that does not exist yet.
fn fresh(path: &Path, suffix: &str) -> PathBuf {
    let base = path.as_os_str().to_owned();
    (0..)
        .map(|i| {
            let mut s = base.clone();
            s.push(if i == 0 {
                suffix.to_string()
            } else {
                format!("{suffix}.{i}")
            });
            PathBuf::from(s)
        })
        .find(|p| !p.exists())
        .expect("some name is free")
}

/// What a repair did.
#[derive(Debug, Serialize)]
pub struct Repaired {
    /// The report of the journal before the repair.
    pub before: JournalReport,
    /// The untouched original, copied aside.
    pub backup: Option<PathBuf>,
    /// The dropped lines, one a line.
    pub quarantine: Option<PathBuf>,
}

/// Rewrites a journal with its header and every intact entry (atomically: a new file
/// renamed over the old one), after copying the original aside and the dropped lines to
/// a quarantine file. Refuses while a search holds the journal.
pub fn repair(path: &Path) -> Result<Repaired> {
    let io = |what: &str| {
        let what = format!("{what} {}", path.display());
        move |e| Error::io(what, e)
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(io("opening"))?;
    super::lock::acquire(&file, path)?;
    let text = std::fs::read_to_string(path).map_err(io("reading"))?;
    let (report, header, entries, dropped) = inspect(&text);
    let Some(header) = header else {
        return Err(Error::Journal(format!(
            "{}: line 1 is not a wlgp journal header; nothing was changed",
            path.display()
        )));
    };
    if !report.needs_repair() {
        return Ok(Repaired {
            before: report,
            backup: None,
            quarantine: None,
        });
    }
    let backup = fresh(path, ".bak");
    std::fs::copy(path, &backup).map_err(io("copying aside"))?;
    let quarantine = fresh(path, ".quarantine");
    let mut q = dropped.join("\n");
    q.push('\n');
    std::fs::write(&quarantine, q).map_err(io("writing the quarantine of"))?;
    let mut out = header + "\n";
    for e in &entries {
        out += &(serde_json::to_string(e).expect("plain data") + "\n");
    }
    let tmp = fresh(path, ".repair-tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io("writing the repair of"))?;
    f.write_all(out.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(io("writing the repair of"))?;
    std::fs::rename(&tmp, path).map_err(io("replacing"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(Repaired {
        before: report,
        backup: Some(backup),
        quarantine: Some(quarantine),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salvages_entries_cut_into_by_another_write() {
        let a = r#"{"arch":"A","value":0.5,"status":"ok","seconds":0.1}"#;
        let b = r#"{"arch":"B","value":null,"status":"timeout","seconds":2.0}"#;
        let text = format!(
            "{{\"wlgp_journal\":1,\"space\":\"nb201\",\"dataset\":\"d\",\"metric\":\"m\",\"method\":\"bo\",\"seed\":0,\"settings\":{{}}}}\n{a}\n{{\"arch\":\"C\",\"val{b}\nue\":1}}\n11930429}}\n{a}\n{{\"arch\""
        );
        let (r, h, e, dropped) = inspect(&text);
        assert!(r.header && h.is_some());
        assert_eq!(r.corrupt_lines, vec![3, 4, 5]);
        assert!(r.torn_tail);
        assert_eq!(r.salvaged, 1);
        let archs: Vec<&str> = e.iter().map(|e| e.arch.as_str()).collect();
        assert_eq!(archs, ["A", "B", "A"]);
        assert_eq!((r.failed, r.duplicates), (1, 1));
        assert_eq!(dropped.len(), 4);
    }
}
