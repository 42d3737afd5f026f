//! `parahpc bank`: the course's bank account. Transfers onto one balance by threads and by ranks,
//! unlocked (lost updates), locked and atomic; and by ranks on private copies, as forked
//! processes do, which leaves the account itself untouched. The locked and atomic modes must end
//! exact, and every balance must be the initial one plus a whole number of transfers.

mod args;
mod report;

use mpi::traits::*;
use std::path::Path;
use std::time::Duration;

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::bank::{lost_transfers, pause, run_threads, Guard};
use crate::model::stats::Summary;
use crate::mpi::rma::{Cell, Lock};
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::BankArgs;

/// Races and locks: transfers onto one bank balance by threads and by ranks.
pub struct Bank;

impl Experiment for Bank {
    const NAME: &'static str = "bank";
    type Args = BankArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "bank",
        about: "One row per mode.",
        datasets: &[
            field("mode", "1", "who updates the balance, and how (see docs/bank.md)"),
            field("workers", "1", "threads or ranks making transfers"),
            field("balance_eur", "EUR", "final balance of the run that lost most"),
            field("expected_eur", "EUR", "initial + transfers × amount"),
            field("lost", "1", "transfers lost, most of the runs"),
            field("lost_min", "1", "transfers lost, fewest of the runs"),
            field("time_min_s", "s", "fastest run"),
            field("time_median_s", "s", "median run"),
            field("time_max_s", "s", "slowest run"),
        ],
        attributes: &[
            field("transfers", "1", "transfers per mode"),
            field("amount_eur", "EUR", "euros per transfer"),
            field("initial_eur", "EUR", "opening balance"),
            field("delay_us", "us", "pause after the read and after the add"),
            field("repeats", "1", "runs per mode"),
            field("window", "", "how ranks reach the balance: `shared memory`, `RMA`, or `none` (shared modes skipped)"),
            field("window_creation", "", "the MPI call that created the window; empty with none"),
            field("osc_component", "", "the Open MPI one-sided component serving it (`sm`, `rdma`, `pt2pt`, `ucx`); empty if unknown"),
            field("window_error", "", "why no window could be created; empty with one"),
            field("validated", "1", "1: the guarded modes were exact and every balance consistent"),
            field("python_reference", "", "what CPython measured in the course"),
        ],
    }];

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        Some(super::options(&["--repeats", &share.count(14.0, 2.0)]))
    }

    fn common(args: &BankArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(_args: &BankArgs) -> ThreadRequest {
        ThreadRequest::Fixed(1, "ranks run one thread; the thread modes start --workers threads on rank 0")
    }

    fn run(ctx: &RunContext, args: &BankArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }
}

const PYTHON_REFERENCE: &str = "CPython, 100 deposits of 100 EUR onto 1 EUR: 201 EUR with threads and no lock, 1 EUR with processes (each changed its own copy), 10001 EUR with a lock";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Threads(Guard),
    RanksPrivate,
    RanksShared(Lock),
    RanksAtomic,
}

impl Mode {
    const ALL: [Mode; 7] = [
        Mode::Threads(Guard::Racy),
        Mode::Threads(Guard::Mutex),
        Mode::Threads(Guard::Atomic),
        Mode::RanksPrivate,
        Mode::RanksShared(Lock::Shared),
        Mode::RanksShared(Lock::Exclusive),
        Mode::RanksAtomic,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Threads(Guard::Racy) => "threads racy",
            Mode::Threads(Guard::Mutex) => "threads mutex",
            Mode::Threads(Guard::Atomic) => "threads atomic",
            Mode::RanksPrivate => "ranks private",
            Mode::RanksShared(Lock::Shared) => "ranks shared-racy",
            Mode::RanksShared(Lock::Exclusive) => "ranks shared-locked",
            Mode::RanksAtomic => "ranks atomic",
        }
    }

    /// Whether the ranks share the balance through an MPI window.
    fn needs_window(self) -> bool {
        matches!(self, Mode::RanksShared(_) | Mode::RanksAtomic)
    }

    /// Whether every transfer must arrive: a lost one fails the run.
    fn must_be_exact(self) -> bool {
        matches!(
            self,
            Mode::Threads(Guard::Mutex | Guard::Atomic) | Mode::RanksShared(Lock::Exclusive) | Mode::RanksAtomic
        )
    }
}

struct Setup {
    transfers: usize,
    initial: i64,
    amount: i64,
    delay: Duration,
    workers: usize,
    /// Test hook: locked modes skip their lock, so the check must catch the loss.
    drop_lock: bool,
}

/// One run of `mode` on every rank; returns the account's final balance (on every rank) and
/// the wall time. The ranks' shared modes need `window`; the others leave it alone.
fn run_mode(ctx: &RunContext, window: Option<&Cell>, mode: Mode, s: &Setup) -> Outcome<(i64, f64)> {
    let cell = || window.expect("the shared modes run only with a window");
    if mode.needs_window() && ctx.is_root() {
        cell().lock(Lock::Exclusive).store(s.initial);
    }
    ctx.world.barrier();
    let t0 = mpi::time();
    // Rank r makes transfers r, r + ranks, ...
    let mine = (ctx.rank..s.transfers).step_by(ctx.size).count();
    let mut private_ok = Ok(());
    // A stop ends the transfers early; the caller then drops the run.
    let stopping = || crate::run::signals::received().is_some();
    // The account itself, on rank 0, unless a mode changes it.
    let mut balance = s.initial;
    match mode {
        Mode::Threads(guard) => {
            if ctx.is_root() {
                balance = run_threads(guard, s.workers, s.transfers, s.initial, s.amount, s.delay, s.drop_lock, &stopping);
            }
        }
        Mode::RanksPrivate => {
            // The account as a forked child sees it: its own copy, which the parent never sees.
            let (mut copy, mut made) = (s.initial, 0);
            for _ in (0..mine).take_while(|_| !stopping()) {
                let read = copy;
                pause(s.delay);
                pause(s.delay);
                copy = read + s.amount;
                made += 1;
            }
            let expected = s.initial + s.amount * made;
            if copy != expected {
                private_ok = Err(Failure::failed(format!(
                    "rank {}'s private copy ended at {copy}, expected {expected}",
                    ctx.rank
                )));
            }
        }
        Mode::RanksShared(lock) => {
            let lock = if s.drop_lock { Lock::Shared } else { lock };
            for _ in (0..mine).take_while(|_| !stopping()) {
                let epoch = cell().lock(lock);
                let read = epoch.load();
                pause(s.delay);
                let new = read + s.amount;
                pause(s.delay);
                epoch.store(new);
            }
        }
        Mode::RanksAtomic => {
            for _ in (0..mine).take_while(|_| !stopping()) {
                let epoch = cell().lock(Lock::Shared);
                pause(s.delay);
                epoch.fetch_add(s.amount);
                pause(s.delay);
            }
        }
    }
    ctx.world.barrier();
    let time = mpi::time() - t0;
    ctx.agree(private_ok)?;
    if mode.needs_window() && ctx.is_root() {
        balance = cell().lock(Lock::Shared).load();
    }
    ctx.world.process_at_rank(0).broadcast_into(&mut balance);
    Ok((balance, time))
}

struct Row {
    mode: Mode,
    workers: usize,
    worst_balance: i64,
    lost_max: u64,
    lost_min: u64,
    time: Summary,
}

/// Most threads the thread modes start: each is a real OS thread.
const MAX_WORKERS: usize = 10_000;

fn run(ctx: &RunContext, args: &BankArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let workers = args.workers.unwrap_or(args.transfers);
    if workers > MAX_WORKERS {
        return Err(Failure::usage(format!(
            "{workers} threads is more than the {MAX_WORKERS} the thread modes start (one per transfer unless --workers says otherwise); give --workers"
        )));
    }
    let final_balance = (args.amount as u128) * (args.transfers as u128) + args.initial as u128;
    if final_balance > i64::MAX as u128 {
        return Err(Failure::usage(format!(
            "{} transfers of {} EUR onto {} EUR overflow a 64-bit balance",
            args.transfers, args.amount, args.initial
        )));
    }
    let setup = Setup {
        transfers: args.transfers,
        initial: args.initial as i64,
        amount: args.amount as i64,
        delay: Duration::from_micros(args.delay_us),
        workers,
        drop_lock: crate::run::failure::injected("bank-drop-lock"),
    };
    let expected = setup.initial + setup.amount * setup.transfers as i64;
    let cell = Cell::new(&ctx.world, ctx.nodes == 1, setup.initial);
    if let Err(why) = &cell {
        ctx.warn(&format!("the ranks' shared-balance modes are skipped: {why}"));
    }
    let window = cell.as_ref().ok();

    let modes: Vec<Mode> = Mode::ALL.into_iter().filter(|m| window.is_some() || !m.needs_window()).collect();
    recorder.expect(modes.len(), "modes");
    // Rank 0's table of the modes run so far.
    let table = |rows: &[Row]| {
        if !ctx.is_root() {
            return Vec::new();
        }
        let mut t = Table::new("bank");
        t.column("mode", "1", Values::Str(rows.iter().map(|r| r.mode.name().to_string()).collect()))
            .column("workers", "1", Values::U64(rows.iter().map(|r| r.workers as u64).collect()))
            .column("balance_eur", "EUR", Values::U64(rows.iter().map(|r| r.worst_balance as u64).collect()))
            .column("expected_eur", "EUR", Values::U64(vec![expected as u64; rows.len()]))
            .column("lost", "1", Values::U64(rows.iter().map(|r| r.lost_max).collect()))
            .column("lost_min", "1", Values::U64(rows.iter().map(|r| r.lost_min).collect()))
            .column("time_min_s", "s", Values::F64(rows.iter().map(|r| r.time.min).collect()))
            .column("time_median_s", "s", Values::F64(rows.iter().map(|r| r.time.median).collect()))
            .column("time_max_s", "s", Values::F64(rows.iter().map(|r| r.time.max).collect()));
        t.attr("transfers", AttrValue::U64(setup.transfers as u64))
            .attr("amount_eur", AttrValue::U64(args.amount))
            .attr("initial_eur", AttrValue::U64(args.initial))
            .attr("delay_us", AttrValue::U64(args.delay_us))
            .attr("repeats", AttrValue::U64(args.repeats as u64))
            .attr("validated", AttrValue::U64(1))
            .attr("python_reference", AttrValue::Str(PYTHON_REFERENCE.into()));
        for (name, value) in super::window_attributes(cell.as_ref().map(|c| &c.reach).map_err(String::as_str)) {
            t.attr(name, value);
        }
        vec![t]
    };
    let mut rows = Vec::new();
    let mut stopped = None;
    'modes: for mode in modes {
        let (mut balances, mut times) = (Vec::new(), Vec::new());
        for _ in 0..args.repeats {
            let (balance, time) = run_mode(ctx, window, mode, &setup)?;
            if let Some(signal) = ctx.stop_requested() {
                stopped = Some(signal);
                break 'modes;
            }
            let lost = lost_transfers(balance, setup.initial, setup.amount, setup.transfers)
                .map_err(|e| Failure::failed(format!("validation failed in mode {}: {e}", mode.name())))?;
            if mode.must_be_exact() && lost != 0 {
                return Err(Failure::failed(format!(
                    "validation failed in mode {}: balance {balance} EUR, expected {expected} EUR: {lost} transfers lost although every update was locked or atomic",
                    mode.name()
                )));
            }
            balances.push((balance, lost));
            times.push(time);
        }
        let &(worst_balance, lost_max) = balances.iter().max_by_key(|b| b.1).expect("at least one repeat");
        let workers = if matches!(mode, Mode::Threads(_)) { setup.workers } else { ctx.size };
        let lost_min = balances.iter().map(|b| b.1).min().unwrap_or(0);
        rows.push(Row {
            mode,
            workers,
            worst_balance,
            lost_max,
            lost_min,
            time: Summary::of(&times).expect("at least one repeat"),
        });
        if let Some(signal) = recorder.step(ctx, rows.len(), || Results::complete(table(&rows)))? {
            stopped = Some(signal);
            break;
        }
    }

    let tables = table(&rows);
    if let Some(t) = tables.first() {
        print!("{}", console::render(t));
        println!(
            "balance and lost are the worst of {} runs. Unlocked read-modify-writes lose updates; a lock or one atomic add per transfer never does, and costs parallelism: the locked modes take as long as one worker doing every transfer. Private copies (forked processes) leave the account at {} EUR. The course, in CPython: 201 EUR with threads, 1 EUR with processes.",
            args.repeats, setup.initial
        );
    }
    // Collective: every rank frees the window here.
    if let Ok(cell) = cell {
        cell.free();
    }
    let done = rows.len();
    let mut results = Results::complete(tables);
    results.stopped = stopped.map(|s| recorder.stopped(s, done));
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_have_distinct_names_and_the_guarded_ones_must_be_exact() {
        let mut names: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
        names.dedup();
        assert_eq!(names.len(), 7);
        let exact: Vec<_> = Mode::ALL.iter().filter(|m| m.must_be_exact()).map(|m| m.name()).collect();
        assert_eq!(exact, ["threads mutex", "threads atomic", "ranks shared-locked", "ranks atomic"]);
    }
}
