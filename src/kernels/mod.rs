//! Pure compute kernels. Each one runs a range of numbered iterations and returns a checksum
//! that is a wrapping sum of per-iteration hashes, so the total does not depend on how the
//! range was split between ranks and threads: a lost or repeated iteration changes it.

pub mod bank;
pub mod countdown;
pub mod falseshare;
pub mod gemm;
pub mod linpack;
pub mod memlat;
pub mod peak;
pub mod pool;
pub mod randomaccess;
pub mod reduce;
pub mod simd;
pub mod sleep;
pub mod spin;
pub mod stream;

use std::ops::Range;
use std::time::Instant;

/// A unit of work that the Amdahl experiment splits between workers (rank × thread).
pub trait Work: Sync {
    /// Runs iterations `range` using thread slot `slot`'s private data; returns the checksum.
    fn run(&self, slot: usize, range: Range<u64>) -> u64;

    /// Seconds one iteration takes on one worker, when known exactly without measuring.
    fn exact_seconds_per_iteration(&self) -> Option<f64> {
        None
    }

    /// Runs `range` as `run` does, in pieces of at most `piece` iterations, asking `abandon`
    /// before each: `None` once it says to stop (a stop signal arrived). Checksums add up, so
    /// the pieces give the checksum of the whole range.
    fn run_abandonable(&self, slot: usize, range: Range<u64>, piece: u64, abandon: &dyn Fn() -> bool) -> Option<u64> {
        let mut sum = 0u64;
        let mut start = range.start;
        while start < range.end {
            if abandon() {
                return None;
            }
            let end = start.saturating_add(piece.max(1)).min(range.end);
            sum = sum.wrapping_add(self.run(slot, start..end));
            start = end;
        }
        Some(sum)
    }
}

/// Elements per piece of `in_pieces`: a few milliseconds of filling an array.
pub const PIECE: usize = 1 << 20;

/// Calls `f` on `0..n` in pieces of at most `PIECE`, asking `abandon` before each: false once it
/// says to stop (a stop signal arrived), so that filling a DRAM-sized array, which takes tenths
/// of a second, does not keep a stop waiting.
pub fn in_pieces(n: usize, abandon: impl Fn() -> bool, mut f: impl FnMut(Range<usize>)) -> bool {
    for start in (0..n).step_by(PIECE) {
        if abandon() {
            return false;
        }
        f(start..(start + PIECE).min(n));
    }
    true
}

/// The widest vector this CPU runs the hand-vectorised kernels (stream, reduce's levels) at: 512
/// (AVX-512F), 256 (AVX) or 128 bits (SSE2, part of x86-64); 64 (one f64) elsewhere, where there
/// is no vector body and the scalar path runs.
pub fn vector_bits() -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            512
        } else if std::is_x86_feature_detected!("avx") {
            256
        } else {
            128
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    64
}

/// SplitMix64 finaliser: a cheap, well-mixed hash of one word.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The contribution of iteration `i` whose result has bit pattern `value`.
pub fn iteration_hash(i: u64, value: u64) -> u64 {
    mix(i ^ mix(value))
}

/// Seconds per iteration of `work` on one thread: exact where the kernel knows it, otherwise
/// measured by doubling the iteration count until one run lasts `min_seconds` (the earlier,
/// shorter runs warm caches and clocks).
pub fn calibrate(work: &dyn Work, min_seconds: f64) -> f64 {
    if let Some(s) = work.exact_seconds_per_iteration() {
        return s;
    }
    let mut n: u64 = 16;
    loop {
        let start = Instant::now();
        std::hint::black_box(work.run(0, 0..n));
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= min_seconds {
            return elapsed / n as f64;
        }
        // Aim straight for the target once the timer resolves the run well.
        let factor = if elapsed > 1e-3 { (min_seconds / elapsed * 1.2).ceil() as u64 } else { 8 };
        n = n.saturating_mul(factor.clamp(2, 1024));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Takes at least 20 µs per iteration and counts the iterations it was asked for.
    struct Slow(AtomicU64);

    impl Work for Slow {
        fn run(&self, _slot: usize, range: Range<u64>) -> u64 {
            self.0.fetch_add(range.end - range.start, Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_micros(20 * (range.end - range.start)));
            0
        }
    }

    #[test]
    fn calibration_measures_until_the_run_is_long_enough() {
        let slow = Slow(AtomicU64::new(0));
        let seconds = calibrate(&slow, 0.05);
        // Never faster than the kernel can be; and the last run lasted at least 0.05 s.
        assert!(seconds >= 20e-6, "{seconds}");
        assert!(slow.0.load(Ordering::Relaxed) as f64 * seconds >= 0.05);
    }

    #[test]
    fn calibration_takes_an_exact_figure_as_it_is() {
        assert_eq!(calibrate(&sleep::Sleep, 10.0), sleep::SECONDS_PER_ITERATION);
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Work;

    /// Splits `0..n` into `parts` ranges the way the Amdahl experiment does and sums the
    /// checksums: must equal the checksum of the whole range.
    pub fn assert_partition_independent(work: &dyn Work, n: u64) {
        let whole = work.run(0, 0..n);
        for parts in [2u64, 3, 7] {
            let total =
                (0..parts).map(|w| work.run(0, n * w / parts..n * (w + 1) / parts)).fold(0u64, u64::wrapping_add);
            assert_eq!(total, whole, "{parts} parts");
        }
        // A lost iteration is caught.
        assert_ne!(work.run(0, 0..n - 1), whole);
        // In pieces, the same; abandoned, nothing.
        assert_eq!(work.run_abandonable(0, 0..n, n / 3 + 1, &|| false), Some(whole));
        assert_eq!(work.run_abandonable(0, 0..n, n / 3 + 1, &|| true), None);
    }
}
