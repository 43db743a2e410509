//! The search journal: an append-only JSONL file, one evaluation a line, flushed and
//! fsynced before the next proposal, so that a killed search loses nothing and a resumed
//! one re-evaluates nothing.
//!
//! Resuming replays the journal: the search runs again from its seed, and each of its
//! first proposals is answered from the journal (after checking it is the architecture
//! the journal recorded), so the resumed run continues exactly where the killed one
//! stopped and ends with the same history as an uninterrupted run.

use super::objective::OnDone;
use super::Objective;
use crate::bench_data::MetricKind;
use crate::error::{Error, Result};
use crate::space::Space;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first line of a journal: what search wrote it. A resume must match it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// Format version.
    pub wlgp_journal: u32,
    /// Search space.
    pub space: String,
    /// Dataset (or objective) name.
    pub dataset: String,
    /// Metric name.
    pub metric: String,
    /// Search method.
    pub method: String,
    /// Seed.
    pub seed: u64,
    /// Every other setting that shapes the proposals (the budget excluded: a resumed
    /// search may be given more).
    pub settings: serde_json::Value,
}

impl JournalHeader {
    /// Records a declared space's definition in the settings (`space_spec`), so that a
    /// resume against an edited space file is refused with the difference named.
    pub fn with_space(mut self, space: &crate::space::AnySampler) -> JournalHeader {
        if let crate::space::AnySampler::Declared(d) = space {
            let spec = serde_json::to_value(d.spec()).expect("plain data");
            if let Some(o) = self.settings.as_object_mut() {
                o.insert("space_spec".into(), spec);
            }
        }
        self
    }

    /// The header of a search whose settings are `cfg` (all but its budget, which a
    /// resumed search may raise, and its seed, a field of its own).
    pub fn new(
        space: &str,
        dataset: &str,
        metric: &str,
        method: &str,
        seed: u64,
        cfg: &impl Serialize,
    ) -> JournalHeader {
        let mut settings = serde_json::to_value(cfg).expect("plain data");
        if let Some(o) = settings.as_object_mut() {
            o.remove("budget");
            o.remove("seed");
        }
        JournalHeader {
            wlgp_journal: 1,
            space: space.to_string(),
            dataset: dataset.to_string(),
            metric: metric.to_string(),
            method: method.to_string(),
            seed,
            settings,
        }
    }
}

/// How the `dataset` of a search on an external objective starts: `command: CMD` for
/// `--objective-cmd`, `command: python` for Python's ask/tell.
pub const EXTERNAL: &str = "command: ";

impl JournalHeader {
    /// Whether a journal with this header continues the search `other` describes. An
    /// external objective is the user's to name: the command line may change between
    /// runs (a moved script, Python's ask/tell taking over from `--objective-cmd`), so
    /// two external objectives match whatever their text; everything else must be equal.
    pub fn same_search(&self, other: &JournalHeader) -> bool {
        let external = |h: &JournalHeader| h.dataset.starts_with(EXTERNAL);
        if external(self) && external(other) {
            let mut a = self.clone();
            a.dataset.clone_from(&other.dataset);
            return &a == other;
        }
        self == other
    }
}

/// One evaluation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Architecture in the space's string form.
    pub arch: String,
    /// Measured value (absent when the evaluation failed); in a multi-objective journal,
    /// the first objective's, so that single-objective tools can read it.
    pub value: Option<f64>,
    /// Every objective's value, in declared order (multi-objective searches only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<f64>>,
    /// `ok`, or why there is no value.
    pub status: String,
    /// Wall-clock seconds the evaluation took.
    pub seconds: f64,
}

/// A journal read back: what search wrote it and what it recorded. The one reader of
/// journals: resuming, `--from`, the front report and Python's `Study` all read through it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The header (line 1).
    pub header: JournalHeader,
    /// Every complete entry, in order.
    pub entries: Vec<Entry>,
    /// Bytes of an incomplete last line (a write cut short), not read; 0 when none.
    pub torn: usize,
}

impl Recorded {
    /// Parses a journal's text; `path` names it in errors. A missing or foreign header and
    /// a corrupt complete line are errors naming the line; an incomplete last line is
    /// counted in `torn` and skipped.
    pub fn parse(text: &str, path: &Path) -> Result<Recorded> {
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        let mut lines = text[..complete].lines();
        let first = lines.next().unwrap_or("");
        let header: JournalHeader = serde_json::from_str(first).map_err(|e| {
            Error::Journal(format!(
                "{} is not a wlgp journal: no journal header on line 1 ({e})",
                path.display()
            ))
        })?;
        let entries = lines
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| {
                    Error::Journal(format!(
                        "{} line {} is corrupt: {e} (`wlgp journal repair {0}` keeps every intact entry)",
                        path.display(),
                        i + 2
                    ))
                })
            })
            .collect::<Result<Vec<Entry>>>()?;
        Ok(Recorded {
            header,
            entries,
            torn: text.len() - complete,
        })
    }

    /// Reads and parses the journal at `path`.
    pub fn read(path: &Path) -> Result<Recorded> {
        let text = std::fs::read_to_string(path).map_err(io(path, "reading"))?;
        Recorded::parse(&text, path)
    }

    /// The evaluations the search was given before it began (`wlgp search --init`),
    /// held in the header's settings.
    pub fn given(&self) -> Vec<(String, f64)> {
        serde_json::from_value(self.header.settings["init"].clone()).unwrap_or_default()
    }

    /// The declared meaning of the values, when the search was told it (`--values`).
    pub fn declared_values(&self) -> Option<crate::values::Values> {
        serde_json::from_value(self.header.settings["values"]["declared"].clone())
            .ok()
            .flatten()
    }
}

/// An open journal, appending.
pub struct Journal {
    file: File,
    path: PathBuf,
}

fn io<'a>(path: &'a Path, what: &str) -> impl Fn(std::io::Error) -> Error + 'a {
    let what = what.to_string();
    move |e| Error::io(format!("{what} journal {}", path.display()), e)
}

impl Journal {
    /// Starts a new journal; refuses to overwrite one that has evaluations in it, or one
    /// that another search holds.
    pub fn create(path: &Path, header: &JournalHeader) -> Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io(path, "creating"))?;
        super::lock::acquire(&file, path)?;
        if file.metadata().map_err(io(path, "reading"))?.len() > 0 {
            return Err(Error::Journal(format!(
                "{} already exists: continue it with --resume {0}, or choose another path",
                path.display()
            )));
        }
        let mut j = Journal {
            file,
            path: path.to_path_buf(),
        };
        j.write_line(&(serde_json::to_string(header).expect("plain data") + "\n"))?;
        // Make the new file's directory entry durable too (best effort).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(j)
    }

    /// Opens a journal to continue it: checks that it was written by the same search,
    /// drops a torn last line (a crash mid-write), and returns the recorded evaluations.
    pub fn resume(path: &Path, header: &JournalHeader) -> Result<(Journal, Vec<Entry>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io(path, "opening"))?;
        super::lock::acquire(&file, path)?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(io(path, "reading"))?;
        if !text.contains('\n') {
            // Crashed before the header was complete: start afresh, in the locked file.
            let mut j = Journal {
                file,
                path: path.to_path_buf(),
            };
            j.file.set_len(0).map_err(io(path, "resetting"))?;
            j.write_line(&(serde_json::to_string(header).expect("plain data") + "\n"))?;
            return Ok((j, Vec::new()));
        }
        let found = Recorded::parse(&text, path)?;
        if !found.header.same_search(header) {
            return Err(Error::Journal(format!(
                "{} was written by a different search ({}); resume it with the same space, dataset, metric, method, seed and settings",
                path.display(),
                difference(&found.header, header)
            )));
        }
        if found.torn > 0 {
            eprintln!(
                "wlgp: {}: dropping an incomplete last line ({} bytes, a write cut short)",
                path.display(),
                found.torn
            );
            file.set_len((text.len() - found.torn) as u64)
                .map_err(io(path, "truncating"))?;
            file.seek(SeekFrom::End(0)).map_err(io(path, "seeking"))?;
        }
        let entries = found.entries;
        Ok((
            Journal {
                file,
                path: path.to_path_buf(),
            },
            entries,
        ))
    }

    /// Appends one evaluation and makes it durable before returning.
    pub fn append(&mut self, e: &Entry) -> Result<()> {
        self.write_line(&(serde_json::to_string(e).expect("plain data") + "\n"))
    }

    /// Appends a whole line with one `write` (O_APPEND), then fsyncs: a crash can only
    /// tear the last line, and a short write (a full disk) is reported, never continued.
    fn write_line(&mut self, line: &str) -> Result<()> {
        let n = self
            .file
            .write(line.as_bytes())
            .map_err(io(&self.path, "writing"))?;
        if n < line.len() {
            return Err(Error::Journal(format!(
                "{}: only {n} of {} bytes of a line were written (disk full or file-size limit?); the torn line is dropped on --resume",
                self.path.display(),
                line.len()
            )));
        }
        self.file.sync_data().map_err(io(&self.path, "syncing"))
    }
}

/// Names the first field where two headers differ.
fn difference(found: &JournalHeader, want: &JournalHeader) -> String {
    let (a, b) = (
        serde_json::to_value(found).expect("plain data"),
        serde_json::to_value(want).expect("plain data"),
    );
    let mut diffs = Vec::new();
    differing("", &a, &b, &mut diffs);
    diffs.join("; ")
}

/// Each differing field of two JSON objects, a level deep (`settings.batch`), as
/// `name: journal X, now Y`; a field one side lacks is `null` there.
fn differing(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    let null = serde_json::Value::Null;
    let (Some(oa), Some(ob)) = (a.as_object(), b.as_object()) else {
        return;
    };
    let keys: std::collections::BTreeSet<&String> = oa.keys().chain(ob.keys()).collect();
    for k in keys {
        let (x, y) = (oa.get(k).unwrap_or(&null), ob.get(k).unwrap_or(&null));
        if x == y {
            continue;
        }
        if prefix.is_empty() && x.is_object() && y.is_object() {
            differing(&format!("{k}."), x, y, out);
        } else {
            out.push(format!(
                "{prefix}{k}: journal {}, now {}",
                brief(x),
                brief(y)
            ));
        }
    }
}

/// A JSON value for a one-line message: a long list (the evaluations given to a search,
/// say) is its length and first item.
fn brief(v: &serde_json::Value) -> String {
    let text = v.to_string();
    match v.as_array() {
        Some(items) if text.len() > 120 => format!(
            "[{} items, the first {}]",
            items.len(),
            items.first().map_or(String::new(), |x| x.to_string())
        ),
        _ => text,
    }
}

/// An objective that answers from the journal while replaying, then evaluates and records.
/// A proposal is answered by the first unused entry of the same architecture, so a
/// journal holding extra entries (a repaired one with a second writer's duplicates)
/// still resumes; entries no proposal asks for are kept in the file and reported once.
pub struct Journaled<'a, S: Space> {
    inner: &'a mut dyn Objective<S>,
    journal: Journal,
    replay: Vec<Entry>,
    /// Unused entries of each architecture, in journal order.
    unused: std::collections::HashMap<String, std::collections::VecDeque<usize>>,
    used: usize,
    warned: bool,
}

impl<'a, S: Space> Journaled<'a, S> {
    /// Wraps an objective with a journal and the evaluations to replay first.
    pub fn new(inner: &'a mut dyn Objective<S>, journal: Journal, replay: Vec<Entry>) -> Self {
        let mut unused: std::collections::HashMap<String, std::collections::VecDeque<usize>> =
            std::collections::HashMap::new();
        for (i, e) in replay.iter().enumerate() {
            unused.entry(e.arch.clone()).or_default().push_back(i);
        }
        Journaled {
            inner,
            journal,
            replay,
            unused,
            used: 0,
            warned: false,
        }
    }

    /// How many journal entries were replayed so far.
    pub fn replayed(&self) -> usize {
        self.used
    }

    /// The recorded entry for a proposal, if the journal holds an unused one.
    fn take(&mut self, arch: &str) -> Option<&Entry> {
        let i = self.unused.get_mut(arch)?.pop_front()?;
        self.used += 1;
        Some(&self.replay[i])
    }

    /// Says once that recorded entries were left unused when live evaluation starts.
    fn warn_unused(&mut self) {
        let left = self.replay.len() - self.used;
        if left > 0 && !self.warned {
            self.warned = true;
            eprintln!(
                "wlgp: {}: {left} recorded evaluation(s) match no proposal of this search (a second writer's duplicates?); they stay in the journal, unused",
                self.journal.path.display()
            );
        }
    }
}

impl<S: Space> Journaled<'_, S> {
    /// The recorded outcome of an entry, as the objective gave it.
    fn replayed_result(e: &Entry) -> Result<f64> {
        // A failure recorded in the journal is replayed as the same failure.
        e.value.ok_or_else(|| Error::Evaluation {
            arch: e.arch.clone(),
            status: e.status.clone(),
        })
    }

    /// Appends one finished evaluation (flushed and fsynced).
    fn record(journal: &mut Journal, arch: String, r: &Result<f64>, seconds: f64) -> Result<()> {
        let (value, status) = match r {
            Ok(v) => (Some(*v), "ok".to_string()),
            Err(Error::Evaluation { status, .. }) => (None, status.clone()),
            Err(_) => return Ok(()),
        };
        journal.append(&Entry {
            arch,
            value,
            values: None,
            status,
            seconds,
        })
    }
}

impl<S: Space> Objective<S> for Journaled<'_, S> {
    fn evaluate(&mut self, space: &S, cell: &S::Cell) -> Result<f64> {
        super::objective::evaluate_as_batch(self, space, cell)
    }

    /// Replays what the journal holds of this batch (matched by architecture: a batch's
    /// entries are in completion order), evaluates the rest and records each as it
    /// finishes.
    fn evaluate_batch(
        &mut self,
        space: &S,
        cells: &[S::Cell],
        on_done: OnDone,
    ) -> Result<Vec<Result<f64>>> {
        let archs: Vec<String> = cells.iter().map(|c| space.format(c)).collect();
        let mut out: Vec<Option<Result<f64>>> = archs
            .iter()
            .map(|a| self.take(a).map(Self::replayed_result))
            .collect();
        let rest: Vec<usize> = (0..cells.len()).filter(|&i| out[i].is_none()).collect();
        if !rest.is_empty() {
            self.warn_unused();
            let todo: Vec<S::Cell> = rest.iter().map(|&i| cells[i].clone()).collect();
            let journal = &mut self.journal;
            let got = self.inner.evaluate_batch(space, &todo, &mut |j, r, secs| {
                Self::record(journal, archs[rest[j]].clone(), r, secs)?;
                on_done(rest[j], r, secs)
            })?;
            for (j, r) in got.into_iter().enumerate() {
                out[rest[j]] = Some(r);
            }
        }
        Ok(out.into_iter().map(|r| r.expect("filled")).collect())
    }

    fn kind(&self) -> MetricKind {
        self.inner.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        let h = JournalHeader::new("nb201", "nb201", "acc", "bo", 0, &serde_json::json!({}));
        serde_json::to_string(&h).unwrap()
    }

    const ENTRY: &str = r#"{"arch":"a","value":0.5,"status":"ok","seconds":0.1}"#;

    #[test]
    fn reads_entries_and_skips_a_torn_tail() {
        let text = format!("{}\n{ENTRY}\n{ENTRY}\n{{\"arch\":\"b", header());
        let r = Recorded::parse(&text, Path::new("j")).unwrap();
        assert_eq!(r.entries.len(), 2);
        assert_eq!(r.entries[1].value, Some(0.5));
        assert_eq!(r.torn, "{\"arch\":\"b".len());
        assert_eq!(r.header.space, "nb201");
    }

    #[test]
    fn names_a_missing_header_and_a_corrupt_line() {
        let e = Recorded::parse("not json\n", Path::new("j")).unwrap_err();
        assert!(e.to_string().contains("no journal header"), "{e}");
        let text = format!("{}\n{ENTRY}\n{{oops\n{ENTRY}\n", header());
        let e = Recorded::parse(&text, Path::new("j")).unwrap_err();
        assert!(e.to_string().contains("j line 3 is corrupt"), "{e}");
    }
}
