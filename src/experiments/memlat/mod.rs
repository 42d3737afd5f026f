//! `parahpc memlat`: memory latency by working-set size, the plateaus it climbs (L1, L2, L3,
//! DRAM), and where they change next to the cache sizes the machine reports.

mod args;
mod report;

use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::memlat::{break_cycle, chase, cycle, plateaus, Node, DRAM_LATENCY_NS};
use crate::machine::topology::Topology;
use crate::output::console::format_bytes as bytes;
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use crate::run::progress::Progress;

use super::Experiment;

use args::MemlatArgs;

/// Memory latency by working-set size: the cache levels as steps, DRAM at the top.
pub struct Memlat;

impl Experiment for Memlat {
    const NAME: &'static str = "memlat";
    type Args = MemlatArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Single;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "memlat",
            about: "One row per node and working-set size.",
            datasets: &[
                field("host", "1", "the node (its first rank measures)"),
                field("bytes", "B", "working set"),
                field("latency_ns_min", "ns", "time per dependent load, fastest chase"),
                field("latency_ns_median", "ns", "time per dependent load, median chase"),
            ],
            attributes: &[
                field("accesses", "1", "loads per timed chase, rounded up to whole laps"),
                field("repeats", "1", "timed chases per size"),
                field("validated", "1", "1: every chase ended where it started"),
                field("l1_bytes", "B", "L1 data cache rank 0's node reports"),
                field("l2_bytes", "B", "L2 cache it reports"),
                field("l3_bytes", "B", "L3 cache it reports"),
                field("l4_bytes", "B", "L4 cache it reports, where there is one"),
            ],
        },
        Group {
            path: "memlat/plateaus",
            about: "The curve's plateaus: runs of two or more sizes within 30 % of the run's lowest latency; sizes between plateaus are the steps.",
            datasets: &[
                field("host", "1", "the node"),
                field("first_bytes", "B", "smallest working set of the plateau"),
                field("last_bytes", "B", "largest working set of the plateau"),
                field("latency_ns", "ns", "median latency over the plateau"),
            ],
            attributes: &[],
        },
    ];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--max-bytes", "64M", "--accesses", &share.count(5e6, 1e5)]))
    }

    fn common(args: &MemlatArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(_args: &MemlatArgs) -> ThreadRequest {
        ThreadRequest::Fixed(1, "single-threaded experiment")
    }

    fn run(ctx: &RunContext, args: &MemlatArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// A plateau's latencies lie within 30 % of its lowest.
const SPREAD: f64 = 1.3;

fn run(ctx: &RunContext, args: &MemlatArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let levels = topology_levels();
    let llc = levels.values().last().map(|(b, _)| *b).unwrap_or(0);
    let max = args.max_bytes.unwrap_or_else(|| (4 * llc).max(16 << 20));
    if max < 4096 {
        return Err(Failure::usage(format!("--max-bytes {max} is below the smallest working set, 4096 bytes")));
    }
    // One rank per node measures: a latency is the node's, and neighbours would pollute its caches.
    let measuring = ctx.node.rank() == 0;
    ctx.check_node_memory(if measuring { max } else { 0 }, "memlat", "lower --max-bytes")?;

    let sizes = crate::mpi::message::sizes(4096, max);
    let progress = Progress::new("memlat", sizes.len() as u64, ctx.is_root() && !args.common.quiet);
    recorder.expect(sizes.len(), "sizes");
    let mut mine = vec![f64::NAN; 2 * sizes.len()];
    let mut verdict = Ok(());
    let mut stopped = None;
    let mut done = 0;
    let abandon = || crate::run::signals::received().is_some();
    'sizes: for (k, &size) in sizes.iter().enumerate() {
        if measuring && verdict.is_ok() {
            let n = (size / std::mem::size_of::<Node>() as u64).max(1) as usize;
            let mut nodes = cycle(n, size);
            // Test hook: the chase gets stuck before its end.
            if n > 1 && crate::run::failure::injected("break-cycle") {
                break_cycle(&mut nodes);
            }
            // Whole laps only: the chase must end where it started.
            let laps = (args.accesses / n).max(1);
            let mut times = Vec::new();
            for _ in 0..args.repeats {
                // A stop abandons the chase; the size is dropped below, where every rank agrees.
                let Some((end, ns)) = chase(&nodes, laps * n, &abandon) else { break };
                if end != 0 {
                    verdict = Err(format!(
                        "the chase over {} ended at node {end}, not 0, after {laps} lap(s)",
                        bytes(size as f64)
                    ));
                }
                times.push(ns);
            }
            times.sort_by(f64::total_cmp);
            mine[2 * k] = times.first().copied().unwrap_or(f64::NAN);
            mine[2 * k + 1] = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        }
        if let Some(s) = ctx.stop_requested() {
            stopped = Some(s);
            break 'sizes;
        }
        ctx.agree(
            verdict
                .clone()
                .map_err(|e| Failure::failed(format!("validation failed on host {}: {e}", ctx.hostnames[ctx.rank]))),
        )?;
        progress.advance();
        if ctx.is_root() {
            progress.line(&format!("{}: {:.2} ns per access", bytes(size as f64), mine[2 * k]));
        }
        done += 1;
        if let Some(s) = recorder.step(ctx, done, || Results::complete(tables(ctx, args, &sizes, done, &mine, false)))? {
            stopped = Some(s);
            break;
        }
    }
    drop(progress);
    let mut results = Results::complete(tables(ctx, args, &sizes, done, &mine, true));
    results.stopped = stopped.map(|s| recorder.stopped(s, done));
    Ok(results)
}

/// Collective: every node's latencies for the first `done` sizes, as rank 0's tables (printed
/// with the plateaus and the lesson if `print`).
fn tables(ctx: &RunContext, args: &MemlatArgs, sizes: &[u64], done: usize, mine: &[f64], print: bool) -> Vec<Table> {
    let levels = topology_levels();
    let mut all = vec![0.0; mine.len() * ctx.size];
    ctx.world.all_gather_into(mine, &mut all[..]);

    let mut tables = Vec::new();
    if ctx.is_root() {
        let (mut host, mut size, mut min, mut median) = (vec![], vec![], vec![], vec![]);
        let (mut p_host, mut p_first, mut p_last, mut p_ns) = (vec![], vec![], vec![], vec![]);
        let mut lines = Vec::new();
        let mut hosts_done: Vec<&String> = Vec::new();
        for (rank, h) in ctx.hostnames.iter().enumerate() {
            if hosts_done.contains(&h) {
                continue;
            }
            hosts_done.push(h);
            let row = &all[rank * mine.len()..(rank + 1) * mine.len()];
            let points: Vec<(u64, f64)> = (0..done).map(|k| (sizes[k], row[2 * k])).collect();
            for (k, &(s, ns)) in points.iter().enumerate() {
                host.push(h.clone());
                size.push(s);
                min.push(ns);
                median.push(row[2 * k + 1]);
            }
            let found = plateaus(&points, SPREAD);
            for (i, &(first, last, ns)) in found.iter().enumerate() {
                p_host.push(h.clone());
                p_first.push(first);
                p_last.push(last);
                p_ns.push(ns);
                let mut line = format!("{h}: plateau {} to {}: {ns:.2} ns", bytes(first as f64), bytes(last as f64));
                // The step runs from this plateau's last size to the next plateau's first, or to
                // the largest size measured when latency still rises there.
                let largest = points.last().map_or(last, |p| p.0);
                let next = found.get(i + 1).map(|p| p.0).or((largest > last).then_some(largest));
                if ns >= DRAM_LATENCY_NS {
                    line += &format!("; DRAM: slower than {DRAM_LATENCY_NS} ns a load, which no cache is");
                } else if let Some(next) = next {
                    let caches: Vec<String> = levels
                        .iter()
                        .filter(|(_, (b, _))| *b >= last && *b <= next)
                        .map(|(l, (b, _))| format!("L{l} = {}", bytes(*b as f64)))
                        .collect();
                    line += &if caches.is_empty() {
                        "; the step after it matches no cache size this node reports".to_string()
                    } else {
                        format!("; the step after it lines up with {}", caches.join(" and "))
                    };
                }
                lines.push(line);
            }
        }
        let mut t = Table::new("memlat");
        t.column("host", "1", Values::Str(host))
            .column("bytes", "B", Values::U64(size))
            .column("latency_ns_min", "ns", Values::F64(min))
            .column("latency_ns_median", "ns", Values::F64(median));
        t.attr("accesses", AttrValue::U64(args.accesses as u64))
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("validated", AttrValue::U64(1));
        for (l, (b, _)) in &levels {
            t.attr(["l1_bytes", "l2_bytes", "l3_bytes", "l4_bytes"][(*l as usize).clamp(1, 4) - 1], AttrValue::U64(*b));
        }
        let mut p = Table::new("memlat/plateaus");
        p.column("host", "1", Values::Str(p_host))
            .column("first_bytes", "B", Values::U64(p_first))
            .column("last_bytes", "B", Values::U64(p_last))
            .column("latency_ns", "ns", Values::F64(p_ns));
        if print {
            print!("{}", console::render(&t));
            for line in &lines {
                println!("{line}");
            }
            println!("Lesson: each cache level the working set outgrows costs a step in latency; past the last one, every miss waits for DRAM.");
        }
        tables = vec![t, p];
    }
    tables
}

/// The cache sizes this node reports, by level.
fn topology_levels() -> std::collections::BTreeMap<u32, (u64, usize)> {
    Topology::host().cache_levels()
}
