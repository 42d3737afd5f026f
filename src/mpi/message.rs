//! What the message-passing experiment sends: the sizes, how many times, and contents that the
//! receiver can check byte by byte.

use crate::kernels::mix;

/// Messages up to this size count as small (OSU's threshold): full iteration counts.
pub const SMALL_MESSAGE_BYTES: u64 = 8192;

/// `min`, then powers of two up to `max` (and `max` itself). 0 stands for the empty message.
pub fn sizes(min: u64, max: u64) -> Vec<u64> {
    let mut v = Vec::new();
    if min == 0 {
        v.push(0);
    }
    let mut n = min.max(1).next_power_of_two();
    while n <= max {
        v.push(n);
        n *= 2;
    }
    if v.last() != Some(&max) && max >= min {
        v.push(max);
    }
    v
}

/// The two point-to-point loops, which OSU counts differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loop {
    Latency,
    Bandwidth,
}

/// OSU 7.4's (timed, warm-up) iterations for one size (c/util/osu_util.h: LAT_LOOP_SMALL 10000
/// and LAT_SKIP_SMALL 100, 1000 and 10 above LARGE_MESSAGE_SIZE 8192; BW_LOOP_SMALL 100 and
/// BW_SKIP_SMALL 10, 20 and 2 above).
pub fn osu_iterations(test: Loop, bytes: u64) -> (usize, usize) {
    match (test, bytes > SMALL_MESSAGE_BYTES) {
        (Loop::Latency, false) => (10_000, 100),
        (Loop::Latency, true) => (1_000, 10),
        (Loop::Bandwidth, false) => (100, 10),
        (Loop::Bandwidth, true) => (20, 2),
    }
}

/// Timed iterations for one size: `iters` for small messages, then fewer as the size grows so
/// that every size moves about the same number of bytes (at least 10 iterations), as OSU does.
pub fn iterations(bytes: u64, iters: usize) -> usize {
    if bytes <= SMALL_MESSAGE_BYTES {
        iters
    } else {
        ((iters as u64 * SMALL_MESSAGE_BYTES / bytes) as usize).max(10).min(iters)
    }
}

/// Fills `buf` with the pattern named by `seed`.
pub fn fill(buf: &mut [u8], seed: u64) {
    for (k, chunk) in buf.chunks_mut(8).enumerate() {
        let word = mix(seed ^ mix(k as u64)).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// The first byte where `buf` differs from the pattern named by `seed`.
pub fn first_mismatch(buf: &[u8], seed: u64) -> Option<usize> {
    buf.chunks(8).enumerate().find_map(|(k, chunk)| {
        let word = mix(seed ^ mix(k as u64)).to_le_bytes();
        chunk.iter().zip(word).position(|(a, b)| *a != b).map(|i| 8 * k + i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_double_from_min_to_max() {
        assert_eq!(sizes(0, 8), [0, 1, 2, 4, 8]);
        assert_eq!(sizes(1, 4 << 20).len(), 23);
        assert_eq!(sizes(3, 20), [4, 8, 16, 20]);
    }

    #[test]
    fn large_messages_take_fewer_iterations() {
        assert_eq!(iterations(8192, 1000), 1000);
        assert_eq!(iterations(16384, 1000), 500);
        assert_eq!(iterations(4 << 20, 1000), 10);
        assert_eq!(iterations(4 << 20, 5), 5);
        assert_eq!(osu_iterations(Loop::Latency, 8192), (10_000, 100));
        assert_eq!(osu_iterations(Loop::Latency, 8193), (1_000, 10));
        assert_eq!(osu_iterations(Loop::Bandwidth, 1), (100, 10));
        assert_eq!(osu_iterations(Loop::Bandwidth, 4 << 20), (20, 2));
    }

    #[test]
    fn patterns_catch_any_changed_byte() {
        let mut buf = vec![0u8; 1001];
        fill(&mut buf, 42);
        assert_eq!(first_mismatch(&buf, 42), None);
        assert_eq!(first_mismatch(&buf, 43), Some(0));
        buf[999] ^= 1;
        assert_eq!(first_mismatch(&buf, 42), Some(999));
    }
}
