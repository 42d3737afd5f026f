//! Memory-bound work: the STREAM triad a = b + s·c, one cache-sized block per iteration,
//! walking through arrays much larger than the last-level cache so every block comes from DRAM.

use super::{iteration_hash, Work};
use std::ops::Range;
use std::sync::Mutex;

/// STREAM's four kernels over slices of equal length; `black_box` keeps the stores.
pub fn copy(dst: &mut [f64], src: &[f64]) {
    dst.copy_from_slice(src);
    std::hint::black_box(dst);
}

pub fn scale(dst: &mut [f64], src: &[f64], s: f64) {
    store_each(dst, |i| s * src[i]);
}

pub fn add(dst: &mut [f64], x: &[f64], y: &[f64]) {
    store_each(dst, |i| x[i] + y[i]);
}

pub fn triad(dst: &mut [f64], x: &[f64], y: &[f64], s: f64) {
    store_each(dst, |i| x[i] + s * y[i]);
}

/// Destinations at least this large are written with non-temporal stores: they do not fit in
/// cache anyway, and streaming stores skip reading each line before overwriting it
/// (write-allocate), which otherwise makes a Triad move 32 bytes per element, not 24.
pub const STREAMING_STORES_FROM_BYTES: usize = 256 << 10;

/// `dst[i] = value(i)` for every i; non-temporal stores for large destinations on x86-64.
#[inline(always)]
fn store_each(dst: &mut [f64], value: impl Fn(usize) -> f64) {
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of_val(dst) >= STREAMING_STORES_FROM_BYTES {
        use std::arch::x86_64::{_mm_set_pd, _mm_sfence, _mm_stream_pd};
        // Scalar stores up to a 16-byte boundary, then pairs, then the tail.
        let head = dst.as_ptr().align_offset(16).min(dst.len());
        for (i, d) in dst[..head].iter_mut().enumerate() {
            *d = value(i);
        }
        let pairs = (dst.len() - head) / 2;
        for k in 0..pairs {
            let i = head + 2 * k;
            // SAFETY: SSE2 is part of x86-64; dst[i..i + 2] is in bounds and 16-byte aligned.
            unsafe { _mm_stream_pd(dst.as_mut_ptr().add(i), _mm_set_pd(value(i + 1), value(i))) };
        }
        let tail = head + 2 * pairs;
        for (i, d) in dst.iter_mut().enumerate().skip(tail) {
            *d = value(i);
        }
        // SAFETY: orders the streaming stores before whatever follows.
        unsafe { _mm_sfence() };
        std::hint::black_box(dst);
        return;
    }
    for (i, d) in dst.iter_mut().enumerate() {
        *d = value(i);
    }
    std::hint::black_box(dst);
}

/// STREAM's arrays after its initialisation (a = 1, b = 2, c = 0, then a = 2·a) and `passes`
/// rounds of Copy, Scale, Add, Triad: the value every element of a, b and c must hold.
pub fn expected(passes: usize, s: f64) -> [f64; 3] {
    let (mut a, mut b, mut c) = (2.0, 2.0, 0.0);
    for _ in 0..passes {
        c = a;
        b = s * c;
        c = a + b;
        a = b + s * c;
    }
    [a, b, c]
}

/// STREAM's check: the mean absolute error of each array relative to its expected value must
/// stay below 1e-13 (f64). Returns the offending array's name and its relative error.
pub fn check(arrays: [&[f64]; 3], expected: [f64; 3]) -> Result<(), String> {
    for (name, (values, want)) in ["a", "b", "c"].iter().zip(arrays.iter().zip(expected)) {
        let mean_error = values.iter().map(|v| (v - want).abs()).sum::<f64>() / values.len().max(1) as f64;
        let relative = mean_error / want.abs();
        // NaN fails too.
        if relative.is_nan() || relative > 1e-13 {
            return Err(format!("array {name}: mean relative error {relative:.3e} above 1e-13 (expected {want})"));
        }
    }
    Ok(())
}

/// Elements per block (three f64 arrays: 96 KiB of traffic per iteration).
pub const BLOCK: usize = 4096;
const SCALAR: f64 = 3.0;

/// Bytes moved by one iteration: read b and c, write a.
pub const BYTES_PER_ITERATION: u64 = (3 * BLOCK * std::mem::size_of::<f64>()) as u64;

struct Arrays {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

/// Per-thread-slot arrays; slot `k` is only touched by the thread with pool index `k`.
pub struct Triad {
    slots: Vec<Mutex<Arrays>>,
    blocks: usize,
}

impl Triad {
    /// Elements per array for a footprint of `bytes` over the three arrays, whole blocks,
    /// at least one block.
    pub fn elements_for(bytes: u64) -> usize {
        let per_array = bytes / 3 / std::mem::size_of::<f64>() as u64;
        (per_array as usize / BLOCK).max(1) * BLOCK
    }

    /// Bytes actually allocated per slot for a requested footprint.
    pub fn slot_bytes(bytes: u64) -> u64 {
        3 * Self::elements_for(bytes) as u64 * std::mem::size_of::<f64>() as u64
    }

    /// Creates `slots` empty slots of `bytes` each; `init_slot` must be called from the thread
    /// that will use a slot so that first touch places its pages on that thread's NUMA node.
    pub fn new(slots: usize, bytes: u64) -> Triad {
        let n = Self::elements_for(bytes);
        let empty = || Mutex::new(Arrays { a: Vec::new(), b: Vec::new(), c: Vec::new() });
        Triad { slots: (0..slots).map(|_| empty()).collect(), blocks: n / BLOCK }
    }

    pub fn init_slot(&self, slot: usize) {
        let n = self.blocks * BLOCK;
        let mut arrays = self.slots[slot].lock().unwrap();
        // Written, not calloc'ed: every page is touched here, by the thread that owns the slot,
        // so no page fault lands in calibration or timing and NUMA placement follows the thread.
        arrays.a = vec![-1.0; n];
        arrays.b = (0..n).map(|j| 1.0 + (j % 1024) as f64).collect();
        arrays.c = (0..n).map(|j| 0.5 * (j % 7) as f64).collect();
    }
}

impl Work for Triad {
    fn run(&self, slot: usize, range: Range<u64>) -> u64 {
        let mut guard = self.slots[slot].lock().unwrap();
        let Arrays { a, b, c } = &mut *guard;
        let mut checksum = 0u64;
        for i in range {
            let start = (i % self.blocks as u64) as usize * BLOCK;
            let a = &mut a[start..start + BLOCK];
            triad(a, &b[start..start + BLOCK], &c[start..start + BLOCK], SCALAR);
            std::hint::black_box(&mut *a);
            // One element picked by i stands for the block; every value is exact in f64.
            checksum = checksum.wrapping_add(iteration_hash(i, a[(i as usize) % BLOCK].to_bits()));
        }
        checksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_partition_independent_and_values_are_triad() {
        let triad = Triad::new(1, 3 * 8 * 4 * BLOCK as u64);
        triad.init_slot(0);
        crate::kernels::test_support::assert_partition_independent(&triad, 40);
        let arrays = triad.slots[0].lock().unwrap();
        for j in [0, 1, 5000, 4 * BLOCK - 1] {
            assert_eq!(arrays.a[j], arrays.b[j] + SCALAR * arrays.c[j]);
        }
    }

    #[test]
    fn stream_kernels_reach_the_values_stream_expects() {
        let n = 1000;
        let (mut a, mut b, mut c) = (vec![2.0; n], vec![2.0; n], vec![0.0; n]);
        for _ in 0..10 {
            copy(&mut c, &a);
            scale(&mut b, &c, 3.0);
            add(&mut c, &a, &b);
            triad(&mut a, &b, &c, 3.0);
        }
        let want = expected(10, 3.0);
        assert!(check([&a, &b, &c], want).is_ok());
        // Scale, then Add: b = 3·2 = 6 and c = 2 + 6 = 8 after one pass.
        assert_eq!(expected(1, 3.0)[1..], [6.0, 8.0]);
        c[500] = 0.0;
        assert!(check([&a, &b, &c], want).unwrap_err().starts_with("array c"));
    }

    #[test]
    fn streaming_stores_write_every_element_whatever_the_alignment() {
        let n = STREAMING_STORES_FROM_BYTES / 8 + 3;
        let x: Vec<f64> = (0..n + 1).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..n + 1).map(|i| (2 * i) as f64).collect();
        let mut buf = vec![-1.0; n + 1];
        // Offset by one element: the head must bring the stores to a 16-byte boundary.
        for start in [0, 1] {
            let dst = &mut buf[start..start + n];
            triad(dst, &x[..n], &y[..n], 3.0);
            assert!(dst.iter().enumerate().all(|(i, &d)| d == i as f64 + 3.0 * (2 * i) as f64), "offset {start}");
            scale(dst, &x[..n], 2.0);
            add(dst, &x[..n], &y[..n]);
            assert!(dst.iter().enumerate().all(|(i, &d)| d == (3 * i) as f64), "offset {start}");
        }
    }

    #[test]
    fn footprint_rounds_to_whole_blocks() {
        assert_eq!(Triad::elements_for(0), BLOCK);
        assert_eq!(Triad::slot_bytes(3 * 8 * 2 * BLOCK as u64 + 5), 3 * 8 * 2 * BLOCK as u64);
    }
}
