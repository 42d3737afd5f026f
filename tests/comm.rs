//! End-to-end tests of `parahpc comm` under `mpirun --oversubscribe -n 2, 3, 4`: every buffer is
//! checked, the tables hold one row per pair and size and per operation and size, odd rank
//! counts work, and one rank is refused. No assertion on timings.

mod common;

use common::*;
use std::path::Path;

const SMALL: &[&str] =
    &["comm", "--max-bytes", "4K", "--iters", "20", "--warmup", "2", "--repeats", "2", "--window", "4"];
/// 1, 2, 4, ..., 4096 bytes.
const SIZES: usize = 13;

fn columns(g: &hdf5::Group) -> Vec<String> {
    sorted(g.member_names().unwrap())
}

fn check_comm_file(path: &Path, ranks: usize, all_pairs: bool) {
    let file = hdf5::File::open(path).unwrap();
    assert_eq!(u64_attr(&file, "world_size"), ranks as u64);
    assert_eq!(u64_attr(&file, "incomplete"), 0);
    // No threads beside MPI: the cheaper thread level, and one thread per rank on record.
    assert_eq!(str_attr(&file, "mpi_thread_level"), "single");
    assert_eq!(u64_attr(&file, "threads_per_rank"), 1);
    assert_eq!(str_attr(&file, "threads_source"), "single-threaded experiment");
    let groups: &[&str] = if all_pairs {
        &["collectives", "hockney", "latency_matrix", "pt2pt"]
    } else {
        &["collectives", "hockney", "pt2pt"]
    };
    assert_eq!(columns(&file.group("comm").unwrap()), groups);

    let p2p = file.group("comm/pt2pt").unwrap();
    assert_eq!(
        columns(&p2p),
        [
            "bandwidth_MBps",
            "bibandwidth_MBps",
            "biwindow",
            "bytes",
            "dst",
            "latency_us_max",
            "latency_us_median",
            "latency_us_min",
            "latency_us_p50",
            "latency_us_p90",
            "latency_us_p99",
            "pair_kind",
            "src",
            "window"
        ]
    );
    assert_eq!(u64_attr(&p2p, "validated"), 1);
    let pairs = if ranks == 2 { 1 } else { 2 };
    let dst = p2p.dataset("dst").unwrap().read_raw::<u64>().unwrap();
    assert_eq!(dst.len(), pairs * SIZES);
    // Rank 0 with its nearest rank, then with the last one.
    assert_eq!(dst[0], 1);
    assert_eq!(dst[dst.len() - 1], ranks as u64 - 1);
    assert!(strings(&p2p.dataset("pair_kind").unwrap()).iter().all(|k| k == "intra-node"));
    assert_eq!(str_attr(&p2p.dataset("latency_us_median").unwrap(), "units"), "us");
    assert_eq!(str_attr(&p2p.dataset("bandwidth_MBps").unwrap(), "units"), "MB/s");
    let read = |column: &str| p2p.dataset(column).unwrap().read_raw::<f64>().unwrap();
    for column in [
        "latency_us_min",
        "latency_us_median",
        "latency_us_max",
        "latency_us_p50",
        "latency_us_p90",
        "latency_us_p99",
        "bandwidth_MBps",
        "bibandwidth_MBps",
    ] {
        let v = read(column);
        assert!(v.iter().all(|x| x.is_finite() && *x > 0.0), "{column}: {v:?}");
    }
    // Percentiles of the same samples are ordered.
    let (p50, p90, p99) = (read("latency_us_p50"), read("latency_us_p90"), read("latency_us_p99"));
    assert!((0..p50.len()).all(|i| p50[i] <= p90[i] && p90[i] <= p99[i]));
    assert!(str_attr(&p2p, "buffers").starts_with("single"));
    // --window 4 fixes every size's window, both ways.
    for column in ["window", "biwindow"] {
        assert!(p2p.dataset(column).unwrap().read_raw::<u64>().unwrap().iter().all(|&w| w == 4), "{column}");
    }
    assert_eq!(str_attr(&p2p, "window_choice"), "--window 4 at every size");
    assert!(str_attr(&p2p, "iterations").contains("20 timed, 2 warm-up"));

    let hockney = file.group("comm/hockney").unwrap();
    assert_eq!(hockney.dataset("alpha_us").unwrap().shape(), [pairs]);

    let coll = file.group("comm/collectives").unwrap();
    let ops = strings(&coll.dataset("op").unwrap());
    let count = |op: &str| ops.iter().filter(|o| *o == op).count();
    assert_eq!(count("barrier"), 1);
    assert_eq!(count("broadcast"), SIZES);
    assert_eq!(count("reduce"), SIZES - 3, "reductions start at one f64");
    assert_eq!(count("allreduce"), SIZES - 3);
    assert_eq!(count("allgather"), SIZES);
    assert_eq!(count("alltoall"), SIZES);
    assert!(coll.dataset("ranks").unwrap().read_raw::<u64>().unwrap().iter().all(|&r| r == ranks as u64));

    if all_pairs {
        let matrix = file.dataset("comm/latency_matrix").unwrap().read_2d::<f64>().unwrap();
        assert_eq!(matrix.shape(), [ranks, ranks]);
        for i in 0..ranks {
            for j in 0..ranks {
                assert_eq!(matrix[[i, j]].is_nan(), i == j, "[{i},{j}] = {}", matrix[[i, j]]);
            }
        }
    }
}

#[test]
fn comm_measures_and_checks_on_2_3_and_4_ranks() {
    for ranks in [2, 3, 4] {
        let dir = tempfile::tempdir().unwrap();
        let all_pairs = ranks != 2;
        let mut args = SMALL.to_vec();
        args.extend(["-o", "c.h5"]);
        if all_pairs {
            args.push("--all-pairs");
        }
        let out = mpirun(ranks, &args, dir.path());
        assert_success(&out);
        check_comm_file(&dir.path().join("c.h5"), ranks, all_pairs);
        let text = stdout(&out);
        assert!(text.contains("comm/pt2pt:") && text.contains("Hockney fit"), "{text}");
    }
}

#[test]
fn one_rank_is_told_to_launch_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun(1, SMALL, dir.path());
    assert_fails(&out, 2, "parahpc: error: comm measures messages between ranks and needs at least 2");
    assert!(!stderr(&out).contains("started on"), "nothing is started before the refusal: {}", stderr(&out));
    assert_no_files(dir.path());
}

#[test]
fn bad_sizes_are_refused_before_anything_runs() {
    for (args, expected) in [
        (&["--min-bytes", "64K", "--max-bytes", "1K"][..], "--min-bytes 65536 is larger than --max-bytes 1024"),
        (&["--max-bytes", "1G", "--window", "64"][..], "exceeds what one MPI call can address"),
        (&["--max-bytes", "0"][..], "must be a positive byte count"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(2, &[&["comm"][..], args].concat(), dir.path());
        assert_fails(&out, 2, expected);
        assert_no_files(dir.path());
    }
}

#[test]
fn corrupted_data_fails_validation_and_writes_nothing() {
    for (fault, expected) in [
        ("corrupt-message", "validation failed: message of 1 B from rank 0: byte 0 is wrong"),
        ("corrupt-collective", "validation failed: broadcast of 1 B: byte 0 received by rank 1 is wrong"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun_with_fault(2, SMALL, dir.path(), fault);
        assert_fails(&out, 1, &format!("parahpc: error: {expected}"));
        assert_no_files(dir.path());
    }
}

#[test]
fn a_stop_signal_keeps_what_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher(2, &[]);
    cmd.args(["comm", "-o", "s.h5"]);
    // Point to point is done once rank 0 says so; stop during the collectives. The launcher
    // forwards SIGUSR1 to the ranks as it is.
    let (status, log) = interrupt(&mut cmd, dir.path(), "ranks 0 and 1 (intra-node): 23 sizes measured", libc::SIGUSR1);
    // MPICH's mpiexec ends with 0 after passing a signal on, whatever the ranks' status.
    if !mpich() {
        assert_eq!(status, Some(128 + libc::SIGUSR1), "{log}");
    }
    assert!(log.contains("parahpc: error: stopped: SIGUSR1 received after"), "{log}");
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let reason = str_attr(&file, "incomplete_reason");
    assert!(reason.starts_with("SIGUSR1 received after "), "{reason}");
    // All 23 sizes of the pair made it, the collectives only in part.
    assert_eq!(file.dataset("comm/pt2pt/bytes").unwrap().shape(), [23]);
    let collectives = file.dataset("comm/collectives/op").unwrap().shape()[0];
    assert!(collectives < 1 + 23 + 20 + 20 + 23 + 23, "{collectives} collective rows: the run was not cut short");
}

#[test]
fn buffer_modes_and_osu_defaults_are_recorded() {
    // OSU's iteration counts by default; a window's messages in one buffer, a buffer each, or
    // rings twice the last-level cache.
    for (mode, extra, expected) in [
        ("default", &[][..], "single"),
        ("multiple", &["--buffers", "multiple"][..], "multiple"),
        ("off-cache", &["--off-cache"][..], "off-cache"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["comm", "--max-bytes", "64K", "--repeats", "1", "-o", "c.h5"];
        args.extend(extra);
        assert_success(&mpirun(2, &args, dir.path()));
        let file = hdf5::File::open(dir.path().join("c.h5")).unwrap();
        let p2p = file.group("comm/pt2pt").unwrap();
        assert!(str_attr(&p2p, "buffers").starts_with(expected), "{mode}: {}", str_attr(&p2p, "buffers"));
        assert_eq!(u64_attr(&p2p, "off_cache"), u64::from(mode == "off-cache"));
        assert!(str_attr(&p2p, "iterations").starts_with("OSU's"), "{mode}");
        let bw = p2p.dataset("bandwidth_MBps").unwrap().read_raw::<f64>().unwrap();
        assert!(bw.iter().all(|x| x.is_finite() && *x > 0.0), "{mode}: {bw:?}");
        // Without --window, each size's windows are measured: one of the candidates, the same
        // on record as the run used (the two ranks agreed, or the loops would have hung).
        assert!(str_attr(&p2p, "window_choice").starts_with("the fastest of [64, 16, 4, 1]"));
        for column in ["window", "biwindow"] {
            let w = p2p.dataset(column).unwrap().read_raw::<u64>().unwrap();
            assert_eq!(w.len(), bw.len());
            assert!(w.iter().all(|w| [64, 16, 4, 1].contains(w)), "{mode} {column}: {w:?}");
            // Up to 4 KiB a window of 64 spans at most 256 KiB: kept without a trial.
            assert!(w[..13].iter().all(|&w| w == 64), "{mode} {column}: {w:?}");
        }
    }
}
