//! `parahpc stream`: McCalpin's STREAM per rank and for the whole job, swept over threads on
//! one rank and then over ranks, to show where memory bandwidth saturates (the memory-bound half
//! of the Amdahl story).

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use std::path::Path;
use std::sync::Mutex;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::stream as k;
use crate::machine;
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::{gib, RunContext};
use crate::run::failure::{Failure, Outcome};
use crate::run::progress::Progress;

use super::doubling_up_to;
use super::Experiment;

use args::{StoresChoice, StreamArgs};

/// McCalpin's STREAM per rank and for the job: where memory bandwidth saturates.
pub struct Stream;

impl Experiment for Stream {
    const NAME: &'static str = "stream";
    type Args = StreamArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "stream",
        about: "One row per point (ranks × threads) and kernel.",
        datasets: &[
            field("ranks", "1", "ranks of the point"),
            field("threads", "1", "threads per rank"),
            field("kernel", "1", "`copy`, `scale`, `add` or `triad`"),
            field("time_min_s", "s", "fastest kept repetition (the first is left out)"),
            field("time_avg_s", "s", "mean of the kept repetitions"),
            field("time_max_s", "s", "slowest kept repetition"),
            field("bandwidth_GBps", "GB/s", "aggregate bandwidth of the point, from the best time (10^9 B/s)"),
            field("bandwidth_per_rank_GBps", "GB/s", "aggregate / ranks"),
            field("nodes", "1", "nodes the point's ranks span"),
            field("bandwidth_per_node_GBps", "GB/s", "aggregate / nodes: what saturates across several nodes"),
            field("stores", "1", "the point's stores and vector width, e.g. `non-temporal, 512-bit`"),
            field(
                "stores_gain",
                "1",
                "the other kind's best Triad time over the chosen kind's, timed alternately on the point's arrays (NaN when --stores forced one)",
            ),
        ],
        attributes: &[
            field("elements_per_rank", "1", "f64 elements per array per rank"),
            field("bytes_per_rank", "B", "bytes of the three arrays per rank"),
            field("last_level_cache_bytes", "B", "the last-level cache the node reports (0 if unknown)"),
            field("repeats", "1", "repetitions of the four kernels"),
            field("scalar", "1", "the scalar s of Scale and Triad"),
            field("validated", "1", "1: the arrays passed STREAM's check"),
            field("saturation", "", "where Triad bandwidth (per node, across several nodes) saturates, in words"),
        ],
    }];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--bytes", "128M", "--repeats", &share.count(100.0, 5.0)]))
    }

    fn common(args: &StreamArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &StreamArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &StreamArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

const SCALAR: f64 = 3.0;
const KERNELS: [&str; 4] = ["copy", "scale", "add", "triad"];
/// Bytes each kernel moves per element, as STREAM counts them (no write-allocate traffic).
const BYTES_PER_ELEMENT: [u64; 4] = [16, 16, 24, 24];

/// Each kernel's repeat times at one point.
type KernelTimes = [Vec<f64>; 4];

/// A point (ranks, threads), each kernel's repeat times on it and the stores it used.
type PointTimes = ((usize, usize), KernelTimes, Chosen);

/// The stores a point used and, when both were timed, how much faster they ran Triad than the
/// other kind (best against best; NaN when `--stores` forced one).
#[derive(Clone, Copy)]
struct Chosen {
    stores: k::Stores,
    gain: f64,
}

/// Alternating rounds of Triad with each kind of store in the `auto` choice.
const CALIBRATION_ROUNDS: usize = 3;

/// One thread's part of the three arrays, allocated and first-touched by that thread.
struct Chunk {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

/// (ranks, threads): threads 1..T on one rank, then ranks 1..N with T threads each.
fn points(ranks: usize, threads: usize) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = doubling_up_to(threads).into_iter().map(|t| (1, t)).collect();
    v.extend(doubling_up_to(ranks).into_iter().skip(1).map(|r| (r, threads)));
    v
}

/// Times of every repetition of every kernel at one point, as the slowest rank saw them, and
/// this rank's verdict on its arrays; `None` when a stop signal cut the point short (every rank
/// of `sub` learns it in the allreduce that ends each kernel).
fn measure(
    sub: &SimpleCommunicator,
    pool: &rayon::ThreadPool,
    threads: usize,
    n: usize,
    repeats: usize,
    choice: StoresChoice,
) -> Option<(KernelTimes, Chosen, Result<(), String>)> {
    let chunks: Vec<Mutex<Chunk>> =
        (0..threads).map(|_| Mutex::new(Chunk { a: Vec::new(), b: Vec::new(), c: Vec::new() })).collect();
    let share = |i: usize| n * (i + 1) / threads - n * i / threads;
    // First touch by the thread that will stream the chunk: its pages land on that thread's node.
    pool.broadcast(|t| {
        if t.index() < threads {
            let len = share(t.index());
            *chunks[t.index()].lock().unwrap() = Chunk { a: vec![2.0; len], b: vec![2.0; len], c: vec![0.0; len] };
        }
    });
    // One kernel on every thread's chunk at once, timed as the slowest rank saw it; `None` when
    // a stop signal reached any rank of `sub`.
    let timed = |kernel: usize, stores: k::Stores| -> Option<f64> {
        sub.barrier();
        let t0 = mpi::time();
        pool.broadcast(|t| {
            if t.index() < threads {
                let mut guard = chunks[t.index()].lock().unwrap();
                let Chunk { a, b, c } = &mut *guard;
                match kernel {
                    0 => k::copy(c, a, stores),
                    1 => k::scale(b, c, SCALAR, stores),
                    2 => k::add(c, a, b, stores),
                    _ => k::triad(a, b, c, SCALAR, stores),
                }
            }
        });
        let mine = [mpi::time() - t0, f64::from(crate::run::signals::received().unwrap_or(0))];
        let mut slowest = [0.0; 2];
        sub.all_reduce_into(&mine[..], &mut slowest[..], SystemOperation::max());
        (slowest[1] == 0.0).then_some(slowest[0])
    };
    let chosen = match choice {
        StoresChoice::Ordinary => Chosen { stores: k::Stores::Ordinary, gain: f64::NAN },
        StoresChoice::NonTemporal => Chosen { stores: k::Stores::NonTemporal, gain: f64::NAN },
        StoresChoice::Auto => {
            // Triad from the initial arrays gives a = b + s·c = 2 + 0, their initial value, so
            // the calibration leaves STREAM's recurrence where it was. Every rank times the same
            // rounds and agrees on the slowest rank's times, so all choose alike.
            let mut best = [f64::INFINITY; 2];
            for _ in 0..CALIBRATION_ROUNDS {
                for (b, stores) in best.iter_mut().zip(k::Stores::ALL) {
                    *b = b.min(timed(3, stores)?);
                }
            }
            let (win, lose) = if best[0] <= best[1] { (0, 1) } else { (1, 0) };
            Chosen { stores: k::Stores::ALL[win], gain: best[lose] / best[win] }
        }
    };
    let mut times: KernelTimes = Default::default();
    for _ in 0..repeats {
        for (kernel, time) in times.iter_mut().enumerate() {
            time.push(timed(kernel, chosen.stores)?);
        }
    }
    // Test hook: one element damaged after the kernels ran.
    if crate::run::failure::injected("corrupt-array") {
        chunks[0].lock().unwrap().c[0] = 0.0;
    }
    let want = k::expected(repeats, SCALAR);
    let verdict = chunks.iter().try_for_each(|chunk| {
        let chunk = chunk.lock().unwrap();
        k::check([&chunk.a, &chunk.b, &chunk.c], want)
    });
    Some((times, chosen, verdict))
}

fn run(ctx: &RunContext, args: &StreamArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let llc = machine::last_level_cache_bytes();
    let bytes = args.bytes.unwrap_or_else(|| llc.map_or(0, |l| 4 * l).max(64 << 20));
    let n = (bytes / 24) as usize;
    if n < ctx.threads {
        return Err(Failure::usage(format!(
            "--bytes {bytes} gives fewer than one element per thread; use at least {}",
            24 * ctx.threads
        )));
    }
    let hint = format!("{:.2} GiB of arrays per rank: lower --bytes", gib(24 * n as u64));
    ctx.check_node_memory(24 * n as u64, "stream", &hint)?;

    let points = points(ctx.size, ctx.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctx.threads)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {} threads: {e}", ctx.threads))?;
    let progress = Progress::new("stream", points.len() as u64, ctx.is_root() && !args.common.quiet);
    progress.line(&format!(
        "{} elements per array per rank ({:.2} GiB for the three; last-level cache {}), best of {} repetitions",
        n,
        gib(24 * n as u64),
        llc.map_or("unknown".to_string(), |l| format!("{:.1} MiB", l as f64 / (1 << 20) as f64)),
        args.repeats
    ));

    let mut rows: Vec<PointTimes> = Vec::new();
    let (mut stopped, mut completed) = (None, 0);
    recorder.expect(points.len(), "points");
    // Nodes the first r ranks span: bandwidth is a node's resource, so it is judged per node.
    let nodes: Vec<usize> = (1..=ctx.size).map(|r| distinct(&ctx.hostnames[..r])).collect();
    let results = |rows: &[PointTimes]| {
        let tables =
            if rows.is_empty() { Vec::new() } else { vec![analyse(rows, n, llc, args.repeats, &nodes).0] };
        Results::complete(tables)
    };
    for &(ranks, threads) in &points {
        let color = if ctx.rank < ranks { Color::with_value(0) } else { Color::undefined() };
        let sub = ctx.world.split_by_color(color);
        let measured = match &sub {
            Some(sub) => measure(sub, &pool, threads, n, args.repeats, args.stores),
            None => Some((Default::default(), Chosen { stores: k::Stores::Ordinary, gain: f64::NAN }, Ok(()))),
        };
        // A point cut short is dropped; the ranks that sat it out learn of the stop here too.
        let (times, chosen, verdict) = match (measured, ctx.stop_requested()) {
            (Some(m), None) => m,
            (_, signal) => {
                stopped = signal;
                break;
            }
        };
        ctx.agree(verdict.map_err(|e| {
            Failure::failed(format!("validation failed on rank {} ({ranks} ranks × {threads} threads): {e}", ctx.rank))
        }))?;
        progress.advance();
        if ctx.is_root() {
            let best = (times[3].iter().skip(1).copied().fold(f64::INFINITY, f64::min)).max(f64::MIN_POSITIVE);
            progress.line(&format!(
                "{ranks} rank(s) × {threads} thread(s): triad {:.2} GB/s, {} stores",
                (24 * n * ranks) as f64 / best / 1e9,
                chosen.stores.describe()
            ));
            rows.push(((ranks, threads), times, chosen));
        }
        completed += 1;
        if let Some(s) = recorder.step(ctx, completed, || results(&rows))? {
            stopped = Some(s);
            break;
        }
    }
    drop(progress);

    if ctx.is_root() && !rows.is_empty() {
        let (table, lesson) = analyse(&rows, n, llc, args.repeats, &nodes);
        print!("{}", console::render(&table));
        println!("{lesson}");
    }
    let mut results = results(&rows);
    results.stopped = stopped.map(|s| recorder.stopped(s, completed));
    Ok(results)
}

/// How many distinct hosts `hosts` names.
fn distinct(hosts: &[String]) -> usize {
    let mut v: Vec<&String> = hosts.iter().collect();
    v.sort();
    v.dedup();
    v.len()
}

/// The table (one row per point and kernel) and the lesson, from rank 0's times; `nodes[r - 1]`
/// is how many nodes the first r ranks span.
fn analyse(rows: &[PointTimes], n: usize, llc: Option<u64>, repeats: usize, nodes: &[usize]) -> (Table, String) {
    let (mut ranks, mut threads, mut kernel, mut tmin, mut tavg, mut tmax, mut aggregate, mut per_rank) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut spanned, mut per_node) = (vec![], vec![]);
    let several_nodes = nodes.last().is_some_and(|&k| k > 1);
    let mut triad = Vec::new();
    let (mut stores, mut gain) = (vec![], vec![]);
    for &((r, t), ref times, chosen) in rows {
        for (j, name) in KERNELS.iter().enumerate() {
            // STREAM leaves out the first repetition, which pays for cold caches and TLBs.
            let kept: Vec<f64> = times[j].iter().skip(1).copied().collect();
            let (lo, hi) = kept.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            let rate = (BYTES_PER_ELEMENT[j] * n as u64 * r as u64) as f64 / lo / 1e9;
            ranks.push(r as u64);
            threads.push(t as u64);
            kernel.push(name.to_string());
            tmin.push(lo);
            tavg.push(kept.iter().sum::<f64>() / kept.len() as f64);
            tmax.push(hi);
            aggregate.push(rate);
            per_rank.push(rate / r as f64);
            spanned.push(nodes[r - 1] as u64);
            per_node.push(rate / nodes[r - 1] as f64);
            stores.push(chosen.stores.describe());
            gain.push(chosen.gain);
            if *name == "triad" {
                // Across nodes, saturation is a node's: judge the bandwidth per node.
                triad.push(((r, t), if several_nodes { rate / nodes[r - 1] as f64 } else { rate }));
            }
        }
    }
    let best = triad.iter().map(|(_, g)| *g).fold(0.0, f64::max);
    let (at, _) = triad.iter().find(|(_, g)| *g >= 0.9 * best).copied().unwrap_or(((1, 1), 0.0));
    let last = triad.last().map_or((1, 1), |(p, _)| *p);
    let (bandwidth, best_what) =
        if several_nodes { ("bandwidth per node", "best per node") } else { ("bandwidth", "best aggregate") };
    // Reaching 90 % only at the last point is no saturation: bandwidth was still growing.
    let saturation = if at == last && triad.len() > 1 {
        format!("Triad {bandwidth} still grows at the largest point ({best:.2} GB/s at {} rank(s) × {} thread(s)): no saturation within this job; run more workers per node to find it", at.0, at.1)
    } else {
        format!("Triad reaches 90 % of its {best_what} ({best:.2} GB/s) at {} rank(s) × {} thread(s)", at.0, at.1)
    };

    let mut t = Table::new("stream");
    t.column("ranks", "1", Values::U64(ranks))
        .column("threads", "1", Values::U64(threads))
        .column("kernel", "1", Values::Str(kernel))
        .column("time_min_s", "s", Values::F64(tmin))
        .column("time_avg_s", "s", Values::F64(tavg))
        .column("time_max_s", "s", Values::F64(tmax))
        .column("bandwidth_GBps", "GB/s", Values::F64(aggregate))
        .column("bandwidth_per_rank_GBps", "GB/s", Values::F64(per_rank))
        .column("nodes", "1", Values::U64(spanned))
        .column("bandwidth_per_node_GBps", "GB/s", Values::F64(per_node))
        .column("stores", "1", Values::Str(stores))
        .column("stores_gain", "1", Values::F64(gain));
    t.attr("elements_per_rank", AttrValue::U64(n as u64))
        .attr("bytes_per_rank", AttrValue::U64(24 * n as u64))
        .attr("last_level_cache_bytes", AttrValue::U64(llc.unwrap_or(0)))
        .attr("repeats", AttrValue::U64(repeats as u64))
        .attr("scalar", AttrValue::F64(SCALAR))
        .attr("validated", AttrValue::U64(1))
        .attr("saturation", AttrValue::Str(saturation.clone()));
    let first = triad.first().map_or(0.0, |(_, g)| *g);
    let lesson = format!(
        "{saturation}; one thread alone streams {first:.2} GB/s. Past saturation, more cores add no bandwidth: memory-bound code stops scaling there, whatever Amdahl's serial fraction says."
    );
    (t, lesson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_threads_on_one_rank_then_ranks() {
        assert_eq!(points(1, 1), [(1, 1)]);
        assert_eq!(points(1, 4), [(1, 1), (1, 2), (1, 4)]);
        assert_eq!(points(4, 2), [(1, 1), (1, 2), (2, 2), (4, 2)]);
    }
}
