//! The course's GIL experiment: count down from n, one decrement at a time. An opaque value per
//! iteration keeps the compiler from replacing the loop by its closed form.

/// Counts `n` down to zero and returns what is left: 0, unless an iteration was skipped, or
/// `abandon` (asked every 2^20 decrements, about a millisecond) said to stop.
pub fn countdown(n: u64, abandon: &dyn Fn() -> bool) -> u64 {
    let mut n = n;
    while n > 0 {
        if abandon() {
            return n;
        }
        let stop = n.saturating_sub(1 << 20);
        while n > stop {
            n = std::hint::black_box(n) - 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_to_zero_one_step_at_a_time() {
        assert_eq!(countdown(0, &|| false), 0);
        assert_eq!(countdown(3_000_000, &|| false), 0);
        assert_eq!(countdown(3_000_000, &|| true), 3_000_000);
    }
}
