//! What a results file holds, declared by each experiment beside the code that writes it: every
//! group, dataset and attribute, with units and meaning. Every write is checked against the
//! declaration (an undeclared name or a different unit fails the run as a bug), and
//! `parahpc schema` prints it; docs/results-schema.md holds that output.

use super::{PerRankRows, Table};

/// A dataset or attribute: its name, units (UDUNITS style: "s", "B", "1" for dimensionless,
/// "" for text) and what it means.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub units: &'static str,
    pub about: &'static str,
}

/// Shorthand for declaring a `Field`.
pub const fn field(name: &'static str, units: &'static str, about: &'static str) -> Field {
    Field { name, units, about }
}

/// One HDF5 group: its path without the leading slash ("" for the root), what it holds, its
/// datasets and its attributes.
#[derive(Debug, Clone)]
pub struct Group {
    pub path: &'static str,
    pub about: &'static str,
    pub datasets: &'static [Field],
    pub attributes: &'static [Field],
}

/// What every results file holds at its root, whatever the experiment.
pub const ROOT: Group = Group {
    path: "",
    about: "The run's provenance, and where every rank ran. The string datasets have one entry per rank.",
    datasets: &[
        field("hostnames", "", "host of every rank"),
        field("cpusets", "", "CPUs every rank is bound to, e.g. `0-3,8`"),
        field("numa_nodes", "", "NUMA nodes every rank's CPUs lie on, e.g. `0` or `0,1`"),
        field("core_ids", "", "`package:core` pairs of every rank's CPUs, e.g. `0:2,0:3`"),
    ],
    attributes: &[
        field("parahpc_version", "", "the program's version"),
        field("git_revision", "", "the commit it was built from, suffixed `-dirty` if built from modified sources"),
        field("rustc_version", "", "the compiler that built it"),
        field("command_line", "", "the command as typed, shell-quoted"),
        field("start_time", "", "ISO 8601 UTC, e.g. `2026-11-24T02:33:13Z`"),
        field("mpi_library", "", "the MPI library's version string"),
        field("mpi_thread_level", "", "the MPI thread level provided: `single` or `funneled`"),
        field("hdf5_library", "", "the HDF5 library's version"),
        field("blas_library", "", "OpenBLAS's configuration string and thread count"),
        field("cpu_model", "", "rank 0's CPU as the kernel names it (/proc/cpuinfo)"),
        field("world_size", "1", "ranks in the job"),
        field("nodes", "1", "distinct hosts in the job"),
        field("threads_per_rank", "1", "threads each rank ran"),
        field(
            "threads_source",
            "",
            "where the thread count came from: `--threads`, `RAYON_NUM_THREADS`, `SLURM_CPUS_PER_TASK`, \
             `cpu binding`, or why the experiment runs one thread",
        ),
        field("incomplete", "1", "0 for a complete run, 1 for one stopped early"),
        field(
            "incomplete_reason",
            "",
            "why it stopped early, e.g. `SIGTERM received after 3 of 5 points`; empty if complete",
        ),
        field("slurm_job_id", "", "under SLURM only (as are the next five): the job id, as SLURM sets it"),
        field("slurm_job_name", "", "the job's name"),
        field("slurm_job_nodelist", "", "the job's nodes"),
        field("slurm_job_num_nodes", "", "how many nodes"),
        field("slurm_ntasks", "", "how many tasks"),
        field("slurm_cpus_per_task", "", "CPUs per task"),
        field("slurm_job_partition", "", "the partition"),
    ],
};

fn declared<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == name)
}

/// Checks that every table, column, attribute and per-rank dataset about to be written is
/// declared in `schema`, columns with the declared units.
pub fn check(schema: &[Group], tables: &[Table], per_rank: &[PerRankRows]) -> Result<(), String> {
    let group = |path: &str| {
        schema.iter().find(|g| g.path == path).ok_or_else(|| format!("group /{path} is not in the schema"))
    };
    for table in tables {
        let g = group(table.name)?;
        for column in &table.columns {
            match declared(g.datasets, column.name) {
                Some(f) if f.units == column.units => {}
                Some(f) => {
                    return Err(format!(
                        "/{}/{} is written in '{}' but declared in '{}'",
                        table.name, column.name, column.units, f.units
                    ))
                }
                None => return Err(format!("/{}/{} is not in the schema", table.name, column.name)),
            }
        }
        if let Some((name, _)) = table.attrs.iter().find(|(name, _)| declared(g.attributes, name).is_none()) {
            return Err(format!("attribute {name} of /{} is not in the schema", table.name));
        }
    }
    for rows in per_rank {
        let g = group(&rows.group)?;
        match declared(g.datasets, rows.name) {
            Some(f) if f.units == rows.units => {}
            _ => return Err(format!("/{}/{} ({}) is not in the schema", rows.group, rows.name, rows.units)),
        }
    }
    Ok(())
}

/// Checks root attribute names against `ROOT`.
pub fn check_root(names: impl IntoIterator<Item = &'static str>) -> Result<(), String> {
    match names.into_iter().find(|name| declared(ROOT.attributes, name).is_none()) {
        Some(name) => Err(format!("root attribute {name} is not in the schema")),
        None => Ok(()),
    }
}

fn units(u: &str) -> &str {
    if u.is_empty() {
        "text"
    } else {
        u
    }
}

/// The groups as Markdown: one table of datasets and one of attributes per group.
pub fn markdown(title: &str, groups: &[Group]) -> String {
    let mut out = format!("## {title}\n\n");
    for g in groups {
        out += &format!("### `/{}`\n\n{}\n\n", g.path, g.about);
        for (kind, fields) in [("dataset", g.datasets), ("attribute", g.attributes)] {
            if fields.is_empty() {
                continue;
            }
            out += &format!("| {kind} | units | meaning |\n|---|---|---|\n");
            for f in fields {
                out += &format!("| `{}` | {} | {} |\n", f.name, units(f.units), f.about);
            }
            out += "\n";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Values;

    const DEMO: &[Group] = &[Group {
        path: "demo",
        about: "a demo",
        datasets: &[field("time_s", "s", "a time")],
        attributes: &[field("kernel", "", "which")],
    }];

    #[test]
    fn undeclared_names_and_wrong_units_are_caught() {
        let mut t = Table::new("demo");
        t.column("time_s", "s", Values::F64(vec![1.0])).attr("kernel", crate::output::AttrValue::U64(1));
        assert_eq!(check(DEMO, std::slice::from_ref(&t), &[]), Ok(()));
        let mut wrong_units = Table::new("demo");
        wrong_units.column("time_s", "ms", Values::F64(vec![1.0]));
        assert!(check(DEMO, &[wrong_units], &[]).unwrap_err().contains("declared in 's'"));
        let mut extra = Table::new("demo");
        extra.column("other", "1", Values::F64(vec![1.0]));
        assert!(check(DEMO, &[extra], &[]).unwrap_err().contains("/demo/other is not in the schema"));
        assert!(check(DEMO, &[Table::new("elsewhere")], &[]).is_err());
        assert!(check_root(["world_size", "slurm_job_id"]).is_ok());
        assert!(check_root(["surprise"]).is_err());
    }
}
