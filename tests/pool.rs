//! `parahpc pool` under 1 to 4 ranks: every task comes back exactly once under every schedule
//! (rank 0 works alone when it has no workers), the worker counts add up, recycling reruns the
//! initializer, and a panicking task or a wrong answer ends the job cleanly with an error.

mod common;

use common::*;

fn u64s(g: &hdf5::Group, name: &str) -> Vec<u64> {
    g.dataset(name).unwrap().read_raw::<u64>().unwrap()
}

#[test]
fn every_task_returns_once_under_every_schedule() {
    for ranks in 1..=4 {
        for schedule in ["static", "dynamic", "guided"] {
            let dir = tempfile::tempdir().unwrap();
            let args = [
                "pool",
                "--tasks",
                "5000",
                "--chunksize",
                "7",
                "--schedule",
                schedule,
                "--init-us",
                "0",
                "--repeats",
                "2",
                "-o",
                "p.h5",
            ];
            let out = mpirun(ranks, &args, dir.path());
            assert_success(&out);
            let file = hdf5::File::open(dir.path().join("p.h5")).unwrap();
            let g = file.group("pool").unwrap();
            assert_eq!(u64_attr(&g, "validated"), 1);
            assert_eq!(str_attr(&g, "schedule"), schedule);
            assert_eq!(g.dataset("tasks_per_s").unwrap().shape(), [2], "one row per timed run");
            let w = file.group("pool/workers").unwrap();
            let (rank, tasks, chunks) = (u64s(&w, "rank"), u64s(&w, "tasks"), u64s(&w, "chunks"));
            let expected_ranks: Vec<u64> = if ranks == 1 { vec![0] } else { (1..ranks as u64).collect() };
            assert_eq!(rank, expected_ranks, "{ranks} ranks: rank 0 works only when alone");
            assert_eq!(tasks.iter().sum::<u64>(), 5000, "{ranks} ranks, {schedule}");
            if schedule != "guided" {
                assert_eq!(chunks.iter().sum::<u64>(), 5000u64.div_ceil(7), "{ranks} ranks, {schedule}");
            }
        }
    }
}

#[test]
fn ordered_delivery_and_recycled_workers() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "pool",
        "--tasks",
        "400",
        "--task",
        "spin-us",
        "--spin-us",
        "20",
        "--random-spin",
        "--chunksize",
        "10",
        "--ordered",
        "--max-tasks-per-worker",
        "1",
        "--init-us",
        "10",
        "--threads",
        "2",
        "--repeats",
        "1",
        "-o",
        "p.h5",
    ];
    assert_success(&mpirun(3, &args, dir.path()));
    let file = hdf5::File::open(dir.path().join("p.h5")).unwrap();
    let g = file.group("pool").unwrap();
    assert_eq!(u64_attr(&g, "ordered"), 1);
    assert_eq!(str_attr(&g, "task"), "spin-us");
    let w = file.group("pool/workers").unwrap();
    // A worker recycled after every task reruns its initializer before each one of this run.
    assert_eq!(u64s(&w, "reinits"), u64s(&w, "tasks"));
    assert_eq!(u64_attr(&w, "threads_per_worker"), 2);
}

#[test]
fn a_panicking_task_is_reported_with_its_id_and_ends_the_job() {
    for ranks in [1, 3] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun_with_fault(
            ranks,
            &["pool", "--tasks", "1000", "--chunksize", "3", "-o", "p.h5"],
            dir.path(),
            "panic-task",
        );
        assert_fails(&out, 1, "parahpc: error: pool failed: task 500 panicked on rank");
        assert!(stderr(&out).contains("injected panic in task 500"), "{}", stderr(&out));
        assert_no_files(dir.path());
    }
}

#[test]
fn a_wrong_answer_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(2, &["pool", "--tasks", "1000", "-o", "p.h5"], dir.path(), "wrong-result");
    assert_fails(&out, 1, "task 500 returned 250001, expected 250000");
    assert_no_files(dir.path());
}
