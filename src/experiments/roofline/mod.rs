//! `parahpc roofline`: the ceilings of this machine measured in one run (peak GFLOP/s per vector
//! unit, bandwidth per memory level) and the course's kernels placed under them by arithmetic
//! intensity, each with the ceiling that binds it.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::hint::black_box;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::peak::{Precision, Unit};
use crate::kernels::simd::{self, Isa, Kernel, Variant};
use crate::kernels::{gemm, stream};
use crate::machine::peak::{measure, Peak};
use crate::machine::topology::Topology;
use crate::model::roofline::{bound, ridge, Ceiling};
use crate::model::stats::{in_batches, Batches, STABLE_SPREAD};
use crate::output::console;
use crate::output::schema::{field, Group};
use crate::output::{AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::RooflineArgs;

/// The roofline of this machine, and the course's kernels under it.
pub struct Roofline;

impl Experiment for Roofline {
    const NAME: &'static str = "roofline";
    type Args = RooflineArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "roofline",
            about: "One row per kernel placed on the roofline (rank 0, one thread).",
            datasets: &[
                field("kernel", "1", "e.g. `dot`, `dot f32`, `axpy`, `sum`, `triad`, `gemm naive`, `gemm blas`, `amdahl spin`"),
                field("level", "1", "where its data lives: `L1`, `L2`, `L3`, `DRAM`, or `registers` (amdahl spin)"),
                field("bytes", "B", "its working set"),
                field(
                    "intensity",
                    "flop/B",
                    "flops per byte moved (gemm: per byte of its three matrices; amdahl spin: infinite, no memory traffic)",
                ),
                field("gflops", "GFLOP/s", "achieved, median of the repetitions"),
                field("bound_gflops", "GFLOP/s", "min(compute ceiling, intensity × the level's bandwidth ceiling)"),
                field("bound_by", "", "the ceiling that binds it, e.g. `memory (DRAM triad)` or `compute (avx512f f64)`"),
                field("fraction_of_bound", "1", "gflops / bound_gflops"),
            ],
            attributes: &[
                field("repeats", "1", "timed repetitions of every measurement"),
                field("gemm_n", "1", "matrix order of the gemm points"),
                field("validated", "1", "1: every kernel's answer was checked"),
            ],
        },
        Group {
            path: "roofline/compute",
            about: "Compute ceilings: one row per vector unit, precision and scope.",
            datasets: &[
                field("unit", "1", "`scalar+fma`, `sse2`, `avx2+fma`, `avx512f`, `neon`"),
                field("precision", "1", "`f64` or `f32`"),
                field("scope", "1", "`core` (one thread), `core, all busy` (every thread of every rank) or `node`"),
                field("gflops", "GFLOP/s", "the best repetition's rate (per core, or the node's sum)"),
                field("chains", "1", "independent FMA chains in flight"),
                field("lanes", "1", "numbers per instruction"),
                field("ghz_equivalent", "GHz", "the clock two FMA pipes would need for this rate (per core)"),
                field(
                    "peak_source",
                    "1",
                    "what set the roof: `peak kernel`, or a kernel that beat it twice on a busy machine (named, with the peak kernel's rate)",
                ),
                field(
                    "spread",
                    "1",
                    "(best − worst) / best of the peak kernel's last batch of repetitions: batches run twice as long while it exceeds 0.05, at most 3 (the widest over threads)",
                ),
            ],
            attributes: &[],
        },
        Group {
            path: "roofline/levels",
            about: "The memory levels measured: caches found by a latency sweep (memlat's chase), then DRAM.",
            datasets: &[
                field("level", "1", "`L1`, `L2`, … in the order the sweep found them, then `DRAM`"),
                field("bytes", "B", "the working set its kernels use: the largest size still on the cache's latency plateau"),
                field("latency_ns", "ns", "the plateau's median latency per dependent load (NaN for DRAM at --dram-bytes)"),
                field("reported_bytes", "B", "the size /sys reports for a cache of that level (0: none reported)"),
                field("agrees", "1", "1: the measured size lies within a quarter of the reported one and the reported one"),
            ],
            attributes: &[
                field("sweep_bytes", "B", "the largest working set of the latency sweep"),
                field("sentence", "", "what the sweep found against what /sys reports, in words"),
            ],
        },
        Group {
            path: "roofline/memory",
            about: "Memory ceilings: one row per level, kernel and scope; a level's ceiling is the best of its kernels.",
            datasets: &[
                field("level", "1", "`L1`, `L2`, `L3` or `DRAM`"),
                field(
                    "kernel",
                    "1",
                    "`read` (a vector sum of one array), `triad` (STREAM's a = b + s·c, 24 B per element), `dot`, `axpy`, their f32 forms, and `amdahl stream` (DRAM)",
                ),
                field("scope", "1", "`core` (rank 0, one thread) or `node` (every thread of every rank on rank 0's node)"),
                field("bytes", "B", "working set (per core; the node's total for `node`)"),
                field("gbps", "GB/s", "best repetition"),
                field(
                    "spread",
                    "1",
                    "(best − worst) / best of its last batch of repetitions: batches run twice as long while it exceeds 0.05, at most 3 (`node`: one batch)",
                ),
            ],
            attributes: &[field("stability", "", "the widest spreads of the ceilings, in words, and any still above 0.05")],
        },
    ];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        // DRAM's working set also bounds the latency sweep that finds the levels: a short share
        // sweeps to 64 MiB.
        let dram = if share.k < 1.0 { "64M" } else { "256M" };
        Some(super::options(&["--dram-bytes", dram, "--gemm-n", "256", "--repeats", &share.count(2.0, 3.0)]))
    }

    fn common(args: &RooflineArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &RooflineArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &RooflineArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

struct ComputeRow {
    peak: Peak,
    scope: &'static str,
    /// GFLOP/s of the row: per core, or the node's sum.
    gflops: f64,
    /// What set the roof: the peak kernel, or a kernel that ran faster on the unit.
    source: String,
}

struct MemoryRow {
    level: String,
    kernel: String,
    scope: &'static str,
    bytes: u64,
    gbps: f64,
    /// (best − worst) / best of the repetitions behind `gbps`.
    spread: f64,
}

struct Point {
    kernel: String,
    level: String,
    bytes: u64,
    intensity: f64,
    gflops: f64,
    bound: f64,
    bound_by: String,
}

/// A memory level: where its kernels' data lives, and how that was found.
struct Level {
    name: String,
    bytes: u64,
    latency_ns: f64,
    reported: u64,
}

/// Accesses each size of the sweep chases at least (whole laps).
const SWEEP_ACCESSES: usize = 200_000;

/// The levels to measure, found on this machine rather than read from /sys (a hypervisor or
/// firmware can report a 480 MiB L3 that is not there): memlat's chase over working sets from
/// 4 KiB to 4× the largest reported cache (64 to 256 MiB, and no further than --dram-bytes), its plateaus faster than DRAM
/// (`kernels::memlat`), each cache at the largest size still on its plateau, then DRAM at --dram-bytes or 4× the
/// largest cache found (at least 64 MiB). Rank 0 measures; `Ok(None)` when a stop came first.
fn measured_levels(args: &RooflineArgs) -> Result<Option<(Vec<Level>, u64, usize)>, String> {
    use crate::kernels::memlat::{cache_levels, chase, cycle, plateaus, Node};
    let reported = Topology::host().cache_levels();
    let largest = reported.values().map(|c| c.0).max().unwrap_or(32 << 20);
    // No further than DRAM's working set when one is given: a cache as large is left out anyway.
    let sweep = (4 * largest).clamp(64 << 20, 256 << 20).min(args.dram_bytes.unwrap_or(u64::MAX)).max(4096);
    let mut points = Vec::new();
    for size in crate::mpi::message::sizes(4096, sweep) {
        let n = (size / std::mem::size_of::<Node>() as u64).max(1) as usize;
        let nodes = cycle(n, size);
        let laps = SWEEP_ACCESSES.div_ceil(n);
        let Some((end, ns)) = chase(&nodes, laps * n, &stopping) else { return Ok(None) };
        if end != 0 {
            return Err(format!("the latency sweep's chase over {size} B ended at node {end}, not where it started"));
        }
        points.push((size, ns));
    }
    let caches = cache_levels(&plateaus(&points, 1.3));
    let mut levels: Vec<Level> = caches
        .iter()
        .enumerate()
        .map(|(i, &(bytes, latency_ns))| {
            let name = format!("L{}", i + 1);
            let reported = reported.get(&(i as u32 + 1)).map_or(0, |c| c.0);
            Level { name, bytes, latency_ns, reported }
        })
        .collect();
    let last_cache = levels.last().map_or(0, |l| l.bytes);
    let dram = args.dram_bytes.unwrap_or((4 * last_cache).max(64 << 20));
    // A cache at least as large as DRAM's working set (a small --dram-bytes) cannot be measured
    // below it: it is left out, and the sentence says so.
    levels.retain(|l| l.bytes < dram);
    levels.push(Level { name: "DRAM".into(), bytes: dram, latency_ns: f64::NAN, reported: 0 });
    let left_out = caches.len() + 1 - levels.len();
    Ok(Some((levels, sweep, left_out)))
}

/// Whether a measured cache agrees with the size /sys reports for its level: it must fit in it,
/// and not be four times smaller.
fn agrees(level: &Level) -> bool {
    level.reported > 0 && level.bytes <= level.reported && 4 * level.bytes >= level.reported
}

/// Whether a stop signal arrived: rank 0's loops end early, and the phase's step records it.
fn stopping() -> bool {
    crate::run::signals::received().is_some()
}

/// Times `f` `repeats` times after one untimed call, each timing at least 5 ms of calls, in
/// batches twice as long while the repetitions spread more than 5 % (`stats::in_batches`): the
/// last batch's time per call. A stop signal ends the repetitions early: the run is then marked
/// incomplete, and `None` says it came before the first.
fn timed<T>(repeats: usize, mut f: impl FnMut() -> T) -> Option<(Batches, T)> {
    let t0 = mpi::time();
    let mut last = f();
    let calls = (0.005 / (mpi::time() - t0).max(1e-7)).ceil().max(1.0) as usize;
    let batches = in_batches::<()>(repeats, |scale| {
        if stopping() {
            return Ok(None);
        }
        let calls = calls * scale as usize;
        let t = mpi::time();
        for _ in 0..calls {
            last = black_box(f());
        }
        Ok(Some((mpi::time() - t) / calls as f64))
    });
    Some((batches.ok()??, last))
}

/// STREAM's triad on fresh arrays of `n` elements: b = 1, c = 2, s = 3, so every a is 7.
struct Triad {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Triad {
    /// Arrays of `n` elements, filled `in_pieces`; `None` as soon as a stop signal comes.
    fn until_stopped(n: usize) -> Option<Triad> {
        let mut t = Triad { a: Vec::with_capacity(n), b: Vec::with_capacity(n), c: Vec::with_capacity(n) };
        crate::kernels::in_pieces(n, stopping, |piece| {
            t.a.resize(piece.end, 0.0);
            t.b.resize(piece.end, 1.0);
            t.c.resize(piece.end, 2.0);
        })
        .then_some(t)
    }

    fn run(&mut self) {
        let stores = stream::Stores::by_size(8 * self.a.len());
        stream::triad(&mut self.a, &self.b, &self.c, 3.0, stores);
    }

    fn check(&self, what: &str) -> Result<(), String> {
        match self.a.iter().find(|&&v| v != 7.0) {
            Some(v) => Err(format!("{what}: triad gave {v}, not 7")),
            None => Ok(()),
        }
    }

    fn bytes(&self) -> f64 {
        24.0 * self.a.len() as f64
    }
}

/// A vector kernel at `bytes`, one thread: its median GFLOP/s and best GB/s, checked against
/// the scalar result; `None` when a stop signal cut it short.
fn vector_point<T: simd::Real>(
    kernel: Kernel,
    bytes: u64,
    repeats: usize,
    isa: Isa,
) -> Result<Option<(f64, f64, f64)>, String> {
    let size = std::mem::size_of::<T>();
    let n = (bytes as usize / (kernel.arrays() * size)).max(16);
    let Some((x, y)) = simd::operands::<T>(kernel, n, stopping) else { return Ok(None) };
    let mut z = vec![T::default(); if kernel == Kernel::Axpy { n } else { 0 }];
    let alpha = T::from_f64(0.75);
    // Each pass over DRAM-sized arrays takes about a tenth of a second: a stop is looked at
    // between them.
    let reference = simd::run(kernel, Variant::Scalar, isa, alpha, &x, &y, &mut z);
    let expected_z = z.clone();
    if stopping() {
        return Ok(None);
    }
    let tolerance = simd::tolerance(kernel, alpha, &x, &y);
    let Some((time, value)) =
        timed(repeats, || simd::run(kernel, Variant::Explicit, isa, alpha, black_box(&x), black_box(&y), &mut z))
    else {
        return Ok(None);
    };
    let error = if kernel == Kernel::Axpy {
        z.iter().zip(&expected_z).map(|(a, b)| (a.to_f64() - b.to_f64()).abs()).fold(0.0, f64::max)
    } else {
        (value.to_f64() - reference.to_f64()).abs()
    };
    if error.is_nan() || error > tolerance {
        return Err(format!(
            "{} {} at {bytes} B is {error:e} from the scalar result, beyond {tolerance:e}",
            kernel.name(),
            T::NAME
        ));
    }
    let flops = kernel.flops() * n as f64;
    let moved = (kernel.arrays() * size * n) as f64;
    Ok(Some((flops / time.summary.median / 1e9, moved / time.summary.min / 1e9, time.spread())))
}

/// An amdahl kernel's point: name, intensity, median GFLOP/s, best GB/s and its spread where it
/// moves memory.
type AmdahlPoint = (String, f64, f64, Option<(f64, f64)>);

/// amdahl's two kernels on one core: spin (multiply-add chains in registers: no memory traffic,
/// an intensity without bound) and stream (STREAM's triad over `dram` bytes). Each checked as
/// amdahl checks them: the checksum of a range does not depend on how it is split.
fn amdahl_points(dram: u64, repeats: usize) -> Result<Vec<AmdahlPoint>, String> {
    use crate::kernels::{spin::Spin, Work};
    let split_check = |name: &str, work: &dyn Work, n: u64| {
        let whole = work.run(0, 0..n);
        let halves = work.run(0, 0..n / 2).wrapping_add(work.run(0, n / 2..n));
        if whole == halves {
            Ok(())
        } else {
            Err(format!("amdahl {name}: the checksum of {n} iterations depends on how they are split"))
        }
    };
    let iterations = 2000;
    split_check("spin", &Spin, iterations)?;
    let Some((time, _)) = timed(repeats, || Spin.run(0, 0..iterations)) else { return Ok(Vec::new()) };
    let spin = Spin::FLOPS_PER_ITERATION as f64 * iterations as f64 / time.summary.median / 1e9;
    if stopping() {
        return Ok(Vec::new());
    }
    let triad = stream::Triad::new(1, dram);
    triad.init_slot(0);
    if stopping() {
        return Ok(Vec::new());
    }
    let blocks = stream::Triad::elements_for(dram) as u64 / stream::BLOCK as u64;
    split_check("stream", &triad, blocks)?;
    let Some((time, _)) = timed(repeats, || triad.run(0, 0..blocks)) else { return Ok(Vec::new()) };
    let stream_gflops = 2.0 * (blocks as usize * stream::BLOCK) as f64 / time.summary.median / 1e9;
    let bytes_per_flop = stream::BYTES_PER_ITERATION as f64 / (2 * stream::BLOCK) as f64;
    let stream_gbps = (stream::BYTES_PER_ITERATION * blocks) as f64 / time.summary.min / 1e9;
    Ok(vec![
        ("amdahl spin".into(), f64::INFINITY, spin, None),
        ("amdahl stream".into(), 1.0 / bytes_per_flop, stream_gflops, Some((stream_gbps, time.spread()))),
    ])
}

/// gemm at `n` on one core (naive loops, cache-blocked, BLAS), each checked: median GFLOP/s.
fn gemm_points(n: usize, repeats: usize) -> Result<Vec<(String, f64)>, String> {
    let (a, b) = (gemm::fill(1, 0..n, 0..n), gemm::fill(2, 0..n, 0..n));
    let mut c = vec![0.0; n * n];
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(|e| e.to_string())?;
    let previous = crate::machine::blas::set_threads(1);
    let mut rows = Vec::new();
    for name in ["gemm naive", "gemm blocked", "gemm blas"] {
        if stopping() {
            break;
        }
        let Some((time, ())) = timed(repeats, || match name {
            "gemm naive" => gemm::naive(&a, &b, &mut c, n, &|| false),
            "gemm blocked" => gemm::blocked(&a, &b, &mut c, n, &single, &|| false),
            _ => gemm::blas(&a, &b, &mut c, n, n, n),
        }) else {
            break;
        };
        let residual = gemm::residual(&a, &b, &c, n);
        if residual.is_nan() || residual > 16.0 {
            crate::machine::blas::set_threads(previous);
            return Err(format!("{name} at n = {n}: scaled residual {residual:e}, above HPL's 16"));
        }
        rows.push((name.to_string(), gemm::flops(n) / time.summary.median / 1e9));
    }
    crate::machine::blas::set_threads(previous);
    Ok(rows)
}

fn run(ctx: &RunContext, args: &RooflineArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let check_memory = |dram: u64| {
        ctx.check_node_memory(dram * 2, &format!("roofline --dram-bytes {dram}"), "give a smaller --dram-bytes")
    };
    if let Some(dram) = args.dram_bytes {
        check_memory(dram)?;
    }
    // 0. The levels, found by a latency sweep on rank 0; every rank needs DRAM's working set.
    let measured = ctx.agree(if ctx.is_root() { measured_levels(args) } else { Ok(None) }.map_err(Failure::failed))?;
    let mut dram = measured.as_ref().map_or(0, |(l, _, _)| l.last().expect("DRAM is always there").bytes);
    ctx.world.process_at_rank(0).broadcast_into(&mut dram);
    if let Some(signal) = ctx.stop_requested() {
        return Ok(Results { stopped: Some(recorder.stopped(signal, 0)), ..Results::complete(Vec::new()) });
    }
    check_memory(dram)?;
    let (level_rows, sweep, left_out) = measured.unwrap_or_default();
    let levels: Vec<(String, u64)> = level_rows.iter().map(|l| (l.name.clone(), l.bytes)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctx.threads)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {} threads: {e}", ctx.threads))?;
    let units = Unit::available();
    let widest = *units.last().expect("scalar is always there");
    let isa = Isa::detect();
    recorder.expect(3, "phases");
    // What is measured so far, as rank 0's tables (points come last).
    let so_far = |compute: &[ComputeRow], memory: &[MemoryRow]| {
        let t = if ctx.is_root() { tables(&[], compute, memory, &level_rows, (sweep, left_out), args) } else { Vec::new() };
        Results::complete(t)
    };

    // 1. Compute: every unit and precision on one core (rank 0), then the widest f64 on every
    // thread of every rank at once.
    let mut compute = Vec::new();
    let one_core: Result<(), String> = if ctx.is_root() {
        units.iter().flat_map(|&u| Precision::ALL.map(|p| (u, p))).take_while(|_| !stopping()).try_for_each(|(u, p)| {
            let peak = measure(u, p, args.repeats, None)?;
            compute.push(ComputeRow { gflops: peak.gflops, peak, scope: "core", source: "peak kernel".into() });
            Ok(())
        })
    } else {
        Ok(())
    };
    ctx.agree(one_core.map_err(Failure::failed))?;
    ctx.world.barrier();
    let busy = ctx.agree(measure(widest, Precision::F64, args.repeats, Some(&pool)).map_err(Failure::failed))?;
    let (mut sum_per_core, mut node_total) = (0.0, 0.0);
    ctx.world.all_reduce_into(&busy.gflops, &mut sum_per_core, SystemOperation::sum());
    ctx.node.all_reduce_into(&(busy.gflops * busy.threads as f64), &mut node_total, SystemOperation::sum());
    if ctx.is_root() {
        let per_core = sum_per_core / ctx.size as f64;
        let kernel = || "peak kernel".to_string();
        compute.push(ComputeRow {
            peak: Peak { gflops: per_core, ..busy.clone() },
            scope: "core, all busy",
            gflops: per_core,
            source: kernel(),
        });
        compute.push(ComputeRow { peak: busy.clone(), scope: "node", gflops: node_total, source: kernel() });
    }
    if let Some(signal) = recorder.step(ctx, 1, || so_far(&compute, &[]))? {
        // A stop signal cut the phase short: it does not count as done. The suite's deadline
        // waits for the first step, so at this one it finds the phase complete.
        let done = usize::from(signal == crate::run::signals::DEADLINE);
        return Ok(Results { stopped: Some(recorder.stopped(signal, done)), ..so_far(&compute, &[]) });
    }

    // 2. Memory: read and triad per level on one core; DRAM triad on every thread per node.
    let mut memory = Vec::new();
    let mut points = Vec::new();
    let one_core: Result<(), String> = if ctx.is_root() {
        levels.iter().take_while(|_| !stopping()).try_for_each(|(level, bytes)| {
            let Some((gflops, gbps, spread)) = vector_point::<f64>(Kernel::Sum, *bytes, args.repeats, isa)? else {
                return Ok(());
            };
            memory.push(MemoryRow { level: level.clone(), kernel: "read".into(), scope: "core", bytes: *bytes, gbps, spread });
            points.push((Kernel::Sum.name().to_string(), level.clone(), *bytes, Kernel::Sum.flops() / 8.0, gflops, widest, Precision::F64));
            // A stop is looked at between kernels too, and while each fills its arrays: at DRAM
            // sizes each kernel takes tenths of a second.
            let Some(mut triad) = Triad::until_stopped((*bytes as usize / 24).max(16)) else { return Ok(()) };
            let Some((time, ())) = timed(args.repeats, || triad.run()) else { return Ok(()) };
            triad.check(level)?;
            memory.push(MemoryRow {
                level: level.clone(),
                kernel: "triad".into(),
                scope: "core",
                bytes: *bytes,
                gbps: triad.bytes() / time.summary.min / 1e9,
                spread: time.spread(),
            });
            // STREAM's kernels run at the widest vector the CPU has (kernels::stream).
            let rate = 2.0 * triad.a.len() as f64 / time.summary.median / 1e9;
            points.push(("triad".into(), level.clone(), *bytes, 2.0 / 24.0, rate, widest, Precision::F64));
            // Every kernel's own bandwidth joins the level's candidates for its ceiling, so that no
            // kernel lands above the roof of its level (two streams outrun one).
            for kernel in [Kernel::Dot, Kernel::Axpy] {
                let Some((gflops, gbps, spread)) = vector_point::<f64>(kernel, *bytes, args.repeats, isa)? else {
                    return Ok(());
                };
                memory.push(MemoryRow { level: level.clone(), kernel: kernel.name().into(), scope: "core", bytes: *bytes, gbps, spread });
                let intensity = kernel.flops() / (8 * kernel.arrays()) as f64;
                points.push((kernel.name().into(), level.clone(), *bytes, intensity, gflops, widest, Precision::F64));
            }
            // f32: twice the numbers per byte, twice the lanes.
            for kernel in Kernel::ALL {
                let Some((gflops, gbps, spread)) = vector_point::<f32>(kernel, *bytes, args.repeats, isa)? else {
                    return Ok(());
                };
                let intensity = kernel.flops() / (4 * kernel.arrays()) as f64;
                let name = format!("{} f32", kernel.name());
                memory.push(MemoryRow { level: level.clone(), kernel: name.clone(), scope: "core", bytes: *bytes, gbps, spread });
                points.push((name, level.clone(), *bytes, intensity, gflops, widest, Precision::F32));
            }
            Ok(())
        })
    } else {
        Ok(())
    };
    ctx.agree(one_core.map_err(Failure::failed))?;
    let per_thread = (dram as usize / 24 / ctx.node.size() as usize / ctx.threads).max(16);
    // Cut short by a stop, they are never run: the first look of the loop below sees it.
    let mut triads: Vec<std::sync::Mutex<Triad>> =
        (0..ctx.threads).map_while(|_| Triad::until_stopped(per_thread)).map(std::sync::Mutex::new).collect();
    let mut times = Vec::new();
    let mut ran = 0;
    for rep in 0..=args.repeats {
        // World-wide, so that every rank leaves after the same repetition.
        if ctx.stop_requested().is_some() {
            break;
        }
        ctx.node.barrier();
        let t0 = mpi::time();
        pool.broadcast(|t| triads[t.index()].lock().expect("one thread per triad").run());
        let mut slowest = 0.0;
        ctx.node.all_reduce_into(&(mpi::time() - t0), &mut slowest, SystemOperation::max());
        ran += 1;
        if rep > 0 {
            times.push(slowest);
        }
    }
    // Arrays a stop left untouched are no answer to check; a node figure needs a timed repetition.
    if ran > 0 {
        let checked: Result<(), String> =
            triads.iter_mut().try_for_each(|t| t.get_mut().expect("not poisoned").check("DRAM, every thread"));
        ctx.agree(checked.map_err(Failure::failed))?;
    }
    if let (true, Some(time)) = (ctx.is_root(), crate::model::stats::Summary::of(&times)) {
        let node_bytes = 24.0 * (per_thread * ctx.threads * ctx.node.size() as usize) as f64;
        memory.push(MemoryRow {
            level: "DRAM".into(),
            kernel: "triad".into(),
            scope: "node",
            bytes: node_bytes as u64,
            gbps: node_bytes / time.min / 1e9,
            spread: time.spread(),
        });
    }
    drop(triads);
    if let Some(signal) = recorder.step(ctx, 2, || so_far(&compute, &memory))? {
        return Ok(Results { stopped: Some(recorder.stopped(signal, 1)), ..so_far(&compute, &memory) });
    }

    // 3. gemm at n on one core: naive loops, cache-blocked, BLAS.
    let n = args.gemm_n;
    let gemm_rows = if ctx.is_root() { gemm_points(n, args.repeats) } else { Ok(Vec::new()) };
    let gemm_rows = ctx.agree(gemm_rows.map_err(Failure::failed))?;
    let matrices = 3 * 8 * (n * n) as u64;
    let gemm_level = levels.iter().find(|(_, b)| *b >= matrices).map_or("DRAM".to_string(), |l| l.0.clone());
    for (name, gflops) in gemm_rows {
        let unit = match name.as_str() {
            "gemm naive" => Unit::Scalar,
            "gemm blocked" if Isa::Avx2.available() => Unit::Vector(Isa::Avx2),
            _ => widest,
        };
        points.push((name, gemm_level.clone(), matrices, gemm::flops(n) / matrices as f64, gflops, unit, Precision::F64));
    }
    let amdahl = if ctx.is_root() && !stopping() { amdahl_points(dram, args.repeats) } else { Ok(Vec::new()) };
    for (name, intensity, gflops, gbps) in ctx.agree(amdahl.map_err(Failure::failed))? {
        // spin keeps its chains in registers: no level; stream's arrays are DRAM-sized.
        let level = if intensity.is_finite() { "DRAM" } else { "registers" };
        let bytes = if intensity.is_finite() { dram } else { 0 };
        // Its own bandwidth joins DRAM's candidates, as every placed kernel's does.
        if let Some((gbps, spread)) = gbps {
            memory.push(MemoryRow { level: level.into(), kernel: name.clone(), scope: "core", bytes, gbps, spread });
        }
        points.push((name, level.into(), bytes, intensity, gflops, Unit::Scalar, Precision::F64));
    }

    // Each point under the bandwidth ceiling of its level and the peak of the unit it runs on. A
    // level's bandwidth ceiling is the best any of its kernels reached, so no point lies above
    // it. A peak was measured at another moment, and a busy machine can have slowed it: a point
    // more than 5 % above its unit's peak has that peak measured again with twice the repetitions,
    // and if the point still beats it, the point's rate is the roof (a ceiling a kernel beats is
    // no ceiling), recorded as `peak_source`. What no core can do fails the run below.
    let mut placed = place(&points, &compute, &memory);
    if ctx.is_root() {
        for (q, p) in points.iter().zip(&placed) {
            if !(p.gflops > ROOF_TOLERANCE * p.bound && p.bound_by.starts_with("compute")) {
                continue;
            }
            let Some(i) = compute.iter().position(|c| c.scope == "core" && c.peak.unit == q.5 && c.peak.precision == q.6)
            else {
                continue;
            };
            if compute[i].gflops < p.gflops {
                let again = measure(q.5, q.6, 2 * args.repeats, None).map_err(Failure::failed)?;
                if again.gflops > compute[i].gflops {
                    compute[i].peak.spread = again.spread;
                }
                compute[i].gflops = compute[i].gflops.max(again.gflops);
            }
            if compute[i].gflops < p.gflops {
                compute[i].gflops = p.gflops;
                compute[i].source = format!("{} (the peak kernel reached {:.3})", p.kernel, compute[i].peak.gflops);
            }
            compute[i].peak.gflops = compute[i].gflops;
        }
        placed = place(&points, &compute, &memory);
    }

    // A signal during the gemm points cut them short.
    let stop = ctx.stop_requested();
    // Roofs now bound every point; what they cannot absorb is a rate no core delivers, two FMA
    // pipes at `MAX_GHZ`: a wrong flop count or a wrong roof, and the run fails rather than
    // report it.
    let impossible = compute.iter().find(|c| c.scope != "node" && c.peak.ghz_equivalent() > MAX_GHZ);
    let above: Result<(), String> = match (placed.iter().find(|p| p.gflops > ROOF_TOLERANCE * p.bound), impossible) {
        (Some(p), _) => Err(format!(
            "check failed: {} in {} reaches {:.3} GFLOP/s, {:.0} % of its bound {:.3} ({}): a roof that does not bound",
            p.kernel,
            p.level,
            p.gflops,
            100.0 * p.gflops / p.bound,
            p.bound,
            p.bound_by
        )),
        (None, Some(c)) => Err(format!(
            "check failed: {} {} at {:.3} GFLOP/s per core ({}) would need a {:.1} GHz clock with two FMA pipes",
            c.peak.unit.name(),
            c.peak.precision.name(),
            c.gflops,
            c.source,
            c.peak.ghz_equivalent()
        )),
        (None, None) => Ok(()),
    };
    ctx.agree(above.map_err(Failure::failed))?;
    let tables =
        if ctx.is_root() { tables(&placed, &compute, &memory, &level_rows, (sweep, left_out), args) } else { Vec::new() };
    if let Some(t) = tables.first() {
        print!("{}", console::render(&tables[3]));
        println!("{}", levels_sentence(&level_rows, left_out));
        print!("{}", console::render(&tables[1]));
        print!("{}", console::render(&tables[2]));
        println!("{}", stability(&compute, &memory));
        print!("{}", console::render(t));
        let peak = compute
            .iter()
            .find(|c| c.scope == "core" && c.peak.unit == widest && c.peak.precision == Precision::F64)
            .map(|c| Ceiling { name: format!("{} f64", widest.name()), value: c.gflops });
        if let (Some(peak), Some(dram)) = (peak, level_ceiling(&memory, "DRAM")) {
            let dram = Ceiling { name: format!("DRAM {}", dram.kernel), value: dram.gbps };
            println!(
                "The ridge of one core: {} flop/B ({} at {} GFLOP/s over DRAM at {} GB/s); a kernel needs that many flops per byte to be compute bound.",
                console::format_number(ridge(&peak, &dram)),
                peak.name,
                console::format_number(peak.value),
                console::format_number(dram.value)
            );
        }
        println!("{}", lesson(&placed));
    }
    let mut results = Results::complete(tables);
    results.stopped = stop.map(|signal| recorder.stopped(signal, 2));
    Ok(results)
}

/// A point before it is placed: kernel, level, bytes, intensity, GFLOP/s, unit, precision.
type Raw = (String, String, u64, f64, f64, Unit, Precision);

/// Every point under the ceilings of its level and unit (points without both are left out).
fn place(points: &[Raw], compute: &[ComputeRow], memory: &[MemoryRow]) -> Vec<Point> {
    let peak_of = |unit: Unit, precision: Precision| {
        compute
            .iter()
            .find(|c| c.scope == "core" && c.peak.unit == unit && c.peak.precision == precision)
            .map(|c| Ceiling { name: format!("{} {}", unit.name(), precision.name()), value: c.gflops })
    };
    let mut placed = Vec::new();
    for (kernel, level, bytes, intensity, gflops, unit, precision) in points.iter().cloned() {
        // Data in registers meets no memory ceiling.
        let bandwidth = match level_ceiling(memory, &level) {
            Some(best) => Ceiling { name: format!("{level} {}", best.kernel), value: best.gbps },
            None if level == "registers" => Ceiling { name: "none".into(), value: f64::INFINITY },
            None => continue,
        };
        let Some(peak) = peak_of(unit, precision) else {
            continue;
        };
        let (bound_gflops, bound_by) = bound(intensity, &peak, &bandwidth);
        placed.push(Point { kernel, level, bytes, intensity, gflops, bound: bound_gflops, bound_by });
    }
    placed
}

/// A level's bandwidth ceiling on one core: the best of its kernels' figures (one core reaches
/// more bandwidth with two or three streams than with one).
fn level_ceiling<'a>(memory: &'a [MemoryRow], level: &str) -> Option<&'a MemoryRow> {
    memory.iter().filter(|m| m.level == level && m.scope == "core").max_by(|a, b| a.gbps.total_cmp(&b.gbps))
}

/// What the sweep found against what /sys reports, in words.
fn levels_sentence(levels: &[Level], left_out: usize) -> String {
    let caches: Vec<&Level> = levels.iter().filter(|l| l.name != "DRAM").collect();
    let mut parts: Vec<String> = caches
        .iter()
        .map(|l| {
            let measured = format!("{} up to {} ({} ns)", l.name, console::format_bytes(l.bytes as f64), console::format_number(l.latency_ns));
            match (l.reported, agrees(l)) {
                (0, _) => format!("{measured}, none reported"),
                (_, true) => format!("{measured}, within the {} reported", console::format_bytes(l.reported as f64)),
                (r, false) => format!("{measured}, where /sys reports {}: the report disagrees, and the working sets follow the measurement", console::format_bytes(r as f64)),
            }
        })
        .collect();
    if caches.is_empty() {
        parts.push("no cache plateau before DRAM".into());
    }
    if left_out > 0 {
        let dram = levels.last().map_or(0, |l| l.bytes);
        parts.push(format!(
            "{left_out} larger cache(s) left out, not smaller than DRAM's working set of {} (--dram-bytes)",
            console::format_bytes(dram as f64)
        ));
    }
    format!("Levels found by a latency sweep: {}.", parts.join("; "))
}

/// How far above its bound a point may land before its roof is measured again (noise).
const ROOF_TOLERANCE: f64 = 1.05;
/// No core clocks this high: a rate that needs more is a wrong count.
const MAX_GHZ: f64 = 8.0;

fn tables(
    points: &[Point],
    compute: &[ComputeRow],
    memory: &[MemoryRow],
    levels: &[Level],
    (sweep, left_out): (u64, usize),
    args: &RooflineArgs,
) -> Vec<Table> {
    let mut p = Table::new("roofline");
    p.column("kernel", "1", Values::Str(points.iter().map(|p| p.kernel.clone()).collect()))
        .column("level", "1", Values::Str(points.iter().map(|p| p.level.clone()).collect()))
        .column("bytes", "B", Values::U64(points.iter().map(|p| p.bytes).collect()))
        .column("intensity", "flop/B", Values::F64(points.iter().map(|p| p.intensity).collect()))
        .column("gflops", "GFLOP/s", Values::F64(points.iter().map(|p| p.gflops).collect()))
        .column("bound_gflops", "GFLOP/s", Values::F64(points.iter().map(|p| p.bound).collect()))
        .column("bound_by", "", Values::Str(points.iter().map(|p| p.bound_by.clone()).collect()))
        .column("fraction_of_bound", "1", Values::F64(points.iter().map(|p| p.gflops / p.bound).collect()));
    p.attr("repeats", AttrValue::U64(args.repeats as u64))
        .attr("gemm_n", AttrValue::U64(args.gemm_n as u64))
        .attr("validated", AttrValue::U64(1));
    let mut c = Table::new("roofline/compute");
    c.column("unit", "1", Values::Str(compute.iter().map(|r| r.peak.unit.name().to_string()).collect()))
        .column("precision", "1", Values::Str(compute.iter().map(|r| r.peak.precision.name().to_string()).collect()))
        .column("scope", "1", Values::Str(compute.iter().map(|r| r.scope.to_string()).collect()))
        .column("gflops", "GFLOP/s", Values::F64(compute.iter().map(|r| r.gflops).collect()))
        .column("chains", "1", Values::U64(compute.iter().map(|r| r.peak.unit.chains()).collect()))
        .column("lanes", "1", Values::U64(compute.iter().map(|r| r.peak.unit.lanes(r.peak.precision)).collect()))
        .column("ghz_equivalent", "GHz", Values::F64(compute.iter().map(|r| r.peak.ghz_equivalent()).collect()))
        .column("peak_source", "1", Values::Str(compute.iter().map(|r| r.source.clone()).collect()))
        .column("spread", "1", Values::F64(compute.iter().map(|r| r.peak.spread).collect()));
    let mut m = Table::new("roofline/memory");
    m.column("level", "1", Values::Str(memory.iter().map(|r| r.level.clone()).collect()))
        .column("kernel", "1", Values::Str(memory.iter().map(|r| r.kernel.clone()).collect()))
        .column("scope", "1", Values::Str(memory.iter().map(|r| r.scope.to_string()).collect()))
        .column("bytes", "B", Values::U64(memory.iter().map(|r| r.bytes).collect()))
        .column("gbps", "GB/s", Values::F64(memory.iter().map(|r| r.gbps).collect()))
        .column("spread", "1", Values::F64(memory.iter().map(|r| r.spread).collect()));
    m.attr("stability", AttrValue::Str(stability(compute, memory)));
    let mut l = Table::new("roofline/levels");
    l.column("level", "1", Values::Str(levels.iter().map(|l| l.name.clone()).collect()))
        .column("bytes", "B", Values::U64(levels.iter().map(|l| l.bytes).collect()))
        .column("latency_ns", "ns", Values::F64(levels.iter().map(|l| l.latency_ns).collect()))
        .column("reported_bytes", "B", Values::U64(levels.iter().map(|l| l.reported).collect()))
        .column("agrees", "1", Values::U64(levels.iter().map(|l| u64::from(agrees(l))).collect()));
    l.attr("sweep_bytes", AttrValue::U64(sweep)).attr("sentence", AttrValue::Str(levels_sentence(levels, left_out)));
    vec![p, c, m, l]
}

/// How steady the ceilings were: the widest spread of the peaks and of the bandwidths, and
/// every one still above `STABLE_SPREAD` after its batches.
fn stability(compute: &[ComputeRow], memory: &[MemoryRow]) -> String {
    let percent = |x: f64| format!("{:.1}", 100.0 * x);
    let peaks = compute.iter().map(|c| (format!("{} {} {}", c.peak.unit.name(), c.peak.precision.name(), c.scope), c.peak.spread));
    let bandwidths = memory.iter().map(|m| (format!("{} {} {}", m.level, m.kernel, m.scope), m.spread));
    let widest = |rows: Vec<(String, f64)>| {
        rows.into_iter().filter(|r| r.1.is_finite()).max_by(|a, b| a.1.total_cmp(&b.1)).map_or("-".to_string(), |(name, x)| format!("{} % ({name})", percent(x)))
    };
    let unsteady: Vec<String> = peaks
        .clone()
        .chain(bandwidths.clone())
        .filter(|r| r.1 > STABLE_SPREAD)
        .map(|(name, x)| format!("{name} {} %", percent(x)))
        .collect();
    let mut text = format!(
        "Stability: the repetitions of a peak spread at most {}, of a bandwidth at most {}; where a spread passed {} %, they ran again, twice as long, up to {} batches.",
        widest(peaks.collect()),
        widest(bandwidths.collect()),
        percent(STABLE_SPREAD),
        crate::model::stats::MAX_BATCHES
    );
    if !unsteady.is_empty() {
        text += &format!(" Still above it: {}: on this machine, read those figures as that uncertain.", unsteady.join(", "));
    }
    text
}

fn lesson(points: &[Point]) -> String {
    let mut lines: Vec<String> = points
        .iter()
        .map(|p| {
            format!(
                "{} in {} ({} flop/B): {} GFLOP/s, {}% of its bound, {}",
                p.kernel,
                p.level,
                console::format_number(p.intensity),
                console::format_number(p.gflops),
                console::format_number(100.0 * p.gflops / p.bound),
                p.bound_by
            )
        })
        .collect();
    lines.push(
        "Lesson: below the ridge (few flops per byte) the memory level sets the speed, and a faster core does not help; \
         above it only the vector unit does."
            .into(),
    );
    lines.join("\n")
}
