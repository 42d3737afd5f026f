//! `parahpc suite` under 1, 2 and 4 ranks with a small budget: one file with every experiment's
//! group (the same schema as their own runs) and /suite saying what became of each; the budget
//! holds; what cannot run is skipped with its reason and the exit status says so; a stop signal
//! keeps the experiments completed; options passed to one experiment replace its sizes.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The experiments of the registry, in the suite's order.
const ALL: [&str; 14] = [
    "amdahl",
    "comm",
    "topology",
    "stream",
    "memlat",
    "falseshare",
    "countdown",
    "bank",
    "pool",
    "gemm",
    "simd",
    "reduce",
    "roofline",
    "linpack",
];

fn suite_rows(file: &hdf5::File) -> (Vec<String>, Vec<String>, Vec<String>) {
    let g = file.group("suite").unwrap();
    (
        strings(&g.dataset("experiment").unwrap()),
        strings(&g.dataset("status").unwrap()),
        strings(&g.dataset("reason").unwrap()),
    )
}

#[test]
fn one_launch_runs_every_experiment_into_one_file_within_its_budget() {
    for ranks in [1, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = mpirun(ranks, &["suite", "--budget", "40s", "--threads", "1", "-q", "-o", "s.h5"], dir.path());
        let took = started.elapsed();
        let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
        assert_eq!(u64_attr(&file, "incomplete"), 0);
        let (experiment, status, reason) = suite_rows(&file);
        assert_eq!(experiment, ALL, "{ranks} ranks");
        // One thread per rank: falseshare needs two; one rank: comm needs two ranks, amdahl two
        // workers.
        for (i, name) in experiment.iter().enumerate() {
            let cannot = name == "falseshare" || (ranks == 1 && (name == "comm" || name == "amdahl"));
            if cannot {
                assert_eq!(status[i], "skipped", "{ranks} ranks: {name}");
                assert!(!reason[i].is_empty());
            } else {
                assert_ne!(status[i], "skipped", "{ranks} ranks: {name}: {}", reason[i]);
                // Complete, or cut at its share (then with what it measured so far).
                assert!(file.group(name).is_ok(), "{ranks} ranks: no /{name}");
            }
        }
        // Something did not run: the suite says so, after writing everything.
        assert_fails(&out, 1, "experiments ran; skipped: ");
        assert!(stderr(&out).contains("falseshare (falseshare needs at least 2 threads"), "{}", stderr(&out));
        // The same groups as the experiments' own files: their own checks passed.
        assert_eq!(u64_attr(&file.group("gemm").unwrap(), "validated"), 1);
        assert_eq!(u64_attr(&file.group("linpack").unwrap(), "validated"), 1);
        assert_eq!(str_attr(&file.group("gemm").unwrap(), "grid"), ["", "", "1x2", "", "2x2"][ranks]);
        // The budget holds: 40 s, and MPI's start and end (a busy 4-rank launch here).
        assert!(took < Duration::from_secs(40 + 15), "{ranks} ranks: {took:?}");
        let budget = file.group("suite").unwrap();
        assert!(f64_attr(&budget, "time_s") < 40.0 * 1.1, "{}", f64_attr(&budget, "time_s"));
    }
}

#[test]
fn options_for_one_experiment_replace_its_sizes_and_are_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let skip = "amdahl,comm,stream,memlat,falseshare,countdown,bank,pool,simd,reduce,roofline,linpack";
    let args =
        ["suite", "--budget", "20s", "--threads", "2", "--skip", skip, "--gemm", "--n 96 --impl blas --repeats 1"];
    let out = mpirun(1, &[&args[..], &["-q", "-o", "s.h5"]].concat(), dir.path());
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    let (experiment, status, _) = suite_rows(&file);
    assert_eq!(experiment, ["topology", "gemm"]);
    assert_eq!(status, ["complete", "complete"]);
    let arguments = strings(&file.dataset("suite/arguments").unwrap());
    assert!(arguments[1].starts_with("--n 96 --impl blas"), "{arguments:?}");
    assert_eq!(file.dataset("gemm/n").unwrap().read_raw::<u64>().unwrap(), [96, 96]);

    let bad = mpirun(1, &["suite", "--gemm", "--n zero", "-o", "b.h5"], dir.path());
    assert_fails(&bad, 2, "--gemm \"--n zero\"");
    let unknown = mpirun(1, &["suite", "--skip", "tea", "-o", "b.h5"], dir.path());
    assert_fails(&unknown, 2, "'tea' is not an experiment");
    assert!(!dir.path().join("b.h5").exists());
}

#[test]
fn a_stop_signal_keeps_the_experiments_completed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher(2, &[]);
    cmd.args(["suite", "--budget", "2m", "--threads", "1", "-o", "s.h5"]);
    let mut run = Running::start(&mut cmd, dir.path());
    // Past amdahl and comm, during stream or later.
    run.wait_for("3 of 14: topology");
    run.wait_for("4 of 14: stream");
    run.signal(libc::SIGTERM);
    let (code, log, _) = run.finish();
    if !mpich() {
        assert_ne!(code, Some(0), "{log}");
    }
    assert!(log.contains("stopped: SIGTERM received during "), "{log}");
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let (experiment, status, _) = suite_rows(&file);
    assert!(experiment.len() >= 4 && experiment.len() < 14, "{experiment:?}");
    assert_eq!(&experiment[..3], ["amdahl", "comm", "topology"]);
    assert_eq!(&status[..3], ["complete", "complete", "complete"]);
    for name in ["amdahl", "comm", "topology"] {
        assert!(file.group(name).is_ok(), "/{name} lost");
    }
}
