//! `parahpc simd`: every kernel, type and variant is measured and agrees with scalar within its
//! tolerance, the ISA used is recorded, a wrong explicit result fails the run, and a unit the CPU
//! lacks is refused.

mod common;

use common::*;

#[test]
fn every_variant_is_measured_and_checked() {
    for ranks in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(ranks, &["simd", "--bytes", "8K,100000", "--repeats", "2", "-o", "s.h5"], dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
        let g = file.group("simd").unwrap();
        let (kernel, dtype, variant, isa) = (
            strings(&g.dataset("kernel").unwrap()),
            strings(&g.dataset("dtype").unwrap()),
            strings(&g.dataset("variant").unwrap()),
            strings(&g.dataset("isa").unwrap()),
        );
        // 2 sizes × 3 kernels × 2 types × 3 variants.
        assert_eq!(kernel.len(), 36);
        let error = g.dataset("error").unwrap().read_raw::<f64>().unwrap();
        let tolerance = g.dataset("tolerance").unwrap().read_raw::<f64>().unwrap();
        let speedup = g.dataset("speedup_vs_scalar").unwrap().read_raw::<f64>().unwrap();
        let median = g.dataset("time_median_s").unwrap().read_raw::<f64>().unwrap();
        let bytes = g.dataset("bytes").unwrap().read_raw::<u64>().unwrap();
        let row = |i: usize| (kernel[i].clone(), dtype[i].clone(), bytes[i], variant[i].clone());
        let mut rows: Vec<_> = (0..kernel.len()).map(row).collect();
        rows.sort();
        rows.dedup();
        assert_eq!(rows.len(), 36, "every kernel, type, size and variant once");
        for i in 0..kernel.len() {
            assert!(error[i] <= tolerance[i], "{} {} {}", kernel[i], dtype[i], variant[i]);
            // Scalar's median (same kernel, type and size) over this row's, from the file.
            let scalar = (0..kernel.len())
                .find(|&j| {
                    variant[j] == "scalar" && (&kernel[j], &dtype[j], bytes[j]) == (&kernel[i], &dtype[i], bytes[i])
                })
                .unwrap();
            let expected = median[scalar] / median[i];
            assert!((speedup[i] - expected).abs() <= 1e-12 * expected, "row {i}: {} against {expected}", speedup[i]);
            if variant[i] == "explicit" {
                assert_eq!(isa[i], str_attr(&g, "explicit_isa"));
            }
        }
        assert_eq!(u64_attr(&g, "validated"), 1);
    }
}

#[test]
fn a_wrong_explicit_result_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        mpirun_with_fault(1, &["simd", "--bytes", "8K", "--repeats", "1", "-o", "s.h5"], dir.path(), "corrupt-simd");
    assert_fails(&out, 1, "parahpc: error: validation failed: explicit dot f64 at 8192 B differs from scalar");
    assert_no_files(dir.path());
}

#[test]
fn a_unit_the_cpu_lacks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // No CPU has both: x86-64 has no NEON, aarch64 no SSE2.
    let missing = if cfg!(target_arch = "x86_64") { "neon" } else { "sse2" };
    let out = mpirun(1, &["simd", "--isa", missing, "-o", "s.h5"], dir.path());
    assert_fails(&out, 2, "this CPU (or build) has no such unit");
    assert_no_files(dir.path());
}
