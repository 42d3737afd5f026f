//! `parahpc gemm`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_count, parse_rate};
use clap::{Args, ValueEnum};

/// Dense matrix multiply: the textbook loop, a cache-blocked one, BLAS, and SUMMA over ranks.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "Dense matrix multiply: the textbook loop, a cache-blocked one, BLAS, and SUMMA over ranks.\n\n\
    The lesson: numerics without a vectorised, parallel BLAS (OpenBLAS, MKL) miss the essential, \
    performance. gemm computes C = A·B in double precision for square random n × n matrices on \
    rank 0: 'naive' is the textbook i-j-k loop; 'blocked' packs B into cache-sized panels and \
    accumulates register tiles of C with a vectorised multiply-add loop (AVX2+FMA when the CPU \
    has it), rayon over row blocks; 'blas' calls dgemm of the system OpenBLAS. Each runs with one \
    thread and with the rank's threads (naive with one); OpenBLAS's own thread count is set \
    explicitly, so BLAS and rayon never share cores by accident. With --dist, SUMMA multiplies \
    over every rank on a 2-D process grid (as square as the rank count allows; uneven blocks \
    where n does not divide), broadcasting panels along grid rows and columns and multiplying \
    locally with BLAS, and reports its parallel efficiency against one rank's BLAS.\n\n\
    GFLOP/s count 2n³ flops; the fraction of peak uses the core's peak measured by an FMA-throughput \
    kernel on the widest vector unit (or --peak-gflops). Every product passes HPL's projection \
    check ‖C·x − A·(B·x)‖∞ / (‖A‖∞ ‖B‖∞ ‖x‖∞ n ε) < 16, or the run fails.\n\n\
    Examples:\n  \
    parahpc gemm --threads 2\n  \
    parahpc gemm --n 256,512,1024,2048 --impl blocked,blas\n  \
    mpirun -n 4 parahpc gemm --dist --n 4096 --impl blas"
)]
pub struct GemmArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Matrix sizes, e.g. 256,512,1024,2048
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "512,1024", value_parser = parse_count)]
    pub n: Vec<usize>,

    /// Implementations on rank 0
    #[arg(long = "impl", value_name = "LIST", value_enum, value_delimiter = ',', default_value = "naive,blocked,blas")]
    pub implementations: Vec<GemmImpl>,

    /// Also multiply with SUMMA over all ranks
    #[arg(long)]
    pub dist: bool,

    /// Largest n for the textbook loop, whose time grows as n³ at a fraction of a GFLOP/s
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = parse_count)]
    pub naive_max_n: usize,

    /// A core's peak in GFLOP/s [default: measured, f64 FMA throughput of the widest vector unit on one thread]
    #[arg(long, value_name = "GFLOPS", value_parser = parse_rate)]
    pub peak_gflops: Option<f64>,

    /// Timed runs per point, after one untimed (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmImpl {
    /// textbook i-j-k triple loop
    Naive,
    /// cache- and register-blocked, vectorised, rayon over row blocks
    Blocked,
    /// dgemm of the system OpenBLAS (through ndarray)
    Blas,
}

impl GemmImpl {
    pub fn name(self) -> &'static str {
        match self {
            GemmImpl::Naive => "naive",
            GemmImpl::Blocked => "blocked",
            GemmImpl::Blas => "blas",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_names_match_the_command_line() {
        for v in GemmImpl::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.name());
        }
    }
}
