//! parahpc: one SPMD binary, launched by mpirun or srun (or alone as one rank), that measures
//! the classic lessons of parallel computing and records every result in HDF5.

mod cli;
mod experiments;
mod kernels;
mod machine;
mod model;
// Our MPI plumbing; the rsmpi crate is `::mpi` in this file.
mod mpi;
mod options;
mod output;
mod report;
mod run;
mod tools;

use ::mpi::traits::*;
use ::mpi::Threading;
use clap::error::ErrorKind;
use cli::Cli;
use run::context::RunContext;
use run::failure::{self, Failure};
use run::signals;

/// A panic anywhere (a rayon worker included) takes the whole job down instead of leaving the
/// other ranks waiting in a collective. Installed on the main thread, once MPI is up.
fn abort_job_on_panic(provided: Threading) {
    let main_thread = std::thread::current().id();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A task farm reports its tasks' panics itself, with the task id, and ends cleanly.
        if failure::panics_are_caught() {
            return;
        }
        default(info);
        if std::thread::current().id() == main_thread || provided == Threading::Multiple {
            // SAFETY: MPI is initialised for the whole life of main, and this thread may call
            // it (the main thread, or any thread at MPI_THREAD_MULTIPLE); MPI_Abort does not return.
            unsafe {
                ::mpi::ffi::MPI_Abort(::mpi::ffi::RSMPI_COMM_WORLD, 101);
            }
        }
        // Below MPI_THREAD_MULTIPLE another thread may not call MPI at all: the rank ends by a
        // signal instead, and the launcher (mpirun, mpiexec, srun) ends the job with it.
        std::process::abort();
    }));
}

/// The tools need no run context and run on rank 0 alone; experiments run on every rank.
fn run(world: ::mpi::topology::SimpleCommunicator, cli: &Cli, thread_level: Threading) -> failure::Outcome<()> {
    match cli {
        Cli::Experiment(e) => RunContext::new(world, e.threads(), thread_level).and_then(|ctx| e.run(&ctx)),
        _ if world.rank() != 0 => Ok(()),
        Cli::Report(args) => tools::report::run(args),
        Cli::Schema(args) => tools::schema::print(args).map_err(failure::Failure::usage),
    }
}

fn main() {
    // Parsing needs no MPI, and the command decides the thread level; errors are printed below,
    // once MPI says which rank prints them.
    let parsed = Cli::try_parse();
    failure::read_injected_fault();
    let requested = parsed.as_ref().map_or(Threading::Single, Cli::thread_level);
    let Some((universe, provided)) = ::mpi::initialize_with_threading(requested) else {
        eprintln!("parahpc: error: MPI could not be initialised");
        std::process::exit(1);
    };
    abort_job_on_panic(provided);
    signals::install();
    let world = universe.world();
    let rank = world.rank();
    if provided < requested && rank == 0 {
        eprintln!("parahpc: warning: the MPI library provides thread level {provided:?}, not {requested:?}");
    }

    let code = match parsed {
        Err(e) => {
            if rank == 0 {
                match e.kind() {
                    ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                        let _ = e.print();
                    }
                    // One line that names the problem, like every other parahpc error.
                    _ => eprintln!("parahpc: {}", options::one_line_error(&e)),
                }
            }
            e.exit_code()
        }
        Ok(cli) => match run(world, &cli, provided) {
            Ok(()) => 0,
            Err(Failure::Collective { message, exit_code }) => {
                if rank == 0 {
                    eprintln!("parahpc: error: {message}");
                }
                exit_code
            }
            Err(Failure::Fatal(e)) => {
                let host = ::mpi::environment::processor_name().unwrap_or_default();
                eprintln!("parahpc: error on rank {rank} ({host}): {e:#}");
                universe.world().abort(failure::EXIT_FAILED)
            }
        },
    };
    drop(universe); // MPI_Finalize
    std::process::exit(code);
}
