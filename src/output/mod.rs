//! Results: tables of equal-length columns with units, written to HDF5 (and optionally JSON)
//! as the run goes (a checkpoint after completed steps, then the final file), and printed for
//! people.

pub mod console;
pub mod files;
pub mod h5;
pub mod json;
pub mod schema;

use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use files::{OutputPlan, Writer};
use mpi::traits::*;
use schema::Group;
use std::time::{Duration, Instant};

/// One column's values.
#[derive(Debug, Clone)]
pub enum Values {
    F64(Vec<f64>),
    U64(Vec<u64>),
    Str(Vec<String>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }
}

/// A column: name, units (UDUNITS style: "s", "1" for dimensionless) and values.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub units: &'static str,
    pub values: Values,
}

/// A scalar attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    F64(f64),
    U64(u64),
    Str(String),
}

/// An experiment's result table: HDF5 group `/<name>` with one 1-D dataset per column and the
/// scalars as group attributes.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub attrs: Vec<(&'static str, AttrValue)>,
}

impl Table {
    pub fn new(name: &'static str) -> Table {
        Table { name, columns: Vec::new(), attrs: Vec::new() }
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// Adds a column; all columns of a table have the same length.
    pub fn column(&mut self, name: &'static str, units: &'static str, values: Values) -> &mut Self {
        assert!(
            self.columns.is_empty() || values.len() == self.rows(),
            "column {name} has {} rows, table {} has {}",
            values.len(),
            self.name,
            self.rows()
        );
        self.columns.push(Column { name, units, values });
        self
    }

    pub fn attr(&mut self, name: &'static str, value: AttrValue) -> &mut Self {
        self.attrs.push((name, value));
        self
    }
}

/// Data of which every rank holds its own row: dataset `/<group>/<name>` of shape
/// (ranks, row length), gathered to rank 0, which writes it.
#[derive(Debug, Clone)]
pub struct PerRankRows {
    pub group: String,
    pub name: &'static str,
    pub units: &'static str,
    pub row: Vec<f64>,
}

/// Why a run stopped before the end: the stop signal, and how far it got.
pub struct Stopped {
    pub signal: i32,
    pub reason: String,
}

impl Stopped {
    /// Stopped by `signal` after `done` of `total` `steps` ("points", "sizes").
    pub fn after(signal: i32, done: usize, total: usize, steps: &str) -> Stopped {
        let reason = match signal {
            crate::run::signals::DEADLINE => {
                format!("cut at the end of its share of the suite's budget after {done} of {total} {steps}")
            }
            _ => format!("{} received after {done} of {total} {steps}", crate::run::signals::name(signal)),
        };
        Stopped { signal, reason }
    }
}

/// Everything one experiment records.
pub struct Results {
    pub tables: Vec<Table>,
    pub per_rank: Vec<PerRankRows>,
    /// Set when a signal stopped the run before the end; `None` for a complete run.
    pub stopped: Option<Stopped>,
    /// Set when the run, its file written, still failed in part (a suite with an experiment
    /// skipped): the message the run exits 1 with.
    pub verdict: Option<String>,
}

impl Results {
    /// A complete run's tables (only rank 0's are written; other ranks pass none).
    pub fn complete(tables: Vec<Table>) -> Results {
        Results { tables, per_rank: Vec::new(), stopped: None, verdict: None }
    }
}

/// At most one checkpoint in this long, so that short steps (comm's message sizes) do not write a
/// file each; the first completed step is always written.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// A results file's size, guessed before the run from what the experiment declares: HDF5's
/// metadata dominates (about 1 KiB per dataset and group, measured: 13 to 30 KiB per file), so
/// twice that, plus the root's.
pub fn estimate(schema: &[Group]) -> u64 {
    let objects: usize = schema::ROOT.datasets.len() + schema.iter().map(|g| 1 + g.datasets.len()).sum::<usize>();
    let attributes: usize = schema::ROOT.attributes.len() + schema.iter().map(|g| g.attributes.len()).sum::<usize>();
    8192 + 2048 * objects as u64 + 256 * attributes as u64
}

/// Writes one experiment's results file as the run goes: after completed steps a checkpoint
/// (the results so far, marked unfinished), so that a run killed or a rank lost keeps them; at
/// the end the final file, complete or stopped. Every version is built whole in memory and
/// renamed over the last, so the path always holds a valid file or none.
pub struct Recorder {
    plan: OutputPlan,
    schema: &'static [Group],
    /// Rank 0's writer.
    writer: Writer,
    /// When rank 0 last wrote a checkpoint.
    last: Option<Instant>,
    /// Steps the run will take, and what a step is ("points").
    steps: (usize, &'static str),
    /// Set when writing failed: the last good file stays.
    write_failed: bool,
    /// What earlier runs into the same file recorded (a suite's finished experiments): written
    /// with every later version.
    carried: Results,
    /// Per-rank matrices read back from an earlier file (rank 0's; a suite resumed).
    carried_matrices: Vec<h5::Matrix>,
}

impl Recorder {
    pub fn new(plan: OutputPlan, schema: &'static [Group]) -> Recorder {
        let writer = Writer::new(&plan.h5, plan.force);
        let carried = Results::complete(Vec::new());
        Recorder {
            plan,
            schema,
            writer,
            last: None,
            steps: (0, "steps"),
            write_failed: false,
            carried,
            carried_matrices: Vec::new(),
        }
    }

    /// Keeps what an earlier file holds (`h5::read_back`, on rank 0) in every version written
    /// from now on.
    pub fn carry_read_back(&mut self, tables: Vec<Table>, matrices: Vec<h5::Matrix>) {
        self.carried.tables.extend(tables);
        self.carried_matrices.extend(matrices);
    }

    /// Keeps `results` in every version written from now on, before the run's own.
    pub fn carry(&mut self, results: Results) {
        self.carried.tables.extend(results.tables);
        self.carried.per_rank.extend(results.per_rank);
    }

    /// The carried results followed by `results`.
    fn with_carried(&self, results: &Results) -> (Vec<Table>, Vec<PerRankRows>) {
        let tables = self.carried.tables.iter().chain(&results.tables).cloned().collect();
        let per_rank = self.carried.per_rank.iter().chain(&results.per_rank).cloned().collect();
        (tables, per_rank)
    }

    /// The steps this run will take, for the reason an unfinished or stopped file gives.
    pub fn expect(&mut self, total: usize, unit: &'static str) {
        self.steps = (total, unit);
    }

    /// A stop by `signal` after `done` completed steps.
    pub fn stopped(&self, signal: i32, done: usize) -> Stopped {
        Stopped::after(signal, done, self.steps.0, self.steps.1)
    }

    /// Collective, after `done` completed steps: the stop signal any rank received, if one did;
    /// otherwise, when a checkpoint is due, writes `results()` marked unfinished. One allreduce
    /// decides both, so every rank stops, or checkpoints, at the same step.
    pub fn step(&mut self, ctx: &RunContext, done: usize, results: impl FnOnce() -> Results) -> Outcome<Option<i32>> {
        crate::run::signals::first_step_done();
        let due = ctx.is_root() && self.last.is_none_or(|t| t.elapsed() >= CHECKPOINT_INTERVAL);
        let mine = [crate::run::signals::received().unwrap_or(0), i32::from(due)];
        let mut any = [0, 0];
        ctx.world.all_reduce_into(&mine[..], &mut any[..], mpi::collective::SystemOperation::max());
        if any[0] != 0 {
            return Ok(Some(any[0]));
        }
        if any[1] != 0 {
            let (total, unit) = self.steps;
            let reason = format!(
                "unfinished after {done} of {total} {unit}: the run was killed, a rank or its node died, or it is \
                 still running"
            );
            self.write(ctx, &results(), Some(reason))?;
            self.last = Some(Instant::now());
            // Test hook: the last rank fails on its own after the first checkpoint.
            if crate::run::failure::injected("panic-last-rank") && ctx.rank + 1 == ctx.size {
                panic!("injected failure of rank {}", ctx.rank);
            }
        }
        Ok(None)
    }

    /// Collective: the final file, complete or stopped, and the JSON export if asked.
    pub fn finish(&mut self, ctx: &RunContext, results: &Results) -> Outcome<()> {
        let incomplete = results.stopped.as_ref().map(|s| s.reason.clone());
        self.write(ctx, results, incomplete.clone())?;
        ctx.note(&format!("wrote {}", self.plan.h5.display()));
        let json = match (&self.plan.json, ctx.is_root()) {
            (Some(path), true) => {
                let doc = json::document(&root_attributes(ctx, incomplete), &self.with_carried(results).0);
                serde_json::to_string_pretty(&doc)
                    .map_err(|e| e.to_string())
                    .and_then(|text| files::write_atomically(path, (text + "\n").as_bytes(), self.plan.force))
                    .map(|()| ctx.note(&format!("wrote {}", path.display())))
            }
            _ => Ok(()),
        };
        ctx.agree(json.map_err(Failure::failed))
    }

    /// Collective: after a failed run, removes the checkpoint this run left, unless writing
    /// itself failed (then the last good checkpoint is what is left of the run).
    pub fn discard(&mut self, ctx: &RunContext) {
        if ctx.is_root() && !self.write_failed {
            self.writer.remove();
        }
    }

    /// Collective: checks `results` against the schema, gathers the per-rank rows to rank 0,
    /// which builds the file and writes it; every rank learns whether it worked.
    fn write(&mut self, ctx: &RunContext, results: &Results, incomplete: Option<String>) -> Outcome<()> {
        let root = root_attributes(ctx, incomplete);
        let (tables, rows) = self.with_carried(results);
        let declared = schema::check(self.schema, &tables, &rows)
            .and_then(|()| schema::check_root(root.iter().map(|(name, _)| *name)))
            .map_err(|e| Failure::failed(format!("internal error, results not written: {e}")));
        ctx.agree(declared)?;
        let mut matrices = gather(ctx, &rows)?;
        matrices.extend(self.carried_matrices.iter().cloned());
        let written = if ctx.is_root() {
            let per_rank: [(&str, &[String]); 4] = [
                ("hostnames", &ctx.hostnames),
                ("cpusets", &ctx.cpusets),
                ("numa_nodes", &ctx.numa_nodes),
                ("core_ids", &ctx.core_ids),
            ];
            let name = self.plan.h5.to_string_lossy();
            h5::image(&name, &root, &per_rank, &tables, &matrices)
                .map_err(|e| format!("cannot build the results file: {e:#}"))
                .and_then(|bytes| self.writer.write(&bytes))
                .map_err(|e| match self.writer.holds_its_file() {
                    true => format!("{e}; {name} keeps the last checkpoint, marked unfinished"),
                    false => e,
                })
        } else {
            Ok(())
        };
        let agreed = ctx.agree(written.map_err(Failure::failed));
        self.write_failed |= agreed.is_err();
        agreed
    }
}

/// Provenance recorded as root attributes of every results file.
fn provenance(ctx: &RunContext) -> Vec<(&'static str, AttrValue)> {
    let mpi_library = mpi::environment::library_version().unwrap_or_default();
    let (h5_major, h5_minor, h5_release) = hdf5::library_version();
    let mut attrs = vec![
        ("parahpc_version", AttrValue::Str(env!("CARGO_PKG_VERSION").into())),
        ("git_revision", AttrValue::Str(env!("PARAHPC_GIT_REVISION").into())),
        ("rustc_version", AttrValue::Str(env!("PARAHPC_RUSTC_VERSION").into())),
        ("command_line", AttrValue::Str(ctx.command_line.clone())),
        ("start_time", AttrValue::Str(ctx.start_time.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
        // The MPI library's string is C-style: cut at the first NUL, drop the newline.
        ("mpi_library", AttrValue::Str(library_line(&mpi_library))),
        ("mpi_thread_level", AttrValue::Str(format!("{:?}", ctx.thread_level).to_lowercase())),
        ("hdf5_library", AttrValue::Str(format!("{h5_major}.{h5_minor}.{h5_release}"))),
        ("blas_library", AttrValue::Str(crate::machine::blas::config())),
        ("cpu_model", AttrValue::Str(crate::machine::cpu_model())),
        ("world_size", AttrValue::U64(ctx.size as u64)),
        ("nodes", AttrValue::U64(ctx.nodes as u64)),
        ("threads_per_rank", AttrValue::U64(ctx.threads as u64)),
        ("threads_source", AttrValue::Str(ctx.threads_source.into())),
    ];
    // Under SLURM, the job as the scheduler saw it.
    for (variable, attribute) in SLURM_VARIABLES {
        if let Ok(value) = std::env::var(variable) {
            attrs.push((attribute, AttrValue::Str(value)));
        }
    }
    attrs
}

/// The MPI library's version string on one line: C-style, it ends at the first NUL, and MPICH's
/// spreads over lines and tabs ("MPICH Version:\t4.0.2\nMPICH Release date: ...").
fn library_line(raw: &str) -> String {
    raw.split('\0').next().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SLURM's description of the job, recorded where present (root attribute names on the right).
const SLURM_VARIABLES: [(&str, &str); 7] = [
    ("SLURM_JOB_ID", "slurm_job_id"),
    ("SLURM_JOB_NAME", "slurm_job_name"),
    ("SLURM_JOB_NODELIST", "slurm_job_nodelist"),
    ("SLURM_JOB_NUM_NODES", "slurm_job_num_nodes"),
    ("SLURM_NTASKS", "slurm_ntasks"),
    ("SLURM_CPUS_PER_TASK", "slurm_cpus_per_task"),
    ("SLURM_JOB_PARTITION", "slurm_job_partition"),
];

/// Root attributes: the run's provenance and whether the results are complete.
fn root_attributes(ctx: &RunContext, incomplete: Option<String>) -> Vec<(&'static str, AttrValue)> {
    let mut attrs = provenance(ctx);
    attrs.push(("incomplete", AttrValue::U64(incomplete.is_some() as u64)));
    attrs.push(("incomplete_reason", AttrValue::Str(incomplete.unwrap_or_default())));
    attrs
}

/// Collective: every rank's row of each `PerRankRows`, as matrices on rank 0 (empty elsewhere).
/// Rows of one dataset must have the same length on every rank.
fn gather(ctx: &RunContext, per_rank: &[PerRankRows]) -> Outcome<Vec<h5::Matrix>> {
    let root = ctx.world.process_at_rank(0);
    let mut matrices = Vec::new();
    for item in per_rank {
        let len = item.row.len() as u64;
        let (mut shortest, mut longest) = (0u64, 0u64);
        ctx.world.all_reduce_into(&len, &mut shortest, mpi::collective::SystemOperation::min());
        ctx.world.all_reduce_into(&len, &mut longest, mpi::collective::SystemOperation::max());
        if shortest != longest {
            return Err(Failure::failed(format!(
                "internal error: per-rank rows of {}/{} differ in length ({shortest} to {longest})",
                item.group, item.name
            )));
        }
        if ctx.is_root() {
            let mut values = vec![0.0; item.row.len() * ctx.size];
            root.gather_into_root(&item.row[..], &mut values[..]);
            matrices.push(h5::Matrix {
                group: item.group.clone(),
                name: item.name,
                units: item.units,
                rows: ctx.size,
                cols: item.row.len(),
                values,
            });
        } else {
            root.gather_into(&item.row[..]);
        }
    }
    Ok(matrices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_versions_fit_on_one_line() {
        assert_eq!(
            library_line("MPICH Version:\t4.0.2\nMPICH Release date:\tThu\n\0junk"),
            "MPICH Version: 4.0.2 MPICH Release date: Thu"
        );
        assert_eq!(library_line("Open MPI v4.1.4, package: Debian\n"), "Open MPI v4.1.4, package: Debian");
    }
}
