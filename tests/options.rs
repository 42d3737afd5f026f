//! An option that would do nothing beside the others given is refused, naming both, with exit
//! status 2 and no file: a user who asks for something must get it or be told.

mod common;

use common::*;

#[test]
fn an_option_that_would_do_nothing_is_refused_naming_both() {
    let cases: [(&[&str], &str, &str); 7] = [
        (&["amdahl", "--array-bytes", "64M"], "--array-bytes", "--kernel spin"),
        (&["pool", "--spin-us", "5"], "--spin-us", "--task square"),
        (&["pool", "--random-spin"], "--random-spin", "--task square"),
        (&["gemm", "--impl", "blas", "--naive-max-n", "100"], "--naive-max-n", "--impl"),
        (&["linpack", "--n", "500", "--memory-fraction", "0.3"], "--memory-fraction", "--n"),
        (&["comm", "--off-cache", "--buffers", "multiple"], "--off-cache", "--buffers"),
        (&["countdown", "--scale", "--repeat", "3"], "--scale", "--repeat"),
    ];
    for (args, option, other) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(1, args, dir.path());
        assert_fails(&out, 2, option);
        assert!(stderr(&out).contains(other), "{args:?}: {}", stderr(&out));
        let ours = stderr(&out).lines().filter(|l| l.starts_with("parahpc:")).count();
        assert_eq!(ours, 1, "{args:?}: one line: {}", stderr(&out));
        assert_no_files(dir.path());
    }
}

#[test]
fn the_same_options_are_taken_where_they_do_something() {
    for args in [
        &["amdahl", "--kernel", "stream", "--array-bytes", "1M", "--work", "0.05", "--threads", "2", "--repeats", "1"]
            [..],
        &["pool", "--task", "spin-us", "--spin-us", "5", "--random-spin", "--tasks", "100", "--repeats", "1"],
        &["gemm", "--impl", "naive,blas", "--naive-max-n", "100", "--n", "64", "--repeats", "1"],
        &["linpack", "--n", "auto", "--memory-fraction", "0.0005", "--repeats", "1"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        assert_success(&mpirun(1, &[args, &["-o", "r.h5"]].concat(), dir.path()));
        assert!(dir.path().join("r.h5").exists(), "{args:?}");
    }
}
