//! `parahpc bank` under 1 to 4 ranks: the locked and atomic modes end exact, every balance is
//! the opening one plus a whole number of transfers, and a dropped lock fails the run.

mod common;

use common::*;

#[test]
fn guarded_modes_are_exact_and_racy_ones_consistent() {
    for ranks in 1..=4 {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(ranks, &["bank", "--delay-us", "200", "--repeats", "2", "-o", "b.h5"], dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("b.h5")).unwrap();
        let g = file.group("bank").unwrap();
        let mode = strings(&g.dataset("mode").unwrap());
        let balance = g.dataset("balance_eur").unwrap().read_raw::<u64>().unwrap();
        let expected = g.dataset("expected_eur").unwrap().read_raw::<u64>().unwrap();
        let lost = g.dataset("lost").unwrap().read_raw::<u64>().unwrap();
        let workers = g.dataset("workers").unwrap().read_raw::<u64>().unwrap();
        assert_eq!(mode.len(), 7);
        assert_eq!(u64_attr(&g, "validated"), 1);
        assert_eq!(str_attr(&g, "window"), "shared memory");
        for i in 0..mode.len() {
            assert_eq!(expected[i], 10_001);
            assert_eq!(balance[i], 1 + 100 * (100 - lost[i]), "{}: balance and lost disagree", mode[i]);
            match mode[i].as_str() {
                "threads mutex" | "threads atomic" | "ranks shared-locked" | "ranks atomic" => {
                    assert_eq!(balance[i], 10_001, "{}", mode[i])
                }
                // The account itself is never touched: every transfer went to a private copy.
                "ranks private" => assert_eq!(lost[i], 100),
                // One thread per transfer, started together: some always overlap.
                "threads racy" => assert!(lost[i] > 0, "{} threads lost nothing", workers[i]),
                "ranks shared-racy" if ranks == 1 => assert_eq!(lost[i], 0, "one rank cannot race"),
                _ => {}
            }
            if mode[i].starts_with("ranks") {
                assert_eq!(workers[i], ranks as u64);
            }
        }
    }
}

#[test]
fn a_dropped_lock_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(
        2,
        &["bank", "--delay-us", "500", "--repeats", "1", "-o", "b.h5"],
        dir.path(),
        "bank-drop-lock",
    );
    assert_fails(&out, 1, "parahpc: error: validation failed in mode threads mutex");
    assert_no_files(dir.path());
}

#[test]
fn impossible_inputs_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun(1, &["bank", "--transfers", "20000"], dir.path());
    assert_fails(&out, 2, "give --workers");
    let out = mpirun(1, &["bank", "--amount", "9223372036854775807", "--workers", "2"], dir.path());
    assert_fails(&out, 2, "overflow a 64-bit balance");
    assert_no_files(dir.path());
}
