//! `parahpc falseshare`: threads that never touch each other's data still slow each other down
//! when their counters share a cache line, because the line ping-pongs between their caches.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::collections::BTreeMap;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::falseshare::{check, increment, Packed, Padded};
use crate::machine::affinity;
use crate::machine::topology::Topology;
use crate::mpi::shared::NodeShared;
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::FalseshareArgs;

/// Cache-line invalidation: private counters that share a line slow each other down.
pub struct Falseshare;

impl Experiment for Falseshare {
    const NAME: &'static str = "falseshare";
    type Args = FalseshareArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "falseshare",
        about: "One row per placement and layout: rank 0's threads, then the ranks of rank 0's node.",
        datasets: &[
            field(
                "placement",
                "1",
                "`different cores` or `one core's hyperthreads` (threads of rank 0), or `separate processes` (the ranks of rank 0's node, counters in an MPI shared-memory window)",
            ),
            field("layout", "1", "`packed` (counters 8 B apart) or `padded` (128 B apart)"),
            field("threads", "1", "threads incrementing (per rank)"),
            field("ranks", "1", "ranks incrementing: 1 for threads, the node's ranks for `separate processes`"),
            field("time_min_s", "s", "best of the repeats"),
            field("ns_per_increment", "ns", "time per increment of one worker"),
            field("slowdown", "1", "this layout's time over padded's, same placement"),
        ],
        attributes: &[
            field("iterations", "1", "increments per thread"),
            field("repeats", "1", "timed runs per layout"),
            field("line_bytes", "B", "the cache line size the node reports"),
            field("padding_bytes", "B", "distance between padded counters"),
            field("validated", "1", "1: every count was exact"),
            field("smt", "1", "1 if the node has hyperthreads"),
        ],
    }];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--iters", &share.count(2e7, 1e5), "--repeats", "3"]))
    }

    fn not_applicable(ctx: &RunContext) -> Option<String> {
        match workers(ctx) {
            (false, false) if ctx.nodes > 1 => Some(format!(
                "falseshare needs two workers that share a node's caches, and the {} ranks are on {} nodes, one each: \
                 there is no cache line to share between nodes; run 2 ranks on one node, or --threads 2",
                ctx.size, ctx.nodes
            )),
            (false, false) => Some(
                "falseshare needs two workers that share a node: 2 ranks on one node (mpirun -n 2), or --threads 2 \
                 (and a rank bound to 2 or more CPUs)"
                    .into(),
            ),
            _ => None,
        }
    }

    fn common(args: &FalseshareArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &FalseshareArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &FalseshareArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// Where the threads run: (name, one CPU per thread).
fn placements(topology: &Topology, allowed: &[usize], threads: usize) -> Vec<(&'static str, Vec<usize>)> {
    let mut by_core: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for &cpu in allowed {
        if let Some(core) = topology.cpus.get(&cpu) {
            by_core.entry(*core).or_default().push(cpu);
        }
    }
    let mut out = Vec::new();
    let one_per_core: Vec<usize> = by_core.values().map(|cpus| cpus[0]).collect();
    if one_per_core.len() >= threads {
        out.push(("different cores", one_per_core[..threads].to_vec()));
    }
    // Hyperthreads of one core share its L1: the line never leaves the core.
    if let Some(siblings) = by_core.values().find(|cpus| cpus.len() >= threads) {
        out.push(("one core's hyperthreads", siblings[..threads].to_vec()));
    }
    out
}

/// Best time of `repeats` runs of every thread incrementing its counter `iters` times, and the
/// verdict on the counts; `None` when a stop signal cut it short.
fn run_layout(
    pool: &rayon::ThreadPool,
    packed: bool,
    threads: usize,
    iters: u64,
    repeats: usize,
) -> Option<(f64, Result<(), String>)> {
    let abandon = || crate::run::signals::received().is_some();
    let mut best = f64::INFINITY;
    let mut verdict = Ok(());
    for _ in 0..repeats {
        let (p, q) = (Packed::new(threads), Padded::new(threads));
        let start = std::time::Instant::now();
        let finished = pool.broadcast(|t| {
            let counter = if packed { &p.0[t.index()] } else { &q.0[t.index()].0 };
            increment(counter, iters, &abandon)
        });
        if finished.contains(&false) {
            return None;
        }
        best = best.min(start.elapsed().as_secs_f64());
        // Test hook: one increment lost, which the count check must catch.
        if crate::run::failure::injected("lose-increment") {
            p.0[0].fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            q.0[0].0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        let counts = if packed { check(p.0.iter(), iters) } else { check(q.0.iter().map(|l| &l.0), iters) };
        verdict = verdict.and(counts);
    }
    Some((best, verdict))
}

/// The workers that can share a line here: rank 0's threads, and the ranks of rank 0's node.
fn workers(ctx: &RunContext) -> (bool, bool) {
    let first_node = ctx.hostnames.iter().filter(|h| **h == ctx.hostnames[0]).count();
    (ctx.threads >= 2, first_node >= 2)
}

/// A layout and its best time, s.
type LayoutTime = (&'static str, f64);

/// Every rank of each node increments its own counter in memory the node's ranks share, packed
/// into lines or padded to their own, as the course's processes do with a shared `Value`: the
/// best time of `repeats` runs per layout (the slowest rank's), and the verdict on the counts;
/// `None` when a stop cut it short. Collective over the world; each node shares its own segment.
fn run_ranks(ctx: &RunContext, iters: u64, repeats: usize) -> Option<(Vec<LayoutTime>, Result<(), String>)> {
    let (node, ranks, me) = (&ctx.node, ctx.node.size() as usize, ctx.node.rank() as usize);
    let shared = NodeShared::new(node, 16 * ranks);
    let words = shared.words();
    let abandon = || crate::run::signals::received().is_some();
    let mut rows = Vec::new();
    let mut verdict = Ok(());
    let mut stopped = false;
    'layouts: for (layout, stride) in [("packed", 1), ("padded", 16)] {
        let mut best = f64::INFINITY;
        for _ in 0..repeats {
            if node.rank() == 0 {
                words.iter().for_each(|w| w.store(0, std::sync::atomic::Ordering::Relaxed));
            }
            shared.sync(node);
            let start = mpi::time();
            let finished = increment(&words[stride * me], iters, &abandon);
            let mine = mpi::time() - start;
            let mut slowest = 0.0;
            node.all_reduce_into(&mine, &mut slowest, SystemOperation::max());
            if !finished || ctx.stop_requested().is_some() {
                stopped = true;
                break 'layouts;
            }
            best = best.min(slowest);
            // Test hook: one increment lost, which the count check must catch.
            if node.rank() == 0 && crate::run::failure::injected("lose-increment") {
                words[0].fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
            shared.sync(node);
            if node.rank() == 0 {
                verdict = verdict.and(check((0..ranks).map(|r| &words[stride * r]), iters));
            }
        }
        rows.push((layout, best));
    }
    shared.free();
    (!stopped).then_some((rows, verdict))
}

fn run(ctx: &RunContext, args: &FalseshareArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let (with_threads, with_ranks) = workers(ctx);
    let threads = ctx.threads;
    let topology = Topology::read(Path::new("/"));
    let allowed = affinity::allowed_cpus().map_err(|e| anyhow::anyhow!("sched_getaffinity: {e}"))?;
    let measuring = with_threads && ctx.node.rank() == 0;
    let places = if with_threads { placements(&topology, &allowed, threads) } else { Vec::new() };
    let line = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(64);

    // Threads: only node leaders measure; rank 0 reports its node (each node would tell the same
    // story). Ranks: every rank of every node, rank 0's node reported. Each is one step: a stop
    // ends it within a few ms, keeping the layouts done.
    recorder.expect(usize::from(with_threads) + usize::from(with_ranks), "measurements");
    // (placement, layout, threads, ranks, time)
    let mut rows: Vec<(&str, &str, usize, usize, f64)> = Vec::new();
    let mut verdict = Ok(());
    if measuring {
        'places: for (name, cpus) in &places {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| anyhow::anyhow!("cannot start {threads} threads: {e}"))?;
            let pinned: Vec<std::io::Result<()>> = pool.broadcast(|t| affinity::pin_current_thread(cpus[t.index()]));
            if let Some(Err(e)) = pinned.into_iter().find(|r| r.is_err()) {
                verdict = Err(format!("cannot pin a thread to a CPU of {cpus:?}: {e}"));
                break;
            }
            for (layout, packed) in [("packed", true), ("padded", false)] {
                let Some((time, counts)) = run_layout(&pool, packed, threads, args.iters, args.repeats) else {
                    break 'places;
                };
                verdict = verdict.and(counts);
                rows.push((name, layout, threads, 1, time));
            }
        }
    }
    let mut stopped = ctx.stop_requested();
    ctx.agree(verdict.map_err(|e| Failure::failed(format!("validation failed: {e}"))))?;

    // Only rank 0 knows whether it found CPUs to pin to; every rank must hear it (they hung).
    let pinned = if measuring && ctx.is_root() && rows.is_empty() && stopped.is_none() {
        Err(Failure::usage(format!(
            "rank 0 has no {threads} CPUs on distinct cores or hyperthreads to pin to: bind it to more CPUs"
        )))
    } else {
        Ok(())
    };
    ctx.agree(pinned)?;
    if with_ranks && stopped.is_none() {
        match run_ranks(ctx, args.iters, args.repeats) {
            Some((times, counts)) => {
                ctx.agree(counts.map_err(|e| Failure::failed(format!("validation failed between ranks: {e}"))))?;
                let ranks = ctx.node.size() as usize;
                rows.extend(times.into_iter().map(|(layout, t)| ("separate processes", layout, 1, ranks, t)));
            }
            None => stopped = ctx.stop_requested(),
        }
    }
    let mut tables = Vec::new();
    if ctx.is_root() {
        let padded_time = |place: &str| rows.iter().find(|r| r.0 == place && r.1 == "padded").map_or(f64::NAN, |r| r.4);
        let mut t = Table::new("falseshare");
        t.column("placement", "1", Values::Str(rows.iter().map(|r| r.0.to_string()).collect()))
            .column("layout", "1", Values::Str(rows.iter().map(|r| r.1.to_string()).collect()))
            .column("threads", "1", Values::U64(rows.iter().map(|r| r.2 as u64).collect()))
            .column("ranks", "1", Values::U64(rows.iter().map(|r| r.3 as u64).collect()))
            .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.4).collect()))
            .column("ns_per_increment", "ns", Values::F64(rows.iter().map(|r| r.4 / args.iters as f64 * 1e9).collect()))
            .column("slowdown", "1", Values::F64(rows.iter().map(|r| r.4 / padded_time(r.0)).collect()));
        let smt = topology.threads_per_core() > 1;
        t.attr("iterations", AttrValue::U64(args.iters))
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("line_bytes", AttrValue::U64(line))
            .attr("padding_bytes", AttrValue::U64(128))
            .attr("validated", AttrValue::U64(1))
            .attr("smt", AttrValue::U64(smt as u64));
        print!("{}", console::render(&t));
        for (place, who) in [("different cores", "threads on different cores"), ("separate processes", "ranks (processes)")] {
            let Some(r) = rows.iter().find(|r| r.1 == "packed" && r.0 == place) else { continue };
            let (n, s) = (r.2.max(r.3), r.4 / padded_time(place));
            println!(
                "False sharing: {n} {who}, each with its own counter, run ×{} {} when the counters share a {line}-byte line than when each has its own.",
                console::format_number(if s >= 1.0 { s } else { 1.0 / s }),
                if s >= 1.0 { "slower" } else { "faster" }
            );
        }
        if with_threads && !smt {
            println!("This node has no SMT (one hardware thread per core): the same-core variant, where hyperthreads share one L1 and the line never moves, cannot run here.");
        }
        println!("Lesson: pad per-worker data to its own cache line, between threads as between processes sharing memory; the cost is paid even though no data is shared.");
        tables.push(t);
    }
    let mut results = Results::complete(tables);
    results.stopped = stopped.map(|s| recorder.stopped(s, 0));
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_use_distinct_cores_and_siblings() {
        let mut t = Topology::default();
        // 2 cores × 2 hyperthreads: CPUs 0,1 on core 0 and 2,3 on core 1.
        for cpu in 0..4 {
            t.cpus.insert(cpu, (0, cpu / 2));
        }
        assert_eq!(
            placements(&t, &[0, 1, 2, 3], 2),
            [("different cores", vec![0, 2]), ("one core's hyperthreads", vec![0, 1])]
        );
        assert_eq!(placements(&t, &[0, 1, 2, 3], 3), []);
        let mut flat = Topology::default();
        flat.cpus.insert(0, (0, 0));
        flat.cpus.insert(1, (0, 1));
        assert_eq!(placements(&flat, &[0, 1], 2), [("different cores", vec![0, 1])]);
    }
}
