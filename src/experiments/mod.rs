//! One module per experiment; each turns a lesson into a measurement.

pub mod amdahl;
pub mod bank;
pub mod comm;
pub mod countdown;
pub mod falseshare;
pub mod gemm;
pub mod memlat;
pub mod pool;
pub mod simd;
pub mod stream;
pub mod topology;

use crate::cli::{Cli, Command};
use crate::output::{self, files::OutputPlan, Results};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

/// 1, 2, 4, ... below `n`, then `n` itself: the worker counts a sweep measures.
pub fn doubling_up_to(n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::successors(Some(1usize), |&k| Some(k * 2)).take_while(|&k| k < n).collect();
    v.push(n);
    v
}

/// Saves `results`; a run stopped by `signal` then fails with status 128 + signal, saying where
/// the completed part went (`results.incomplete` says how far it got).
pub fn save_and_finish(ctx: &RunContext, output: &OutputPlan, results: &Results, signal: Option<i32>) -> Outcome<()> {
    output::save(ctx, output, results)?;
    match (signal, &results.incomplete) {
        (Some(signal), Some(reason)) => Err(Failure::Collective {
            message: format!("stopped: {reason}; the completed part is in {}, marked incomplete", output.h5.display()),
            exit_code: 128 + signal,
        }),
        _ => Ok(()),
    }
}

/// Runs the experiment `cli` names; `report` is not one (see `main`).
pub fn run(ctx: &RunContext, cli: &Cli) -> Outcome<()> {
    match &cli.command {
        Command::Amdahl(args) => amdahl::run(ctx, args),
        Command::Comm(args) => comm::run(ctx, args),
        Command::Topology(args) => topology::run(ctx, args),
        Command::Stream(args) => stream::run(ctx, args),
        Command::Memlat(args) => memlat::run(ctx, args),
        Command::Falseshare(args) => falseshare::run(ctx, args),
        Command::Countdown(args) => countdown::run(ctx, args),
        Command::Bank(args) => bank::run(ctx, args),
        Command::Pool(args) => pool::run(ctx, args),
        Command::Gemm(args) => gemm::run(ctx, args),
        Command::Simd(args) => simd::run(ctx, args),
        Command::Report(_) => unreachable!("report runs without a run context"),
    }
}
