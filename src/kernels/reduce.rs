//! Summing doubles: the data sets of the `reduce` lesson, the usual sums (left to right,
//! pairwise, Neumaier-compensated), an exact sum whose correctly rounded result does not depend
//! on the order of the additions, and Shewchuk's exact partials (the algorithm of Python's
//! `math.fsum`) as an independent check of it.
//!
//! The exact sum is a superaccumulator in the style of Neal's xsum (arXiv:1505.05571): a
//! fixed-point integer wide enough for every double (2^-1074 to 2^1024, plus 64 bits of
//! carries), held as 32-bit digits in i64 words so that additions need no carry propagation for
//! 2^30 steps. In front of it, one u64 bin per sign and exponent adds the significands of
//! values that share an exponent, with no shifting; a bin is moved into the integer only every
//! 2048 additions. Integer addition is associative, so any split between threads and any MPI
//! reduction tree gives the same integer, hence the same rounded bits.

use rayon::prelude::*;

/// 32-bit digits of the fixed-point integer, least significant first: bit g is worth 2^(g-1074).
pub const DIGITS: usize = 68;
/// The digits and one word of flags (infinities, NaN): what travels in MPI.
pub const WORDS: usize = DIGITS + 1;
const DIGIT_BITS: u32 = 32;
/// Additions of one bin before it must be moved: 2^64 / 2^53 significands fit in a u64.
const BIN_CAPACITY: u16 = 2048;
/// Digit additions before a carry pass: each adds less than 2^32 to an i64.
const ADDS_BEFORE_CARRY: u32 = 1 << 30;
const FRACTION: u64 = (1 << 52) - 1;

const POS_INF: i64 = 1;
const NEG_INF: i64 = 2;
const NAN: i64 = 4;

/// The exact sum of any number of doubles, as a fixed-point integer.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactSum {
    /// `DIGITS` digits, then the flags word.
    words: [i64; WORDS],
    adds: u32,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum { words: [0; WORDS], adds: 0 }
    }
}

impl ExactSum {
    /// Adds `magnitude` × 2^(g − 1074), negated if `negative`.
    fn add_at(&mut self, magnitude: u64, g: u32, negative: bool) {
        if self.adds >= ADDS_BEFORE_CARRY {
            self.carry();
        }
        self.adds += 1;
        let (digit, shift) = ((g / DIGIT_BITS) as usize, g % DIGIT_BITS);
        let wide = (magnitude as u128) << shift;
        for k in 0..3 {
            let part = ((wide >> (32 * k)) & 0xFFFF_FFFF) as i64;
            if part != 0 {
                if negative {
                    self.words[digit + k] -= part;
                } else {
                    self.words[digit + k] += part;
                }
            }
        }
    }

    /// Adds one double exactly.
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7FF) as u32;
        let negative = bits >> 63 == 1;
        if exponent == 0x7FF {
            self.words[DIGITS] |= if bits & FRACTION != 0 {
                NAN
            } else if negative {
                NEG_INF
            } else {
                POS_INF
            };
            return;
        }
        let significand = (bits & FRACTION) | (u64::from(exponent != 0) << 52);
        self.add_at(significand, exponent.max(1) - 1, negative);
    }

    /// Propagates carries: every digit but the last in [0, 2^32), the last holding the sign.
    fn carry(&mut self) {
        for i in 0..DIGITS - 1 {
            let c = self.words[i] >> DIGIT_BITS;
            self.words[i] -= c << DIGIT_BITS;
            self.words[i + 1] += c;
        }
        self.adds = 0;
    }

    /// Adds another exact sum (associative and commutative: integer addition).
    pub fn merge(&mut self, other: &ExactSum) {
        let mut other = other.clone();
        other.carry();
        self.carry();
        for i in 0..DIGITS {
            self.words[i] += other.words[i];
        }
        self.words[DIGITS] |= other.words[DIGITS];
        self.adds = 2;
    }

    /// `into += from` on the words that travel in MPI, both carried (as `to_words` leaves them),
    /// leaving `into` carried: one pass to add, one to carry.
    pub fn add_words(into: &mut [i64], from: &[i64]) {
        for (a, b) in into[..DIGITS].iter_mut().zip(&from[..DIGITS]) {
            *a += b;
        }
        into[DIGITS] |= from[DIGITS];
        for i in 0..DIGITS - 1 {
            let c = into[i] >> DIGIT_BITS;
            into[i] -= c << DIGIT_BITS;
            into[i + 1] += c;
        }
    }

    /// The words that travel in MPI (carried, so that any two add without overflow).
    pub fn to_words(&self) -> [i64; WORDS] {
        let mut s = self.clone();
        s.carry();
        s.words
    }

    pub fn from_words(words: &[i64]) -> ExactSum {
        let mut s = ExactSum { words: [0; WORDS], adds: 2 };
        s.words.copy_from_slice(&words[..WORDS]);
        s
    }

    /// The exact sum rounded to the nearest double, ties to even (IEEE 754's default rounding).
    /// An exact zero is +0.
    pub fn round(&self) -> f64 {
        let flags = self.words[DIGITS];
        if flags & NAN != 0 || flags & (POS_INF | NEG_INF) == POS_INF | NEG_INF {
            return f64::NAN;
        } else if flags & POS_INF != 0 {
            return f64::INFINITY;
        } else if flags & NEG_INF != 0 {
            return f64::NEG_INFINITY;
        }
        let mut s = self.clone();
        s.carry();
        let negative = s.words[DIGITS - 1] < 0;
        if negative {
            for w in &mut s.words[..DIGITS] {
                *w = -*w;
            }
            s.carry();
        }
        let digit = |i: i64| if i >= 0 { s.words[i as usize] as u128 } else { 0 };
        let Some(top) = s.words[..DIGITS].iter().rposition(|&d| d != 0) else {
            return 0.0;
        };
        // The top three digits as one window; its bit 0 is global bit `base` (bit g is worth
        // 2^(g−1074)); everything below the window only matters as a sticky bit.
        let t = top as i64;
        let window = (digit(t) << 64) | (digit(t - 1) << 32) | digit(t - 2);
        let base = 32 * (t - 2);
        let msb = base + 127 - i64::from(window.leading_zeros());
        // The lowest bit the double keeps: 53 bits below the top, or bit 0 (subnormals).
        let mut low = (msb - 52).max(0);
        let shift = (low - base) as u32;
        let mut significand = (window >> shift) as u64;
        if low > 0 {
            let half = (window >> (shift - 1)) & 1 == 1;
            let sticky =
                window & ((1u128 << (shift - 1)) - 1) != 0 || s.words[..top.saturating_sub(2)].iter().any(|&d| d != 0);
            if half && (sticky || significand & 1 == 1) {
                significand += 1;
                if significand == 1 << 53 {
                    significand >>= 1;
                    low += 1;
                }
            }
        }
        let low = low as u64;
        // Bit g is 2^(g−1074): a significand whose lowest bit is `low` has biased exponent
        // low + 1 (normal numbers); below that the double is subnormal and its bits are the value.
        let magnitude = if low == 0 {
            f64::from_bits(significand)
        } else if low + 1 >= 0x7FF {
            f64::INFINITY
        } else {
            f64::from_bits(((low + 1) << 52) | (significand & FRACTION))
        };
        if negative {
            -magnitude
        } else {
            magnitude
        }
    }
}

/// The fast front of the exact sum: one bin per sign and exponent.
pub struct Binned {
    /// Fixed-size, so that indexing with 12 bits needs no bounds check.
    sums: Box<[u64; 4096]>,
    room: Box<[u16; 4096]>,
    exact: ExactSum,
}

impl Default for Binned {
    fn default() -> Self {
        Binned { sums: Box::new([0; 4096]), room: Box::new([BIN_CAPACITY; 4096]), exact: ExactSum::default() }
    }
}

impl Binned {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let bin = (bits >> 52) as usize & 4095;
        let exponent = bin & 0x7FF;
        let significand = (bits & FRACTION) | (u64::from(exponent != 0) << 52);
        self.sums[bin] += significand;
        self.room[bin] -= 1;
        if self.room[bin] == 0 {
            self.flush(bin);
        }
    }

    fn flush(&mut self, bin: usize) {
        let (sum, count) = (self.sums[bin], BIN_CAPACITY - self.room[bin]);
        self.sums[bin] = 0;
        self.room[bin] = BIN_CAPACITY;
        let exponent = (bin & 0x7FF) as u32;
        let negative = bin >> 11 == 1;
        if exponent == 0x7FF {
            // Infinities add exactly 2^52 each; anything more is a NaN's payload.
            let inf = if negative { f64::NEG_INFINITY } else { f64::INFINITY };
            self.exact.add(if sum == u64::from(count) << 52 { inf } else { f64::NAN });
        } else if count > 0 {
            self.exact.add_at(sum, exponent.max(1) - 1, negative);
        }
    }

    /// Every bin moved into the exact integer.
    pub fn finish(mut self) -> ExactSum {
        for bin in 0..4096 {
            if self.room[bin] != BIN_CAPACITY {
                self.flush(bin);
            }
        }
        self.exact
    }
}

/// How the exact sum reads its values. Both build the same integer, bit for bit; which is
/// faster depends on the CPU (integer bins are a chain of loads and stores through memory, the
/// levels are vector floating-point), so `parahpc reduce` times both on its own data and keeps
/// the faster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExactKernel {
    /// Each double split exactly into pieces on fixed grids `LEVEL_BITS` apart, each level
    /// summed in a vector of doubles, which stays exact for a block's additions (the idea of
    /// ReproBLAS's binned sums, with as many levels as the block's range needs, so nothing is
    /// dropped). A block with an infinity, a NaN or too wide a range goes to the bins.
    Levels,
    /// One integer bin per sign and exponent (xsum's large accumulator).
    Binned,
}

impl ExactKernel {
    pub const ALL: [ExactKernel; 2] = [ExactKernel::Levels, ExactKernel::Binned];

    /// How it is recorded: the kind and, for the levels, the vector width this CPU runs them at.
    pub fn describe(self) -> String {
        match self {
            ExactKernel::Levels => format!("levels, {}-bit", crate::kernels::vector_bits()),
            ExactKernel::Binned => "binned".to_string(),
        }
    }
}

/// The exact sum of `values`, split between the current rayon pool's threads in any way.
pub fn exact_sum(values: &[f64], kernel: ExactKernel) -> ExactSum {
    values
        .par_chunks(1 << 16)
        .fold(ExactSum::default, |mut exact, chunk| {
            match kernel {
                ExactKernel::Levels => levels::add_chunk(chunk, crate::kernels::vector_bits(), &mut exact),
                ExactKernel::Binned => {
                    let mut b = Binned::default();
                    chunk.iter().for_each(|&x| b.add(x));
                    exact.merge(&b.finish());
                }
            }
            exact
        })
        .reduce(ExactSum::default, |mut a, b| {
            a.merge(&b);
            a
        })
}

/// The levels kernel. A block's doubles all lie in [2^emin, 2^(emax+1)) and are multiples of
/// 2^(emin−52). Level j's grid is 2^g_j with g_0 = emax + 1 − LEVEL_BITS, g_j = g_0 − j·LEVEL_BITS:
/// with M_j = 1.5·2^(g_j+52), q = (M_j + x) − M_j is x rounded to the grid exactly (M_j + x stays
/// in M_j's binade because |x| < 2^(g_j+LEVEL_BITS)), and x − q is exact and below 2^(g_j−1),
/// hence below the next level's bound. Enough levels reach 2^(emin−52), where the remainder is 0.
/// A level's lane adds at most `LEVEL_BLOCK / 2 + 1` pieces (two lanes and the tail) of at most
/// 2^(g_j+LEVEL_BITS) on the grid 2^g_j: below 2^(g_j+52), exact in a double. Each lane's sum then
/// goes into the integer exactly.
mod levels {
    use super::{Binned, ExactSum};

    const LEVEL_BITS: i32 = 40;
    pub const MAX_LEVELS: usize = 6;
    /// Elements per block: 32 KiB, read twice (range, then levels) from L1.
    const LEVEL_BLOCK: usize = 4096;
    const ABS: u64 = !(1 << 63);

    /// Adds `chunk` to `exact`, block by block, with vectors of `bits` (at most `vector_bits()`;
    /// below 128 there is no vector body); blocks the levels cannot take go to the bins.
    pub fn add_chunk(chunk: &[f64], bits: u32, exact: &mut ExactSum) {
        let mut binned: Option<Binned> = None;
        for block in chunk.chunks(LEVEL_BLOCK) {
            if bits < 128 || !add_block(block, bits, exact) {
                let b = binned.get_or_insert_with(Binned::default);
                block.iter().for_each(|&x| b.add(x));
            }
        }
        if let Some(b) = binned {
            exact.merge(&b.finish());
        }
    }

    /// The largest magnitude's bits and the smallest non-zero magnitude's (meaningless when the
    /// largest is 0).
    #[inline(always)]
    fn magnitudes(block: &[f64]) -> (u64, u64) {
        const LANES: usize = 8;
        let (mut hi, mut lo) = ([0u64; LANES], [u64::MAX; LANES]);
        let mut chunks = block.chunks_exact(LANES);
        for c in &mut chunks {
            for k in 0..LANES {
                let a = c[k].to_bits() & ABS;
                hi[k] = hi[k].max(a);
                // Zero wraps to u64::MAX and never wins the minimum.
                lo[k] = lo[k].min(a.wrapping_sub(1));
            }
        }
        for &x in chunks.remainder() {
            let a = x.to_bits() & ABS;
            hi[0] = hi[0].max(a);
            lo[0] = lo[0].min(a.wrapping_sub(1));
        }
        (hi.into_iter().max().unwrap_or(0), lo.into_iter().min().unwrap_or(u64::MAX).wrapping_add(1))
    }

    /// Adds one block by levels; `false` (nothing added) when it needs the bins: an infinity or
    /// a NaN, magnitudes from 2^1011 (M_0 would overflow), more than `MAX_LEVELS` levels, or a
    /// last grid below 2^−1074 (M would be subnormal).
    fn add_block(block: &[f64], bits: u32, exact: &mut ExactSum) -> bool {
        let (hi, lo) = dispatch_magnitudes(block, bits);
        if hi == 0 {
            return true;
        }
        if hi >= 0x7FF << 52 {
            return false;
        }
        let emax = (hi >> 52) as i32 - 1023;
        let emin = ((lo >> 52) as i32 - 1023).max(-1022);
        let levels = (emax - emin + 53 + LEVEL_BITS - 1) / LEVEL_BITS;
        let g0 = emax + 1 - LEVEL_BITS;
        if levels as usize > MAX_LEVELS || emax > 1010 || g0 - LEVEL_BITS * (levels - 1) < -1074 {
            return false;
        }
        let mut m = [0.0; MAX_LEVELS];
        for (j, m) in m.iter_mut().enumerate().take(levels as usize) {
            *m = 1.5 * 2f64.powi(g0 - LEVEL_BITS * j as i32 + 52);
        }
        let mut lanes = [[0.0; 8]; MAX_LEVELS];
        dispatch_levels(block, bits, levels as usize, &m, &mut lanes);
        for &v in lanes.iter().flatten() {
            if v != 0.0 {
                exact.add(v);
            }
        }
        true
    }

    #[cfg(target_arch = "x86_64")]
    fn dispatch_magnitudes(block: &[f64], bits: u32) -> (u64, u64) {
        // SAFETY: each is entered only when `vector_bits` detected its features.
        unsafe {
            match bits {
                512 => x86::magnitudes_avx512(block),
                256 => x86::magnitudes_avx(block),
                _ => magnitudes(block),
            }
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn dispatch_magnitudes(block: &[f64], _bits: u32) -> (u64, u64) {
        magnitudes(block)
    }

    #[cfg(target_arch = "x86_64")]
    fn dispatch_levels(
        block: &[f64],
        bits: u32,
        levels: usize,
        m: &[f64; MAX_LEVELS],
        lanes: &mut [[f64; 8]; MAX_LEVELS],
    ) {
        macro_rules! by_levels {
            ($f:ident) => {
                // SAFETY: entered only when `vector_bits` detected the function's features.
                unsafe {
                    match levels {
                        1 => x86::$f::<1>(block, m, lanes),
                        2 => x86::$f::<2>(block, m, lanes),
                        3 => x86::$f::<3>(block, m, lanes),
                        4 => x86::$f::<4>(block, m, lanes),
                        5 => x86::$f::<5>(block, m, lanes),
                        _ => x86::$f::<6>(block, m, lanes),
                    }
                }
            };
        }
        match bits {
            512 => by_levels!(levels_avx512),
            256 => by_levels!(levels_avx),
            _ => by_levels!(levels_sse2),
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn dispatch_levels(_: &[f64], _: u32, _: usize, _: &[f64; MAX_LEVELS], _: &mut [[f64; 8]; MAX_LEVELS]) {
        unreachable!("vector_bits is 64 off x86-64: every block goes to the bins")
    }

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use super::{magnitudes, MAX_LEVELS};
        use std::arch::x86_64::*;

        /// # Safety
        /// The CPU must have AVX-512F.
        #[target_feature(enable = "avx512f")]
        pub unsafe fn magnitudes_avx512(block: &[f64]) -> (u64, u64) {
            magnitudes(block)
        }

        /// # Safety
        /// The CPU must have AVX.
        #[target_feature(enable = "avx")]
        pub unsafe fn magnitudes_avx(block: &[f64]) -> (u64, u64) {
            magnitudes(block)
        }

        /// One body per vector width: `L` levels over whole vectors, each lane's sums out, then
        /// the tail one element at a time into lane 0.
        macro_rules! body {
            ($name:ident, $feature:literal, $lanes:expr, $ty:ty, $zero:ident, $set1:ident, $loadu:ident, $add:ident, $sub:ident, $storeu:ident) => {
                /// # Safety
                /// The CPU must have the named features.
                #[target_feature(enable = $feature)]
                pub unsafe fn $name<const L: usize>(
                    block: &[f64],
                    m: &[f64; MAX_LEVELS],
                    lanes: &mut [[f64; 8]; MAX_LEVELS],
                ) {
                    let mv: [$ty; L] = std::array::from_fn(|j| $set1(m[j]));
                    let mut s: [$ty; L] = [$zero(); L];
                    let whole = block.len() / $lanes * $lanes;
                    let mut i = 0;
                    while i < whole {
                        // SAFETY (of the block): i + lanes ≤ whole ≤ block.len().
                        let mut x = $loadu(block.as_ptr().add(i));
                        for j in 0..L {
                            let q = $sub($add(mv[j], x), mv[j]);
                            s[j] = $add(s[j], q);
                            x = $sub(x, q);
                        }
                        i += $lanes;
                    }
                    for j in 0..L {
                        $storeu(lanes[j].as_mut_ptr(), s[j]);
                    }
                    // The tail, one element at a time into lane 0: the same exact split.
                    for &x in &block[whole..] {
                        let mut x = x;
                        for j in 0..L {
                            let q = (m[j] + x) - m[j];
                            lanes[j][0] += q;
                            x -= q;
                        }
                    }
                }
            };
        }

        body!(
            levels_avx512,
            "avx512f",
            8,
            __m512d,
            _mm512_setzero_pd,
            _mm512_set1_pd,
            _mm512_loadu_pd,
            _mm512_add_pd,
            _mm512_sub_pd,
            _mm512_storeu_pd
        );
        body!(
            levels_avx,
            "avx",
            4,
            __m256d,
            _mm256_setzero_pd,
            _mm256_set1_pd,
            _mm256_loadu_pd,
            _mm256_add_pd,
            _mm256_sub_pd,
            _mm256_storeu_pd
        );
        body!(
            levels_sse2,
            "sse2",
            2,
            __m128d,
            _mm_setzero_pd,
            _mm_set1_pd,
            _mm_loadu_pd,
            _mm_add_pd,
            _mm_sub_pd,
            _mm_storeu_pd
        );
    }
}

/// Left to right, one addition after the other: the order of a naive loop.
pub fn serial_sum(start: f64, values: &[f64]) -> f64 {
    values.iter().fold(start, |s, &x| s + x)
}

/// Pairwise (cascade) summation: halves summed recursively, 128-element blocks left to right;
/// the order depends on the length only, the halves run on the pool's threads.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    if values.len() <= 128 {
        values.iter().sum()
    } else {
        let (a, b) = values.split_at(values.len() / 2);
        let (x, y) = rayon::join(|| pairwise_sum(a), || pairwise_sum(b));
        x + y
    }
}

/// Neumaier's (Kahan–Babuška) compensated sum and its running error term.
#[derive(Clone, Copy, Default)]
pub struct Compensated {
    pub sum: f64,
    pub error: f64,
}

impl Compensated {
    #[inline]
    pub fn add(mut self, x: f64) -> Self {
        let t = self.sum + x;
        self.error += if self.sum.abs() >= x.abs() { (self.sum - t) + x } else { (x - t) + self.sum };
        self.sum = t;
        self
    }

    pub fn merge(self, other: Compensated) -> Self {
        let mut s = self.add(other.sum);
        s.error += other.error;
        s
    }

    pub fn value(self) -> f64 {
        self.sum + self.error
    }
}

/// Neumaier's sum with each thread compensating its share, the shares then combined.
pub fn compensated_sum(values: &[f64]) -> f64 {
    values
        .par_iter()
        .fold(Compensated::default, |c, &x| c.add(x))
        .reduce(Compensated::default, Compensated::merge)
        .value()
}

/// A third exact sum, sharing no code or layout with the other two: a plain two's-complement
/// fixed-point integer of 64-bit limbs whose lowest bit is worth 2^-1074, every double added
/// with its carry rippled at once, and rounded by its own code. Slow and simple: it arbitrates
/// when the superaccumulator and Shewchuk's partials disagree.
#[derive(Clone, Debug, PartialEq)]
pub struct WideInt {
    /// Least significant first: 2^-1074 up to 2^1024, and 192 bits of headroom for carries.
    pub limbs: [u64; WIDE_LIMBS],
    /// A NaN or an infinity was added: the sum is not a finite number.
    pub not_finite: bool,
}

/// Limbs of a `WideInt`: 2098 bits of doubles, rounded up, plus headroom.
pub const WIDE_LIMBS: usize = 36;

impl Default for WideInt {
    fn default() -> Self {
        WideInt { limbs: [0; WIDE_LIMBS], not_finite: false }
    }
}

impl WideInt {
    /// Adds one double exactly.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.not_finite = true;
            return;
        }
        let bits = x.to_bits();
        let (field, fraction) = ((bits >> 52) & 0x7FF, bits & ((1 << 52) - 1));
        // value = significand × 2^(position − 1074)
        let (significand, position) = if field == 0 { (fraction, 0) } else { (fraction | 1 << 52, field - 1) };
        if significand == 0 {
            return;
        }
        let mut addend = [0u64; WIDE_LIMBS];
        let (limb, shift) = ((position / 64) as usize, position % 64);
        let wide = (significand as u128) << shift;
        addend[limb] = wide as u64;
        addend[limb + 1] = (wide >> 64) as u64;
        if x < 0.0 {
            negate(&mut addend);
        }
        self.add_limbs(&addend);
    }

    /// Adds another integer's limbs (another rank's sum).
    pub fn add_limbs(&mut self, other: &[u64; WIDE_LIMBS]) {
        let mut carry = false;
        for (a, &b) in self.limbs.iter_mut().zip(other) {
            let (s1, c1) = a.overflowing_add(b);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *a = s2;
            carry = c1 || c2;
        }
    }

    /// The sum rounded to the nearest double, ties to even; NaN when not finite.
    pub fn round(&self) -> f64 {
        if self.not_finite {
            return f64::NAN;
        }
        let mut magnitude = self.limbs;
        let negative = magnitude[WIDE_LIMBS - 1] >> 63 == 1;
        if negative {
            negate(&mut magnitude);
        }
        let bit = |i: usize| (magnitude[i / 64] >> (i % 64)) & 1;
        let Some(top) = (0..WIDE_LIMBS * 64).rev().find(|&i| bit(i) == 1) else {
            return 0.0;
        };
        let value = if top <= 52 {
            // Below 2^-1021: a subnormal or the smallest normals, exact, whose bits are the integer.
            f64::from_bits(magnitude[0])
        } else {
            let drop = top - 52;
            let mut significand = (0..53).fold(0u64, |s, k| s | bit(drop + k) << k);
            let half = bit(drop - 1) == 1;
            let sticky = (0..drop - 1).any(|i| bit(i) == 1);
            let mut low = drop;
            if half && (sticky || significand & 1 == 1) {
                significand += 1;
                if significand == 1 << 53 {
                    significand >>= 1;
                    low += 1;
                }
            }
            // The lowest kept bit is worth 2^(low − 1074): the biased exponent is low + 1.
            let field = low as u64 + 1;
            if field >= 0x7FF {
                f64::INFINITY
            } else {
                f64::from_bits(field << 52 | (significand & ((1 << 52) - 1)))
            }
        };
        if negative {
            -value
        } else {
            value
        }
    }
}

/// Two's-complement negation of a limb array.
fn negate(limbs: &mut [u64; WIDE_LIMBS]) {
    let mut carry = true;
    for l in limbs.iter_mut() {
        let (v, c) = (!*l).overflowing_add(u64::from(carry));
        *l = v;
        carry = c;
    }
}

/// Shewchuk's exact partials (arXiv, "Adaptive precision floating-point arithmetic", 1997):
/// non-overlapping doubles whose exact sum is the exact sum of everything added.
#[derive(Default, Debug, Clone)]
pub struct Partials(pub Vec<f64>);

impl Partials {
    pub fn add(&mut self, mut x: f64) {
        let mut kept = 0;
        for i in 0..self.0.len() {
            let mut y = self.0[i];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.0[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.0.truncate(kept);
        self.0.push(x);
    }

    /// The exact sum correctly rounded, as Python's `math.fsum` does it (finite values only).
    pub fn round(&self) -> f64 {
        let p = &self.0;
        let Some(mut n) = p.len().checked_sub(1) else {
            return 0.0;
        };
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            n -= 1;
            let x = hi;
            let y = p[n];
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // Half-way cases: the partials below decide which way to round.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }
}

/// The lesson's data sets. Element i depends on the seed and i alone, so every split of the
/// same n elements between ranks holds the same numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Data {
    /// ±(1 to 2) × 2^(−32 to 31), random signs: a wide range and heavy cancellation
    Cancel,
    /// uniform in [0, 1)
    Uniform,
    /// 1, 1/2, 1/3, …: the harmonic series, ever smaller terms
    Harmonic,
    /// 0.1, 0.1, 0.1, −0.3 repeated: the course's slide, 0.1 + 0.1 + 0.1 − 0.3 ≠ 0
    Tenths,
}

impl Data {
    pub fn name(self) -> &'static str {
        match self {
            Data::Cancel => "cancel",
            Data::Uniform => "uniform",
            Data::Harmonic => "harmonic",
            Data::Tenths => "tenths",
        }
    }

    /// Element `i` of the data set.
    #[inline]
    pub fn value(self, seed: u64, i: u64) -> f64 {
        match self {
            Data::Cancel => {
                let h = super::mix(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let exponent = ((h >> 52) & 63) as i32 - 32;
                let magnitude = f64::from_bits((1023u64 << 52) | (h & FRACTION)) * 2f64.powi(exponent);
                if h >> 63 == 1 {
                    -magnitude
                } else {
                    magnitude
                }
            }
            Data::Uniform => (super::mix(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11) as f64 * 2f64.powi(-53),
            Data::Harmonic => 1.0 / (i + 1) as f64,
            Data::Tenths => [0.1, 0.1, 0.1, -0.3][(i % 4) as usize],
        }
    }

    /// Elements `range` of the data set, generated on the pool's threads (the tests' shorthand).
    #[cfg(test)]
    pub fn block(self, seed: u64, range: std::ops::Range<u64>) -> Vec<f64> {
        self.block_until(seed, range, || false).expect("never abandoned")
    }

    /// `block`, made `in_pieces` (20 million values take most of a second on one thread): `None`
    /// as soon as `abandon()` says so.
    pub fn block_until(self, seed: u64, range: std::ops::Range<u64>, abandon: impl Fn() -> bool) -> Option<Vec<f64>> {
        let len = (range.end - range.start) as usize;
        let mut values = Vec::with_capacity(len);
        let at = |i: usize| range.start + i as u64;
        super::in_pieces(len, abandon, |piece| {
            values.par_extend((at(piece.start)..at(piece.end)).into_par_iter().map(|i| self.value(seed, i)))
        })
        .then_some(values)
    }
}

/// How far `x` is from `exact`, in units in the last place of `exact`.
pub fn ulps(x: f64, exact: f64) -> f64 {
    if x == exact {
        return 0.0;
    }
    let a = exact.abs();
    let ulp = if a == 0.0 { f64::from_bits(1) } else { f64::from_bits(a.to_bits() + 1) - a };
    (x - exact).abs() / ulp
}

/// Block `r` of `n` elements split between `k` ranks: the first n % k ranks hold one more.
pub fn block_of(n: u64, k: u64, r: u64) -> std::ops::Range<u64> {
    let (base, extra) = (n / k, n % k);
    let start = r * base + r.min(extra);
    start..start + base + u64::from(r < extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[f64]) -> f64 {
        let mut b = Binned::default();
        values.iter().for_each(|&x| b.add(x));
        b.finish().round()
    }

    fn fsum(values: &[f64]) -> f64 {
        let mut p = Partials::default();
        values.iter().for_each(|&x| p.add(x));
        p.round()
    }

    #[test]
    fn the_slide_and_known_sums() {
        let slide = [0.1, 0.1, 0.1, -0.3];
        assert_eq!(serial_sum(0.0, &slide), 5.551115123125783e-17);
        // The exact sum of these four doubles is 2^-55: the slide's answer is twice too big.
        assert_eq!(exact(&slide), 2f64.powi(-55));
        assert_eq!(fsum(&slide), 2f64.powi(-55));
        assert_eq!(exact(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(exact(&[]), 0.0);
        assert_eq!(exact(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
        assert_eq!(exact(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert!(exact(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert_eq!(exact(&[f64::INFINITY, 1.0, f64::INFINITY]), f64::INFINITY);
        let tiny = f64::from_bits(1);
        assert_eq!(exact(&[tiny, tiny, -tiny * 3.0]), -tiny);
        // Ties to even: 1 + 2^-53 is half-way between 1 and its successor, and rounds to 1;
        // a little more rounds up.
        assert_eq!(exact(&[1.0, 2f64.powi(-53)]), 1.0);
        assert_eq!(exact(&[1.0, 2f64.powi(-53), 2f64.powi(-160)]), 1.0 + f64::EPSILON);
        assert_eq!(exact(&[1.0 + f64::EPSILON, 2f64.powi(-53)]), 1.0 + 2.0 * f64::EPSILON);
    }

    #[test]
    fn a_block_is_the_same_in_pieces_and_stops_when_abandoned() {
        let range = 5..(3 << 20) + 7;
        let whole: Vec<f64> = range.clone().map(|i| Data::Cancel.value(3, i)).collect();
        assert_eq!(Data::Cancel.block(3, range.clone()), whole);
        let asked = std::cell::Cell::new(0);
        let abandon = || {
            asked.set(asked.get() + 1);
            asked.get() > 2
        };
        assert_eq!(Data::Cancel.block_until(3, range, abandon), None);
        assert_eq!(asked.get(), 3, "asked before each piece, and no more once abandoned");
    }

    #[test]
    fn exact_sum_agrees_with_fsum_whatever_the_order_and_the_split() {
        for data in [Data::Cancel, Data::Uniform, Data::Harmonic, Data::Tenths] {
            let values = data.block(7, 0..100_003);
            let reference = fsum(&values);
            assert_eq!(exact(&values).to_bits(), reference.to_bits(), "{data:?}");
            let mut reversed = values.clone();
            reversed.reverse();
            assert_eq!(exact(&reversed).to_bits(), reference.to_bits(), "{data:?}");
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                for kernel in ExactKernel::ALL {
                    assert_eq!(pool.install(|| exact_sum(&values, kernel)).round().to_bits(), reference.to_bits());
                }
            }
            // Split in blocks, each summed alone, then merged in any order: one integer.
            let mut merged = ExactSum::default();
            for k in (0..5).rev() {
                let r = block_of(values.len() as u64, 5, k);
                merged.merge(&ExactSum::from_words(
                    &pool_free_exact(&values[r.start as usize..r.end as usize]).to_words(),
                ));
            }
            assert_eq!(merged.round().to_bits(), reference.to_bits());
            // The same through the words MPI's operation adds.
            let mut words = ExactSum::default().to_words();
            for k in 0..5 {
                let r = block_of(values.len() as u64, 5, k);
                ExactSum::add_words(&mut words, &pool_free_exact(&values[r.start as usize..r.end as usize]).to_words());
            }
            assert_eq!(ExactSum::from_words(&words).round().to_bits(), reference.to_bits());
            assert_eq!(words, merged.to_words(), "carried words are canonical");
        }
    }

    fn pool_free_exact(values: &[f64]) -> ExactSum {
        let mut b = Binned::default();
        values.iter().for_each(|&x| b.add(x));
        b.finish()
    }

    #[test]
    fn the_wide_integer_agrees_with_both_exact_sums_on_every_data_set_size_and_split() {
        // The stress test of the references: sizes around the bins' flush and the carries, every
        // data set, splits into uneven blocks merged in any order, one and three threads.
        let pools: Vec<_> = [1, 3].map(|t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap()).into();
        for data in [Data::Cancel, Data::Uniform, Data::Harmonic, Data::Tenths] {
            for n in [0u64, 1, 2, 7, 2047, 2048, 2049, 65_537, 200_003] {
                let values = data.block(n ^ 0x5eed, 0..n);
                let reference = fsum(&values);
                for split in [1, 2, 5, 16] {
                    let mut wide = WideInt::default();
                    for k in (0..split).rev() {
                        let r = block_of(n, split, k);
                        let mut part = WideInt::default();
                        values[r.start as usize..r.end as usize].iter().for_each(|&x| part.add(x));
                        wide.add_limbs(&part.limbs);
                    }
                    assert_eq!(wide.round().to_bits(), reference.to_bits(), "{data:?} n={n} split={split}");
                }
                for pool in &pools {
                    // Both kernels build the same integer, word for word, not only the same rounding.
                    let words = ExactKernel::ALL.map(|kernel| pool.install(|| exact_sum(&values, kernel)).to_words());
                    assert_eq!(words[0], words[1], "{data:?} n={n}");
                    assert_eq!(
                        ExactSum::from_words(&words[0]).round().to_bits(),
                        reference.to_bits(),
                        "{data:?} n={n}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_wide_integer_rounds_the_edges_of_the_doubles() {
        let one = |xs: &[f64]| {
            let mut w = WideInt::default();
            xs.iter().for_each(|&x| w.add(x));
            w.round()
        };
        let tiny = f64::from_bits(1);
        assert_eq!(one(&[tiny, tiny, -tiny]).to_bits(), tiny.to_bits(), "subnormals are exact");
        assert_eq!(one(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(one(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX, "no overflow in between");
        // 1 + 2^-53 is a tie: to even (1); one more bit below breaks it upwards.
        assert_eq!(one(&[1.0, 2f64.powi(-53)]), 1.0);
        assert_eq!(one(&[1.0, 2f64.powi(-53), 2f64.powi(-100)]), 1.0 + f64::EPSILON);
        assert_eq!(one(&[-0.1, -0.2]), -0.30000000000000004);
        assert!(one(&[1.0, f64::NAN]).is_nan());
        assert_eq!(one(&[]), 0.0);
    }

    #[test]
    fn the_levels_take_every_range_the_bins_take() {
        // Blocks the levels must hand to the bins (infinities, NaN, huge magnitudes, a range
        // beyond six levels, subnormals) mixed with blocks they keep, at odd lengths and offsets.
        let tiny = f64::from_bits(1);
        let specials: [&[f64]; 8] = [
            &[f64::INFINITY],
            &[f64::NEG_INFINITY, f64::INFINITY],
            &[f64::NAN],
            &[f64::MAX, -f64::MAX / 3.0],
            &[2f64.powi(1010), 1.0],
            &[2f64.powi(200), 2f64.powi(-100)],
            &[tiny, -tiny * 7.0, 2f64.powi(-1022)],
            &[-0.0, 0.0],
        ];
        for (k, special) in specials.iter().enumerate() {
            for n in [1usize, 9, 4095, 4096, 4097, 9000] {
                let mut values = Data::Cancel.block(k as u64, 0..n as u64);
                for (j, &x) in special.iter().enumerate() {
                    let at = (j * 997 + n / 2) % n;
                    values[at] = x;
                }
                let words = ExactKernel::ALL.map(|kernel| exact_sum(&values, kernel).to_words());
                assert_eq!(words[0], words[1], "special {k}, n={n}");
                let (levels, binned) = (ExactSum::from_words(&words[0]).round(), exact(&values));
                assert!(
                    levels.to_bits() == binned.to_bits() || levels.is_nan() && binned.is_nan(),
                    "special {k}, n={n}"
                );
            }
        }
        // Every single double class alone, and a value exactly on a level's grid edge.
        for x in [1.0, -1.5, 2f64.powi(-1000), 2f64.powi(1009) * 1.75, 1.0 + f64::EPSILON] {
            let v = vec![x; 4099];
            assert_eq!(
                exact_sum(&v, ExactKernel::Levels).to_words(),
                exact_sum(&v, ExactKernel::Binned).to_words(),
                "{x}"
            );
        }
    }

    #[test]
    fn every_vector_width_this_cpu_has_builds_the_same_integer() {
        for data in [Data::Cancel, Data::Uniform, Data::Harmonic, Data::Tenths] {
            let values = data.block(11, 0..20_011);
            let want = exact_sum(&values, ExactKernel::Binned).to_words();
            let widths: Vec<u32> =
                [128, 256, 512].into_iter().filter(|&b| b <= crate::kernels::vector_bits()).collect();
            for bits in widths {
                let mut got = ExactSum::default();
                levels::add_chunk(&values, bits, &mut got);
                assert_eq!(got.to_words(), want, "{data:?} at {bits} bits");
            }
        }
    }

    #[test]
    fn many_additions_to_one_bin_carry_correctly() {
        // 10^6 equal values: 488 flushes of one bin, and an exact answer.
        let values = vec![0.75; 1_000_000];
        assert_eq!(exact(&values), 750_000.0);
        let mut negatives = values.clone();
        negatives.extend(vec![-0.25; 3_000_001]);
        assert_eq!(exact(&negatives), -0.25);
    }

    #[test]
    fn the_usual_sums_are_close_but_not_always_exact() {
        let values = Data::Cancel.block(1, 0..1 << 16);
        let reference = fsum(&values);
        for s in [serial_sum(0.0, &values), pairwise_sum(&values), compensated_sum(&values)] {
            assert!(ulps(s, reference) < 1e6, "{s} vs {reference}");
        }
        assert_eq!(ulps(reference, reference), 0.0);
        assert_eq!(ulps(1.0 + f64::EPSILON, 1.0), 1.0);
    }

    #[test]
    fn blocks_cover_every_element_once() {
        for (n, k) in [(10, 3), (3, 5), (1 << 20, 7)] {
            let blocks: Vec<_> = (0..k).map(|r| block_of(n, k, r)).collect();
            assert_eq!(blocks[0].start, 0);
            assert_eq!(blocks.last().unwrap().end, n);
            assert!(blocks.windows(2).all(|w| w[0].end == w[1].start));
        }
    }
}
