//! The bank section: final balance, transfers lost and time per mode, beside CPython's.

use crate::report::document::Block;
use crate::report::load::ResultsFile;
use crate::output::console::format_number as num;
use std::path::Path;

/// The section for the files that hold /bank.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("bank")?;
        let mode = g.text_column(file, "bank", "mode")?;
        let (workers, balance, expected, lost, time) = (
            g.column(file, "bank", "workers")?,
            g.column(file, "bank", "balance_eur")?,
            g.column(file, "bank", "expected_eur")?,
            g.column(file, "bank", "lost")?,
            g.column(file, "bank", "time_median_s")?,
        );
        for i in 0..mode.len() {
            rows.push(vec![
                file.label.clone(),
                mode[i].clone(),
                workers[i].to_string(),
                balance[i].to_string(),
                expected[i].to_string(),
                lost[i].to_string(),
                num(time[i]),
            ]);
        }
        lines.push(format!(
            "{}: {} transfers of {} EUR onto {} EUR, {} µs pauses, balance in an MPI window ({}). {}. Lesson: an unlocked read-modify-write loses updates; locks and atomics never do, and locks serialise.{}",
            file.label,
            g.text("transfers"),
            g.text("amount_eur"),
            g.text("initial_eur"),
            g.text("delay_us"),
            g.text("window"),
            g.text("python_reference"),
            file.incomplete_note()
        ));
    }
    let header = ["file", "mode", "workers", "balance [EUR]", "expected [EUR]", "lost", "time [s]"];
    Ok(vec![
        Block::Heading(2, "bank: races and locks".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}
