//! `parahpc comm`: what a message costs. Point-to-point latency and bandwidth between rank 0
//! and its nearest and farthest ranks (OSU style), Hockney's fit, optionally every pair's
//! latency, and the collectives. Every size is checked byte by byte before it is timed.

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::path::Path;

use crate::options::{CommonArgs, ThreadRequest};
use crate::model::hockney::{self, Hockney};
use crate::model::stats::Summary;
use crate::mpi::message::{self, first_mismatch};
use crate::mpi::paced::{self, Pacer};
use crate::mpi::requests::Window;
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, PerRankRows, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::{gib, RunContext};
use crate::run::failure::{Failure, Outcome};
use crate::run::progress::Progress;

use super::Experiment;

use args::CommArgs;

/// Message passing, measured: point-to-point latency and bandwidth, Hockney's fit, collectives.
pub struct Comm;

impl Experiment for Comm {
    const NAME: &'static str = "comm";
    type Args = CommArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Single;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "comm",
            about: "With --all-pairs, the latency matrix: one row per rank, gathered to rank 0.",
            datasets: &[field(
                "latency_matrix",
                "us",
                "ranks × ranks: median small-message latency between every pair, NaN on the diagonal",
            )],
            attributes: &[],
        },
        Group {
            path: "comm/pt2pt",
            about: "One row per pair and message size.",
            datasets: &[
                field("pair_kind", "1", "`intra-node` or `inter-node`"),
                field("src", "1", "the pair's first rank"),
                field("dst", "1", "the pair's second rank"),
                field("bytes", "B", "message size"),
                field("latency_us_min", "us", "ping-pong half round trip, fastest timed loop"),
                field("latency_us_median", "us", "ping-pong half round trip, median timed loop"),
                field("latency_us_max", "us", "ping-pong half round trip, slowest timed loop"),
                field("latency_us_p50", "us", "median of the sampled pass's round trips, each timed alone (OSU's -z; not the timed loop, so it can lie below latency_us_min)"),
                field("latency_us_p90", "us", "90th percentile of the sampled pass's round trips"),
                field("latency_us_p99", "us", "99th percentile of the sampled pass's round trips"),
                field("bandwidth_MBps", "MB/s", "uni-directional windowed bandwidth (10^6 B/s), median"),
                field("bibandwidth_MBps", "MB/s", "bi-directional bandwidth, both directions together, median"),
                field("window", "1", "messages in flight per window of the bandwidth loops at this size"),
                field("biwindow", "1", "messages in flight per window, each way, of the bi-directional loops"),
            ],
            attributes: &[
                field("iterations", "", "timed and warm-up iterations per size and loop: OSU's, or --iters/--warmup"),
                field("buffers", "", "where window messages go: `single`, `multiple` or `off-cache`, with details"),
                field("off_cache", "1", "1: every message from and into a cache-cold buffer (--off-cache)"),
                field("repeats", "1", "timed loops per size"),
                field("window_choice", "", "how each size's windows were chosen: measured, or fixed by --window"),
                field("validated", "1", "1: every byte was checked before timing"),
                field("latency_matrix_bytes", "B", "message size of the latency matrix"),
            ],
        },
        Group {
            path: "comm/hockney",
            about: "Hockney's model t = α + n/β fitted to each pair's ping-pong medians.",
            datasets: &[
                field("pair_kind", "1", "`intra-node` or `inter-node`"),
                field("src", "1", "the pair's first rank"),
                field("dst", "1", "the pair's second rank"),
                field("alpha_us", "us", "latency α"),
                field("beta_MBps", "MB/s", "asymptotic bandwidth β"),
                field("half_performance_bytes", "B", "n½ = α·β, the size below which latency dominates"),
            ],
            attributes: &[],
        },
        Group {
            path: "comm/collectives",
            about: "One row per collective and message size: per-call time, the slowest rank's average.",
            datasets: &[
                field("op", "1", "barrier, broadcast, reduce, allreduce, allgather or alltoall"),
                field("bytes", "B", "message size per rank"),
                field("ranks", "1", "ranks taking part"),
                field("time_us_min", "us", "fastest timed loop"),
                field("time_us_median", "us", "median timed loop"),
                field("time_us_max", "us", "slowest timed loop"),
            ],
            attributes: &[
                field("iterations", "1", "timed iterations for messages up to 8 KiB (--iters, default 1000)"),
                field("warmup", "1", "warm-up iterations (--warmup, default 100)"),
                field("repeats", "1", "timed loops per size"),
                field("validated", "1", "1: every result was checked before timing"),
                field("buffer_limit_bytes", "B", "allgather and alltoall stop at ranks × size beyond this"),
            ],
        },
    ];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        let max = if share.k < 0.5 { "64K" } else { "1M" };
        let mut o = super::options(&["--max-bytes", max, "--repeats", &share.count(6.0, 2.0)]);
        // OSU's counts (10 000 round trips a size) suit one node; a network 4× slower or worse
        // gets counts sized from its measured allreduce.
        if share.network < 0.25 {
            o.extend(super::options(&["--iters", &share.messages(1000.0, 10.0), "--warmup", &share.messages(100.0, 2.0)]));
        }
        Some(o)
    }

    fn not_applicable(ctx: &RunContext) -> Option<String> {
        (ctx.size < 2).then(|| {
            "comm measures messages between ranks and needs at least 2; launch it with mpirun -n 2 (or more)".into()
        })
    }

    fn common(args: &CommArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(_args: &CommArgs) -> ThreadRequest {
        ThreadRequest::Fixed(1, "single-threaded experiment")
    }

    fn run(ctx: &RunContext, args: &CommArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

const DATA: i32 = 1;
const ACK: i32 = 2;
/// Allgather and alltoall move ranks × size bytes per rank: sizes beyond this total are skipped.
const COLLECTIVE_BUFFER_LIMIT: u64 = 64 << 20;
/// Collectives' default iterations (fewer above 8 KiB) and warm-up, as OSU's.
const COLLECTIVE_ITERS: usize = 1000;
const COLLECTIVE_WARMUP: usize = 100;

/// Two ranks that exchange messages.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pair {
    src: usize,
    dst: usize,
    inter_node: bool,
}

impl Pair {
    fn kind(&self) -> &'static str {
        if self.inter_node {
            "inter-node"
        } else {
            "intra-node"
        }
    }
}

/// Rank 0 with its nearest rank (the lowest other rank on its node, if any) and its farthest
/// (the last rank, on another node in a multi-node job).
fn pairs(hostnames: &[String]) -> Vec<Pair> {
    let last = hostnames.len() - 1;
    let nearest = (1..hostnames.len()).find(|&r| hostnames[r] == hostnames[0]).unwrap_or(1);
    let mut v = vec![Pair { src: 0, dst: nearest, inter_node: hostnames[nearest] != hostnames[0] }];
    if last != nearest {
        v.push(Pair { src: 0, dst: last, inter_node: hostnames[last] != hostnames[0] });
    }
    v
}

/// The collectives, in the order they are measured.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Barrier,
    Broadcast,
    Reduce,
    Allreduce,
    Allgather,
    Alltoall,
}

const OPS: [Op; 6] = [Op::Barrier, Op::Broadcast, Op::Reduce, Op::Allreduce, Op::Allgather, Op::Alltoall];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Barrier => "barrier",
            Op::Broadcast => "broadcast",
            Op::Reduce => "reduce",
            Op::Allreduce => "allreduce",
            Op::Allgather => "allgather",
            Op::Alltoall => "alltoall",
        }
    }

    /// The message sizes this operation is measured at: a barrier carries none, reductions
    /// work on whole f64s, and the all-to-all patterns stay within the buffer limit.
    fn sizes(self, sizes: &[u64], ranks: usize) -> Vec<u64> {
        match self {
            Op::Barrier => vec![0],
            Op::Broadcast => sizes.iter().copied().filter(|&n| n >= 1).collect(),
            Op::Reduce | Op::Allreduce => sizes.iter().copied().filter(|&n| n >= 8).map(|n| n / 8 * 8).collect(),
            Op::Allgather | Op::Alltoall => {
                sizes.iter().copied().filter(|&n| n >= 1 && n * ranks as u64 <= COLLECTIVE_BUFFER_LIMIT).collect()
            }
        }
    }
}

/// Buffers allocated once, before any timing.
struct Buffers {
    /// The send buffer: a slot per window message with --buffers multiple, a ring with --off-cache.
    send: PageAligned<u8>,
    /// The receive buffer likewise, or the all-to-all receive buffer.
    recv: PageAligned<u8>,
    reduce_send: PageAligned<f64>,
    reduce_recv: PageAligned<f64>,
    ack: [u8; 1],
    /// Where a loop's messages go: one buffer, a buffer per window message, or rings.
    placement: Placement,
}

/// `len` zeroed elements starting on a page boundary, as OSU allocates its buffers
/// (`posix_memalign`): a large `Vec` starts 16 bytes into its page, which puts every message
/// across one more page and cache line than the peer's and costs bandwidth at 4–16 KiB.
struct PageAligned<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> PageAligned<T> {
    fn new(len: usize) -> Self {
        let pad = 4096 / std::mem::size_of::<T>();
        let storage = vec![T::default(); len + pad];
        let start = storage.as_ptr().align_offset(4096).min(pad);
        PageAligned { storage, start, len }
    }
}

impl<T> std::ops::Deref for PageAligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<T> std::ops::DerefMut for PageAligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Placement {
    /// Every message from and into the start of the buffers (OSU's `-b single`).
    Single,
    /// Message k of a window at slot k (OSU's `-b multiple`); ping-pong as single.
    Multiple,
    /// Message k of a loop at slot k mod slots of rings of `ring` bytes, twice the last-level
    /// cache: by the time a slot comes round again it has left the cache (IMB's -off_cache).
    Ring { ring: usize },
}

impl Buffers {
    /// Offset of message `k` of a loop (in a window, `k` counts across windows; `in_window` is its
    /// place within its window) of `n` bytes, in both buffers.
    fn offset(&self, k: usize, in_window: usize, n: usize) -> usize {
        match self.placement {
            Placement::Single => 0,
            Placement::Multiple => in_window * n,
            Placement::Ring { ring } => {
                // Whole pages apart, so that no two messages share a cache line or a page.
                let stride = n.next_multiple_of(4096).max(4096);
                (k % (ring / stride).max(1)) * stride
            }
        }
    }

    /// Offset of a receive: as `offset`, except that a window's receives never share bytes,
    /// even with --buffers single (the MPI standard calls overlapping pending receives
    /// erroneous; sends from one buffer are allowed since MPI-3.0, as OSU's single mode does).
    fn recv_offset(&self, k: usize, in_window: usize, n: usize) -> usize {
        match self.placement {
            Placement::Single => in_window * n,
            _ => self.offset(k, in_window, n),
        }
    }
}

fn seed(bytes: u64, salt: u64) -> u64 {
    bytes.wrapping_mul(0x9E37_79B9) ^ salt
}

/// One timed loop of ping-pong; returns the one-way time in µs (NaN when a stop cut it short),
/// and on the first rank pushes the one-way time of each round trip of a separate sampled pass
/// onto `samples` (OSU's -z), so that no clock is read inside the timed loop. Every loop is
/// paced (`mpi::paced`): on a slow network it looks at the stop flag at least every half second.
#[allow(clippy::too_many_arguments)]
fn ping_pong(
    world: &SimpleCommunicator,
    is_src: bool,
    peer: i32,
    n: usize,
    iters: usize,
    warmup: usize,
    b: &mut Buffers,
    samples: &mut Vec<f64>,
) -> f64 {
    let other = world.process_at_rank(peer);
    let mut agree = paced::with_peer(world, peer);
    let mut pacer = Pacer::default();
    let mut round_trip = |i: usize| {
        let at = b.offset(i, 0, n);
        if is_src {
            other.send_with_tag(&b.send[at..at + n], DATA);
            other.receive_into_with_tag(&mut b.recv[at..at + n], DATA);
        } else {
            other.receive_into_with_tag(&mut b.recv[at..at + n], DATA);
            other.send_with_tag(&b.send[at..at + n], DATA);
        }
    };
    let timed = pacer
        .run(warmup, &mut agree, &mut round_trip)
        .and_then(|_| pacer.run(iters, &mut agree, &mut |i| round_trip(warmup + i)));
    let Ok(seconds) = timed else { return f64::NAN };
    // The sampled pass: a quarter of the loop, at least 100 round trips where the loop has them.
    let sampled = (iters / 4).max(iters.min(100));
    let sample = &mut |i: usize| {
        let t0 = mpi::time();
        round_trip(warmup + iters + i);
        if is_src {
            samples.push((mpi::time() - t0) / 2.0 * 1e6);
        }
    };
    if pacer.run(sampled, &mut agree, sample).is_err() {
        return f64::NAN;
    }
    seconds / (2 * iters) as f64 * 1e6
}

/// One timed loop of windows of `window` messages, one way (`both`: both ways at once); returns
/// MB/s as the sender sees it (NaN when a stop cut it short).
#[allow(clippy::too_many_arguments)]
fn stream(
    world: &SimpleCommunicator,
    is_src: bool,
    peer: i32,
    n: usize,
    iters: usize,
    warmup: usize,
    window: usize,
    both: bool,
    win: &mut Window,
    b: &mut Buffers,
) -> f64 {
    let other = world.process_at_rank(peer);
    let mut agree = paced::with_peer(world, peer);
    let mut pacer = Pacer::default();
    let mut one_window = |i: usize| {
        let receives = both || !is_src;
        let sends = both || is_src;
        // SAFETY: nothing touches either buffer until wait_all below (or the window's drop); the
        // send buffer is only read, and no two pending receives share a byte (`recv_offset`).
        unsafe {
            if receives {
                for k in 0..window {
                    let at = b.recv_offset(i * window + k, k, n);
                    win.receive(world, &mut b.recv[at..at + n], peer, DATA);
                }
            }
            if sends {
                for k in 0..window {
                    let at = b.offset(i * window + k, k, n);
                    win.send(world, &b.send[at..at + n], peer, DATA);
                }
            }
        }
        win.wait_all();
        if !both {
            // The receiver says when the window has arrived.
            if is_src {
                other.receive_into_with_tag(&mut b.ack[..], ACK);
            } else {
                other.send_with_tag(&b.ack[..], ACK);
            }
        }
    };
    let timed = pacer
        .run(warmup, &mut agree, &mut one_window)
        .and_then(|_| pacer.run(iters, &mut agree, &mut |i| one_window(warmup + i)));
    let Ok(seconds) = timed else { return f64::NAN };
    let directions = if both { 2.0 } else { 1.0 };
    directions * (n * window * iters) as f64 / seconds / 1e6
}

/// The windows `choose_window` tries, deepest first (osu_bw's 64 is the deepest).
pub const WINDOWS: [usize; 4] = [64, 16, 4, 1];
/// Up to this footprint a deepest window's receive slots fit in any current core's L2, and the
/// deepest window is kept without a trial.
const CALIBRATE_FROM_BYTES: usize = 256 << 10;
/// Messages each candidate moves: 4 MiB, within 64 to 128 messages (a trial at 4 ms a message,
/// on a slow network, stays near a second).
const CALIBRATION_MESSAGES: std::ops::RangeInclusive<usize> = 64..=128;
const CALIBRATION_BYTES: usize = 4 << 20;

/// The window of `WINDOWS` that moves `n`-byte messages fastest on this pair, one way or both.
/// Every pending receive needs its own slot (overlapping ones are erroneous MPI), so a window of
/// 64 large messages spreads its receives over 64 × n bytes, out of cache, and a shallower window
/// can be faster; where that happens depends on the caches, so it is measured where the deepest
/// window's receives span more than `CALIBRATE_FROM_BYTES`. Each candidate moves
/// `CALIBRATION_BYTES` (within `CALIBRATION_MESSAGES`) after one window of warm-up; the sender's
/// rates decide and it tells the receiver.
#[allow(clippy::too_many_arguments)]
fn choose_window(
    world: &SimpleCommunicator,
    is_src: bool,
    peer: i32,
    n: usize,
    both: bool,
    win: &mut Window,
    b: &mut Buffers,
) -> usize {
    if WINDOWS[0] * n <= CALIBRATE_FROM_BYTES {
        return WINDOWS[0];
    }
    let messages = (CALIBRATION_BYTES / n).clamp(*CALIBRATION_MESSAGES.start(), *CALIBRATION_MESSAGES.end());
    let mut best = (0.0, WINDOWS[0]);
    for w in WINDOWS {
        let rate = stream(world, is_src, peer, n, messages.div_ceil(w), 1, w, both, win, b);
        // NaN (a stop cut the loop short) never wins; the caller's next look at the stop flag ends the size.
        if rate > best.0 {
            best = (rate, w);
        }
    }
    let other = world.process_at_rank(peer);
    let mut chosen = best.1 as u64;
    if is_src {
        other.send_with_tag(&chosen, ACK);
    } else {
        other.receive_into_with_tag(&mut chosen, ACK);
    }
    chosen as usize
}

/// Whether either rank of a pair received a stop signal: both learn it from one exchange, so
/// both leave their timed loops at the same point (the other ranks learn it after the pair).
fn pair_stopping(world: &SimpleCommunicator, peer: i32) -> bool {
    let other = world.process_at_rank(peer);
    let mine = crate::run::signals::received().unwrap_or(0);
    let mut theirs = 0;
    mpi::point_to_point::send_receive_into(&mine, &other, &mut theirs, &other);
    mine != 0 || theirs != 0
}

/// The check pass for one pair and size: a patterned message there and back, every byte checked.
fn check_pair(
    world: &SimpleCommunicator,
    is_src: bool,
    peer: i32,
    n: usize,
    corrupt: bool,
    b: &mut Buffers,
) -> Result<(), String> {
    let other = world.process_at_rank(peer);
    let (there, back) = (seed(n as u64, 1), seed(n as u64, 2));
    let check = |buf: &[u8], s: u64, from: i32| match first_mismatch(buf, s) {
        Some(at) => Err(format!("message of {n} B from rank {from}: byte {at} is wrong; the transfer corrupted it")),
        None => Ok(()),
    };
    if is_src {
        message::fill(&mut b.send[..n], there);
        other.send_with_tag(&b.send[..n], DATA);
        other.receive_into_with_tag(&mut b.recv[..n], DATA);
        check(&b.recv[..n], back, peer)
    } else {
        other.receive_into_with_tag(&mut b.recv[..n], DATA);
        if corrupt && n > 0 {
            b.recv[n - 1] ^= 0x40;
        }
        let verdict = check(&b.recv[..n], there, peer);
        message::fill(&mut b.send[..n], back);
        other.send_with_tag(&b.send[..n], DATA);
        verdict
    }
}

/// One collective call of `op` at `n` bytes.
fn call(world: &SimpleCommunicator, op: Op, n: usize, b: &mut Buffers) {
    let root = world.process_at_rank(0);
    let ranks = world.size() as usize;
    match op {
        Op::Barrier => world.barrier(),
        Op::Broadcast => root.broadcast_into(&mut b.send[..n]),
        Op::Reduce => {
            let count = n / 8;
            if world.rank() == 0 {
                root.reduce_into_root(&b.reduce_send[..count], &mut b.reduce_recv[..count], SystemOperation::sum());
            } else {
                root.reduce_into(&b.reduce_send[..count], SystemOperation::sum());
            }
        }
        Op::Allreduce => {
            let count = n / 8;
            world.all_reduce_into(&b.reduce_send[..count], &mut b.reduce_recv[..count], SystemOperation::sum());
        }
        Op::Allgather => world.all_gather_into(&b.send[..n], &mut b.recv[..n * ranks]),
        Op::Alltoall => world.all_to_all_into(&b.send[..n * ranks], &mut b.recv[..n * ranks]),
    }
}

/// The check pass for one collective and size: patterned inputs, every result checked.
fn check_collective(
    world: &SimpleCommunicator,
    op: Op,
    n: usize,
    corrupt: bool,
    b: &mut Buffers,
) -> Result<(), String> {
    let (rank, ranks) = (world.rank() as usize, world.size() as usize);
    let s = seed(n as u64, 3);
    let wrong = |what: String| Err(format!("{} of {n} B: {what}", op.name()));
    match op {
        Op::Barrier => {
            call(world, op, n, b);
            Ok(())
        }
        Op::Broadcast => {
            if rank == 0 {
                message::fill(&mut b.send[..n], s);
            }
            call(world, op, n, b);
            if corrupt && rank == 1 {
                b.send[n - 1] ^= 0x40;
            }
            match first_mismatch(&b.send[..n], s) {
                Some(at) => wrong(format!("byte {at} received by rank {rank} is wrong")),
                None => Ok(()),
            }
        }
        Op::Reduce | Op::Allreduce => {
            let count = n / 8;
            // Small integers: the sums are exact in f64, whatever the reduction order.
            for (k, x) in b.reduce_send[..count].iter_mut().enumerate() {
                *x = ((rank + 1) * (k % 1000 + 1)) as f64;
            }
            call(world, op, n, b);
            if op == Op::Reduce && rank != 0 {
                return Ok(());
            }
            let triangle = (ranks * (ranks + 1) / 2) as f64;
            match b.reduce_recv[..count].iter().enumerate().find(|(k, x)| **x != triangle * (k % 1000 + 1) as f64) {
                Some((k, x)) => {
                    wrong(format!("element {k} on rank {rank} is {x}, not {}", triangle * (k % 1000 + 1) as f64))
                }
                None => Ok(()),
            }
        }
        Op::Allgather => {
            message::fill(&mut b.send[..n], s ^ rank as u64);
            call(world, op, n, b);
            for from in 0..ranks {
                if let Some(at) = first_mismatch(&b.recv[from * n..(from + 1) * n], s ^ from as u64) {
                    return wrong(format!("byte {at} from rank {from}, on rank {rank}, is wrong"));
                }
            }
            Ok(())
        }
        Op::Alltoall => {
            for to in 0..ranks {
                message::fill(&mut b.send[to * n..(to + 1) * n], s ^ ((rank << 20) + to) as u64);
            }
            call(world, op, n, b);
            for from in 0..ranks {
                if let Some(at) = first_mismatch(&b.recv[from * n..(from + 1) * n], s ^ ((from << 20) + rank) as u64) {
                    return wrong(format!("byte {at} from rank {from}, on rank {rank}, is wrong"));
                }
            }
            Ok(())
        }
    }
}

/// One timed loop of `op`: the maximum over ranks of the per-call average, µs.
fn time_collective(
    world: &SimpleCommunicator,
    op: Op,
    n: usize,
    iters: usize,
    warmup: usize,
    b: &mut Buffers,
) -> Option<f64> {
    let mut agree = paced::with_all(world);
    let mut pacer = Pacer::default();
    world.barrier();
    pacer.run(warmup, &mut agree, &mut |_| call(world, op, n, b)).ok()?;
    world.barrier();
    let seconds = pacer.run(iters, &mut agree, &mut |_| call(world, op, n, b)).ok()?;
    let mine = seconds / iters as f64 * 1e6;
    let mut slowest = 0.0;
    world.all_reduce_into(&mine, &mut slowest, SystemOperation::max());
    Some(slowest)
}

/// Rows of the point-to-point table, on rank 0.
#[derive(Default)]
struct Pt2ptRows {
    kind: Vec<String>,
    src: Vec<u64>,
    dst: Vec<u64>,
    bytes: Vec<u64>,
    latency: Vec<Summary>,
    /// p50, p90 and p99 of the sampled pass's round trips.
    percentiles: Vec<[f64; 3]>,
    bandwidth: Vec<f64>,
    bibandwidth: Vec<f64>,
    /// The window of the bandwidth and of the bi-directional loops.
    windows: Vec<[usize; 2]>,
}

#[derive(Default)]
struct CollectiveRows {
    op: Vec<String>,
    bytes: Vec<u64>,
    time: Vec<Summary>,
}

fn summary(samples: &[f64]) -> Summary {
    Summary::of(samples).expect("at least one repeat")
}

/// The 50th, 90th and 99th percentiles (nearest rank) of `samples`; NaN when there are none.
fn percentiles(samples: &mut [f64]) -> [f64; 3] {
    samples.sort_by(f64::total_cmp);
    [0.50, 0.90, 0.99].map(|p| {
        let rank = (p * samples.len() as f64).ceil() as usize;
        samples.get(rank.saturating_sub(1)).copied().unwrap_or(f64::NAN)
    })
}

fn run(ctx: &RunContext, args: &CommArgs, recorder: &mut Recorder) -> Outcome<Results> {
    if args.min_bytes > args.max_bytes {
        return Err(Failure::usage(format!(
            "--min-bytes {} is larger than --max-bytes {}",
            args.min_bytes, args.max_bytes
        )));
    }
    if args.max_bytes > i32::MAX as u64 / args.max_window() as u64 {
        return Err(Failure::usage(format!(
            "--max-bytes {} × --window {} exceeds what one MPI call can address (2 GiB)",
            args.max_bytes,
            args.max_window()
        )));
    }
    let sizes = message::sizes(args.min_bytes, args.max_bytes);
    let pairs = pairs(&ctx.hostnames);
    let in_a_pair = pairs.iter().any(|p| p.src == ctx.rank || p.dst == ctx.rank);
    let max = args.max_bytes as usize;
    let collective_max = OPS.iter().flat_map(|op| op.sizes(&sizes, ctx.size)).map(|n| n as usize).max().unwrap_or(0);
    let gathered = collective_max * ctx.size;
    let placement = if args.off_cache {
        // Twice the last-level cache, and every message of a window a slot of its own.
        let llc = crate::machine::last_level_cache_bytes().unwrap_or(32 << 20) as usize;
        Placement::Ring { ring: (2 * llc).max(args.max_window() * max.next_multiple_of(4096)) }
    } else if args.buffers == args::Buffers::Multiple {
        Placement::Multiple
    } else {
        Placement::Single
    };
    // What the pair's loops reach: one message, a window's slots, or a ring and one more message.
    let (pair_send, pair_recv) = match placement {
        Placement::Single => (max, max * args.max_window()),
        Placement::Multiple => (max * args.max_window(), max * args.max_window()),
        Placement::Ring { ring } => (ring + max, ring + max),
    };
    // Only the two ranks of a pair need their loops' buffers; the matrix sends the smallest size.
    let other = gathered.max(sizes[0] as usize);
    let (send_len, recv_len) =
        if in_a_pair { (pair_send.max(gathered), pair_recv.max(gathered)) } else { (other, other) };
    let bytes = (send_len + recv_len) as u64 + 2 * args.max_bytes;
    ctx.check_node_memory(
        bytes,
        "comm",
        &format!("{:.2} GiB per rank: lower --max-bytes or --window, or drop --off-cache", gib(bytes)),
    )?;

    let mut b = Buffers {
        send: PageAligned::new(send_len),
        recv: PageAligned::new(recv_len),
        reduce_send: PageAligned::new(max / 8),
        reduce_recv: PageAligned::new(max / 8),
        ack: [0],
        placement,
    };
    let mut win = Window::new(2 * args.max_window());
    let validate = !args.no_validate;
    // Test hooks: the receiver of the point-to-point check pass flips a byte, or rank 1 flips a
    // byte a broadcast brought it.
    let (corrupt_message, corrupt_collective) =
        (crate::run::failure::injected("corrupt-message"), crate::run::failure::injected("corrupt-collective"));
    let world = &ctx.world;
    let matrix_pairs = if args.all_pairs { ctx.size * (ctx.size - 1) / 2 } else { 0 };
    let collective_steps: usize = OPS.iter().map(|op| op.sizes(&sizes, ctx.size).len()).sum();
    let steps = pairs.len() * sizes.len() + matrix_pairs + collective_steps;
    let progress = Progress::new("comm", steps as u64, ctx.is_root() && !args.common.quiet);
    recorder.expect(steps, "measurements");
    let mut stopped = None;
    let mut done = 0usize;
    let matrix_bytes = sizes[0] as usize;
    // The tables (rank 0's) and the latency matrix (once complete) of what is measured so far.
    let results = |p2p: &Pt2ptRows, coll: &CollectiveRows, matrix_row: &[f64], done: usize| {
        let tables = if ctx.is_root() {
            let (p2p_table, hockney_table, _) = point_to_point_tables(p2p, args, placement, matrix_bytes, validate);
            vec![p2p_table, hockney_table, collective_table(coll, ctx.size, args, validate)]
        } else {
            Vec::new()
        };
        let per_rank = if args.all_pairs && done >= pairs.len() * sizes.len() + matrix_pairs {
            vec![PerRankRows { group: "comm".into(), name: "latency_matrix", units: "us", row: matrix_row.to_vec() }]
        } else {
            Vec::new()
        };
        Results { tables, per_rank, stopped: None, verdict: None }
    };
    let mut coll = CollectiveRows::default();
    let mut matrix_row = vec![f64::NAN; ctx.size];

    // Point to point.
    let mut p2p = Pt2ptRows::default();
    'pairs: for pair in &pairs {
        let me = if ctx.rank == pair.src {
            Some((true, pair.dst))
        } else if ctx.rank == pair.dst {
            Some((false, pair.src))
        } else {
            None
        };
        for &size in &sizes {
            let n = size as usize;
            // OSU's counts for each loop, unless --iters or --warmup say otherwise.
            let count = |test| {
                let (iters, warmup) = message::osu_iterations(test, size);
                (args.iters.unwrap_or(iters), args.warmup.unwrap_or(warmup))
            };
            let (lat_iters, lat_warmup) = count(message::Loop::Latency);
            let (bw_iters, bw_warmup) = count(message::Loop::Bandwidth);
            let mut checked = Ok(());
            let (mut latency, mut bandwidth, mut bibandwidth) = (Vec::new(), Vec::new(), Vec::new());
            let mut samples = Vec::new();
            let mut windows = [0; 2];
            if let Some((is_src, peer)) = me {
                let peer = peer as i32;
                if validate {
                    checked = check_pair(world, is_src, peer, n, corrupt_message, &mut b);
                }
                for _ in 0..args.repeats {
                    if pair_stopping(world, peer) {
                        break;
                    }
                    latency.push(ping_pong(world, is_src, peer, n, lat_iters, lat_warmup, &mut b, &mut samples));
                }
                for both in [false, true] {
                    let w = args.window.unwrap_or_else(|| choose_window(world, is_src, peer, n, both, &mut win, &mut b));
                    windows[usize::from(both)] = w;
                    for _ in 0..args.repeats {
                        if pair_stopping(world, peer) {
                            break;
                        }
                        let rate = stream(world, is_src, peer, n, bw_iters, bw_warmup, w, both, &mut win, &mut b);
                        if both {
                            bibandwidth.push(rate)
                        } else {
                            bandwidth.push(rate)
                        }
                    }
                }
            }
            ctx.agree(checked.map_err(|e| Failure::failed(format!("validation failed: {e}"))))?;
            // The pair may have cut its loops short; a size cut short is dropped.
            if let Some(s) = ctx.stop_requested() {
                stopped = Some(s);
                break 'pairs;
            }
            progress.advance();
            if ctx.is_root() {
                p2p.kind.push(pair.kind().into());
                p2p.src.push(pair.src as u64);
                p2p.dst.push(pair.dst as u64);
                p2p.bytes.push(size);
                p2p.latency.push(summary(&latency));
                p2p.percentiles.push(percentiles(&mut samples));
                p2p.bandwidth.push(summary(&bandwidth).median);
                p2p.bibandwidth.push(summary(&bibandwidth).median);
                p2p.windows.push(windows);
            }
            done += 1;
            if let Some(s) = recorder.step(ctx, done, || results(&p2p, &coll, &matrix_row, done))? {
                stopped = Some(s);
                break 'pairs;
            }
        }
        progress.line(&format!(
            "ranks {} and {} ({}): {} sizes measured",
            pair.src,
            pair.dst,
            pair.kind(),
            sizes.len()
        ));
    }

    // Every pair's small-message latency: row r of the matrix is rank r's.
    if args.all_pairs && stopped.is_none() {
        'matrix: for i in 0..ctx.size {
            for j in i + 1..ctx.size {
                world.barrier();
                if ctx.rank == i || ctx.rank == j {
                    let peer = if ctx.rank == i { j } else { i };
                    // A tenth of a latency loop per pair: the matrix is about places, not digits.
                    let (iters, warmup) = message::osu_iterations(message::Loop::Latency, matrix_bytes as u64);
                    let (iters, warmup) = (args.iters.unwrap_or(iters / 10).max(10), args.warmup.unwrap_or(warmup / 10));
                    matrix_row[peer] = ping_pong(
                        world,
                        ctx.rank == i,
                        peer as i32,
                        matrix_bytes,
                        iters,
                        warmup,
                        &mut b,
                        &mut Vec::new(),
                    );
                }
                progress.advance();
                done += 1;
                if let Some(s) = recorder.step(ctx, done, || results(&p2p, &coll, &matrix_row, done))? {
                    stopped = Some(s);
                    break 'matrix;
                }
            }
        }
        progress.line(&format!("latency between all {matrix_pairs} pairs measured"));
    }

    // Collectives.
    if stopped.is_none() {
        'ops: for op in OPS {
            for size in op.sizes(&sizes, ctx.size) {
                let n = size as usize;
                // As OSU's collective benchmarks: 1000 iterations (fewer for large messages) and 100
                // warm-up, unless given.
                let iters = args.iters.unwrap_or_else(|| message::iterations(size * ctx.size as u64, COLLECTIVE_ITERS));
                let warmup = args.warmup.unwrap_or(COLLECTIVE_WARMUP).min(iters);
                let checked =
                    if validate { check_collective(world, op, n, corrupt_collective, &mut b) } else { Ok(()) };
                ctx.agree(checked.map_err(|e| Failure::failed(format!("validation failed: {e}"))))?;
                let mut times = Vec::with_capacity(args.repeats);
                for _ in 0..args.repeats {
                    if let Some(s) = ctx.stop_requested() {
                        stopped = Some(s);
                        break 'ops;
                    }
                    match time_collective(world, op, n, iters, warmup, &mut b) {
                        Some(t) => times.push(t),
                        None => {
                            stopped = ctx.stop_requested();
                            break 'ops;
                        }
                    }
                }
                progress.advance();
                if ctx.is_root() {
                    coll.op.push(op.name().into());
                    coll.bytes.push(size);
                    coll.time.push(summary(&times));
                }
                done += 1;
                if let Some(s) = recorder.step(ctx, done, || results(&p2p, &coll, &matrix_row, done))? {
                    stopped = Some(s);
                    break 'ops;
                }
            }
            progress.line(&format!("{} measured", op.name()));
        }
    }
    drop(progress);

    let mut results = results(&p2p, &coll, &matrix_row, done);
    if ctx.is_root() {
        for table in &results.tables {
            println!("{}:", table.name);
            print!("{}", console::render(table));
        }
        println!("{}", point_to_point_tables(&p2p, args, placement, matrix_bytes, validate).2);
    }
    results.stopped = stopped.map(|s| recorder.stopped(s, done));
    Ok(results)
}

/// The point-to-point table, the Hockney table and the lesson, from rank 0's rows.
fn point_to_point_tables(
    r: &Pt2ptRows,
    args: &CommArgs,
    b_placement: Placement,
    matrix_bytes: usize,
    validate: bool,
) -> (Table, Table, String) {
    let mut t = Table::new("comm/pt2pt");
    t.column("pair_kind", "1", Values::Str(r.kind.clone()))
        .column("src", "1", Values::U64(r.src.clone()))
        .column("dst", "1", Values::U64(r.dst.clone()))
        .column("bytes", "B", Values::U64(r.bytes.clone()))
        .column("latency_us_min", "us", Values::F64(r.latency.iter().map(|s| s.min).collect()))
        .column("latency_us_median", "us", Values::F64(r.latency.iter().map(|s| s.median).collect()))
        .column("latency_us_max", "us", Values::F64(r.latency.iter().map(|s| s.max).collect()))
        .column("latency_us_p50", "us", Values::F64(r.percentiles.iter().map(|p| p[0]).collect()))
        .column("latency_us_p90", "us", Values::F64(r.percentiles.iter().map(|p| p[1]).collect()))
        .column("latency_us_p99", "us", Values::F64(r.percentiles.iter().map(|p| p[2]).collect()))
        .column("bandwidth_MBps", "MB/s", Values::F64(r.bandwidth.clone()))
        .column("bibandwidth_MBps", "MB/s", Values::F64(r.bibandwidth.clone()))
        .column("window", "1", Values::U64(r.windows.iter().map(|w| w[0] as u64).collect()))
        .column("biwindow", "1", Values::U64(r.windows.iter().map(|w| w[1] as u64).collect()));
    let counts = match (args.iters, args.warmup) {
        (None, None) => "OSU's: latency 10000 (+100 warm-up) up to 8 KiB, 1000 (+10) above; bandwidth 100 (+10) and 20 (+2)".to_string(),
        (i, w) => format!(
            "{} timed, {} warm-up, at every size",
            i.map_or("OSU's".to_string(), |i| i.to_string()),
            w.map_or("OSU's".to_string(), |w| w.to_string())
        ),
    };
    let buffers = match b_placement {
        Placement::Single => "single: one send and one receive buffer for every message (OSU's -b single)".to_string(),
        Placement::Multiple => "multiple: a buffer per window message (OSU's -b multiple)".to_string(),
        Placement::Ring { ring } => format!("off-cache: rings of {ring} B, every message in the next slot (IMB's -off_cache)"),
    };
    t.attr("iterations", AttrValue::Str(counts))
        .attr("buffers", AttrValue::Str(buffers))
        .attr("off_cache", AttrValue::U64(u64::from(matches!(b_placement, Placement::Ring { .. }))))
        .attr("repeats", AttrValue::U64(args.repeats as u64))
        .attr(
            "window_choice",
            AttrValue::Str(match args.window {
                Some(w) => format!("--window {w} at every size"),
                None => format!(
                    "the fastest of {WINDOWS:?} at each size where {} messages span more than {CALIBRATE_FROM_BYTES} B, \
                     each moving {CALIBRATION_BYTES} B within {CALIBRATION_MESSAGES:?} messages; {} below",
                    WINDOWS[0], WINDOWS[0]
                ),
            }),
        )
        .attr("validated", AttrValue::U64(validate as u64))
        .attr("latency_matrix_bytes", AttrValue::U64(matrix_bytes as u64));

    // One Hockney fit per pair, over its ping-pong medians.
    let mut h = Table::new("comm/hockney");
    let (mut kind, mut src, mut dst, mut alpha, mut beta, mut half) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut lessons = Vec::new();
    let mut start = 0;
    while start < r.src.len() {
        let end = (start..r.src.len()).find(|&i| r.dst[i] != r.dst[start]).unwrap_or(r.src.len());
        let points: Vec<(f64, f64)> = (start..end).map(|i| (r.bytes[i] as f64, r.latency[i].median)).collect();
        let fit = hockney::fit(&points).unwrap_or(Hockney { alpha_us: f64::NAN, beta_mbps: f64::NAN });
        kind.push(r.kind[start].clone());
        src.push(r.src[start]);
        dst.push(r.dst[start]);
        alpha.push(fit.alpha_us);
        beta.push(fit.beta_mbps);
        half.push(fit.half_performance_bytes());
        lessons.push(format!(
            "ranks {}–{} ({}): α = {} µs, β = {} MB/s, n½ = {} B",
            r.src[start],
            r.dst[start],
            r.kind[start],
            console::format_number(fit.alpha_us),
            console::format_number(fit.beta_mbps),
            console::format_number(fit.half_performance_bytes())
        ));
        start = end;
    }
    h.column("pair_kind", "1", Values::Str(kind))
        .column("src", "1", Values::U64(src))
        .column("dst", "1", Values::U64(dst))
        .column("alpha_us", "us", Values::F64(alpha))
        .column("beta_MBps", "MB/s", Values::F64(beta))
        .column("half_performance_bytes", "B", Values::F64(half));
    let lesson = format!(
        "Hockney fit t = α + n/β: {}. A message costs its latency α whatever its size: below n½ bytes latency dominates, so send fewer, larger messages.",
        lessons.join("; ")
    );
    (t, h, lesson)
}

fn collective_table(r: &CollectiveRows, ranks: usize, args: &CommArgs, validate: bool) -> Table {
    let mut t = Table::new("comm/collectives");
    t.column("op", "1", Values::Str(r.op.clone()))
        .column("bytes", "B", Values::U64(r.bytes.clone()))
        .column("ranks", "1", Values::U64(vec![ranks as u64; r.op.len()]))
        .column("time_us_min", "us", Values::F64(r.time.iter().map(|s| s.min).collect()))
        .column("time_us_median", "us", Values::F64(r.time.iter().map(|s| s.median).collect()))
        .column("time_us_max", "us", Values::F64(r.time.iter().map(|s| s.max).collect()));
    t.attr("iterations", AttrValue::U64(args.iters.unwrap_or(COLLECTIVE_ITERS) as u64))
        .attr("warmup", AttrValue::U64(args.warmup.unwrap_or(COLLECTIVE_WARMUP) as u64))
        .attr("repeats", AttrValue::U64(args.repeats as u64))
        .attr("validated", AttrValue::U64(validate as u64))
        .attr("buffer_limit_bytes", AttrValue::U64(COLLECTIVE_BUFFER_LIMIT));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nearest_and_farthest_partners() {
        assert_eq!(pairs(&hosts(&["a", "a"])), [Pair { src: 0, dst: 1, inter_node: false }]);
        assert_eq!(
            pairs(&hosts(&["a", "a", "a"])),
            [Pair { src: 0, dst: 1, inter_node: false }, Pair { src: 0, dst: 2, inter_node: false }]
        );
        // Two nodes: an intra-node and an inter-node pair.
        assert_eq!(
            pairs(&hosts(&["a", "a", "b", "b"])),
            [Pair { src: 0, dst: 1, inter_node: false }, Pair { src: 0, dst: 3, inter_node: true }]
        );
        // Alone on its node: the nearest partner is on another node.
        assert_eq!(pairs(&hosts(&["a", "b"])), [Pair { src: 0, dst: 1, inter_node: true }]);
    }

    #[test]
    fn collective_sizes_fit_each_operation() {
        let sizes = message::sizes(1, 1 << 20);
        assert_eq!(Op::Barrier.sizes(&sizes, 4), [0]);
        assert_eq!(Op::Reduce.sizes(&sizes, 4)[0], 8);
        assert!(Op::Alltoall.sizes(&sizes, 128).iter().all(|&n| n * 128 <= COLLECTIVE_BUFFER_LIMIT));
        assert_eq!(Op::Broadcast.sizes(&sizes, 4).len(), sizes.len());
    }
}
