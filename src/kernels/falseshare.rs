//! Cache-line ping-pong: threads that each update only their own counter still fight over the
//! cache line when their counters share one.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters that share cache lines: 8 bytes apart.
pub struct Packed(pub Vec<AtomicU64>);

/// One counter per 128 bytes: beyond any cache line in use and the adjacent-line prefetcher.
#[repr(align(128))]
pub struct Line(pub AtomicU64);

pub struct Padded(pub Vec<Line>);

impl Packed {
    pub fn new(n: usize) -> Packed {
        Packed((0..n).map(|_| AtomicU64::new(0)).collect())
    }
}

impl Padded {
    pub fn new(n: usize) -> Padded {
        Padded((0..n).map(|_| Line(AtomicU64::new(0))).collect())
    }
}

/// `iters` increments of one counter by its only writer. A read-modify-write each time: a
/// relaxed load-then-store pair may legally be merged by the compiler (measured here: 0.28 ns per
/// "increment", one cycle), a fetch_add may not.
pub fn increment(counter: &AtomicU64, iters: u64) {
    for _ in 0..iters {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every counter must hold exactly `expected`.
pub fn check<'a>(counters: impl Iterator<Item = &'a AtomicU64>, expected: u64) -> Result<(), String> {
    for (i, c) in counters.enumerate() {
        let v = c.load(Ordering::Relaxed);
        if v != expected {
            return Err(format!("counter {i} holds {v}, not {expected}: an increment was lost"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_share_lines_or_not_and_counts_are_exact() {
        let packed = Packed::new(4);
        let padded = Padded::new(4);
        let addr = |c: &AtomicU64| c as *const _ as usize;
        assert_eq!(addr(&packed.0[1]) - addr(&packed.0[0]), 8);
        assert_eq!(addr(&padded.0[1].0) - addr(&padded.0[0].0), 128);
        std::thread::scope(|s| {
            for c in &packed.0 {
                s.spawn(move || increment(c, 10_000));
            }
        });
        assert!(check(packed.0.iter(), 10_000).is_ok());
        padded.0[2].0.store(3, Ordering::Relaxed);
        assert!(check(padded.0.iter().map(|l| &l.0), 0).unwrap_err().starts_with("counter 2 holds 3"));
    }
}
