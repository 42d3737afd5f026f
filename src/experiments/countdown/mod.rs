//! `parahpc countdown`: the course's GIL experiment rebuilt. countdown(10^8) twice, serially, with
//! threads, with ranks, and with ranks × threads. In CPython threads did not help (7.9 s
//! serially, 8.0 s with 2 threads) and processes did (4.2 s); here threads scale too.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::countdown::countdown;
use crate::model::stats::Summary;
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::CountdownArgs;

/// The GIL experiment: counting down serially, with threads, with ranks, with both.
pub struct Countdown;

impl Experiment for Countdown {
    const NAME: &'static str = "countdown";
    type Args = CountdownArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "countdown",
        about: "One row per mode.",
        datasets: &[
            field("mode", "1", "`serial`, `threads`, `ranks` or `ranks × threads`"),
            field("ranks", "1", "ranks counting"),
            field("threads", "1", "threads per rank counting"),
            field("time_min_s", "s", "fastest run"),
            field("time_median_s", "s", "median run"),
            field("time_max_s", "s", "slowest run"),
            field("speedup", "1", "serial median / this median"),
        ],
        attributes: &[
            field("n", "1", "decrements per countdown"),
            field("jobs", "1", "countdowns per mode"),
            field("repeats", "1", "timed runs per mode"),
            field("validated", "1", "1: every countdown reached zero and every job ran once"),
            field("python_reference", "", "what CPython measured in the course"),
        ],
    }];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--n", &share.count(1.5e9, 1e6)]))
    }

    fn common(args: &CountdownArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &CountdownArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &CountdownArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }
}

/// A way of running the jobs: how many ranks, and threads per rank.
struct Mode {
    name: &'static str,
    ranks: usize,
    threads: usize,
}

/// The modes this job can show: threads need two per rank, ranks need two ranks.
fn modes(ranks: usize, threads: usize) -> Vec<Mode> {
    let mut v = vec![Mode { name: "serial", ranks: 1, threads: 1 }];
    if threads > 1 {
        v.push(Mode { name: "threads", ranks: 1, threads });
    }
    if ranks > 1 {
        v.push(Mode { name: "ranks", ranks, threads: 1 });
    }
    if ranks > 1 && threads > 1 {
        v.push(Mode { name: "ranks × threads", ranks, threads });
    }
    v
}

/// Job `j` of `jobs` belongs to worker `j % workers`: this worker's share.
fn my_jobs(jobs: usize, workers: usize, worker: usize) -> usize {
    (jobs + workers - 1 - worker) / workers
}

/// One timed run of `mode`: every worker counts down its jobs; returns the wall time, the sum of
/// what the countdowns left (must be 0) and the jobs done (must be all of them).
fn run_mode(ctx: &RunContext, pool: &rayon::ThreadPool, mode: &Mode, jobs: usize, n: u64) -> (f64, u64, u64) {
    ctx.world.barrier();
    let t0 = mpi::time();
    let (mut left, mut done) = (0u64, 0u64);
    if ctx.rank < mode.ranks {
        // Worker threads get the rank number only: they never touch MPI.
        let rank = ctx.rank;
        // Test hook: the first worker skips a job, which the check must catch.
        let skip = crate::run::failure::injected("skip-countdown");
        let results: Vec<(u64, u64)> = pool.broadcast(|t| {
            if t.index() >= mode.threads {
                return (0, 0);
            }
            let worker = rank * mode.threads + t.index();
            let mine =
                my_jobs(jobs, mode.ranks * mode.threads, worker).saturating_sub(usize::from(skip && worker == 0));
            // A stop ends the run within a millisecond; the caller drops the run.
            let stopping = || crate::run::signals::received().is_some();
            let ran: Vec<u64> = (0..mine).map_while(|_| (!stopping()).then(|| countdown(n, &stopping))).collect();
            (ran.iter().sum(), ran.len() as u64)
        });
        left = results.iter().map(|r| r.0).sum();
        done = results.iter().map(|r| r.1).sum();
    }
    let (mut total_left, mut total_done) = (0u64, 0u64);
    ctx.world.all_reduce_into(&left, &mut total_left, SystemOperation::sum());
    ctx.world.all_reduce_into(&done, &mut total_done, SystemOperation::sum());
    (mpi::time() - t0, total_left, total_done)
}

fn run(ctx: &RunContext, args: &CountdownArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let modes = modes(ctx.size, ctx.threads);
    let jobs = if args.scale { ctx.size * ctx.threads } else { args.repeat };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctx.threads)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {} threads: {e}", ctx.threads))?;
    // One untimed run to warm clocks and threads.
    run_mode(ctx, &pool, &modes[0], 1, args.n.min(1_000_000));

    recorder.expect(modes.len(), "modes");
    let mut rows = Vec::new();
    let mut stopped = None;
    'modes: for mode in &modes {
        let mut times = Vec::new();
        for _ in 0..args.repeats {
            let (time, left, done) = run_mode(ctx, &pool, mode, jobs, args.n);
            if let Some(signal) = ctx.stop_requested() {
                stopped = Some(signal);
                break 'modes;
            }
            if left != 0 || done != jobs as u64 {
                return Err(Failure::failed(format!(
                    "validation failed in mode {}: {done} of {jobs} countdowns done, {left} left over",
                    mode.name
                )));
            }
            times.push(time);
        }
        rows.push((mode, Summary::of(&times).expect("at least one repeat")));
        if let Some(signal) = recorder.step(ctx, rows.len(), || Results::complete(table(ctx, &rows, args, jobs)))? {
            stopped = Some(signal);
            break;
        }
    }

    let tables = table(ctx, &rows, args, jobs);
    if let Some(t) = tables.first() {
        print!("{}", console::render(t));
        let serial = rows[0].1.median;
        let threads = rows.iter().find(|(m, _)| m.name == "threads");
        println!(
            "{}",
            match threads {
                Some((m, s)) => format!(
                    "Threads scale here: {} threads ran {jobs} countdowns ×{} faster than one. No interpreter lock: in CPython 2 threads took 8.0 s against 7.9 s serially, and only processes helped (4.2 s).",
                    m.threads,
                    console::format_number(serial / s.median)
                ),
                None => "No thread mode: each rank has one thread here (give --threads 2, or bind ranks to more CPUs). In CPython 2 threads took 8.0 s against 7.9 s serially, and only processes helped (4.2 s).".to_string(),
            }
        );
    }
    let mut results = Results::complete(tables);
    results.stopped = stopped.map(|s| recorder.stopped(s, rows.len()));
    Ok(results)
}

/// Rank 0's table of the modes measured (none elsewhere, or before any mode completed).
fn table(ctx: &RunContext, rows: &[(&Mode, Summary)], args: &CountdownArgs, jobs: usize) -> Vec<Table> {
    let mut tables = Vec::new();
    if ctx.is_root() && !rows.is_empty() {
        let serial = rows[0].1.median;
        let mut t = Table::new("countdown");
        t.column("mode", "1", Values::Str(rows.iter().map(|(m, _)| m.name.to_string()).collect()))
            .column("ranks", "1", Values::U64(rows.iter().map(|(m, _)| m.ranks as u64).collect()))
            .column("threads", "1", Values::U64(rows.iter().map(|(m, _)| m.threads as u64).collect()))
            .column("time_min_s", "s", Values::F64(rows.iter().map(|(_, s)| s.min).collect()))
            .column("time_median_s", "s", Values::F64(rows.iter().map(|(_, s)| s.median).collect()))
            .column("time_max_s", "s", Values::F64(rows.iter().map(|(_, s)| s.max).collect()))
            .column("speedup", "1", Values::F64(rows.iter().map(|(_, s)| serial / s.median).collect()));
        t.attr("n", AttrValue::U64(args.n))
            .attr("jobs", AttrValue::U64(jobs as u64))
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("validated", AttrValue::U64(1))
            .attr(
                "python_reference",
                AttrValue::Str(
                    "CPython, countdown(10**8) twice: 7.9 s serially, 8.0 s with 2 threads, 4.2 s with 2 processes"
                        .into(),
                ),
            );
        tables.push(t);
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_has_exactly_one_worker() {
        for (jobs, workers) in [(2, 1), (2, 4), (7, 3), (8, 8)] {
            assert_eq!((0..workers).map(|w| my_jobs(jobs, workers, w)).sum::<usize>(), jobs);
        }
        assert_eq!(modes(1, 1).len(), 1);
        assert_eq!(
            modes(2, 2).iter().map(|m| m.name).collect::<Vec<_>>(),
            ["serial", "threads", "ranks", "ranks × threads"]
        );
    }
}
