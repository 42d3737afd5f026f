//! `parahpc topology`: what hwloc's lstopo shows, for the whole job. Per node its packages, NUMA
//! nodes with memory, cores, hardware threads and caches; per rank where it is bound; and the
//! binding mistakes that spoil measurements: two ranks on one core, more threads than cores,
//! a rank spanning NUMA nodes.

mod args;
mod report;

use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::machine::topology::{self, binding_problems, Placement};
use crate::mpi::collective::all_gather_strings;
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::{gib, RunContext};
use crate::run::failure::Outcome;

use super::Experiment;

use args::TopologyArgs;

/// The machine and where every rank runs on it, with the binding mistakes that spoil timings.
pub struct Topology;

impl Experiment for Topology {
    const NAME: &'static str = "topology";
    type Args = TopologyArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Single;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "topology",
            about: "One row per rank: where it runs and what is wrong with that.",
            datasets: &[
                field("rank", "1", "the rank"),
                field("host", "1", "its host"),
                field("cpuset", "1", "the CPUs it is bound to"),
                field("numa_node", "1", "the NUMA nodes of those CPUs"),
                field("core_ids", "1", "their `package:core` pairs"),
                field("threads", "1", "threads it runs"),
                field("flags", "1", "binding problems, empty when fine"),
            ],
            attributes: &[
                field("source", "", "what was read (Linux sysfs)"),
                field("problems", "1", "ranks flagged"),
            ],
        },
        Group {
            path: "topology/nodes",
            about: "One row per node.",
            datasets: &[
                field("host", "1", "the node"),
                field("packages", "1", "sockets"),
                field("numa_nodes", "1", "NUMA nodes"),
                field("cores", "1", "physical cores"),
                field("pus", "1", "hardware threads"),
                field("threads_per_core", "1", "hardware threads per core (SMT)"),
                field("numa_memory_bytes", "B", "memory of all NUMA nodes"),
                field("l1d_bytes", "B", "L1 data cache, per instance"),
                field("l2_bytes", "B", "L2 cache, per instance"),
                field("l3_bytes", "B", "L3 cache, per instance"),
                field("l3_instances", "1", "L3 caches"),
            ],
            attributes: &[],
        },
    ];

    const SUITE_WEIGHT: f64 = 0.2;


    fn common(args: &TopologyArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &TopologyArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, _args: &TopologyArgs, _recorder: &mut Recorder) -> Outcome<Results> {
        // One step of a few milliseconds: nothing to checkpoint or stop.
        self::run(ctx)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// The per-node figures every rank reads, in this order.
const NODE_FIGURES: usize = 10;

fn node_figures(t: &topology::Topology) -> [u64; NODE_FIGURES] {
    let levels = t.cache_levels();
    let level = |l: u32| levels.get(&l).copied().unwrap_or((0, 0));
    [
        t.packages() as u64,
        t.numa.len() as u64,
        t.cores() as u64,
        t.cpus.len() as u64,
        t.threads_per_core() as u64,
        t.numa.values().map(|(_, m)| m).sum(),
        level(1).0,
        level(2).0,
        level(3).0,
        level(3).1 as u64,
    ]
}

fn run(ctx: &RunContext) -> Outcome<Results> {
    let topology = topology::Topology::read(Path::new("/"));

    // Binding problems are a node's business: judge each node's ranks together.
    let node_ranks = all_gather_strings(&ctx.node, &ctx.rank.to_string());
    let node_numa = all_gather_strings(&ctx.node, &ctx.numa_nodes[ctx.rank]);
    let node_cores = all_gather_strings(&ctx.node, &ctx.core_ids[ctx.rank]);
    let on_node: Vec<(usize, Placement, usize)> = (0..node_ranks.len())
        .filter_map(|i| {
            Some((node_ranks[i].parse().ok()?, Placement::parse(&node_numa[i], &node_cores[i])?, ctx.threads))
        })
        .collect();
    let mine = binding_problems(&on_node).remove(&ctx.rank).unwrap_or_default().join("; ");
    let flags = all_gather_strings(&ctx.world, &mine);

    let figures = node_figures(&topology);
    let mut all = vec![0u64; NODE_FIGURES * ctx.size];
    ctx.world.all_gather_into(&figures[..], &mut all[..]);

    let mut tables = Vec::new();
    if ctx.is_root() {
        let mut hosts: Vec<(String, [u64; NODE_FIGURES])> = Vec::new();
        for (rank, host) in ctx.hostnames.iter().enumerate() {
            if !hosts.iter().any(|(h, _)| h == host) {
                hosts.push((
                    host.clone(),
                    all[rank * NODE_FIGURES..(rank + 1) * NODE_FIGURES].try_into().expect("one row"),
                ));
            }
        }
        let column = |k: usize| Values::U64(hosts.iter().map(|(_, f)| f[k]).collect());
        let mut nodes = Table::new("topology/nodes");
        nodes
            .column("host", "1", Values::Str(hosts.iter().map(|(h, _)| h.clone()).collect()))
            .column("packages", "1", column(0))
            .column("numa_nodes", "1", column(1))
            .column("cores", "1", column(2))
            .column("pus", "1", column(3))
            .column("threads_per_core", "1", column(4))
            .column("numa_memory_bytes", "B", column(5))
            .column("l1d_bytes", "B", column(6))
            .column("l2_bytes", "B", column(7))
            .column("l3_bytes", "B", column(8))
            .column("l3_instances", "1", column(9));

        let mut ranks = Table::new("topology");
        ranks
            .column("rank", "1", Values::U64((0..ctx.size as u64).collect()))
            .column("host", "1", Values::Str(ctx.hostnames.clone()))
            .column("cpuset", "1", Values::Str(ctx.cpusets.clone()))
            .column("numa_node", "1", Values::Str(ctx.numa_nodes.clone()))
            .column("core_ids", "1", Values::Str(ctx.core_ids.clone()))
            .column("threads", "1", Values::U64(vec![ctx.threads as u64; ctx.size]))
            .column("flags", "1", Values::Str(flags.clone()));
        ranks
            .attr("source", AttrValue::Str("Linux sysfs (/sys/devices/system/cpu and /sys/devices/system/node)".into()))
            .attr("problems", AttrValue::U64(flags.iter().filter(|f| !f.is_empty()).count() as u64));

        for (host, f) in &hosts {
            let kib = |b: u64| b / 1024;
            println!(
                "node {host}: {} package(s), {} NUMA node(s) with {:.1} GiB, {} cores, {} PUs ({}), caches L1d {} KiB, L2 {} KiB, L3 {} KiB × {}",
                f[0], f[1], gib(f[5]), f[2], f[3],
                if f[4] > 1 { format!("SMT: {} threads per core", f[4]) } else { "no SMT".into() },
                kib(f[6]), kib(f[7]), kib(f[8]), f[9]
            );
        }
        for table in [&ranks, &nodes] {
            println!("{}:", table.name);
            print!("{}", console::render(table));
        }
        let problems: Vec<String> =
            flags.iter().enumerate().filter(|(_, f)| !f.is_empty()).map(|(r, f)| format!("rank {r} {f}")).collect();
        if problems.is_empty() {
            println!("binding: every rank has cores of its own within one NUMA node");
        } else {
            println!("binding problems, which distort timings: {}", problems.join("; "));
        }
        tables = vec![ranks, nodes];
    }
    Ok(Results::complete(tables))
}
