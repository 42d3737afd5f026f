//! Progress of long sweeps, on rank 0 only: a progress bar when stderr is a terminal, plain
//! timestamped lines otherwise, so SLURM and mpirun logs stay free of escape codes (under mpirun
//! a rank's stderr is never a terminal). `--quiet` silences both.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
    /// Whether this process prints at all: rank 0, and not --quiet.
    enabled: bool,
    label: &'static str,
}

impl Progress {
    /// Progress of `label` over `total` steps; prints only if `enabled` (rank 0, not quiet).
    pub fn new(label: &'static str, total: u64, enabled: bool) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let style =
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs, {elapsed} elapsed, ~{eta} left")
                    .expect("a valid template")
                    .progress_chars("=> ");
            ProgressBar::new(total).with_style(style).with_prefix(label)
        });
        Progress { bar, enabled, label }
    }

    /// A line of news: above the bar, or timestamped on its own.
    pub fn line(&self, message: &str) {
        if !self.enabled {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(format!("{}: {message}", self.label)),
            None => eprintln!("{} parahpc: {}: {message}", timestamp(), self.label),
        }
    }

    /// One step done.
    pub fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The line that says a run has started (MPI is up, the output checked), on rank 0 unless quiet:
/// in a batch log it separates a slow start from a slow run.
pub fn started(label: &str, message: &str) {
    eprintln!("{} parahpc: {label}: {message}", timestamp());
}

fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
