//! The reduce section: how many different sums each method gave, and what each cost per value
//! as the ranks grow.

use crate::output::console::format_number as num;
use crate::report::axis::{Axis, Unit};
use crate::report::document::Block;
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{at, rows_where, Better, Headline};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct ReduceFigure {
    /// (label, (workers, ns per value) points)
    curves: Vec<(String, Vec<(f64, f64)>)>,
}

impl Figure for ReduceFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let points = || self.curves.iter().flat_map(|(_, p)| p.iter().copied()).filter(|p| p.1.is_finite() && p.1 > 0.0);
        let x = Axis::workers(points().map(|p| p.0));
        let y = Axis::log(points().map(|p| p.1), Unit::Time { seconds_per_unit: 1e-9 });
        let mut chart = figure::chart(
            root,
            "Time per value summed, by method",
            22,
            (&x, "workers (ranks × threads)"),
            (&y, "time per value (slowest rank, median)"),
        )?;
        figure::curves(&mut chart, &self.curves)?;
        figure::legend(&mut chart, figure::legend_corner(&x, &y, points()))
    }
}

/// The section for the files that hold /reduce.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut fig = ReduceFigure { curves: Vec::new() };
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("reduce")?;
        let method = g.text_column(file, "reduce", "method")?;
        let (ranks, threads, ns) = (
            g.column(file, "reduce", "ranks")?,
            g.column(file, "reduce", "threads")?,
            g.column(file, "reduce", "ns_per_element")?,
        );
        let mut names: Vec<&String> = method.iter().collect();
        names.sort();
        names.dedup();
        let mut counts: Vec<f64> = threads.to_vec();
        counts.sort_by(f64::total_cmp);
        counts.dedup();
        for name in names {
            for &t in &counts {
                let points: Vec<(f64, f64)> = (0..method.len())
                    .filter(|&i| &method[i] == name && threads[i] == t)
                    .map(|i| (ranks[i] * threads[i], ns[i]))
                    .collect();
                let label = if counts.len() > 1 { format!("{name}, {t} thread(s)") } else { name.clone() };
                fig.curves.push((format!("{}: {label}", file.label), points));
            }
        }
        let m = file.group("reduce/methods")?;
        let mm = m.text_column(file, "reduce/methods", "method")?;
        let (distinct, worst, cost) = (
            m.column(file, "reduce/methods", "distinct_results")?,
            m.column(file, "reduce/methods", "max_error_ulps")?,
            m.column(file, "reduce/methods", "median_cost_vs_plain")?,
        );
        for i in 0..mm.len() {
            // A count reads as one: "1", not "1.000".
            rows.push(vec![file.label.clone(), mm[i].clone(), format!("{:.0}", distinct[i]), num(worst[i]), num(cost[i])]);
        }
        let points = ranks.iter().zip(threads).collect::<Vec<_>>().len() / mm.len().max(1);
        lines.push(format!(
            "{}: {} values of the {} data set over {points} point(s); the exact sum is {} ({}). Lesson: only an \
             exact sum gives the same bits whatever the split; the others change with the ranks, the threads and \
             even from one run to the next.{}",
            file.label,
            g.text("n"),
            g.text("data"),
            g.text("exact_sum"),
            g.text("exact_sum_bits"),
            file.incomplete_note()
        ));
    }
    figure::save(&fig, dir, "reduce")?;
    let header = ["file", "method", "distinct results", "max error [ulps]", "median cost vs plain"];
    Ok(vec![
        Block::Heading(2, "reduce: addition is not associative".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::Figure("reduce".into(), "Time per value summed against workers, per method".into()),
        Block::List(lines),
    ])
}

/// What a reproducible sum costs against a plain one.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("reduce/methods") else { return Vec::new() };
    let Some(i) = rows_where(g, "method", "reproducible").next() else { return Vec::new() };
    let cost = at(g, "median_cost_vs_plain", i).unwrap_or(f64::NAN);
    // The lesson's "little more" is at most ×1.5 (the goal the benchmark checks); a machine
    // where it costs more is told so, not told the lesson.
    let verdict = if cost <= 1.5 { "little more, as the lesson says" } else { "more than the lesson's ×1.5 on this CPU" };
    vec![Headline::new(
        "reproducible sum, cost against plain",
        cost,
        "1",
        Better::Lower,
        "The same bits on any number of ranks cost little more than a plain sum.",
    )
    .shows(format!("Here the exact, reproducible sum costs ×{} the plain one: {verdict}.", num(cost)))]
}
