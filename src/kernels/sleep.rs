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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_partition_independent() {
        crate::kernels::test_support::assert_partition_independent(&Sleep, 200);
    }

    #[test]
    fn sleeps_at_least_the_work_it_stands_for() {
        let start = Instant::now();
        Sleep.run(0, 0..20_000);
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
