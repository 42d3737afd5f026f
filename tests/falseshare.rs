//! `parahpc falseshare` alone and under mpirun: packed and padded counters are counted exactly,
//! between threads and between the ranks of a node (an MPI shared-memory window), the table has
//! both layouts per placement, one worker is refused. One assertion on times: the lesson itself,
//! packed slower than padded between two ranks on two cores, best of three runs. The tests of
//! this file run one at a time (`ALONE`): two of them at once on a 2-core machine left the two
//! ranks no core each, time-sliced, and then no line bounces (CI saw packed = padded once).

mod common;

use common::*;
use std::process::Stdio;
use std::sync::Mutex;

/// Held by every test of this file: cargo runs a file's tests in parallel threads.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn falseshare_on(ranks: usize, args: &[&str], dir: &std::path::Path, fault: Option<&str>) -> std::process::Output {
    let mut cmd = launcher(ranks, &["--bind-to", "none"]);
    cmd.arg("falseshare").args(args);
    if let Some(f) = fault {
        cmd.env("PARAHPC_INJECT_FAULT", f);
    }
    cmd.current_dir(dir).stdin(Stdio::null()).output().unwrap()
}

fn falseshare(args: &[&str], dir: &std::path::Path, fault: Option<&str>) -> std::process::Output {
    falseshare_on(1, args, dir, fault)
}

#[test]
fn packed_and_padded_counters_are_counted_exactly() {
    let _alone = alone();
    // Two ranks on one node: its first rank measures its threads, once, then both ranks.
    let dir = tempfile::tempdir().unwrap();
    let out =
        falseshare_on(2, &["--threads", "2", "--iters", "100000", "--repeats", "2", "-o", "f.h5"], dir.path(), None);
    assert_success(&out);
    assert_eq!(stdout(&out).matches("False sharing:").count(), 2, "{}", stdout(&out));
    let file = hdf5::File::open(dir.path().join("f.h5")).unwrap();
    let placement = strings(&file.dataset("falseshare/placement").unwrap());
    assert_eq!(placement.iter().filter(|p| *p == "separate processes").count(), 2, "{placement:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = falseshare(&["--threads", "2", "--iters", "100000", "--repeats", "2", "-o", "f.h5"], dir.path(), None);
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("f.h5")).unwrap();
    let g = file.group("falseshare").unwrap();
    assert_eq!(
        sorted(g.member_names().unwrap()),
        ["layout", "ns_per_increment", "placement", "ranks", "slowdown", "threads", "time_min_s"]
    );
    let layouts = strings(&g.dataset("layout").unwrap());
    assert!(layouts.len() >= 2 && layouts.chunks(2).all(|c| c == ["packed", "padded"]), "{layouts:?}");
    // Each slowdown is its layout's time over padded's in the same placement, from the file.
    let slowdown = g.dataset("slowdown").unwrap().read_raw::<f64>().unwrap();
    let time = g.dataset("time_min_s").unwrap().read_raw::<f64>().unwrap();
    for (i, s) in slowdown.iter().enumerate() {
        let padded = time[i / 2 * 2 + 1];
        assert!((s - time[i] / padded).abs() <= 1e-12 * s.abs(), "row {i}: {s} against {}", time[i] / padded);
    }
    assert_eq!(u64_attr(&g, "validated"), 1);
    assert_eq!(u64_attr(&g, "padding_bytes"), 128);
    assert!(stdout(&out).contains("pad per-worker data to its own cache line"));
}

#[test]
fn a_lost_increment_fails_and_one_worker_is_refused() {
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    let out = falseshare(&["--threads", "2", "--iters", "1000", "-o", "f.h5"], dir.path(), Some("lose-increment"));
    assert_fails(&out, 1, "parahpc: error: validation failed: counter 0 holds 999, not 1000");
    let out =
        falseshare_on(2, &["--threads", "1", "--iters", "1000", "-o", "f.h5"], dir.path(), Some("lose-increment"));
    assert_fails(&out, 1, "parahpc: error: validation failed between ranks: counter 0 holds 999, not 1000");
    let out = falseshare(&["--threads", "1"], dir.path(), None);
    assert_fails(
        &out,
        2,
        "falseshare needs two workers that share a node: 2 ranks on one node (mpirun -n 2), or --threads 2",
    );
    assert_no_files(dir.path());
}

#[test]
fn two_ranks_share_a_line_as_two_threads_do() {
    let _alone = alone();
    // The course's processes with a shared Value: one thread per rank, counters in an MPI
    // shared-memory window of the node. Each rank on a core of its own, as mpirun binds two.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher(2, &["--bind-to", "core"]);
    cmd.args(["falseshare", "--threads", "1", "--iters", "2000000", "--repeats", "3", "-o", "f.h5"]);
    let out = cmd.current_dir(dir.path()).stdin(Stdio::null()).output().unwrap();
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("f.h5")).unwrap();
    let g = file.group("falseshare").unwrap();
    assert_eq!(strings(&g.dataset("placement").unwrap()), ["separate processes", "separate processes"]);
    assert_eq!(strings(&g.dataset("layout").unwrap()), ["packed", "padded"]);
    assert_eq!(g.dataset("ranks").unwrap().read_raw::<u64>().unwrap(), [2, 2]);
    assert_eq!(u64_attr(&g, "validated"), 1);
    let time = g.dataset("time_min_s").unwrap().read_raw::<f64>().unwrap();
    assert!(time[0] > time[1], "packed {} s against padded {} s: the line should have bounced", time[0], time[1]);
    assert!(stdout(&out).contains("2 ranks (processes), each with its own counter"), "{}", stdout(&out));
}

#[test]
fn a_rank_with_too_few_cpus_to_pin_fails_every_rank_instead_of_hanging() {
    let _alone = alone();
    // Bound to one core each, two ranks cannot pin two threads; only rank 0 measures and knows.
    // Before, the other rank waited forever in the next collective.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher(2, &["--bind-to", "core"]);
    cmd.args(["falseshare", "--threads", "2", "--iters", "1000", "-o", "f.h5"]);
    // Running fails the test instead of hanging it.
    let (code, log, _) = Running::start(&mut cmd, dir.path()).finish();
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("parahpc: error: rank 0 has no 2 CPUs on distinct cores or hyperthreads to pin to"), "{log}");
    assert_no_files(dir.path());
}
