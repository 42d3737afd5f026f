//! `parahpc countdown` alone and under mpirun: every mode the job allows is run and checked, the
//! table says which, and each mode's countdowns all reached zero. No assertion on speedups.

mod common;

use common::*;

fn modes(file: &hdf5::File) -> Vec<String> {
    strings(&file.dataset("countdown/mode").unwrap())
}

#[test]
fn every_possible_mode_runs_and_is_checked() {
    for (ranks, threads, expected) in [
        (1, "1", vec!["serial"]),
        (1, "2", vec!["serial", "threads"]),
        (2, "1", vec!["serial", "ranks"]),
        (2, "2", vec!["serial", "threads", "ranks", "ranks × threads"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(
            ranks,
            &["countdown", "--n", "100000", "--threads", threads, "--repeats", "2", "-o", "c.h5"],
            dir.path(),
        );
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("c.h5")).unwrap();
        assert_eq!(modes(&file), expected, "{ranks} ranks × {threads} threads");
        let g = file.group("countdown").unwrap();
        assert_eq!(u64_attr(&g, "validated"), 1);
        assert_eq!(u64_attr(&g, "jobs"), 2);
        // Speedups are the serial median over each mode's, from the file's own medians.
        let speedup = g.dataset("speedup").unwrap().read_raw::<f64>().unwrap();
        let median = g.dataset("time_median_s").unwrap().read_raw::<f64>().unwrap();
        for (i, s) in speedup.iter().enumerate() {
            assert!((s - median[0] / median[i]).abs() <= 1e-12 * s.abs(), "{i}: {s} against {}", median[0] / median[i]);
        }
        assert!(str_attr(&g, "python_reference").contains("7.9 s"));
    }
}

#[test]
fn a_skipped_countdown_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(1, &["countdown", "--n", "1000", "-o", "c.h5"], dir.path(), "skip-countdown");
    assert_fails(&out, 1, "parahpc: error: validation failed in mode serial: 1 of 2 countdowns done");
    assert_no_files(dir.path());
}

#[test]
fn scale_gives_every_worker_a_countdown() {
    let dir = tempfile::tempdir().unwrap();
    assert_success(&mpirun(3, &["countdown", "--n", "1000", "--threads", "2", "--scale", "-o", "c.h5"], dir.path()));
    let file = hdf5::File::open(dir.path().join("c.h5")).unwrap();
    assert_eq!(u64_attr(&file.group("countdown").unwrap(), "jobs"), 6);
}
