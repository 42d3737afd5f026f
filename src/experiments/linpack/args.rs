//! `parahpc linpack`: its command line.

use crate::options::{parse_count, parse_fraction, parse_rate, CommonArgs, ThreadArgs};
use clap::Args;

/// Linpack, the Top500's benchmark: Ax = b by LU with partial pivoting, HPL's algorithm over MPI
/// and BLAS, checked by HPL's residual.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Linpack, the Top500's benchmark: Ax = b by LU with partial pivoting, \
    HPL's algorithm over MPI and BLAS, checked by HPL's residual.\n\n\
    The lesson (the course ends on it): the Top500 ranks machines by the rate at which they solve \
    one dense system (Sunway TaihuLight: 93 PFLOP/s). LU spends almost all its flops in matrix \
    multiplies, so at large N it approaches the DGEMM rate of every core (Rmax); at small N the \
    panel factorisation and the messages dominate, and N½ (the N at which half of Rmax is reached) \
    says how large a problem the machine needs to be used well.\n\n\
    The algorithm is HPL's, written here: [A | b] random (seeded, each rank generating its own \
    blocks), distributed block-cyclically (blocks of --nb) on a P x Q process grid; each panel is \
    factored recursively by its process column (each pivot found by one allreduce down the column, \
    which also carries the pivot row), broadcast along the process rows, then every rank swaps its \
    rows, solves for its block of U (dtrsm) and updates its trailing matrix (dgemm, OpenBLAS). \
    Look-ahead of depth one: the next panel is factored and sent while the rest of the matrix is \
    still being updated. b rides along as column N, so only U x = y remains to solve. GFLOP/s use \
    HPL's count, 2/3 N^3 + 3/2 N^2. Every solve must pass HPL's check, \
    ||Ax - b||inf / (eps (||A||inf ||x||inf + ||b||inf) N) < 16, or the run fails.\n\n\
    Examples:\n  \
    parahpc linpack --n 1000,2000\n  \
    mpirun -n 4 parahpc linpack --n 4000,8000 --grid 2x2\n  \
    mpirun -n 2 parahpc linpack --n auto --memory-fraction 0.5")]
pub struct LinpackArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Orders N to solve, e.g. 1000,2000,4000; `auto` fills --memory-fraction of the memory
    /// available on the job's nodes, as HPL's tuning advice does
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "500,1000,2000,4000", value_parser = parse_order)]
    pub n: Vec<Order>,

    /// Block size NB: the panel width and the unit of the block-cyclic layout
    #[arg(long, value_name = "NB", default_value_t = 128, value_parser = parse_count)]
    pub nb: usize,

    /// Process grid PxQ, e.g. 2x4 (P process rows, Q process columns; P × Q = ranks) [default:
    /// as square as the rank count allows, P ≤ Q, as HPL advises]
    #[arg(long, value_name = "PxQ", value_parser = parse_grid)]
    pub grid: Option<(usize, usize)>,

    /// Share of the available memory `--n auto` fills with the matrix
    #[arg(long, value_name = "F", default_value_t = 0.5, value_parser = parse_fraction)]
    pub memory_fraction: f64,

    /// Timed solves per N (min/median/max reported); each one is checked
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Seed of the random system
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// A core's peak in GFLOP/s [default: measured, f64 FMA throughput of the widest vector unit on one thread]
    #[arg(long, value_name = "GFLOPS", value_parser = parse_rate)]
    pub peak_gflops: Option<f64>,
}

/// One order to solve: a number, or the one that fills the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    N(usize),
    Auto,
}

fn parse_order(s: &str) -> Result<Order, String> {
    if s.trim() == "auto" {
        return Ok(Order::Auto);
    }
    let n = parse_count(s).map_err(|e| format!("{e} (or 'auto')"))?;
    // Beyond this the local indices of one rank's matrix no longer fit BLAS's 32-bit integers.
    if n > 2_000_000 {
        return Err(format!("{n} is beyond what parahpc solves (at most 2000000)"));
    }
    Ok(Order::N(n))
}

fn parse_grid(s: &str) -> Result<(usize, usize), String> {
    let (p, q) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}' is not a grid PxQ, e.g. 2x4"))?;
    Ok((parse_count(p)?, parse_count(q)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_grids_parse() {
        assert_eq!(parse_order("auto"), Ok(Order::Auto));
        assert_eq!(parse_order("8000"), Ok(Order::N(8000)));
        assert!(parse_order("0").is_err());
        assert!(parse_order("3000000").is_err());
        assert_eq!(parse_grid("2x3"), Ok((2, 3)));
        assert!(parse_grid("2").is_err());
        assert!(parse_grid("0x2").is_err());
    }
}
