//! One module per experiment; each turns a lesson into a measurement.

pub mod amdahl;

use crate::cli::{Cli, Experiment};
use crate::context::RunContext;
use crate::failure::Outcome;

pub fn run(ctx: &RunContext, cli: &Cli) -> Outcome<()> {
    match &cli.experiment {
        Experiment::Amdahl(args) => amdahl::run(ctx, &cli.common, args),
    }
}
