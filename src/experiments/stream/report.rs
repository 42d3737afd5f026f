//! The stream section: bandwidth per kernel against workers, with where Triad saturates.

use crate::report::document::Block;
use crate::report::axis::{Axis, Unit};
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{Better, Headline};
use crate::report::load::ResultsFile;
use crate::output::console::format_number as num;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One file's curves: per kernel, (workers, aggregate GB/s) in sweep order.
struct Curves {
    label: String,
    kernels: Vec<(String, Vec<(f64, f64)>)>,
    /// Where Triad first reaches 90 % of its best.
    saturation: Option<(f64, f64)>,
}

struct StreamFigure {
    files: Vec<Curves>,
}

impl Figure for StreamFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let points = || self.files.iter().flat_map(|f| f.kernels.iter().flat_map(|(_, p)| p.iter().copied()));
        let x = Axis::workers(points().map(|p| p.0));
        let y = Axis::linear(points().map(|p| p.1), Unit::Plain, true);
        let mut chart = figure::chart(
            root,
            "Memory bandwidth: aggregate GB/s per kernel (× marks where Triad saturates)",
            22,
            (&x, "workers (ranks × threads), threads swept first"),
            (&y, "bandwidth [GB/s]"),
        )?;
        let mut color = 0;
        for file in &self.files {
            for (kernel, points) in &file.kernels {
                let c = Palette99::pick(color).to_rgba();
                color += 1;
                let label = if self.files.len() > 1 { format!("{}: {kernel}", file.label) } else { kernel.clone() };
                chart
                    .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
                    .text()?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled()))).text()?;
            }
            if let Some(p) = file.saturation {
                chart.draw_series([Cross::new(p, 12, BLACK.stroke_width(3))]).text()?;
            }
        }
        figure::legend(&mut chart, figure::legend_corner(&x, &y, points()))
    }
}

/// The section for the files that hold /stream.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut curves = Vec::new();
    let mut summaries = Vec::new();
    for file in files {
        let g = file.group("stream")?;
        let col = |name| g.column(file, "stream", name);
        let (ranks, threads, rate) = (col("ranks")?, col("threads")?, col("bandwidth_GBps")?);
        let kernel = g.text_column(file, "stream", "kernel")?;
        let mut kernels: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for i in 0..kernel.len() {
            let point = (ranks[i] * threads[i], rate[i]);
            match kernels.iter_mut().find(|(k, _)| *k == kernel[i]) {
                Some((_, v)) => v.push(point),
                None => kernels.push((kernel[i].clone(), vec![point])),
            }
        }
        let triad = kernels.iter().find(|(k, _)| k == "triad").map(|(_, v)| v.clone()).unwrap_or_default();
        let best = triad.iter().map(|p| p.1).fold(0.0, f64::max);
        let saturation = triad
            .iter()
            .copied()
            .find(|p| p.1 >= 0.9 * best)
            .filter(|p| Some(p) != triad.last() || triad.len() == 1);
        summaries.push(format!(
            "{}: {} of arrays per rank. {}. Triad with one worker: {} GB/s; at best {} GB/s. \
             Lesson: a few cores saturate the memory bus; past that point memory-bound code gains nothing from more cores.{}",
            file.label,
            crate::output::console::format_bytes(g.number(file, "stream", "bytes_per_rank")?),
            g.text("saturation"),
            triad.first().map_or("?".into(), |p| num(p.1)),
            num(best),
            file.incomplete_note()
        ));
        curves.push(Curves { label: file.label.clone(), kernels, saturation });
    }
    figure::save(&StreamFigure { files: curves }, dir, "stream")?;
    Ok(vec![
        Block::Heading(2, "stream: the memory wall".into()),
        Block::Figure(
            "stream".into(),
            "Aggregate bandwidth of Copy, Scale, Add and Triad as workers are added, threads first, then ranks"
                .into(),
        ),
        Block::List(summaries),
    ])
}

/// The best STREAM bandwidth of one node.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("stream") else { return Vec::new() };
    let Some((_, per_node)) = g.columns.get("bandwidth_per_node_GBps") else { return Vec::new() };
    let best = per_node.iter().copied().fold(f64::NAN, f64::max);
    let first = per_node.first().copied().unwrap_or(f64::NAN);
    vec![Headline::new("STREAM best, one node", best, "GB/s", Better::Higher, "Bandwidth saturates long before the cores run out.")
        .shows(format!("Here the node's best is {} GB/s, ×{} its first point's.", num(best), num(best / first)))]
}
