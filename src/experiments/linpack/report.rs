//! The linpack section: GFLOP/s against N per file (with the DGEMM rate of all ranks, dashed),
//! and each N's time split between the phases of HPL's algorithm.

use crate::output::console::format_number as num;
use crate::report::axis::{Axis, Unit};
use crate::report::document::Block;
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{at, number, Better, Headline};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Per file: its label, (N, GFLOP/s) points and the DGEMM rate of all its ranks.
struct LinpackFigure {
    curves: Vec<(String, Vec<(f64, f64)>)>,
    dgemm: Vec<(String, f64)>,
}

impl Figure for LinpackFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let points = || self.curves.iter().flat_map(|(_, p)| p.iter().copied());
        let x = Axis::log(points().map(|p| p.0), Unit::Count);
        let y = Axis::log(points().map(|p| p.1).chain(self.dgemm.iter().map(|d| d.1)), Unit::Plain);
        let mut chart = figure::chart(
            root,
            "Linpack: GFLOP/s against N (dashed: DGEMM on every rank at once)",
            22,
            (&x, "N (system order)"),
            (&y, "GFLOP/s (2/3 N³ + 3/2 N²)"),
        )?;
        figure::curves(&mut chart, &self.curves)?;
        let mut drawn: Vec<(f64, f64)> = points().collect();
        for (label, rate) in &self.dgemm {
            drawn.extend(figure::level(&mut chart, &x, *rate, format!("{label}: DGEMM, all ranks"))?);
        }
        figure::legend(&mut chart, figure::legend_corner(&x, &y, drawn))
    }
}

/// The section for the files that hold /linpack.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let (mut curves, mut dgemm, mut rows, mut lines) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for file in files {
        let g = file.group("linpack")?;
        let col = |name| g.column(file, "linpack", name);
        let (n, gflops, peak, of_dgemm, residual) =
            (col("n")?, col("gflops_best")?, col("fraction_of_peak")?, col("fraction_of_dgemm")?, col("residual")?);
        let phases = ["factor_s", "broadcast_s", "swap_s", "update_s", "solve_s"].map(col);
        let grid = g.text("grid");
        let label = format!("{} ({grid})", file.label);
        curves.push((label.clone(), n.iter().copied().zip(gflops.iter().copied()).collect()));
        dgemm.push((label, g.number(file, "linpack", "dgemm_gflops")?));
        for i in 0..n.len() {
            let split: Vec<f64> = phases.iter().map(|p| p.as_ref().map(|c| c[i]).unwrap_or(f64::NAN)).collect();
            let total: f64 = split.iter().sum();
            let share = |t: f64| format!("{:.0} %", 100.0 * t / total);
            rows.push(vec![
                file.label.clone(),
                grid.clone(),
                n[i].to_string(),
                num(gflops[i]),
                num(100.0 * peak[i]),
                num(100.0 * of_dgemm[i]),
                format!("{:.3e}", residual[i]),
                share(split[0]),
                share(split[1]),
                share(split[2]),
                share(split[3]),
                share(split[4]),
            ]);
        }
        let n_half = g.number(file, "linpack", "n_half")?;
        lines.push(format!(
            "{}: Rmax {} GFLOP/s at N = {}; N½ {}; peak {}. Every solve passed HPL's check ({} < {}). Lesson: LU is matrix multiplies at heart, so at large N it approaches the DGEMM rate of every core.{}",
            file.label,
            num(g.number(file, "linpack", "rmax_gflops")?),
            g.text("rmax_n"),
            if n_half.is_nan() { "below the smallest N".to_string() } else { format!("{n_half:.0}") },
            g.text("peak_source"),
            g.text("residual_definition"),
            g.text("residual_threshold"),
            file.incomplete_note()
        ));
    }
    figure::save(&LinpackFigure { curves, dgemm }, dir, "linpack")?;
    let header = [
        "file",
        "grid",
        "N",
        "GFLOP/s",
        "% of peak",
        "% of DGEMM",
        "residual",
        "factor",
        "broadcast",
        "swap",
        "update",
        "solve",
    ];
    Ok(vec![
        Block::Heading(2, "linpack: the Top500's benchmark".into()),
        Block::Figure("linpack".into(), "GFLOP/s against N, with the DGEMM rate of all ranks at once".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}

/// Rmax, its fraction of the peak, and N½.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("linpack") else { return Vec::new() };
    let rmax = number(g, "rmax_gflops").unwrap_or(f64::NAN);
    let at_rmax = g.columns.get("n").and_then(|(_, n)| n.iter().position(|&n| Some(n) == number(g, "rmax_n")));
    let fraction = at_rmax.and_then(|i| at(g, "fraction_of_peak", i)).unwrap_or(f64::NAN);
    let (n_max, n_half) = (number(g, "rmax_n").unwrap_or(f64::NAN), number(g, "n_half").unwrap_or(f64::NAN));
    vec![
        Headline::new("Linpack Rmax", rmax, "GFLOP/s", Better::Higher, "The Top500's figure: LU runs near the DGEMM rate of every core.")
            .shows(format!("Here Rmax = {} GFLOP/s, at N = {n_max}.", num(rmax))),
        Headline::new("Linpack, fraction of peak", fraction, "1", Better::Higher, "LU is matrix multiplies at heart.")
            .shows(format!("Here LU reaches {:.0} % of the job's cores' peak.", 100.0 * fraction)),
        Headline::new(
            "Linpack N½",
            n_half,
            "1",
            Better::Lower,
            "Small systems leave the machine waiting on panels and messages.",
        )
        .shows(format!("Here half of Rmax needs N ≥ {n_half}.")),
    ]
}
