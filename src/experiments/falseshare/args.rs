//! `parahpc falseshare`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_count, parse_iterations};
use clap::{Args};

/// Cache-line invalidation: private counters that share a line slow each other down.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Cache-line invalidation: private counters that share a line slow each other down.\n\n\
    The lesson: caches keep whole lines coherent, not variables. Threads that each increment only \
    their own counter still fight when the counters share a cache line: every write invalidates \
    the line in the other cores' caches. falseshare pins t threads to distinct cores and has each \
    increment its counter --iters times, with the counters packed (8 bytes apart, sharing lines) \
    and padded (128 bytes apart), and reports the slowdown. On a node with SMT it also pins them \
    to one core's hyperthreads, which share that core's L1 (it says so when the node has none). \
    Every final count is checked. Each node's first rank measures.\n\n\
    Examples:\n  \
    parahpc falseshare --threads 2\n  \
    mpirun -n 1 --bind-to none parahpc falseshare --threads 4")]
pub struct FalseshareArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Increments per thread
    #[arg(long, value_name = "N", default_value_t = 10_000_000, value_parser = parse_iterations)]
    pub iters: u64,

    /// Timed runs per layout (the best is reported)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,
}
