//! The run context every experiment shares: communicators, where each rank runs and how many
//! threads it uses, and the provenance recorded with every result.

use crate::machine::affinity;
use crate::mpi::collective::{agree, all_gather_strings, broadcast_from};
use crate::options::ThreadRequest;
use crate::run::failure::{Failure, Outcome};
use chrono::{DateTime, TimeZone, Utc};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

pub struct RunContext {
    pub world: SimpleCommunicator,
    /// The ranks that share this node's memory.
    pub node: SimpleCommunicator,
    pub rank: usize,
    pub size: usize,
    /// Host of every rank, indexed by world rank.
    pub hostnames: Vec<String>,
    /// CPU list every rank is bound to, indexed by world rank.
    pub cpusets: Vec<String>,
    /// NUMA nodes ("0,1") and cores ("package:core,...") every rank's CPUs lie on.
    pub numa_nodes: Vec<String>,
    pub core_ids: Vec<String>,
    pub nodes: usize,
    pub threads: usize,
    /// Where `threads` came from, recorded with the results.
    pub threads_source: &'static str,
    pub start_time: DateTime<Utc>,
    pub command_line: String,
    /// The MPI thread level the library provided.
    pub thread_level: mpi::Threading,
}

impl RunContext {
    pub fn new(world: SimpleCommunicator, threads: ThreadRequest, thread_level: mpi::Threading) -> Outcome<RunContext> {
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        let node = world.split_shared(world.rank());

        let host = mpi::environment::processor_name().unwrap_or_else(|_| "unknown".into());
        let cpus = affinity::allowed_cpus().map_err(|e| anyhow::anyhow!("sched_getaffinity: {e}"))?;
        let cpuset = affinity::format_cpu_list(&cpus);
        let hostnames = all_gather_strings(&world, &host);
        let cpusets = all_gather_strings(&world, &cpuset);
        let place = crate::machine::topology::Topology::read(std::path::Path::new("/")).place(&cpus);
        let numa_nodes = all_gather_strings(&world, &place.numa_text());
        let core_ids = all_gather_strings(&world, &place.cores_text());
        let mut distinct_hosts = hostnames.clone();
        distinct_hosts.sort();
        distinct_hosts.dedup();

        // Ranks of this node bound to exactly the same CPUs share them (bind-to-socket, or no
        // binding at all): each gets its share, so the default never oversubscribes.
        let node_cpusets = all_gather_strings(&node, &cpuset);
        let sharing = node_cpusets.iter().filter(|s| **s == cpuset).count();
        let resolved = match threads {
            ThreadRequest::Resolve(cli) => resolve_threads(cli, |v| std::env::var(v).ok(), cpus.len(), sharing),
            ThreadRequest::Fixed(n, why) => Ok((n, why)),
        };

        let mut epoch = Utc::now().timestamp();
        world.process_at_rank(0).broadcast_into(&mut epoch);

        // A malformed variable on one rank is everyone's error.
        let (threads, threads_source) = agree(&world, resolved.map_err(Failure::usage))?;

        let ctx = RunContext {
            world,
            node,
            rank,
            size,
            hostnames,
            cpusets,
            numa_nodes,
            core_ids,
            nodes: distinct_hosts.len(),
            threads,
            threads_source,
            start_time: Utc.timestamp_opt(epoch, 0).single().unwrap_or_else(Utc::now),
            command_line: shell_quote_args(std::env::args()),
            thread_level,
        };
        ctx.warn_if_oversubscribed(cpus.len());
        Ok(ctx)
    }

    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Turns a check that some ranks may fail on their own into one collective verdict.
    pub fn agree<T>(&self, local: Outcome<T>) -> Outcome<T> {
        agree(&self.world, local)
    }

    /// Rank 0's `value`, on every rank.
    pub fn broadcast_string(&self, value: &str) -> String {
        broadcast_from(&self.world, 0, value)
    }

    /// Collective: refuses, before anything is allocated, a plan in which the ranks of some node
    /// would together need more than 80 % of its available memory. `bytes` is this rank's need;
    /// `what` says what needs it and `hint` how to need less, for the message.
    pub fn check_node_memory(&self, bytes: u64, what: &str, hint: &str) -> Outcome<()> {
        let mut on_node = 0u64;
        self.node.all_reduce_into(&bytes, &mut on_node, mpi::collective::SystemOperation::sum());
        let fits = match crate::machine::available_memory_bytes() {
            Some(available) if on_node as f64 > 0.8 * available as f64 => Err(Failure::usage(format!(
                "{what} needs {:.1} GiB on host {} but only {:.1} GiB is available; {hint}",
                gib(on_node),
                self.hostnames[self.rank],
                gib(available)
            ))),
            _ => Ok(()),
        };
        self.agree(fits)
    }

    /// Collective: the stop signal any rank has received (see `signals`), the same on all ranks.
    pub fn stop_requested(&self) -> Option<i32> {
        let mine = crate::run::signals::received().unwrap_or(0);
        let mut any = 0;
        self.world.all_reduce_into(&mine, &mut any, mpi::collective::SystemOperation::max());
        (any != 0).then_some(any)
    }

    /// A warning on stderr, printed once (by rank 0).
    pub fn warn(&self, message: &str) {
        if self.is_root() {
            eprintln!("parahpc: warning: {message}");
        }
    }

    /// A progress or status line on stderr, printed once (by rank 0); tables go to stdout.
    pub fn note(&self, message: &str) {
        if self.is_root() {
            eprintln!("parahpc: {message}");
        }
    }

    fn warn_if_oversubscribed(&self, bound_cpus: usize) {
        let mut workers_on_node = 0u64;
        self.node.all_reduce_into(
            &(self.threads as u64),
            &mut workers_on_node,
            mpi::collective::SystemOperation::sum(),
        );
        let mine = [workers_on_node, affinity::online_cpus() as u64, bound_cpus as u64];
        let mut all = vec![0u64; 3 * self.size];
        self.world.all_gather_into(&mine[..], &mut all[..]);
        let rows: Vec<&[u64]> = all.chunks(3).collect();
        if let Some(r) = rows.iter().position(|row| row[0] > row[1]) {
            self.warn(&format!(
                "host {} runs {} workers (ranks × threads) on {} CPUs: oversubscribed, so \
                 compute timings will not scale (the sleep kernel is unaffected); use fewer ranks \
                 or --threads",
                self.hostnames[r], rows[r][0], rows[r][1]
            ));
        } else if let Some(r) = rows.iter().position(|row| self.threads as u64 > row[2]) {
            self.warn(&format!(
                "rank {r} runs {} threads but is bound to {} CPU(s) ({}): its threads share them; \
                 under srun pass --cpus-per-task=$SLURM_CPUS_PER_TASK (srun does not inherit it), \
                 under mpirun bind to more cores (--map-by ...:PE=N) or lower --threads",
                self.threads, rows[r][2], self.cpusets[r]
            ));
        }
    }
}

pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Threads per rank: `--threads`, else RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else this
/// rank's CPUs divided among the `sharing` node-local ranks bound to the same CPUs.
pub fn resolve_threads(
    cli: Option<usize>,
    env: impl Fn(&str) -> Option<String>,
    bound_cpus: usize,
    sharing: usize,
) -> Result<(usize, &'static str), String> {
    if let Some(n) = cli {
        return Ok((n, "--threads"));
    }
    for var in ["RAYON_NUM_THREADS", "SLURM_CPUS_PER_TASK"] {
        if let Some(v) = env(var) {
            return match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok((n, var)),
                _ => Err(format!("{var}={v:?} is not a positive thread count")),
            };
        }
    }
    Ok(((bound_cpus / sharing.max(1)).max(1), "cpu binding"))
}

/// The command line as a shell would need it typed again.
pub fn shell_quote_args(args: impl Iterator<Item = String>) -> String {
    args.map(|a| {
        let plain = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "_./:=,@%+-".contains(c));
        if plain {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    })
    .collect::<Vec<_>>()
    .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn thread_count_precedence() {
        let both = env_of(&[("RAYON_NUM_THREADS", "3"), ("SLURM_CPUS_PER_TASK", "5")]);
        assert_eq!(resolve_threads(Some(7), &both, 16, 1), Ok((7, "--threads")));
        assert_eq!(resolve_threads(None, &both, 16, 1), Ok((3, "RAYON_NUM_THREADS")));
        let slurm = env_of(&[("SLURM_CPUS_PER_TASK", "5")]);
        assert_eq!(resolve_threads(None, &slurm, 16, 1), Ok((5, "SLURM_CPUS_PER_TASK")));
        let none = env_of(&[]);
        assert_eq!(resolve_threads(None, &none, 16, 1), Ok((16, "cpu binding")));
        // 4 ranks bound to the same 16 CPUs (bind-to-socket): 4 threads each.
        assert_eq!(resolve_threads(None, &none, 16, 4), Ok((4, "cpu binding")));
        // 9 ranks sharing 2 CPUs still get one thread each.
        assert_eq!(resolve_threads(None, &none, 2, 9), Ok((1, "cpu binding")));
        let bad = env_of(&[("RAYON_NUM_THREADS", "zero")]);
        assert!(resolve_threads(None, &bad, 16, 1).unwrap_err().contains("RAYON_NUM_THREADS"));
    }

    #[test]
    fn command_lines_are_quoted_for_the_shell() {
        let args = ["parahpc", "amdahl", "-o", "my file.h5", "--ranks", "1,2", "it's"].map(String::from);
        assert_eq!(shell_quote_args(args.into_iter()), r"parahpc amdahl -o 'my file.h5' --ranks 1,2 'it'\''s'");
    }
}
