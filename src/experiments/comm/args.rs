//! `parahpc comm`: its command line.

use crate::cli::{CommonArgs, parse_bytes, parse_bytes_or_zero, parse_count};
use clap::{Args};

/// Message passing, measured: what a message between ranks costs, and what collectives cost.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Message passing, measured: what a message between ranks costs, and what collectives cost.\n\n\
    The lesson: NUMA machines and clusters are programmed by message passing, and what a message \
    costs decides what is worth distributing. Like the OSU micro-benchmarks, comm measures \
    ping-pong latency (half a round trip), uni-directional bandwidth (a window of non-blocking \
    sends) and bi-directional bandwidth, for message sizes in powers of two, between rank 0 and \
    its nearest and its farthest rank (on several nodes: an intra-node and an inter-node pair). \
    It fits Hockney's model t = α + n/β to the ping-pong times: latency α, bandwidth β, and \
    n½ = α·β, the size below which latency dominates. Then it times barrier, broadcast, reduce, \
    allreduce, allgather and alltoall as the maximum over ranks of the per-call average, as OSU \
    and IMB report them.\n\n\
    Before timing each size, a check pass verifies every received byte and every collective \
    result; a wrong byte fails the run. Timed loops neither allocate nor copy.\n\n\
    Examples:\n  \
    mpirun -n 2 parahpc comm\n  \
    mpirun -n 8 parahpc comm --all-pairs --max-bytes 64K")]
pub struct CommArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Smallest message in bytes (0 for the empty message)
    #[arg(long, value_name = "BYTES", default_value = "1", value_parser = parse_bytes_or_zero)]
    pub min_bytes: u64,

    /// Largest message, with an optional K/M/G suffix
    #[arg(long, value_name = "BYTES", default_value = "4M", value_parser = parse_bytes)]
    pub max_bytes: u64,

    /// Timed iterations for messages up to 8 KiB; larger messages get proportionally fewer (at
    /// least 10), as in OSU
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse_count)]
    pub iters: usize,

    /// Untimed warm-up iterations, scaled like --iters
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub warmup: usize,

    /// Timed loops per size (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Messages in flight in each bandwidth window
    #[arg(long, value_name = "W", default_value_t = 64, value_parser = parse_count)]
    pub window: usize,

    /// Also measure the small-message latency between every pair of ranks (a rank × rank matrix)
    #[arg(long)]
    pub all_pairs: bool,

    /// Skip the check pass that verifies every received byte before timing
    #[arg(long)]
    pub no_validate: bool,
}
