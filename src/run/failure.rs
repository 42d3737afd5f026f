//! How a run fails without hanging: either every rank knows (report once, exit cleanly), or
//! only one rank does (report and abort the whole job).

use std::fmt;

/// Exit status for input the user must fix (bad option, existing file, too little memory).
pub const EXIT_USAGE: i32 = 2;
/// Exit status for a run that started but failed (a result failed its verification).
pub const EXIT_FAILED: i32 = 1;

#[derive(Debug)]
pub enum Failure {
    /// Every rank reached the same verdict at the same point: rank 0 prints it once and every
    /// rank finalises MPI and exits with `exit_code`.
    Collective { message: String, exit_code: i32 },
    /// Only this rank knows: it prints the error and aborts the job (MPI_Abort), so the other
    /// ranks never wait for it.
    Fatal(anyhow::Error),
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::Collective { message: message.into(), exit_code: EXIT_USAGE }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure::Collective { message: message.into(), exit_code: EXIT_FAILED }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Collective { exit_code, .. } => *exit_code,
            Failure::Fatal(_) => EXIT_FAILED,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Collective { message, .. } => f.write_str(message),
            Failure::Fatal(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Fatal(e)
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// The fault PARAHPC_INJECT_FAULT names, read from the environment once.
static FAULT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Reads the test hook's variable; main calls it at start-up, so that no timed code reads the
/// environment.
pub fn read_injected_fault() -> Option<&'static str> {
    FAULT.get_or_init(|| std::env::var("PARAHPC_INJECT_FAULT").ok()).as_deref()
}

/// Test hook: whether PARAHPC_INJECT_FAULT names `fault`. Experiments inject the fault it names
/// (a lost iteration, a corrupted byte) so that tests prove their checks fail the run.
pub fn injected(fault: &str) -> bool {
    read_injected_fault() == Some(fault)
}

/// Panics on this rank while `catching_panics` runs are the caller's to report: the panic hook
/// leaves them alone instead of aborting the job.
static CATCHING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs `f`, during which the panics of tasks (caught with `catch_unwind`, on any thread of
/// this rank) do not abort the job.
pub fn catching_panics<R>(f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering;
    CATCHING.fetch_add(1, Ordering::SeqCst);
    let r = f();
    CATCHING.fetch_sub(1, Ordering::SeqCst);
    r
}

pub fn panics_are_caught() -> bool {
    CATCHING.load(std::sync::atomic::Ordering::SeqCst) > 0
}

/// The message a caught panic carried.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with no message".into())
}
