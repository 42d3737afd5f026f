//! `parahpc topology`: its command line.

use crate::options::{CommonArgs, ThreadArgs};
use clap::{Args};

/// The machine and where every rank runs on it, with the binding mistakes that spoil timings.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "The machine and where every rank runs on it, with the binding mistakes that spoil timings.\n\n\
    The lesson: memory is ~100 cycles away and caches hide it; cores may share caches and \
    hyperthreads share a core; a NUMA node's memory is close to its own cores only. What \
    hwloc's lstopo shows, topology reports for the whole job from Linux's /sys: per node the \
    packages, NUMA nodes with their memory, cores, hardware threads (PUs) and caches; per rank \
    its CPU set, NUMA nodes and cores. It flags two ranks sharing a core, more threads than \
    cores (so threads share hyperthreads or time-slice), and ranks spanning NUMA nodes.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc topology\n  \
    mpirun -n 2 --bind-to socket parahpc topology --threads 4"
)]
pub struct TopologyArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,
}
