//! Dot product, z = α·x + y (AXPY) and a sum, over f32 and f64, three ways: `scalar`, one
//! element per instruction (every load volatile, so the compiler can neither vectorise nor
//! merge them); `auto`, plain loops written so the compiler vectorises them (independent
//! partial sums; for the compiler's baseline ISA, SSE2 on x86-64); `explicit`, `std::arch`
//! intrinsics for the widest unit the CPU has, chosen at run time (AVX-512F, AVX2+FMA or SSE2
//! on x86-64, NEON on aarch64), with `auto` as the fallback elsewhere.

use std::ops::{Add, Mul};

/// What a vector kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Dot,
    Axpy,
    Sum,
}

impl Kernel {
    pub const ALL: [Kernel; 3] = [Kernel::Dot, Kernel::Axpy, Kernel::Sum];

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Dot => "dot",
            Kernel::Axpy => "axpy",
            Kernel::Sum => "sum",
        }
    }

    /// Arrays it streams through: x and y for dot, x, y and z for AXPY, x for the sum.
    pub fn arrays(self) -> usize {
        match self {
            Kernel::Dot => 2,
            Kernel::Axpy => 3,
            Kernel::Sum => 1,
        }
    }

    /// Floating-point operations per element.
    pub fn flops(self) -> f64 {
        match self {
            Kernel::Dot | Kernel::Axpy => 2.0,
            Kernel::Sum => 1.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Scalar,
    Auto,
    Explicit,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Scalar, Variant::Auto, Variant::Explicit];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Scalar => "scalar",
            Variant::Auto => "auto",
            Variant::Explicit => "explicit",
        }
    }
}

/// The instruction sets the explicit kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Sse2,
    #[cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]
    Neon,
    /// No explicit kernel for this CPU: the `auto` code runs.
    #[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), allow(dead_code))]
    None,
}

impl Isa {
    /// The widest this CPU has, detected at run time.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
            Isa::Sse2
        }
        #[cfg(target_arch = "aarch64")]
        return Isa::Neon;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        Isa::None
    }

    /// Whether this CPU can run `self`'s kernels.
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Sse2 => true,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => true,
            _ => false,
        }
    }

    /// f64 numbers in one vector register.
    pub fn f64_lanes(self) -> u32 {
        match self {
            Isa::Avx512 => 8,
            Isa::Avx2 => 4,
            Isa::Sse2 | Isa::Neon => 2,
            Isa::None => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512f",
            Isa::Avx2 => "avx2+fma",
            Isa::Sse2 => "sse2",
            Isa::Neon => "neon",
            Isa::None => "none (compiler's code)",
        }
    }
}

/// The ISA the compiler targets for `scalar` and `auto` code in this build.
pub fn baseline_isa() -> &'static str {
    if cfg!(target_feature = "avx512f") {
        "avx512f (build target)"
    } else if cfg!(target_feature = "avx2") {
        "avx2 (build target)"
    } else if cfg!(target_arch = "x86_64") {
        "sse2 (x86-64 baseline)"
    } else if cfg!(target_arch = "aarch64") {
        "neon (aarch64 baseline)"
    } else {
        "target baseline"
    }
}

/// f32 and f64, with their explicit kernels.
pub trait Real:
    Copy + Default + PartialOrd + Add<Output = Self> + Mul<Output = Self> + std::iter::Sum + Send + Sync
{
    const NAME: &'static str;
    const EPSILON: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// `None` when `isa` has no kernel for this type here.
    fn explicit(isa: Isa, kernel: Kernel, alpha: Self, x: &[Self], y: &[Self], z: &mut [Self]) -> Option<Self>;
}

/// A reproducible value in [-0.5, 0.5) for element i of array `which`.
pub fn value(which: u64, i: usize) -> f64 {
    let mut h = (which << 40) ^ i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// The tests' shorthand for `array_until` never abandoned.
#[cfg(test)]
pub fn array<T: Real>(which: u64, n: usize) -> Vec<T> {
    array_until(which, n, || false).expect("never abandoned")
}

/// `array`, filled `in_pieces`: `None` as soon as `abandon()` says so.
pub fn array_until<T: Real>(which: u64, n: usize, abandon: impl Fn() -> bool) -> Option<Vec<T>> {
    let mut values = Vec::with_capacity(n);
    super::in_pieces(n, abandon, |piece| values.extend(piece.map(|i| T::from_f64(value(which, i))))).then_some(values)
}

/// The input arrays of `kernel` at `n` elements: x, and y (empty for the sum, which reads x
/// alone); `None` as soon as `abandon()` says so.
pub fn operands<T: Real>(kernel: Kernel, n: usize, abandon: impl Fn() -> bool) -> Option<(Vec<T>, Vec<T>)> {
    let ny = if kernel == Kernel::Sum { 0 } else { n };
    Some((array_until(1, n, &abandon)?, array_until(2, ny, &abandon)?))
}

/// Runs `kernel` as `variant`: returns the dot product or the sum, or for AXPY fills `z` and
/// returns its first element.
pub fn run<T: Real>(kernel: Kernel, variant: Variant, isa: Isa, alpha: T, x: &[T], y: &[T], z: &mut [T]) -> T {
    match variant {
        Variant::Scalar => scalar(kernel, alpha, x, y, z),
        Variant::Auto => auto(kernel, alpha, x, y, z),
        Variant::Explicit => T::explicit(isa, kernel, alpha, x, y, z).unwrap_or_else(|| auto(kernel, alpha, x, y, z)),
    }
}

fn scalar<T: Real>(kernel: Kernel, alpha: T, x: &[T], y: &[T], z: &mut [T]) -> T {
    // Volatile only to forbid vectorising the reads; indexing checks the bounds first.
    // SAFETY: `&v[i]` is a valid, aligned, initialised element of a live slice.
    let at = |v: &[T], i: usize| unsafe { std::ptr::read_volatile(&v[i]) };
    match kernel {
        // As the vector kernels: over the common length of the operands.
        Kernel::Dot => (0..x.len().min(y.len())).fold(T::default(), |s, i| s + at(x, i) * at(y, i)),
        Kernel::Sum => (0..x.len()).fold(T::default(), |s, i| s + at(x, i)),
        Kernel::Axpy => {
            for (i, zi) in z.iter_mut().enumerate().take(x.len().min(y.len())) {
                *zi = alpha * at(x, i) + at(y, i);
            }
            z.first().copied().unwrap_or_default()
        }
    }
}

/// Partial sums in the auto kernels: independent, so the compiler may keep them in vector
/// lanes without reordering any one sum.
const PARTIALS: usize = 16;

fn auto<T: Real>(kernel: Kernel, alpha: T, x: &[T], y: &[T], z: &mut [T]) -> T {
    match kernel {
        Kernel::Dot => {
            let mut acc = [T::default(); PARTIALS];
            let (xc, yc) = (x.chunks_exact(PARTIALS), y.chunks_exact(PARTIALS));
            let tail: T = xc.remainder().iter().zip(yc.remainder()).map(|(&a, &b)| a * b).sum();
            for (xs, ys) in xc.zip(yc) {
                for l in 0..PARTIALS {
                    acc[l] = acc[l] + xs[l] * ys[l];
                }
            }
            acc.iter().copied().sum::<T>() + tail
        }
        Kernel::Sum => {
            let mut acc = [T::default(); PARTIALS];
            let xc = x.chunks_exact(PARTIALS);
            let tail: T = xc.remainder().iter().copied().sum();
            for xs in xc {
                for l in 0..PARTIALS {
                    acc[l] = acc[l] + xs[l];
                }
            }
            acc.iter().copied().sum::<T>() + tail
        }
        Kernel::Axpy => {
            for ((zi, &xi), &yi) in z.iter_mut().zip(x).zip(y) {
                *zi = alpha * xi + yi;
            }
            z.first().copied().unwrap_or_default()
        }
    }
}

/// How far `value` may lie from the scalar result: reordering an n-term sum moves it by at most
/// about n·ε·Σ|terms| (2n·ε·Σ|terms| allowed); AXPY's fused multiply-add rounds once instead of
/// twice, within 2ε(|αx| + |y|) per element.
pub fn tolerance<T: Real>(kernel: Kernel, alpha: T, x: &[T], y: &[T]) -> f64 {
    let n = x.len() as f64;
    match kernel {
        Kernel::Dot => {
            2.0 * n * T::EPSILON * x.iter().zip(y).map(|(a, b)| (a.to_f64() * b.to_f64()).abs()).sum::<f64>()
        }
        Kernel::Sum => 2.0 * n * T::EPSILON * x.iter().map(|a| a.to_f64().abs()).sum::<f64>(),
        Kernel::Axpy => {
            2.0 * T::EPSILON
                * x.iter()
                    .zip(y)
                    .map(|(a, b)| (alpha.to_f64() * a.to_f64()).abs() + b.to_f64().abs())
                    .fold(0.0, f64::max)
        }
    }
}

/// One explicit-SIMD module per (ISA, type): dot, sum and AXPY with four vector accumulators
/// (enough to hide the add latency), unaligned loads, and a scalar tail.
macro_rules! explicit_kernels {
    ($module:ident, $feature:literal, $t:ty, $v:ty, $lanes:expr,
     load = $load:path, store = $store:path, splat = $splat:path, zero = $zero:expr, add = $add:path,
     fma = |$a:ident, $b:ident, $c:ident| $fma:expr) => {
        pub mod $module {
            #[cfg(target_arch = "aarch64")]
            use std::arch::aarch64::*;
            #[cfg(target_arch = "x86_64")]
            use std::arch::x86_64::*;

            const L: usize = $lanes;

            /// a·b + c.
            ///
            /// # Safety
            /// The CPU must have the module's feature.
            #[inline]
            #[target_feature(enable = $feature)]
            unsafe fn fma($a: $v, $b: $v, $c: $v) -> $v {
                $fma
            }

            /// The sum of the lanes.
            ///
            /// # Safety
            /// The CPU must have the module's feature.
            #[inline]
            #[target_feature(enable = $feature)]
            unsafe fn total(v: $v) -> $t {
                let mut lanes = [0.0 as $t; L];
                $store(lanes.as_mut_ptr(), v);
                lanes.iter().sum()
            }

            /// # Safety
            /// The CPU must have the module's feature.
            #[target_feature(enable = $feature)]
            pub unsafe fn dot(x: &[$t], y: &[$t]) -> $t {
                let n = x.len().min(y.len());
                let (px, py) = (x.as_ptr(), y.as_ptr());
                let mut acc = [$zero; 4];
                let mut i = 0;
                while i + 4 * L <= n {
                    for k in 0..4 {
                        acc[k] = fma($load(px.add(i + k * L)), $load(py.add(i + k * L)), acc[k]);
                    }
                    i += 4 * L;
                }
                let mut s = total($add($add(acc[0], acc[1]), $add(acc[2], acc[3])));
                for j in i..n {
                    s += x[j] * y[j];
                }
                s
            }

            /// # Safety
            /// The CPU must have the module's feature.
            #[target_feature(enable = $feature)]
            pub unsafe fn sum(x: &[$t]) -> $t {
                let n = x.len();
                let px = x.as_ptr();
                let mut acc = [$zero; 4];
                let mut i = 0;
                while i + 4 * L <= n {
                    for k in 0..4 {
                        acc[k] = $add($load(px.add(i + k * L)), acc[k]);
                    }
                    i += 4 * L;
                }
                let mut s = total($add($add(acc[0], acc[1]), $add(acc[2], acc[3])));
                for xj in &x[i..n] {
                    s += xj;
                }
                s
            }

            /// z = alpha·x + y.
            /// # Safety
            /// The CPU must have the module's feature.
            #[target_feature(enable = $feature)]
            pub unsafe fn axpy(alpha: $t, x: &[$t], y: &[$t], z: &mut [$t]) {
                let n = x.len().min(y.len()).min(z.len());
                let (px, py, pz) = (x.as_ptr(), y.as_ptr(), z.as_mut_ptr());
                let va = $splat(alpha);
                let mut i = 0;
                while i + L <= n {
                    $store(pz.add(i), fma(va, $load(px.add(i)), $load(py.add(i))));
                    i += L;
                }
                for j in i..n {
                    z[j] = alpha * x[j] + y[j];
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    sse2_f64,
    "sse2",
    f64,
    __m128d,
    2,
    load = _mm_loadu_pd,
    store = _mm_storeu_pd,
    splat = _mm_set1_pd,
    zero = _mm_setzero_pd(),
    add = _mm_add_pd,
    fma = |a, b, c| _mm_add_pd(_mm_mul_pd(a, b), c)
);
#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    sse2_f32,
    "sse2",
    f32,
    __m128,
    4,
    load = _mm_loadu_ps,
    store = _mm_storeu_ps,
    splat = _mm_set1_ps,
    zero = _mm_setzero_ps(),
    add = _mm_add_ps,
    fma = |a, b, c| _mm_add_ps(_mm_mul_ps(a, b), c)
);
#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    avx2_f64,
    "avx2,fma",
    f64,
    __m256d,
    4,
    load = _mm256_loadu_pd,
    store = _mm256_storeu_pd,
    splat = _mm256_set1_pd,
    zero = _mm256_setzero_pd(),
    add = _mm256_add_pd,
    fma = |a, b, c| _mm256_fmadd_pd(a, b, c)
);
#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    avx2_f32,
    "avx2,fma",
    f32,
    __m256,
    8,
    load = _mm256_loadu_ps,
    store = _mm256_storeu_ps,
    splat = _mm256_set1_ps,
    zero = _mm256_setzero_ps(),
    add = _mm256_add_ps,
    fma = |a, b, c| _mm256_fmadd_ps(a, b, c)
);
#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    avx512_f64,
    "avx512f",
    f64,
    __m512d,
    8,
    load = _mm512_loadu_pd,
    store = _mm512_storeu_pd,
    splat = _mm512_set1_pd,
    zero = _mm512_setzero_pd(),
    add = _mm512_add_pd,
    fma = |a, b, c| _mm512_fmadd_pd(a, b, c)
);
#[cfg(target_arch = "x86_64")]
explicit_kernels!(
    avx512_f32,
    "avx512f",
    f32,
    __m512,
    16,
    load = _mm512_loadu_ps,
    store = _mm512_storeu_ps,
    splat = _mm512_set1_ps,
    zero = _mm512_setzero_ps(),
    add = _mm512_add_ps,
    fma = |a, b, c| _mm512_fmadd_ps(a, b, c)
);
#[cfg(target_arch = "aarch64")]
explicit_kernels!(
    neon_f64,
    "neon",
    f64,
    float64x2_t,
    2,
    load = vld1q_f64,
    store = vst1q_f64,
    splat = vdupq_n_f64,
    zero = vdupq_n_f64(0.0),
    add = vaddq_f64,
    fma = |a, b, c| vfmaq_f64(c, a, b)
);
#[cfg(target_arch = "aarch64")]
explicit_kernels!(
    neon_f32,
    "neon",
    f32,
    float32x4_t,
    4,
    load = vld1q_f32,
    store = vst1q_f32,
    splat = vdupq_n_f32,
    zero = vdupq_n_f32(0.0),
    add = vaddq_f32,
    fma = |a, b, c| vfmaq_f32(c, a, b)
);

/// Calls module `$m`'s kernel.
macro_rules! call {
    ($m:ident, $kernel:expr, $alpha:expr, $x:expr, $y:expr, $z:expr) => {
        // SAFETY: `isa` came from `Isa::detect`, so the CPU has the module's feature.
        unsafe {
            match $kernel {
                Kernel::Dot => $m::dot($x, $y),
                Kernel::Sum => $m::sum($x),
                Kernel::Axpy => {
                    $m::axpy($alpha, $x, $y, $z);
                    $z.first().copied().unwrap_or_default()
                }
            }
        }
    };
}

/// `Real` for one type, dispatching to its explicit modules.
macro_rules! real {
    ($t:ident, $avx512:ident, $avx2:ident, $sse2:ident, $neon:ident) => {
        impl Real for $t {
            const NAME: &'static str = stringify!($t);
            const EPSILON: f64 = $t::EPSILON as f64;
            fn from_f64(x: f64) -> $t {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[allow(unused_variables)]
            fn explicit(isa: Isa, kernel: Kernel, alpha: $t, x: &[$t], y: &[$t], z: &mut [$t]) -> Option<$t> {
                match isa {
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => Some(call!($avx512, kernel, alpha, x, y, z)),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => Some(call!($avx2, kernel, alpha, x, y, z)),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Sse2 => Some(call!($sse2, kernel, alpha, x, y, z)),
                    #[cfg(target_arch = "aarch64")]
                    Isa::Neon => Some(call!($neon, kernel, alpha, x, y, z)),
                    _ => None,
                }
            }
        }
    };
}

real!(f64, avx512_f64, avx2_f64, sse2_f64, neon_f64);
real!(f32, avx512_f32, avx2_f32, sse2_f32, neon_f32);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ISA this CPU has, not only the widest: each explicit module is checked.
    fn isas() -> Vec<Isa> {
        [Isa::Avx512, Isa::Avx2, Isa::Sse2, Isa::Neon].into_iter().filter(|isa| isa.available()).collect()
    }

    fn agree<T: Real>() {
        // Lengths around every vector width and unroll, and an empty array.
        for n in [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 1000, 4099] {
            let (x, y) = (array::<T>(1, n), array::<T>(2, n));
            let alpha = T::from_f64(0.75);
            for kernel in Kernel::ALL {
                let mut reference = vec![T::default(); n];
                let s = run(kernel, Variant::Scalar, Isa::None, alpha, &x, &y, &mut reference);
                let tol = tolerance(kernel, alpha, &x, &y);
                for variant in [Variant::Auto, Variant::Explicit] {
                    for isa in isas() {
                        let mut z = vec![T::default(); n];
                        let v = run(kernel, variant, isa, alpha, &x, &y, &mut z);
                        let err = if kernel == Kernel::Axpy {
                            z.iter().zip(&reference).map(|(a, b)| (a.to_f64() - b.to_f64()).abs()).fold(0.0, f64::max)
                        } else {
                            (v.to_f64() - s.to_f64()).abs()
                        };
                        assert!(
                            err <= tol,
                            "{} {} {:?} {:?} n={n}: error {err} > {tol}",
                            T::NAME,
                            kernel.name(),
                            variant,
                            isa
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_array_is_the_same_in_pieces_and_stops_when_abandoned() {
        let n = (2 << 20) + 3;
        let whole: Vec<f64> = (0..n).map(|i| value(4, i)).collect();
        assert_eq!(array::<f64>(4, n), whole);
        let asked = std::cell::Cell::new(0);
        let abandon = || {
            asked.set(asked.get() + 1);
            asked.get() > 1
        };
        assert_eq!(array_until::<f32>(4, n, abandon), None);
        assert_eq!(asked.get(), 2, "asked before each piece, and no more once abandoned");
    }

    #[test]
    fn every_variant_agrees_with_scalar_within_its_tolerance() {
        agree::<f64>();
        agree::<f32>();
    }

    #[test]
    fn scalar_reads_only_what_both_operands_hold() {
        let (x, y) = ([1.0, 2.0, 3.0], [10.0, 20.0]);
        assert_eq!(scalar(Kernel::Dot, 0.0, &x, &y, &mut []), 50.0);
        let mut z = [0.0; 3];
        scalar(Kernel::Axpy, 2.0, &x, &y, &mut z);
        assert_eq!(z, [12.0, 24.0, 0.0]);
    }

    #[test]
    fn the_tolerance_catches_a_wrong_answer() {
        let (x, y) = (array::<f64>(1, 1000), array::<f64>(2, 1000));
        let tol = tolerance(Kernel::Dot, 1.0, &x, &y);
        assert!(tol < 1e-10, "{tol}");
    }
}
