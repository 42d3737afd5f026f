//! The ideal machine: work that takes wall-clock time but no shared resource. Sleeping
//! workers never contend, so the Amdahl curve comes out as on the slide, even with more ranks
//! than cores.

use super::{iteration_hash, Work};
use std::ops::Range;
use std::time::{Duration, Instant};

/// Wall-clock time one iteration stands for.
pub const SECONDS_PER_ITERATION: f64 = 1e-6;

pub struct Sleep;

impl Work for Sleep {
    fn run(&self, _slot: usize, range: Range<u64>) -> u64 {
        // Sleep to a deadline so the checksum's own cost is absorbed, not added.
        let deadline =
            Instant::now() + Duration::from_secs_f64((range.end - range.start) as f64 * SECONDS_PER_ITERATION);
        let checksum = range.fold(0u64, |acc, i| acc.wrapping_add(iteration_hash(i, 0)));
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
        checksum
    }

    fn exact_seconds_per_iteration(&self) -> Option<f64> {
        Some(SECONDS_PER_ITERATION)
    }

    /// One deadline for the whole range, slept towards in slices of at most a piece's time with
    /// a look at `abandon` between them: cutting the sleep into pieces of their own would add
    /// each piece's wake-up delay (measured: f = 0.147 instead of 0.10 on 4 ranks over 2 busy
    /// cores).
    fn run_abandonable(&self, _slot: usize, range: Range<u64>, piece: u64, abandon: &dyn Fn() -> bool) -> Option<u64> {
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64((range.end - range.start) as f64 * SECONDS_PER_ITERATION);
        let slice = Duration::from_secs_f64(piece.max(1) as f64 * SECONDS_PER_ITERATION);
        let checksum = range.fold(0u64, |acc, i| acc.wrapping_add(iteration_hash(i, 0)));
        loop {
            if abandon() {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return Some(checksum);
            }
            std::thread::sleep((deadline - now).min(slice));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_partition_independent() {
        crate::kernels::test_support::assert_partition_independent(&Sleep, 200);
    }

    #[test]
    fn sleeps_in_slices_to_one_deadline_and_stops_when_told() {
        let start = Instant::now();
        assert_eq!(
            Sleep.run_abandonable(0, 0..30_000, 1_000, &|| false),
            Some(Sleep.run(0, 0..0).wrapping_add(Sleep.run(0, 0..30_000)))
        );
        assert!(start.elapsed() >= Duration::from_millis(30));
        let start = Instant::now();
        assert_eq!(Sleep.run_abandonable(0, 0..1_000_000, 1_000, &|| true), None);
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn sleeps_at_least_the_work_it_stands_for() {
        let start = Instant::now();
        Sleep.run(0, 0..20_000);
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
