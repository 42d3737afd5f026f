//! The countdown section: time and speedup per mode, beside CPython's.

use crate::report::document::Block;
use crate::report::load::ResultsFile;
use crate::output::console::format_number as num;
use std::path::Path;

/// The section for the files that hold /countdown.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("countdown")?;
        let mode = g.text_column(file, "countdown", "mode")?;
        let (ranks, threads, time, speedup) = (
            g.column(file, "countdown", "ranks")?,
            g.column(file, "countdown", "threads")?,
            g.column(file, "countdown", "time_median_s")?,
            g.column(file, "countdown", "speedup")?,
        );
        for i in 0..mode.len() {
            rows.push(vec![
                file.label.clone(),
                mode[i].clone(),
                ranks[i].to_string(),
                threads[i].to_string(),
                num(time[i]),
                num(speedup[i]),
            ]);
        }
        lines.push(format!(
            "{}: {} countdowns of {}. {}. Lesson: without an interpreter lock, threads scale like processes.{}",
            file.label,
            g.text("jobs"),
            g.text("n"),
            g.text("python_reference"),
            file.incomplete_note()
        ));
    }
    let header = ["file", "mode", "ranks", "threads", "time [s]", "speedup"];
    Ok(vec![
        Block::Heading(2, "countdown: threads against processes".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}
