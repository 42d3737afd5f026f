//! A core's peak double-precision rate: SIMD width and fused multiply-add from run-time feature
//! detection, times a clock measured with a chain of dependent integer multiplies (3 cycles each
//! on x86-64 since Nehalem and on Zen; recent Intel cores fold chains of immediate adds at
//! rename, so adds would overstate the clock) or, on aarch64, adds (one cycle), unless the user
//! gives the peak.

use crate::kernels::simd::Isa;
use std::time::Instant;

/// Vector floating-point units per core assumed: two, as on every x86-64 server core since
/// Haswell and on recent Arm cores; with no FMA, one adder and one multiplier.
pub const FP_UNITS: u32 = 2;

/// The core clock in GHz, measured: a loop iteration of 8 dependent operations takes
/// `CYCLES_PER_ITERATION` cycles (the loop counter runs beside them). Best of 5 runs of tens of
/// milliseconds, so a frequency ramp-up is waited out. `None` where there is no such loop for
/// this architecture.
pub fn measured_clock_ghz() -> Option<f64> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let iters: u64 = 2_000_000;
        let best = (0..5)
            .map(|_| {
                let t = Instant::now();
                dependent_ops(iters);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        Some(CYCLES_PER_ITERATION * iters as f64 / best / 1e9)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    None
}

#[cfg(target_arch = "x86_64")]
const CYCLES_PER_ITERATION: f64 = 24.0;
#[cfg(target_arch = "aarch64")]
const CYCLES_PER_ITERATION: f64 = 8.0;

#[cfg(target_arch = "x86_64")]
fn dependent_ops(iters: u64) {
    let mut x: u64 = 3;
    // SAFETY: register-only arithmetic; no memory is touched.
    unsafe {
        std::arch::asm!(
            "2:",
            "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}",
            "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}",
            "dec {n}",
            "jnz 2b",
            x = inout(reg) x,
            n = inout(reg) iters => _,
            options(nomem, nostack),
        );
    }
    std::hint::black_box(x);
}

#[cfg(target_arch = "aarch64")]
fn dependent_ops(iters: u64) {
    let mut x: u64 = 0;
    // SAFETY: register-only arithmetic; no memory is touched.
    unsafe {
        std::arch::asm!(
            "2:",
            "add {x}, {x}, 1", "add {x}, {x}, 1", "add {x}, {x}, 1", "add {x}, {x}, 1",
            "add {x}, {x}, 1", "add {x}, {x}, 1", "add {x}, {x}, 1", "add {x}, {x}, 1",
            "subs {n}, {n}, 1",
            "b.ne 2b",
            x = inout(reg) x,
            n = inout(reg) iters => _,
            options(nomem, nostack),
        );
    }
    std::hint::black_box(x);
}

/// A core's peak in GFLOP/s and how it was got: `given` (--peak-gflops) or computed from the
/// vector unit and the measured clock.
pub fn core_peak(given: Option<f64>) -> (f64, String) {
    if let Some(p) = given {
        return (p, format!("{p} GFLOP/s per core, given with --peak-gflops"));
    }
    let isa = Isa::detect();
    let (lanes, per_lane) = (isa.f64_lanes(), if isa.fma() { 2 } else { 1 });
    match measured_clock_ghz() {
        Some(ghz) => {
            let peak = ghz * (lanes * per_lane * FP_UNITS) as f64;
            (
                peak,
                format!(
                    "{ghz:.2} GHz (measured by a dependent-instruction chain) × {lanes} f64 lanes ({}) × {per_lane} flops per lane × {FP_UNITS} units assumed = {peak:.1} GFLOP/s per core",
                    isa.name()
                ),
            )
        }
        None => (f64::NAN, "unknown: no clock measurement for this architecture; give --peak-gflops".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_plausible() {
        if let Some(ghz) = measured_clock_ghz() {
            assert!((0.2..8.0).contains(&ghz), "{ghz} GHz");
        }
        let (peak, how) = core_peak(Some(12.5));
        assert_eq!(peak, 12.5);
        assert!(how.contains("--peak-gflops"));
    }
}
