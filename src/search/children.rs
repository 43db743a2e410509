//! The process groups of the objective commands running now, so that a search
//! interrupted by Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP) ends them too:
//! each command runs in its own process group (so a timeout can kill everything it
//! started), which also keeps the terminal's SIGINT from reaching it, and without this a
//! training job would outlive the search that started it.
//!
//! The handler only reads atomics and sends signals (async-signal-safe), then restores
//! the default action and raises the signal again, so the process ends as it would have.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Slots for live groups (more concurrent commands than this are not tracked).
const SLOTS: usize = 256;
static GROUPS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];
/// Set first thing by the handler: a command that ends because of it is not a result.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the process is ending on a signal; a command that just died was killed by the
/// handler, and its failure must not reach the journal.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A registered process group; unregistered when dropped.
pub(crate) struct Registered(Option<usize>);

/// Records a live process group (the command's pid).
pub(crate) fn register(pgid: u32) -> Registered {
    let pgid = pgid as i32;
    Registered((0..SLOTS).find(|&i| {
        GROUPS[i]
            .compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }))
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            GROUPS[i].store(0, Ordering::SeqCst);
        }
    }
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    for g in &GROUPS {
        let pgid = g.load(Ordering::SeqCst);
        if pgid > 0 {
            // SAFETY: killpg only sends a signal.
            unsafe {
                libc::killpg(pgid, libc::SIGTERM);
            }
        }
    }
    // SAFETY: restoring the default action and raising are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP (the command line calls it once at
/// start): running objective commands get SIGTERM, then the process ends by the signal.
pub fn end_children_on_signal() {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler is async-signal-safe (atomics, killpg, signal, raise).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_and_given_back() {
        let a = register(1_000_001);
        let b = register(1_000_002);
        assert!(a.0.is_some() && b.0.is_some() && a.0 != b.0);
        let i = a.0.unwrap();
        drop(a);
        assert_eq!(GROUPS[i].load(Ordering::SeqCst), 0);
        drop(b);
    }
}
