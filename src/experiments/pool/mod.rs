//! `parahpc pool`: the course's multiprocessing.Pool (and its Managers queue and Celery workers) as
//! one MPI task farm. Rank 0 dispatches and collects; the other ranks work, each with its
//! threads. Alone, rank 0 works through the chunks itself. Every result is checked on arrival
//! (each task exactly once, with its answer), and a task that panics is reported with its id
//! while the farm winds down cleanly.

mod args;
mod report;

use mpi::traits::*;
use rayon::prelude::*;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::options::{CommonArgs, ThreadRequest};
use crate::kernels::pool::{static_chunks, Collector, Schedule, Task};
use crate::model::stats::Summary;
use crate::mpi::rma::{Cell, Epoch, Lock, Reach};
use crate::output::schema::{field, Group};
use crate::output::{Recorder, console, AttrValue, Results, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

use super::Experiment;

use args::{PoolArgs, PoolTask};

/// A task farm: the ranks take chunks of tasks from rank 0, which checks every result.
pub struct Pool;

impl Experiment for Pool {
    const NAME: &'static str = "pool";
    type Args = PoolArgs;
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[
        Group {
            path: "pool",
            about: "One row per timed run of the farm.",
            datasets: &[
                field("time_s", "s", "from the first chunk taken to the last result checked"),
                field("tasks_per_s", "1/s", "tasks / time"),
                field("imbalance", "1", "busiest worker's busy time over the mean"),
                field("overhead_per_task_s", "s", "worker time per task spent outside tasks"),
                field("first_result_s", "s", "time to the first result"),
                field("reorder_peak", "1", "ordered: most results held back waiting for an earlier one"),
            ],
            attributes: &[
                field("task", "", "`square` or `spin-us`"),
                field("spin_us", "us", "spin-us tasks: µs each (the mean with random_spin)"),
                field("random_spin", "1", "1 if spin times are uniform in 0..=2 × spin_us"),
                field("tasks", "1", "tasks per run"),
                field("chunksize", "1", "tasks per chunk"),
                field("schedule", "", "`static`, `dynamic` or `guided`"),
                field("ordered", "1", "1 if results were consumed in task order"),
                field("queue", "", "how workers take chunks"),
                field("window", "", "dynamic and guided on several ranks: how workers reach the counter: `shared memory`, `RMA`, or `none` (chunks by message)"),
                field("window_creation", "", "the MPI call that created the counter's window; empty with none"),
                field("osc_component", "", "the Open MPI one-sided component serving it (`sm`, `rdma`, `pt2pt`, `ucx`); empty if unknown"),
                field("window_error", "", "why no window could be created; empty with one"),
                field("max_tasks_per_worker", "1", "tasks before the initializer reruns; 0 for never"),
                field("init_us", "us", "work in each initializer"),
                field("workers", "1", "working ranks"),
                field("dispatcher", "", "who collects"),
                field("time_min_s", "s", "fastest run"),
                field("time_median_s", "s", "median run"),
                field("time_max_s", "s", "slowest run"),
                field("tasks_per_s_median", "1/s", "tasks / median time"),
                field("validated", "1", "1: every task came back once with its answer"),
                field("python_reference", "", "what CPython measured in the course"),
            ],
        },
        Group {
            path: "pool/workers",
            about: "One row per worker, from the run with the median time.",
            datasets: &[
                field("rank", "1", "the worker's rank"),
                field("tasks", "1", "tasks it ran"),
                field("chunks", "1", "chunks it took"),
                field("busy_s", "s", "time in tasks"),
                field("init_s", "s", "its initializer at start-up"),
                field("reinits", "1", "initializer reruns (--max-tasks-per-worker)"),
                field("reinit_s", "s", "time in those reruns"),
            ],
            attributes: &[field("threads_per_worker", "1", "threads of each working rank")],
        },
    ];

    fn idle_option(args: &PoolArgs, given: &dyn Fn(&str) -> bool) -> Option<String> {
        let spin = ["spin_us", "random_spin"].into_iter().find(|id| given(id));
        (args.task != PoolTask::SpinUs).then_some(spin).flatten().map(|id| {
            format!("--{} shapes spin-us tasks: it does nothing with --task {}", id.replace('_', "-"), args.task.name())
        })
    }

    fn suite_options(share: &super::Share, _ranks: usize) -> Option<Vec<String>> {
        // The lesson is what a message per chunk costs: the course's cheap task (a square), one
        // per chunk, so that the farm's overhead per task is the message's.
        Some(super::options(&["--tasks", &share.messages(1e6, 1000.0), "--chunksize", "1"]))
    }

    fn common(args: &PoolArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &PoolArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn run(ctx: &RunContext, args: &PoolArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }

    fn headlines(file: &ResultsFile) -> Vec<crate::report::headline::Headline> {
        report::headlines(file)
    }
}

/// Worker to dispatcher: [kind, start, len, results...], kind RESULTS for a chunk, DONE when
/// no chunk is left, FAILED (start = the task's id) when a task panicked, REQUEST for a first
/// chunk when chunks come by message.
const TAG_UP: i32 = 1;
/// The text of a task's panic, right after its FAILED message.
const TAG_TEXT: i32 = 2;
/// Dispatcher to worker, when chunks come by message: [start, len], len 0 when none is left.
const TAG_DOWN: i32 = 3;

const RESULTS: u64 = 1;
const FAILED: u64 = 2;
const DONE: u64 = 3;
const REQUEST: u64 = 4;

/// Where workers take their next chunk (dynamic and guided schedules).
enum Queue {
    /// A next-task counter on rank 0 in an MPI window, taken with one atomic operation.
    Window(Cell),
    /// This MPI has no one-sided window between the ranks: rank 0 answers each request (the
    /// first, then every chunk's results) with the next chunk, one more message per chunk.
    Messages,
}

struct Settings {
    task: Task,
    tasks: u64,
    chunksize: u64,
    schedule: Schedule,
    ordered: bool,
    max_tasks_per_worker: Option<u64>,
    init: Duration,
}

/// What a worker did in one run; `init` and `inits` count the initializer reruns that
/// --max-tasks-per-worker asked for.
#[derive(Clone, Copy, Default)]
struct WorkerStats {
    tasks: u64,
    chunks: u64,
    busy: f64,
    init: f64,
    inits: u64,
}

/// A worker's state: what its initializer built, and how many tasks it served since.
struct Worker<'a> {
    s: &'a Settings,
    pool: &'a rayon::ThreadPool,
    /// Seconds the initializer took when the worker started, before any run.
    startup: f64,
    stats: WorkerStats,
    since_init: u64,
    /// Test hooks: which task panics or answers wrong.
    panic_at: Option<u64>,
    wrong_at: Option<u64>,
}

impl<'a> Worker<'a> {
    /// A worker, its initializer run; `dispatcher` makes rank 0's, which never works.
    fn new(s: &'a Settings, pool: &'a rayon::ThreadPool, dispatcher: bool) -> Worker<'a> {
        let fault_task = s.tasks / 2;
        let mut w = Worker {
            s,
            pool,
            startup: 0.0,
            stats: WorkerStats::default(),
            since_init: 0,
            panic_at: crate::run::failure::injected("panic-task").then_some(fault_task),
            wrong_at: crate::run::failure::injected("wrong-result").then_some(fault_task),
        };
        if !dispatcher {
            w.initialize();
            w.startup = w.stats.init;
        }
        w
    }

    /// Starts a run: the worker keeps its state (as a Pool's workers do between maps), the
    /// counts start from zero.
    fn start_run(&mut self, s: &'a Settings) {
        self.s = s;
        self.stats = WorkerStats::default();
    }

    /// The per-worker initializer (Pool's `initializer`): `--init-us` of work, timed apart.
    fn initialize(&mut self) {
        let t = Instant::now();
        while t.elapsed() < self.s.init {
            std::hint::spin_loop();
        }
        self.stats.init += t.elapsed().as_secs_f64();
        self.stats.inits += 1;
        self.since_init = 0;
    }

    fn run_one(&self, id: u64) -> u64 {
        if self.panic_at == Some(id) {
            panic!("injected panic in task {id}");
        }
        self.s.task.run(id) + u64::from(self.wrong_at == Some(id))
    }

    /// Runs the tasks of `range`, appending their results to `out`; recycles the worker's state
    /// every --max-tasks-per-worker tasks. A panic comes back as (task id, message).
    fn process(&mut self, range: Range<u64>, out: &mut Vec<u64>) -> Result<(), (u64, String)> {
        let t0 = Instant::now();
        let init_before = self.stats.init;
        let mut id = range.start;
        while id < range.end {
            if self.s.max_tasks_per_worker == Some(self.since_init) {
                self.initialize();
            }
            let end = match self.s.max_tasks_per_worker {
                Some(m) => (id + m - self.since_init).min(range.end),
                None => range.end,
            };
            self.segment(id..end, out)?;
            self.since_init += end - id;
            id = end;
        }
        self.stats.tasks += range.end - range.start;
        self.stats.chunks += 1;
        self.stats.busy += t0.elapsed().as_secs_f64() - (self.stats.init - init_before);
        Ok(())
    }

    fn segment(&self, ids: Range<u64>, out: &mut Vec<u64>) -> Result<(), (u64, String)> {
        let first = out.len();
        out.resize(first + (ids.end - ids.start) as usize, 0);
        let slots = &mut out[first..];
        let failed = Mutex::new(None);
        let one = |(k, slot): (usize, &mut u64)| {
            let id = ids.start + k as u64;
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_one(id))) {
                Ok(v) => *slot = v,
                Err(payload) => {
                    failed.lock().unwrap().get_or_insert((id, crate::run::failure::panic_message(payload.as_ref())));
                }
            }
        };
        crate::run::failure::catching_panics(|| {
            // Square tasks take nanoseconds: splitting a chunk between threads costs more than
            // they do, so only spinning tasks share a chunk between the worker's threads.
            if matches!(self.s.task, Task::Spin { .. }) && self.pool.current_num_threads() > 1 {
                self.pool.install(|| slots.par_iter_mut().enumerate().for_each(one));
            } else {
                slots.iter_mut().enumerate().for_each(one);
            }
        });
        match failed.into_inner().unwrap() {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

/// What one run of the farm measured, on rank 0.
struct Run {
    time: f64,
    first_result: f64,
    pending_peak: u64,
    /// Per worker (rank 1.. or rank 0 alone).
    workers: Vec<WorkerStats>,
    /// Per worker, its initializer's time at start-up.
    startup: Vec<f64>,
}

/// The longest chunk the schedule can hand out.
fn max_chunk(s: &Settings, workers: u64) -> u64 {
    s.schedule.next_len(s.tasks, s.chunksize, workers)
}

/// Whether a stop signal arrived here: workers take no more chunks, the dispatcher hands out none.
fn stopping() -> bool {
    crate::run::signals::received().is_some()
}

/// Rank 0 alone: works through the chunks itself.
fn run_alone(s: &Settings, worker: &mut Worker, collector: &mut Collector) -> Result<WorkerStats, String> {
    let mut out = Vec::with_capacity(max_chunk(s, 1) as usize);
    let mut next = 0;
    while next < s.tasks && !stopping() {
        let len = s.schedule.next_len(s.tasks - next, s.chunksize, 1);
        out.clear();
        worker
            .process(next..next + len, &mut out)
            .map_err(|(id, msg)| format!("task {id} panicked on rank 0: {msg}"))?;
        collector.deliver(next, &out)?;
        next += len;
    }
    Ok(worker.stats)
}

/// The next chunk for a worker, taken from the shared next-task counter on rank 0 (a queue
/// that workers pull from, as Pool's workers pull from their task queue): one atomic
/// fetch-and-add for dynamic, a compare-and-swap loop for guided, whose chunk length depends on
/// what is left. `None` once every task is taken. Rank 0 hands out the same chunks from its own
/// counter when they come by message (`next_chunk`).
fn take_chunk(s: &Settings, counter: &Epoch, workers: u64) -> Option<Range<u64>> {
    let tasks = s.tasks as i64;
    match s.schedule {
        Schedule::Static => unreachable!("static chunks are dealt, not taken"),
        Schedule::Dynamic => {
            let start = counter.fetch_add(s.chunksize as i64);
            (start < tasks).then(|| start as u64..(start as u64 + s.chunksize).min(s.tasks))
        }
        Schedule::Guided => {
            let mut seen = counter.load();
            while seen < tasks {
                let len = s.schedule.next_len((tasks - seen) as u64, s.chunksize, workers) as i64;
                match counter.compare_and_swap(seen, seen + len) {
                    found if found == seen => return Some(seen as u64..(seen + len) as u64),
                    found => seen = found,
                }
            }
            None
        }
    }
}

/// The chunk after the first `taken` tasks, from rank 0's own counter (chunks by message).
fn next_chunk(s: &Settings, taken: &mut u64, workers: u64) -> Range<u64> {
    let len = s.schedule.next_len(s.tasks.saturating_sub(*taken), s.chunksize, workers);
    let start = *taken;
    *taken += len;
    start..start + len
}

/// Rank 0 with workers: collects and checks results until every worker is done, and with chunks
/// by message answers every request and result with the next chunk. On the first failure it
/// runs the counter past the end, so that no more chunks are taken, and drains.
fn dispatch(ctx: &RunContext, s: &Settings, queue: &Queue, collector: &mut Collector) -> Option<String> {
    let workers = (ctx.size - 1) as u64;
    let mut buf = vec![0u64; 3 + max_chunk(s, workers) as usize];
    let mut failure: Option<String> = None;
    let epoch = match queue {
        Queue::Window(cell) => Some(cell.lock_all()),
        Queue::Messages => None,
    };
    let by_message = epoch.is_none() && s.schedule != Schedule::Static;
    let mut taken = 0;
    let mut live = workers;
    let mut closed = false;
    while live > 0 {
        let status = ctx.world.any_process().receive_into_with_tag(&mut buf[..], TAG_UP);
        let src = status.source_rank();
        let failed = match buf[0] {
            RESULTS => {
                collector.deliver(buf[1], &buf[3..3 + buf[2] as usize]).err().map(|e| format!("{e} (from rank {src})"))
            }
            REQUEST => None,
            FAILED => {
                live -= 1;
                let (text, _) = ctx.world.process_at_rank(src).receive_vec_with_tag::<u8>(TAG_TEXT);
                Some(format!("task {} panicked on rank {src}: {}", buf[1], String::from_utf8_lossy(&text)))
            }
            _ => {
                live -= 1;
                None
            }
        };
        if let (Some(f), None) = (failed, &failure) {
            failure = Some(f);
        }
        // After a failure, or on a stop, the counter runs past the end: no chunk is taken after.
        if !closed && (failure.is_some() || stopping()) {
            closed = true;
            match &epoch {
                Some(epoch) if s.schedule != Schedule::Static => {
                    epoch.fetch_add(s.tasks as i64);
                }
                _ => taken = s.tasks,
            }
        }
        if by_message && matches!(buf[0], RESULTS | REQUEST) {
            let chunk = next_chunk(s, &mut taken, workers);
            ctx.world.process_at_rank(src).send_with_tag(&[chunk.start, chunk.end - chunk.start][..], TAG_DOWN);
        }
    }
    failure
}

/// A worker rank: takes chunks (its dealt ones, or from the counter) until none are left and
/// sends back each chunk's results; then DONE, or FAILED and the panic's text.
fn work(ctx: &RunContext, s: &Settings, queue: &Queue, worker: &mut Worker) -> WorkerStats {
    let root = ctx.world.process_at_rank(0);
    let workers = (ctx.size - 1) as u64;
    let mut out = Vec::with_capacity(3 + max_chunk(s, workers) as usize);
    let mut serve = |range: Range<u64>| -> bool {
        out.clear();
        out.extend([RESULTS, range.start, range.end - range.start]);
        match worker.process(range, &mut out) {
            Ok(()) => {
                root.send_with_tag(&out[..], TAG_UP);
                true
            }
            Err((id, msg)) => {
                root.send_with_tag(&[FAILED, id, 0][..], TAG_UP);
                root.send_with_tag(msg.as_bytes(), TAG_TEXT);
                false
            }
        }
    };
    // On a stop, a worker takes no more chunks (but still receives the one it asked for).
    let completed = match queue {
        _ if s.schedule == Schedule::Static => static_chunks(s.tasks, s.chunksize, workers, ctx.rank as u64 - 1)
            .take_while(|_| !stopping())
            .all(&mut serve),
        Queue::Window(counter) => {
            let epoch = counter.lock_all();
            std::iter::from_fn(|| if stopping() { None } else { take_chunk(s, &epoch, workers) }).all(&mut serve)
        }
        Queue::Messages => {
            // The first chunk is asked for; each chunk's results ask for the next.
            root.send_with_tag(&[REQUEST, 0, 0][..], TAG_UP);
            std::iter::from_fn(|| {
                let mut chunk = [0u64; 2];
                root.receive_into_with_tag(&mut chunk[..], TAG_DOWN);
                (chunk[1] > 0 && !stopping()).then(|| chunk[0]..chunk[0] + chunk[1])
            })
            .all(&mut serve)
        }
    };
    if completed {
        root.send_with_tag(&[DONE, 0, 0][..], TAG_UP);
    }
    worker.stats
}

/// How one run of the farm ended, on every rank.
enum Farm {
    /// Every task done and checked; rank 0 has what it measured.
    Done(Option<Run>),
    /// A stop signal cut the run short; it is dropped.
    Stopped(i32),
}

/// One run of the farm on every rank; rank 0 returns what it measured.
fn run_farm<'a>(ctx: &RunContext, s: &'a Settings, queue: &Queue, worker: &mut Worker<'a>) -> Outcome<Farm> {
    worker.start_run(s);
    if let (Queue::Window(counter), true) = (queue, ctx.is_root()) {
        counter.lock(Lock::Exclusive).store(0);
    }
    ctx.world.barrier();
    let t0 = mpi::time();
    let start = Instant::now();
    let mut collector = ctx.is_root().then(|| Collector::new(s.task, s.tasks, s.ordered));
    let (mine, failure) = match (&mut collector, ctx.size) {
        (Some(c), 1) => match run_alone(s, worker, c) {
            Ok(stats) => (Some(stats), None),
            Err(e) => (None, Some(e)),
        },
        (Some(c), _) => (None, dispatch(ctx, s, queue, c)),
        (None, _) => (Some(work(ctx, s, queue, worker)), None),
    };
    let time = mpi::time() - t0;
    // A run cut short lacks tasks: stop before judging it.
    if let Some(signal) = ctx.stop_requested() {
        return Ok(Farm::Stopped(signal));
    }
    let verdict = match (&collector, failure) {
        (_, Some(f)) => Err(f),
        (Some(c), None) => c.finish(),
        (None, None) => Ok(()),
    };
    ctx.agree(verdict.map_err(|e| Failure::failed(format!("pool failed: {e}"))))?;

    // Every worker's counts, to rank 0: [tasks, chunks, busy, init, inits, startup] as f64.
    let row =
        mine.map_or([0.0; 6], |w| [w.tasks as f64, w.chunks as f64, w.busy, w.init, w.inits as f64, worker.startup]);
    let mut all = vec![0.0; 6 * ctx.size];
    ctx.world.all_gather_into(&row[..], &mut all[..]);
    let Some(c) = collector else { return Ok(Farm::Done(None)) };
    let first = if ctx.size == 1 { 0 } else { 1 };
    let workers: Vec<WorkerStats> = all
        .chunks(6)
        .skip(first)
        .map(|r| WorkerStats { tasks: r[0] as u64, chunks: r[1] as u64, busy: r[2], init: r[3], inits: r[4] as u64 })
        .collect();
    let startup: Vec<f64> = all.chunks(6).skip(first).map(|r| r[5]).collect();
    let counted: u64 = workers.iter().map(|w| w.tasks).sum();
    if counted != s.tasks {
        // Rank 0 alone knows; the job must not go on.
        return Err(Failure::Fatal(anyhow::anyhow!(
            "the workers count {counted} tasks done, but there were {}",
            s.tasks
        )));
    }
    Ok(Farm::Done(Some(Run {
        time,
        first_result: c.first.map_or(0.0, |f| (f - start).as_secs_f64()),
        pending_peak: c.pending_peak,
        workers,
        startup,
    })))
}

/// Load imbalance: the busiest worker's busy time over the mean (1 is perfect balance).
fn imbalance(workers: &[WorkerStats]) -> f64 {
    let mean = workers.iter().map(|w| w.busy).sum::<f64>() / workers.len() as f64;
    let max = workers.iter().map(|w| w.busy).fold(0.0, f64::max);
    if mean > 0.0 {
        max / mean
    } else {
        1.0
    }
}

/// Worker time not spent in tasks or initializers (messages, waiting, dispatch), per task.
fn overhead_per_task(run: &Run, tasks: u64) -> f64 {
    let busy: f64 = run.workers.iter().map(|w| w.busy + w.init).sum();
    ((run.time * run.workers.len() as f64 - busy) / tasks as f64).max(0.0)
}

fn run(ctx: &RunContext, args: &PoolArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let workers = (ctx.size.max(2) - 1) as u64;
    let task = match args.task {
        PoolTask::Square => Task::Square,
        PoolTask::SpinUs => Task::Spin { us: args.spin_us, random: args.random_spin },
    };
    let s = Settings {
        task,
        tasks: args.tasks,
        // Pool.map's default: four chunks per worker.
        chunksize: args.chunksize.unwrap_or_else(|| args.tasks.div_ceil(4 * workers)).min(args.tasks),
        schedule: args.schedule,
        ordered: args.ordered,
        max_tasks_per_worker: args.max_tasks_per_worker,
        init: Duration::from_micros(args.init_us),
    };
    // Rank 0 keeps a flag and, for ordered delivery, up to every result: 9 bytes a task.
    ctx.check_node_memory(
        if ctx.is_root() { 9 * s.tasks } else { 0 },
        &format!("collecting {} tasks", s.tasks),
        "give fewer --tasks",
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctx.threads)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {} threads: {e}", ctx.threads))?;

    // The workers start once, initializer included, as a Pool's do; then an untimed, checked
    // run warms the messaging.
    let warmup = Settings { tasks: s.tasks.min(1000), chunksize: s.chunksize.min(1000), ..s };
    let mut worker = Worker::new(&warmup, &pool, ctx.size > 1 && ctx.is_root());
    // The static deal needs no counter, and alone rank 0 counts for itself.
    let needs_counter = s.schedule != Schedule::Static && ctx.size > 1;
    let window = needs_counter.then(|| Cell::new(&ctx.world, ctx.nodes == 1, 0));
    let reached = window.as_ref().map(|w| w.as_ref().map(|cell| cell.reach.clone()).map_err(String::clone));
    let queue = match window {
        Some(Ok(cell)) => Queue::Window(cell),
        Some(Err(why)) => {
            ctx.warn(&format!("chunks come by message from rank 0 instead: {why}"));
            Queue::Messages
        }
        None => Queue::Messages,
    };
    recorder.expect(args.repeats, "runs");
    let mut runs = Vec::new();
    let mut stopped = match run_farm(ctx, &warmup, &queue, &mut worker)? {
        Farm::Stopped(signal) => Some(signal),
        Farm::Done(_) => None,
    };
    let mut done = 0;
    while stopped.is_none() && done < args.repeats {
        match run_farm(ctx, &s, &queue, &mut worker)? {
            Farm::Stopped(signal) => stopped = Some(signal),
            Farm::Done(run) => {
                runs.extend(run);
                done += 1;
                let results = || Results::complete(tables(ctx, args, &s, &runs, reached.as_ref()));
                stopped = recorder.step(ctx, done, results)?;
            }
        }
    }
    // Collective: the window goes on every rank.
    if let Queue::Window(cell) = queue {
        cell.free();
    }
    let tables = tables(ctx, args, &s, &runs, reached.as_ref());
    if let [t, w] = &tables[..] {
        print!("{}", console::render(t));
        print!("{}", console::render(w));
        let rate: Vec<f64> = runs.iter().map(|r| s.tasks as f64 / r.time).collect();
        let median = median_run(&runs);
        println!(
            "{} tasks, chunks of {}, {} schedule{}: {} tasks/s (median of {}; min {}, max {}); imbalance ×{}, {} s of worker time per task outside tasks. Small chunks pay one message per chunk; large ones pay in imbalance.",
            s.tasks,
            s.chunksize,
            s.schedule.name(),
            if s.ordered { ", in order" } else { "" },
            console::format_number(s.tasks as f64 / median.time),
            runs.len(),
            console::format_number(rate.iter().cloned().fold(f64::INFINITY, f64::min)),
            console::format_number(rate.iter().cloned().fold(0.0, f64::max)),
            console::format_number(imbalance(&median.workers)),
            console::format_number(overhead_per_task(median, s.tasks)),
        );
    }
    let mut results = Results::complete(tables);
    results.stopped = stopped.map(|signal| recorder.stopped(signal, done));
    Ok(results)
}

/// The run with the median time.
fn median_run(runs: &[Run]) -> &Run {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| runs[a].time.total_cmp(&runs[b].time));
    &runs[order[order.len() / 2]]
}

/// Rank 0's tables of the timed runs so far (none elsewhere, or before the first run ends).
fn tables(
    ctx: &RunContext,
    args: &PoolArgs,
    s: &Settings,
    runs: &[Run],
    reached: Option<&Result<Reach, String>>,
) -> Vec<Table> {
    if !ctx.is_root() || runs.is_empty() {
        return Vec::new();
    }
    let rate: Vec<f64> = runs.iter().map(|r| s.tasks as f64 / r.time).collect();
    let times = Summary::of(&runs.iter().map(|r| r.time).collect::<Vec<_>>()).expect("at least one repeat");
    let mut t = Table::new("pool");
    t.column("time_s", "s", Values::F64(runs.iter().map(|r| r.time).collect()))
        .column("tasks_per_s", "1/s", Values::F64(rate.clone()))
        .column("imbalance", "1", Values::F64(runs.iter().map(|r| imbalance(&r.workers)).collect()))
        .column("overhead_per_task_s", "s", Values::F64(runs.iter().map(|r| overhead_per_task(r, s.tasks)).collect()))
        .column("first_result_s", "s", Values::F64(runs.iter().map(|r| r.first_result).collect()))
        .column("reorder_peak", "1", Values::U64(runs.iter().map(|r| r.pending_peak).collect()));
    t.attr("task", AttrValue::Str(args.task.name().into()))
        .attr("spin_us", AttrValue::U64(args.spin_us))
        .attr("random_spin", AttrValue::U64(args.random_spin as u64))
        .attr("tasks", AttrValue::U64(s.tasks))
        .attr("chunksize", AttrValue::U64(s.chunksize))
        .attr("schedule", AttrValue::Str(s.schedule.name().into()))
        .attr("ordered", AttrValue::U64(s.ordered as u64))
        .attr(
            "queue",
            AttrValue::Str(match reached {
                _ if s.schedule == Schedule::Static => {
                    "static deal: chunk c to worker c mod workers, before the start".into()
                }
                None => "rank 0 alone takes the chunks in turn".into(),
                Some(Ok(reach)) => format!("next-task counter on rank 0 in {}", reach.describe()),
                Some(Err(_)) => "messages: rank 0 answers each request and each chunk's results with the next chunk".into(),
            }),
        )
        .attr("max_tasks_per_worker", AttrValue::U64(s.max_tasks_per_worker.unwrap_or(0)))
        .attr("init_us", AttrValue::U64(args.init_us))
        .attr("workers", AttrValue::U64(runs[0].workers.len() as u64))
        .attr("dispatcher", AttrValue::Str(if ctx.size == 1 { "none: rank 0 works alone" } else { "rank 0" }.into()))
        .attr("time_min_s", AttrValue::F64(times.min))
        .attr("time_median_s", AttrValue::F64(times.median))
        .attr("time_max_s", AttrValue::F64(times.max))
        .attr("tasks_per_s_median", AttrValue::F64(s.tasks as f64 / times.median))
        .attr("validated", AttrValue::U64(1))
        .attr("python_reference", AttrValue::Str(PYTHON_REFERENCE.into()));
    if let Some(reached) = reached {
        for (name, value) in super::window_attributes(reached.as_ref().map_err(String::as_str)) {
            t.attr(name, value);
        }
    }

    // Per worker, from the run with the median time.
    let median = median_run(runs);
    let first_rank = if ctx.size == 1 { 0 } else { 1 };
    let mut w = Table::new("pool/workers");
    w.column("rank", "1", Values::U64((0..median.workers.len()).map(|i| (i + first_rank) as u64).collect()))
        .column("tasks", "1", Values::U64(median.workers.iter().map(|w| w.tasks).collect()))
        .column("chunks", "1", Values::U64(median.workers.iter().map(|w| w.chunks).collect()))
        .column("busy_s", "s", Values::F64(median.workers.iter().map(|w| w.busy).collect()))
        .column("init_s", "s", Values::F64(median.startup.clone()))
        .column("reinits", "1", Values::U64(median.workers.iter().map(|w| w.inits).collect()))
        .column("reinit_s", "s", Values::F64(median.workers.iter().map(|w| w.init).collect()));
    w.attr("threads_per_worker", AttrValue::U64(ctx.threads as u64));

    vec![t, w]
}

const PYTHON_REFERENCE: &str = "CPython multiprocessing.Pool(2).map(carre, range(200000)) on the development VM: 83 000 tasks/s with chunksize=1, 7.3 million with chunksize=1000 (scripts/bench-pool.sh)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imbalance_and_overhead_follow_from_the_counts() {
        let w = |busy| WorkerStats { busy, ..Default::default() };
        assert_eq!(imbalance(&[w(1.0), w(3.0)]), 1.5);
        assert_eq!(imbalance(&[w(0.0), w(0.0)]), 1.0);
        let run =
            Run { time: 2.0, first_result: 0.0, pending_peak: 0, workers: vec![w(1.0), w(1.5)], startup: vec![0.0; 2] };
        assert_eq!(overhead_per_task(&run, 10), 0.15);
    }
}
