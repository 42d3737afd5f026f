//! `parahpc reduce` alone and under mpirun: the reproducible sum equals the exact sum on every
//! point, whatever the ranks, threads and Open MPI's allreduce algorithm; the plain sum shows
//! the lesson; an order-dependent "reproducible" sum fails the run. No assertion on timings.

mod common;

use common::*;

/// Ranks for the sweeps: up to 4, but no more than the cores under MPICH, whose waiting ranks
/// spin without yielding (4 ranks on 2 cores took 100 s where 2 took 0.2 s; docs/development.md).
fn ranks(wanted: usize) -> usize {
    if mpich() {
        wanted.min(std::thread::available_parallelism().map_or(2, |n| n.get())).max(2)
    } else {
        wanted
    }
}

fn column<T: hdf5::H5Type>(file: &hdf5::File, name: &str) -> Vec<T> {
    file.dataset(name).unwrap().read_raw::<T>().unwrap()
}

/// The result bits of `method` at every point.
fn bits(file: &hdf5::File, method: &str) -> Vec<String> {
    let methods = strings(&file.dataset("reduce/method").unwrap());
    let bits = strings(&file.dataset("reduce/result_bits").unwrap());
    methods.iter().zip(bits).filter(|(m, _)| *m == method).map(|(_, b)| b).collect()
}

#[test]
fn the_slide_on_one_rank() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun(1, &["reduce", "--data", "tenths", "--n", "4", "--threads", "1", "-o", "r.h5"], dir.path());
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    let g = file.group("reduce").unwrap();
    // 0.1 + 0.1 + 0.1 − 0.3 in doubles is 5.55e-17; the exact sum of those four doubles is 2^-55.
    assert_eq!(f64_attr(&g, "exact_sum"), 2f64.powi(-55));
    assert_eq!(str_attr(&g, "exact_sum_bits"), "0x3c80000000000000");
    assert_eq!(bits(&file, "serial"), ["0x3c90000000000000"], "5.55e-17, the slide's answer");
    assert_eq!(bits(&file, "reproducible"), ["0x3c80000000000000"]);
    assert_eq!(u64_attr(&g, "validated"), 1);
    let errors = column::<f64>(&file, "reduce/error_ulps");
    let methods = strings(&file.dataset("reduce/method").unwrap());
    assert_eq!(methods, ["serial", "plain", "pairwise", "compensated", "reproducible"]);
    assert!(errors[0] > 1e15, "the slide's sum is twice the exact one: {} ulps", errors[0]);
    assert_eq!(errors[4], 0.0);
    assert!(stdout(&out).contains("Lesson: a parallel sum's last bits depend on how the work was split"));
}

#[test]
fn one_result_on_every_rank_and_thread_count_under_every_allreduce_algorithm() {
    let mut seen = Vec::new();
    // Open MPI's tuned allreduce algorithms (1 basic linear, 2 nonoverlapping, 3 recursive
    // doubling, 4 ring, 5 segmented ring, 6 Rabenseifner): each adds in its own order.
    let algorithms: &[&str] = if mpich() { &["default"] } else { &["default", "1", "3", "4", "6"] };
    for algorithm in algorithms {
        let dir = tempfile::tempdir().unwrap();
        let args = ["reduce", "--n", "200003", "--threads", "2", "--repeats", "2", "-o", "r.h5"];
        let mut cmd = launcher(ranks(4), &[]);
        cmd.args(args).current_dir(dir.path());
        if *algorithm != "default" {
            cmd.env("OMPI_MCA_coll_tuned_use_dynamic_rules", "1")
                .env("OMPI_MCA_coll_tuned_allreduce_algorithm", algorithm);
        }
        let out = cmd.output().unwrap();
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
        let g = file.group("reduce").unwrap();
        let exact = str_attr(&g, "exact_sum_bits");
        let reproducible = bits(&file, "reproducible");
        // Points 1, 2, 4 ranks (1, 2 under MPICH on 2 cores) × 1, 2 threads.
        assert_eq!(reproducible.len(), if ranks(4) == 4 { 6 } else { 2 * ranks(4) });
        assert!(reproducible.iter().all(|b| *b == exact), "algorithm {algorithm}: {reproducible:?} vs {exact}");
        let methods = strings(&file.dataset("reduce/methods/method").unwrap());
        let distinct = column::<u64>(&file, "reduce/methods/distinct_results");
        assert_eq!(distinct[methods.iter().position(|m| m == "reproducible").unwrap()], 1);
        assert_eq!(distinct[methods.iter().position(|m| m == "serial").unwrap()], 1, "one order, one result");
        // Every point chose its exact-sum kernel by timing both; the chosen one gave the exact bits.
        let kernels = strings(&g.dataset("exact_kernel").unwrap());
        assert!(kernels.iter().all(|k| k == "binned" || k.starts_with("levels, ")), "{kernels:?}");
        assert!(column::<f64>(&file, "reduce/exact_kernel_gain").iter().all(|g| *g >= 1.0));
        seen.push(exact);
        let a = file.group("reduce/allreduce").unwrap();
        assert_eq!(strings(&a.dataset("method").unwrap()), ["plain", "reproducible-gather", "reproducible-op"]);
        assert_eq!(u64_attr(&a, "ranks"), ranks(4) as u64);
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "the exact sum is a property of the data");
}

#[test]
fn plain_sums_differ_with_the_split_on_the_default_data() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["reduce", "--n", "100000", "--threads", "1", "-o", "r.h5"];
    assert_success(&mpirun(ranks(3), &args, dir.path()));
    let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    let mut plain = bits(&file, "plain");
    plain.sort();
    plain.dedup();
    assert!(plain.len() > 1, "the lesson needs different plain sums on 1, 2 (and 3) ranks: {plain:?}");
}

#[test]
fn an_order_dependent_sum_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    // Rounding each half first lands on the exact sum's bits for some data (seeds 1, 5 and 7 of
    // the first 8, measured): seed 2 is one where it does not. Everything here is deterministic.
    let args = ["reduce", "--n", "100000", "--seed", "2", "--threads", "1", "-o", "r.h5"];
    let out = mpirun_with_fault(2, &args, dir.path(), "order-dependent-sum");
    assert_fails(&out, 1, "parahpc: error: the reproducible sum is not reproducible");
    assert!(stderr(&out).contains("to reproduce: mpirun -n 2 parahpc reduce --n"), "{}", stderr(&out));
    assert_no_files(dir.path());
}

#[test]
fn a_wrong_reference_is_named_by_the_other_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(
        2,
        &["reduce", "--n", "100003", "--seed", "5", "-o", "r.h5"],
        dir.path(),
        "corrupt-reference",
    );
    assert_fails(&out, 1, "validation failed: the exact references disagree");
    let err = stderr(&out);
    assert!(err.contains("Shewchuk's partials are the odd one out"), "{err}");
    assert!(
        err.contains("to reproduce: mpirun -n 2 parahpc reduce --n 100003 --data cancel --seed 5 --ranks 2 (revision "),
        "{err}"
    );
    assert_no_files(dir.path());
}

#[test]
fn impossible_plans_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun(2, &["reduce", "--ranks", "3", "-o", "r.h5"], dir.path());
    assert_fails(&out, 2, "--ranks 3: the job has 2 rank(s)");
    let out = mpirun(1, &["reduce", "--threads", "1", "--thread-counts", "4", "-o", "r.h5"], dir.path());
    assert_fails(&out, 2, "--thread-counts 4: each rank runs 1 thread(s)");
    let out = mpirun(1, &["reduce", "--n", "1000G", "-o", "r.h5"], dir.path());
    assert_fails(&out, 2, "reduce --n 1000000000000 needs");
    assert_no_files(dir.path());
}
