//! `parahpc bank`: its command line.

use crate::options::{CommonArgs, parse_count, parse_iterations};
use clap::{Args};

/// Races and locks: transfers onto one bank balance by threads and by ranks.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Races and locks: transfers onto one bank balance by threads and by ranks.\n\n\
    The lesson, in CPython: 100 deposits of 100 EUR onto 1 EUR, each a read, a pause, an add, a \
    pause and a write, ended at 201 EUR with threads and no lock (overlapping deposits read the \
    same old balance and overwrote each other), at 1 EUR with processes (each changed its own \
    copy of the account), and at 10001 EUR only with a lock. bank runs the same transfers with \
    threads on rank 0 (racy: an unlocked read-modify-write; mutex; atomic fetch_add) and with \
    ranks (private copies; one balance in an MPI window, shared memory on one node and RMA \
    across nodes, updated racy, under an exclusive MPI_Win_lock, or by MPI_Fetch_and_op).\n\n\
    It reports the final balance, the expected one and the transfers lost, which must satisfy \
    balance = initial + amount × (transfers − lost), and the time per mode: locks cost \
    parallelism. The locked and atomic modes must end exact, or the run fails.\n\n\
    Examples:\n  \
    parahpc bank\n  \
    mpirun -n 4 parahpc bank --delay-us 100")]
pub struct BankArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Transfers per mode (the course's 100)
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = parse_count)]
    pub transfers: usize,

    /// Euros per transfer (the course's 100)
    #[arg(long, value_name = "EUR", default_value_t = 100, value_parser = parse_iterations)]
    pub amount: u64,

    /// Opening balance in euros (the course's 1)
    #[arg(long, value_name = "EUR", default_value_t = 1)]
    pub initial: u64,

    /// Pause after the read and after the add of each transfer, in µs (0 for none); the longer,
    /// the more transfers overlap
    #[arg(long, value_name = "US", default_value_t = 1000)]
    pub delay_us: u64,

    /// Threads in the thread modes [default: one per transfer, all started together]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub workers: Option<usize>,

    /// Runs per mode (time min/median/max; balance and lost of the run that lost most)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}
