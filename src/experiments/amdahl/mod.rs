//! `parahpc amdahl`: the strong-scaling (or, with --weak, Gustafson's weak-scaling) curve of
//! this machine in one launch, with the fitted serial fraction and the Amdahl ceiling.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use std::ops::Range;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::{
    self,
    sleep::Sleep,
    spin::Spin,
    stream::{Triad, BYTES_PER_ITERATION},
    Work,
};
use crate::machine;
use crate::model::scaling_laws::{self, SerialFractionFit};
use crate::model::stats::Summary;
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, PerRankRows, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::{gib, RunContext};
use crate::run::failure::{Failure, Outcome};
use crate::run::progress::Progress;

use super::doubling_up_to;
use super::Experiment;

use args::{AmdahlArgs, KernelKind, Sweep};

/// Amdahl's law, measured: the strong-scaling (or Gustafson's weak-scaling) curve in one launch.
pub struct Amdahl;

impl Experiment for Amdahl {
    const NAME: &'static str = "amdahl";
    type Args = AmdahlArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "amdahl",
            about: "One row per sweep point, fewest workers first; the first is the baseline.",
            datasets: &[
                field("ranks", "1", "ranks of the point"),
                field("threads", "1", "threads per rank of the point"),
                field("time_min_s", "s", "wall time of one run, fastest of the repeats"),
                field("time_median_s", "s", "wall time of one run, median of the repeats"),
                field("time_max_s", "s", "wall time of one run, slowest of the repeats"),
                field(
                    "speedup",
                    "1",
                    "baseline median / this median (weak: scaled speedup (t_serial + n·t_parallel) / T(n))",
                ),
                field("efficiency", "1", "speedup / n, n = workers / baseline workers"),
                field(
                    "amdahl_predicted_speedup",
                    "1",
                    "1 / (f + (1 − f)/n) with the fitted f (weak: Gustafson's f + (1 − f)·n)",
                ),
                field("karp_flatt", "1", "(1/S − 1/n) / (1 − 1/n); NaN for the baseline and in weak mode"),
            ],
            attributes: &[
                field("kernel", "", "`spin`, `stream` or `sleep`"),
                field("mode", "", "`strong` or `weak`"),
                field("sweep", "", "`ranks`, `threads` or `both`"),
                field("serial_fraction_requested", "1", "--serial-fraction"),
                field("serial_fraction_fit", "1", "the serial fraction f fitted to the medians"),
                field("serial_fraction_fit_stderr", "1", "its standard error; NaN with two points"),
                field("speedup_ceiling", "1", "1/f; infinite in weak mode"),
                field("baseline_time_fit_s", "s", "the fitted one-worker time T1; NaN in weak mode"),
                field("work_s", "s", "--work: the workload's time on the baseline"),
                field("repeats", "1", "timed runs per point"),
                field("warmup", "1", "untimed runs per point"),
                field("baseline_workers", "1", "workers (ranks × threads) of the baseline"),
                field("seconds_per_iteration", "s", "the kernel's calibrated time per iteration, one worker"),
                field("serial_iterations", "1", "iterations of the serial phase"),
                field("parallel_iterations", "1", "iterations of the parallel phase (strong: the total; weak: per worker)"),
                field("checksum", "1", "the combined checksum every point reproduced"),
                field("worker_rate", "", "spin and stream: one worker's rate during calibration"),
                field("worker_rate_units", "", "spin and stream: `GFLOP/s` or `GB/s`"),
                field("array_bytes_per_worker", "B", "stream: bytes of one worker's three arrays"),
            ],
        },
        Group {
            path: "amdahl/per_rank",
            about: "One row per rank, gathered to rank 0.",
            datasets: &[field(
                "parallel_phase_median_s",
                "s",
                "ranks × points: each rank's median time in the parallel phase, NaN where it sat out",
            )],
            attributes: &[],
        },
    ];

    fn idle_option(args: &AmdahlArgs, given: &dyn Fn(&str) -> bool) -> Option<String> {
        (given("array_bytes") && args.kernel != KernelKind::Stream).then(|| {
            format!("--array-bytes sizes the stream kernel's arrays: it does nothing with --kernel {}", args.kernel.name())
        })
    }

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        let work = format!("{:.2}", 1.9 * share.k);
        Some(super::options(&["--kernel", "spin", "--work", &work, "--repeats", "2"]))
    }

    fn not_applicable(ctx: &RunContext) -> Option<String> {
        // One worker in all: no curve to fit (with options, `plan_sweep` says which are missing).
        (ctx.size * ctx.threads < 2).then(|| {
            "amdahl fits a scaling curve and needs two workers at least: launch more ranks (mpirun -n 2) or give \
             each rank threads (--threads 2)"
                .into()
        })
    }

    fn common(args: &AmdahlArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &AmdahlArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &AmdahlArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// Serial-phase iterations are numbered from here, so they never coincide with parallel ones.
const SERIAL_BASE: u64 = 1 << 62;
/// How long calibration measures the kernel for.
const CALIBRATION_SECONDS: f64 = 0.2;

/// One configuration of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub ranks: usize,
    pub threads: usize,
}

impl Point {
    pub fn workers(self) -> usize {
        self.ranks * self.threads
    }

    fn describe(self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        format!("{} × {}", plural(self.ranks, "rank"), plural(self.threads, "thread"))
    }
}

/// The configurations to measure, fewest workers first. The first is the baseline that
/// speedups are relative to.
pub fn plan_sweep(sweep: Sweep, world: usize, threads: usize, ranks: Option<&[usize]>) -> Result<Vec<Point>, String> {
    let rank_counts = match ranks {
        None => doubling_up_to(world),
        Some(_) if sweep == Sweep::Threads => {
            return Err("--ranks chooses rank counts for --sweep ranks or both, not --sweep threads".into())
        }
        Some(list) => {
            if let Some(&r) = list.iter().find(|&&r| r > world) {
                return Err(format!(
                    "--ranks {r}: this job has only {world} rank{}; launch with mpirun -n {r} or choose counts up to {world}",
                    if world == 1 { "" } else { "s" }
                ));
            }
            let mut v = list.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        }
    };
    let mut points: Vec<Point> = match sweep {
        Sweep::Ranks => rank_counts.iter().map(|&r| Point { ranks: r, threads }).collect(),
        Sweep::Threads => doubling_up_to(threads).into_iter().map(|t| Point { ranks: world, threads: t }).collect(),
        Sweep::Both => rank_counts
            .iter()
            .flat_map(|&r| doubling_up_to(threads).into_iter().map(move |t| Point { ranks: r, threads: t }))
            .collect(),
    };
    points.sort_by_key(|p| (p.workers(), p.ranks));
    if points.first().map(|p| p.workers()) == points.last().map(|p| p.workers()) {
        return Err(format!(
            "nothing to sweep: {} is a single point; launch more ranks (mpirun -n 4 parahpc amdahl) \
             or give each rank threads (--threads 4 --sweep threads)",
            Point { ranks: world, threads }.describe()
        ));
    }
    Ok(points)
}

/// The iteration range of worker `w` of `workers` when `total` iterations are shared.
fn share(total: u64, w: usize, workers: usize) -> Range<u64> {
    let at = |k: usize| (total as u128 * k as u128 / workers as u128) as u64;
    at(w)..at(w + 1)
}

/// How much work each phase is.
#[derive(Debug, Clone, Copy)]
struct Workload {
    serial_iterations: u64,
    /// Strong scaling: the total shared by all workers. Weak: what every worker does.
    parallel_iterations: u64,
    weak: bool,
}

/// Checksums of one run, combined over the participating ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checksums {
    serial: u64,
    workers_sum: u64,
    worker_min: u64,
    worker_max: u64,
}

/// How a run's work is cut into pieces that can be abandoned: iterations per piece (about
/// `PIECE_SECONDS` of work), and whether to abandon (a stop signal arrived on this rank).
#[derive(Clone, Copy)]
struct Pieces<'a> {
    iterations: u64,
    abandon: &'a (dyn Fn() -> bool + Sync),
}

/// Work between two looks at the stop flag: a stop ends a run within this.
const PIECE_SECONDS: f64 = 0.02;

struct Run {
    elapsed: f64,
    serial_phase: f64,
    busy: f64,
    checksums: Checksums,
}

/// One timed run of `point` on the ranks of `sub`: serial phase on rank 0 while the others wait
/// for its result, then the parallel phase on every rank's threads. A stop abandons the work but
/// not the collectives, so every rank still makes the same MPI calls; the caller drops the run.
fn run_once(
    sub: &SimpleCommunicator,
    pool: &rayon::ThreadPool,
    work: &dyn Work,
    point: Point,
    load: Workload,
    lose_iteration: bool,
    pieces: Pieces,
) -> Run {
    let root = sub.process_at_rank(0);
    let rank = sub.rank() as usize;
    sub.barrier();
    let t0 = mpi::time();
    let mut serial = 0u64;
    if rank == 0 {
        let range = SERIAL_BASE..SERIAL_BASE + load.serial_iterations;
        serial = work.run_abandonable(0, range, pieces.iterations, pieces.abandon).unwrap_or(0);
    }
    root.broadcast_into(&mut serial);
    let t_serial = mpi::time();
    let per_thread: Vec<Option<u64>> = pool.broadcast(|thread| {
        let j = thread.index();
        (j < point.threads).then(|| {
            let worker = rank * point.threads + j;
            let mut range = if load.weak {
                0..load.parallel_iterations
            } else {
                share(load.parallel_iterations, worker, point.workers())
            };
            if lose_iteration && worker + 1 == point.workers() && !range.is_empty() {
                range.end -= 1;
            }
            work.run_abandonable(j, range, pieces.iterations, pieces.abandon).unwrap_or(0)
        })
    });
    let t_busy = mpi::time();
    let mine: Vec<u64> = per_thread.into_iter().flatten().collect();
    let local_sum = mine.iter().fold(0u64, |a, &c| a.wrapping_add(c));
    let mut workers_sum = 0u64;
    // Combining the results also closes the timed region: no rank passes it before all are done.
    sub.all_reduce_into(&local_sum, &mut workers_sum, SystemOperation::sum());
    let t1 = mpi::time();
    // Weak scaling checks every worker against the reference; every rank takes this branch alike.
    let (mut worker_min, mut worker_max) = (0u64, 0u64);
    if load.weak {
        sub.all_reduce_into(mine.iter().min().unwrap_or(&u64::MAX), &mut worker_min, SystemOperation::min());
        sub.all_reduce_into(mine.iter().max().unwrap_or(&0), &mut worker_max, SystemOperation::max());
    }
    Run {
        elapsed: t1 - t0,
        serial_phase: t_serial - t0,
        busy: t_busy - t_serial,
        checksums: Checksums { serial, workers_sum, worker_min, worker_max },
    }
}

/// Rank 0's verdict on one run's checksums against the first run's.
fn verify(c: Checksums, reference: &Checksums, load: Workload, point: Point) -> Result<(), String> {
    let ok = if load.weak {
        // Every worker did the same work, so every worker's checksum is the reference one.
        c.worker_min == c.worker_max && c.worker_min == reference.worker_min && c.serial == reference.serial
    } else {
        c.serial.wrapping_add(c.workers_sum) == reference.serial.wrapping_add(reference.workers_sum)
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "verification failed on {}: checksum {:#018x} differs from {:#018x}; work was lost or done twice",
            point.describe(),
            c.serial.wrapping_add(c.workers_sum),
            reference.serial.wrapping_add(reference.workers_sum)
        ))
    }
}

struct Measured {
    point: Point,
    times: Summary,
    serial_phase_median: f64,
}

fn default_array_bytes() -> u64 {
    machine::last_level_cache_bytes().map_or(0, |llc| 2 * llc).max(64 << 20)
}

/// Builds the kernel; the stream kernel's arrays are checked against free memory on every node
/// before any is allocated, then first-touched by the threads that use them.
fn build_kernel(
    ctx: &RunContext,
    args: &AmdahlArgs,
    pool: &rayon::ThreadPool,
    slots: usize,
) -> Outcome<(Box<dyn Work>, Option<u64>)> {
    match args.kernel {
        KernelKind::Spin => Ok((Box::new(Spin), None)),
        KernelKind::Sleep => Ok((Box::new(Sleep), None)),
        KernelKind::Stream => {
            let per_slot = Triad::slot_bytes(args.array_bytes.unwrap_or_else(default_array_bytes));
            let hint = format!("{:.1} GiB per worker: lower --array-bytes or use fewer workers", gib(per_slot));
            ctx.check_node_memory(slots as u64 * per_slot, "--kernel stream", &hint)?;
            let triad = Triad::new(slots, per_slot);
            pool.broadcast(|t| {
                if t.index() < slots {
                    triad.init_slot(t.index())
                }
            });
            Ok((Box::new(triad), Some(per_slot)))
        }
    }
}

/// What one worker achieved during calibration, in the unit that bounds the kernel.
fn worker_rate(kernel: KernelKind, seconds_per_iteration: f64) -> Option<(f64, &'static str)> {
    match kernel {
        KernelKind::Spin => Some((Spin::FLOPS_PER_ITERATION as f64 / seconds_per_iteration / 1e9, "GFLOP/s")),
        KernelKind::Stream => Some((BYTES_PER_ITERATION as f64 / seconds_per_iteration / 1e9, "GB/s")),
        KernelKind::Sleep => None,
    }
}

fn run(ctx: &RunContext, args: &AmdahlArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let common = &args.common;
    let sweep = args.sweep.unwrap_or(if ctx.size > 1 { Sweep::Ranks } else { Sweep::Threads });
    let points = plan_sweep(sweep, ctx.size, ctx.threads, args.ranks.as_deref()).map_err(Failure::usage)?;

    let max_threads = points.iter().map(|p| p.threads).max().unwrap_or(1);
    let max_ranks = points.iter().map(|p| p.ranks).max().unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(max_threads)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {max_threads} threads: {e}"))?;
    let slots = if ctx.rank < max_ranks { max_threads } else { 0 };
    let (work, array_bytes) = build_kernel(ctx, args, &pool, slots)?;

    // Calibrate once, on rank 0, with one thread; everyone uses its figure.
    let mut seconds_per_iteration =
        if ctx.is_root() { kernels::calibrate(work.as_ref(), CALIBRATION_SECONDS) } else { 0.0 };
    ctx.world.process_at_rank(0).broadcast_into(&mut seconds_per_iteration);
    let baseline = points[0];
    let f = args.serial_fraction;
    let load = Workload {
        serial_iterations: (f * args.work / seconds_per_iteration).round() as u64,
        parallel_iterations: if args.weak {
            ((1.0 - f) * args.work / seconds_per_iteration).round() as u64
        } else {
            ((1.0 - f) * args.work * baseline.workers() as f64 / seconds_per_iteration).round() as u64
        },
        weak: args.weak,
    };
    let mode = if args.weak { "weak" } else { "strong" };
    let rate = worker_rate(args.kernel, seconds_per_iteration)
        .map_or(String::new(), |(r, unit)| format!(" ({r:.2} {unit} per worker)"));
    let runs_per_point = (args.warmup + args.repeats) as u64;
    let progress = Progress::new("amdahl", points.len() as u64 * runs_per_point, ctx.is_root() && !common.quiet);
    progress.line(&format!(
        "{mode} scaling, kernel {}, serial fraction {f} of {} s on {}; {:.3e} s per iteration{rate}; \
         {} serial and {} parallel iterations{}",
        args.kernel.name(),
        args.work,
        baseline.describe(),
        seconds_per_iteration,
        load.serial_iterations,
        load.parallel_iterations,
        if args.weak { " per worker" } else { "" },
    ));

    // Test hook: the last worker skips one iteration on the last point.
    let inject_fault = crate::run::failure::injected("lose-iteration");
    let abandon = || crate::run::signals::received().is_some();
    let pieces = Pieces { iterations: (PIECE_SECONDS / seconds_per_iteration).ceil() as u64, abandon: &abandon };
    recorder.expect(points.len(), "points");
    let mut measured = Vec::new();
    let mut my_busy = Vec::new();
    let mut reference: Option<Checksums> = None;
    let mut stopped = None;
    // The tables (rank 0's) and per-rank rows of the points completed so far.
    let results = |measured: &[Measured], my_busy: &[f64], reference: Option<Checksums>| {
        let mut tables = Vec::new();
        if let (true, Some(reference)) = (ctx.is_root() && !measured.is_empty(), reference) {
            tables.push(analyse(measured, args, sweep, seconds_per_iteration, load, reference, array_bytes).0);
        }
        // Every rank stopped after the same run, so each holds one entry per completed point.
        let per_rank = if my_busy.is_empty() {
            Vec::new()
        } else {
            let row = my_busy.to_vec();
            vec![PerRankRows { group: "amdahl/per_rank".into(), name: "parallel_phase_median_s", units: "s", row }]
        };
        Results { tables, per_rank, stopped: None, verdict: None }
    };
    'points: for &point in &points {
        let participating = ctx.rank < point.ranks;
        let color = if participating { Color::with_value(0) } else { Color::undefined() };
        let sub = ctx.world.split_by_color(color);
        let (mut times, mut serial_phases, mut busy) = (Vec::new(), Vec::new(), Vec::new());
        let mut verdict = Ok(());
        for rep in 0..args.warmup + args.repeats {
            let lose_iteration = inject_fault && Some(&point) == points.last();
            let run = sub.as_ref().map(|sub| run_once(sub, &pool, work.as_ref(), point, load, lose_iteration, pieces));
            // Idle ranks make the same calls, so every rank stops after the same run; a run cut
            // short is not a measurement, and a point cut short is dropped.
            if let Some(signal) = ctx.stop_requested() {
                stopped = Some(signal);
                break 'points;
            }
            if let Some(run) = run {
                let reference = *reference.get_or_insert(run.checksums);
                if ctx.is_root() && verdict.is_ok() {
                    verdict = verify(run.checksums, &reference, load, point);
                }
                progress.advance();
                if rep >= args.warmup {
                    times.push(run.elapsed);
                    serial_phases.push(run.serial_phase);
                    busy.push(run.busy);
                }
            }
        }
        ctx.agree(verdict.map_err(Failure::failed))?;
        my_busy.push(Summary::of(&busy).map_or(f64::NAN, |s| s.median));
        if ctx.is_root() {
            let times = Summary::of(&times).expect("rank 0 takes part in every point");
            progress.line(&format!("{}: median {:.4} s over {} runs", point.describe(), times.median, args.repeats));
            let serial_phase_median = Summary::of(&serial_phases).map_or(f64::NAN, |s| s.median);
            measured.push(Measured { point, times, serial_phase_median });
        }
        if let Some(signal) = recorder.step(ctx, my_busy.len(), || results(&measured, &my_busy, reference))? {
            stopped = Some(signal);
            break;
        }
    }
    drop(progress);
    if ctx.is_root() && !measured.is_empty() {
        let reference = reference.expect("rank 0 ran every completed point");
        let (table, lesson) = analyse(&measured, args, sweep, seconds_per_iteration, load, reference, array_bytes);
        print!("{}", console::render(&table));
        println!("{lesson}");
    }
    let mut results = results(&measured, &my_busy, reference);
    results.stopped = stopped.map(|s| recorder.stopped(s, my_busy.len()));
    Ok(results)
}

/// The result table and the lesson in one line, from rank 0's measurements.
fn analyse(
    measured: &[Measured],
    args: &AmdahlArgs,
    sweep: Sweep,
    seconds_per_iteration: f64,
    load: Workload,
    reference: Checksums,
    array_bytes: Option<u64>,
) -> (Table, String) {
    let base = &measured[0];
    let base_workers = base.point.workers() as f64;
    let n: Vec<f64> = measured.iter().map(|m| m.point.workers() as f64 / base_workers).collect();
    let medians: Vec<f64> = measured.iter().map(|m| m.times.median).collect();
    let speedup: Vec<f64> = if args.weak {
        // Scaled speedup: what the baseline would need for the n-times larger job, over what
        // the n-times larger configuration took.
        let serial = base.serial_phase_median;
        let parallel = base.times.median - serial;
        n.iter().zip(&medians).map(|(&n, &t)| (serial + n * parallel) / t).collect()
    } else {
        medians.iter().map(|&t| base.times.median / t).collect()
    };
    let points: Vec<(f64, f64)> = if args.weak {
        n.iter().copied().zip(speedup.iter().copied()).collect()
    } else {
        n.iter().copied().zip(medians.iter().copied()).collect()
    };
    let fit = if args.weak { scaling_laws::fit_weak(&points) } else { scaling_laws::fit_strong(&points) }
        .unwrap_or(SerialFractionFit { f: f64::NAN, stderr: f64::NAN, t1: f64::NAN });
    let predicted: Vec<f64> =
        n.iter()
            .map(|&n| {
                if args.weak {
                    scaling_laws::gustafson_speedup(fit.f, n)
                } else {
                    scaling_laws::amdahl_speedup(fit.f, n)
                }
            })
            .collect();
    let karp_flatt: Vec<f64> = n
        .iter()
        .zip(&speedup)
        .map(|(&n, &s)| if args.weak { f64::NAN } else { scaling_laws::karp_flatt(s, n) })
        .collect();
    let ceiling = if args.weak || fit.f <= 0.0 { f64::INFINITY } else { 1.0 / fit.f };

    let mut t = Table::new("amdahl");
    t.column("ranks", "1", Values::U64(measured.iter().map(|m| m.point.ranks as u64).collect()))
        .column("threads", "1", Values::U64(measured.iter().map(|m| m.point.threads as u64).collect()))
        .column("time_min_s", "s", Values::F64(measured.iter().map(|m| m.times.min).collect()))
        .column("time_median_s", "s", Values::F64(medians))
        .column("time_max_s", "s", Values::F64(measured.iter().map(|m| m.times.max).collect()))
        .column("speedup", "1", Values::F64(speedup.clone()))
        .column("efficiency", "1", Values::F64(speedup.iter().zip(&n).map(|(s, n)| s / n).collect()))
        .column("amdahl_predicted_speedup", "1", Values::F64(predicted.clone()))
        .column("karp_flatt", "1", Values::F64(karp_flatt));
    t.attr("kernel", AttrValue::Str(args.kernel.name().into()))
        .attr("mode", AttrValue::Str(if args.weak { "weak" } else { "strong" }.into()))
        .attr("sweep", AttrValue::Str(sweep.name().into()))
        .attr("serial_fraction_requested", AttrValue::F64(args.serial_fraction))
        .attr("serial_fraction_fit", AttrValue::F64(fit.f))
        .attr("serial_fraction_fit_stderr", AttrValue::F64(fit.stderr))
        .attr("speedup_ceiling", AttrValue::F64(ceiling))
        .attr("baseline_time_fit_s", AttrValue::F64(fit.t1))
        .attr("work_s", AttrValue::F64(args.work))
        .attr("repeats", AttrValue::U64(args.repeats as u64))
        .attr("warmup", AttrValue::U64(args.warmup as u64))
        .attr("baseline_workers", AttrValue::U64(base.point.workers() as u64))
        .attr("seconds_per_iteration", AttrValue::F64(seconds_per_iteration))
        .attr("serial_iterations", AttrValue::U64(load.serial_iterations))
        .attr("parallel_iterations", AttrValue::U64(load.parallel_iterations))
        .attr("checksum", AttrValue::U64(reference.serial.wrapping_add(reference.workers_sum)));
    if let Some(bytes) = array_bytes {
        t.attr("array_bytes_per_worker", AttrValue::U64(bytes));
    }
    if let Some((rate, unit)) = worker_rate(args.kernel, seconds_per_iteration) {
        t.attr("worker_rate", AttrValue::F64(rate)).attr("worker_rate_units", AttrValue::Str(unit.into()));
    }

    let last = measured.len() - 1;
    let on = measured[last].point.describe();
    let error = if fit.stderr.is_nan() {
        " (exact fit through 2 points: no error estimate)".to_string()
    } else {
        format!(" ± {}", console::format_number(fit.stderr))
    };
    let lesson = if measured.len() < 2 {
        format!("only {on} was measured: fitting a serial fraction needs at least two worker counts")
    } else if args.weak {
        format!(
            "Gustafson: serial fraction {:.3}{error}; scaled speedup ×{:.2} on {on} (Gustafson predicts ×{:.2}): grow the problem with the machine and there is no ceiling",
            fit.f, speedup[last], predicted[last]
        )
    } else {
        format!(
            "serial fraction {:.3}{error} (requested {}): at most ×{:.1} on any number of workers; ×{:.2} on {on} (Amdahl predicts ×{:.2})",
            fit.f, args.serial_fraction, ceiling, speedup[last], predicted[last]
        )
    };
    (t, lesson)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(usize, usize)]) -> Vec<Point> {
        v.iter().map(|&(ranks, threads)| Point { ranks, threads }).collect()
    }

    #[test]
    fn default_rank_sweep_doubles_and_ends_at_the_job_size() {
        assert_eq!(plan_sweep(Sweep::Ranks, 9, 1, None).unwrap(), pts(&[(1, 1), (2, 1), (4, 1), (8, 1), (9, 1)]));
        assert_eq!(plan_sweep(Sweep::Ranks, 4, 2, None).unwrap(), pts(&[(1, 2), (2, 2), (4, 2)]));
    }

    #[test]
    fn explicit_rank_lists_are_sorted_and_checked() {
        assert_eq!(plan_sweep(Sweep::Ranks, 9, 1, Some(&[9, 3, 1, 3])).unwrap(), pts(&[(1, 1), (3, 1), (9, 1)]));
        let err = plan_sweep(Sweep::Ranks, 2, 1, Some(&[1, 99])).unwrap_err();
        assert!(err.contains("--ranks 99") && err.contains("only 2 ranks"), "{err}");
    }

    #[test]
    fn thread_and_hybrid_sweeps() {
        assert_eq!(plan_sweep(Sweep::Threads, 1, 4, None).unwrap(), pts(&[(1, 1), (1, 2), (1, 4)]));
        assert_eq!(plan_sweep(Sweep::Both, 2, 2, None).unwrap(), pts(&[(1, 1), (1, 2), (2, 1), (2, 2)]));
        assert!(plan_sweep(Sweep::Threads, 2, 4, Some(&[1])).is_err());
    }

    #[test]
    fn a_single_point_is_refused() {
        let err = plan_sweep(Sweep::Ranks, 1, 1, None).unwrap_err();
        assert!(err.contains("nothing to sweep"), "{err}");
        assert!(plan_sweep(Sweep::Threads, 4, 1, None).is_err());
    }

    #[test]
    fn shares_cover_the_range_exactly_once() {
        for workers in [1usize, 3, 7, 64] {
            let mut next = 0;
            for w in 0..workers {
                let r = share(1000, w, workers);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, 1000);
        }
    }

    #[test]
    fn verification_catches_a_changed_checksum() {
        let point = Point { ranks: 2, threads: 1 };
        let c = Checksums { serial: 1, workers_sum: 10, worker_min: 4, worker_max: 6 };
        let strong = Workload { serial_iterations: 1, parallel_iterations: 10, weak: false };
        assert!(verify(c, &c, strong, point).is_ok());
        let lost = Checksums { workers_sum: 9, ..c };
        assert!(verify(lost, &c, strong, point).unwrap_err().contains("verification failed"));
        // Weak scaling: every worker must reproduce the reference worker's checksum.
        let weak = Workload { weak: true, ..strong };
        let same = Checksums { serial: 1, workers_sum: 8, worker_min: 4, worker_max: 4 };
        assert!(verify(same, &same, weak, point).is_ok());
        assert!(verify(Checksums { worker_max: 5, ..same }, &same, weak, point).is_err());
    }
}
