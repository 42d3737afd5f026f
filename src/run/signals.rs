//! Stop requests. A SLURM time limit sends SIGTERM (and `sbatch --signal` an earlier one of
//! choice), scancel and Ctrl-C do the same, and mpirun forwards SIGUSR1/SIGUSR2. The handler only
//! records the signal and when it came; long work polls `received` and abandons its point,
//! all ranks agree at the next step, and the results measured so far are written to a file
//! marked incomplete.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

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

/// What `received` reports once a deadline set with `set_deadline` has passed: `suite` stops an
/// experiment at the end of its share of the budget exactly as a signal would.
pub const DEADLINE: i32 = libc::SIGALRM;
/// CLOCK_MONOTONIC ns of the deadline; 0 for none.
static DEADLINE_AT: AtomicU64 = AtomicU64::new(0);
/// Whether the deadline waits for the experiment's first completed step.
static DEADLINE_HELD: AtomicBool = AtomicBool::new(false);

/// Makes `received` report `DEADLINE` from `seconds` from now on (`None`: no deadline), once
/// the experiment has completed its first step (`first_step_done`): an experiment given a share
/// measures at least one point, however slow the machine; the suite takes an overrun out of the
/// shares still to come.
pub fn set_deadline(seconds: Option<f64>) {
    let at = seconds.map_or(0, |s| monotonic_ns() + (s.max(0.0) * 1e9) as u64);
    DEADLINE_AT.store(at, Ordering::Relaxed);
    DEADLINE_HELD.store(seconds.is_some(), Ordering::Relaxed);
}

/// Called by the recorder at every completed step: from the first on, the deadline counts.
pub fn first_step_done() {
    DEADLINE_HELD.store(false, Ordering::Relaxed);
}

/// The last stop signal this process received, if any, else `DEADLINE` once one has passed.
pub fn received() -> Option<i32> {
    let deadline = if DEADLINE_HELD.load(Ordering::Relaxed) { 0 } else { DEADLINE_AT.load(Ordering::Relaxed) };
    stop(RECEIVED.load(Ordering::Relaxed), deadline, monotonic_ns)
}

/// What `received` reports, from the signal recorded (0: none), the deadline (0: none) and the
/// clock, read only where a deadline is set.
fn stop(signal: i32, deadline_at: u64, now: impl FnOnce() -> u64) -> Option<i32> {
    match (signal, deadline_at) {
        (0, 0) => None,
        (0, at) => (now() >= at).then_some(DEADLINE),
        (s, _) => Some(s),
    }
}

/// Seconds since the last stop signal arrived (or the deadline passed), if one did.
pub fn seconds_since() -> Option<f64> {
    let at = match received()? {
        DEADLINE => DEADLINE_AT.load(Ordering::Relaxed),
        _ => AT.load(Ordering::Relaxed),
    };
    Some(monotonic_ns().saturating_sub(at) as f64 / 1e9)
}

pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        DEADLINE => "the end of its share of the suite's budget",
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

    #[test]
    fn a_deadline_reads_as_a_stop_once_passed_and_a_signal_before_it() {
        assert_eq!(stop(0, 0, || unreachable!("no deadline, no clock read")), None);
        assert_eq!(stop(0, 1_000, || 999), None);
        assert_eq!(stop(0, 1_000, || 1_000), Some(DEADLINE));
        assert_eq!(stop(libc::SIGTERM, 1_000, || 5_000), Some(libc::SIGTERM));
        assert_eq!(stop(libc::SIGINT, 0, || unreachable!()), Some(libc::SIGINT));
    }

    #[test]
    fn set_deadline_counts_from_now() {
        set_deadline(Some(0.05));
        let at = DEADLINE_AT.load(Ordering::Relaxed);
        let now = monotonic_ns();
        assert!(at > now && at <= now + 50_000_000, "{at} against {now}");
        set_deadline(None);
        assert_eq!(DEADLINE_AT.load(Ordering::Relaxed), 0);
    }
}
