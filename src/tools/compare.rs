//! The headline figures as a reader meets them: the machine card that opens the report of a
//! suite file, the side-by-side table of several files, and the check against a reference.

use super::report::headlines_of;
use crate::output::console::format_number as num;
use crate::report::document::Block;
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{self, Headline, Regression};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The card as a picture: one line per figure, its value and its lesson.
struct Card {
    title: String,
    lines: Vec<Headline>,
}

impl Figure for Card {
    const SIZE: (u32, u32) = (1000, 640);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let font = |size: u32| ("sans-serif", size).into_font().color(&BLACK);
        root.draw(&Text::new(self.title.clone(), (24, 20), font(22))).text()?;
        let step = ((Self::SIZE.1 as i32 - 80) / self.lines.len().max(1) as i32).min(36);
        for (i, h) in self.lines.iter().enumerate() {
            let y = 64 + i as i32 * step;
            root.draw(&Text::new(h.figure.clone(), (24, y), font(15))).text()?;
            root.draw(&Text::new(format!("{} {}", value(h.value), unit(h.unit)), (330, y), font(15))).text()?;
            root.draw(&Text::new(
                h.lesson.to_string(),
                (480, y + 2),
                ("sans-serif", 11).into_font().color(&RGBColor(90, 90, 90)),
            ))
            .text()?;
        }
        Ok(())
    }
}

/// A count as a count (8, not 8.000), anything else to four figures.
fn value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{}", v as i64)
    } else {
        num(v)
    }
}

/// A unit as a reader writes it ("1" is none).
fn unit(u: &str) -> &str {
    match u {
        "1" => "",
        "us" => "µs",
        other => other,
    }
}

/// The machine card of one suite file: a picture and a table, each figure with its lesson.
pub fn card(file: &ResultsFile, dir: &Path) -> Result<Vec<Block>, String> {
    let lines = headlines_of(file);
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let mut hosts = file.hostnames.clone();
    hosts.sort();
    hosts.dedup();
    let title = format!(
        "{}: {} rank(s) × {} thread(s), {}",
        hosts.join(", "),
        file.text("world_size"),
        file.text("threads_per_rank"),
        file.text("start_time")
    );
    figure::save(&Card { title: title.clone(), lines: lines.clone() }, dir, "card")?;
    let rows = lines
        .iter()
        .map(|h| vec![h.figure.clone(), value(h.value), unit(h.unit).to_string(), h.lesson.to_string()])
        .collect();
    Ok(vec![
        Block::Heading(2, "Machine card".into()),
        Block::Paragraph(format!("{title}, from the suite in {}.", file.label)),
        Block::Figure("card".into(), "The machine card: each measured figure with the lesson it proves".into()),
        Block::Table(["figure", "value", "unit", "lesson"].map(String::from).to_vec(), rows),
    ])
}

/// Several files side by side: every headline figure any of them has, and the last against the
/// first.
pub fn side_by_side(files: &[ResultsFile]) -> Vec<Block> {
    let per_file: Vec<Vec<Headline>> = files.iter().map(headlines_of).collect();
    let mut figures: Vec<(&str, &str)> = Vec::new();
    for h in per_file.iter().flatten() {
        if !figures.iter().any(|(f, _)| *f == h.figure) {
            figures.push((&h.figure, h.unit));
        }
    }
    if figures.is_empty() {
        return Vec::new();
    }
    let value = |i: usize, figure: &str| per_file[i].iter().find(|h| h.figure == figure).map(|h| h.value);
    let last = files.len() - 1;
    let rows = figures
        .iter()
        .map(|(figure, u)| {
            let mut row = vec![figure.to_string(), unit(u).to_string()];
            row.extend((0..files.len()).map(|i| value(i, figure).map_or("–".into(), num)));
            row.push(match (value(0, figure), value(last, figure)) {
                (Some(a), Some(b)) if a != 0.0 => num(b / a),
                _ => "–".into(),
            });
            row
        })
        .collect();
    let mut header = vec!["figure".to_string(), "unit".to_string()];
    header.extend(files.iter().map(|f| f.label.clone()));
    header.push(format!("{} / {}", files[last].label, files[0].label));
    vec![
        Block::Heading(2, "Side by side".into()),
        Block::Paragraph(format!(
            "The headline figures of each file; the last column is {} over {}. The figures below overlay the files' curves.",
            files[last].label, files[0].label
        )),
        Block::Table(header, rows),
    ]
}

/// Every figure of `files` worse than `reference`'s by more than `tolerance`, as a section and
/// as the lines of the error.
pub fn against(files: &[ResultsFile], reference: &ResultsFile, tolerance: f64) -> (Vec<Block>, Vec<String>) {
    let base = headlines_of(reference);
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        for Regression { figure, value, reference: r, unit: u } in
            headline::regressions(&headlines_of(file), &base, tolerance)
        {
            let change = 100.0 * (value / r - 1.0);
            lines.push(format!(
                "{}: {figure} {} {} against {} ({change:+.0} %)",
                file.label,
                num(value),
                unit(u),
                num(r)
            ));
            rows.push(vec![
                file.label.clone(),
                figure,
                num(value),
                num(r),
                unit(u).to_string(),
                format!("{change:+.0} %"),
            ]);
        }
    }
    let mut blocks = vec![
        Block::Heading(2, "Against the reference".into()),
        Block::Paragraph(format!(
            "Every headline figure against {}, tolerance {:.0} %: {}.",
            reference.label,
            100.0 * tolerance,
            if lines.is_empty() { "none fell behind".to_string() } else { format!("{} fell behind", lines.len()) }
        )),
    ];
    if !rows.is_empty() {
        blocks.push(Block::Table(
            ["file", "figure", "value", "reference", "unit", "change"].map(String::from).to_vec(),
            rows,
        ));
    }
    (blocks, lines)
}
