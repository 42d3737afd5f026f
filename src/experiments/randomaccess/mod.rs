//! `parahpc randomaccess`: HPCC's RandomAccess (GUPS) in its three scopes (Single, Star, MPI),
//! then GUP/s against the table size beside the memory latency, and the MPI scope's GUP/s
//! against the updates a rank holds before sending (the message rate).

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::datatype::{Partition, PartitionMut};
use mpi::traits::*;
use std::path::Path;

use crate::kernels::memlat;
use crate::kernels::randomaccess::{self as ra, Distribution, Lanes, Method, LANES, MAX_LOOKAHEAD};
use crate::mpi::collective::displacements;
use crate::mpi::paced::{self, Pacer};
use crate::options::{CommonArgs, ThreadRequest};
use crate::output::console::{self, format_bytes as bytes};
use crate::output::schema::{field, Group};
use crate::output::{AttrValue, Recorder, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::{MethodChoice, RandomaccessArgs};

/// HPCC's RandomAccess: GUP/s per scope, against the table size and against the look-ahead.
pub struct Randomaccess;

impl Experiment for Randomaccess {
    const NAME: &'static str = "randomaccess";
    type Args = RandomaccessArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Single;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "randomaccess",
            about: "One row per scope, as HPCC reports them: `single`, `star`, `mpi`.",
            datasets: &[
                field("scope", "1", "`single` (rank 0 alone), `star` (every rank alone at once), `mpi` (one table over all ranks)"),
                field("ranks", "1", "ranks that updated"),
                field("table_bytes", "B", "the table: per rank for single and star, all ranks together for mpi"),
                field("updates_goal", "1", "4 × the table's words (per rank for star), HPCC's count"),
                field("updates", "1", "updates made: fewer than the goal where --time-bound ended them"),
                field("seconds", "s", "time of the updates (MPI_Wtime; for mpi between barriers)"),
                field("gups", "GUP/s", "10^9 updates per second (star: the mean over ranks, as HPCC's StarRandomAccess)"),
                field("gups_min", "GUP/s", "star: the slowest rank; the others: gups"),
                field("gups_max", "GUP/s", "star: the fastest rank; the others: gups"),
                field("errors", "1", "table words wrong after the same updates were applied again (HPCC's verification)"),
                field("error_fraction", "1", "errors over the table's words; above 0.01 fails the run"),
                field("lookahead", "1", "mpi: updates a rank held before sending; 0 for single and star"),
            ],
            attributes: &[
                field("method", "1", "the local kernel: `lanes` (HPCC's loop) or `prefetch`"),
                field("method_choice", "", "how it was chosen: `measured` (both timed on rank 0's table, the faster kept) or `given`"),
                field("method_gain", "1", "measured: the slower kernel's time over the faster's; 1 when given"),
                field("time_bound_s", "s", "the longest a scope may run (--time-bound)"),
                field("huge_pages", "", "transparent huge pages for the tables: `always`, `madvise` (asked for), or `never`"),
                field("validated", "1", "1: every scope's table was restored by applying its updates again, within 1 %"),
            ],
        },
        Group {
            path: "randomaccess/sizes",
            about: "Rank 0 alone, one row per table size: GUP/s beside memlat's latency for the same working set.",
            datasets: &[
                field("table_bytes", "B", "the table"),
                field("updates", "1", "updates made in the point's time"),
                field("gups", "GUP/s", "10^9 updates per second"),
                field("latency_ns", "ns", "memlat's dependent-load latency over a working set of the same size (NaN: not measured, it would not fit)"),
                field("in_flight", "1", "gups × latency_ns: updates in flight at once (Little's law)"),
            ],
            attributes: &[field("seconds", "s", "time each point ran (--sweep-seconds)")],
        },
        Group {
            path: "randomaccess/message_rate",
            about: "The MPI scope, one row per look-ahead (2 ranks or more): the message-rate limit.",
            datasets: &[
                field("lookahead", "1", "updates each rank generated before the exchange"),
                field("updates_per_message", "1", "mean updates in one rank's message to another (lookahead / ranks)"),
                field("updates", "1", "updates made by all ranks in the point's time"),
                field("seconds", "s", "time between barriers"),
                field("gups", "GUP/s", "10^9 updates per second, all ranks"),
                field("messages_per_s", "1/s", "messages sent per second per rank (one to every other rank per exchange)"),
            ],
            attributes: &[field("exchange", "", "how updates travel: MPI_Alltoall of the counts, then MPI_Alltoallv of the updates")],
        },
    ];

    fn suite_options(share: &super::Share, ranks: usize) -> Option<Vec<String>> {
        // About 1.5 s of updates per scope and 0.2 s per sweep point at k = 1, on a 64 MiB
        // table per rank (DRAM-sized on the development VMs).
        let table = format!("{}M", 64 * ranks.next_power_of_two());
        let bound = format!("{:.2}s", (1.5 * share.k).clamp(0.2, 30.0));
        let sweep = format!("{:.3}s", (0.2 * share.k).clamp(0.02, 2.0));
        Some(super::options(&["--table-bytes", &table, "--time-bound", &bound, "--sweep-seconds", &sweep]))
    }

    fn common(args: &RandomaccessArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(_args: &RandomaccessArgs) -> ThreadRequest {
        ThreadRequest::Fixed(1, "single-threaded, as HPCC's RandomAccess")
    }

    fn refuse(args: &RandomaccessArgs, ctx: &RunContext) -> Option<String> {
        if args.lookahead == 0 || args.lookahead > MAX_LOOKAHEAD {
            return Some(format!(
                "--lookahead {}: HPCC's rules allow 1 to {MAX_LOOKAHEAD} updates held before sending",
                args.lookahead
            ));
        }
        if args.time_bound <= 0.0 {
            return Some("--time-bound must be positive".to_string());
        }
        tables_for(ctx, args).err()
    }

    fn run(ctx: &RunContext, args: &RandomaccessArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// HPCC's verification limit: more wrong words than this fraction of the table fails the run.
const MAX_ERROR_FRACTION: f64 = 0.01;
/// Rounds of the 128 lanes between two looks at the clock and the stop flag (128 Ki updates).
const PIECE: u64 = 1024;
/// The smallest table: 512 words, so that 4·N updates fill whole rounds of the lanes.
const MIN_TABLE_BYTES: u64 = 4096;
/// Loads of the latency chase at each size of the sweep.
const CHASE_LOADS: usize = 1 << 20;

/// One scope's row.
struct Scope {
    name: &'static str,
    ranks: usize,
    table_bytes: u64,
    goal: u64,
    updates: u64,
    seconds: f64,
    gups: [f64; 3],
    errors: u64,
    words: u64,
    lookahead: usize,
}

/// A table of 64-bit words, in transparent huge pages where the kernel gives them on request:
/// a scattered update then misses the TLB far less often.
fn table(words: usize) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::with_capacity(words);
    crate::machine::advise_huge_pages(v.as_mut_ptr() as *mut u8, words * 8);
    v.resize(words, 0);
    v
}

/// Runs `lanes` for up to `rounds` rounds on `table`, in pieces, until they are done,
/// `seconds` have passed, or a stop signal: (rounds run, seconds taken, stopped).
fn local_run(table: &mut [u64], lanes: &mut Lanes, rounds: u64, method: Method, seconds: f64) -> (u64, f64, bool) {
    let t0 = mpi::time();
    let mut done = 0;
    while done < rounds {
        if crate::run::signals::received().is_some() {
            return (done, mpi::time() - t0, true);
        }
        let piece = PIECE.min(rounds - done);
        lanes.run(table, piece, method);
        done += piece;
        if mpi::time() - t0 >= seconds {
            break;
        }
    }
    (done, mpi::time() - t0, false)
}

/// One local run of 4·N updates (at least `least`) on `table`, bounded by `seconds`, then
/// verified: the same updates applied again must restore it. Returns (updates, seconds,
/// errors), or None for a stop (the table then holds anything).
fn verified_local(table: &mut [u64], least: u64, method: Method, seconds: f64) -> Option<(u64, f64, u64)> {
    let n = table.len() as u64;
    let updates = (4 * n).max(least).next_multiple_of(LANES as u64);
    let mut lanes = Lanes::new(0, updates);
    let (rounds, took, stopped) = local_run(table, &mut lanes, updates / LANES as u64, method, seconds);
    // The replay takes as long as the run: a stop is looked at on the way.
    let abandon = || crate::run::signals::received().is_some();
    if stopped || !ra::replay(table, 0, updates, rounds, &abandon) {
        return None;
    }
    Some((rounds * LANES as u64, took, ra::errors(table, 0)))
}

/// Which local kernel runs faster on rank 0's table: each timed twice, alternating, on 0.05 s
/// of updates; the table is restored after each. (method, slower / faster).
fn choose_method(table: &mut [u64]) -> Result<(Method, f64), String> {
    let mut best = [f64::INFINITY; 2];
    for _ in 0..2 {
        for (k, method) in Method::ALL.into_iter().enumerate() {
            let Some((updates, took, errors)) = verified_local(table, 0, method, 0.05) else {
                return Ok((Method::Lanes, 1.0));
            };
            if errors != 0 {
                return Err(format!("the {} kernel left {errors} wrong words in a trial", method.name()));
            }
            best[k] = best[k].min(took / updates as f64);
        }
    }
    let k = usize::from(best[1] < best[0]);
    Ok((Method::ALL[k], best[1 - k] / best[k]))
}

/// A test hook's losses in the MPI scope's timed run: every 50th update a rank receives
/// (`lose-updates`), or only the first each rank receives (`lose-one-update`).
#[derive(Clone, Copy, PartialEq)]
enum Lose {
    None,
    Many,
    One,
}

/// What one MPI run did: rounds, this rank's updates, seconds between barriers, stopped.
struct MpiRun {
    rounds: usize,
    updates: u64,
    seconds: f64,
    stopped: Option<i32>,
}

/// The MPI scope's updates on `local` (this rank's part of `dist`), `lookahead` per round: each
/// rank generates its next updates from its own place in the stream, applies its own, and
/// sends the others to their owners (counts by MPI_Alltoall, updates by MPI_Alltoallv). Runs
/// `rounds` rounds at most, fewer when `seconds` pass; every rank leaves after the same round.
fn mpi_run(
    ctx: &RunContext,
    local: &mut [u64],
    dist: &Distribution,
    lookahead: usize,
    rounds: usize,
    seconds: f64,
    lose: Lose,
) -> MpiRun {
    let (me, ranks) = (ctx.rank as u64, ctx.size);
    let mine = 4 * dist.len(me);
    let (start, mask) = (dist.start(me), dist.n - 1);
    let mut ran = ra::starts(4 * start);
    let mut router = ra::Router::new(ranks, lookahead);
    let mut recv = Vec::new();
    let (mut send_counts, mut recv_counts) = (vec![0i32; ranks], vec![0i32; ranks]);
    let mut received = 0u64;
    let mut round = |i: usize| {
        let count = mine.saturating_sub((i * lookahead) as u64).min(lookahead as u64) as usize;
        router.route(&mut ran, count, dist, me, local);
        send_counts.iter_mut().zip(&router.counts).for_each(|(s, &c)| *s = c as i32);
        ctx.world.all_to_all_into(&send_counts[..], &mut recv_counts[..]);
        let (send_displs, recv_displs) = (displacements(&send_counts), displacements(&recv_counts));
        recv.resize(recv_counts.iter().sum::<i32>() as usize, 0u64);
        ctx.world.all_to_all_varcount_into(
            &Partition::new(&router.send[..], &send_counts[..], &send_displs[..]),
            &mut PartitionMut::new(&mut recv[..], &recv_counts[..], &recv_displs[..]),
        );
        match lose {
            Lose::None => ra::apply(local, start, mask, &recv),
            Lose::Many => {
                let mut kept = Vec::with_capacity(recv.len());
                for &r in &recv {
                    if !received.is_multiple_of(50) {
                        kept.push(r);
                    }
                    received += 1;
                }
                ra::apply(local, start, mask, &kept);
            }
            Lose::One => {
                let skip = usize::from(received == 0 && !recv.is_empty());
                received += skip as u64;
                ra::apply(local, start, mask, &recv[skip..]);
            }
        }
    };
    // Rounds in chunks: between two, the ranks agree on the stop flag and on the time so far,
    // and a chunk after which `seconds` have passed is the last (`TIME_UP`).
    const TIME_UP: i32 = i32::MAX;
    let mut inner = paced::with_all(&ctx.world);
    let mut elapsed = 0.0;
    let mut agree = |signal: i32, took: f64| {
        let (signal, slowest) = inner(signal, took);
        elapsed += slowest;
        (if signal == 0 && elapsed >= seconds { TIME_UP } else { signal }, slowest)
    };
    let mut done = 0;
    ctx.world.barrier();
    let t0 = mpi::time();
    let outcome = Pacer::default().run(rounds, &mut agree, &mut |i| {
        round(i);
        done = i + 1;
    });
    ctx.world.barrier();
    let took = mpi::time() - t0;
    let stopped = match outcome {
        Err(signal) if signal != TIME_UP => Some(signal),
        _ => None,
    };
    MpiRun { rounds: done, updates: mine.min((done * lookahead) as u64), seconds: took, stopped }
}

/// The MPI scope verified: its `rounds` applied again (without losses) must restore every
/// rank's part. Returns the errors over all ranks, or the stop signal that cut the replay short
/// (a half-replayed table proves nothing either way).
fn mpi_verify(ctx: &RunContext, local: &mut [u64], dist: &Distribution, lookahead: usize, rounds: usize) -> Result<u64, i32> {
    let replay = mpi_run(ctx, local, dist, lookahead, rounds, f64::INFINITY, Lose::None);
    if let Some(signal) = replay.stopped {
        return Err(signal);
    }
    let mine = ra::errors(local, dist.start(ctx.rank as u64));
    let mut all = 0;
    ctx.world.all_reduce_into(&mine, &mut all, SystemOperation::sum());
    Ok(all)
}

/// Collective: the MPI scope's table in words and Single's and Star's per rank. The default:
/// the largest power of two within half the memory available to the job, each rank's share of
/// its node's half.
fn tables_for(ctx: &RunContext, args: &RandomaccessArgs) -> Result<(u64, u64), String> {
    let ranks = ctx.size as u64;
    let global = match args.table_bytes {
        Some(b) => b,
        None => {
            let on_node = ctx.node.size() as u64;
            let share = crate::machine::available_memory_bytes().map_or(1 << 30, |a| a / 2 / on_node);
            let mut least = 0;
            ctx.world.all_reduce_into(&share, &mut least, SystemOperation::min());
            least * ranks
        }
    };
    let words = prev_power_of_two(global / 8);
    let per_rank = prev_power_of_two(words / ranks);
    if per_rank * 8 < MIN_TABLE_BYTES {
        return Err(format!(
            "--table-bytes {global}: each of the {ranks} rank(s) needs a table of at least {MIN_TABLE_BYTES} bytes; give at least {}",
            MIN_TABLE_BYTES * ranks.next_power_of_two()
        ));
    }
    Ok((words, per_rank))
}

fn run(ctx: &RunContext, args: &RandomaccessArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let ranks = ctx.size as u64;
    let (words, per_rank) = tables_for(ctx, args).map_err(Failure::usage)?;
    let dist = Distribution { n: words, ranks };
    let held = per_rank.max(dist.len(ctx.rank as u64));
    // Rank 0's latency chase needs as much again, where it fits.
    let available = crate::machine::available_memory_bytes().unwrap_or(u64::MAX);
    let chase_limit = if args.sweep_seconds > 0.0 { (available / 4).min(per_rank * 8) } else { 0 };
    let extra = if ctx.is_root() { chase_limit } else { 0 };
    ctx.check_node_memory(held * 8 + extra, &format!("randomaccess --table-bytes {}", words * 8), "give a smaller --table-bytes")?;
    let lose = match crate::run::failure::read_injected_fault() {
        Some("lose-updates") => Lose::Many,
        Some("lose-one-update") => Lose::One,
        _ => Lose::None,
    };

    let mut t = table(held as usize);
    let huge_pages = crate::machine::huge_pages_mode();
    recorder.expect(5, "phases");
    let mut state = State { scopes: Vec::new(), sizes: Vec::new(), looks: Vec::new(), method: Method::Lanes, choice: ("given", 1.0), huge_pages };
    let tables = |s: &State| if ctx.is_root() { s.tables(args, ctx.size) } else { Vec::new() };
    let stop = |s: &State, signal: i32, done: usize, recorder: &Recorder| {
        Ok(Results { stopped: Some(recorder.stopped(signal, done)), ..Results::complete(tables(s)) })
    };

    // 1. The local kernel, then Single: rank 0 alone.
    let single = &mut t[..per_rank as usize];
    ra::fill(single, 0);
    let chosen = match args.method {
        MethodChoice::Lanes => Ok((Method::Lanes, "given", 1.0)),
        MethodChoice::Prefetch => Ok((Method::Prefetch, "given", 1.0)),
        MethodChoice::Auto if ctx.is_root() => choose_method(single).map(|(m, gain)| (m, "measured", gain)),
        MethodChoice::Auto => Ok((Method::Lanes, "measured", 1.0)),
    };
    let (method, how, gain) = ctx.agree(chosen.map_err(Failure::failed))?;
    let mut index = Method::ALL.iter().position(|&m| m == method).unwrap_or(0) as u64;
    ctx.world.process_at_rank(0).broadcast_into(&mut index);
    state.method = Method::ALL[index as usize];
    state.choice = (how, gain);
    let outcome = if ctx.is_root() { verified_local(single, 0, state.method, args.time_bound) } else { Some((0, 0.0, 0)) };
    ctx.world.barrier();
    if let Some(signal) = ctx.stop_requested() {
        return stop(&state, signal, 0, recorder);
    }
    if ctx.is_root() {
        let (updates, seconds, errors) = outcome.expect("not stopped");
        let gups = updates as f64 / seconds / 1e9;
        state.scopes.push(Scope {
            name: "single",
            ranks: 1,
            table_bytes: per_rank * 8,
            goal: 4 * per_rank,
            updates,
            seconds,
            gups: [gups; 3],
            errors,
            words: per_rank,
            lookahead: 0,
        });
    }
    state.check(ctx)?;
    if let Some(signal) = recorder.step(ctx, 1, || Results::complete(tables(&state)))? {
        return stop(&state, signal, 1, recorder);
    }

    // 2. Star: every rank alone on its own table, at once.
    let single = &mut t[..per_rank as usize];
    ra::fill(single, 0);
    ctx.world.barrier();
    let outcome = verified_local(single, 0, state.method, args.time_bound);
    if let Some(signal) = ctx.stop_requested() {
        return stop(&state, signal, 1, recorder);
    }
    let (updates, seconds, errors) = outcome.expect("not stopped");
    let gups = updates as f64 / seconds / 1e9;
    let (mut sum, mut min, mut max, mut all_updates, mut all_errors) = (0.0, 0.0, 0.0, 0u64, 0u64);
    ctx.world.all_reduce_into(&gups, &mut sum, SystemOperation::sum());
    ctx.world.all_reduce_into(&gups, &mut min, SystemOperation::min());
    ctx.world.all_reduce_into(&gups, &mut max, SystemOperation::max());
    ctx.world.all_reduce_into(&updates, &mut all_updates, SystemOperation::sum());
    ctx.world.all_reduce_into(&errors, &mut all_errors, SystemOperation::sum());
    let mut slowest = 0.0;
    ctx.world.all_reduce_into(&seconds, &mut slowest, SystemOperation::max());
    state.scopes.push(Scope {
        name: "star",
        ranks: ctx.size,
        table_bytes: per_rank * 8,
        goal: 4 * per_rank * ranks,
        updates: all_updates,
        seconds: slowest,
        gups: [sum / ctx.size as f64, min, max],
        errors: all_errors,
        words: per_rank * ranks,
        lookahead: 0,
    });
    state.check(ctx)?;
    if let Some(signal) = recorder.step(ctx, 2, || Results::complete(tables(&state)))? {
        return stop(&state, signal, 2, recorder);
    }

    // 3. MPI: one table over every rank.
    let me = ctx.rank as u64;
    let local = &mut t[..dist.len(me) as usize];
    ra::fill(local, dist.start(me));
    let rounds = (4 * dist.len(0)).div_ceil(args.lookahead as u64) as usize;
    let timed = mpi_run(ctx, local, &dist, args.lookahead, rounds, args.time_bound, lose);
    if let Some(signal) = timed.stopped {
        return stop(&state, signal, 2, recorder);
    }
    let errors = match mpi_verify(ctx, local, &dist, args.lookahead, timed.rounds) {
        Ok(errors) => errors,
        Err(signal) => return stop(&state, signal, 2, recorder),
    };
    let mut all_updates = 0u64;
    ctx.world.all_reduce_into(&timed.updates, &mut all_updates, SystemOperation::sum());
    let gups = all_updates as f64 / timed.seconds / 1e9;
    state.scopes.push(Scope {
        name: "mpi",
        ranks: ctx.size,
        table_bytes: words * 8,
        goal: 4 * words,
        updates: all_updates,
        seconds: timed.seconds,
        gups: [gups; 3],
        errors,
        words,
        lookahead: args.lookahead,
    });
    state.check(ctx)?;
    if let Some(signal) = recorder.step(ctx, 3, || Results::complete(tables(&state)))? {
        return stop(&state, signal, 3, recorder);
    }

    // 4. GUP/s against the table size, rank 0 alone, beside the latency of a chase.
    if args.sweep_seconds > 0.0 {
        let swept: Result<(), String> = if ctx.is_root() {
            let mut size = MIN_TABLE_BYTES;
            let mut result = Ok(());
            while size <= per_rank * 8 && result.is_ok() {
                let part = &mut t[..(size / 8) as usize];
                ra::fill(part, 0);
                // At least a quarter million updates: enough to time a cache-sized table.
                let Some((updates, seconds, errors)) = verified_local(part, 1 << 18, state.method, args.sweep_seconds)
                else {
                    break;
                };
                if errors != 0 {
                    result = Err(format!("validation failed: a {} table kept {errors} wrong words", bytes(size as f64)));
                    break;
                }
                let latency = if size <= chase_limit {
                    let nodes = memlat::cycle((size / 64).max(1) as usize, size);
                    let abandon = || crate::run::signals::received().is_some();
                    match memlat::chase(&nodes, CHASE_LOADS, &abandon) {
                        Some((_, ns)) => ns,
                        None => break,
                    }
                } else {
                    f64::NAN
                };
                state.sizes.push((size, updates, updates as f64 / seconds / 1e9, latency));
                size *= 4;
            }
            result
        } else {
            Ok(())
        };
        ctx.agree(swept.map_err(Failure::failed))?;
    }
    if let Some(signal) = recorder.step(ctx, 4, || Results::complete(tables(&state)))? {
        return stop(&state, signal, 4, recorder);
    }

    // 5. The MPI scope against the look-ahead: few updates per message, the message rate bounds.
    if args.sweep_seconds > 0.0 && ctx.size > 1 {
        let local = &mut t[..dist.len(me) as usize];
        ra::fill(local, dist.start(me));
        let mut lookahead = 1;
        loop {
            let rounds = (4 * dist.len(0)).div_ceil(lookahead as u64) as usize;
            let run = mpi_run(ctx, local, &dist, lookahead, rounds, args.sweep_seconds, Lose::None);
            if let Some(signal) = run.stopped {
                return stop(&state, signal, 4, recorder);
            }
            let errors = match mpi_verify(ctx, local, &dist, lookahead, run.rounds) {
                Ok(errors) => errors,
                Err(signal) => return stop(&state, signal, 4, recorder),
            };
            if errors != 0 {
                return Err(Failure::failed(format!(
                    "validation failed: the look-ahead {lookahead} run left {errors} wrong words"
                )));
            }
            let mut all = 0u64;
            ctx.world.all_reduce_into(&run.updates, &mut all, SystemOperation::sum());
            let messages = (run.rounds * (ctx.size - 1)) as f64 / run.seconds;
            state.looks.push((lookahead, all, run.seconds, all as f64 / run.seconds / 1e9, messages));
            if lookahead >= args.lookahead {
                break;
            }
            lookahead = (lookahead * 4).min(args.lookahead);
        }
    }
    if ctx.is_root() && !args.common.quiet {
        state.print(args, ctx.size);
    }
    recorder.step(ctx, 5, || Results::complete(tables(&state)))?;
    Ok(Results::complete(tables(&state)))
}

fn prev_power_of_two(n: u64) -> u64 {
    if n == 0 { 0 } else { 1 << (63 - n.leading_zeros()) }
}

/// What the run has measured so far.
struct State {
    scopes: Vec<Scope>,
    /// (table bytes, updates, GUP/s, latency ns)
    sizes: Vec<(u64, u64, f64, f64)>,
    /// (look-ahead, updates, seconds, GUP/s, messages per second per rank)
    looks: Vec<(usize, u64, f64, f64, f64)>,
    method: Method,
    choice: (&'static str, f64),
    huge_pages: &'static str,
}

impl State {
    /// Collective: the last scope's verification, HPCC's rule (more than 1 % wrong fails).
    fn check(&self, ctx: &RunContext) -> Outcome<()> {
        let failed = self.scopes.last().filter(|s| s.errors as f64 > MAX_ERROR_FRACTION * s.words as f64).map(|s| {
            format!(
                "validation failed: the {} scope left {} of {} table words wrong ({:.2} %, above HPCC's 1 %)",
                s.name,
                s.errors,
                s.words,
                100.0 * s.errors as f64 / s.words as f64
            )
        });
        let mut any = u64::from(failed.is_some());
        ctx.world.process_at_rank(0).broadcast_into(&mut any);
        match (any, failed) {
            (0, _) => Ok(()),
            (_, Some(message)) => Err(Failure::failed(message)),
            (_, None) => Err(Failure::failed("validation failed on rank 0: see its message".to_string())),
        }
    }

    fn tables(&self, args: &RandomaccessArgs, ranks: usize) -> Vec<Table> {
        let s = &self.scopes;
        let mut t = Table::new("randomaccess");
        t.column("scope", "1", Values::Str(s.iter().map(|s| s.name.to_string()).collect()))
            .column("ranks", "1", Values::U64(s.iter().map(|s| s.ranks as u64).collect()))
            .column("table_bytes", "B", Values::U64(s.iter().map(|s| s.table_bytes).collect()))
            .column("updates_goal", "1", Values::U64(s.iter().map(|s| s.goal).collect()))
            .column("updates", "1", Values::U64(s.iter().map(|s| s.updates).collect()))
            .column("seconds", "s", Values::F64(s.iter().map(|s| s.seconds).collect()))
            .column("gups", "GUP/s", Values::F64(s.iter().map(|s| s.gups[0]).collect()))
            .column("gups_min", "GUP/s", Values::F64(s.iter().map(|s| s.gups[1]).collect()))
            .column("gups_max", "GUP/s", Values::F64(s.iter().map(|s| s.gups[2]).collect()))
            .column("errors", "1", Values::U64(s.iter().map(|s| s.errors).collect()))
            .column("error_fraction", "1", Values::F64(s.iter().map(|s| s.errors as f64 / s.words as f64).collect()))
            .column("lookahead", "1", Values::U64(s.iter().map(|s| s.lookahead as u64).collect()));
        t.attr("method", AttrValue::Str(self.method.name().to_string()))
            .attr("method_choice", AttrValue::Str(self.choice.0.to_string()))
            .attr("method_gain", AttrValue::F64(self.choice.1))
            .attr("time_bound_s", AttrValue::F64(args.time_bound))
            .attr("huge_pages", AttrValue::Str(self.huge_pages.to_string()))
            .attr("validated", AttrValue::U64(1));
        let z = &self.sizes;
        let mut sizes = Table::new("randomaccess/sizes");
        sizes
            .column("table_bytes", "B", Values::U64(z.iter().map(|p| p.0).collect()))
            .column("updates", "1", Values::U64(z.iter().map(|p| p.1).collect()))
            .column("gups", "GUP/s", Values::F64(z.iter().map(|p| p.2).collect()))
            .column("latency_ns", "ns", Values::F64(z.iter().map(|p| p.3).collect()))
            .column("in_flight", "1", Values::F64(z.iter().map(|p| p.2 * p.3).collect()));
        sizes.attr("seconds", AttrValue::F64(args.sweep_seconds));
        let l = &self.looks;
        let mut looks = Table::new("randomaccess/message_rate");
        looks
            .column("lookahead", "1", Values::U64(l.iter().map(|p| p.0 as u64).collect()))
            .column("updates_per_message", "1", Values::F64(l.iter().map(|p| p.0 as f64 / ranks as f64).collect()))
            .column("updates", "1", Values::U64(l.iter().map(|p| p.1).collect()))
            .column("seconds", "s", Values::F64(l.iter().map(|p| p.2).collect()))
            .column("gups", "GUP/s", Values::F64(l.iter().map(|p| p.3).collect()))
            .column("messages_per_s", "1/s", Values::F64(l.iter().map(|p| p.4).collect()));
        looks.attr("exchange", AttrValue::Str("MPI_Alltoall of the counts, then MPI_Alltoallv of the updates".to_string()));
        vec![t, sizes, looks]
    }

    /// The tables and what they say, on rank 0's console.
    fn print(&self, args: &RandomaccessArgs, ranks: usize) {
        let tables = self.tables(args, ranks);
        print!("{}", console::render(&tables[0]));
        println!(
            "Local kernel: {} ({}, ×{:.2} against the other); huge pages: {}.",
            self.method.name(),
            self.choice.0,
            self.choice.1,
            self.huge_pages
        );
        if !self.sizes.is_empty() {
            print!("{}", console::render(&tables[1]));
        }
        if !self.looks.is_empty() {
            print!("{}", console::render(&tables[2]));
        }
        for line in report::sentences(&self.sizes, &self.looks, &self.scopes.iter().map(|s| (s.name, s.gups[0])).collect::<Vec<_>>()) {
            println!("{line}");
        }
    }
}
