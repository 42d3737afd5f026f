//! How fast a core can compute, measured: chains of x ← x·a + b, one fused multiply-add per lane
//! and step where the unit has one (a multiply then an add on SSE2), with enough independent
//! chains to cover the instruction's latency on every pipe (an FMA takes 4 cycles on two pipes
//! on current x86-64 and Arm cores: 8 chains in flight; 12 here, 16 with AVX-512's 32
//! registers), like likwid-bench's peakflops kernels.
//!
//! a = 1 and b = 2^-20 arrive at run time through `black_box`, so the compiler can neither fold
//! the multiply away nor shorten the chains; every chain then holds exactly k·b after k steps
//! (exact in f32 up to 2^24 steps), which is the kernel's check: a skipped step, chain or lane
//! changes the sum.

use super::simd::Isa;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F64,
    F32,
}

impl Precision {
    pub const ALL: [Precision; 2] = [Precision::F64, Precision::F32];

    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// The units the peak is measured for: each vector ISA the CPU has, and scalar code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Scalar,
    Vector(Isa),
}

impl Unit {
    /// Every unit this CPU can run, narrowest first.
    pub fn available() -> Vec<Unit> {
        let mut v = vec![Unit::Scalar];
        v.extend(
            [Isa::Sse2, Isa::Avx2, Isa::Avx512, Isa::Neon].into_iter().filter(|i| i.available()).map(Unit::Vector),
        );
        v
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Scalar if scalar_fma() => "scalar+fma",
            Unit::Scalar => "scalar",
            Unit::Vector(isa) => isa.name(),
        }
    }

    /// Numbers of `precision` per instruction.
    pub fn lanes(self, precision: Precision) -> u64 {
        let f64_lanes = match self {
            Unit::Scalar => return 1,
            Unit::Vector(isa) => u64::from(isa.f64_lanes()),
        };
        match precision {
            Precision::F64 => f64_lanes,
            Precision::F32 => 2 * f64_lanes,
        }
    }

    /// Independent chains the kernel keeps in flight.
    pub fn chains(self) -> u64 {
        match self {
            Unit::Vector(Isa::Avx512) => 16,
            _ => 12,
        }
    }

    /// Floating-point operations in `steps` steps of every chain and lane (2 per step: a
    /// multiply and an add, fused or not).
    pub fn flops(self, precision: Precision, steps: u64) -> f64 {
        2.0 * (self.chains() * self.lanes(precision) * steps) as f64
    }
}

/// Whether scalar code gets a fused multiply-add here (FMA on x86-64, always on aarch64).
pub fn scalar_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    cfg!(target_arch = "aarch64")
}

/// Steps per call: every chain stays exact in f32 (k·2^-20 needs k < 2^24).
pub const MAX_STEPS: u64 = 1 << 24;
const B: f64 = 1.0 / (1u64 << 20) as f64;

/// What `run` must return for `steps` steps.
pub fn expected(unit: Unit, precision: Precision, steps: u64) -> f64 {
    (unit.chains() * unit.lanes(precision) * steps) as f64 * B
}

/// Runs `steps` (at most `MAX_STEPS`) steps of every chain and returns the sum of all chains
/// and lanes; `None` if this CPU cannot run `unit`. `lose_step` (a test hook) runs one step
/// fewer, as a broken kernel would.
pub fn run(unit: Unit, precision: Precision, steps: u64, lose_step: bool) -> Option<f64> {
    assert!(steps <= MAX_STEPS, "more steps than stay exact");
    let steps = if lose_step { steps.saturating_sub(1) } else { steps };
    let (a, b) = (std::hint::black_box(1.0), std::hint::black_box(B));
    let sum = match (unit, precision) {
        (Unit::Scalar, Precision::F64) => scalar::<f64>(steps, a, b),
        (Unit::Scalar, Precision::F32) => scalar::<f32>(steps, a as f32, b as f32),
        #[cfg(target_arch = "x86_64")]
        (Unit::Vector(isa), p) if isa.available() => unsafe {
            // SAFETY: `available` checked the CPU's features.
            match (isa, p) {
                (Isa::Avx512, Precision::F64) => x86::avx512_f64(steps, a, b),
                (Isa::Avx512, Precision::F32) => x86::avx512_f32(steps, a as f32, b as f32),
                (Isa::Avx2, Precision::F64) => x86::avx2_f64(steps, a, b),
                (Isa::Avx2, Precision::F32) => x86::avx2_f32(steps, a as f32, b as f32),
                (Isa::Sse2, Precision::F64) => x86::sse2_f64(steps, a, b),
                (Isa::Sse2, Precision::F32) => x86::sse2_f32(steps, a as f32, b as f32),
                _ => return None,
            }
        },
        #[cfg(target_arch = "aarch64")]
        (Unit::Vector(Isa::Neon), p) => unsafe {
            // SAFETY: NEON is part of aarch64.
            match p {
                Precision::F64 => arm::neon_f64(steps, a, b),
                Precision::F32 => arm::neon_f32(steps, a as f32, b as f32),
            }
        },
        _ => return None,
    };
    Some(sum)
}

trait Scalar: Copy + Default + Into<f64> + std::ops::Mul<Output = Self> + std::ops::Add<Output = Self> {
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl Scalar for f64 {
    #[inline(always)]
    fn mul_add(self, a: f64, b: f64) -> f64 {
        f64::mul_add(self, a, b)
    }
}

impl Scalar for f32 {
    #[inline(always)]
    fn mul_add(self, a: f32, b: f32) -> f32 {
        f32::mul_add(self, a, b)
    }
}

/// Twelve scalar chains: fused where the CPU has FMA (inside a function compiled for it,
/// `mul_add` is one `vfmadd`), a multiply and an add otherwise.
fn scalar<T: Scalar>(steps: u64, a: T, b: T) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA.
        return unsafe { scalar_fma_x86(steps, a, b) };
    }
    scalar_body::<T, { cfg!(target_arch = "aarch64") }>(steps, a, b)
}

/// # Safety
/// The CPU must have FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn scalar_fma_x86<T: Scalar>(steps: u64, a: T, b: T) -> f64 {
    scalar_body::<T, true>(steps, a, b)
}

#[inline(always)]
fn scalar_body<T: Scalar, const FUSED: bool>(steps: u64, a: T, b: T) -> f64 {
    let mut x = [T::default(); 12];
    for _ in 0..steps {
        for v in &mut x {
            *v = if FUSED { v.mul_add(a, b) } else { *v * a + b };
        }
    }
    x.iter().map(|&v| v.into()).sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    macro_rules! chains {
        ($name:ident, $feature:literal, $t:ty, $vec:ty, $n:literal, $set1:ident, $step:expr, $store:ident, $lanes:literal) => {
            /// # Safety
            /// The CPU must have the feature.
            #[target_feature(enable = $feature)]
            pub unsafe fn $name(steps: u64, a: $t, b: $t) -> f64 {
                let (va, vb) = ($set1(a), $set1(b));
                let mut x: [$vec; $n] = [$set1(0.0); $n];
                for _ in 0..steps {
                    for v in &mut x {
                        *v = $step(*v, va, vb);
                    }
                }
                let mut total = 0.0;
                for v in x {
                    let mut out = [0.0 as $t; $lanes];
                    // SAFETY: `out` holds one vector's lanes.
                    unsafe { $store(out.as_mut_ptr(), v) };
                    total += out.iter().map(|&e| e as f64).sum::<f64>();
                }
                total
            }
        };
    }

    chains!(avx512_f64, "avx512f", f64, __m512d, 16, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_storeu_pd, 8);
    chains!(avx512_f32, "avx512f", f32, __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16);
    chains!(avx2_f64, "avx2,fma", f64, __m256d, 12, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_storeu_pd, 4);
    chains!(avx2_f32, "avx2,fma", f32, __m256, 12, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8);
    chains!(
        sse2_f64,
        "sse2",
        f64,
        __m128d,
        12,
        _mm_set1_pd,
        |x, a, b| _mm_add_pd(_mm_mul_pd(x, a), b),
        _mm_storeu_pd,
        2
    );
    chains!(
        sse2_f32,
        "sse2",
        f32,
        __m128,
        12,
        _mm_set1_ps,
        |x, a, b| _mm_add_ps(_mm_mul_ps(x, a), b),
        _mm_storeu_ps,
        4
    );
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use std::arch::aarch64::*;

    /// # Safety
    /// Nothing: NEON is part of aarch64 (the intrinsics it calls are `unsafe` to call).
    pub unsafe fn neon_f64(steps: u64, a: f64, b: f64) -> f64 {
        let (va, vb) = (vdupq_n_f64(a), vdupq_n_f64(b));
        let mut x = [vdupq_n_f64(0.0); 12];
        for _ in 0..steps {
            for v in &mut x {
                *v = vfmaq_f64(vb, *v, va);
            }
        }
        x.iter().map(|&v| vaddvq_f64(v)).sum()
    }

    /// # Safety
    /// Nothing: NEON is part of aarch64 (the intrinsics it calls are `unsafe` to call).
    pub unsafe fn neon_f32(steps: u64, a: f32, b: f32) -> f64 {
        let (va, vb) = (vdupq_n_f32(a), vdupq_n_f32(b));
        let mut x = [vdupq_n_f32(0.0); 12];
        for _ in 0..steps {
            for v in &mut x {
                *v = vfmaq_f32(vb, *v, va);
            }
        }
        x.iter().map(|&v| f64::from(vaddvq_f32(v))).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_gives_the_exact_count_and_a_lost_step_is_seen() {
        for unit in Unit::available() {
            for p in Precision::ALL {
                for steps in [0, 1, 1000, MAX_STEPS / 64] {
                    assert_eq!(
                        run(unit, p, steps, false),
                        Some(expected(unit, p, steps)),
                        "{} {}",
                        unit.name(),
                        p.name()
                    );
                }
                assert_ne!(run(unit, p, 1000, true), Some(expected(unit, p, 1000)));
                assert_eq!(unit.flops(p, 10), 20.0 * (unit.chains() * unit.lanes(p)) as f64);
            }
        }
        assert_eq!(Unit::available()[0], Unit::Scalar);
    }
}
