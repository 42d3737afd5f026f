//! `parahpc gemm` under 1 to 4 ranks: every implementation passes its check at sizes that do and
//! do not divide the tiles and the process grid (3 ranks make a 1×3 grid), the table has its
//! documented columns, a corrupted product fails the run, and impossible sizes are refused.

mod common;

use common::*;

const COLUMNS: [&str; 13] = [
    "impl",
    "n",
    "ranks",
    "threads",
    "blas_threads",
    "time_min_s",
    "time_median_s",
    "time_max_s",
    "gflops",
    "gflops_best",
    "fraction_of_peak",
    "parallel_efficiency",
    "residual",
];

#[test]
fn every_implementation_is_verified_locally_and_distributed() {
    for ranks in 1..=4 {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(
            ranks,
            &["gemm", "--n", "64,101", "--dist", "--threads", "2", "--repeats", "1", "-o", "g.h5"],
            dir.path(),
        );
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("g.h5")).unwrap();
        let g = file.group("gemm").unwrap();
        assert_eq!(sorted(g.member_names().unwrap()), sorted(COLUMNS.map(String::from).to_vec()), "{ranks} ranks");
        let implementation = strings(&g.dataset("impl").unwrap());
        let n = g.dataset("n").unwrap().read_raw::<u64>().unwrap();
        let rank_counts = g.dataset("ranks").unwrap().read_raw::<u64>().unwrap();
        let threads = g.dataset("threads").unwrap().read_raw::<u64>().unwrap();
        let blas_threads = g.dataset("blas_threads").unwrap().read_raw::<u64>().unwrap();
        let residual = g.dataset("residual").unwrap().read_raw::<f64>().unwrap();
        let efficiency = g.dataset("parallel_efficiency").unwrap().read_raw::<f64>().unwrap();
        // Per size: naive (1 thread), blocked and blas (1 and 2 threads), summa.
        let expected: Vec<&str> = ["naive", "blocked", "blocked", "blas", "blas", "summa"].repeat(2);
        assert_eq!(implementation, expected, "{ranks} ranks");
        assert_eq!(n, [vec![64; 6], vec![101; 6]].concat());
        for i in 0..implementation.len() {
            assert!(residual[i] < 16.0, "{} n={} residual {}", implementation[i], n[i], residual[i]);
            match implementation[i].as_str() {
                "summa" => {
                    assert_eq!(rank_counts[i], ranks as u64);
                    assert!(efficiency[i] > 0.0, "efficiency against one rank's BLAS");
                }
                "blas" => assert_eq!(blas_threads[i], threads[i], "BLAS runs on the row's threads"),
                _ => assert_eq!(blas_threads[i], 1, "BLAS idles on one thread while rayon runs"),
            }
        }
        assert_eq!(str_attr(&g, "grid"), ["1x1", "1x2", "1x3", "2x2"][ranks - 1]);
        assert!(str_attr(&g, "peak_source").contains("GFLOP/s per core"));
    }
}

#[test]
fn a_corrupted_product_fails_the_run() {
    for (ranks, args) in [(1, vec!["--impl", "blocked"]), (3, vec!["--impl", "blas", "--dist"])] {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec!["gemm", "--n", "90", "--repeats", "1", "-o", "g.h5"];
        all.extend(args);
        let out = mpirun_with_fault(ranks, &all, dir.path(), "corrupt-product");
        assert_fails(&out, 1, "parahpc: error: validation failed:");
        assert!(stderr(&out).contains("at n = 90 gives scaled residual"), "{}", stderr(&out));
        assert_no_files(dir.path());
    }
}

#[test]
fn impossible_sizes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let zero = mpirun(1, &["gemm", "--n", "0"], dir.path());
    assert_fails(&zero, 2, "must be at least 1");
    let huge = mpirun(2, &["gemm", "--n", "2000000"], dir.path());
    assert_fails(&huge, 2, "gemm at n = 2000000 needs");
    assert!(stderr(&huge).contains("give a smaller --n"), "{}", stderr(&huge));
    let grid = mpirun(4, &["gemm", "--n", "1", "--dist"], dir.path());
    assert_fails(&grid, 2, "smaller than the 2×2 process grid");
    assert_no_files(dir.path());
}
