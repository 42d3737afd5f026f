//! `parahpc roofline` alone and under mpirun: every ceiling measured, every kernel placed and
//! checked, and a broken FMA kernel caught by its own check. The only comparisons of speed are
//! the ones the roofline itself makes (a kernel below its ceiling, a wider unit above a
//! narrower), with a margin for a noisy machine.

mod common;

use common::*;

const SMALL: &[&str] = &["roofline", "--dram-bytes", "8M", "--gemm-n", "64", "--repeats", "2"];

fn column<T: hdf5::H5Type>(file: &hdf5::File, name: &str) -> Vec<T> {
    file.dataset(name).unwrap().read_raw::<T>().unwrap()
}

#[test]
fn one_core_ceilings_and_every_kernel_under_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun(1, &[SMALL, &["--threads", "1", "-o", "r.h5"]].concat(), dir.path());
    assert_success(&out);
    assert!(stdout(&out).contains("The ridge of one core:"), "{}", stdout(&out));
    let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    assert_eq!(u64_attr(&file.group("roofline").unwrap(), "validated"), 1);

    let units = strings(&file.dataset("roofline/compute/unit").unwrap());
    let precision = strings(&file.dataset("roofline/compute/precision").unwrap());
    let scope = strings(&file.dataset("roofline/compute/scope").unwrap());
    let gflops = column::<f64>(&file, "roofline/compute/gflops");
    let core = |unit: &str, p: &str| {
        (0..units.len()).find(|&i| units[i] == unit && precision[i] == p && scope[i] == "core").map(|i| gflops[i])
    };
    assert!(units[0].starts_with("scalar"), "{units:?}");
    assert!(gflops.iter().all(|g| g.is_finite() && *g > 0.0), "{gflops:?}");
    // Which unit is faster depends on the machine and its load; what cannot is each unit's lanes
    // and a rate no core reaches: a kernel that counted wrong (a lane, a chain, an FMA as one
    // flop) would be off by a factor of 2 or more. No core clocks above 8 GHz with two FMA pipes.
    let lanes = column::<u64>(&file, "roofline/compute/lanes");
    let ghz = column::<f64>(&file, "roofline/compute/ghz_equivalent");
    for i in 0..units.len() {
        let f64_lanes = match units[i].as_str() {
            u if u.starts_with("scalar") => 1,
            "sse2" | "neon" => 2,
            "avx2+fma" => 4,
            "avx512f" => 8,
            u => panic!("unknown unit {u}"),
        };
        let scalar = units[i].starts_with("scalar");
        let expected = if precision[i] == "f32" && !scalar { 2 * f64_lanes } else { f64_lanes };
        assert_eq!(lanes[i], expected, "{} {}", units[i], precision[i]);
        if scope[i] != "node" {
            assert!((ghz[i] - gflops[i] / (4.0 * lanes[i] as f64)).abs() <= 1e-9 * ghz[i], "{}", units[i]);
            assert!(
                ghz[i] < 8.0,
                "{} {}: {} GFLOP/s per core is {} GHz at two FMA pipes",
                units[i],
                precision[i],
                gflops[i],
                ghz[i]
            );
        }
    }
    assert!(core("scalar+fma", "f64").or(core("scalar", "f64")).is_some(), "{units:?}");
    assert!(scope.contains(&"core, all busy".to_string()) && scope.contains(&"node".to_string()));

    let levels = strings(&file.dataset("roofline/memory/level").unwrap());
    assert_eq!(levels.last().map(String::as_str), Some("DRAM"));
    assert!(levels.iter().any(|l| l == "L1"), "{levels:?}");

    let kernels = strings(&file.dataset("roofline/kernel").unwrap());
    for k in [
        "dot",
        "axpy",
        "sum",
        "dot f32",
        "axpy f32",
        "sum f32",
        "triad",
        "gemm naive",
        "gemm blocked",
        "gemm blas",
        "amdahl spin",
        "amdahl stream",
    ] {
        assert!(kernels.iter().any(|x| x == k), "{k} missing from {kernels:?}");
    }
    let fraction = column::<f64>(&file, "roofline/fraction_of_bound");
    let bound_by = strings(&file.dataset("roofline/bound_by").unwrap());
    for (i, f) in fraction.iter().enumerate() {
        // A point far above its ceiling would mean a wrong ceiling; twice allows for noise.
        assert!(*f > 0.0 && *f < 2.0, "{} in {}: {f} of its bound ({})", kernels[i], levels[0], bound_by[i]);
    }
    assert!(bound_by.iter().any(|b| b.starts_with("memory")) && bound_by.iter().any(|b| b.starts_with("compute")));
    // No memory traffic: an unbounded intensity, bound by the scalar unit.
    let spin = kernels.iter().position(|k| k == "amdahl spin").unwrap();
    assert!(column::<f64>(&file, "roofline/intensity")[spin].is_infinite());
    assert!(bound_by[spin].starts_with("compute (scalar"), "{}", bound_by[spin]);
}

#[test]
fn every_thread_of_every_rank_at_once() {
    let dir = tempfile::tempdir().unwrap();
    assert_success(&mpirun(2, &[SMALL, &["--threads", "1", "-o", "r.h5"]].concat(), dir.path()));
    let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    let scope = strings(&file.dataset("roofline/memory/scope").unwrap());
    let level = strings(&file.dataset("roofline/memory/level").unwrap());
    let node = scope.iter().position(|s| s == "node").expect("a per-node DRAM row");
    assert_eq!(level[node], "DRAM");
    let bytes = column::<u64>(&file, "roofline/memory/bytes");
    assert!(bytes[node] >= 8 << 20 >> 1, "both ranks' arrays: {}", bytes[node]);
}

#[test]
fn a_lost_fma_step_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(1, &[SMALL, &["-o", "r.h5"]].concat(), dir.path(), "lose-fma-step");
    assert_fails(&out, 1, "FMA kernel is wrong");
    assert_no_files(dir.path());
}
