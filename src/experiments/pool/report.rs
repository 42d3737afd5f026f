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
    // The median run's: one lucky run is not what a task costs.
    let mut sorted: Vec<f64> = overhead.iter().copied().filter(|o| o.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let typical = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let chunk = crate::report::headline::number(g, "chunksize").unwrap_or(f64::NAN);
    vec![Headline::new(
        "task farm overhead per task",
        typical * 1e6,
        "us",
        Better::Lower,
        "A task must be worth more than what handing it out costs.",
    )
    .shows(format!(
        "Here a chunk of {chunk} task(s) costs {} µs per task to hand out and collect: a task must be worth more.",
        num(typical * 1e6)
    ))]
}
