//! `parahpc countdown`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_count, parse_iterations};
use clap::{Args};

/// The GIL experiment: counting down, serially, with threads, with ranks, with both.
#[derive(Args, Debug, Clone)]
#[command(long_about = "The GIL experiment: counting down, serially, with threads, with ranks, with both.\n\n\
    The lesson, in CPython: countdown(10**8) twice took 7.9 s serially, 8.0 s with 2 threads (the \
    interpreter lock lets one run at a time) and 4.2 s with 2 processes. countdown runs the same \
    jobs serially, on the rank's threads, on the ranks, and on ranks × threads, checks every \
    countdown reached zero and every job ran once, and reports time and speedup per mode. \
    Threads scale here: there is no interpreter lock.\n\n\
    Examples:\n  \
    parahpc countdown --threads 2\n  \
    mpirun -n 4 parahpc countdown --scale")]
pub struct CountdownArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Decrements per countdown (the course's 10^8)
    #[arg(long, value_name = "N", default_value_t = 100_000_000, value_parser = parse_iterations)]
    pub n: u64,

    /// Countdowns per mode (the course's 2)
    #[arg(long, value_name = "JOBS", default_value_t = 2, value_parser = parse_count)]
    pub repeat: usize,

    /// One countdown per worker (ranks × threads) instead of --repeat
    #[arg(long, conflicts_with = "repeat")]
    pub scale: bool,

    /// Timed runs per mode (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}
