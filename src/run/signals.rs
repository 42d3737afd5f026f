//! Stop requests. A SLURM time limit sends SIGTERM (and `sbatch --signal` an earlier one of
//! choice), scancel and Ctrl-C do the same, and mpirun forwards SIGUSR1/SIGUSR2. The handler only
//! records the signal and when it came; long work polls `received` and abandons its point,
//! all ranks agree at the next step, and the results measured so far are written to a file
//! marked incomplete.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// When the last stop signal arrived: CLOCK_MONOTONIC, in ns.
static AT: AtomicU64 = AtomicU64::new(0);

fn monotonic_ns() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime is async-signal-safe and writes only `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

extern "C" fn record(signal: libc::c_int) {
    // Async-signal-safe: a clock read and atomic stores.
    AT.store(monotonic_ns(), Ordering::Relaxed);
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

/// Seconds since the last stop signal arrived, if one did.
pub fn seconds_since() -> Option<f64> {
    received().map(|_| monotonic_ns().saturating_sub(AT.load(Ordering::Relaxed)) as f64 / 1e9)
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
        assert!(seconds_since().is_some_and(|s| (0.0..1.0).contains(&s)));
        assert_eq!(name(libc::SIGTERM), "SIGTERM");
    }
}
