//! One module per experiment; each turns a lesson into a measurement.

pub mod amdahl;

use crate::cli::{Cli, Command};
use crate::context::RunContext;
use crate::failure::Outcome;

/// Runs the experiment `cli` names; `report` is not one (see `main`).
pub fn run(ctx: &RunContext, cli: &Cli) -> Outcome<()> {
    match &cli.command {
        Command::Amdahl(args) => amdahl::run(ctx, args),
        Command::Report(_) => unreachable!("report runs without a run context"),
    }
}
