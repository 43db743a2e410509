//! Exclusive ownership of a journal: an advisory lock on the journal file itself, held
//! for the life of the search. The kernel drops it when the process ends, however it
//! ends, so a killed search never leaves a stale lock behind. A sidecar file
//! (`JOURNAL.owner`) names the holder, so a refused second writer can say who it is.

use crate::error::{Error, Result};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The sidecar that names a journal's current writer.
pub fn owner_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".owner");
    PathBuf::from(s)
}

/// Takes the exclusive lock on an open journal, or refuses with one line naming the
/// process that holds it.
pub fn acquire(file: &File, journal: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => {
            // Best effort: the lock, not this note, is what excludes other writers.
            let note = format!(
                "pid {} since {} s after the epoch: {}\n",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                std::env::args().collect::<Vec<_>>().join(" ")
            );
            let _ = std::fs::write(owner_path(journal), note);
            Ok(())
        }
        Err(TryLockError::WouldBlock) => {
            let who = std::fs::read_to_string(owner_path(journal))
                .ok()
                .and_then(|s| s.lines().next().map(str::to_string))
                .unwrap_or_else(|| "another process".into());
            Err(Error::Journal(format!(
                "{} is being written by another search ({who}); wait for it to finish or stop it, then --resume",
                journal.display()
            )))
        }
        Err(TryLockError::Error(e)) => Err(Error::io(
            format!("locking journal {}", journal.display()),
            e,
        )),
    }
}
