//! `parahpc roofline`: its command line.

use crate::options::{parse_bytes, parse_count, CommonArgs, ThreadArgs};
use clap::Args;

/// The roofline: how fast this core computes, how fast each memory level feeds it, and where
/// each of the course's kernels sits between the two.
#[derive(Args, Debug, Clone)]
#[command(long_about = "The roofline: how fast this core computes, how fast each memory level \
    feeds it, and where each of the course's kernels sits between the two.\n\n\
    The lesson: a kernel that does I flops per byte it moves cannot beat min(peak, I x bandwidth). \
    roofline measures, in one run, the ceilings: the peak GFLOP/s of every vector unit the CPU has \
    (an FMA-throughput kernel per ISA, f64 and f32, one thread, then every thread of every rank at \
    once: clocks drop when all cores are busy) and the bandwidth of L1, L2, L3 and DRAM (a \
    read-only sum and STREAM's triad, on working sets of half of each cache; DRAM triad also on \
    every thread of every rank, per node). Then it places the course's kernels by arithmetic \
    intensity (flops per byte) and achieved GFLOP/s: simd's dot, AXPY and sum at each level, \
    STREAM triad, gemm naive, blocked and BLAS. For each it says which ceiling binds it and how \
    far below it sits. Rank 0 measures the one-core figures. Every kernel checks its answer (the \
    FMA chains count exactly; sums within rounding; products pass HPL's check), or the run fails.\n\n\
    Examples:\n  \
    parahpc roofline\n  \
    mpirun -n 4 parahpc roofline --threads 2\n  \
    parahpc roofline --dram-bytes 1G --gemm-n 1024")]
pub struct RooflineArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Working set of the DRAM points, with an optional K/M/G suffix [default: 4 × the
    /// last-level cache, at least 64M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub dram_bytes: Option<u64>,

    /// Matrix order of the gemm points
    #[arg(long, value_name = "N", default_value_t = 384, value_parser = parse_count)]
    pub gemm_n: usize,

    /// Timed repetitions of every measurement (the best is the ceiling; points report the median)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,
}
