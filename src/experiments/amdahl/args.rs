//! `parahpc amdahl`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_bytes, parse_count, parse_fraction, parse_seconds};
use clap::{Args, ValueEnum};

/// Amdahl's law, measured: the strong-scaling curve of this machine in one launch.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Amdahl's law, measured: the strong-scaling curve of this machine in one launch.\n\n\
    The lesson: a program that runs 10 s on one processor, 90 % of it parallel, runs ×5 faster on \
    9 processes and never more than ×10, however many you add. The serial part rules.\n\n\
    The workload has one serial phase (done by one rank while the others wait, as real code does) \
    and one parallel phase split over the participating ranks × threads. It is calibrated once at \
    start so that one rank takes --work seconds, --serial-fraction of them serial. In ONE launch \
    the sweep measures 1, 2, 4, ... up to all ranks (ranks outside the current count wait), \
    repeats each point after a warm-up, and fits T(p) = T1·(f + (1−f)/p) to the medians: the \
    fitted serial fraction f, the ceiling 1/f, and per point the speedup, efficiency, Amdahl's \
    prediction and the Karp–Flatt metric.\n\n\
    Kernels: 'sleep' is an ideal machine with no shared resources: it reproduces the slide \
    exactly, even with more ranks than cores. 'spin' is compute-bound: it scales while every \
    worker has its own core. 'stream' is memory-bound: workers share the memory bus, so the \
    fitted serial fraction comes out larger than requested (the memory wall).\n\n\
    Every work unit produces a checksum and the combined checksum must be identical for every \
    rank count; otherwise the run fails.\n\n\
    Examples:\n  \
    mpirun -n 9 parahpc amdahl --kernel sleep --serial-fraction 0.1 --work 9\n  \
    mpirun -n 64 parahpc amdahl --kernel stream\n  \
    parahpc amdahl --threads 8 --sweep threads")]
pub struct AmdahlArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// What the work is
    #[arg(long, value_enum, default_value_t = KernelKind::Spin)]
    pub kernel: KernelKind,

    /// Serial share of the one-rank time, between 0 and 1
    #[arg(long, value_name = "F", default_value_t = 0.1, value_parser = parse_fraction,
          allow_negative_numbers = true)]
    pub serial_fraction: f64,

    /// Time of the whole workload on the baseline (one rank; one thread per rank for
    /// --sweep threads), in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub work: f64,

    /// Rank counts to measure, e.g. 1,3,9 [default: 1, 2, 4, ... and the job size]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_count)]
    pub ranks: Option<Vec<usize>>,

    /// Timed repetitions per point (min/median/max are reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Untimed warm-up runs per point
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub warmup: usize,

    /// What to vary: ranks, threads within each rank, or both [default: ranks when launched
    /// with several ranks, threads when alone]
    #[arg(long, value_enum)]
    pub sweep: Option<Sweep>,

    /// Weak scaling (Gustafson): fixed work per worker instead of fixed total work
    #[arg(long)]
    pub weak: bool,

    /// stream kernel: bytes of the three arrays per worker, with an optional K/M/G suffix
    /// (powers of 1024) [default: twice the last-level cache, at least 64M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub array_bytes: Option<u64>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    /// compute-bound floating-point chains
    Spin,
    /// memory-bound triad over arrays well beyond the last-level cache
    Stream,
    /// an ideal machine: sleeping workers share nothing
    Sleep,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Ranks,
    Threads,
    Both,
}

impl KernelKind {
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Spin => "spin",
            KernelKind::Stream => "stream",
            KernelKind::Sleep => "sleep",
        }
    }
}

impl Sweep {
    pub fn name(self) -> &'static str {
        match self {
            Sweep::Ranks => "ranks",
            Sweep::Threads => "threads",
            Sweep::Both => "both",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_names_match_the_command_line() {
        for v in KernelKind::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.name());
        }
        for v in Sweep::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.name());
        }
    }
}
