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
    check_levels(&file);

    // Every ceiling says how steady its repetitions were, and the words name each one still
    // above 5 % after its batches.
    let memory = file.group("roofline/memory").unwrap();
    let stability = memory.attr("stability").unwrap().read_scalar::<hdf5::types::VarLenUnicode>().unwrap().to_string();
    assert!(stability.starts_with("Stability: the repetitions of a peak spread at most "), "{stability}");
    let kernel = strings(&file.dataset("roofline/memory/kernel").unwrap());
    let mscope = strings(&file.dataset("roofline/memory/scope").unwrap());
    for (table, names) in [
        (
            "compute",
            (0..units.len()).map(|i| format!("{} {} {}", units[i], precision[i], scope[i])).collect::<Vec<_>>(),
        ),
        ("memory", (0..levels.len()).map(|i| format!("{} {} {}", levels[i], kernel[i], mscope[i])).collect()),
    ] {
        let spread = column::<f64>(&file, &format!("roofline/{table}/spread"));
        assert_eq!(spread.len(), names.len());
        for (name, x) in names.iter().zip(&spread) {
            assert!((0.0..1.0).contains(x), "{table}: {name}: spread {x}");
            assert_eq!(*x > 0.05, stability.contains(&format!("{name} {:.1} %", 100.0 * x)), "{name} {x}: {stability}");
        }
    }

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
        // A level's ceiling is the best any kernel reached there, and the run fails a point more
        // than 5 % above its bound: what it wrote holds none.
        assert!(*f > 0.0 && *f <= 1.05, "{}: {f} of its bound ({})", kernels[i], bound_by[i]);
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

/// The levels table: caches found by the sweep, nearest first, at working sets that grow, then
/// DRAM; every memory row belongs to one of them, and every memory-bound point names its own
/// level's ceiling.
fn check_levels(file: &hdf5::File) -> Vec<String> {
    let names = strings(&file.dataset("roofline/levels/level").unwrap());
    let bytes = column::<u64>(file, "roofline/levels/bytes");
    assert_eq!(names.last().map(String::as_str), Some("DRAM"), "{names:?}");
    let expected: Vec<String> = (1..names.len()).map(|i| format!("L{i}")).chain(["DRAM".to_string()]).collect();
    assert_eq!(names, expected);
    assert!(bytes.windows(2).all(|w| w[0] < w[1]), "working sets must grow level by level: {bytes:?}");
    let memory = strings(&file.dataset("roofline/memory/level").unwrap());
    assert!(memory.iter().all(|l| names.contains(l)), "{memory:?} vs {names:?}");
    let (level, bound_by) =
        (strings(&file.dataset("roofline/level").unwrap()), strings(&file.dataset("roofline/bound_by").unwrap()));
    for (l, b) in level.iter().zip(&bound_by) {
        if b.starts_with("memory") {
            assert!(b.starts_with(&format!("memory ({l} ")), "{l}: {b}");
        }
    }
    names
}

/// A made-up /sys tree of one CPU whose L3 is reported as 1000 MiB (a hypervisor's figure, not
/// the machine's): the L1d and L2 as this kind of machine has them.
fn fake_sysfs(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("fake-root");
    let cpu = root.join("sys/devices/system/cpu");
    std::fs::create_dir_all(&cpu).unwrap();
    std::fs::write(cpu.join("online"), "0\n").unwrap();
    for (index, level, kind, size) in
        [(0, 1, "Data", "48K"), (1, 1, "Instruction", "32K"), (2, 2, "Unified", "2048K"), (3, 3, "Unified", "1024000K")]
    {
        let d = cpu.join(format!("cpu0/cache/index{index}"));
        std::fs::create_dir_all(&d).unwrap();
        for (f, v) in [("level", level.to_string()), ("type", kind.to_string()), ("size", size.to_string())] {
            std::fs::write(d.join(f), format!("{v}\n")).unwrap();
        }
        std::fs::write(d.join("shared_cpu_list"), "0\n").unwrap();
    }
    std::fs::create_dir_all(cpu.join("cpu0/topology")).unwrap();
    std::fs::write(cpu.join("cpu0/topology/physical_package_id"), "0\n").unwrap();
    std::fs::write(cpu.join("cpu0/topology/core_id"), "0\n").unwrap();
    root
}

#[test]
fn a_cache_size_the_machine_misreports_is_recorded_and_measured_instead() {
    let dir = tempfile::tempdir().unwrap();
    let root = fake_sysfs(dir.path());
    let out = launcher(1, &[])
        .args(["roofline", "--gemm-n", "64", "--repeats", "2", "--threads", "1", "-o", "r.h5"])
        .env("PARAHPC_SYSFS_ROOT", &root)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    let names = check_levels(&file);
    let reported = column::<u64>(&file, "roofline/levels/reported_bytes");
    let bytes = column::<u64>(&file, "roofline/levels/bytes");
    let agrees = column::<u64>(&file, "roofline/levels/agrees");
    // The reader saw the made-up tree: L1 and L2 as reported there, wherever the sweep found them.
    assert_eq!(reported[0], 48 << 10, "{reported:?}");
    // No working set comes from the reported 1000 MiB: the sweep stops at 256 MiB, and DRAM's
    // set is 4× the largest cache found, at least 64 MiB.
    assert_eq!(u64_attr(&file.group("roofline/levels").unwrap(), "sweep_bytes"), 256 << 20);
    assert!(bytes.iter().all(|&b| b <= 1 << 30), "{bytes:?}");
    let sentence = str_attr(&file.group("roofline/levels").unwrap(), "sentence");
    // Whatever level the sweep calls L3 here, it is far from 1000 MiB, and the file says so.
    if let Some(l3) = names.iter().position(|n| n == "L3") {
        assert_eq!(reported[l3], 1000 << 20);
        assert_eq!(agrees[l3], 0);
        assert!(sentence.contains("the report disagrees"), "{sentence}");
    }
    assert!(stdout(&out).contains(&sentence), "the console says what the file says");
}
