//! `parahpc simd`: the first level of parallelism, inside one core. Dot, AXPY and sum over f32
//! and f64 arrays that fit L1, L2 and none of the caches, as scalar, compiler-vectorised and
//! explicit `std::arch` code; every variant must agree with the scalar result within the
//! rounding that reordering a sum allows.

mod args;
mod report;

use std::hint::black_box;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::simd::{self, Isa, Kernel, Real, Variant};
use crate::model::stats::Summary;
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::SimdArgs;

/// SIMD, the parallelism inside one core: scalar, compiler-vectorised and explicit vector code.
pub struct Simd;

impl Experiment for Simd {
    const NAME: &'static str = "simd";
    type Args = SimdArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Single;
    const SCHEMA: &'static [Group] = &[Group {
        path: "simd",
        about: "One row per kernel, type, working set and variant, measured by rank 0 on one core.",
        datasets: &[
            field("kernel", "1", "`dot`, `axpy` or `sum`"),
            field("dtype", "1", "`f32` or `f64`"),
            field("bytes", "B", "working set: all of the kernel's arrays"),
            field("elements", "1", "elements per array"),
            field("variant", "1", "`scalar`, `auto` or `explicit`"),
            field("isa", "1", "instruction set the variant ran"),
            field("time_min_s", "s", "fastest call"),
            field("time_median_s", "s", "median call"),
            field("time_max_s", "s", "slowest call"),
            field("elements_per_s", "1/s", "elements / median time"),
            field("gflops", "GFLOP/s", "floating-point operations / median time"),
            field("speedup_vs_scalar", "1", "scalar's median over this median"),
            field("error", "1", "deviation from scalar's result"),
            field("tolerance", "1", "the deviation reordering allows"),
        ],
        attributes: &[
            field("explicit_isa", "", "the unit the explicit kernels used"),
            field("auto_isa", "", "the build's baseline the compiler vectorised for"),
            field("repeats", "1", "timed measurements per point"),
            field("elements_per_measurement", "1", "elements processed per timed measurement"),
            field("tolerance_definition", "", "the tolerance's formula"),
            field("validated", "1", "1: every variant agreed with scalar"),
        ],
    }];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--repeats", &share.count(10.0, 3.0)]))
    }

    fn common(args: &SimdArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(_args: &SimdArgs) -> ThreadRequest {
        ThreadRequest::Fixed(1, "single-threaded experiment: one core's vector units")
    }

    fn run(ctx: &RunContext, args: &SimdArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }
}

/// Elements each timed measurement streams through (calls repeated until they add up to it).
const ELEMENTS_PER_MEASUREMENT: usize = 20_000_000;

struct Row {
    kernel: Kernel,
    dtype: &'static str,
    bytes: u64,
    variant: Variant,
    isa: &'static str,
    /// Seconds per call.
    time: Summary,
    elements: usize,
    error: f64,
    tolerance: f64,
}

/// The default working sets: half of L1 and of L2, and twice the last-level cache (at least
/// 64 MiB, at most 512 MiB) for memory.
pub fn default_sizes(levels: &[u64]) -> Vec<u64> {
    let l1 = levels.first().copied().unwrap_or(32 << 10);
    let l2 = levels.get(1).copied().unwrap_or(1 << 20);
    let llc = levels.last().copied().unwrap_or(32 << 20);
    vec![l1 / 2, l2 / 2, (2 * llc).clamp(64 << 20, 512 << 20)]
}

fn measure<T: Real>(kernel: Kernel, bytes: u64, repeats: usize, isa: Isa, rows: &mut Vec<Row>) -> Outcome<()> {
    let n = (bytes as usize / (kernel.arrays() * std::mem::size_of::<T>())).max(1);
    // A stop ends the measurement between timed calls, and while the arrays fill (half a second
    // at 512 MiB); what it left unfinished is not a row.
    let stopping = || crate::run::signals::received().is_some();
    let Some((x, y)) = simd::operands::<T>(kernel, n, stopping) else { return Ok(()) };
    let mut z = vec![T::default(); if kernel == Kernel::Axpy { n } else { 0 }];
    let alpha = T::from_f64(0.75);
    let calls = ELEMENTS_PER_MEASUREMENT.div_ceil(n);
    let tolerance = simd::tolerance(kernel, alpha, &x, &y);
    let mut reference: Option<(T, Vec<T>)> = None;
    for variant in Variant::ALL {
        let mut one = || {
            let mut last = T::default();
            for _ in 0..calls {
                last =
                    black_box(simd::run(kernel, variant, isa, alpha, black_box(&x), black_box(&y), black_box(&mut z)));
            }
            last
        };
        if stopping() {
            return Ok(());
        }
        one();
        let mut times = Vec::with_capacity(repeats);
        let mut result = T::default();
        for _ in 0..repeats {
            if stopping() {
                return Ok(());
            }
            let t0 = mpi::time();
            result = one();
            times.push((mpi::time() - t0) / calls as f64);
        }
        if variant == Variant::Explicit && crate::run::failure::injected("corrupt-simd") {
            result = result + T::from_f64(1.0);
            if let Some(z0) = z.first_mut() {
                *z0 = *z0 + T::from_f64(1.0);
            }
        }
        let (value, array) = reference.get_or_insert_with(|| (result, z.clone()));
        let error = if kernel == Kernel::Axpy {
            z.iter().zip(array.iter()).map(|(a, b)| (a.to_f64() - b.to_f64()).abs()).fold(0.0, f64::max)
        } else {
            (result.to_f64() - value.to_f64()).abs()
        };
        let isa_used = match variant {
            Variant::Scalar => "scalar (volatile loads)",
            Variant::Auto => simd::baseline_isa(),
            Variant::Explicit => isa.name(),
        };
        let row = Row {
            kernel,
            dtype: T::NAME,
            bytes,
            variant,
            isa: isa_used,
            time: Summary::of(&times).expect("repeats ≥ 1"),
            elements: n,
            error,
            tolerance,
        };
        if error.is_nan() || error > tolerance {
            return Err(Failure::failed(format!(
                "validation failed: {} {} {} at {} B differs from scalar by {error:.3e}, more than the {tolerance:.3e} that reordering allows",
                row.variant.name(),
                kernel.name(),
                T::NAME,
                bytes
            )));
        }
        rows.push(row);
    }
    Ok(())
}

fn run(ctx: &RunContext, args: &SimdArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let levels: Vec<u64> = crate::machine::topology::Topology::read(std::path::Path::new("/"))
        .cache_levels()
        .values()
        .map(|(b, _)| *b)
        .collect();
    let sizes = args.bytes.clone().unwrap_or_else(|| default_sizes(&levels));
    let largest = *sizes.iter().max().expect("at least one size");
    // AXPY holds three arrays of the largest size in f32 or f64: the largest working set.
    ctx.check_node_memory(
        if ctx.is_root() { largest } else { 0 },
        &format!("simd at {largest} B"),
        "give smaller --bytes",
    )?;
    let isa = match args.isa {
        None => Isa::detect(),
        Some(choice) => {
            let isa = choice.isa();
            if !isa.available() {
                return Err(Failure::usage(format!(
                    "--isa {}: this CPU (or build) has no such unit; the widest it has is {}",
                    isa.name(),
                    Isa::detect().name()
                )));
            }
            isa
        }
    };

    // One core's SIMD units: rank 0 measures, the others wait; a step per working set.
    recorder.expect(sizes.len(), "sizes");
    let mut rows = Vec::new();
    let mut stopped = None;
    for (done, &bytes) in sizes.iter().enumerate() {
        let mine = if ctx.is_root() {
            (|| {
                for kernel in Kernel::ALL {
                    // A stop is seen between measurements (a fraction of a second each).
                    if crate::run::signals::received().is_some() {
                        break;
                    }
                    measure::<f64>(kernel, bytes, args.repeats, isa, &mut rows)?;
                    measure::<f32>(kernel, bytes, args.repeats, isa, &mut rows)?;
                }
                Ok(())
            })()
        } else {
            Ok(())
        };
        ctx.agree(mine)?;
        if let Some(signal) = ctx.stop_requested() {
            stopped = Some(signal);
            break;
        }
        if let Some(signal) = recorder.step(ctx, done + 1, || Results::complete(table(ctx, &rows, args, isa)))? {
            stopped = Some(signal);
            break;
        }
    }

    let tables = table(ctx, &rows, args, isa);
    if ctx.is_root() && !rows.is_empty() {
        print!("{}", console::render(&tables[0]));
        let scalar_time = |r: &Row| scalar_time(&rows, r);
        let small = sizes[0];
        let speedup = |variant: Variant| {
            rows.iter()
                .find(|r| r.kernel == Kernel::Dot && r.dtype == "f64" && r.bytes == small && r.variant == variant)
                .map_or(f64::NAN, |r| scalar_time(r) / r.time.median)
        };
        println!(
            "f64 dot in {}: explicit {} ×{} over scalar, auto ({}) ×{}. Lesson: SIMD is the first level of parallelism, inside one core; out of cache, memory bandwidth caps every variant alike.",
            console::format_bytes(small as f64),
            isa.name(),
            console::format_number(speedup(Variant::Explicit)),
            simd::baseline_isa(),
            console::format_number(speedup(Variant::Auto))
        );
    }
    let mut results = Results::complete(tables);
    let sizes_done = rows.iter().map(|r| r.bytes).collect::<std::collections::BTreeSet<_>>().len();
    results.stopped = stopped.map(|s| recorder.stopped(s, sizes_done));
    Ok(results)
}

/// The scalar variant's median time for `r`'s kernel, type and size.
fn scalar_time(rows: &[Row], r: &Row) -> f64 {
    rows.iter()
        .find(|s| s.variant == Variant::Scalar && s.kernel == r.kernel && s.dtype == r.dtype && s.bytes == r.bytes)
        .map_or(f64::NAN, |s| s.time.median)
}

/// Rank 0's table of the measurements so far (none elsewhere or before the first).
fn table(ctx: &RunContext, rows: &[Row], args: &SimdArgs, isa: Isa) -> Vec<Table> {
    let mut tables = Vec::new();
    if ctx.is_root() && !rows.is_empty() {
        let scalar_time = |r: &Row| scalar_time(rows, r);
        let mut t = Table::new("simd");
        t.column("kernel", "1", Values::Str(rows.iter().map(|r| r.kernel.name().to_string()).collect()))
            .column("dtype", "1", Values::Str(rows.iter().map(|r| r.dtype.to_string()).collect()))
            .column("bytes", "B", Values::U64(rows.iter().map(|r| r.bytes).collect()))
            .column("elements", "1", Values::U64(rows.iter().map(|r| r.elements as u64).collect()))
            .column("variant", "1", Values::Str(rows.iter().map(|r| r.variant.name().to_string()).collect()))
            .column("isa", "1", Values::Str(rows.iter().map(|r| r.isa.to_string()).collect()))
            .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.time.min).collect()))
            .column("time_median_s", "s", Values::F64(rows.iter().map(|r| r.time.median).collect()))
            .column("time_max_s", "s", Values::F64(rows.iter().map(|r| r.time.max).collect()))
            .column(
                "elements_per_s",
                "1/s",
                Values::F64(rows.iter().map(|r| r.elements as f64 / r.time.median).collect()),
            )
            .column(
                "gflops",
                "GFLOP/s",
                Values::F64(rows.iter().map(|r| r.kernel.flops() * r.elements as f64 / r.time.median / 1e9).collect()),
            )
            .column(
                "speedup_vs_scalar",
                "1",
                Values::F64(rows.iter().map(|r| scalar_time(r) / r.time.median).collect()),
            )
            .column("error", "1", Values::F64(rows.iter().map(|r| r.error).collect()))
            .column("tolerance", "1", Values::F64(rows.iter().map(|r| r.tolerance).collect()));
        t.attr("explicit_isa", AttrValue::Str(isa.name().into()))
            .attr("auto_isa", AttrValue::Str(simd::baseline_isa().into()))
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("elements_per_measurement", AttrValue::U64(ELEMENTS_PER_MEASUREMENT as u64))
            .attr("tolerance_definition", AttrValue::Str("|variant − scalar| ≤ 2nε·Σ|terms| for dot and sum (vector code adds in another order), ≤ 2ε(|αx|+|y|) per element for axpy (a fused multiply-add rounds once)".into()))
            .attr("validated", AttrValue::U64(1));
        tables.push(t);
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::default_sizes;

    #[test]
    fn default_sizes_fit_l1_l2_and_none() {
        assert_eq!(default_sizes(&[48 << 10, 2 << 20, 32 << 20]), [24 << 10, 1 << 20, 64 << 20]);
        assert_eq!(default_sizes(&[32 << 10, 1 << 20, 480 << 20]), [16 << 10, 512 << 10, 512 << 20]);
        assert_eq!(default_sizes(&[]).len(), 3);
    }
}
