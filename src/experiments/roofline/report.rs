//! The roofline section: the classic log–log figure (compute ceilings flat, memory ceilings
//! rising with intensity, every kernel a labelled point) and a table of what binds each kernel.

use crate::output::console::format_number as num;
use crate::report::axis::{Axis, Unit};
use crate::report::document::Block;
use crate::report::figure::{self, Entry, Figure, OrText};
use crate::report::headline::{at, rows_where, Better, Headline};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct RooflineFigure {
    /// (name, GFLOP/s) of the one-core f64 compute ceilings.
    peaks: Vec<(String, f64)>,
    /// (name, GB/s) of the one-core bandwidth ceiling of each level.
    bandwidths: Vec<(String, f64)>,
    /// (label, intensity, GFLOP/s)
    points: Vec<(String, f64, f64)>,
}

impl Figure for RooflineFigure {
    const SIZE: (u32, u32) = (1250, 800);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let area = root
            .titled("Roofline of one core: peaks (flat), bandwidth per level (rising), kernels (points)", ("sans-serif", 20))
            .text()?;
        // The legend stands beside the plot, where it covers no roof and no label.
        let (plot, key) = area.split_horizontally(area.dim_in_pixel().0 - 260);
        let top = self.peaks.iter().map(|p| p.1).fold(0.0, f64::max);
        let intensities = || self.points.iter().map(|p| p.1);
        let x = Axis::log(intensities().chain([0.05, 4.0 * top / self.bandwidths.iter().map(|b| b.1).fold(f64::INFINITY, f64::min)]), Unit::Plain);
        let y = Axis::log(self.points.iter().map(|p| p.2).chain(self.peaks.iter().map(|p| p.1)), Unit::Plain);
        let mut chart = figure::chart(&plot, "", 20, (&x, "arithmetic intensity [flop/B]"), (&y, "GFLOP/s"))?;
        let mut entries = Vec::new();
        for (i, (name, gflops)) in self.peaks.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart.draw_series(LineSeries::new([(x.low(), *gflops), (x.high(), *gflops)], color.stroke_width(2))).text()?;
            entries.push(Entry { label: format!("{name}: {} GFLOP/s", num(*gflops)), color, dash: None });
        }
        for (i, (name, gbps)) in self.bandwidths.iter().enumerate() {
            let color = Palette99::pick(i + self.peaks.len()).to_rgba();
            // Bandwidth × intensity, a straight line on log–log axes, up to the highest peak.
            let end = (top / gbps).min(x.high());
            chart
                .draw_series(DashedLineSeries::new([(x.low(), gbps * x.low()), (end, gbps * end)], 6, 4, color.stroke_width(2)))
                .text()?;
            entries.push(Entry { label: format!("{name}: {} GB/s", num(*gbps)), color, dash: Some((6, 4)) });
        }
        // A kernel with no memory traffic (amdahl spin) stands at the right edge.
        let at = |p: &(String, f64, f64)| (p.1.min(x.high()), p.2);
        chart.draw_series(self.points.iter().map(|p| Circle::new(at(p), 4, BLACK.filled()))).text()?;
        let labels: Vec<(String, (f64, f64))> = self.points.iter().map(|p| (p.0.clone(), at(p))).collect();
        figure::point_labels(&mut chart, &labels, 11)?;
        figure::legend_in(&key.margin(40, 0, 0, 0), &entries)
    }
}

/// The section for the files that hold /roofline: the figure of the first file, and every file's table.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut fig = RooflineFigure { peaks: Vec::new(), bandwidths: Vec::new(), points: Vec::new() };
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let g = file.group("roofline")?;
        let kernel = g.text_column(file, "roofline", "kernel")?;
        let level = g.text_column(file, "roofline", "level")?;
        let bound_by = g.text_column(file, "roofline", "bound_by")?;
        let (intensity, gflops, fraction) = (
            g.column(file, "roofline", "intensity")?,
            g.column(file, "roofline", "gflops")?,
            g.column(file, "roofline", "fraction_of_bound")?,
        );
        for i in 0..kernel.len() {
            rows.push(vec![
                file.label.clone(),
                kernel[i].clone(),
                level[i].clone(),
                num(intensity[i]),
                num(gflops[i]),
                bound_by[i].clone(),
                format!("{}%", num(100.0 * fraction[i])),
            ]);
        }
        let c = file.group("roofline/compute")?;
        let (unit, precision, scope) = (
            c.text_column(file, "roofline/compute", "unit")?,
            c.text_column(file, "roofline/compute", "precision")?,
            c.text_column(file, "roofline/compute", "scope")?,
        );
        let peak = c.column(file, "roofline/compute", "gflops")?;
        let m = file.group("roofline/memory")?;
        let (mlevel, mkernel, mscope) = (
            m.text_column(file, "roofline/memory", "level")?,
            m.text_column(file, "roofline/memory", "kernel")?,
            m.text_column(file, "roofline/memory", "scope")?,
        );
        let gbps = m.column(file, "roofline/memory", "gbps")?;
        if k == 0 {
            fig.peaks = (0..unit.len())
                .filter(|&i| precision[i] == "f64" && scope[i] == "core")
                .map(|i| (format!("{} f64", unit[i]), peak[i]))
                .collect();
            // The f32 points need their own roof: the fastest f32 unit's.
            if let Some(i) = (0..unit.len())
                .filter(|&i| precision[i] == "f32" && scope[i] == "core")
                .max_by(|&a, &b| peak[a].total_cmp(&peak[b]))
            {
                fig.peaks.push((format!("{} f32", unit[i]), peak[i]));
            }
            // Each level's ceiling: the best of its kernels on one core, as the run bounded them.
            for i in (0..mlevel.len()).filter(|&i| mscope[i] == "core") {
                let name = format!("{} {}", mlevel[i], mkernel[i]);
                match fig.bandwidths.iter_mut().find(|b| b.0.split(' ').next() == Some(mlevel[i].as_str())) {
                    Some(b) if b.1 < gbps[i] => *b = (name, gbps[i]),
                    Some(_) => {}
                    None => fig.bandwidths.push((name, gbps[i])),
                }
            }
            fig.points = (0..kernel.len()).map(|i| (format!("{} {}", kernel[i], level[i]), intensity[i], gflops[i])).collect();
        }
        let describe = |i: usize| format!("{} {} {}: {} GFLOP/s", unit[i], precision[i], scope[i], num(peak[i]));
        let node = (0..mlevel.len()).find(|&i| mscope[i] == "node").map(|i| format!("; DRAM triad per node {} GB/s", num(gbps[i])));
        lines.push(format!(
            "{}: peaks {}{}. Lesson: below the ridge the memory level sets the speed; above it, only the vector unit does.{}",
            file.label,
            (0..unit.len()).map(describe).collect::<Vec<_>>().join(", "),
            node.unwrap_or_default(),
            file.incomplete_note()
        ));
    }
    figure::save(&fig, dir, "roofline")?;
    let header = ["file", "kernel", "level", "flop/B", "GFLOP/s", "bound by", "of its bound"];
    Ok(vec![
        Block::Heading(2, "roofline: compute or memory bound".into()),
        Block::Figure("roofline".into(), "Roofline of one core, with the course's kernels placed on it".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}

/// The ceilings: one core's f64 peak, DRAM triad bandwidth per core and per node.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let mut out = Vec::new();
    if let Some(g) = file.groups.get("roofline/compute") {
        let peak = rows_where(g, "scope", "core")
            .filter(|&i| g.text_columns.get("precision").is_some_and(|p| p[i] == "f64"))
            .filter_map(|i| at(g, "gflops", i))
            .fold(f64::NAN, f64::max);
        out.push(
            Headline::new(
                "peak f64, one core",
                peak,
                "GFLOP/s",
                Better::Higher,
                "A core's FMA throughput on its widest vector unit: no kernel on one core computes faster.",
            )
            .shows(format!("Here one core computes at most {} GFLOP/s in f64.", num(peak))),
        );
    }
    if let Some(g) = file.groups.get("roofline/memory") {
        for (scope, figure, lesson) in [
            ("core", "DRAM triad, one core", "One core cannot use all of its node's memory bandwidth."),
            ("node", "DRAM triad, one node", "The memory wall: every core of a node shares this bandwidth."),
        ] {
            let gbps = rows_where(g, "scope", scope)
                .filter(|&i| g.text_columns.get("level").is_some_and(|l| l[i] == "DRAM"))
                .filter(|&i| g.text_columns.get("kernel").is_some_and(|k| k[i] == "triad"))
                .filter_map(|i| at(g, "gbps", i))
                .fold(f64::NAN, f64::max);
            let per = if scope == "core" { "one core" } else { "the node" };
            out.push(
                Headline::new(figure, gbps, "GB/s", Better::Higher, lesson)
                    .shows(format!("Here {per} streams {} GB/s from DRAM.", num(gbps))),
            );
        }
    }
    out
}
