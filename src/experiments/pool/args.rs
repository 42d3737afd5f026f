//! `parahpc pool`: its command line.

use crate::options::{CommonArgs, ThreadArgs, parse_count, parse_iterations};
use clap::{Args, ValueEnum};

/// A task farm: the ranks take chunks of tasks from rank 0, which checks every result.
#[derive(Args, Debug, Clone)]
#[command(long_about = "A task farm: the ranks take chunks of tasks from rank 0, which checks every result.\n\n\
    The lesson: multiprocessing.Pool, a Managers queue or Celery workers are one pattern, a \
    master handing tasks to workers. Its cost is one message per chunk: in CPython, \
    Pool(2).map(carre, range(200000)) did 83 000 tasks/s with chunksize=1 and 7.3 million with \
    chunksize=1000. pool is that farm over MPI: rank 0 dispatches (static: chunks dealt \
    round-robin up front; dynamic: a chunk to whoever asks, as Pool.map does; guided: chunks \
    shrinking with the work left) and checks every result as it arrives, in task order \
    (--ordered, like map) or as it comes (like imap_unordered); the other ranks work, each with \
    its threads (launched alone, rank 0 works). Workers take chunks from a next-task counter on \
    rank 0 with one MPI atomic each (MPI_Fetch_and_op; in shared memory on one node), as Pool's \
    workers take them from one shared queue, and send each chunk's results to rank 0. It reports tasks/s (min/median/max over \
    --repeats), per-worker tasks, chunks, busy and initializer time, load imbalance (busiest \
    worker over the mean), worker time per task spent outside tasks (the farm's overhead), time \
    to the first result and, ordered, how many results waited for an earlier one.\n\n\
    Every task must come back exactly once with its answer, or the run fails; a task that panics \
    is reported with its id and rank, and the farm stops cleanly.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc pool --tasks 200000 --chunksize 1\n  \
    mpirun -n 4 parahpc pool --task spin-us --spin-us 100 --random-spin --schedule guided")]
pub struct PoolArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Tasks, numbered 0..N
    #[arg(long, value_name = "N", default_value_t = 200_000, value_parser = parse_iterations)]
    pub tasks: u64,

    /// Tasks per chunk (per message) [default: Pool.map's, tasks / (4 × workers) rounded up]
    #[arg(long, value_name = "K", value_parser = parse_iterations)]
    pub chunksize: Option<u64>,

    /// How chunks are handed out
    #[arg(long, value_enum, default_value_t = crate::kernels::pool::Schedule::Dynamic)]
    pub schedule: crate::kernels::pool::Schedule,

    /// What each task does
    #[arg(long, value_enum, default_value_t = PoolTask::Square)]
    pub task: PoolTask,

    /// spin-us tasks: µs each (the mean, with --random-spin)
    #[arg(long, value_name = "US", default_value_t = 100, value_parser = parse_iterations)]
    pub spin_us: u64,

    /// spin-us tasks: durations uniform in 0..=2 × --spin-us, for an imbalanced load
    #[arg(long)]
    pub random_spin: bool,

    /// Consume results in task order (map), holding back early ones; default: as they come
    /// (imap_unordered)
    #[arg(long)]
    pub ordered: bool,

    /// Rerun a worker's initializer after this many tasks (maxtasksperchild) [default: never]
    #[arg(long, value_name = "M", value_parser = parse_iterations)]
    pub max_tasks_per_worker: Option<u64>,

    /// µs of work in each worker's initializer, timed apart from the tasks
    #[arg(long, value_name = "US", default_value_t = 1000)]
    pub init_us: u64,

    /// Timed runs (after one untimed, checked warm-up run)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolTask {
    /// id², the course's carre
    Square,
    /// busy for --spin-us µs, then a hash of the id
    SpinUs,
}

impl PoolTask {
    pub fn name(self) -> &'static str {
        match self {
            PoolTask::Square => "square",
            PoolTask::SpinUs => "spin-us",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_names_match_the_command_line() {
        for v in PoolTask::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.name());
        }
        for v in crate::kernels::pool::Schedule::value_variants() {
            assert_eq!(v.to_possible_value().unwrap().get_name(), v.name());
        }
    }
}
