//! The suite section: what became of each experiment (their own sections follow, from the same
//! file).

use crate::report::document::Block;
use crate::report::load::ResultsFile;
use std::path::Path;

/// The section for the files that hold /suite.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("suite")?;
        let text = |name| g.text_column(file, "suite", name);
        let (experiment, status, reason) = (text("experiment")?, text("status")?, text("reason")?);
        let (share, time) = (g.column(file, "suite", "share_s")?, g.column(file, "suite", "time_s")?);
        for i in 0..experiment.len() {
            rows.push(vec![
                file.label.clone(),
                experiment[i].clone(),
                status[i].clone(),
                format!("{:.1}", share[i]),
                format!("{:.1}", time[i]),
                reason[i].clone(),
            ]);
        }
        lines.push(format!(
            "{}: {} of {} experiments complete in {:.0} s of a {:.0} s budget.{}",
            file.label,
            g.text("complete"),
            g.text("experiments"),
            g.number(file, "suite", "time_s")?,
            g.number(file, "suite", "budget_s")?,
            file.incomplete_note()
        ));
    }
    let header = ["file", "experiment", "status", "share (s)", "time (s)", "reason"];
    Ok(vec![
        Block::Heading(2, "suite: the whole course in one launch".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}
