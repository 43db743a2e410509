//! Exclusive ownership of a journal: an advisory lock on the journal file itself, held
//! for the life of the search. The kernel drops it when the process ends, however it
//! ends, so a killed search never leaves a stale lock behind, and nothing is written
//! beside the journal: a refused second writer names the holder by asking the kernel
//! (`/proc/locks` lists each lock's process and file; `/proc/PID/cmdline` its command).

use crate::error::{Error, Result};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The sidecar that earlier versions wrote to name a journal's writer; it is removed
/// when a search takes the lock (whoever wrote it has finished).
fn legacy_owner_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".owner");
    PathBuf::from(s)
}

/// Takes the exclusive lock on an open journal, or refuses with one line naming the
/// process that holds it.
pub fn acquire(file: &File, journal: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(legacy_owner_path(journal));
            Ok(())
        }
        Err(TryLockError::WouldBlock) => {
            let who = holder(file).unwrap_or_else(|| "another process".into());
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

/// `pid N: COMMAND` of the process holding the lock on `file`, where the kernel says.
#[cfg(target_os = "linux")]
fn holder(file: &File) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata().ok()?;
    let pid = lock_owner(
        &std::fs::read_to_string("/proc/locks").ok()?,
        m.dev(),
        m.ino(),
    )?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Some(if cmd.is_empty() {
        format!("pid {pid}")
    } else {
        format!("pid {pid}: {cmd}")
    })
}

#[cfg(not(target_os = "linux"))]
fn holder(_: &File) -> Option<String> {
    None
}

/// The pid holding a write lock on the file `(dev, ino)` in `/proc/locks`'s text
/// (`1: FLOCK  ADVISORY  WRITE 1598 fe:00:5308917 0 EOF`; waiters' lines hold `->`).
#[cfg(target_os = "linux")]
fn lock_owner(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    locks.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || f.contains(&"->") || f[3] != "WRITE" {
            return None;
        }
        let mut id = f[5].split(':');
        let maj = u32::from_str_radix(id.next()?, 16).ok()?;
        let min = u32::from_str_radix(id.next()?, 16).ok()?;
        let i: u64 = id.next()?.parse().ok()?;
        (maj == major && min == minor && i == ino).then(|| f[4].parse().ok())?
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_read_from_the_kernels_lock_table() {
        let t = "1: FLOCK  ADVISORY  WRITE 1598 fe:00:5308917 0 EOF\n\
                 1: -> FLOCK  ADVISORY  WRITE 1700 fe:00:5308917 0 EOF\n\
                 2: POSIX  ADVISORY  WRITE 42 08:11:77 0 EOF\n";
        let dev = libc::makedev(0xfe, 0);
        assert_eq!(lock_owner(t, dev, 5308917), Some(1598));
        assert_eq!(lock_owner(t, libc::makedev(8, 0x11), 77), Some(42));
        assert_eq!(lock_owner(t, dev, 1), None);
    }

    #[test]
    fn a_locked_journal_names_this_process_and_leaves_no_file_beside_it() {
        let d = std::env::temp_dir().join(format!("wlgp-lock-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let j = d.join("j.jsonl");
        std::fs::write(legacy_owner_path(&j), "pid 1\n").unwrap();
        let a = File::create(&j).unwrap();
        acquire(&a, &j).unwrap();
        let b = File::open(&j).unwrap();
        let e = acquire(&b, &j).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
        assert_eq!(left.len(), 1, "only the journal: {left:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
