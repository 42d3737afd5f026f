//! The command line: the top-level command built from the experiment registry and the tools
//! (the options every experiment shares live in `options`, below the experiments).

use crate::experiments::{self, Invocation};
use crate::tools::report::ReportArgs;
use crate::tools::schema::SchemaArgs;
use clap::{Args, ColorChoice, FromArgMatches};

/// A parsed command line.
pub enum Cli {
    /// An experiment, ready to run on every rank.
    Experiment(Box<dyn Invocation>),
    /// `parahpc report`: runs on rank 0 alone.
    Report(ReportArgs),
    /// `parahpc schema`: runs on rank 0 alone.
    Schema(SchemaArgs),
}

/// The whole command: one subcommand per registered experiment, then the tools.
pub fn command() -> clap::Command {
    let tools = [
        ReportArgs::augment_args(clap::Command::new("report")),
        SchemaArgs::augment_args(clap::Command::new("schema")),
    ];
    clap::Command::new("parahpc")
        .version(env!("CARGO_PKG_VERSION"))
        // Plain text always: OpenMPI hands ranks a pty, so colour would end up in job logs.
        .color(ColorChoice::Never)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .about("How parallel is my machine, and my code, really? Measured lessons of parallel computing.")
        .long_about(
            "How parallel is my machine, and my code, really?\n\n\
             parahpc turns the classic lessons of parallel computing into measured experiments on \
             your own hardware. It is one SPMD program: launch it with mpirun or srun (or alone, as \
             one rank). Each subcommand is one experiment; it prints what it measured next to what \
             the lesson predicts and writes every result, with the full run context, to an HDF5 file. \
             The lessons come from G. Pegliasco, \"Présentation du Parallélisme et mise en œuvre avec \
             Python\", CNRS, 2017.\n\n\
             Example:  mpirun -n 4 parahpc amdahl",
        )
        .after_help("Run 'parahpc <COMMAND> --help' for what an experiment measures and teaches.")
        .subcommands(experiments::ALL.iter().map(|e| e.command()))
        .subcommands(tools)
}

impl Cli {
    pub fn try_parse() -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::env::args_os())
    }

    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = command().try_get_matches_from(args)?;
        let (name, sub) = matches.subcommand().expect("a subcommand is required");
        match name {
            "report" => Ok(Cli::Report(ReportArgs::from_arg_matches(sub)?)),
            "schema" => Ok(Cli::Schema(SchemaArgs::from_arg_matches(sub)?)),
            _ => experiments::find(name).expect("clap accepts only registered names").parse(sub).map(Cli::Experiment),
        }
    }

    /// The MPI thread level the command needs (see `Experiment::THREAD_LEVEL`); the tools run
    /// on one rank and need none.
    pub fn thread_level(&self) -> mpi::Threading {
        match self {
            Cli::Experiment(e) => e.thread_level(),
            Cli::Report(_) | Cli::Schema(_) => mpi::Threading::Single,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::one_line_error;

    /// The error a command line gets (a parsed `Cli` has no Debug for `unwrap_err`).
    pub fn error_of(args: &[&str]) -> clap::Error {
        match Cli::try_parse_from(args) {
            Err(e) => e,
            Ok(_) => panic!("{args:?} was accepted"),
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_experiment_is_a_subcommand_with_help() {
        let cmd = command();
        for e in experiments::ALL {
            let sub = cmd.find_subcommand(e.name()).unwrap_or_else(|| panic!("{} is not a subcommand", e.name()));
            assert!(sub.get_about().is_some() && sub.get_long_about().is_some(), "{} lacks help", e.name());
        }
    }

    #[test]
    fn errors_fit_on_one_line_with_what_is_accepted() {
        let line = one_line_error(&error_of(&["parahpc", "amdahl", "--kernel", "bogus"]));
        assert!(line.contains("'bogus'") && line.contains("possible values: spin, stream, sleep"), "{line}");
        let typo = one_line_error(&error_of(&["parahpc", "amdhal"]));
        assert!(typo.contains("did you mean 'amdahl'?"), "{typo}");
        assert!(!typo.contains('\n'));
    }

    #[test]
    fn negative_work_reaches_the_range_check() {
        let err = error_of(&["parahpc", "amdahl", "--work", "-1"]);
        assert!(err.to_string().contains("positive number of seconds"), "{err}");
    }
}
