//! `parahpc randomaccess`: its command line.

use crate::options::{parse_bytes, parse_duration, parse_count, CommonArgs};
use clap::{Args, ValueEnum};

/// HPCC's RandomAccess (GUPS): the memory wall for scattered updates, and the network's
/// message rate.
#[derive(Args, Debug, Clone)]
#[command(long_about = "HPCC's RandomAccess (GUPS): the memory wall for scattered updates, and the network's message rate.\n\n\
    The lesson: streaming (stream) hides memory's latency behind bandwidth; scattered updates \
    cannot. Each update T[r & (N-1)] ^= r reads and writes one 64-bit word of a table too big \
    for any cache, at an address nothing can predict, so the rate is how many misses the core \
    keeps in flight over the memory latency (Little's law). Spread over ranks, almost every \
    update is a tiny message to the rank that owns the word, and what bounds it is the \
    network's message rate, not its bandwidth.\n\n\
    randomaccess runs HPCC's three scopes with HPCC's rules: Single (rank 0 alone on a table \
    of its share), Star (every rank alone on its own table at once, the mean per rank) and MPI \
    (one table over all ranks, updates routed to their owner, each rank holding at most \
    --lookahead updates before sending, HPCC's limit 1024). Updates come from HPCC's 64-bit \
    shift register, every rank starting its part of the stream by a jump ahead; 4·N of them, \
    fewer where they would outlast --time-bound. Each scope is verified as HPCC does: the same \
    updates applied again restore the table, and more than 1 % wrong entries fail the run. \
    Then two sweeps: GUP/s against the table size on rank 0 beside memlat's latency for the \
    same working set (GUP/s drop where the latency steps up), and the MPI scope's GUP/s \
    against --lookahead (updates per message: the message-rate limit). At the default size (half \
    the memory) each scope runs up to --time-bound and its verification as long again: on a \
    2-rank, 23 GB node that is 6 minutes; --table-bytes 512M takes about 30 seconds.\n\n\
    Examples:\n  \
    mpirun -n 2 parahpc randomaccess --table-bytes 512M\n  \
    mpirun -n 4 parahpc randomaccess --table-bytes 64M --time-bound 10s")]
pub struct RandomaccessArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The MPI scope's table, all ranks together, with an optional K/M/G suffix, rounded down to
    /// a power of two; Single's and Star's table per rank is the largest power of two within
    /// its share [default: the largest power of two within half the memory available to the job]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub table_bytes: Option<u64>,

    /// The longest a scope may run: fewer than 4·N updates where they would take longer (HPCC
    /// bounds its MPI scope at 60 s)
    #[arg(long, value_name = "TIME", default_value = "60s", value_parser = parse_duration)]
    pub time_bound: f64,

    /// Updates a rank may hold before they are sent (the MPI scope's look-ahead; HPCC's rules
    /// allow at most 1024)
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = parse_count)]
    pub lookahead: usize,

    /// Seconds each point of the two sweeps runs (0: no sweeps)
    #[arg(long, value_name = "TIME", default_value = "0.5s", value_parser = parse_duration)]
    pub sweep_seconds: f64,

    /// The local kernel: `auto` times both on rank 0's table and keeps the faster (recorded in
    /// the `method` attribute)
    #[arg(long, value_name = "METHOD", value_enum, default_value_t = MethodChoice::Auto)]
    pub method: MethodChoice,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodChoice {
    /// Time both and keep the faster
    Auto,
    /// HPCC's loop: 128 independent streams, each advancing and updating in turn
    Lanes,
    /// The 128 streams advance and prefetch their lines first, then update
    Prefetch,
}
