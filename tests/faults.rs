//! The faults clusters bring: stop signals (mpirun's and a direct one), a rank killed, a full file
//! system, an unwritable directory, the output file deleted or replaced during the run. Each test
//! asserts that nothing measured is lost and that nothing crashes or hangs. The file system cases
//! mount a tmpfs and need root; elsewhere they fail, saying so.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Two points (1 and 2 ranks; 1 and 2 threads alone) of 3 s and 1.7 s of sleeping workers.
const LONG: &[&str] = &["amdahl", "--kernel", "sleep", "--work", "3", "--repeats", "1", "--warmup", "0"];
const FIRST_POINT: &str = "1 rank × 1 thread: median";

/// The launcher itself, not under `timeout`: `timeout` passes a signal on twice (to mpirun and to
/// its process group), and at a second signal Open MPI's mpirun kills the ranks at once.
/// `Running` bounds the wait instead.
fn mpirun_cmd(ranks: usize, args: &[&str]) -> Command {
    let mut cmd = launcher(ranks, &[]);
    cmd.args(args);
    cmd
}

fn alone_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parahpc"));
    cmd.args(args);
    cmd
}

/// Waits (at most a minute) until `path` exists: the run's first checkpoint.
fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn sigterm_to_mpirun_mid_point_keeps_the_completed_points() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = Running::start(&mut mpirun_cmd(2, &[LONG, &["-o", "s.h5"]].concat()), dir.path());
    run.wait_for(FIRST_POINT);
    // Well inside the 2-rank point.
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGTERM);
    let (code, log, _) = run.finish();
    // MPICH's mpiexec ends with 0 after passing a signal on, whatever the ranks' status.
    if !mpich() {
        assert_ne!(code, Some(0), "{log}");
    }
    // Open MPI's mpirun (4.1) sends SIGCONT, waits 1 s, sends SIGTERM, waits 1 s, then SIGKILL:
    // the stop was seen and written inside that second, or this line would be missing.
    assert!(log.contains("parahpc: error: stopped: SIGTERM received after 1 of 2 points"), "{log}");
    assert_eq!(check_incomplete(&dir.path().join("s.h5"), "SIGTERM", 2), 1);
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn sigterm_alone_keeps_the_completed_points_and_exits_143() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = Running::start(&mut alone_cmd(&[LONG, &["--threads", "2", "-o", "s.h5"]].concat()), dir.path());
    run.wait_for(FIRST_POINT);
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGTERM);
    let (code, log, _) = run.finish();
    assert_eq!(code, Some(128 + libc::SIGTERM), "{log}");
    assert!(log.contains("parahpc: error: stopped: SIGTERM received after 1 of 2 points"), "{log}");
    assert_eq!(check_incomplete(&dir.path().join("s.h5"), "SIGTERM", 2), 1);
}

#[test]
fn a_killed_rank_leaves_the_points_measured_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = Running::start(&mut mpirun_cmd(2, &[LONG, &["-o", "killed.h5"]].concat()), dir.path());
    run.wait_for(FIRST_POINT);
    std::thread::sleep(Duration::from_millis(300));
    // The last-started parahpc with this output: one rank, as if its node died.
    let killed = Command::new("pkill").args(["-KILL", "-n", "-f", "parahpc amdahl.*killed.h5"]).status().unwrap();
    assert!(killed.success());
    let (code, log, _) = run.finish();
    assert_ne!(code, Some(0), "{log}");
    // The checkpoint written after the first point: valid, marked unfinished.
    let file = hdf5::File::open(dir.path().join("killed.h5")).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let reason = str_attr(&file, "incomplete_reason");
    assert!(reason.starts_with("unfinished after 1 of 2 points"), "{reason}");
    assert_eq!(file.dataset("amdahl/ranks").unwrap().read_raw::<u64>().unwrap(), [1]);
    assert_eq!(file.dataset("amdahl/per_rank/parallel_phase_median_s").unwrap().shape(), [2, 1]);
}

#[test]
fn a_full_file_system_is_an_error_before_or_during_the_run_never_a_crash_or_a_hang() {
    // Too small from the start: refused before anything runs.
    let tiny = Tmpfs::mount("4k", "");
    for ranks in [1, 2] {
        for args in
            [&["amdahl", "--kernel", "sleep", "--work", "0.2"][..], &["comm", "--all-pairs", "--max-bytes", "64"]]
        {
            let out =
                mpirun(ranks.max(2 * usize::from(args[0] == "comm")), &[args, &["-o", "r.h5"]].concat(), tiny.path());
            assert_fails(&out, 2, "needs about");
            assert_no_files(tiny.path());
        }
    }
    // Full during the run, after the first checkpoint: a small output (amdahl) and a larger one
    // (comm's tables and latency matrix), on 1 and 2 ranks.
    let cases: [(usize, &[&str]); 3] = [
        (1, &["amdahl", "--kernel", "sleep", "--work", "1", "--threads", "2", "--repeats", "1"]),
        (2, &["amdahl", "--kernel", "sleep", "--work", "1", "--repeats", "1"]),
        (2, &["comm", "--all-pairs", "--max-bytes", "4M"]),
    ];
    for (ranks, args) in cases {
        let disk = Tmpfs::mount("1m", "");
        let run = Running::start(&mut mpirun_cmd(ranks, &[args, &["-o", "r.h5"]].concat()), disk.path());
        wait_for_file(&disk.path().join("r.h5"));
        // Fill what is left.
        let filler = disk.path().join("filler");
        let _ = std::fs::write(&filler, vec![0u8; 1 << 20]);
        let (code, log, _) = run.finish();
        assert_eq!(code, Some(1), "{args:?}: a clean failure, not a crash or a timeout:\n{log}");
        assert!(log.contains("cannot write") && log.contains("no space left"), "{log}");
        assert!(log.contains("keeps the last checkpoint"), "{log}");
        assert!(!log.contains("Segmentation"), "{log}");
        // What was measured before is still there, valid, and says it is unfinished.
        let file = hdf5::File::open(disk.path().join("r.h5")).unwrap();
        assert_eq!(u64_attr(&file, "incomplete"), 1);
        assert!(temp_files(disk.path()).is_empty(), "{:?}", temp_files(disk.path()));
    }
}

#[test]
fn an_unwritable_directory_is_refused_before_the_run() {
    let readonly = Tmpfs::mount("1m", "ro");
    for ranks in [1, 2] {
        let out = mpirun(ranks, &["amdahl", "--kernel", "sleep", "--work", "0.2", "-o", "r.h5"], readonly.path());
        assert_fails(&out, 2, "Read-only file system");
    }
}

#[test]
fn the_output_deleted_during_the_run_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["amdahl", "--kernel", "sleep", "--work", "1", "--repeats", "1", "--threads", "4", "-o", "d.h5"];
    let run = Running::start(&mut alone_cmd(&args), dir.path());
    let path = dir.path().join("d.h5");
    wait_for_file(&path);
    std::fs::remove_file(&path).unwrap();
    let (code, log, _) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    check_schema(&path, 1, &[(1, 1), (1, 2), (1, 4)], &[]);
}

#[test]
fn the_output_replaced_during_the_run_is_left_alone_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["amdahl", "--kernel", "sleep", "--work", "1", "--repeats", "1", "--threads", "4", "-o", "r.h5"];
    let run = Running::start(&mut alone_cmd(&args), dir.path());
    let path = dir.path().join("r.h5");
    wait_for_file(&path);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"someone else's file").unwrap();
    let (code, log, _) = run.finish();
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("appeared or was replaced during the run; not overwritten"), "{log}");
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's file");
    // The results went beside it, under the name the message gives.
    let kept = temp_files(dir.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(log.contains(&kept[0]), "{log}");
    let file = hdf5::File::open(dir.path().join(&kept[0])).unwrap();
    assert!(file.dataset("amdahl/ranks").unwrap().shape()[0] >= 1);
}

#[test]
fn every_experiment_keeps_its_completed_points_through_the_launchers_stop_sequence() {
    // Sizes that run for several seconds here; the signal comes a second (or the delay given) after
    // the start line, to the launcher, which passes it on as it does for a user's Ctrl-C or
    // kill (Open MPI 4.1: SIGCONT, 1 s, SIGTERM to the ranks, 1 s, SIGKILL). How soon after the
    // signal each experiment writes its file is the stop benchmark's number
    // (scripts/bench-stop.sh); here, that it was written before the launcher's SIGKILL.
    let cases: [(usize, f64, &[&str]); 15] = [
        (2, 1.0, &["comm", "--max-bytes", "4M", "--repeats", "10"]),
        (1, 1.0, &["stream", "--bytes", "512M", "--repeats", "40", "--threads", "2"]),
        (1, 1.0, &["memlat", "--max-bytes", "64M", "--accesses", "20000000"]),
        (2, 1.0, &["randomaccess", "--table-bytes", "512M", "--time-bound", "30s"]),
        (1, 1.0, &["falseshare", "--threads", "2", "--iters", "400000000", "--repeats", "2"]),
        (1, 1.0, &["countdown", "--n", "2000000000", "--threads", "2"]),
        (1, 1.0, &["bank", "--delay-us", "20000", "--transfers", "50", "--repeats", "2"]),
        (1, 1.0, &["pool", "--task", "spin-us", "--spin-us", "1000", "--tasks", "20000", "--chunksize", "10"]),
        (1, 1.0, &["gemm", "--n", "2048", "--impl", "blocked", "--threads", "1", "--repeats", "6"]),
        (1, 1.0, &["simd", "--bytes", "64M", "--repeats", "500"]),
        (2, 1.0, &["amdahl", "--kernel", "spin", "--work", "4", "--repeats", "2"]),
        (2, 1.0, &["reduce", "--n", "20M", "--threads", "1", "--repeats", "30"]),
        (1, 1.0, &["roofline", "--dram-bytes", "256M", "--gemm-n", "512", "--repeats", "40", "--threads", "1"]),
        // Later, into the DRAM-sized arrays of the memory phase.
        (1, 3.0, &["roofline", "--dram-bytes", "256M", "--gemm-n", "256", "--repeats", "3", "--threads", "1"]),
        (2, 1.0, &["linpack", "--n", "3000", "--repeats", "30", "--threads", "1"]),
    ];
    let covered: Vec<&str> = cases.iter().map(|(_, _, args)| args[0]).collect();
    assert_covers("the stop test", &covered, &[("topology", "reads /sys in milliseconds: nothing to stop")]);
    for (ranks, delay, args) in cases {
        let dir = tempfile::tempdir().unwrap();
        // Unbound, so that one rank's threads have both CPUs (falseshare pins its two).
        let mut cmd = launcher(ranks, &["--bind-to", "none"]);
        cmd.args(args).args(["-o", "r.h5"]);
        let mut run = Running::start(&mut cmd, dir.path());
        // From the start line on, not from the launch: a busy machine can take a second to start MPI.
        run.wait_for("started on");
        std::thread::sleep(Duration::from_secs_f64(delay));
        run.signal(libc::SIGTERM);
        let (code, log, _) = run.finish();
        if !mpich() {
            assert_ne!(code, Some(0), "{}: {log}", args[0]);
        }
        let file = hdf5::File::open(dir.path().join("r.h5")).unwrap_or_else(|e| panic!("{}: {e}\n{log}", args[0]));
        assert_eq!(u64_attr(&file, "incomplete"), 1, "{}", args[0]);
        let reason = str_attr(&file, "incomplete_reason");
        assert!(reason.starts_with("SIGTERM received after"), "{}: {reason}\n{log}", args[0]);
        assert!(temp_files(dir.path()).is_empty(), "{}", args[0]);
    }
}

#[test]
fn a_rank_failing_alone_aborts_the_job_and_the_checkpoint_stays() {
    // The last rank panics after the first checkpoint; the others would wait for it forever.
    let dir = tempfile::tempdir().unwrap();
    let args = ["amdahl", "--kernel", "sleep", "--work", "1", "--repeats", "1", "-o", "p.h5"];
    let mut cmd = mpirun_cmd(2, &args);
    cmd.env("PARAHPC_INJECT_FAULT", "panic-last-rank");
    let (code, log, took) = Running::start(&mut cmd, dir.path()).finish();
    assert_ne!(code, Some(0), "{log}");
    assert!(log.contains("injected failure of rank 1"), "{log}");
    // Ended, promptly: rank 0 would otherwise wait in the next collective for ever. (Not on
    // mpirun's MPI_ABORT banner: a fresh-clone CI run lost it to "ORTE_ERROR_LOG: Out of resource
    // in file ../../../orte/util/show_help.c", though the job was aborted.)
    assert!(took < Duration::from_secs(30), "the job took {took:?} to end after the rank failed:\n{log}");
    let file = hdf5::File::open(dir.path().join("p.h5")).unwrap();
    assert!(str_attr(&file, "incomplete_reason").starts_with("unfinished after 1 of 2 points"));
}
