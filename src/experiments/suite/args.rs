//! `parahpc suite`: its command line.

use crate::options::{parse_duration, CommonArgs, ThreadArgs};
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

/// Every experiment in one launch, sized to a time budget, into one results file.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Every experiment in one launch, sized to a time budget, into one results file.\n\n\
    The whole course on this machine, as the HPC Challenge suite runs its benchmarks in one launch: \
    topology, amdahl (spin kernel), comm, stream, memlat, falseshare, countdown, bank, pool, gemm \
    (with SUMMA over every rank when there are several), simd, reduce, roofline and linpack, one \
    after the other, each with sizes chosen for its share of --budget and every check it makes alone. \
    Each experiment's share is what is left of the budget divided among the experiments still to \
    run; one that would outlast its share is stopped at the end of it as a stop signal would stop \
    it, keeps what it completed and is marked incomplete. The file holds one group per experiment, \
    the same as its own run writes, and /suite: each experiment's status (complete, incomplete, not \
    applicable or failed, with the reason), its arguments and its time. An experiment whose lesson \
    this job cannot show (comm or amdahl with one worker, falseshare with no two workers on one \
    node) is not applicable and takes no share; one that fails (a check, an error every rank \
    sees) is recorded and the suite goes on; the exit status is 1 when one failed. A stop signal ends the suite with the \
    experiments completed so far in the file. Every experiment runs with the suite's threads per \
    rank (--threads). --<experiment> \"OPTIONS\" replaces the suite's sizes for one experiment \
    (whitespace-separated, no quoting). --resume FILE goes on from a stopped or partial suite: \
    what completed there is kept, the rest runs.\n\n\
    Examples:\n  \
    mpirun -n 2 parahpc suite --budget 3m\n  \
    mpirun -n 4 parahpc suite --threads 2 --gemm \"--n 2048 --dist\" --skip memlat\n  \
    mpirun -n 2 parahpc suite --resume stopped.h5 -o stopped.h5 --force")]
pub struct SuiteArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Wall-clock budget for the whole suite, e.g. 90s, 5m, 1h
    #[arg(long, value_name = "TIME", default_value = "5m", value_parser = parse_budget)]
    pub budget: f64,

    /// Experiments to leave out, e.g. memlat,pool
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_experiment)]
    pub skip: Vec<String>,

    /// A suite's file to go on from: its complete experiments are kept as they are, the others
    /// (incomplete, not applicable, failed, not reached) run; the new file goes to -o (FILE itself with --force)
    #[arg(long, value_name = "FILE")]
    pub resume: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub options: PassThrough,
}

/// The experiments a suite runs, in order.
pub fn experiments() -> impl Iterator<Item = &'static str> {
    super::super::ALL.iter().map(|e| e.name()).filter(|&n| n != super::NAME)
}

fn parse_experiment(s: &str) -> Result<String, String> {
    experiments()
        .find(|&n| n == s.trim())
        .map(str::to_string)
        .ok_or_else(|| format!("'{s}' is not an experiment ({})", experiments().collect::<Vec<_>>().join(", ")))
}

/// The budget: a duration from 10 s to a week.
pub fn parse_budget(s: &str) -> Result<f64, String> {
    let seconds = parse_duration(s)?;
    if !(10.0..=7.0 * 86400.0).contains(&seconds) {
        return Err(format!("must be from 10 s to a week, got '{s}'"));
    }
    Ok(seconds)
}

/// `--<experiment> "OPTIONS"` for each experiment: built from the registry, so a new experiment
/// gets its option without a line here.
#[derive(Debug, Clone, Default)]
pub struct PassThrough(pub Vec<(&'static str, Vec<String>)>);

impl PassThrough {
    /// The options given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| &v[..])
    }
}

impl FromArgMatches for PassThrough {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(PassThrough(
            experiments()
                .filter_map(|name| {
                    let options = matches.get_one::<String>(name)?;
                    Some((name, options.split_whitespace().map(str::to_string).collect()))
                })
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = PassThrough::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for PassThrough {
    fn augment_args(cmd: Command) -> Command {
        experiments().fold(cmd, |cmd, name| {
            cmd.arg(
                Arg::new(name)
                    .long(name)
                    .value_name("OPTIONS")
                    .allow_hyphen_values(true)
                    .help_heading("Options for one experiment")
                    .help(format!("Options for {name} in place of the suite's sizes, e.g. --{name} \"--repeats 5\"")),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        PassThrough::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_budget("90s"), Ok(90.0));
        assert_eq!(parse_budget("5m"), Ok(300.0));
        assert_eq!(parse_budget("1.5h"), Ok(5400.0));
        assert_eq!(parse_budget("120"), Ok(120.0));
        assert!(parse_budget("1s").is_err());
        assert!(parse_budget("soon").is_err());
    }

    #[test]
    fn every_experiment_but_the_suite_is_run_and_named() {
        let names: Vec<&str> = experiments().collect();
        assert!(names.contains(&"amdahl") && names.contains(&"linpack"), "{names:?}");
        assert!(!names.contains(&"suite"));
        assert!(parse_experiment("gemm").is_ok());
        assert!(parse_experiment("suite").unwrap_err().contains("not an experiment"));
    }
}
