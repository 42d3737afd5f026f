//! `parahpc memlat`: its command line.

use crate::options::{CommonArgs, parse_bytes, parse_count};
use clap::{Args};

/// Memory latency by working-set size: the cache levels as steps, DRAM at the top.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Memory latency by working-set size: the cache levels as steps, DRAM at the top.\n\n\
    The lesson: memory is ~100 cycles away and caches hide it, until the working set outgrows \
    them. memlat follows a dependent chain of pointers through one random cycle over \
    cache-line-sized nodes (prefetchers cannot guess the next address, and each load waits for \
    the one before), for working sets from 4 KiB to 4× the last-level cache, and reports ns per \
    access. It finds the plateaus (L1, L2, L3, DRAM) from the curve's jumps and sets them beside \
    the cache sizes the machine reports. Each node's first rank measures; every chase must end \
    where it started, after whole laps of the cycle.\n\n\
    Examples:\n  \
    parahpc memlat\n  \
    parahpc memlat --max-bytes 64M")]
pub struct MemlatArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Largest working set, with an optional K/M/G suffix [default: 4× the last-level cache, at
    /// least 16M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_bytes: Option<u64>,

    /// Accesses per timed chase, rounded up to whole laps of the cycle
    #[arg(long, value_name = "N", default_value_t = 1 << 22, value_parser = parse_count)]
    pub accesses: usize,

    /// Timed chases per size (min and median reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}
