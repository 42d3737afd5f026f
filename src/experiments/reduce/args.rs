//! `parahpc reduce`: its command line.

use crate::options::{parse_count, parse_elements, parse_iterations, CommonArgs, ThreadArgs};
use crate::kernels::reduce::Data;
use clap::Args;

/// Floating-point addition is not associative: the same sum on 1, 2, 4, … ranks gives other bits.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Floating-point addition is not associative: the same numbers summed on \
    1, 2, 4, ... ranks, with 1 or more threads each, give other bits.\n\n\
    The lesson (the course's numerics slide): in IEEE 754 doubles 0.1 + 0.1 + 0.1 - 0.3 is \
    5.55e-17, not 0, and the order of the additions changes the last bits. reduce sums one fixed \
    data set (element i depends on the seed and i alone, each rank holding its block) on every \
    ranks x threads point of a sweep, five ways: serial (left to right, the ranks one after the \
    other), plain (rayon's sum, then MPI_Allreduce), pairwise, Neumaier-compensated, and \
    reproducible (an exact superaccumulator reduced with a user-defined MPI operation and rounded \
    once: the same bits on any number of ranks and threads, under any reduction tree, equal to \
    the correctly rounded exact sum). It reports each result's bits, its error in ulps, how many \
    different results each method gave, and the cost against plain; then the latency of a \
    one-value allreduce, plain against reproducible. The run fails if the reproducible sum ever \
    differs from the exact sum computed independently (Shewchuk's partials, as Python's \
    math.fsum), or any sum is outside the worst-case error bound.\n\n\
    Examples:\n  \
    parahpc reduce --data tenths --n 1000\n  \
    mpirun -n 8 parahpc reduce --threads 2\n  \
    mpirun -n 4 parahpc reduce --n 100M --ranks 1,2,3,4")]
pub struct ReduceArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Values summed, in total (split between the ranks of each point)
    #[arg(long, value_name = "N", default_value_t = 10_000_000, value_parser = parse_elements)]
    pub n: u64,

    /// The data set
    #[arg(long, value_enum, default_value_t = Data::Cancel)]
    pub data: Data,

    /// Seed of the cancel and uniform data sets
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Rank counts to measure, e.g. 1,3,4 [default: 1, 2, 4, ... and the job size]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_count)]
    pub ranks: Option<Vec<usize>>,

    /// Threads per rank to measure, e.g. 1,4 [default: 1, 2, 4, ... and --threads]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_count)]
    pub thread_counts: Option<Vec<usize>>,

    /// Timed repetitions per point and method (min/median/max are reported)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,

    /// Calls per timed repetition of the one-value allreduce
    #[arg(long, value_name = "I", default_value_t = 2000, value_parser = parse_iterations)]
    pub allreduce_iters: u64,
}
