//! `parahpc simd`: its command line.

use crate::options::{CommonArgs, parse_bytes, parse_count};
use clap::{Args, ValueEnum};

/// SIMD, the parallelism inside one core: scalar, compiler-vectorised and explicit vector code.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "SIMD, the parallelism inside one core: scalar, compiler-vectorised and explicit vector code.\n\n\
    The lesson: vector instructions (SSE, AVX, AVX-512, NEON) are the first level of parallelism: \
    one instruction works on 2 to 16 numbers. simd runs a dot product, z = α·x + y (AXPY) and a sum \
    over f32 and f64 arrays sized to fit L1, L2 and no cache, three ways: 'scalar' (one element per \
    instruction: volatile loads keep the compiler from vectorising), 'auto' (plain loops written \
    so the compiler vectorises them, for the build's baseline ISA: SSE2 on x86-64) and 'explicit' \
    (std::arch intrinsics for the widest unit the CPU has, detected at run time: AVX-512F, \
    AVX2+FMA or SSE2 on x86-64, NEON on aarch64). It reports time per call, elements/s, GFLOP/s, \
    speedup over scalar and the ISA used. Rank 0 measures, on one core.\n\n\
    Every variant must agree with scalar within what reordering allows: vector code adds a sum's \
    terms in another order (within 2nε·Σ|terms|), and a fused multiply-add rounds once instead \
    of twice; beyond that the run fails.\n\n\
    Examples:\n  \
    parahpc simd\n  \
    parahpc simd --bytes 16K,256K,256M\n  \
    parahpc simd --isa avx2"
)]
pub struct SimdArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Working sets (all of a kernel's arrays), with optional K/M/G suffixes [default: half of
    /// L1, half of L2, twice the last-level cache (64M to 512M)]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_bytes)]
    pub bytes: Option<Vec<u64>>,

    /// Unit for the explicit kernels, to compare widths [default: the widest the CPU has]
    #[arg(long, value_enum)]
    pub isa: Option<IsaChoice>,

    /// Timed measurements per point (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsaChoice {
    /// 512-bit, x86-64
    Avx512f,
    /// 256-bit with fused multiply-add, x86-64
    Avx2,
    /// 128-bit, every x86-64
    Sse2,
    /// 128-bit, every aarch64
    Neon,
}

impl IsaChoice {
    pub fn isa(self) -> crate::kernels::simd::Isa {
        use crate::kernels::simd::Isa;
        match self {
            IsaChoice::Avx512f => Isa::Avx512,
            IsaChoice::Avx2 => Isa::Avx2,
            IsaChoice::Sse2 => Isa::Sse2,
            IsaChoice::Neon => Isa::Neon,
        }
    }
}
