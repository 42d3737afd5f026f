//! `parahpc reduce`: the course's numerics slide (0.1 + 0.1 + 0.1 − 0.3 ≠ 0) in parallel. One data
//! set summed on every ranks × threads point of a sweep by five methods; the plain ones change
//! their last bits with the split, the reproducible one (an exact superaccumulator reduced with a
//! user-defined MPI operation) gives the correctly rounded exact sum every time.

mod args;
mod report;

use mpi::collective::{SystemOperation, UnsafeUserOperation};
use mpi::datatype::{MutView, UserDatatype, View};
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use std::os::raw::{c_int, c_void};
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::reduce::{self as k, ExactSum, Partials, WideInt, WIDE_LIMBS, WORDS};
use crate::model::stats::Summary;
use crate::mpi::paced::{self, Pacer};
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use crate::run::progress::Progress;

use super::Experiment;

use args::ReduceArgs;

/// Floating-point sums in parallel, and one that gives the same bits on any number of ranks.
pub struct Reduce;

impl Experiment for Reduce {
    const NAME: &'static str = "reduce";
    type Args = ReduceArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "reduce",
            about: "One row per ranks × threads point and method.",
            datasets: &[
                field("ranks", "1", "ranks summing"),
                field("threads", "1", "threads per rank"),
                field("method", "1", "`serial`, `plain`, `pairwise`, `compensated` or `reproducible`"),
                field("result", "1", "the sum (first timed repetition)"),
                field("result_bits", "", "its IEEE 754 bits in hex, e.g. `0x3c90000000000000`"),
                field("error_ulps", "1", "|result − exact sum| in units in the last place of the exact sum"),
                field("results_in_repeats", "1", "distinct results among the repetitions of this point"),
                field("time_min_s", "s", "fastest repetition (slowest rank's time)"),
                field("time_median_s", "s", "median repetition"),
                field("time_max_s", "s", "slowest repetition"),
                field("ns_per_element", "ns", "median time / values summed"),
                field("cost_vs_plain", "1", "median time / plain's median time at this point"),
                field(
                    "exact_kernel",
                    "1",
                    "the reproducible sum's local kernel at this point, `levels, 512-bit` or `binned`: both were timed on the point's data, alternating, and the faster kept (the same on every row of the point)",
                ),
                field("exact_kernel_gain", "1", "the other kernel's best time over the chosen one's"),
            ],
            attributes: &[
                field("n", "1", "values summed"),
                field("data", "", "the data set: `cancel`, `uniform`, `harmonic` or `tenths`"),
                field("seed", "1", "seed of the data set"),
                field("repeats", "1", "timed repetitions per point and method"),
                field("exact_sum", "1", "the exact sum, correctly rounded (Shewchuk's partials)"),
                field("exact_sum_bits", "", "its bits in hex"),
                field("sum_of_magnitudes", "1", "Σ|x|, which bounds every method's error"),
                field("validated", "1", "1: the reproducible sum equalled the exact sum at every point"),
            ],
        },
        Group {
            path: "reduce/methods",
            about: "One row per method, over the whole sweep.",
            datasets: &[
                field("method", "1", "the method"),
                field("distinct_results", "1", "different bits over every point and repetition"),
                field("max_error_ulps", "1", "largest error, in ulps of the exact sum"),
                field("median_cost_vs_plain", "1", "median over the points of cost_vs_plain"),
            ],
            attributes: &[],
        },
        Group {
            path: "reduce/allreduce",
            about: "Allreduce of one value per rank over all ranks: latency, plain against reproducible.",
            datasets: &[
                field(
                    "method",
                    "1",
                    "`plain` (MPI_Allreduce, MPI_SUM), `reproducible-gather` (MPI_Allgather, then the exact sum of \
                     the values on every rank) or `reproducible-op` (MPI_Allreduce of the superaccumulator)",
                ),
                field("bytes", "B", "bytes each rank receives in one call (gather) or sends (allreduce)"),
                field("time_min_s", "s", "fastest repetition, per call"),
                field("time_median_s", "s", "median repetition, per call"),
                field("time_max_s", "s", "slowest repetition, per call"),
                field("cost_vs_plain", "1", "median / plain's median"),
            ],
            attributes: &[
                field("ranks", "1", "ranks taking part"),
                field("iterations", "1", "calls per timed repetition"),
            ],
        },
    ];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&[
            "--n",
            "10000000",
            "--repeats",
            &share.count(20.0, 3.0),
            "--allreduce-iters",
            &share.messages(2000.0, 20.0),
        ]))
    }

    fn common(args: &ReduceArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &ReduceArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &ReduceArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Method {
    Serial,
    Plain,
    Pairwise,
    Compensated,
    Reproducible,
}

const METHODS: [Method; 5] = [Method::Serial, Method::Plain, Method::Pairwise, Method::Compensated, Method::Reproducible];

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Serial => "serial",
            Method::Plain => "plain",
            Method::Pairwise => "pairwise",
            Method::Compensated => "compensated",
            Method::Reproducible => "reproducible",
        }
    }
}

/// MPI's side of the superaccumulator: `len` accumulators of `WORDS` i64 each, added exactly.
///
/// # Safety
/// Called by MPI alone, as the operation of `Exact`, with buffers of `len` elements of its
/// datatype.
unsafe extern "C" fn add_exact(invec: *mut c_void, inoutvec: *mut c_void, len: *mut c_int, _: *mut mpi::ffi::MPI_Datatype) {
    // SAFETY: MPI passes `len` elements of the contiguous type of WORDS i64 made in `Exact::new`.
    let n = unsafe { *len } as usize * WORDS;
    let (from, into) =
        unsafe { (std::slice::from_raw_parts(invec as *const i64, n), std::slice::from_raw_parts_mut(inoutvec as *mut i64, n)) };
    for (a, b) in from.chunks_exact(WORDS).zip(into.chunks_exact_mut(WORDS)) {
        ExactSum::add_words(b, a);
    }
}

/// The MPI datatype and operation of the reproducible allreduce. One accumulator is one element
/// of a contiguous type, so no algorithm can cut it in two: its carries need all of it.
struct Exact {
    datatype: UserDatatype,
    op: UnsafeUserOperation,
}

impl Exact {
    fn new() -> Exact {
        // SAFETY: add_exact reads and writes exactly the elements MPI passes.
        let op = unsafe { UnsafeUserOperation::commutative(add_exact) };
        Exact { datatype: UserDatatype::contiguous(WORDS as i32, &i64::equivalent_datatype()), op }
    }

    /// Collective over `comm`: the exact sum of everyone's `local`, correctly rounded.
    fn allreduce(&self, comm: &SimpleCommunicator, local: &ExactSum) -> f64 {
        let send = local.to_words();
        let mut recv = [0i64; WORDS];
        // SAFETY: both buffers hold exactly one element of `datatype`.
        let (s, mut r) = unsafe {
            (View::with_count_and_datatype(&send[..], 1, &self.datatype), MutView::with_count_and_datatype(&mut recv[..], 1, &self.datatype))
        };
        comm.all_reduce_into(&s, &mut r, &self.op);
        ExactSum::from_words(&recv).round()
    }
}

/// One method's sum of this rank's `block` on `sub`, the same on every rank of `sub`.
fn sum(
    method: Method,
    sub: &SimpleCommunicator,
    pool: &rayon::ThreadPool,
    block: &[f64],
    exact: &Exact,
    exact_kernel: k::ExactKernel,
) -> f64 {
    let allreduce = |local: f64| {
        let mut total = 0.0;
        sub.all_reduce_into(&local, &mut total, SystemOperation::sum());
        total
    };
    match method {
        Method::Serial => {
            // Left to right through the whole data set: each rank continues its predecessor's sum.
            let (rank, size) = (sub.rank(), sub.size());
            let mut running = 0.0;
            if rank > 0 {
                sub.process_at_rank(rank - 1).receive_into(&mut running);
            }
            running = k::serial_sum(running, block);
            if rank + 1 < size {
                sub.process_at_rank(rank + 1).send(&running);
            }
            sub.process_at_rank(size - 1).broadcast_into(&mut running);
            running
        }
        Method::Plain => allreduce(pool.install(|| rayon::iter::ParallelIterator::sum::<f64>(rayon::iter::IntoParallelRefIterator::par_iter(block)))),
        Method::Pairwise => allreduce(pool.install(|| k::pairwise_sum(block))),
        Method::Compensated => allreduce(pool.install(|| k::compensated_sum(block))),
        Method::Reproducible => {
            let local = pool.install(|| k::exact_sum(block, exact_kernel));
            if crate::run::failure::injected("order-dependent-sum") {
                // Test hook: round each rank's share first, as a careless "reproducible" sum would.
                allreduce(local.round())
            } else {
                exact.allreduce(sub, &local)
            }
        }
    }
}

/// The exact sum of the whole data set and Σ|x|, by two algorithms independent of the measured
/// ones and of each other: every rank computes Shewchuk's partials and a wide fixed-point integer
/// of its block, both are gathered and their sums rounded. Where the two disagree, the
/// superaccumulator (the reproducible method's) arbitrates, and the run fails naming the odd one
/// out and how to reproduce it.
fn reference(ctx: &RunContext, args: &ReduceArgs) -> Outcome<(f64, f64)> {
    /// Non-overlapping doubles span at most 2098 bits: never more than 40 partials.
    const MAX_PARTIALS: usize = 64;
    let range = k::block_of(args.n, ctx.size as u64, ctx.rank as u64);
    let (mut partials, mut wide, mut magnitudes) = (Partials::default(), WideInt::default(), 0.0);
    for i in range.clone() {
        // A stop signal cuts the reference short: the caller learns it right after.
        if i % (1 << 20) == 0 && crate::run::signals::received().is_some() {
            break;
        }
        let x = args.data.value(args.seed, i);
        partials.add(x);
        wide.add(x);
        magnitudes += x.abs();
    }
    let mut mine = [0.0; MAX_PARTIALS];
    mine[..partials.0.len()].copy_from_slice(&partials.0);
    let mut all = vec![0.0; MAX_PARTIALS * ctx.size];
    ctx.world.all_gather_into(&mine[..], &mut all[..]);
    let mut total = Partials::default();
    all.iter().for_each(|&x| total.add(x));
    // Test hook: one reference off by one unit in the last place, which the others must name.
    let by_partials = if crate::run::failure::injected("corrupt-reference") {
        f64::from_bits(total.round().to_bits() + 1)
    } else {
        total.round()
    };
    let by_wide = {
        let mut mine = [0u64; WIDE_LIMBS + 1];
        mine[..WIDE_LIMBS].copy_from_slice(&wide.limbs);
        mine[WIDE_LIMBS] = u64::from(wide.not_finite);
        let mut all = vec![0u64; (WIDE_LIMBS + 1) * ctx.size];
        ctx.world.all_gather_into(&mine[..], &mut all[..]);
        let mut total = WideInt::default();
        for rank in all.chunks_exact(WIDE_LIMBS + 1) {
            total.add_limbs(rank[..WIDE_LIMBS].try_into().expect("WIDE_LIMBS limbs"));
            total.not_finite |= rank[WIDE_LIMBS] != 0;
        }
        total.round()
    };
    let mut sum_of_magnitudes = 0.0;
    ctx.world.all_reduce_into(&magnitudes, &mut sum_of_magnitudes, SystemOperation::sum());
    if by_wide.is_nan() || by_partials.is_infinite() || by_wide.is_infinite() {
        return Err(Failure::usage(format!("the sum of the {} data set overflows: choose another", args.data.name())));
    }
    if by_partials.to_bits() != by_wide.to_bits() {
        let by_superaccumulator = {
            let mut local = ExactSum::default();
            range.for_each(|i| local.add(args.data.value(args.seed, i)));
            let mut all = vec![0i64; WORDS * ctx.size];
            ctx.world.all_gather_into(&local.to_words()[..], &mut all[..]);
            let mut words = [0i64; WORDS];
            all.chunks_exact(WORDS).for_each(|w| ExactSum::add_words(&mut words, w));
            ExactSum::from_words(&words).round()
        };
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let verdict = if same(by_superaccumulator, by_wide) {
            "Shewchuk's partials are the odd one out"
        } else if same(by_superaccumulator, by_partials) {
            "the wide integer is the odd one out"
        } else {
            "all three differ"
        };
        return Err(Failure::failed(format!(
            "validation failed: the exact references disagree: Shewchuk's partials give {by_partials:e} ({:#018x}), a \
             wide fixed-point integer {by_wide:e} ({:#018x}), the superaccumulator {by_superaccumulator:e} ({:#018x}): \
             {verdict}; to reproduce: {}",
            by_partials.to_bits(),
            by_wide.to_bits(),
            by_superaccumulator.to_bits(),
            reproduce(args, ctx.size, None)
        )));
    }
    Ok((by_partials, sum_of_magnitudes))
}

/// The command line that reproduces a point's data, split and build.
fn reproduce(args: &ReduceArgs, ranks: usize, threads: Option<usize>) -> String {
    let threads = threads.map_or(String::new(), |t| format!(" --threads {t} --thread-counts {t}"));
    format!(
        "mpirun -n {ranks} parahpc reduce --n {} --data {} --seed {}{threads} --ranks {ranks} (revision {})",
        args.n,
        args.data.name(),
        args.seed,
        env!("PARAHPC_GIT_REVISION")
    )
}

fn plan(ctx: &RunContext, args: &ReduceArgs) -> Result<Vec<(usize, usize)>, String> {
    let ranks = args.ranks.clone().unwrap_or_else(|| super::doubling_up_to(ctx.size));
    let threads = args.thread_counts.clone().unwrap_or_else(|| super::doubling_up_to(ctx.threads));
    if let Some(r) = ranks.iter().find(|&&r| r > ctx.size) {
        return Err(format!("--ranks {r}: the job has {} rank(s)", ctx.size));
    }
    if let Some(t) = threads.iter().find(|&&t| t > ctx.threads) {
        return Err(format!("--thread-counts {t}: each rank runs {} thread(s); raise --threads", ctx.threads));
    }
    Ok(ranks.iter().flat_map(|&r| threads.iter().map(move |&t| (r, t))).collect())
}

/// One method at one point: the bits of every repetition and the timing.
struct Row {
    ranks: usize,
    threads: usize,
    method: Method,
    bits: Vec<u64>,
    time: Summary,
    /// The point's exact-sum kernel and how much faster it was than the other.
    kernel: (k::ExactKernel, f64),
}

/// Rounds of each exact-sum kernel, alternating, before a point's methods are timed.
const KERNEL_ROUNDS: usize = 2;

/// Times both exact-sum kernels on this point's own block, alternating, as the slowest rank saw
/// them, and returns the faster with the other's best time over its best; every rank of `sub`
/// agrees because the times are reduced first.
fn choose_kernel(sub: &SimpleCommunicator, pool: &rayon::ThreadPool, block: &[f64]) -> (k::ExactKernel, f64) {
    let mut best = [f64::INFINITY; 2];
    for _ in 0..KERNEL_ROUNDS {
        for (b, kernel) in best.iter_mut().zip(k::ExactKernel::ALL) {
            sub.barrier();
            let t0 = mpi::time();
            std::hint::black_box(pool.install(|| k::exact_sum(block, kernel)));
            let mut slowest = 0.0;
            sub.all_reduce_into(&(mpi::time() - t0), &mut slowest, SystemOperation::max());
            *b = b.min(slowest);
        }
    }
    let (win, lose) = if best[0] <= best[1] { (0, 1) } else { (1, 0) };
    (k::ExactKernel::ALL[win], best[lose] / best[win])
}

fn run(ctx: &RunContext, args: &ReduceArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let points = plan(ctx, args).map_err(Failure::usage)?;
    // Every point splits the n values between its ranks: no node ever holds more than all of them.
    let need = args.n * 8 / ctx.node.size() as u64;
    ctx.check_node_memory(need, &format!("reduce --n {}", args.n), "choose a smaller --n")?;
    let (exact, magnitudes) = reference(ctx, args)?;
    // A stop during the reference leaves no point to measure (and no exact sum to print).
    let mut stopped = ctx.stop_requested();
    let to_measure = if stopped.is_some() { &[][..] } else { &points[..] };
    // Recursive summation's worst case, γ(n−1)·Σ|x|, plus the final rounding, with a margin of 2:
    // a lost or repeated block is far outside it.
    let u = f64::EPSILON / 2.0;
    let bound = 2.0 * ((args.n as f64 * u) / (1.0 - args.n as f64 * u) * magnitudes + u * exact.abs());

    let exact_op = Exact::new();
    let mut pools = std::collections::BTreeMap::new();
    for &(_, t) in &points {
        if let std::collections::btree_map::Entry::Vacant(e) = pools.entry(t) {
            e.insert(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .map_err(|e| anyhow::anyhow!("cannot start {t} threads: {e}"))?,
            );
        }
    }
    let progress = Progress::new("reduce", points.len() as u64, ctx.is_root() && !args.common.quiet);
    if stopped.is_none() {
        progress.line(&format!(
            "{} values of the {} data set; exact sum {exact:e} ({:#018x}), Σ|x| = {magnitudes:e}",
            args.n,
            args.data.name(),
            exact.to_bits()
        ));
    }
    recorder.expect(points.len(), "points");
    let mut rows: Vec<Row> = Vec::new();
    let tables = |rows: &[Row], allreduce: Option<&Table>| {
        let mut t = Vec::new();
        if ctx.is_root() && !rows.is_empty() {
            t.extend(tables(rows, args, exact, magnitudes));
            t.extend(allreduce.cloned());
        }
        Results::complete(t)
    };
    'points: for &(ranks, threads) in to_measure {
        let pool = &pools[&threads];
        let sub = ctx.world.split_by_color(if ctx.rank < ranks { Color::with_value(0) } else { Color::undefined() });
        let (data, seed, range) = (args.data, args.seed, k::block_of(args.n, ranks as u64, ctx.rank as u64));
        let stop = || crate::run::signals::received().is_some();
        let block = sub.as_ref().and_then(|_| pool.install(|| data.block_until(seed, range, stop)));
        // Cut short by a signal here (rank 0 makes the largest block): every rank learns it.
        if let Some(signal) = ctx.stop_requested() {
            stopped = Some(signal);
            break;
        }
        let kernel = match (&sub, &block) {
            (Some(sub), Some(block)) => choose_kernel(sub, pool, block),
            _ => (k::ExactKernel::Levels, f64::NAN),
        };
        for method in METHODS {
            let (mut bits, mut times) = (Vec::new(), Vec::new());
            // One untimed run first: pages touched, threads awake.
            for rep in 0..=args.repeats {
                if let (Some(sub), Some(block)) = (&sub, &block) {
                    sub.barrier();
                    let t0 = mpi::time();
                    let value = sum(method, sub, pool, block, &exact_op, kernel.0);
                    let mut slowest = 0.0;
                    sub.all_reduce_into(&(mpi::time() - t0), &mut slowest, SystemOperation::max());
                    if rep > 0 {
                        bits.push(value.to_bits());
                        times.push(slowest);
                    }
                }
                if let Some(signal) = ctx.stop_requested() {
                    stopped = Some(signal);
                    break 'points;
                }
            }
            if ctx.is_root() {
                rows.push(Row { ranks, threads, method, bits, time: Summary::of(&times).expect("repeats ≥ 1"), kernel });
            }
        }
        // Rank 0 holds the results; every rank learns its verdict.
        let first = rows.len().saturating_sub(METHODS.len());
        ctx.agree(rows[first..].iter().try_for_each(|row| check(row, exact, bound, args)))?;
        progress.advance();
        let done = points.iter().position(|&p| p == (ranks, threads)).unwrap() + 1;
        if let Some(signal) = recorder.step(ctx, done, || tables(&rows, None))? {
            stopped = Some(signal);
            break;
        }
    }
    let allreduce = match stopped {
        None => allreduce_latency(ctx, args, &exact_op)?.map_err(|signal| stopped = Some(signal)).ok(),
        Some(_) => None,
    };
    let mut results = tables(&rows, allreduce.as_ref());
    if let Some(t) = results.tables.first() {
        print!("{}", console::render(t));
        print!("{}", console::render(&results.tables[1]));
        if let Some(a) = results.tables.get(2) {
            print!("{}", console::render(a));
        }
        println!("{}", lesson(&rows, exact));
    }
    results.stopped = stopped.map(|s| recorder.stopped(s, rows.len() / METHODS.len()));
    Ok(results)
}

/// Fails the run when the reproducible sum is not the exact one, or any sum is outside the bound.
/// The exact sum is the one two independent algorithms agreed on (`reference`): the method is the
/// side that is wrong, and the message says how to reproduce its point.
fn check(row: &Row, exact: f64, bound: f64, args: &ReduceArgs) -> Outcome<()> {
    for &b in &row.bits {
        let x = f64::from_bits(b);
        let point = format!("{} rank(s) × {} thread(s)", row.ranks, row.threads);
        let again = reproduce(args, row.ranks, Some(row.threads));
        if row.method == Method::Reproducible && b != exact.to_bits() {
            return Err(Failure::failed(format!(
                "the reproducible sum is not reproducible: {point} gave {x:e} ({b:#018x}), the exact sum rounded is \
                 {exact:e} ({:#018x}, Shewchuk's partials and a wide integer agree); to reproduce: {again}",
                exact.to_bits()
            )));
        }
        if (x - exact).abs() > bound || x.is_nan() {
            return Err(Failure::failed(format!(
                "the {} sum at {point} is {x:e}, {:e} from the exact sum {exact:e} (Shewchuk's partials and a wide \
                 integer agree): beyond the worst-case bound {bound:e}; values were lost or counted twice; to \
                 reproduce: {again}",
                row.method.name(),
                (x - exact).abs()
            )));
        }
    }
    Ok(())
}

/// One value per rank, allreduced `iterations` times per repetition: plain against reproducible.
/// The one-value allreduce of each method, timed; Ok(Err(signal)) when a stop cut it short.
fn allreduce_latency(ctx: &RunContext, args: &ReduceArgs, exact: &Exact) -> Outcome<Result<Table, i32>> {
    let mine = args.data.value(args.seed, ctx.rank as u64);
    let mut everyone = vec![0.0; ctx.size];
    ctx.world.all_gather_into(&mine, &mut everyone[..]);
    let mut partials = Partials::default();
    everyone.iter().for_each(|&x| partials.add(x));
    let expected = partials.round();

    let plain = || {
        let mut total = 0.0;
        ctx.world.all_reduce_into(&mine, &mut total, SystemOperation::sum());
        total
    };
    // Two reproducible ways: every value to every rank and an exact sum of them there (cheap
    // while the ranks are few), or the superaccumulator through a user-defined operation.
    let (all, partials) = (std::cell::RefCell::new(vec![0.0; ctx.size]), std::cell::RefCell::new(Partials::default()));
    let gathered = || {
        let (mut all, mut p) = (all.borrow_mut(), partials.borrow_mut());
        ctx.world.all_gather_into(&mine, &mut all[..]);
        p.0.clear();
        all.iter().for_each(|&x| p.add(x));
        p.round()
    };
    let superaccumulator = || {
        let mut local = ExactSum::default();
        local.add(mine);
        exact.allreduce(&ctx.world, &local)
    };
    let iterations = args.allreduce_iters;
    let mut rows = Vec::new();
    let methods: [(&str, u64, &dyn Fn() -> f64); 3] = [
        ("plain", 8, &plain),
        ("reproducible-gather", 8 * ctx.size as u64, &gathered),
        ("reproducible-op", (WORDS * 8) as u64, &superaccumulator),
    ];
    // Paced (`mpi::paced`): on a slow network each loop looks at the stop flag at least every
    // half second, where its count was sized for one node.
    let mut agree = paced::with_all(&ctx.world);
    for (name, bytes, call) in methods {
        let mut times = Vec::new();
        let mut last = 0.0;
        let mut pacer = Pacer::default();
        for rep in 0..=args.repeats {
            ctx.world.barrier();
            let seconds = match pacer.run(iterations as usize, &mut agree, &mut |_| last = std::hint::black_box(call())) {
                Ok(seconds) => seconds,
                Err(signal) => return Ok(Err(signal)),
            };
            let mut slowest = 0.0;
            ctx.world.all_reduce_into(&(seconds / iterations as f64), &mut slowest, SystemOperation::max());
            if rep > 0 {
                times.push(slowest);
            }
        }
        if name != "plain" && last.to_bits() != expected.to_bits() {
            return Err(Failure::failed(format!(
                "the {name} allreduce gave {last:e}, the exact sum rounded is {expected:e}"
            )));
        }
        rows.push((name, bytes, Summary::of(&times).expect("repeats ≥ 1")));
    }
    let plain_median = rows[0].2.median;
    let mut t = Table::new("reduce/allreduce");
    t.column("method", "1", Values::Str(rows.iter().map(|r| r.0.to_string()).collect()))
        .column("bytes", "B", Values::U64(rows.iter().map(|r| r.1).collect()))
        .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.2.min).collect()))
        .column("time_median_s", "s", Values::F64(rows.iter().map(|r| r.2.median).collect()))
        .column("time_max_s", "s", Values::F64(rows.iter().map(|r| r.2.max).collect()))
        .column("cost_vs_plain", "1", Values::F64(rows.iter().map(|r| r.2.median / plain_median).collect()));
    t.attr("ranks", AttrValue::U64(ctx.size as u64)).attr("iterations", AttrValue::U64(iterations));
    Ok(Ok(t))
}

fn distinct(bits: impl IntoIterator<Item = u64>) -> usize {
    let mut v: Vec<u64> = bits.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

fn plain_median(rows: &[Row], row: &Row) -> f64 {
    rows.iter()
        .find(|r| r.method == Method::Plain && (r.ranks, r.threads) == (row.ranks, row.threads))
        .map_or(f64::NAN, |r| r.time.median)
}

/// Rank 0's tables: every point and method, then one row per method.
fn tables(rows: &[Row], args: &ReduceArgs, exact: f64, magnitudes: f64) -> Vec<Table> {
    let error = |b: u64| k::ulps(f64::from_bits(b), exact);
    let mut t = Table::new("reduce");
    t.column("ranks", "1", Values::U64(rows.iter().map(|r| r.ranks as u64).collect()))
        .column("threads", "1", Values::U64(rows.iter().map(|r| r.threads as u64).collect()))
        .column("method", "1", Values::Str(rows.iter().map(|r| r.method.name().to_string()).collect()))
        .column("result", "1", Values::F64(rows.iter().map(|r| f64::from_bits(r.bits[0])).collect()))
        .column("result_bits", "", Values::Str(rows.iter().map(|r| format!("{:#018x}", r.bits[0])).collect()))
        .column("error_ulps", "1", Values::F64(rows.iter().map(|r| error(r.bits[0])).collect()))
        .column("results_in_repeats", "1", Values::U64(rows.iter().map(|r| distinct(r.bits.iter().copied()) as u64).collect()))
        .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.time.min).collect()))
        .column("time_median_s", "s", Values::F64(rows.iter().map(|r| r.time.median).collect()))
        .column("time_max_s", "s", Values::F64(rows.iter().map(|r| r.time.max).collect()))
        .column("ns_per_element", "ns", Values::F64(rows.iter().map(|r| r.time.median / args.n as f64 * 1e9).collect()))
        .column("cost_vs_plain", "1", Values::F64(rows.iter().map(|r| r.time.median / plain_median(rows, r)).collect()))
        .column("exact_kernel", "1", Values::Str(rows.iter().map(|r| r.kernel.0.describe()).collect()))
        .column("exact_kernel_gain", "1", Values::F64(rows.iter().map(|r| r.kernel.1).collect()));
    t.attr("n", AttrValue::U64(args.n))
        .attr("data", AttrValue::Str(args.data.name().into()))
        .attr("seed", AttrValue::U64(args.seed))
        .attr("repeats", AttrValue::U64(args.repeats as u64))
        .attr("exact_sum", AttrValue::F64(exact))
        .attr("exact_sum_bits", AttrValue::Str(format!("{:#018x}", exact.to_bits())))
        .attr("sum_of_magnitudes", AttrValue::F64(magnitudes))
        .attr("validated", AttrValue::U64(1));

    let mut m = Table::new("reduce/methods");
    let of = |method: Method| rows.iter().filter(move |r| r.method == method);
    let summary: Vec<(Method, usize, f64, f64)> = METHODS
        .iter()
        .map(|&method| {
            let worst = of(method).flat_map(|r| r.bits.iter().map(|&b| error(b))).fold(0.0, f64::max);
            let costs: Vec<f64> = of(method).map(|r| r.time.median / plain_median(rows, r)).collect();
            let cost = Summary::of(&costs).map_or(f64::NAN, |s| s.median);
            (method, distinct(of(method).flat_map(|r| r.bits.iter().copied())), worst, cost)
        })
        .collect();
    m.column("method", "1", Values::Str(summary.iter().map(|s| s.0.name().to_string()).collect()))
        .column("distinct_results", "1", Values::U64(summary.iter().map(|s| s.1 as u64).collect()))
        .column("max_error_ulps", "1", Values::F64(summary.iter().map(|s| s.2).collect()))
        .column("median_cost_vs_plain", "1", Values::F64(summary.iter().map(|s| s.3).collect()));
    vec![t, m]
}

/// What the sweep showed, in words.
fn lesson(rows: &[Row], exact: f64) -> String {
    let count = |method: Method| distinct(rows.iter().filter(|r| r.method == method).flat_map(|r| r.bits.iter().copied()));
    let mut points: Vec<(usize, usize)> = rows.iter().map(|r| (r.ranks, r.threads)).collect();
    points.dedup();
    format!(
        "Over {} point(s), plain summation gave {} different result(s), pairwise {}, compensated {}; the reproducible \
         sum gave {}, the exact sum correctly rounded, {} ({:#018x}), at a median cost of ×{} plain's. Lesson: a \
         parallel sum's last bits depend on how the work was split, unless the sum is exact.",
        points.len(),
        count(Method::Plain),
        count(Method::Pairwise),
        count(Method::Compensated),
        count(Method::Reproducible),
        console::format_number(exact),
        exact.to_bits(),
        console::format_number({
            let costs: Vec<f64> =
                rows.iter().filter(|r| r.method == Method::Reproducible).map(|r| r.time.median / plain_median(rows, r)).collect();
            Summary::of(&costs).map_or(f64::NAN, |s| s.median)
        })
    )
}
