//! `parahpc comm`: its command line.

use crate::options::{parse_bytes, parse_bytes_or_zero, parse_count, CommonArgs};
use clap::{Args, ValueEnum};

/// Where a bandwidth window's messages come from and go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Buffers {
    /// One send and one receive buffer for every message of a window (OSU's default, `-b single`)
    Single,
    /// A buffer per message of the window (OSU's `-b multiple`)
    Multiple,
}


/// Message passing, measured: what a message between ranks costs, and what collectives cost.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Message passing, measured: what a message between ranks costs, and what collectives cost.\n\n\
    The lesson: NUMA machines and clusters are programmed by message passing, and what a message \
    costs decides what is worth distributing. With the OSU micro-benchmarks' method and iteration \
    counts by default, comm measures ping-pong latency (half a round trip; percentiles of a \
    sampled pass as OSU's -z), uni-directional bandwidth (windows of 64 non-blocking sends from one \
    buffer, each into its own receive slot, as osu_bw; --buffers multiple gives each message its own, --off-cache \
    makes every message cache-cold as IMB's -off_cache) and bi-directional bandwidth, for message sizes in powers of two, between rank 0 and \
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

    /// Timed iterations at every size [default: OSU's: latency 10000 up to 8 KiB and 1000
    /// above, bandwidth 100 and 20; collectives 1000, fewer for large messages]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub iters: Option<usize>,

    /// Untimed warm-up iterations at every size [default: OSU's: latency 100 and 10, bandwidth
    /// 10 and 2; collectives 100]
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,

    /// Timed loops per size (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Messages in flight in each bandwidth window, at every size (osu_bw's -W) [default: the
    /// fastest of 64, 16, 4 and 1 at each size, measured: each pending receive needs its own
    /// slot, so with large messages a deep window's slots leave the cache]
    #[arg(long, value_name = "W", value_parser = parse_count)]
    pub window: Option<usize>,

    /// Buffers of a bandwidth window: one send buffer for all its messages, as OSU does by
    /// default, or one per message (receives always land in a slot each)
    #[arg(long, value_enum, default_value_t = Buffers::Single)]
    pub buffers: Buffers,

    /// Every message (ping-pong and window) from and into the next buffer of rings spanning twice
    /// the last-level cache, so that it starts cache-cold (IMB's -off_cache); places every
    /// message itself, so --buffers does nothing beside it
    #[arg(long, conflicts_with = "buffers")]
    pub off_cache: bool,

    /// Also measure the small-message latency between every pair of ranks (a rank × rank matrix)
    #[arg(long)]
    pub all_pairs: bool,

    /// Skip the check pass that verifies every received byte before timing
    #[arg(long)]
    pub no_validate: bool,
}

impl CommArgs {
    /// The deepest window any size may use.
    pub fn max_window(&self) -> usize {
        self.window.unwrap_or(super::WINDOWS[0])
    }
}
