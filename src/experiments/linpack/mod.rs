//! `parahpc linpack`: the Top500's benchmark as a lesson. HPL's algorithm (`solve`) on a P × Q
//! grid for each N of a sweep, every solve checked by HPL's residual, reported against the
//! measured peak and against what DGEMM alone reaches on every rank; N½ from the sweep.

mod args;
mod report;
mod solve;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::{gemm, linpack as k};
use crate::model::stats::Summary;
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::gemm::Grid;
use super::Experiment;

use args::{LinpackArgs, Order};
use solve::{Solved, System};

/// Linpack: HPL's LU over MPI and BLAS, checked by HPL's residual.
pub struct Linpack;

const PHASES: [&str; 5] = ["factor", "broadcast", "swap", "update", "solve"];

impl Experiment for Linpack {
    const NAME: &'static str = "linpack";
    type Args = LinpackArgs;
    // OpenBLAS's threads run beside MPI (they never call it).
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "linpack",
        about: "One row per order N solved.",
        datasets: &[
            field("n", "1", "order of the system"),
            field("nb", "1", "block size"),
            field("time_min_s", "s", "fastest solve (factorisation and U·x = y, between barriers)"),
            field("time_median_s", "s", "median solve"),
            field("time_max_s", "s", "slowest solve"),
            field("gflops", "GFLOP/s", "(2/3 N³ + 3/2 N²) / median time"),
            field("gflops_best", "GFLOP/s", "(2/3 N³ + 3/2 N²) / fastest time: HPL's figure"),
            field("fraction_of_peak", "1", "gflops_best / (peak per core × ranks × threads)"),
            field("fraction_of_dgemm", "1", "gflops_best / the DGEMM rate of all ranks at once"),
            field("residual", "1", "HPL's scaled residual of the fastest solve (every solve is checked)"),
            field("factor_s", "s", "panel factorisation, slowest rank, median solve"),
            field("broadcast_s", "s", "waiting for panels, slowest rank, median solve"),
            field("swap_s", "s", "row swaps, slowest rank, median solve"),
            field("update_s", "s", "U's block rows and trailing updates (dtrsm, dgemm), slowest rank, median solve"),
            field("solve_s", "s", "U·x = y, slowest rank, median solve"),
        ],
        attributes: &[
            field("grid", "", "the process grid PxQ"),
            field("ranks", "1", "ranks solving"),
            field("threads", "1", "threads per rank (OpenBLAS's)"),
            field("repeats", "1", "timed solves per N"),
            field("seed", "1", "seed of the random system"),
            field("rmax_gflops", "GFLOP/s", "the best rate over the sweep (the Top500's Rmax)"),
            field("rmax_n", "1", "the N at which it was reached"),
            field("n_half", "1", "N at which half of Rmax is reached, interpolated; NaN if the smallest N is above half"),
            field("peak_gflops_per_core", "GFLOP/s", "the peak fraction_of_peak divides by"),
            field("peak_source", "", "how that peak was obtained"),
            field("dgemm_gflops", "GFLOP/s", "OpenBLAS dgemm at order dgemm_n on every rank at once, summed"),
            field("dgemm_n", "1", "its matrix order"),
            field("residual_threshold", "1", "the residual a correct solve stays below"),
            field("residual_definition", "", "the residual's formula"),
            field("validated", "1", "1: every solve passed the check"),
        ],
    }];

    fn idle_option(args: &LinpackArgs, given: &dyn Fn(&str) -> bool) -> Option<String> {
        (given("memory_fraction") && !args.n.contains(&Order::Auto))
            .then(|| "--memory-fraction sizes --n auto: it does nothing with an --n list without auto".into())
    }

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        let n = (5000.0 * share.k.cbrt()).clamp(200.0, 20000.0) as usize;
        Some(super::options(&["--n", &format!("{},{},{n}", n / 4, n / 2), "--repeats", "3"]))
    }

    fn common(args: &LinpackArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &LinpackArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &LinpackArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// One order solved `repeats` times.
struct Row {
    n: usize,
    time: Summary,
    residual: f64,
    /// Each phase's slowest rank, in the median solve.
    phases: [f64; 5],
}

/// The N that fills `fraction` of the memory available to the whole job, a multiple of nb.
fn auto_order(ctx: &RunContext, fraction: f64, nb: usize) -> usize {
    // Each node's available memory, counted once (by its first rank).
    let mine = if ctx.node.rank() == 0 { crate::machine::available_memory_bytes().unwrap_or(0) } else { 0 };
    let mut total = 0u64;
    ctx.world.all_reduce_into(&mine, &mut total, SystemOperation::sum());
    let n = (fraction * total as f64 / 8.0).sqrt() as usize;
    (n / nb * nb).max(nb)
}

/// One rank's DGEMM rate at order `n` (best of three), all ranks at once, summed. A stop
/// signal cuts the repeats short (the solve then stops at its first panel).
fn dgemm_rate(ctx: &RunContext, n: usize) -> f64 {
    let (a, b) = (gemm::fill(1, 0..n, 0..n), gemm::fill(2, 0..n, 0..n));
    let mut c = vec![0.0; n * n];
    gemm::blas(&a, &b, &mut c, n, n, n);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        if ctx.stop_requested().is_some() {
            break;
        }
        ctx.world.barrier();
        let t0 = mpi::time();
        gemm::blas(&a, std::hint::black_box(&b), &mut c, n, n, n);
        best = best.min(mpi::time() - t0);
    }
    let mine = gemm::flops(n) / best / 1e9;
    let mut all = 0.0;
    ctx.world.all_reduce_into(&mine, &mut all, SystemOperation::sum());
    all
}

fn run(ctx: &RunContext, args: &LinpackArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let (p, q) = args.grid.unwrap_or_else(|| super::gemm::grid(ctx.size));
    if p * q != ctx.size {
        return Err(Failure::usage(format!("--grid {p}x{q} has {} processes but the job has {} ranks", p * q, ctx.size)));
    }
    let orders: Vec<usize> = {
        let auto = args.n.contains(&Order::Auto).then(|| auto_order(ctx, args.memory_fraction, args.nb));
        args.n.iter().map(|o| if let Order::N(n) = o { *n } else { auto.expect("computed when asked for") }).collect()
    };
    let largest = *orders.iter().max().expect("clap requires an order");
    ctx.check_node_memory(
        System::bytes(p, q, largest, args.nb),
        &format!("linpack at N = {largest} on a {p}x{q} grid"),
        "give a smaller --n (or --memory-fraction), or more ranks",
    )?;
    let blas_threads = crate::machine::blas::set_threads(ctx.threads);
    let measured = if ctx.is_root() {
        crate::machine::peak::core_peak(args.peak_gflops).map_err(Failure::failed)
    } else {
        Ok((0.0, String::new()))
    };
    let (peak, peak_source) = ctx.agree(measured)?;
    // 1024 reaches OpenBLAS's full rate, in 50 ms a call on a 50 GFLOP/s core.
    let dgemm_n = largest.clamp(64, 1024);
    let dgemm = dgemm_rate(ctx, dgemm_n);
    let g = Grid::shaped(&ctx.world, p, q);
    let corrupt = crate::run::failure::injected("corrupt-block");

    let context = Context { ctx, args, p, q, blas_threads, peak, peak_source: &peak_source, dgemm, dgemm_n };
    recorder.expect(orders.len(), "orders");
    let mut rows: Vec<Row> = Vec::new();
    let mut stopped = None;
    'sweep: for (done, &n) in orders.iter().enumerate() {
        let mut system = System::new(&g, n, args.nb);
        let (mut times, mut phases, mut residuals) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.repeats {
            system.generate(args.seed);
            ctx.world.barrier();
            let t0 = mpi::time();
            let solved = system.solve(&ctx.world, corrupt);
            ctx.world.barrier();
            let time = mpi::time() - t0;
            let (x, mine) = match solved {
                Solved::Done(x, mine) => (x, mine),
                Solved::Stopped(signal) => {
                    stopped = Some(signal);
                    break 'sweep;
                }
                Solved::Singular(column) => {
                    return Err(Failure::failed(format!(
                        "validation failed: N = {n}: a zero pivot at column {column}, the matrix is singular to working precision"
                    )));
                }
            };
            let (residual, ..) = system.residual(&ctx.world, args.seed, &x);
            if residual.is_nan() || residual > k::RESIDUAL_THRESHOLD {
                return Err(Failure::failed(format!(
                    "validation failed: N = {n} on a {p}x{q} grid gives HPL's scaled residual {residual:.3e}, above {} (‖Ax − b‖∞ / (ε (‖A‖∞ ‖x‖∞ + ‖b‖∞) N))",
                    k::RESIDUAL_THRESHOLD
                )));
            }
            let mut slowest = [0.0; 5];
            ctx.world.all_reduce_into(&mine.to_array()[..], &mut slowest[..], SystemOperation::max());
            times.push(time);
            phases.push(slowest);
            residuals.push(residual);
        }
        let time = Summary::of(&times).expect("at least one repeat");
        let by_time = |i: &usize, j: &usize| times[*i].total_cmp(&times[*j]);
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by(by_time);
        let (fastest, median) = (order[0], order[order.len() / 2]);
        rows.push(Row { n, time, residual: residuals[fastest], phases: phases[median] });
        if ctx.is_root() && !args.common.quiet {
            eprintln!(
                "parahpc: linpack N = {n}: {} GFLOP/s, residual {:.3e}",
                console::format_number(k::flops(n) / time.min / 1e9),
                residuals[fastest]
            );
        }
        if let Some(signal) = recorder.step(ctx, done + 1, || context.results(&rows))? {
            stopped = Some(signal);
            break;
        }
    }
    let mut results = context.results(&rows);
    if ctx.is_root() && !rows.is_empty() {
        context.print(&results.tables[0], &rows);
    }
    results.stopped = stopped.map(|s| recorder.stopped(s, rows.len()));
    Ok(results)
}

/// What every row and the summary are measured against.
struct Context<'a> {
    ctx: &'a RunContext,
    args: &'a LinpackArgs,
    p: usize,
    q: usize,
    blas_threads: usize,
    peak: f64,
    peak_source: &'a str,
    dgemm: f64,
    dgemm_n: usize,
}

impl Context<'_> {
    fn best(row: &Row) -> f64 {
        k::flops(row.n) / row.time.min / 1e9
    }

    fn rmax(rows: &[Row]) -> (f64, usize) {
        rows.iter().map(|r| (Self::best(r), r.n)).fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
    }

    /// Rank 0's table of the orders solved so far (none elsewhere or before the first).
    fn results(&self, rows: &[Row]) -> Results {
        let mut tables = Vec::new();
        if self.ctx.is_root() && !rows.is_empty() {
            let cores = (self.ctx.size * self.ctx.threads) as f64;
            let f64s = |f: &dyn Fn(&Row) -> f64| Values::F64(rows.iter().map(f).collect());
            let mut t = Table::new("linpack");
            t.column("n", "1", Values::U64(rows.iter().map(|r| r.n as u64).collect()))
                .column("nb", "1", Values::U64(vec![self.args.nb as u64; rows.len()]))
                .column("time_min_s", "s", f64s(&|r| r.time.min))
                .column("time_median_s", "s", f64s(&|r| r.time.median))
                .column("time_max_s", "s", f64s(&|r| r.time.max))
                .column("gflops", "GFLOP/s", f64s(&|r| k::flops(r.n) / r.time.median / 1e9))
                .column("gflops_best", "GFLOP/s", f64s(&Self::best))
                .column("fraction_of_peak", "1", f64s(&|r| Self::best(r) / (self.peak * cores)))
                .column("fraction_of_dgemm", "1", f64s(&|r| Self::best(r) / self.dgemm))
                .column("residual", "1", f64s(&|r| r.residual));
            for (i, phase) in ["factor_s", "broadcast_s", "swap_s", "update_s", "solve_s"].into_iter().enumerate() {
                t.column(phase, "s", f64s(&|r| r.phases[i]));
            }
            let (rmax, rmax_n) = Self::rmax(rows);
            let points: Vec<(usize, f64)> = rows.iter().map(|r| (r.n, Self::best(r))).collect();
            t.attr("grid", AttrValue::Str(format!("{}x{}", self.p, self.q)))
                .attr("ranks", AttrValue::U64(self.ctx.size as u64))
                .attr("threads", AttrValue::U64(self.blas_threads as u64))
                .attr("repeats", AttrValue::U64(self.args.repeats as u64))
                .attr("seed", AttrValue::U64(self.args.seed))
                .attr("rmax_gflops", AttrValue::F64(rmax))
                .attr("rmax_n", AttrValue::U64(rmax_n as u64))
                .attr("n_half", AttrValue::F64(k::half_rate_n(&points).unwrap_or(f64::NAN)))
                .attr("peak_gflops_per_core", AttrValue::F64(self.peak))
                .attr("peak_source", AttrValue::Str(self.peak_source.to_string()))
                .attr("dgemm_gflops", AttrValue::F64(self.dgemm))
                .attr("dgemm_n", AttrValue::U64(self.dgemm_n as u64))
                .attr("residual_threshold", AttrValue::F64(k::RESIDUAL_THRESHOLD))
                .attr(
                    "residual_definition",
                    AttrValue::Str("‖Ax − b‖∞ / (ε (‖A‖∞ ‖x‖∞ + ‖b‖∞) N), ε = 2⁻⁵³ (HPL's check)".into()),
                )
                .attr("validated", AttrValue::U64(1));
            tables.push(t);
        }
        Results::complete(tables)
    }

    fn print(&self, table: &Table, rows: &[Row]) {
        print!("{}", console::render(table));
        let num = console::format_number;
        let (rmax, rmax_n) = Self::rmax(rows);
        let cores = self.ctx.size * self.ctx.threads;
        println!(
            "Rmax {} GFLOP/s at N = {rmax_n} on a {}x{} grid: {} % of the peak of {cores} cores ({} GFLOP/s each: {}), {} % of what DGEMM alone reaches on every rank at once ({} GFLOP/s at n = {}).",
            num(rmax),
            self.p,
            self.q,
            num(100.0 * rmax / (self.peak * cores as f64)),
            num(self.peak),
            self.peak_source,
            num(100.0 * rmax / self.dgemm),
            num(self.dgemm),
            self.dgemm_n
        );
        let points: Vec<(usize, f64)> = rows.iter().map(|r| (r.n, Self::best(r))).collect();
        match k::half_rate_n(&points) {
            Some(n) => println!("N½ = {n:.0}: half of Rmax needs a system of that order."),
            None => println!("N½ is below the smallest N solved: every order here reached half of Rmax."),
        }
        if let Some(r) = rows.iter().find(|r| r.n == rmax_n) {
            let total: f64 = r.phases.iter().sum();
            let split: Vec<String> =
                PHASES.iter().zip(r.phases).map(|(name, t)| format!("{name} {:.0} %", 100.0 * t / total)).collect();
            println!("At N = {rmax_n} the slowest rank's time went to: {}.", split.join(", "));
        }
        println!("Every solve passed HPL's check (scaled residual < {}).", k::RESIDUAL_THRESHOLD);
        println!("Lesson: LU is matrix multiplies at heart; at large N it runs near the DGEMM rate of every core, which is what the Top500 ranks, and small systems leave the machine waiting on panels and messages.");
    }
}
