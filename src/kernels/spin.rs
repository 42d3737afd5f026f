//! Compute-bound work: dependent floating-point multiply-add chains. No closed form exists
//! without fast-math reassociation, so the compiler must execute every step.

use super::{iteration_hash, mix, Work};
use std::ops::Range;

/// Steps per iteration of each of the four interleaved chains (8 flops per step in total).
const STEPS: usize = 64;

pub struct Spin;

impl Spin {
    /// Floating-point operations in one iteration.
    pub const FLOPS_PER_ITERATION: u64 = (STEPS * 4 * 2) as u64;

    fn iteration(i: u64) -> f64 {
        let seed = mix(i);
        // Four independent chains, each starting in [1, 2): enough instruction-level
        // parallelism to keep the floating-point units busy.
        let mut x = [0u64, 1, 2, 3].map(|k| 1.0 + ((seed >> (16 * k)) & 0xFFFF) as f64 / 65536.0);
        for _ in 0..STEPS {
            for v in x.iter_mut() {
                *v = *v * 0.999_999_9 + 1e-3;
            }
        }
        std::hint::black_box(x).iter().sum()
    }
}

impl Work for Spin {
    fn run(&self, _slot: usize, range: Range<u64>) -> u64 {
        range.fold(0u64, |acc, i| acc.wrapping_add(iteration_hash(i, Self::iteration(i).to_bits())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_partition_independent() {
        crate::kernels::test_support::assert_partition_independent(&Spin, 1000);
    }
}
