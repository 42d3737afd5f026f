//! `parahpc linpack` under 1 to 4 ranks: HPL's residual passes on every grid HPL users meet
//! (1×1, 1×2, 2×1, 2×2, 1×3, 3×1), for N below the block size, not a multiple of it, and larger;
//! the table has its documented columns and units; a corrupted block fails the run; impossible
//! grids and sizes are refused before anything is allocated.

mod common;

use common::*;

const COLUMNS: [(&str, &str); 15] = [
    ("n", "1"),
    ("nb", "1"),
    ("time_min_s", "s"),
    ("time_median_s", "s"),
    ("time_max_s", "s"),
    ("gflops", "GFLOP/s"),
    ("gflops_best", "GFLOP/s"),
    ("fraction_of_peak", "1"),
    ("fraction_of_dgemm", "1"),
    ("residual", "1"),
    ("factor_s", "s"),
    ("broadcast_s", "s"),
    ("swap_s", "s"),
    ("update_s", "s"),
    ("solve_s", "s"),
];

#[test]
fn every_grid_solves_and_passes_hpls_check() {
    for (ranks, grid) in [(1, "1x1"), (2, "1x2"), (2, "2x1"), (4, "2x2"), (3, "1x3"), (3, "3x1")] {
        let dir = tempfile::tempdir().unwrap();
        // N = 7 < NB, 45 and 101 not multiples of it; the last block rows and columns are short.
        let args = ["linpack", "--n", "7,45,101", "--nb", "16", "--grid", grid, "--threads", "1", "--repeats", "2"];
        let out = mpirun(ranks, &[&args[..], &["-o", "l.h5"]].concat(), dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("l.h5")).unwrap();
        assert_eq!(u64_attr(&file, "incomplete"), 0);
        let g = file.group("linpack").unwrap();
        assert_eq!(sorted(g.member_names().unwrap()), sorted(COLUMNS.map(|c| c.0.to_string()).to_vec()), "{grid}");
        for (name, units) in COLUMNS {
            let ds = g.dataset(name).unwrap();
            assert_eq!(ds.shape(), [3], "{grid}: {name}");
            assert_eq!(str_attr(&ds, "units"), units, "{grid}: {name}");
        }
        assert_eq!(g.dataset("n").unwrap().read_raw::<u64>().unwrap(), [7, 45, 101]);
        let residual = g.dataset("residual").unwrap().read_raw::<f64>().unwrap();
        // A correct solve of a random system lands near 10⁻³–10⁻²; a wrong one far above 16.
        assert!(residual.iter().all(|r| *r > 0.0 && *r < 1.0), "{grid}: {residual:?}");
        for rate in ["gflops", "gflops_best", "fraction_of_peak", "fraction_of_dgemm"] {
            let v = g.dataset(rate).unwrap().read_raw::<f64>().unwrap();
            assert!(v.iter().all(|x| x.is_finite() && *x > 0.0), "{grid}: {rate} {v:?}");
        }
        assert_eq!(str_attr(&g, "grid"), grid);
        assert_eq!(u64_attr(&g, "ranks"), ranks as u64);
        assert_eq!(u64_attr(&g, "validated"), 1);
        assert!([7, 45, 101].contains(&u64_attr(&g, "rmax_n")));
        assert!(f64_attr(&g, "dgemm_gflops") > 0.0);
        assert!(str_attr(&g, "peak_source").contains("GFLOP/s per core"));
        let log = stdout(&out);
        assert!(log.contains("Every solve passed HPL's check") && log.contains("Rmax"), "{log}");
    }
}

#[test]
fn the_default_grid_is_as_square_as_the_ranks_allow() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        mpirun(4, &["linpack", "--n", "64", "--nb", "8", "--threads", "1", "--repeats", "1", "-o", "l.h5"], dir.path());
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("l.h5")).unwrap();
    assert_eq!(str_attr(&file.group("linpack").unwrap(), "grid"), "2x2");
}

#[test]
fn a_corrupted_block_fails_the_run() {
    for (ranks, grid) in [(1, "1x1"), (4, "2x2")] {
        let dir = tempfile::tempdir().unwrap();
        let args =
            ["linpack", "--n", "80", "--nb", "16", "--grid", grid, "--threads", "1", "--repeats", "1", "-o", "l.h5"];
        let out = mpirun_with_fault(ranks, &args, dir.path(), "corrupt-block");
        assert_fails(&out, 1, "parahpc: error: validation failed: N = 80");
        assert!(stderr(&out).contains("gives HPL's scaled residual"), "{}", stderr(&out));
        assert_no_files(dir.path());
    }
}

#[test]
fn impossible_grids_and_sizes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let grid = mpirun(2, &["linpack", "--n", "100", "--grid", "2x2"], dir.path());
    assert_fails(&grid, 2, "--grid 2x2 has 4 processes but the job has 2 ranks");
    let shape = mpirun(1, &["linpack", "--grid", "2"], dir.path());
    assert_fails(&shape, 2, "is not a grid PxQ");
    let zero = mpirun(1, &["linpack", "--n", "0"], dir.path());
    assert_fails(&zero, 2, "must be at least 1");
    let huge = mpirun(2, &["linpack", "--n", "1000000"], dir.path());
    assert_fails(&huge, 2, "linpack at N = 1000000 on a 1x2 grid needs");
    assert!(stderr(&huge).contains("give a smaller --n"), "{}", stderr(&huge));
    assert_no_files(dir.path());
}

#[test]
fn auto_fills_the_asked_share_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 10⁻⁵ of a few GiB: an N of a few hundred, rounded down to a multiple of NB.
    let args = ["linpack", "--n", "auto", "--memory-fraction", "0.00001", "--nb", "32", "--threads", "1"];
    let out = mpirun(1, &[&args[..], &["--repeats", "1", "-o", "l.h5"]].concat(), dir.path());
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("l.h5")).unwrap();
    let n = file.dataset("linpack/n").unwrap().read_raw::<u64>().unwrap()[0];
    let available = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib: f64 = available
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let expected = (0.00001 * kib * 1024.0 / 8.0).sqrt();
    assert_eq!(n % 32, 0, "{n}");
    // The memory available moves a little between the run and this reading.
    assert!((n as f64) <= expected * 1.1 + 32.0 && n as f64 >= expected * 0.9 - 32.0, "{n} against {expected}");
}
