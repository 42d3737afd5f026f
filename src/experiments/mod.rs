//! The experiments. Each is one folder that owns its command-line arguments (`args.rs`), its MPI
//! thread level, its run and the HDF5 layout it writes (`mod.rs`), and its report section
//! (`report.rs`); its pure kernels live in `crate::kernels`. The registry at the bottom lists
//! them: the command line, dispatch, `report` and `schema` all iterate over it.
//!
//! Adding an experiment: a folder with a type that implements `Experiment`, one line in
//! `registry!`, its tests (tests/<name>.rs), job script (jobs/<name>.sbatch) and doc page
//! (docs/<name>.md).

use crate::mpi::rma::Reach;
use crate::options::{CommonArgs, ThreadRequest};
use crate::output::{self, files::OutputPlan, schema::Group, AttrValue, Recorder, Results};
use crate::report::{document::Block, headline::Headline, load::ResultsFile};
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use std::marker::PhantomData;
use std::path::Path;

/// One lesson of the course as a measured experiment.
pub trait Experiment: 'static {
    /// The subcommand, the top-level HDF5 group it writes, and the default file name's stem.
    const NAME: &'static str;
    /// Its arguments (clap derive); the struct's doc comment and `long_about` are its `--help`.
    type Args: clap::Args + clap::FromArgMatches;
    /// The MPI thread level: Funneled where rayon threads run beside MPI (they never call it),
    /// Single otherwise, since OpenMPI 4.1 charges every message for a higher level (measured:
    /// 8-byte ping-pong 0.236 µs at Single, 0.285 µs at Funneled).
    const THREAD_LEVEL: mpi::Threading;
    /// Every group, dataset and attribute it writes, with units; each write is checked against it.
    const SCHEMA: &'static [Group];

    /// Every group its file may hold: its own (a suite's file holds every experiment's too).
    fn file_schema() -> &'static [Group] {
        Self::SCHEMA
    }

    fn common(args: &Self::Args) -> &CommonArgs;
    /// How many threads each rank runs.
    fn threads(args: &Self::Args) -> ThreadRequest;
    /// Collective over `ctx.world`: measures, verifies and returns what to record. After each
    /// completed step (a point, a size) it calls `recorder.step`, which checkpoints the results so
    /// far and says when a stop signal arrived; a stopped run returns the completed part with
    /// `Results::stopped` set. Long local work polls `run::signals::received` so that a stop is
    /// seen within a fraction of a second.
    fn run(ctx: &RunContext, args: &Self::Args, recorder: &mut Recorder) -> Outcome<Results>;
    /// The report section for the files that hold this experiment's group; figures go to `dir`.
    fn report(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String>;

    /// Its options in a suite, for a share of `share` seconds on `ranks` ranks (`Share` scales
    /// sizes measured on the 2-core development VM); None: its own defaults. Each experiment is
    /// stopped at the end of its share all the same.
    fn suite_options(_share: &Share, _ranks: usize) -> Option<Vec<String>> {
        None
    }

    /// How much of the suite's budget its share weighs against the others' 1.
    const SUITE_WEIGHT: f64 = 1.0;

    /// Why its lesson cannot be shown with this job's ranks, threads and nodes (a configuration,
    /// not a failure: one worker where a lesson needs two); None where it applies. The suite
    /// records such an experiment as `not applicable`; run alone, it is a usage error, before
    /// anything is printed as started.
    fn not_applicable(_ctx: &RunContext) -> Option<String> {
        None
    }

    /// Collective: why these arguments cannot run on this job (a size too small for its ranks, a
    /// value out of range): refused as a usage error before anything is printed as started, and
    /// before a suite runs it. None by default.
    fn refuse(_args: &Self::Args, _ctx: &RunContext) -> Option<String> {
        None
    }

    /// Why an option given on the command line (`given(id)`, by its field name) would do nothing
    /// beside the others, naming both; the command is then refused (exit 2). None by default.
    fn idle_option(_args: &Self::Args, _given: &dyn Fn(&str) -> bool) -> Option<String> {
        None
    }

    /// The few figures its results are summed up by (the machine card, comparisons, the
    /// regression check); none by default.
    fn headlines(_file: &ResultsFile) -> Vec<Headline> {
        Vec::new()
    }
}

/// An experiment as the registry holds it: the typed `Experiment` behind an object-safe face.
pub trait Entry: Sync {
    fn name(&self) -> &'static str;
    fn command(&self) -> clap::Command;
    fn parse(&self, matches: &clap::ArgMatches) -> Result<Box<dyn Invocation>, clap::Error>;
    fn schema(&self) -> &'static [Group];
    fn report(&self, files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String>;
    fn headlines(&self, file: &ResultsFile) -> Vec<Headline>;
    fn suite_options(&self, share: &Share, ranks: usize) -> Option<Vec<String>>;
    fn suite_weight(&self) -> f64;
    fn not_applicable(&self, ctx: &RunContext) -> Option<String>;
}

/// An experiment's parsed command line, ready to run.
pub trait Invocation {
    fn thread_level(&self) -> mpi::Threading;
    fn threads(&self) -> ThreadRequest;
    /// Collective: checks the output path, runs, saves the results and says how it ended.
    fn run(&self, ctx: &RunContext) -> Outcome<()>;
    /// Collective: runs into `recorder`, which another run owns (a suite's file).
    fn run_in(&self, ctx: &RunContext, recorder: &mut Recorder) -> Outcome<Results>;
}

struct Registered<E>(PhantomData<fn() -> E>);

impl<E: Experiment> Entry for Registered<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn command(&self) -> clap::Command {
        <E::Args as clap::Args>::augment_args(clap::Command::new(E::NAME))
    }

    fn parse(&self, matches: &clap::ArgMatches) -> Result<Box<dyn Invocation>, clap::Error> {
        let args = <E::Args as clap::FromArgMatches>::from_arg_matches(matches)?;
        let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        if let Some(why) = E::idle_option(&args, &given) {
            return Err(clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{why}\n")));
        }
        Ok(Box::new(Parsed::<E>(args)))
    }

    fn schema(&self) -> &'static [Group] {
        E::SCHEMA
    }

    fn report(&self, files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
        E::report(files, dir)
    }

    fn headlines(&self, file: &ResultsFile) -> Vec<Headline> {
        E::headlines(file)
    }

    fn suite_options(&self, share: &Share, ranks: usize) -> Option<Vec<String>> {
        E::suite_options(share, ranks)
    }

    fn suite_weight(&self) -> f64 {
        E::SUITE_WEIGHT
    }

    fn not_applicable(&self, ctx: &RunContext) -> Option<String> {
        E::not_applicable(ctx)
    }
}

/// An experiment's share of a suite's budget, and sizes scaled to it: `k` is 1 for the 20 s
/// share of a 5-minute budget, for which each experiment's base sizes take about 70 % of it on
/// the 2-core development VM with 2 ranks (measured there).
pub struct Share {
    pub k: f64,
    /// How much of a one-node message rate this job's network gives, in (0, 1]: the one-node
    /// time of an 8-byte allreduce over the measured one (`suite` measures it first).
    pub network: f64,
}

/// An 8-byte allreduce over the ranks of one node, in seconds (0.5–1.5 µs measured on the
/// development VMs with Open MPI and MPICH): the network counts below are sized for it.
pub const ONE_NODE_ALLREDUCE_S: f64 = 1.5e-6;

impl Share {
    /// The share of `seconds`, on a network whose 8-byte allreduce takes `allreduce_s`.
    pub fn of(seconds: f64, allreduce_s: f64) -> Share {
        let network = if allreduce_s > 0.0 { (ONE_NODE_ALLREDUCE_S / allreduce_s).clamp(1e-4, 1.0) } else { 1.0 };
        Share { k: (seconds / 20.0).clamp(0.05, 50.0), network }
    }

    /// A count of `base` at k = 1, scaled, never below `least`.
    pub fn count(&self, base: f64, least: f64) -> String {
        format!("{}", (base * self.k).max(least).round() as u64)
    }

    /// A count of messages: `count`, scaled down further by the network's slowness, so that a
    /// loop sized for one node does not spend its share on the first few sizes of a slow one.
    pub fn messages(&self, base: f64, least: f64) -> String {
        format!("{}", (base * self.k * self.network).max(least).round() as u64)
    }
}

/// Owned options from string slices.
pub fn options(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

struct Parsed<E: Experiment>(E::Args);

impl<E: Experiment> Invocation for Parsed<E> {
    fn thread_level(&self) -> mpi::Threading {
        E::THREAD_LEVEL
    }

    fn threads(&self) -> ThreadRequest {
        E::threads(&self.0)
    }

    fn run_in(&self, ctx: &RunContext, recorder: &mut Recorder) -> Outcome<Results> {
        if let Some(why) = E::refuse(&self.0, ctx) {
            return Err(Failure::usage(why));
        }
        E::run(ctx, &self.0, recorder)
    }

    fn run(&self, ctx: &RunContext) -> Outcome<()> {
        let output = OutputPlan::prepare(ctx, E::common(&self.0), E::NAME, output::estimate(E::file_schema()))?;
        // Before anything is printed as started: a lesson this job cannot show.
        if let Some(why) = E::not_applicable(ctx).or_else(|| E::refuse(&self.0, ctx)) {
            return Err(Failure::usage(why));
        }
        let path = output.h5.clone();
        if ctx.is_root() && !E::common(&self.0).quiet {
            let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            let message = format!(
                "started on {} ({}) × {} each; results to {}",
                plural(ctx.size, "rank"),
                plural(ctx.nodes, "node"),
                plural(ctx.threads, "thread"),
                path.display()
            );
            crate::run::progress::started(E::NAME, &message);
        }
        let mut recorder = Recorder::new(output, E::file_schema());
        let results = match E::run(ctx, &self.0, &mut recorder) {
            Ok(results) => results,
            Err(e) => {
                // A failed check leaves no results behind; a failed write leaves the last good one.
                recorder.discard(ctx);
                return Err(e);
            }
        };
        recorder.finish(ctx, &results)?;
        match &results.stopped {
            Some(stop) => {
                // How long this rank took from the signal to a written file.
                let after = crate::run::signals::seconds_since().unwrap_or(f64::NAN);
                Err(Failure::Collective {
                    message: format!(
                        "stopped: {}; the completed part is in {}, marked incomplete (written {after:.3} s after \
                         the signal)",
                        stop.reason,
                        path.display()
                    ),
                    exit_code: 128 + stop.signal,
                })
            }
            None => results.verdict.map_or(Ok(()), |v| Err(Failure::failed(v))),
        }
    }
}

/// The registered experiment called `name`.
pub fn find(name: &str) -> Option<&'static dyn Entry> {
    ALL.iter().copied().find(|e| e.name() == name)
}

/// How the ranks reached a one-sided window (bank's balance, pool's counter), or why they could
/// not: the attributes `window`, `window_creation`, `osc_component` and `window_error`.
pub fn window_attributes(window: Result<&Reach, &str>) -> [(&'static str, AttrValue); 4] {
    let text = |s: &str| AttrValue::Str(s.to_string());
    match window {
        Ok(reach) => [
            ("window", text(reach.kind)),
            ("window_creation", text(reach.creation)),
            ("osc_component", text(&reach.component)),
            ("window_error", text("")),
        ],
        Err(why) => [
            ("window", text("none")),
            ("window_creation", text("")),
            ("osc_component", text("")),
            ("window_error", text(why)),
        ],
    }
}

/// 1, 2, 4, ... below `n`, then `n` itself: the worker counts a sweep measures.
pub fn doubling_up_to(n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::successors(Some(1usize), |&k| Some(k * 2)).take_while(|&k| k < n).collect();
    v.push(n);
    v
}

/// Declares each experiment's module and lists it in `ALL`: one line per experiment.
macro_rules! registry {
    ($($module:ident::$experiment:ident),+ $(,)?) => {
        $(mod $module;)+
        /// Every experiment, in the order `parahpc --help` lists them.
        pub const ALL: &[&dyn Entry] = &[$(&Registered::<$module::$experiment>(PhantomData)),+];
    };
}

registry! {
    amdahl::Amdahl,
    comm::Comm,
    topology::Topology,
    stream::Stream,
    memlat::Memlat,
    randomaccess::Randomaccess,
    falseshare::Falseshare,
    countdown::Countdown,
    bank::Bank,
    pool::Pool,
    gemm::Gemm,
    simd::Simd,
    reduce::Reduce,
    roofline::Roofline,
    linpack::Linpack,
    suite::Suite,
}
