//! The memlat section: latency against working set on log axes, with the cache sizes the node
//! reports drawn where the steps should be.

use crate::report::document::Block;
use crate::report::axis::{Axis, Unit};
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{Better, Headline};
use crate::report::load::{ResultsFile, Value};
use crate::output::console::{format_bytes as bytes, format_number as num};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct MemlatFigure {
    /// (label, (bytes, ns) points)
    curves: Vec<(String, Vec<(f64, f64)>)>,
    /// (name, bytes) of the caches of the first file's node.
    caches: Vec<(String, f64)>,
}

impl Figure for MemlatFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let points = || self.curves.iter().flat_map(|(_, p)| p.iter().copied()).filter(|p| p.1.is_finite() && p.1 > 0.0);
        let x = Axis::log(points().map(|p| p.0).chain(self.caches.iter().map(|c| c.1)), Unit::Bytes);
        let y = Axis::log(points().map(|p| p.1), Unit::Time { seconds_per_unit: 1e-9 });
        let mut chart = figure::chart(
            root,
            "Memory latency by working set (dotted: cache sizes the node reports)",
            22,
            (&x, "working set"),
            (&y, "latency per access"),
        )?;
        for (name, at) in &self.caches {
            chart
                .draw_series(DashedLineSeries::new([(*at, y.low()), (*at, y.high())], 3, 5, BLACK.mix(0.6).into()))
                .text()?
                .label(format!("{name} = {}", bytes(*at)))
                .legend(|at| figure::swatch(at, BLACK.mix(0.6).into(), Some((3, 5))));
        }
        figure::curves(&mut chart, &self.curves)?;
        figure::legend(&mut chart, figure::legend_corner(&x, &y, points()))
    }
}

/// The section for the files that hold /memlat.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut fig = MemlatFigure { curves: Vec::new(), caches: Vec::new() };
    let mut summaries = Vec::new();
    for file in files {
        let g = file.group("memlat")?;
        let hosts = g.text_column(file, "memlat", "host")?;
        let (size, ns) = (g.column(file, "memlat", "bytes")?, g.column(file, "memlat", "latency_ns_min")?);
        let mut names: Vec<&String> = hosts.iter().collect();
        names.dedup();
        for host in names {
            let points: Vec<(f64, f64)> =
                (0..hosts.len()).filter(|&i| &hosts[i] == host).map(|i| (size[i], ns[i])).collect();
            fig.curves.push((format!("{}: {host}", file.label), points));
        }
        if fig.caches.is_empty() {
            for (name, attr) in [("L1", "l1_bytes"), ("L2", "l2_bytes"), ("L3", "l3_bytes")] {
                if let Some(Value::Number(b)) = g.attrs.get(attr) {
                    fig.caches.push((name.to_string(), *b));
                }
            }
        }
        let p = file.group("memlat/plateaus")?;
        let (first, last, lat) = (
            p.column(file, "memlat/plateaus", "first_bytes")?,
            p.column(file, "memlat/plateaus", "last_bytes")?,
            p.column(file, "memlat/plateaus", "latency_ns")?,
        );
        let found: Vec<String> = (0..first.len())
            .map(|i| format!("{} to {}: {} ns", bytes(first[i]), bytes(last[i]), num(lat[i])))
            .collect();
        summaries.push(format!(
            "{}: plateaus {}. Lesson: caches hide memory's distance only while the working set fits; each level outgrown is a step up in latency, and past the last one every access waits for DRAM.{}",
            file.label,
            found.join("; "),
            file.incomplete_note()
        ));
    }
    figure::save(&fig, dir, "memlat")?;
    Ok(vec![
        Block::Heading(2, "memlat: memory is far away".into()),
        Block::Figure(
            "memlat".into(),
            "Latency per access against working-set size, with the node's reported cache sizes".into(),
        ),
        Block::List(summaries),
    ])
}

/// The latency of the smallest and the largest working set (rank 0's host).
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("memlat/plateaus") else { return Vec::new() };
    let Some((_, latency)) = g.columns.get("latency_ns") else { return Vec::new() };
    let (Some(first), Some(last)) = (latency.first(), latency.last()) else { return Vec::new() };
    vec![
        Headline::new("latency, first cache plateau", *first, "ns", Better::Lower, "Data in the nearest cache comes in a few cycles.")
            .shows(format!("Here the nearest cache answers in {} ns.", num(*first))),
        Headline::new(
            "latency, largest working set",
            *last,
            "ns",
            Better::Lower,
            "Memory is far away: a miss to DRAM costs a hundred times a cache hit.",
        )
        .shows(format!("Here the largest working set waits {} ns a load: ×{} a hit in the nearest cache.", num(*last), num(last / first))),
    ]
}
