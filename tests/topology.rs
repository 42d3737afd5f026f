//! `parahpc topology` under mpirun: every rank is listed with its binding, the node once, and
//! binding mistakes are flagged. Binding is set explicitly so the answers do not depend on
//! mpirun's defaults.

mod common;

use common::*;
use std::process::Stdio;

fn strings_at(file: &hdf5::File, path: &str) -> Vec<String> {
    strings(&file.dataset(path).unwrap())
}

fn topology(ranks: usize, bind: &str, extra: &[&str], dir: &std::path::Path) -> hdf5::File {
    let out = launcher(ranks, &["--bind-to", bind])
        .args(["topology", "-o", "t.h5"])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_success(&out);
    hdf5::File::open(dir.join("t.h5")).unwrap()
}

#[test]
fn every_rank_is_listed_with_its_place() {
    for ranks in [1, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let file = topology(ranks, "none", &[], dir.path());
        let g = file.group("topology").unwrap();
        assert_eq!(
            sorted(g.member_names().unwrap()),
            ["core_ids", "cpuset", "flags", "host", "nodes", "numa_node", "rank", "threads"]
        );
        assert_eq!(g.dataset("rank").unwrap().read_raw::<u64>().unwrap(), (0..ranks as u64).collect::<Vec<_>>());
        assert_eq!(
            strings_at(&file, "topology/cpuset"),
            strings_at(&file, "cpusets"),
            "the same facts every file records"
        );
        assert_eq!(strings_at(&file, "topology/core_ids"), strings_at(&file, "core_ids"));
        assert!(strings_at(&file, "topology/core_ids").iter().all(|c| !c.is_empty()));
        let nodes = file.group("topology/nodes").unwrap();
        assert_eq!(nodes.dataset("host").unwrap().shape(), [1], "one node, listed once");
        let pus = nodes.dataset("pus").unwrap().read_raw::<u64>().unwrap()[0];
        let cores = nodes.dataset("cores").unwrap().read_raw::<u64>().unwrap()[0];
        assert!(pus >= cores && cores >= 1);
        assert_eq!(str_attr(&nodes.dataset("l1d_bytes").unwrap(), "units"), "B");
        // Unbound ranks share every core: each is flagged, a rank alone is not.
        let flags = strings_at(&file, "topology/flags");
        if ranks == 1 {
            assert_eq!(flags, [""]);
        } else {
            assert!(flags.iter().all(|f| f.contains("shares a core with rank")), "{flags:?}");
        }
        assert_eq!(u64_attr(&g, "problems"), if ranks == 1 { 0 } else { ranks as u64 });
    }
}

#[test]
fn ranks_bound_to_their_own_cores_are_clean_and_extra_threads_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let file = topology(2, "core", &[], dir.path());
    assert_eq!(strings_at(&file, "topology/flags"), ["", ""]);
    let cores = strings_at(&file, "topology/core_ids");
    assert_ne!(cores[0], cores[1]);

    let dir = tempfile::tempdir().unwrap();
    let file = topology(2, "core", &["--threads", "3"], dir.path());
    assert!(strings_at(&file, "topology/flags").iter().all(|f| f.contains("3 threads on 1 core(s)")));
}
