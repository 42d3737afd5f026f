//! `parahpc stream`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_bytes, parse_repeats};
use clap::{Args, ValueEnum};

/// McCalpin's STREAM per rank and for the job: where memory bandwidth saturates.
#[derive(Args, Debug, Clone)]
#[command(long_about = "McCalpin's STREAM per rank and for the job: where memory bandwidth saturates.\n\n\
    The lesson: memory grew 7 %/year while CPUs grew 50 %; a core can ask for data faster than \
    memory delivers it, so a few cores saturate the memory bus and more add nothing. stream runs \
    Copy, Scale, Add and Triad over f64 arrays of 4× the last-level cache per rank (or --bytes), \
    each thread streaming the part it first touched (NUMA-correct), best of --repeats. The \
    stores are ordinary or non-temporal (streaming), whichever ran Triad faster on that point's \
    arrays (--stores to force one): which wins depends on the CPU and on how many cores stream. It sweeps \
    threads 1, 2, 4, ... on one rank, then ranks 1, 2, 4, ... with all their threads, and reports \
    GB/s per kernel, aggregate and per rank, and where Triad saturates. The arrays are then \
    checked against the values STREAM's recurrence must produce.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc stream\n  \
    parahpc stream --threads 8 --bytes 2G")]
pub struct StreamArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Bytes of the three arrays per rank, with an optional K/M/G suffix [default: 4× the
    /// last-level cache, at least 64M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub bytes: Option<u64>,

    /// How the kernels store: `auto` times Triad with each kind on every point's own arrays,
    /// alternating, and keeps the faster (recorded in the `stores` column)
    #[arg(long, value_name = "KIND", value_enum, default_value_t = StoresChoice::Auto)]
    pub stores: StoresChoice,

    /// Repetitions of the four kernels; the first is left out and the best of the rest reported
    #[arg(long, value_name = "R", default_value_t = 10, value_parser = parse_repeats)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoresChoice {
    /// Measure both on each point and keep the faster
    Auto,
    /// Ordinary stores (each destination line read first: write-allocate)
    Ordinary,
    /// Non-temporal stores (no read, no cache pollution)
    NonTemporal,
}
