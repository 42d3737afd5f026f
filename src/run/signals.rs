//! Stop requests. A SLURM time limit sends SIGTERM (and `sbatch --signal` an earlier one of
//! choice), scancel and Ctrl-C do the same, and mpirun forwards SIGUSR1/SIGUSR2. The handler only
//! records the signal; experiments poll between runs, all ranks agree, and the results measured
//! so far are written to a file marked incomplete.

use std::sync::atomic::{AtomicI32, Ordering};

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int) {
    // Async-signal-safe: a single atomic store.
    RECEIVED.store(signal, Ordering::Relaxed);
}

pub const HANDLED: [libc::c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGUSR1, libc::SIGUSR2];

pub fn install() {
    for signal in HANDLED {
        // SAFETY: `record` is async-signal-safe; SA_RESTART keeps interrupted system calls
        // (MPI's progress engine among them) going.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = record as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// The last stop signal this process received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s),
    }
}

pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        _ => "a signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_is_recorded_not_fatal() {
        install();
        assert_eq!(received(), None);
        // SAFETY: raising a handled signal in this process runs `record` and returns.
        unsafe { libc::raise(libc::SIGUSR2) };
        assert_eq!(received(), Some(libc::SIGUSR2));
        assert_eq!(name(libc::SIGTERM), "SIGTERM");
    }
}
