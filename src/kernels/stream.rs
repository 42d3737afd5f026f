//! Memory-bound work: the STREAM triad a = b + s·c, one cache-sized block per iteration,
//! walking through arrays much larger than the last-level cache so every block comes from DRAM.

use super::{iteration_hash, vector_bits, Work};
use std::ops::Range;
use std::sync::Mutex;

/// How a kernel writes its destination. Which is faster depends on the CPU and on where the
/// arrays live, so `parahpc stream` measures both on its own arrays and keeps the faster, as
/// likwid-bench offers `stream` and `stream_mem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stores {
    /// Ordinary stores: each destination line is read before it is overwritten (write-allocate),
    /// so Triad moves 32 bytes per element, but the line stays in cache.
    Ordinary,
    /// Non-temporal (streaming) stores: no read of the destination, no cache pollution; they
    /// win beyond the last-level cache on most CPUs, not on all, and not with one core on some.
    NonTemporal,
}

impl Stores {
    pub const ALL: [Stores; 2] = [Stores::NonTemporal, Stores::Ordinary];

    /// The rule for callers that do not measure: streaming stores from 256 KiB of destination,
    /// where the array no longer fits in a core's L1/L2 share.
    pub fn by_size(bytes: usize) -> Stores {
        if bytes >= STREAMING_STORES_FROM_BYTES {
            Stores::NonTemporal
        } else {
            Stores::Ordinary
        }
    }

    /// How it is recorded: the kind and the vector width this CPU runs it at.
    pub fn describe(self) -> String {
        let kind = match self {
            Stores::Ordinary => "ordinary",
            Stores::NonTemporal => "non-temporal",
        };
        format!("{kind}, {}-bit", vector_bits())
    }
}

/// Destinations at least this large are written with non-temporal stores by [`Stores::by_size`].
pub const STREAMING_STORES_FROM_BYTES: usize = 256 << 10;

/// STREAM's four kernels over slices of equal length; `black_box` keeps the stores.
pub fn copy(dst: &mut [f64], src: &[f64], stores: Stores) {
    apply::<COPY>(dst, src, src, 0.0, stores);
}

pub fn scale(dst: &mut [f64], src: &[f64], s: f64, stores: Stores) {
    apply::<SCALE>(dst, src, src, s, stores);
}

pub fn add(dst: &mut [f64], x: &[f64], y: &[f64], stores: Stores) {
    apply::<ADD>(dst, x, y, 0.0, stores);
}

pub fn triad(dst: &mut [f64], x: &[f64], y: &[f64], s: f64, stores: Stores) {
    apply::<TRIAD>(dst, x, y, s, stores);
}

const COPY: u8 = 0;
const SCALE: u8 = 1;
const ADD: u8 = 2;
const TRIAD: u8 = 3;

/// One element of kernel `K`; the vector bodies compute the same, with a multiply then an add
/// (no FMA), so every store method writes the same bits.
#[inline(always)]
fn element<const K: u8>(x: f64, y: f64, s: f64) -> f64 {
    match K {
        COPY => x,
        SCALE => s * x,
        ADD => x + y,
        _ => x + s * y,
    }
}

fn scalar<const K: u8>(dst: &mut [f64], x: &[f64], y: &[f64], s: f64) {
    for ((d, &x), &y) in dst.iter_mut().zip(x).zip(y) {
        *d = element::<K>(x, y, s);
    }
}

fn apply<const K: u8>(dst: &mut [f64], x: &[f64], y: &[f64], s: f64, stores: Stores) {
    assert!(x.len() == dst.len() && y.len() == dst.len(), "stream kernels take slices of one length");
    #[cfg(target_arch = "x86_64")]
    {
        let nt = stores == Stores::NonTemporal;
        // SAFETY: each body is entered only when its features were detected at run time, and the
        // lengths were checked equal above.
        unsafe {
            match vector_bits() {
                512 if nt => x86::avx512::<K, true>(dst, x, y, s),
                512 => x86::avx512::<K, false>(dst, x, y, s),
                256 if nt => x86::avx::<K, true>(dst, x, y, s),
                256 => x86::avx::<K, false>(dst, x, y, s),
                _ if nt => x86::sse2::<K, true>(dst, x, y, s),
                _ => x86::sse2::<K, false>(dst, x, y, s),
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = stores;
        scalar::<K>(dst, x, y, s);
    }
    std::hint::black_box(dst);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{scalar, ADD, COPY, SCALE};
    use std::arch::x86_64::*;

    /// One body per vector width: scalar stores up to the destination's vector alignment, whole
    /// vectors (aligned stores, streaming when `NT`), then the scalar tail.
    macro_rules! body {
        ($name:ident, $feature:literal, $lanes:expr, $set1:ident, $loadu:ident, $add:ident, $mul:ident, $store:ident, $stream:ident) => {
            /// # Safety
            /// The CPU must have the named features; `x` and `y` at least as long as `dst`.
            #[target_feature(enable = $feature)]
            pub unsafe fn $name<const K: u8, const NT: bool>(dst: &mut [f64], x: &[f64], y: &[f64], s: f64) {
                let n = dst.len();
                let head = dst.as_ptr().align_offset($lanes * 8).min(n);
                let body = (n - head) / $lanes * $lanes;
                scalar::<K>(&mut dst[..head], &x[..head], &y[..head], s);
                let (d, xp, yp) = (dst.as_mut_ptr().add(head), x.as_ptr().add(head), y.as_ptr().add(head));
                let sv = $set1(s);
                let mut i = 0;
                while i < body {
                    // SAFETY (of the block): i + lanes ≤ body ≤ n − head, so every access is in
                    // bounds; d + i is vector-aligned because d is and i is a whole vector.
                    let xv = $loadu(xp.add(i));
                    let v = match K {
                        COPY => xv,
                        SCALE => $mul(sv, xv),
                        ADD => $add(xv, $loadu(yp.add(i))),
                        _ => $add(xv, $mul(sv, $loadu(yp.add(i)))),
                    };
                    if NT {
                        $stream(d.add(i), v)
                    } else {
                        $store(d.add(i), v)
                    }
                    i += $lanes;
                }
                let tail = head + body;
                scalar::<K>(&mut dst[tail..], &x[tail..], &y[tail..], s);
                if NT {
                    // Orders the streaming stores before whatever reads the array next.
                    _mm_sfence();
                }
            }
        };
    }

    body!(
        avx512,
        "avx512f",
        8,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_store_pd,
        _mm512_stream_pd
    );
    body!(
        avx,
        "avx",
        4,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_add_pd,
        _mm256_mul_pd,
        _mm256_store_pd,
        _mm256_stream_pd
    );
    body!(sse2, "sse2", 2, _mm_set1_pd, _mm_loadu_pd, _mm_add_pd, _mm_mul_pd, _mm_store_pd, _mm_stream_pd);
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
            triad(a, &b[start..start + BLOCK], &c[start..start + BLOCK], SCALAR, Stores::by_size(8 * BLOCK));
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
        for stores in Stores::ALL {
            let n = 1000;
            let (mut a, mut b, mut c) = (vec![2.0; n], vec![2.0; n], vec![0.0; n]);
            for _ in 0..10 {
                copy(&mut c, &a, stores);
                scale(&mut b, &c, 3.0, stores);
                add(&mut c, &a, &b, stores);
                triad(&mut a, &b, &c, 3.0, stores);
            }
            let want = expected(10, 3.0);
            assert!(check([&a, &b, &c], want).is_ok(), "{stores:?}");
            c[500] = 0.0;
            assert!(check([&a, &b, &c], want).unwrap_err().starts_with("array c"));
        }
        // Scale, then Add: b = 3·2 = 6 and c = 2 + 6 = 8 after one pass.
        assert_eq!(expected(1, 3.0)[1..], [6.0, 8.0]);
    }

    #[test]
    fn both_store_methods_write_every_element_whatever_the_alignment_and_length() {
        // Lengths around a 512-bit vector and a size beyond the streaming rule's threshold.
        for n in [0, 1, 7, 8, 9, 17, 63, STREAMING_STORES_FROM_BYTES / 8 + 3] {
            let x: Vec<f64> = (0..n + 1).map(|i| i as f64).collect();
            let y: Vec<f64> = (0..n + 1).map(|i| (2 * i) as f64).collect();
            for stores in Stores::ALL {
                let mut buf = vec![-1.0; n + 8];
                // Offsets 0..8 elements: the head must bring the stores to the vector alignment.
                for start in 0..8 {
                    let dst = &mut buf[start..start + n];
                    triad(dst, &x[1..], &y[..n], 3.0, stores);
                    assert!(dst.iter().enumerate().all(|(i, &d)| d == (i + 1) as f64 + 3.0 * (2 * i) as f64));
                    scale(dst, &x[..n], 2.0, stores);
                    assert!(dst.iter().enumerate().all(|(i, &d)| d == (2 * i) as f64));
                    add(dst, &x[..n], &y[..n], stores);
                    assert!(dst.iter().enumerate().all(|(i, &d)| d == (3 * i) as f64), "{stores:?} {n} {start}");
                    copy(dst, &y[1..], stores);
                    assert!(dst.iter().enumerate().all(|(i, &d)| d == (2 * i + 2) as f64));
                    // Nothing written past the destination.
                    assert!(buf[start + n..].iter().all(|&v| v == -1.0));
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "one length")]
    fn a_short_source_is_refused() {
        triad(&mut [0.0; 16], &[1.0; 16], &[1.0; 15], 3.0, Stores::NonTemporal);
    }

    #[test]
    fn footprint_rounds_to_whole_blocks() {
        assert_eq!(Triad::elements_for(0), BLOCK);
        assert_eq!(Triad::slot_bytes(3 * 8 * 2 * BLOCK as u64 + 5), 3 * 8 * 2 * BLOCK as u64);
    }
}
