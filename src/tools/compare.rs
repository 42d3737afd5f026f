//! The headline figures as a reader meets them: the machine card that opens the report of a
//! suite file, the side-by-side table of several files, and the check against a reference.

use super::report::{headlines_by_experiment, headlines_of};
use crate::output::console::format_number as num;
use crate::report::document::{Block, Tile};
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{self, Headline, Regression};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The card as a picture, to print and pin up: the machine on top, then each measured figure
/// with its value and what this machine shows.
struct Card {
    machine: [String; 2],
    lines: Vec<Headline>,
}

impl Figure for Card {
    const SIZE: (u32, u32) = (720, 900);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let font = |size: u32| ("sans-serif", size).into_font().color(&BLACK);
        let grey = ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80));
        root.draw(&Text::new("Machine card", (24, 14), font(24))).text()?;
        root.draw(&Text::new(self.machine[0].clone(), (24, 48), font(15))).text()?;
        root.draw(&Text::new(self.machine[1].clone(), (24, 68), grey.clone())).text()?;
        let step = ((Self::SIZE.1 as i32 - 110) / self.lines.len().max(1) as i32).min(46);
        for (i, h) in self.lines.iter().enumerate() {
            let y = 104 + i as i32 * step;
            root.draw(&Text::new(h.figure.clone(), (24, y), font(15))).text()?;
            root.draw(&Text::new(format!("{} {}", value(h.value), unit(h.unit)), (380, y), font(15))).text()?;
            let said = if h.shows.is_empty() { h.lesson.to_string() } else { h.shows.clone() };
            root.draw(&Text::new(said, (24, y + 19), grey.clone())).text()?;
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

/// The machine as its facts say it, on two lines: the CPU, its cores, caches and NUMA nodes;
/// then the MPI, the BLAS, and how the suite ran.
fn machine(file: &ResultsFile, facts: &[Headline]) -> [String; 2] {
    let fact =
        |name: &str| facts.iter().find(|h| h.figure == name).map(|h| format!("{} {}", value(h.value), unit(h.unit)));
    let mut node = vec![file.text("cpu_model")];
    node.extend(fact("cores per node").map(|c| format!("{} cores", c.trim())));
    node.extend(fact("NUMA nodes per node").map(|n| format!("{} NUMA node(s)", n.trim())));
    let caches: Vec<String> =
        ["L1d", "L2", "L3"].iter().filter_map(|l| fact(&format!("{l} cache")).map(|v| format!("{l} {v}"))).collect();
    if !caches.is_empty() {
        node.push(caches.join(", "));
    }
    let mut hosts = file.hostnames.clone();
    hosts.sort();
    hosts.dedup();
    let mpi = file.text("mpi_library").split(',').next().unwrap_or("").trim().to_string();
    let blas = file.text("blas_library").split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    [
        node.into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · "),
        format!(
            "{mpi} · {blas} · {} rank(s) × {} thread(s) on {} · {}",
            file.text("world_size"),
            file.text("threads_per_rank"),
            hosts.join(", "),
            file.text("start_time")
        ),
    ]
}

/// The machine card of one suite file: the machine once, then a tile per experiment with its
/// figure (where its section draws one) and each headline once, with the lesson it proves and
/// what this machine shows; card.png and card.svg hold the same, printable.
pub fn card(file: &ResultsFile, dir: &Path) -> Result<Vec<Block>, String> {
    let by_experiment = headlines_by_experiment(file);
    if by_experiment.is_empty() {
        return Ok(Vec::new());
    }
    let facts: Vec<Headline> =
        by_experiment.iter().filter(|(e, _)| *e == "topology").flat_map(|(_, h)| h.clone()).collect();
    let machine = machine(file, &facts);
    let measured: Vec<&(&str, Vec<Headline>)> = by_experiment.iter().filter(|(e, _)| *e != "topology").collect();
    let lines: Vec<Headline> = measured.iter().flat_map(|(_, h)| h.clone()).collect();
    figure::save(&Card { machine: machine.clone(), lines }, dir, "card")?;
    let tiles = measured
        .iter()
        .map(|(experiment, headlines)| Tile {
            title: experiment.to_string(),
            figure: dir.join(format!("{experiment}.svg")).exists().then(|| experiment.to_string()),
            lines: headlines
                .iter()
                .map(|h| {
                    let amount = format!("{} {}", value(h.value), unit(h.unit));
                    format!("{}: {}. {} {}", h.figure, amount.trim_end(), h.lesson, h.shows).trim_end().to_string()
                })
                .collect(),
        })
        .collect();
    Ok(vec![
        Block::Heading(2, "Machine card".into()),
        Block::Paragraph(format!(
            "{}. {}. From the suite in {}; to print: card.png, card.svg.",
            machine[0], machine[1], file.label
        )),
        Block::Tiles(tiles),
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
