//! Every experiment across two nodes: 4 ranks on the cluster that scripts/two-nodes.sh emulates
//! on this machine (this host and "nodeb", a network namespace; ranks 0 and 2 here, 1 and 3 on
//! nodeb; shared memory within a node, TCP between them). Each test asserts the property that
//! only a second node exercises. `#[ignore]`d in a plain `cargo test`: scripts/test.sh brings the
//! cluster up as root and runs them with `--ignored`.

mod common;

use common::*;
use std::path::Path;

/// Runs `args` on 4 ranks across the two nodes and opens the results file `out`.
fn run(launcher: &[&str], args: &[&str], env: &[(&str, &str)], dir: &Path, out: &str) -> hdf5::File {
    let mut all = args.to_vec();
    all.extend(["-q", "-o", out]);
    let output = mpirun_two_nodes(4, launcher, &all, env, dir);
    assert_success(&output);
    let file = hdf5::File::open(dir.join(out)).unwrap();
    assert_eq!(u64_attr(&file, "nodes"), 2, "the ranks did not see two nodes");
    assert_eq!(u64_attr(&file, "incomplete"), 0);
    file
}

fn hostnames(file: &hdf5::File) -> Vec<String> {
    strings(&file.dataset("hostnames").unwrap())
}

fn column<T: hdf5::H5Type>(g: &hdf5::Group, name: &str) -> Vec<T> {
    g.dataset(name).unwrap().read_raw::<T>().unwrap()
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn topology_lists_both_nodes_and_no_binding_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(&["--bind-to", "core"], &["topology"], &[], dir.path(), "t.h5");
    let hosts = hostnames(&file);
    assert_eq!(hosts[1], "nodeb");
    assert_eq!(hosts[0], hosts[2]);
    assert_ne!(hosts[0], hosts[1]);
    let nodes = file.group("topology/nodes").unwrap();
    assert_eq!(strings(&nodes.dataset("host").unwrap()), [hosts[0].clone(), "nodeb".to_string()]);
    // Each node's ranks have cores of their own: nothing to flag, though both nodes are this machine.
    let flags = strings(&file.dataset("topology/flags").unwrap());
    assert!(flags.iter().all(String::is_empty), "{flags:?}");
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn amdahl_sweeps_ranks_on_both_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["amdahl", "--kernel", "sleep", "--work", "0.4", "--repeats", "1"];
    let file = run(&[], &args, &[], dir.path(), "a.h5");
    // The 2-rank point already spans both nodes (ranks 0 and 1).
    assert_ne!(hostnames(&file)[0], hostnames(&file)[1]);
    let g = file.group("amdahl").unwrap();
    assert_eq!(column::<u64>(&g, "ranks"), [1, 2, 4]);
    check_amdahl_fit(&g);
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn comm_measures_an_intra_and_an_inter_node_pair() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["comm", "--max-bytes", "4K", "--iters", "20", "--warmup", "2", "--repeats", "2", "--window", "4"];
    let file = run(&[], &args, &[], dir.path(), "c.h5");
    let p2p = file.group("comm/pt2pt").unwrap();
    assert_eq!(u64_attr(&p2p, "validated"), 1, "every byte checked");
    let kinds = strings(&p2p.dataset("pair_kind").unwrap());
    let dst = column::<u64>(&p2p, "dst");
    for (kind, dst) in kinds.iter().zip(&dst) {
        // Rank 2 shares rank 0's node; rank 3 is on nodeb.
        assert_eq!(kind, if *dst == 2 { "intra-node" } else { "inter-node" });
    }
    assert!(kinds.iter().any(|k| k == "inter-node") && kinds.iter().any(|k| k == "intra-node"));
    let hockney = file.group("comm/hockney").unwrap();
    assert_eq!(strings(&hockney.dataset("pair_kind").unwrap()), ["intra-node", "inter-node"]);
    let collectives = file.group("comm/collectives").unwrap();
    assert_eq!(u64_attr(&collectives, "validated"), 1);
    assert!(column::<u64>(&collectives, "ranks").iter().all(|&r| r == 4));

    // The report on a two-node file names both pairs.
    let report = dir.path().join("report");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parahpc"))
        .args(["report", "-o", report.to_str().unwrap(), dir.path().join("c.h5").to_str().unwrap()])
        .output()
        .unwrap();
    assert_success(&out);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("inter-node") && md.contains("nodeb"), "{md}");
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn stream_reports_bandwidth_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(&[], &["stream", "--bytes", "3M", "--repeats", "3"], &[], dir.path(), "s.h5");
    let g = file.group("stream").unwrap();
    assert_eq!(u64_attr(&g, "validated"), 1);
    let (ranks, nodes) = (column::<u64>(&g, "ranks"), column::<u64>(&g, "nodes"));
    let (aggregate, per_node) = (column::<f64>(&g, "bandwidth_GBps"), column::<f64>(&g, "bandwidth_per_node_GBps"));
    for i in 0..ranks.len() {
        assert_eq!(nodes[i], ranks[i].min(2), "ranks alternate between the nodes");
        assert!((per_node[i] * nodes[i] as f64 - aggregate[i]).abs() <= 1e-9 * aggregate[i]);
    }
    assert!(str_attr(&g, "saturation").contains("per node"));
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn randomaccess_routes_updates_between_the_nodes_and_verifies_them() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["randomaccess", "--table-bytes", "1M", "--sweep-seconds", "0.1"];
    let file = run(&[], &args, &[], dir.path(), "r.h5");
    let g = file.group("randomaccess").unwrap();
    // The MPI scope's table lies on both nodes: most updates crossed the network, and all of
    // them arrived (the replay restored every rank's part).
    assert_ne!(hostnames(&file)[0], hostnames(&file)[1]);
    assert_eq!(strings(&g.dataset("scope").unwrap()), ["single", "star", "mpi"]);
    assert_eq!(column::<u64>(&g, "errors"), [0, 0, 0]);
    assert_eq!(column::<u64>(&g, "updates")[2], column::<u64>(&g, "updates_goal")[2]);
    let rate = file.group("randomaccess/message_rate").unwrap();
    assert_eq!(column::<u64>(&rate, "lookahead"), [1, 4, 16, 64, 256, 1024]);
    assert!(column::<f64>(&rate, "messages_per_s").iter().all(|&m| m > 0.0));
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn memlat_measures_on_each_node() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(&[], &["memlat", "--max-bytes", "64K", "--accesses", "20000"], &[], dir.path(), "m.h5");
    let mut hosts = strings(&file.dataset("memlat/host").unwrap());
    hosts.dedup();
    assert_eq!(hosts.len(), 2, "each node's first rank measures: {hosts:?}");
    assert!(hosts.contains(&"nodeb".to_string()));
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn falseshare_countdown_simd_and_gemm_across_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(
        &["--bind-to", "none"],
        &["falseshare", "--threads", "2", "--iters", "100000", "--repeats", "2"],
        &[],
        dir.path(),
        "f.h5",
    );
    assert_eq!(u64_attr(&file.group("falseshare").unwrap(), "validated"), 1);

    let file = run(&[], &["countdown", "--n", "1000000", "--repeats", "2", "--scale"], &[], dir.path(), "c.h5");
    let g = file.group("countdown").unwrap();
    assert_eq!(u64_attr(&g, "validated"), 1);
    assert_eq!(strings(&g.dataset("mode").unwrap()), ["serial", "ranks"]);
    assert_eq!(column::<u64>(&g, "ranks"), [1, 4]);

    let file = run(&[], &["simd", "--bytes", "16K", "--repeats", "2"], &[], dir.path(), "v.h5");
    assert_eq!(u64_attr(&file.group("simd").unwrap(), "validated"), 1);

    // SUMMA on a 2 × 2 grid whose every row and column spans both nodes; n = 98 splits unevenly.
    let file = run(&[], &["gemm", "--dist", "--n", "98", "--impl", "blas", "--repeats", "1"], &[], dir.path(), "g.h5");
    let g = file.group("gemm").unwrap();
    assert_eq!(str_attr(&g, "grid"), "2x2");
    assert_eq!(u64_attr(&g, "validated"), 1);
    let impls = strings(&g.dataset("impl").unwrap());
    let residual = column::<f64>(&g, "residual");
    let summa = impls.iter().position(|i| i == "summa").expect("a SUMMA row");
    assert_eq!(column::<u64>(&g, "ranks")[summa], 4);
    assert!(residual[summa] < 16.0, "HPL's check: {}", residual[summa]);
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn linpack_solves_with_process_rows_and_columns_across_nodes() {
    let dir = tempfile::tempdir().unwrap();
    // 2×2: every process row spans both nodes (panels broadcast between them); 4×1: the process
    // column does (pivots agreed and rows swapped between them).
    for grid in ["2x2", "4x1"] {
        let args = ["linpack", "--n", "40,150", "--nb", "16", "--grid", grid, "--repeats", "1", "--threads", "1"];
        let file = run(&[], &args, &[], dir.path(), &format!("l{grid}.h5"));
        let g = file.group("linpack").unwrap();
        assert_eq!(str_attr(&g, "grid"), grid);
        assert_eq!(u64_attr(&g, "validated"), 1);
        let residual = column::<f64>(&g, "residual");
        assert!(residual.iter().all(|r| *r < 16.0), "{grid}: HPL's check: {residual:?}");
    }
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn reduce_gives_the_exact_sum_with_ranks_on_both_nodes() {
    // The superaccumulator travels over TCP between the nodes as a derived datatype with a
    // user-defined operation.
    let dir = tempfile::tempdir().unwrap();
    let file = run(&[], &["reduce", "--n", "100003", "--threads", "1", "--repeats", "2"], &[], dir.path(), "r.h5");
    let g = file.group("reduce").unwrap();
    assert_eq!(u64_attr(&g, "validated"), 1);
    let exact = str_attr(&g, "exact_sum_bits");
    let methods = strings(&g.dataset("method").unwrap());
    let bits = strings(&g.dataset("result_bits").unwrap());
    let reproducible: Vec<_> =
        methods.iter().zip(&bits).filter(|(m, _)| *m == "reproducible").map(|(_, b)| b).collect();
    assert_eq!(column::<u64>(&g, "ranks").iter().max(), Some(&4));
    assert!(reproducible.iter().all(|b| **b == exact), "{reproducible:?} vs {exact}");
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn roofline_sums_each_nodes_dram_triad_over_its_own_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["roofline", "--dram-bytes", "8M", "--gemm-n", "64", "--repeats", "2", "--threads", "1"];
    let file = run(&["--bind-to", "none"], &args, &[], dir.path(), "f.h5");
    let g = file.group("roofline/memory").unwrap();
    let scope = strings(&g.dataset("scope").unwrap());
    let node = scope.iter().position(|s| s == "node").expect("a per-node row");
    // Each node's ranks share --dram-bytes among themselves (2 here, not the job's 4): the node
    // row holds all of it, less the rounding to whole triad elements.
    let bytes = column::<u64>(&g, "bytes")[node];
    assert!(((8 << 20) - 1024..=8 << 20).contains(&bytes), "{bytes}");
    assert_eq!(u64_attr(&file.group("roofline").unwrap(), "validated"), 1);
}

/// The pool's attributes that say how workers reached the counter.
fn pool_window(args: &[&str], env: &[(&str, &str)], dir: &Path, out: &str) -> (String, String, String) {
    let file = run(&[], args, env, dir, out);
    let g = file.group("pool").unwrap();
    assert_eq!(u64_attr(&g, "validated"), 1, "every task came back once with its answer");
    assert_eq!(u64_attr(&g, "workers"), 3);
    let tasks: u64 = column::<u64>(&file.group("pool/workers").unwrap(), "tasks").iter().sum();
    assert_eq!(tasks, u64_attr(&g, "tasks"));
    (str_attr(&g, "window"), str_attr(&g, "osc_component"), str_attr(&g, "queue"))
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn pool_workers_on_the_second_node_take_chunks_by_rma_or_by_message() {
    let dir = tempfile::tempdir().unwrap();
    for schedule in ["dynamic", "guided"] {
        let args = ["pool", "--tasks", "3000", "--schedule", schedule, "--repeats", "2"];
        // Open MPI 4.1's default one-sided component has no window over TCP: chunks by message.
        let (window, _, queue) = pool_window(&args, &[], dir.path(), &format!("{schedule}-default.h5"));
        assert_eq!(window, "none");
        assert!(queue.starts_with("messages"), "{queue}");
        // With a component that works over TCP, through an RMA window, not shared memory.
        let (window, component, queue) =
            pool_window(&args, &[("OMPI_MCA_osc", "pt2pt")], dir.path(), &format!("{schedule}-pt2pt.h5"));
        assert_eq!((window.as_str(), component.as_str()), ("RMA", "pt2pt"));
        assert!(queue.contains("RMA (MPI_Win_allocate, osc/pt2pt)"), "{queue}");
    }
}

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn bank_balance_is_reached_by_rma_across_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["bank", "--delay-us", "200", "--repeats", "1"];
    let file = run(&[], &args, &[("OMPI_MCA_osc", "pt2pt")], dir.path(), "rma.h5");
    let g = file.group("bank").unwrap();
    assert_eq!((str_attr(&g, "window"), str_attr(&g, "osc_component")), ("RMA".into(), "pt2pt".into()));
    let modes = strings(&g.dataset("mode").unwrap());
    let balance = column::<u64>(&g, "balance_eur");
    assert_eq!(modes.len(), 7);
    for (mode, balance) in modes.iter().zip(&balance) {
        if matches!(mode.as_str(), "ranks shared-locked" | "ranks atomic") {
            assert_eq!(*balance, 10_001, "{mode} must be exact across nodes");
        }
    }
    // Without a one-sided component for TCP, the shared modes are skipped and say why.
    let out =
        mpirun_two_nodes(4, &[], &["bank", "--delay-us", "200", "--repeats", "1", "-o", "none.h5"], &[], dir.path());
    assert_success(&out);
    assert!(stderr(&out).contains("shared-balance modes are skipped"), "{}", stderr(&out));
    let file = hdf5::File::open(dir.path().join("none.h5")).unwrap();
    let g = file.group("bank").unwrap();
    assert_eq!(str_attr(&g, "window"), "none");
    assert!(str_attr(&g, "window_error").contains("OMPI_MCA_osc=pt2pt"));
    assert_eq!(strings(&g.dataset("mode").unwrap()).len(), 4);
}

/// A slow network: without `mpi_yield_when_idle` a message between the emulated nodes waits for
/// the next timer tick, 4 ms (docs/two-nodes.md), where counts sized for one node take minutes.
const SLOW: [&str; 3] = ["--mca", "mpi_yield_when_idle", "0"];

#[test]
#[ignore = "needs the emulated two-node cluster (scripts/test.sh, as root)"]
fn on_a_slow_network_the_suite_keeps_its_budget_and_answers_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    // Every loop of messages is paced by its measured time (src/mpi/paced.rs): the budget holds.
    let start = std::time::Instant::now();
    let out = mpirun_two_nodes(4, &SLOW, &["suite", "--budget", "2m", "-q", "-o", "s.h5"], &[], dir.path());
    let took = start.elapsed().as_secs_f64();
    assert!(took <= 1.1 * 120.0, "a 2-minute suite took {took:.0} s on the slow network:\n{}", stderr(&out));
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 0);
    assert_eq!(strings(&file.dataset("suite/experiment").unwrap()).len(), registered_experiments().len());
    // Sized from the measured network, not from one node's figures: a millisecond-scale
    // allreduce, and comm's iterations set explicitly (on one node OSU's counts are kept).
    let allreduce = f64_attr(&file.group("suite").unwrap(), "network_allreduce_s");
    assert!(allreduce > 1e-4, "the slow network's allreduce took {allreduce} s");
    let (experiments, arguments) =
        (strings(&file.dataset("suite/experiment").unwrap()), strings(&file.dataset("suite/arguments").unwrap()));
    let comm = &arguments[experiments.iter().position(|e| e == "comm").unwrap()];
    assert!(comm.contains("--iters"), "{comm}");

    // A SIGTERM to mpirun inside comm's loops: answered before mpirun's SIGKILL, the file kept.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/two-nodes.sh");
    let mut cmd = std::process::Command::new(script);
    cmd.args(["mpirun", "-n", "4"]).args(SLOW).arg(env!("CARGO_BIN_EXE_parahpc"));
    cmd.args(["suite", "--budget", "2m", "-o", "t.h5"]);
    let mut run = Running::start(&mut cmd, dir.path());
    run.wait_for(&format!("suite: 2 of {}: comm", registered_experiments().len()));
    std::thread::sleep(std::time::Duration::from_secs(2));
    run.signal(libc::SIGTERM);
    let (_, log, _) = run.finish();
    let file = hdf5::File::open(dir.path().join("t.h5")).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let reason = str_attr(&file, "incomplete_reason");
    assert!(reason.starts_with("SIGTERM received during comm"), "{reason}\n{log}");
    file.group("amdahl").expect("the experiment completed before the stop is kept");
}

#[test]
fn every_experiment_runs_across_the_two_nodes_somewhere_in_this_file() {
    // Not ignored: it reads this file, so a new experiment fails here until it has a test above.
    let source = include_str!("two_nodes.rs");
    for name in registered_experiments() {
        assert!(
            source.contains(&format!("&[\"{name}\"")) || source.contains(&format!("[\"{name}\", ")),
            "{name} has no two-node test"
        );
    }
}
