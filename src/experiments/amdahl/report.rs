//! The amdahl section: measured speedup against the fitted law, the ideal line and the
//! ceiling; efficiency and Karp–Flatt below; one summary per run.

use crate::report::document::Block;
use crate::report::axis::{Axis, Unit};
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{number, Better, Headline};
use crate::report::load::{Group, ResultsFile};
use crate::model::scaling_laws::{amdahl_speedup, gustafson_speedup};
use crate::output::console::format_number as num;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One run's curve.
struct Series {
    label: String,
    weak: bool,
    /// Workers relative to the baseline.
    n: Vec<f64>,
    speedup: Vec<f64>,
    efficiency: Vec<f64>,
    karp_flatt: Vec<f64>,
    f: f64,
}

impl Series {
    fn read(file: &ResultsFile, g: &Group) -> Result<Series, String> {
        let col = |name| g.column(file, "amdahl", name);
        let (ranks, threads) = (col("ranks")?, col("threads")?);
        let baseline = g.number(file, "amdahl", "baseline_workers")?;
        Ok(Series {
            label: file.label.clone(),
            weak: g.text("mode") == "weak",
            n: ranks.iter().zip(threads).map(|(r, t)| r * t / baseline).collect(),
            speedup: col("speedup")?.to_vec(),
            efficiency: col("efficiency")?.to_vec(),
            karp_flatt: col("karp_flatt")?.to_vec(),
            f: g.number(file, "amdahl", "serial_fraction_fit")?,
        })
    }

    fn law(&self, n: f64) -> f64 {
        if self.weak {
            gustafson_speedup(self.f, n)
        } else {
            amdahl_speedup(self.f, n)
        }
    }
}

struct AmdahlFigure {
    series: Vec<Series>,
}

fn points(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    xs.iter().zip(ys).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(&x, &y)| (x, y)).collect()
}

impl Figure for AmdahlFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let (upper, lower) = root.split_vertically(Self::SIZE.1 * 3 / 5);
        let workers = Axis::workers(self.series.iter().flat_map(|s| s.n.iter().copied()));
        let max_n = workers.ticks().last().copied().unwrap_or(2.0);
        let measured = self.series.iter().flat_map(|s| s.speedup.iter().copied()).filter(|s| s.is_finite());
        let measured_max = measured.fold(max_n, f64::max);
        // Show a ceiling that is within reach of the data: it is the lesson.
        let ceilings: Vec<f64> = self
            .series
            .iter()
            .filter(|s| !s.weak && s.f > 0.0 && 1.0 / s.f <= 4.0 * measured_max)
            .map(|s| 1.0 / s.f)
            .collect();
        let speedup = Axis::log(
            self.series.iter().flat_map(|s| s.speedup.iter().copied()).chain([1.0, max_n]).chain(ceilings.iter().copied()),
            Unit::Plain,
        );
        let curve: Vec<f64> = (0..=200).map(|i| max_n.powf(i as f64 / 200.0)).collect();

        let mut chart = figure::chart(
            &upper,
            "Speedup: measured, fitted law, ideal and ceiling",
            22,
            (&workers, "n = workers (ranks × threads) / baseline workers"),
            (&speedup, "speedup"),
        )?;
        // A straight line on log–log axes: two end points, nothing to round on the way.
        chart
            .draw_series(LineSeries::new([(1.0, 1.0), (max_n, max_n)], BLACK.mix(0.35).stroke_width(2)))
            .text()?
            .label("ideal: speedup = n")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.35)));
        let mut drawn = vec![(1.0, 1.0), (max_n, max_n)];
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let measured = points(&s.n, &s.speedup);
            drawn.extend(&measured);
            chart
                .draw_series(LineSeries::new(measured.clone(), color.stroke_width(2)))
                .text()?
                .label(format!("{}: measured", s.label))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            chart.draw_series(measured.into_iter().map(|p| Circle::new(p, 4, color.filled()))).text()?;
            if s.f.is_finite() {
                let law = if s.weak { "Gustafson" } else { "Amdahl" };
                let model: Vec<(f64, f64)> = curve.iter().map(|&n| (n, s.law(n))).collect();
                drawn.extend(&model);
                chart
                    .draw_series(DashedLineSeries::new(model, 8, 5, color.into()))
                    .text()?
                    .label(format!("{}: {law}, fitted f = {}", s.label, num(s.f)))
                    .legend(move |at| figure::swatch(at, color.into(), Some((8, 5))));
                if !s.weak && s.f > 0.0 && 1.0 / s.f <= speedup.high() {
                    let ceiling = [(workers.low(), 1.0 / s.f), (workers.high(), 1.0 / s.f)];
                    drawn.extend(&ceiling);
                    chart
                        .draw_series(DashedLineSeries::new(ceiling, 2, 4, color.into()))
                        .text()?
                        .label(format!("{}: ceiling 1/f = ×{}", s.label, num(1.0 / s.f)))
                        .legend(move |at| figure::swatch(at, color.into(), Some((2, 4))));
                }
            }
        }
        figure::legend(&mut chart, figure::legend_corner(&workers, &speedup, drawn))?;

        let values = self.series.iter().flat_map(|s| s.efficiency.iter().chain(&s.karp_flatt).copied());
        let fraction = Axis::linear(values.chain([0.0, 1.0]), Unit::Plain, true);
        let mut chart = figure::chart(
            &lower,
            "Efficiency (solid) and Karp–Flatt serial fraction (dashed)",
            20,
            (&workers, "n = workers / baseline workers"),
            (&fraction, "efficiency, serial fraction"),
        )?;
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart.draw_series(LineSeries::new(points(&s.n, &s.efficiency), color.stroke_width(2))).text()?;
            chart
                .draw_series(points(&s.n, &s.efficiency).into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .text()?;
            chart.draw_series(DashedLineSeries::new(points(&s.n, &s.karp_flatt), 6, 4, color.into())).text()?;
            chart
                .draw_series(points(&s.n, &s.karp_flatt).into_iter().map(|p| Cross::new(p, 5, color.stroke_width(2))))
                .text()?;
        }
        Ok(())
    }
}

/// One run in words: configuration, headline numbers and the lesson.
fn summary(file: &ResultsFile, g: &Group, s: &Series) -> Result<String, String> {
    let ranks = g.column(file, "amdahl", "ranks")?;
    let threads = g.column(file, "amdahl", "threads")?;
    let predicted = g.column(file, "amdahl", "amdahl_predicted_speedup")?;
    let last = s.n.len().checked_sub(1).ok_or_else(|| format!("{}: /amdahl has no rows", file.path.display()))?;
    let stderr = g.number(file, "amdahl", "serial_fraction_fit_stderr")?;
    let fit = if stderr.is_finite() {
        format!("{} ± {}", num(s.f), num(stderr))
    } else {
        format!("{} (no error estimate)", num(s.f))
    };
    let at = format!("{} rank(s) × {} thread(s)", ranks[last], threads[last]);
    let mut text = format!(
        "{}: {} scaling, kernel {}, sweep over {}, {} s of work, {} points. ",
        file.label,
        g.text("mode"),
        g.text("kernel"),
        g.text("sweep"),
        g.text("work_s"),
        s.n.len()
    );
    text += &if s.n.len() < 2 {
        "Only one point was measured: no fit.".to_string()
    } else if s.weak {
        format!(
            "Fitted Gustafson serial fraction {fit}; scaled speedup ×{} on {at} (Gustafson predicts ×{}). \
             Lesson: grow the work with the machine and the speedup keeps growing, with no ceiling.",
            num(s.speedup[last]),
            num(predicted[last])
        )
    } else {
        format!(
            "Requested serial fraction {}, fitted {fit}: no number of workers gets past ×{}. \
             Measured ×{} on {at} (Amdahl predicts ×{}), at efficiency {}. \
             Lesson: the serial part, not the worker count, sets the limit.",
            g.text("serial_fraction_requested"),
            num(1.0 / s.f),
            num(s.speedup[last]),
            num(predicted[last]),
            num(s.efficiency[last])
        ) + &excess_serial(g, s.f)
    };
    Ok(text + &file.incomplete_note())
}

/// What a fitted serial fraction well above the requested one means.
fn excess_serial(g: &Group, fitted: f64) -> String {
    let requested = match g.attrs.get("serial_fraction_requested") {
        Some(crate::report::load::Value::Number(f)) => *f,
        _ => return String::new(),
    };
    if fitted <= requested * 1.2 + 0.005 {
        return String::new();
    }
    let cause = match g.text("kernel").as_str() {
        "stream" => "the workers share the memory bandwidth (the memory wall)",
        "spin" => "the workers share cores or their caches and clocks (oversubscription, SMT, turbo)",
        _ => "something the workers share slows them down",
    };
    format!(" The fit finds more serial time than the workload has: {cause}, and that acts as serial time.")
}

/// The section for the files that hold /amdahl.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let runs = files.iter().map(|f| Ok((*f, f.group("amdahl")?))).collect::<Result<Vec<_>, String>>()?;
    let series = runs.iter().map(|(f, g)| Series::read(f, g)).collect::<Result<Vec<_>, _>>()?;
    let summaries = runs.iter().zip(&series).map(|((f, g), s)| summary(f, g, s)).collect::<Result<Vec<_>, _>>()?;
    figure::save(&AmdahlFigure { series }, dir, "amdahl")?;
    Ok(vec![
        Block::Heading(2, "amdahl: Amdahl's law, measured".into()),
        Block::Figure(
            "amdahl".into(),
            "Measured speedup (points) against the fitted law (dashed), the ideal speedup (grey) and the ceiling 1/f (dotted); below, efficiency and the Karp–Flatt metric".into(),
        ),
        Block::List(summaries),
    ])
}

/// The fitted serial fraction, per kernel.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("amdahl") else { return Vec::new() };
    let kernel = g.text("kernel");
    let f = number(g, "serial_fraction_fit").unwrap_or(f64::NAN);
    let best = g.columns.get("speedup").map_or(f64::NAN, |(_, s)| s.iter().copied().fold(f64::NAN, f64::max));
    vec![Headline::new(
        format!("Amdahl serial fraction ({kernel})"),
        f,
        "1",
        Better::Lower,
        "The serial fraction f caps the speedup at 1/f, however many workers.",
    )
    .shows(format!("Here f = {}: never more than ×{} on any number of workers; ×{} measured.", num(f), num(1.0 / f), num(best)))]
}
