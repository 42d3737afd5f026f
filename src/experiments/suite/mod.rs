//! `parahpc suite`: every registered experiment in one launch, each sized for its share of a
//! time budget and stopped at the end of it, into one results file (one group per experiment,
//! as its own run writes, and /suite with what became of each).

mod args;
mod report;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::path::Path;
use std::sync::OnceLock;

use crate::options::{CommonArgs, ThreadRequest};
use crate::output::schema::{field, Group};
use crate::output::{console, AttrValue, Recorder, Results, Stopped, Table, Values};
use crate::report::{document::Block, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use crate::run::signals;

use super::{Experiment, Invocation};

use args::SuiteArgs;

/// Every experiment in one launch, sized to a time budget, into one results file.
pub struct Suite;

const NAME: &str = "suite";

impl Experiment for Suite {
    const NAME: &'static str = NAME;
    type Args = SuiteArgs;
    // The highest any experiment needs: rayon and OpenBLAS threads run beside MPI.
    const THREAD_LEVEL: mpi::Threading = mpi::Threading::Funneled;
    const SCHEMA: &'static [Group] = &[Group {
        path: "suite",
        about: "One row per experiment the suite planned; each experiment's own groups hold its results.",
        datasets: &[
            field("experiment", "1", "the experiment"),
            field(
                "status",
                "1",
                "`complete`, `incomplete` (stopped at the end of its share, or by a signal), `not applicable` (this job's ranks, threads or nodes cannot show its lesson) or `failed`",
            ),
            field("reason", "1", "why it is incomplete, not applicable or failed; empty when complete"),
            field("arguments", "1", "its options, as its own command line takes them"),
            field("share_s", "s", "its share of the budget: what was left, divided among the experiments still to run"),
            field("time_s", "s", "how long it ran"),
        ],
        attributes: &[
            field("budget_s", "s", "the budget asked for (--budget)"),
            field(
                "network_allreduce_s",
                "s",
                "one 8-byte allreduce over the job, measured first: experiments that send a message per iteration are sized from it (0 with one rank)",
            ),
            field("time_s", "s", "the suite's time from its first experiment to its last"),
            field("experiments", "1", "experiments planned"),
            field("complete", "1", "experiments that completed"),
        ],
    }];

    fn common(args: &SuiteArgs) -> &CommonArgs {
        &args.common
    }

    fn threads(args: &SuiteArgs) -> ThreadRequest {
        ThreadRequest::Resolve(args.threads.count)
    }

    fn file_schema() -> &'static [Group] {
        static ALL: OnceLock<Vec<Group>> = OnceLock::new();
        ALL.get_or_init(|| {
            args::experiments()
                .flat_map(|name| super::find(name).expect("registered").schema().iter().cloned())
                .chain(Suite::SCHEMA.iter().cloned())
                .collect()
        })
    }

    fn run(ctx: &RunContext, args: &SuiteArgs, recorder: &mut Recorder) -> Outcome<Results> {
        self::run(ctx, args, recorder)
    }

    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        report::render(files, dir)
    }
}

/// How much of the budget `name`'s share weighs.
fn weight(name: &str) -> f64 {
    super::find(name).expect("registered").suite_weight()
}

/// What became of one experiment.
#[derive(Clone)]
struct Row {
    experiment: &'static str,
    status: &'static str,
    reason: String,
    arguments: String,
    share: f64,
    time: f64,
}

/// One experiment's command line parsed, ready to run into the suite's file.
struct Planned {
    name: &'static str,
    given: Option<Vec<String>>,
}

impl Planned {
    /// The options it runs with for `share` seconds, and the invocation they parse into.
    fn invocation(
        &self,
        share: f64,
        allreduce_s: f64,
        ranks: usize,
        quiet: bool,
    ) -> Outcome<(Vec<String>, Box<dyn Invocation>)> {
        let entry = super::find(self.name).expect("registered");
        let options = match &self.given {
            Some(given) => given.clone(),
            None => entry.suite_options(&super::Share::of(share, allreduce_s), ranks).unwrap_or_default(),
        };
        let argv = std::iter::once(self.name.to_string()).chain(options.iter().cloned()).chain(quiet.then(|| "-q".into()));
        let refused = |e: clap::Error| {
            let why = crate::options::one_line_error(&e);
            Failure::usage(format!("--{} \"{}\": {}", self.name, options.join(" "), why.trim_start_matches("error: ")))
        };
        let matches = entry.command().try_get_matches_from(argv).map_err(refused)?;
        let invocation = entry.parse(&matches).map_err(refused)?;
        Ok((options, invocation))
    }
}

/// One 8-byte allreduce over the whole job, in seconds: the first measured call on the actual
/// network, from which the experiments that send a message per iteration are sized (a slow
/// network gets fewer iterations, not the same count at a thousand times the cost). Ten calls
/// after one, the slowest rank's mean, as rank 0 saw it; 0 with one rank.
fn network_allreduce(ctx: &RunContext) -> f64 {
    if ctx.size < 2 {
        return 0.0;
    }
    let (one, mut sum) = (1.0f64, 0.0f64);
    ctx.world.all_reduce_into(&one, &mut sum, SystemOperation::sum());
    ctx.world.barrier();
    let t0 = mpi::time();
    for _ in 0..10 {
        ctx.world.all_reduce_into(&one, &mut sum, SystemOperation::sum());
    }
    let mut slowest = (mpi::time() - t0) / 10.0;
    let mine = slowest;
    ctx.world.all_reduce_into(&mine, &mut slowest, SystemOperation::max());
    ctx.world.process_at_rank(0).broadcast_into(&mut slowest);
    slowest
}

fn run(ctx: &RunContext, args: &SuiteArgs, recorder: &mut Recorder) -> Outcome<Results> {
    let plan: Vec<Planned> = args::experiments()
        .filter(|name| !args.skip.iter().any(|s| s == name))
        .map(|name| Planned { name, given: args.options.get(name).map(<[String]>::to_vec) })
        .collect();
    // The options given for an experiment are checked before anything runs.
    for p in plan.iter().filter(|p| p.given.is_some()) {
        p.invocation(0.0, 0.0, ctx.size, true)?;
    }
    let kept = match &args.resume {
        Some(path) => resume(ctx, path, &plan.iter().map(|p| p.name).collect::<Vec<_>>(), recorder)?,
        None => Vec::new(),
    };
    let quiet = args.common.quiet;
    let start = mpi::time();
    let allreduce_s = network_allreduce(ctx);
    // The last write and MPI's end take a moment: they come out of the budget.
    let usable = args.budget * 0.97;
    recorder.expect(plan.len(), "experiments");
    let mut rows: Vec<Row> = Vec::new();
    let mut stopped = None;
    // What this job's ranks, threads and nodes cannot show (one worker where a lesson needs two):
    // recorded with the reason, no share of the budget, no failure.
    let not_applicable: Vec<Option<String>> =
        plan.iter().map(|p| super::find(p.name).expect("registered").not_applicable(ctx)).collect();
    for (i, p) in plan.iter().enumerate() {
        if let Some(row) = kept.iter().find(|r| r.experiment == p.name) {
            rows.push(row.clone());
            continue;
        }
        if let Some(why) = &not_applicable[i] {
            let row = Row { experiment: p.name, status: "not applicable", reason: why.clone(), arguments: String::new(), share: 0.0, time: 0.0 };
            rows.push(row);
            continue;
        }
        let left: f64 = plan[i..]
            .iter()
            .zip(&not_applicable[i..])
            .filter(|(p, na)| na.is_none() && kept.iter().all(|r| r.experiment != p.name))
            .map(|(p, _)| weight(p.name))
            .sum();
        // Rank 0's clock decides: the ranks' clocks differ by the time between their starts,
        // and every rank must size its experiment alike (pool's task count, for one).
        let mut share = ((usable - (mpi::time() - start)) * weight(p.name) / left).max(1.0);
        ctx.world.process_at_rank(0).broadcast_into(&mut share);
        let (options, invocation) = p.invocation(share, allreduce_s, ctx.size, quiet)?;
        if ctx.is_root() && !quiet {
            let remaining = (args.budget - (mpi::time() - start)).max(0.0);
            crate::run::progress::started(
                NAME,
                &format!(
                    "{} of {}: {} {} (share {share:.0} s, {remaining:.0} s of the budget left)",
                    i + 1,
                    plan.len(),
                    p.name,
                    options.join(" ")
                ),
            );
        }
        ctx.world.barrier();
        signals::set_deadline(Some(share));
        let t0 = mpi::time();
        let outcome = invocation.run_in(ctx, recorder);
        signals::set_deadline(None);
        let time = mpi::time() - t0;
        let (status, reason) = match outcome {
            Ok(mut results) => {
                let verdict = match &results.stopped {
                    None => ("complete", String::new()),
                    Some(s) => {
                        if s.signal != signals::DEADLINE {
                            stopped = Some((s.signal, p.name));
                        }
                        ("incomplete", s.reason.clone())
                    }
                };
                results.stopped = None;
                recorder.carry(results);
                verdict
            }
            // Every rank knows (usage, a failed check): recorded, and the suite goes on.
            Err(Failure::Collective { message, .. }) => ("failed", message),
            Err(fatal) => return Err(fatal),
        };
        rows.push(Row { experiment: p.name, status, reason, arguments: options.join(" "), share, time });
        // The experiment counted its own steps; the suite's are experiments.
        recorder.expect(plan.len(), "experiments");
        if stopped.is_some() {
            break;
        }
        if let Some(signal) = recorder.step(ctx, i + 1, || {
            table(ctx, &rows, &Totals { budget: args.budget, elapsed: 0.0, planned: plan.len(), allreduce_s })
        })? {
            stopped = Some((signal, p.name));
            break;
        }
    }
    let elapsed = mpi::time() - start;
    let mut results = table(ctx, &rows, &Totals { budget: args.budget, elapsed, planned: plan.len(), allreduce_s });
    let complete = rows.iter().filter(|r| r.status == "complete").count();
    if let Some((signal, during)) = stopped {
        results.stopped = Some(Stopped {
            signal,
            reason: format!(
                "{} received during {during}, after {complete} of {} experiments complete",
                signals::name(signal),
                plan.len()
            ),
        });
    } else if rows.iter().any(|r| r.status == "failed") {
        // Cut at its share, an experiment ran (its file says how far); failed, it did not; not
        // applicable is no failure.
        let failed: Vec<String> =
            rows.iter().filter(|r| r.status == "failed").map(|r| format!("{} ({})", r.experiment, r.reason)).collect();
        results.verdict = Some(format!(
            "{} of {} experiments failed: {}; the file holds everything measured",
            failed.len(),
            plan.len(),
            failed.join("; ")
        ));
    }
    if ctx.is_root() {
        if let Some(t) = results.tables.first() {
            print!("{}", console::render(t));
        }
        println!(
            "suite: {complete} of {} experiments complete in {elapsed:.0} s (budget {:.0} s).",
            plan.len(),
            args.budget
        );
    }
    Ok(results)
}

/// A resumed file's complete experiments: their /suite rows, tables and per-rank matrices.
type ReadBack = (Vec<Row>, Vec<crate::output::Table>, Vec<crate::output::h5::Matrix>);

/// Collective: the complete experiments of the suite file at `path`, kept in `recorder` as they
/// were written (rank 0 reads them), and their rows of /suite (details on rank 0 only).
fn resume(ctx: &RunContext, path: &Path, planned: &[&'static str], recorder: &mut Recorder) -> Outcome<Vec<Row>> {
    let read = || -> Result<ReadBack, String> {
        let name = path.display();
        let file = hdf5::File::open(path).map_err(|e| format!("--resume {name}: {e}"))?;
        let size = file.attr("world_size").and_then(|a| a.read_scalar::<u64>()).map_err(|_| format!("--resume {name}: not a parahpc results file"))?;
        if size != ctx.size as u64 {
            return Err(format!("--resume {name}: its suite ran on {size} ranks, this one has {}: resume with as many", ctx.size));
        }
        let g = file.group(NAME).map_err(|_| format!("--resume {name}: no /suite: not a suite's file"))?;
        let text = |n: &str| -> Result<Vec<String>, String> {
            let ds = g.dataset(n).map_err(|e| format!("--resume {name}: /suite/{n}: {e}"))?;
            let v = ds.read_raw::<hdf5::types::VarLenUnicode>().map_err(|e| format!("--resume {name}: /suite/{n}: {e}"))?;
            Ok(v.iter().map(|s| s.as_str().to_string()).collect())
        };
        let number = |n: &str| g.dataset(n).and_then(|d| d.read_raw::<f64>()).map_err(|e| format!("--resume {name}: /suite/{n}: {e}"));
        let (experiment, status, reason, arguments) = (text("experiment")?, text("status")?, text("reason")?, text("arguments")?);
        let (share, time) = (number("share_s")?, number("time_s")?);
        let mut rows = Vec::new();
        let mut paths = Vec::new();
        for i in (0..experiment.len()).filter(|&i| status[i] == "complete") {
            // Only what this suite plans: a complete experiment now --skip'ped is left behind.
            let Some(&exp) = planned.iter().find(|&&e| e == experiment[i]) else { continue };
            paths.extend(super::find(exp).expect("registered").schema().iter().map(|g| g.path));
            rows.push(Row {
                experiment: exp,
                status: "complete",
                reason: reason[i].clone(),
                arguments: arguments[i].clone(),
                share: share[i],
                time: time[i],
            });
        }
        let (tables, matrices) = crate::output::h5::read_back(&file, &paths).map_err(|e| format!("--resume {name}: {e:#}"))?;
        Ok((rows, tables, matrices))
    };
    let mine = if ctx.is_root() { read().map_err(Failure::usage) } else { Ok((Vec::new(), Vec::new(), Vec::new())) };
    let (rows, tables, matrices) = ctx.agree(mine)?;
    recorder.carry_read_back(tables, matrices);
    // Every rank learns which experiments are done; only rank 0 writes their rows.
    let names: Vec<String> = rows.iter().map(|r| r.experiment.to_string()).collect();
    let done = ctx.broadcast_string(&names.join(","));
    let kept: Vec<Row> = planned
        .iter()
        .copied()
        .filter(|e| done.split(',').any(|d| d == *e))
        .map(|e| {
            rows.iter().find(|r| r.experiment == e).cloned().unwrap_or(Row {
                experiment: e,
                status: "complete",
                reason: String::new(),
                arguments: String::new(),
                share: 0.0,
                time: 0.0,
            })
        })
        .collect();
    if ctx.is_root() && !kept.is_empty() {
        eprintln!(
            "parahpc: suite: resuming {}: {} of {} experiments complete there, kept",
            path.display(),
            kept.len(),
            planned.len()
        );
    }
    Ok(kept)
}

/// The /suite table (rank 0's; none elsewhere).
/// What the suite's table says besides its rows.
struct Totals {
    budget: f64,
    elapsed: f64,
    planned: usize,
    allreduce_s: f64,
}

fn table(ctx: &RunContext, rows: &[Row], totals: &Totals) -> Results {
    let Totals { budget, elapsed, planned, allreduce_s } = *totals;
    let mut tables = Vec::new();
    if ctx.is_root() && !rows.is_empty() {
        let strings = |f: &dyn Fn(&Row) -> String| Values::Str(rows.iter().map(f).collect());
        let mut t = Table::new(NAME);
        t.column("experiment", "1", strings(&|r| r.experiment.to_string()))
            .column("status", "1", strings(&|r| r.status.to_string()))
            .column("reason", "1", strings(&|r| r.reason.clone()))
            .column("arguments", "1", strings(&|r| r.arguments.clone()))
            .column("share_s", "s", Values::F64(rows.iter().map(|r| r.share).collect()))
            .column("time_s", "s", Values::F64(rows.iter().map(|r| r.time).collect()));
        t.attr("budget_s", AttrValue::F64(budget))
            .attr("time_s", AttrValue::F64(elapsed))
            .attr("experiments", AttrValue::U64(planned as u64))
            .attr("network_allreduce_s", AttrValue::F64(allreduce_s))
            .attr("complete", AttrValue::U64(rows.iter().filter(|r| r.status == "complete").count() as u64));
        tables.push(t);
    }
    Results::complete(tables)
}
