//! The machine as Linux describes it under /sys (what hwloc's lstopo shows): packages, NUMA
//! nodes with their memory, cores, hardware threads (PUs) and caches; and where a CPU set lies
//! on it. Pure: everything is read below a root directory, so tests use a fake tree.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Parses a kernel CPU list such as "0-3,8,10-11".
pub fn parse_cpu_list(text: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => cpus.extend(a.trim().parse::<usize>().ok()?..=b.trim().parse::<usize>().ok()?),
            None => cpus.push(part.trim().parse().ok()?),
        }
    }
    Some(cpus)
}

fn read(root: &Path, path: &str) -> Option<String> {
    fs::read_to_string(root.join(path.trim_start_matches('/'))).ok()
}

/// One cache as the kernel lists it for a CPU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cache {
    pub level: u32,
    /// "Data", "Instruction" or "Unified".
    pub kind: String,
    pub bytes: u64,
    /// The CPUs sharing this instance.
    pub shared_cpus: Vec<usize>,
}

/// A node's layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Topology {
    /// Online CPU (PU) → (package, core id within the package).
    pub cpus: BTreeMap<usize, (usize, usize)>,
    /// NUMA node → (its CPUs, its memory in bytes).
    pub numa: BTreeMap<usize, (Vec<usize>, u64)>,
    /// Every distinct cache instance.
    pub caches: BTreeSet<Cache>,
}

/// Where the running host's topology is read from: `/`, or the directory `PARAHPC_SYSFS_ROOT`
/// names (a test hook: a made-up /sys tree, as a cloud's firmware or hypervisor may report wrong
/// caches). Read once.
fn host_root() -> &'static Path {
    static ROOT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| std::env::var_os("PARAHPC_SYSFS_ROOT").map_or_else(|| "/".into(), Into::into))
}

impl Topology {
    /// The running host's topology, from `host_root()`.
    pub fn host() -> Topology {
        Topology::read(host_root())
    }

    /// Reads the layout under `root` ("/" for this machine). Missing pieces stay empty: a
    /// container may hide NUMA, a VM may hide caches.
    pub fn read(root: &Path) -> Topology {
        let mut t = Topology::default();
        let online = read(root, "/sys/devices/system/cpu/online").and_then(|s| parse_cpu_list(&s)).unwrap_or_default();
        for cpu in online {
            let topo = |f: &str| {
                read(root, &format!("/sys/devices/system/cpu/cpu{cpu}/topology/{f}"))
                    .and_then(|s| s.trim().parse().ok())
            };
            t.cpus.insert(cpu, (topo("physical_package_id").unwrap_or(0), topo("core_id").unwrap_or(cpu)));
            let cache_dir = root.join(format!("sys/devices/system/cpu/cpu{cpu}/cache"));
            for entry in fs::read_dir(cache_dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with("index") {
                    continue;
                }
                let f = |file: &str| fs::read_to_string(entry.path().join(file)).ok();
                let cache = (|| {
                    Some(Cache {
                        level: f("level")?.trim().parse().ok()?,
                        kind: f("type")?.trim().to_string(),
                        bytes: crate::machine::parse_sysfs_size(&f("size")?)?,
                        shared_cpus: parse_cpu_list(&f("shared_cpu_list")?)?,
                    })
                })();
                t.caches.extend(cache);
            }
        }
        let nodes = root.join("sys/devices/system/node");
        for entry in fs::read_dir(nodes).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix("node").and_then(|n| n.parse::<usize>().ok()) else { continue };
            let cpus = fs::read_to_string(entry.path().join("cpulist"))
                .ok()
                .and_then(|s| parse_cpu_list(&s))
                .unwrap_or_default();
            let memory = fs::read_to_string(entry.path().join("meminfo"))
                .ok()
                .and_then(|m| {
                    m.lines()
                        .find(|l| l.contains("MemTotal:"))
                        .and_then(|l| l.split_whitespace().rev().nth(1)?.parse::<u64>().ok())
                })
                .map_or(0, |kib| kib * 1024);
            t.numa.insert(id, (cpus, memory));
        }
        t
    }

    pub fn packages(&self) -> usize {
        self.cpus.values().map(|(p, _)| p).collect::<BTreeSet<_>>().len()
    }

    pub fn cores(&self) -> usize {
        self.cpus.values().collect::<BTreeSet<_>>().len()
    }

    /// Hardware threads per core (1 without SMT).
    pub fn threads_per_core(&self) -> usize {
        if self.cores() == 0 {
            1
        } else {
            self.cpus.len().div_ceil(self.cores())
        }
    }

    /// Data and unified caches by level: (bytes per instance, instances), e.g. L3 → (32 MiB, 2).
    pub fn cache_levels(&self) -> BTreeMap<u32, (u64, usize)> {
        let mut levels = BTreeMap::new();
        for c in self.caches.iter().filter(|c| c.kind != "Instruction") {
            let e = levels.entry(c.level).or_insert((c.bytes, 0));
            e.0 = e.0.max(c.bytes);
            e.1 += 1;
        }
        levels
    }

    /// Where `cpus` lies: the NUMA nodes it touches and the cores ("package:core") it covers.
    pub fn place(&self, cpus: &[usize]) -> Placement {
        let numa =
            self.numa.iter().filter(|(_, (c, _))| cpus.iter().any(|x| c.contains(x))).map(|(id, _)| *id).collect();
        let cores = cpus.iter().filter_map(|c| self.cpus.get(c).copied()).collect();
        Placement { numa, cores }
    }
}

/// A CPU set on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub numa: BTreeSet<usize>,
    /// (package, core) pairs.
    pub cores: BTreeSet<(usize, usize)>,
}

impl Placement {
    /// The inverse of `numa_text` and `cores_text`.
    pub fn parse(numa: &str, cores: &str) -> Option<Placement> {
        let split = |s: &str| s.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect::<Vec<_>>();
        let numa = split(numa).iter().map(|n| n.parse().ok()).collect::<Option<_>>()?;
        let cores = split(cores)
            .iter()
            .map(|pc| pc.split_once(':').and_then(|(p, c)| Some((p.parse().ok()?, c.parse().ok()?))))
            .collect::<Option<_>>()?;
        Some(Placement { numa, cores })
    }

    pub fn numa_text(&self) -> String {
        self.numa.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
    }

    pub fn cores_text(&self) -> String {
        self.cores.iter().map(|(p, c)| format!("{p}:{c}")).collect::<Vec<_>>().join(",")
    }
}

/// What is wrong with how ranks sit on one node: `ranks` holds (rank, placement, threads).
/// Returns one message per problem rank, in rank order.
pub fn binding_problems(ranks: &[(usize, Placement, usize)]) -> BTreeMap<usize, Vec<String>> {
    let mut problems: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, (rank, place, threads)) in ranks.iter().enumerate() {
        let mut mine = Vec::new();
        let sharing: Vec<String> = ranks
            .iter()
            .enumerate()
            .filter(|(j, (_, other, _))| *j != i && !place.cores.is_disjoint(&other.cores))
            .map(|(_, (r, _, _))| r.to_string())
            .collect();
        if !sharing.is_empty() {
            mine.push(format!("shares a core with rank {}", sharing.join(", ")));
        }
        if *threads > place.cores.len() && !place.cores.is_empty() {
            mine.push(format!(
                "{threads} threads on {} core(s): threads share hyperthreads or time-slice",
                place.cores.len()
            ));
        }
        if place.numa.len() > 1 {
            mine.push(format!("spans NUMA nodes {}", place.numa_text()));
        }
        if !mine.is_empty() {
            problems.insert(*rank, mine);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake machine: 2 packages × 2 cores × 2 hardware threads, one NUMA node per package.
    fn fake_sysfs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let w = |path: &str, text: &str| {
            let p = dir.path().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        };
        w("sys/devices/system/cpu/online", "0-7\n");
        for cpu in 0..8 {
            let (package, core) = (cpu / 4, (cpu % 4) / 2);
            let base = format!("sys/devices/system/cpu/cpu{cpu}");
            w(&format!("{base}/topology/physical_package_id"), &format!("{package}\n"));
            w(&format!("{base}/topology/core_id"), &format!("{core}\n"));
            let core_cpus = format!("{}-{}", cpu / 2 * 2, cpu / 2 * 2 + 1);
            for (i, (level, kind, size, shared)) in [
                (1, "Data", "32K", core_cpus.clone()),
                (1, "Instruction", "32K", core_cpus.clone()),
                (2, "Unified", "1024K", core_cpus),
                (3, "Unified", "16384K", format!("{}-{}", package * 4, package * 4 + 3)),
            ]
            .into_iter()
            .enumerate()
            {
                let idx = format!("{base}/cache/index{i}");
                w(&format!("{idx}/level"), &format!("{level}\n"));
                w(&format!("{idx}/type"), &format!("{kind}\n"));
                w(&format!("{idx}/size"), &format!("{size}\n"));
                w(&format!("{idx}/shared_cpu_list"), &format!("{shared}\n"));
            }
        }
        for node in 0..2 {
            w(&format!("sys/devices/system/node/node{node}/cpulist"), &format!("{}-{}\n", node * 4, node * 4 + 3));
            w(
                &format!("sys/devices/system/node/node{node}/meminfo"),
                &format!("Node {node} MemTotal:       8388608 kB\n"),
            );
        }
        dir
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-3,8,10-11\n"), Some(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list(""), Some(vec![]));
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn reads_packages_cores_threads_numa_and_caches() {
        let root = fake_sysfs();
        let t = Topology::read(root.path());
        assert_eq!((t.packages(), t.cores(), t.cpus.len(), t.threads_per_core()), (2, 4, 8, 2));
        assert_eq!(t.numa.len(), 2);
        assert_eq!(t.numa[&1], (vec![4, 5, 6, 7], 8 << 30));
        let levels = t.cache_levels();
        assert_eq!(levels[&1], (32 << 10, 4), "L1d: one per core, instruction caches left out");
        assert_eq!(levels[&2], (1 << 20, 4));
        assert_eq!(levels[&3], (16 << 20, 2));
        assert_eq!(Topology::read(Path::new("/nonexistent")), Topology::default());
    }

    #[test]
    fn flags_shared_cores_hyperthreads_and_numa_spans() {
        let t = Topology::read(fake_sysfs().path());
        let ranks = vec![
            (0, t.place(&[0]), 1),          // hyperthread 0 of core 0:0
            (1, t.place(&[1]), 1),          // its sibling: shares core 0:0 with rank 0
            (2, t.place(&[2, 3]), 2),       // core 0:1, 2 threads on 1 core
            (3, t.place(&[4, 5, 6, 7]), 2), // package 1: shares core 1:0 with rank 4 only
            (4, t.place(&[0, 4]), 1),       // spans both NUMA nodes, shares with 0, 1 and 3
        ];
        let p = binding_problems(&ranks);
        assert_eq!(p[&0], ["shares a core with rank 1, 4"]);
        assert_eq!(p[&2], ["2 threads on 1 core(s): threads share hyperthreads or time-slice"]);
        assert_eq!(p[&3], ["shares a core with rank 4"]);
        assert_eq!(p[&4], ["shares a core with rank 0, 1, 3", "spans NUMA nodes 0,1"]);
        let place = t.place(&[0, 4]);
        assert_eq!((place.numa_text().as_str(), place.cores_text().as_str()), ("0,1", "0:0,1:0"));
        assert_eq!(Placement::parse(&place.numa_text(), &place.cores_text()), Some(place));
    }
}
