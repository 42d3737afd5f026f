//! `parahpc gemm`: C = A·B the textbook way, cache-blocked, and through BLAS on rank 0 with one
//! thread and with the rank's threads; with --dist, SUMMA over every rank on a 2-D process grid.
//! Every product passes HPL's projection check before its time is reported.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::gemm::{self, split, RESIDUAL_THRESHOLD};
use crate::model::stats::Summary;
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::{GemmArgs, GemmImpl};

/// Dense matrix multiply: the textbook loop, a cache-blocked one, BLAS, and SUMMA over ranks.
pub struct Gemm;

impl Experiment for Gemm {
    const NAME: &'static str = "gemm";
    type Args = GemmArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "gemm",
        about: "One row per implementation, size and thread count.",
        datasets: &[
            field("impl", "1", "`naive`, `blocked`, `blas` or `summa`"),
            field("n", "1", "matrix order"),
            field("ranks", "1", "ranks computing"),
            field("threads", "1", "threads per rank"),
            field("blas_threads", "1", "threads OpenBLAS reported using"),
            field("time_min_s", "s", "fastest run"),
            field("time_median_s", "s", "median run"),
            field("time_max_s", "s", "slowest run"),
            field("gflops", "GFLOP/s", "2n³ / median time"),
            field("gflops_best", "GFLOP/s", "2n³ / fastest time"),
            field("fraction_of_peak", "1", "gflops / (peak per core × cores used)"),
            field("parallel_efficiency", "1", "SUMMA: rate / (ranks × one rank's BLAS rate); NaN otherwise"),
            field("residual", "1", "HPL's scaled residual of the product"),
        ],
        attributes: &[
            field("peak_gflops_per_core", "GFLOP/s", "the peak fraction_of_peak divides by"),
            field("peak_source", "", "how that peak was obtained"),
            field("residual_threshold", "1", "the residual a correct product stays below"),
            field("residual_definition", "", "the residual's formula"),
            field("repeats", "1", "timed runs per point"),
            field("naive_max_n", "1", "largest n the naive loop runs"),
            field("grid", "", "SUMMA's process grid, e.g. `2x2`; empty without --dist"),
            field("validated", "1", "1: every product passed the check"),
        ],
    }];

    fn idle_option(args: &GemmArgs, given: &dyn Fn(&str) -> bool) -> Option<String> {
        (given("naive_max_n") && !args.implementations.contains(&GemmImpl::Naive))
            .then(|| "--naive-max-n bounds the naive loop: it does nothing with an --impl list without naive".into())
    }

    fn suite_options(share: &super::Share, ranks: usize) -> Option<Vec<String>> {
        let n = if share.k < 1.0 { "256,512" } else { "256,512,1024" };
        let mut o = super::options(&["--n", n, "--repeats", "2"]);
        if ranks > 1 {
            o.push("--dist".into());
        }
        Some(o)
    }

    fn common(args: &GemmArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &GemmArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &GemmArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// Widest k-panel SUMMA broadcasts at once.
const PANEL: usize = 256;

struct Row {
    implementation: &'static str,
    n: usize,
    ranks: usize,
    threads: usize,
    blas_threads: usize,
    time: Summary,
    residual: f64,
}

/// The process grid: rows × columns, as square as the rank count allows.
pub fn grid(p: usize) -> (usize, usize) {
    let rows = (1..=p).take_while(|r| r * r <= p).filter(|&r| p.is_multiple_of(r)).last().unwrap_or(1);
    (rows, p / rows)
}

/// Times `repeats` runs of `f` after one untimed one; returns the summary and `f`'s last value.
/// `abandon` is asked before and after each product: `None` once it says to stop.
fn timed<T>(repeats: usize, mut abandon: impl FnMut() -> bool, mut f: impl FnMut() -> T) -> Option<(Summary, T)> {
    if abandon() {
        return None;
    }
    let mut last = f();
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        if abandon() {
            return None;
        }
        let t0 = mpi::time();
        last = f();
        times.push(mpi::time() - t0);
    }
    // The last product may have been abandoned half done.
    if abandon() {
        return None;
    }
    Some((Summary::of(&times).expect("at least one repeat"), last))
}

/// Test hook: one wrong entry in the product, which the check must catch.
fn corrupt(c: &mut [f64], index: usize) {
    if crate::run::failure::injected("corrupt-product") {
        c[index] += 1.0;
    }
}

fn check(row: &Row) -> Outcome<()> {
    if row.residual.is_nan() || row.residual > RESIDUAL_THRESHOLD {
        return Err(Failure::failed(format!(
            "validation failed: {} at n = {} gives scaled residual {:.3e}, above {RESIDUAL_THRESHOLD} (‖C·x − A·(B·x)‖∞ / (‖A‖∞ ‖B‖∞ ‖x‖∞ n ε))",
            row.implementation, row.n, row.residual
        )));
    }
    Ok(())
}

/// Rank 0's single-rank products at size n, for each implementation and thread count.
/// Rank 0's products at size n, every implementation and thread count, each checked; `false`
/// when a stop signal cut them short.
fn local(
    n: usize,
    args: &GemmArgs,
    threads: &[usize],
    pools: &[rayon::ThreadPool],
    rows: &mut Vec<Row>,
) -> Outcome<bool> {
    let (a, b) = (gemm::fill(1, 0..n, 0..n), gemm::fill(2, 0..n, 0..n));
    let mut c = vec![0.0; n * n];
    for &implementation in &args.implementations {
        for (&t, pool) in threads.iter().zip(pools) {
            if implementation == GemmImpl::Naive && (t > 1 || n > args.naive_max_n) {
                continue;
            }
            let blas_threads = crate::machine::blas::set_threads(if implementation == GemmImpl::Blas { t } else { 1 });
            let stopping = || crate::run::signals::received().is_some();
            let Some((time, ())) = timed(args.repeats, stopping, || match implementation {
                GemmImpl::Naive => gemm::naive(&a, &b, &mut c, n, &stopping),
                GemmImpl::Blocked => gemm::blocked(&a, &b, &mut c, n, pool, &stopping),
                GemmImpl::Blas => gemm::blas(&a, &b, &mut c, n, n, n),
            }) else {
                return Ok(false);
            };
            corrupt(&mut c, n * (n / 2) + n / 3);
            let row = Row {
                implementation: implementation.name(),
                n,
                ranks: 1,
                threads: t,
                blas_threads,
                time,
                residual: gemm::residual(&a, &b, &c, n),
            };
            check(&row)?;
            rows.push(row);
        }
    }
    Ok(true)
}

/// This rank's place in a 2-D process grid (rank = row × cols + column, as HPL's row-major
/// map) and its row and column communicators, ranked by column and by row.
pub(super) struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub my_row: usize,
    pub my_col: usize,
    pub row_comm: SimpleCommunicator,
    pub col_comm: SimpleCommunicator,
}

impl Grid {
    fn new(world: &SimpleCommunicator) -> Grid {
        let (rows, cols) = grid(world.size() as usize);
        Grid::shaped(world, rows, cols)
    }

    /// The grid `rows` × `cols`, which must multiply to the size of `world`.
    pub(super) fn shaped(world: &SimpleCommunicator, rows: usize, cols: usize) -> Grid {
        let rank = world.rank() as usize;
        let (my_row, my_col) = (rank / cols, rank % cols);
        let split =
            |color: usize| world.split_by_color(Color::with_value(color as i32)).expect("every rank has a color");
        Grid { rows, cols, my_row, my_col, row_comm: split(my_row), col_comm: split(rows + my_col) }
    }
}

/// SUMMA: C += A[:, K]·B[K, :] for each k-panel K, the owners of A's panel broadcasting it
/// along their grid row and those of B's along their grid column, each rank multiplying its
/// pieces with BLAS. Panels never straddle a block boundary, so blocks may be uneven.
fn summa(g: &Grid, n: usize, a: &[f64], b: &[f64], c: &mut [f64], a_panel: &mut [f64], b_panel: &mut [f64]) {
    let (rows, cols) = (split(n, g.rows, g.my_row), split(n, g.cols, g.my_col));
    let (mr, nc) = (rows.len(), cols.len());
    let mut cuts: Vec<usize> = (0..g.cols)
        .map(|p| split(n, g.cols, p).start)
        .chain((0..g.rows).map(|p| split(n, g.rows, p).start))
        .chain((0..n).step_by(PANEL))
        .collect();
    cuts.push(n);
    cuts.sort_unstable();
    cuts.dedup();
    c.fill(0.0);
    for k in cuts.windows(2) {
        let (k0, w) = (k[0], k[1] - k[0]);
        let (a_owner, b_owner) = (gemm::part_of(k0, n, g.cols), gemm::part_of(k0, n, g.rows));
        let ap = &mut a_panel[..mr * w];
        if g.my_col == a_owner {
            let local = k0 - split(n, g.cols, a_owner).start;
            for (i, row) in ap.chunks_exact_mut(w).enumerate() {
                row.copy_from_slice(&a[i * nc + local..i * nc + local + w]);
            }
        }
        g.row_comm.process_at_rank(a_owner as i32).broadcast_into(&mut ap[..]);
        let bp = &mut b_panel[..w * nc];
        if g.my_row == b_owner {
            let local = k0 - split(n, g.rows, b_owner).start;
            bp.copy_from_slice(&b[local * nc..(local + w) * nc]);
        }
        g.col_comm.process_at_rank(b_owner as i32).broadcast_into(&mut bp[..]);
        gemm::multiply_add(ap, bp, c, mr, w, nc, 1.0);
    }
}

/// HPL's projection check of a distributed product, assembled with allreduces: every rank adds
/// its blocks' share of B·x, C·x, A·(B·x) and the row sums of |A| and |B|.
fn distributed_residual(world: &SimpleCommunicator, g: &Grid, n: usize, a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let (rows, cols) = (split(n, g.rows, g.my_row), split(n, g.cols, g.my_col));
    let x = gemm::fill(3, 0..n, 0..1);
    let sum = |mine: &mut Vec<f64>| {
        let mut all = vec![0.0; n];
        world.all_reduce_into(&mine[..], &mut all[..], SystemOperation::sum());
        all
    };
    let (mut bx, mut cx, mut a_rows, mut b_rows) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    gemm::block_matvec(b, &cols, &x, &mut bx[rows.clone()]);
    gemm::block_matvec(c, &cols, &x, &mut cx[rows.clone()]);
    gemm::block_abs_row_sums(a, cols.len(), &mut a_rows[rows.clone()]);
    gemm::block_abs_row_sums(b, cols.len(), &mut b_rows[rows.clone()]);
    let (bx, cx, a_rows, b_rows) = (sum(&mut bx), sum(&mut cx), sum(&mut a_rows), sum(&mut b_rows));
    let mut abx = vec![0.0; n];
    gemm::block_matvec(a, &cols, &bx, &mut abx[rows.clone()]);
    let abx = sum(&mut abx);
    gemm::scaled_residual(&cx, &abx, &a_rows, &b_rows, &x)
}

/// SUMMA at size n on every rank: timed between barriers, checked, one row; `None` when a stop
/// signal cut it short (every rank agrees before each product).
fn distributed(ctx: &RunContext, g: &Grid, n: usize, repeats: usize) -> Outcome<Option<Row>> {
    let (rows, cols) = (split(n, g.rows, g.my_row), split(n, g.cols, g.my_col));
    let (a, b) = (gemm::fill(1, rows.clone(), cols.clone()), gemm::fill(2, rows.clone(), cols.clone()));
    let mut c = vec![0.0; rows.len() * cols.len()];
    let mut a_panel = vec![0.0; rows.len() * PANEL];
    let mut b_panel = vec![0.0; PANEL * cols.len()];
    let blas_threads = crate::machine::blas::set_threads(ctx.threads);
    let Some((time, ())) = timed(
        repeats,
        || ctx.stop_requested().is_some(),
        || {
            ctx.world.barrier();
            summa(g, n, &a, &b, &mut c, &mut a_panel, &mut b_panel);
            ctx.world.barrier();
        },
    ) else {
        return Ok(None);
    };
    // The rank holding global entry (n/2, n/3) corrupts it under the test hook.
    if rows.contains(&(n / 2)) && cols.contains(&(n / 3)) {
        corrupt(&mut c, (n / 2 - rows.start) * cols.len() + n / 3 - cols.start);
    }
    let row = Row {
        implementation: "summa",
        n,
        ranks: ctx.size,
        threads: ctx.threads,
        blas_threads,
        time,
        residual: distributed_residual(&ctx.world, g, n, &a, &b, &c),
    };
    check(&row)?;
    Ok(Some(row))
}

fn run(ctx: &RunContext, args: &GemmArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let largest = *args.n.iter().max().expect("clap requires a size");
    let (grid_rows, grid_cols) = grid(ctx.size);
    if args.dist && largest < grid_cols.max(grid_rows) {
        return Err(Failure::usage(format!(
            "--n {largest} is smaller than the {grid_rows}×{grid_cols} process grid: every rank needs a block"
        )));
    }
    // Rank 0 holds three n × n matrices; with --dist every rank holds its three blocks too.
    let local_bytes = if ctx.is_root() { 3 * 8 * (largest as u64).pow(2) } else { 0 };
    let dist_bytes = if args.dist {
        3 * 8 * (largest as u64).pow(2) / ctx.size as u64 + 2 * 8 * PANEL as u64 * largest as u64
    } else {
        0
    };
    ctx.check_node_memory(local_bytes + dist_bytes, &format!("gemm at n = {largest}"), "give a smaller --n")?;

    let threads: Vec<usize> = if ctx.threads > 1 { vec![1, ctx.threads] } else { vec![1] };
    let pools = threads
        .iter()
        .map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("cannot start threads: {e}"))?;
    // Measured on rank 0 (its check can fail the run); the others wait for the verdict.
    let measured = if ctx.is_root() {
        crate::machine::peak::core_peak(args.peak_gflops).map_err(Failure::failed)
    } else {
        Ok((0.0, String::new()))
    };
    let (peak, peak_source) = ctx.agree(measured)?;
    let g = args.dist.then(|| Grid::new(&ctx.world));

    let grid_text = if args.dist { format!("{grid_rows}x{grid_cols}") } else { String::new() };
    let results_of = |rows: &[Row]| Results::complete(table(ctx, rows, args, peak, &peak_source, &grid_text));
    recorder.expect(args.n.len(), "sizes");
    let mut rows = Vec::new();
    let mut stopped = None;
    for (done, &n) in args.n.iter().enumerate() {
        let mine = if ctx.is_root() { local(n, args, &threads, &pools, &mut rows) } else { Ok(true) };
        ctx.agree(mine)?;
        // Rank 0's local products may have stopped early; the others learn it here.
        if let Some(signal) = ctx.stop_requested() {
            stopped = Some(signal);
            break;
        }
        if let Some(g) = &g {
            match ctx.agree(distributed(ctx, g, n, args.repeats))? {
                Some(row) => rows.push(row),
                None => {
                    stopped = ctx.stop_requested();
                    break;
                }
            }
        }
        if let Some(signal) = recorder.step(ctx, done + 1, || results_of(&rows))? {
            stopped = Some(signal);
            break;
        }
    }

    let mut results = results_of(&rows);
    if ctx.is_root() && !rows.is_empty() {
        print!("{}", console::render(&results.tables[0]));
        println!("Peak: {peak_source}.");
        let gflops = |r: &Row, t: f64| gemm::flops(r.n) / t / 1e9;
        for &n in &args.n {
            let rate = |name: &str| {
                rows.iter()
                    .filter(|r| r.implementation == name && r.n == n && r.threads == 1)
                    .map(|r| gflops(r, r.time.median))
                    .next()
            };
            if let (Some(blas), Some(blocked)) = (rate("blas"), rate("blocked")) {
                let naive = rate("naive").map_or(String::new(), |v| {
                    format!(
                        ", the textbook loop {} GFLOP/s (BLAS ×{} faster)",
                        console::format_number(v),
                        console::format_number(blas / v)
                    )
                });
                println!(
                    "n = {n}, one thread: BLAS {} GFLOP/s, blocked {} GFLOP/s ({:.0} % of BLAS){naive}.",
                    console::format_number(blas),
                    console::format_number(blocked),
                    100.0 * blocked / blas
                );
            }
        }
        println!("Lesson: numerics without a tuned, vectorised, threaded BLAS miss the essential, performance; the textbook loop is bound by memory, not by the FPU.");
    }
    let sizes = rows.iter().map(|r| r.n).collect::<std::collections::BTreeSet<_>>().len();
    results.stopped = stopped.map(|s| recorder.stopped(s, sizes));
    Ok(results)
}

/// Rank 0's table of the products measured so far (none elsewhere or before the first).
fn table(ctx: &RunContext, rows: &[Row], args: &GemmArgs, peak: f64, peak_source: &str, grid: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    if ctx.is_root() && !rows.is_empty() {
        let gflops = |r: &Row, t: f64| gemm::flops(r.n) / t / 1e9;
        // SUMMA against one rank's BLAS at the same size with the same threads.
        let reference = |r: &Row| {
            rows.iter()
                .find(|b| b.implementation == "blas" && b.n == r.n && b.threads == r.threads)
                .map(|b| gflops(b, b.time.median))
        };
        let efficiency: Vec<f64> = rows
            .iter()
            .map(|r| match (r.implementation, reference(r)) {
                ("summa", Some(one)) => gflops(r, r.time.median) / (r.ranks as f64 * one),
                _ => f64::NAN,
            })
            .collect();
        let mut t = Table::new("gemm");
        t.column("impl", "1", Values::Str(rows.iter().map(|r| r.implementation.to_string()).collect()))
            .column("n", "1", Values::U64(rows.iter().map(|r| r.n as u64).collect()))
            .column("ranks", "1", Values::U64(rows.iter().map(|r| r.ranks as u64).collect()))
            .column("threads", "1", Values::U64(rows.iter().map(|r| r.threads as u64).collect()))
            .column("blas_threads", "1", Values::U64(rows.iter().map(|r| r.blas_threads as u64).collect()))
            .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.time.min).collect()))
            .column("time_median_s", "s", Values::F64(rows.iter().map(|r| r.time.median).collect()))
            .column("time_max_s", "s", Values::F64(rows.iter().map(|r| r.time.max).collect()))
            .column("gflops", "GFLOP/s", Values::F64(rows.iter().map(|r| gflops(r, r.time.median)).collect()))
            .column("gflops_best", "GFLOP/s", Values::F64(rows.iter().map(|r| gflops(r, r.time.min)).collect()))
            .column(
                "fraction_of_peak",
                "1",
                Values::F64(
                    rows.iter().map(|r| gflops(r, r.time.median) / (peak * (r.ranks * r.threads) as f64)).collect(),
                ),
            )
            .column("parallel_efficiency", "1", Values::F64(efficiency))
            .column("residual", "1", Values::F64(rows.iter().map(|r| r.residual).collect()));
        t.attr("peak_gflops_per_core", AttrValue::F64(peak))
            .attr("peak_source", AttrValue::Str(peak_source.to_string()))
            .attr("residual_threshold", AttrValue::F64(RESIDUAL_THRESHOLD))
            .attr(
                "residual_definition",
                AttrValue::Str("‖C·x − A·(B·x)‖∞ / (‖A‖∞ ‖B‖∞ ‖x‖∞ n ε), x random (HPL's check)".into()),
            )
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("naive_max_n", AttrValue::U64(args.naive_max_n as u64))
            .attr("grid", AttrValue::Str(grid.to_string()))
            .attr("validated", AttrValue::U64(1));
        tables.push(t);
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::grid;

    #[test]
    fn grids_are_as_square_as_the_rank_count_allows() {
        assert_eq!(grid(1), (1, 1));
        assert_eq!(grid(3), (1, 3));
        assert_eq!(grid(4), (2, 2));
        assert_eq!(grid(6), (2, 3));
        assert_eq!(grid(12), (3, 4));
        assert_eq!(grid(7), (1, 7));
    }
}
