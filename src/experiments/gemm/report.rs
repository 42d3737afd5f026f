//! The gemm section: GFLOP/s against matrix size per implementation and thread count, with the
//! core's peak, and the SUMMA rows with their parallel efficiency.

use crate::report::document::Block;
use crate::report::axis::{Axis, Unit};
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{at, rows_where, Better, Headline};
use crate::report::load::ResultsFile;
use crate::output::console::format_number as num;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Per curve: its label and (n, GFLOP/s) points; and each file's one-core peak.
struct GemmFigure {
    curves: Vec<(String, Vec<(f64, f64)>)>,
    peaks: Vec<(String, f64)>,
}

impl Figure for GemmFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let points = || self.curves.iter().flat_map(|(_, p)| p.iter().copied());
        let peaks = self.peaks.iter().map(|p| p.1).filter(|p| p.is_finite());
        let x = Axis::log(points().map(|p| p.0), Unit::Count);
        let y = Axis::log(points().map(|p| p.1).chain(peaks), Unit::Plain);
        let mut chart = figure::chart(
            root,
            "Matrix multiply: GFLOP/s per implementation (dashed: one core's peak)",
            22,
            (&x, "n (matrices n × n)"),
            (&y, "GFLOP/s (2n³ flops)"),
        )?;
        figure::curves(&mut chart, &self.curves)?;
        let mut drawn: Vec<(f64, f64)> = points().collect();
        for (label, peak) in self.peaks.iter().filter(|p| p.1.is_finite()) {
            drawn.extend(figure::level(&mut chart, &x, *peak, format!("{label}: peak of one core"))?);
        }
        figure::legend(&mut chart, figure::legend_corner(&x, &y, drawn))
    }
}

/// The section for the files that hold /gemm.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let (mut curves, mut peaks, mut rows, mut lines) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for file in files {
        let g = file.group("gemm")?;
        let col = |name| g.column(file, "gemm", name);
        let implementation = g.text_column(file, "gemm", "impl")?;
        let (n, ranks, threads, gflops, fraction, efficiency) = (
            col("n")?,
            col("ranks")?,
            col("threads")?,
            col("gflops")?,
            col("fraction_of_peak")?,
            col("parallel_efficiency")?,
        );
        for i in 0..implementation.len() {
            let label = format!(
                "{}{} ×{} ranks ×{} threads",
                if files.len() > 1 { format!("{}: ", file.label) } else { String::new() },
                implementation[i],
                ranks[i],
                threads[i]
            );
            match curves.iter_mut().find(|(l, _): &&mut (String, Vec<(f64, f64)>)| *l == label) {
                Some((_, v)) => v.push((n[i], gflops[i])),
                None => curves.push((label, vec![(n[i], gflops[i])])),
            }
            rows.push(vec![
                file.label.clone(),
                implementation[i].clone(),
                n[i].to_string(),
                ranks[i].to_string(),
                threads[i].to_string(),
                num(gflops[i]),
                num(100.0 * fraction[i]),
                num(efficiency[i]),
            ]);
        }
        peaks.push((file.label.clone(), g.number(file, "gemm", "peak_gflops_per_core")?));
        lines.push(format!(
            "{}: peak {}. Every product passed HPL's check ({} < {}). Lesson: without a tuned, vectorised, threaded BLAS, numerics miss the essential: performance.{}",
            file.label,
            g.text("peak_source"),
            g.text("residual_definition"),
            g.text("residual_threshold"),
            file.incomplete_note()
        ));
    }
    figure::save(&GemmFigure { curves, peaks }, dir, "gemm")?;
    let header = ["file", "impl", "n", "ranks", "threads", "GFLOP/s", "% of peak", "parallel efficiency"];
    Ok(vec![
        Block::Heading(2, "gemm: BLAS against hand-written loops".into()),
        Block::Figure(
            "gemm".into(),
            "GFLOP/s against n for each implementation and thread count, with one core's peak".into(),
        ),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}

/// OpenBLAS dgemm on one core at the largest n, as a rate and against the core's peak.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("gemm") else { return Vec::new() };
    let best = rows_where(g, "impl", "blas")
        .filter(|&i| at(g, "threads", i) == Some(1.0))
        .max_by(|&a, &b| at(g, "n", a).unwrap_or(0.0).total_cmp(&at(g, "n", b).unwrap_or(0.0)));
    let Some(i) = best else { return Vec::new() };
    let lesson = "A tuned BLAS reaches most of the core's peak; the textbook loop does not.";
    let (gflops, fraction, n) =
        (at(g, "gflops", i).unwrap_or(f64::NAN), at(g, "fraction_of_peak", i).unwrap_or(f64::NAN), at(g, "n", i).unwrap_or(f64::NAN));
    let naive = rows_where(g, "impl", "naive").filter_map(|j| at(g, "gflops", j)).fold(f64::NAN, f64::max);
    let against = if naive.is_finite() { format!(", ×{} the textbook loop's best", num(gflops / naive)) } else { String::new() };
    vec![
        Headline::new("DGEMM, one core", gflops, "GFLOP/s", Better::Higher, lesson)
            .shows(format!("Here OpenBLAS multiplies n = {n} at {} GFLOP/s on one core{against}.", num(gflops))),
        Headline::new("DGEMM, fraction of peak", fraction, "1", Better::Higher, lesson)
            .shows(format!("Here that is {:.0} % of the core's measured peak.", 100.0 * fraction)),
    ]
}
