//! The pool section: the task farm's throughput, balance and overhead per run, beside CPython's.

use crate::report::document::Block;
use crate::report::headline::{Better, Headline};
use crate::report::load::ResultsFile;
use crate::model::stats::Summary;
use crate::output::console::format_number as num;
use std::path::Path;

/// The section for the files that hold /pool.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("pool")?;
        let rate = Summary::of(g.column(file, "pool", "tasks_per_s")?)
            .ok_or_else(|| format!("{}: /pool has no runs", file.label))?;
        let imbalance = Summary::of(g.column(file, "pool", "imbalance")?).map_or(f64::NAN, |s| s.median);
        let overhead = Summary::of(g.column(file, "pool", "overhead_per_task_s")?).map_or(f64::NAN, |s| s.median);
        rows.push(vec![
            file.label.clone(),
            g.text("task"),
            g.text("tasks"),
            g.text("chunksize"),
            g.text("schedule"),
            g.text("workers"),
            num(rate.median),
            format!("{} – {}", num(rate.min), num(rate.max)),
            num(imbalance),
            num(overhead * 1e6),
        ]);
        lines.push(format!(
            "{}: chunks from a {}; results consumed {}. {}. Lesson: every chunk costs a message; small chunks pay it per task, large ones pay in imbalance.{}",
            file.label,
            g.text("queue"),
            if g.text("ordered") == "1" { "in task order (map)" } else { "as they come (imap_unordered)" },
            g.text("python_reference"),
            file.incomplete_note()
        ));
    }
    let header = [
        "file",
        "task",
        "tasks",
        "chunk",
        "schedule",
        "workers",
        "tasks/s (median)",
        "tasks/s (min – max)",
        "imbalance",
        "overhead [µs/task]",
    ];
    Ok(vec![
        Block::Heading(2, "pool: a task farm".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}

/// What one task costs the farm beyond its own work.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("pool") else { return Vec::new() };
    let Some((_, overhead)) = g.columns.get("overhead_per_task_s") else { return Vec::new() };
    let best = overhead.iter().copied().fold(f64::NAN, f64::min);
    vec![Headline::new(
        "task farm overhead per task",
        best * 1e6,
        "us",
        Better::Lower,
        "A task must be worth more than what handing it out costs.",
    )]
}
