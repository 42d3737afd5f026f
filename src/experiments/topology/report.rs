//! The topology section: each node's layout and the binding problems, as tables and words.

use crate::report::document::Block;
use crate::report::headline::{at, Better, Headline};
use crate::report::load::ResultsFile;
use std::path::Path;

/// The section for the files that hold /topology.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let header =
        ["file", "host", "packages", "NUMA nodes", "cores", "PUs", "threads/core", "L1d", "L2", "L3 × instances"];
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let nodes = file.group("topology/nodes")?;
        let col = |name| nodes.column(file, "topology/nodes", name);
        let hosts = nodes.text_column(file, "topology/nodes", "host")?;
        let kib = |v: f64| format!("{} KiB", v / 1024.0);
        for (i, host) in hosts.iter().enumerate() {
            rows.push(vec![
                file.label.clone(),
                host.clone(),
                col("packages")?[i].to_string(),
                col("numa_nodes")?[i].to_string(),
                col("cores")?[i].to_string(),
                col("pus")?[i].to_string(),
                col("threads_per_core")?[i].to_string(),
                kib(col("l1d_bytes")?[i]),
                kib(col("l2_bytes")?[i]),
                format!("{} × {}", kib(col("l3_bytes")?[i]), col("l3_instances")?[i]),
            ]);
        }
        let ranks = file.group("topology")?;
        let flags = ranks.text_column(file, "topology", "flags")?;
        let found: Vec<String> =
            flags.iter().enumerate().filter(|(_, f)| !f.is_empty()).map(|(r, f)| format!("rank {r} {f}")).collect();
        problems.push(if found.is_empty() {
            format!("{}: every rank has cores of its own within one NUMA node.", file.label)
        } else {
            format!(
                "{}: {}. Lesson: ranks that share cores or span NUMA nodes measure each other, not the machine.",
                file.label,
                found.join("; ")
            )
        });
    }
    Ok(vec![
        Block::Heading(2, "topology: the machine and where the ranks ran".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(problems),
    ])
}

/// The node: its cores, caches and NUMA nodes (rank 0's node).
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("topology/nodes") else { return Vec::new() };
    let fact = |figure: &str, name: &str, scale: f64, unit: &'static str| {
        at(g, name, 0).map(|v| Headline::new(figure, v / scale, unit, Better::Neither, "The machine every other figure is measured on."))
    };
    [
        fact("cores per node", "cores", 1.0, "1"),
        fact("NUMA nodes per node", "numa_nodes", 1.0, "1"),
        fact("L1d cache", "l1d_bytes", 1024.0, "KiB"),
        fact("L2 cache", "l2_bytes", 1024.0, "KiB"),
        fact("L3 cache", "l3_bytes", 1024.0 * 1024.0, "MiB"),
    ]
    .into_iter()
    .flatten()
    .collect()
}
