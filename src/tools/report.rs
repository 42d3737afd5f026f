//! `parahpc report`: figures and a readable report from results files. Each registered experiment
//! renders its own section (`Experiment::report`); groups no experiment knows are listed.

use crate::experiments;
use crate::output::files::write_atomically;
use crate::report::document::{self, Block};
use crate::report::headline::Headline;
use crate::report::load::ResultsFile;
use crate::run::failure::{Failure, Outcome};
use clap::Args;
use std::path::{Path, PathBuf};

/// Plots and a readable report from parahpc results files; runs without mpirun.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Plots and a readable report from parahpc results files; runs without mpirun.\n\n\
    Reads one or more results files (several runs or machines are compared in one report) and \
    writes into DIR one PNG and one SVG per experiment present, report.md, and report.html with \
    the figures embedded. Experiments missing from the files are skipped.\n\n\
    The report of one suite file opens with its machine card: every headline figure (peak, \
    bandwidth, latencies, MPI's α and β, DGEMM and Linpack against the peak, Amdahl's serial \
    fraction, a task's cost, false sharing) with the lesson it proves, as a picture and a table. \
    Several files are put side by side: each headline figure of each, and the last over the first; \
    every figure overlays their curves. With --reference, every headline figure of every file is \
    checked against the reference file's, and the report exits 1 naming each one that is worse \
    by more than --tolerance (a cluster's regression check).\n\n\
    Examples:\n  \
    parahpc report parahpc-amdahl-*.h5 -o report\n  \
    parahpc report before.h5 after.h5 -o compare\n  \
    parahpc report today.h5 --reference accepted.h5 --tolerance 10% -o check")]
pub struct ReportArgs {
    /// Results files to read
    #[arg(required = true, value_name = "FILE.h5")]
    pub files: Vec<PathBuf>,

    /// Directory for the report (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = "parahpc-report")]
    pub output: PathBuf,

    /// Replace a report already in DIR instead of refusing to
    #[arg(long)]
    pub force: bool,

    /// A results file whose headline figures the others must not fall behind: the report exits
    /// 1 naming each figure worse by more than --tolerance
    #[arg(long, value_name = "REF.h5")]
    pub reference: Option<PathBuf>,

    /// How much worse than the reference a figure may be, e.g. 10%
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_percent)]
    pub tolerance: f64,
}

/// A share written as a percentage: 10% or 10 (of 100).
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 =
        s.trim().trim_end_matches('%').trim().parse().map_err(|_| format!("'{s}' is not a percentage, e.g. 10%"))?;
    if (0.0..100.0).contains(&v) {
        Ok(v / 100.0)
    } else {
        Err(format!("must be from 0 % to below 100 %, got '{s}'"))
    }
}

fn runs_table(files: &[ResultsFile]) -> Block {
    let header = ["file", "hosts", "ranks", "threads/rank", "start (UTC)", "parahpc (git)", "MPI", "complete"];
    let rows = files
        .iter()
        .map(|f| {
            let mut hosts = f.hostnames.clone();
            hosts.sort();
            hosts.dedup();
            let git: String = f.text("git_revision").chars().take(12).collect();
            let mpi: String = f.text("mpi_library").split(',').next().unwrap_or("").to_string();
            vec![
                f.label.clone(),
                hosts.join(", "),
                f.text("world_size"),
                f.text("threads_per_rank"),
                f.text("start_time"),
                format!("{} ({git})", f.text("parahpc_version")),
                mpi,
                if f.text("incomplete") == "1" { format!("no: {}", f.text("incomplete_reason")) } else { "yes".into() },
            ]
        })
        .collect();
    Block::Table(header.iter().map(|s| s.to_string()).collect(), rows)
}

/// Runs on one process: reads the files, writes the figures, report.md and report.html.
pub fn run(args: &ReportArgs) -> Outcome<()> {
    let files =
        args.files.iter().map(|p| ResultsFile::load(p)).collect::<Result<Vec<_>, _>>().map_err(Failure::usage)?;
    let reference = args.reference.as_deref().map(ResultsFile::load).transpose().map_err(Failure::usage)?;
    let dir = &args.output;
    let markdown_path = dir.join("report.md");
    if markdown_path.exists() && !args.force {
        return Err(Failure::usage(format!(
            "{} already holds a report; pass --force to replace it or -o to choose another directory",
            dir.display()
        )));
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    let checked = reference.as_ref().map(|r| super::compare::against(&files, r, args.tolerance));
    let written = write_report(&files, dir, checked.as_ref().map(|c| &c.0[..]).unwrap_or_default());
    if written.is_err() && created {
        // Everything in it is ours, and half a report helps nobody.
        let _ = std::fs::remove_dir_all(dir);
    }
    written?;
    match checked {
        Some((_, fell)) if !fell.is_empty() => Err(Failure::failed(format!(
            "{} figure(s) fell behind the reference by more than {:.0} %: {}",
            fell.len(),
            100.0 * args.tolerance,
            fell.join("; ")
        ))),
        _ => Ok(()),
    }
}

fn write_report(files: &[ResultsFile], dir: &Path, against_reference: &[Block]) -> Outcome<()> {
    let markdown_path = dir.join("report.md");
    let mut blocks = vec![
        Block::Heading(1, "parahpc report".into()),
        Block::Paragraph(format!(
            "Generated {} from {} results file(s): {}.",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
            files.len(),
            files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>().join(", ")
        )),
        Block::Heading(2, "Runs".into()),
        runs_table(files),
    ];
    // The sections first, so that the card can show the figures they draw.
    let mut section_blocks = Vec::new();
    let mut sections = 0;
    for experiment in experiments::ALL {
        let holding: Vec<&ResultsFile> = files.iter().filter(|f| f.groups.contains_key(experiment.name())).collect();
        if !holding.is_empty() {
            section_blocks.extend(experiment.report(&holding, dir).map_err(Failure::usage)?);
            sections += 1;
        }
    }
    // One suite: its card first. Several files: their figures side by side.
    match files {
        [one] if one.groups.contains_key("suite") => {
            blocks.extend(super::compare::card(one, dir).map_err(Failure::usage)?)
        }
        [_] => {}
        several => blocks.extend(super::compare::side_by_side(several)),
    }
    blocks.extend(against_reference.iter().cloned());
    blocks.extend(section_blocks);
    let mut unknown: Vec<&str> = files
        .iter()
        .flat_map(|f| f.groups.keys())
        .map(String::as_str)
        .filter(|g| !g.contains('/'))
        .filter(|g| experiments::find(g).is_none())
        .collect();
    unknown.sort();
    unknown.dedup();
    if !unknown.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "Not reported (no section for them in this parahpc): {}.",
            unknown.join(", ")
        )));
    }

    let markdown = document::markdown(&blocks);
    let html = document::html("parahpc report", &blocks, |stem| {
        std::fs::read_to_string(dir.join(format!("{stem}.svg")))
            .unwrap_or_else(|e| format!("<p>missing {stem}.svg: {e}</p>"))
    });
    write_atomically(&markdown_path, markdown.as_bytes(), true).map_err(Failure::failed)?;
    write_atomically(&dir.join("report.html"), html.as_bytes(), true).map_err(Failure::failed)?;
    eprintln!(
        "parahpc: wrote {} and report.html, {sections} section(s), in {}",
        markdown_path.display(),
        dir.display()
    );
    Ok(())
}

/// Every experiment's headlines in `file`, by experiment: the node first, then the registry's
/// order; figures that are not numbers are left out.
pub fn headlines_by_experiment(file: &ResultsFile) -> Vec<(&'static str, Vec<Headline>)> {
    let node_first = |e: &&&dyn experiments::Entry| e.name() != "topology";
    let mut experiments: Vec<&&dyn experiments::Entry> = experiments::ALL.iter().collect();
    experiments.sort_by_key(node_first);
    experiments
        .into_iter()
        .filter(|e| file.groups.contains_key(e.name()))
        .map(|e| (e.name(), e.headlines(file).into_iter().filter(|h| h.value.is_finite()).collect::<Vec<_>>()))
        .filter(|(_, h)| !h.is_empty())
        .collect()
}

/// Every experiment's headlines in `file`, in one list.
pub fn headlines_of(file: &ResultsFile) -> Vec<Headline> {
    headlines_by_experiment(file).into_iter().flat_map(|(_, h)| h).collect()
}
