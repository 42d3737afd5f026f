//! The falseshare section: time per increment, packed against padded, per placement.

use crate::report::document::Block;
use crate::report::headline::{Better, Headline};
use crate::report::load::ResultsFile;
use crate::output::console::format_number as num;
use std::path::Path;

/// The section for the files that hold /falseshare.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("falseshare")?;
        let placement = g.text_column(file, "falseshare", "placement")?;
        let layout = g.text_column(file, "falseshare", "layout")?;
        let (ns, slow, threads) = (
            g.column(file, "falseshare", "ns_per_increment")?,
            g.column(file, "falseshare", "slowdown")?,
            g.column(file, "falseshare", "threads")?,
        );
        for i in 0..placement.len() {
            rows.push(vec![
                file.label.clone(),
                placement[i].clone(),
                layout[i].clone(),
                threads[i].to_string(),
                num(ns[i]),
                num(slow[i]),
            ]);
        }
        let worst = slow.iter().copied().filter(|s| s.is_finite()).fold(1.0, f64::max);
        lines.push(format!(
            "{}: sharing a cache line made private counters up to ×{} slower. Lesson: pad per-thread data to its own line.{}",
            file.label,
            num(worst),
            file.incomplete_note()
        ));
    }
    let header = ["file", "placement", "layout", "threads", "ns per increment", "slowdown"];
    Ok(vec![
        Block::Heading(2, "falseshare: cache lines, not variables".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}

/// The worst slowdown of counters that share a cache line.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("falseshare") else { return Vec::new() };
    let Some((_, slowdown)) = g.columns.get("slowdown") else { return Vec::new() };
    let worst = slowdown.iter().copied().fold(f64::NAN, f64::max);
    let verdict = if worst >= 1.5 {
        "a line that two workers write bounces between their caches"
    } else {
        "little here: the workers may share one core's cache, or run one at a time (oversubscribed)"
    };
    vec![Headline::new(
        "false-sharing slowdown",
        worst,
        "1",
        Better::Neither,
        "Caches keep lines, not variables: pad per-worker data to its own line.",
    )
    .shows(format!("Here counters sharing a line ran ×{} slower: {verdict}.", num(worst)))]
}
