//! The comm section: latency and bandwidth against message size (log–log) per pair with the
//! Hockney fit, the collectives against size, the rank × rank latency heat map, and per run the
//! headline numbers and the lesson.

use crate::report::document::Block;
use crate::report::axis::{Axis, Unit};
use crate::report::figure::{self, Entry, Figure, OrText};
use crate::report::headline::{at, rows_where, Better, Headline};
use crate::report::load::ResultsFile;
use crate::model::hockney::Hockney;
use crate::output::console::{format_bytes as bytes, format_number as num};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A line on a log–log panel: solid or dashed (on, off), with its points marked or not.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
    color: RGBAColor,
    dash: Option<(u32, u32)>,
    markers: bool,
}

/// The fits' and the bi-directional curves' dashes.
const SECOND: Option<(u32, u32)> = Some((6, 4));
/// With several files a collective's colour is its file's and its dashes its own, in the order
/// of `OPS`.
const OP_DASHES: [Option<(u32, u32)>; 5] = [None, Some((10, 4)), Some((3, 3)), Some((14, 4)), Some((4, 8))];

/// What one run measured between one pair of ranks.
struct PairData {
    label: String,
    inter_node: bool,
    bytes: Vec<f64>,
    latency: Vec<f64>,
    bandwidth: Vec<f64>,
    bibandwidth: Vec<f64>,
    fit: Hockney,
}

struct CommFigure {
    latency: Vec<Line>,
    bandwidth: Vec<Line>,
    collectives: Vec<Line>,
    /// (title, ranks, row-major µs)
    matrix: Option<(String, usize, Vec<f64>)>,
}

fn positive(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite()).collect()
}

fn log_log<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (y_desc, y_unit): (&str, Unit),
    lines: &[Line],
) -> Result<(), String> {
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|l| positive(&l.points)).collect();
    if all.is_empty() {
        return area.titled(&format!("{title}: no data"), ("sans-serif", 18)).map(|_| ()).text();
    }
    // The legend goes below the plot, where it covers no curve.
    let entries: Vec<Entry> =
        lines.iter().map(|l| Entry { label: l.label.clone(), color: l.color, dash: l.dash }).collect();
    let height = area.dim_in_pixel().1;
    let (plot, key) = area.split_vertically(height - figure::legend_height(area, &entries)?.min(height / 2));
    let x = Axis::log(all.iter().map(|p| p.0), Unit::Bytes);
    let y = Axis::log(all.iter().map(|p| p.1), y_unit);
    let mut chart = figure::chart(&plot, title, 18, (&x, "message size"), (&y, y_desc))?;
    for line in lines {
        let (color, points) = (line.color, positive(&line.points));
        match line.dash {
            Some((on, off)) => chart.draw_series(DashedLineSeries::new(points.clone(), on, off, color.stroke_width(2))).text()?,
            None => chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2))).text()?,
        };
        if line.markers {
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled()))).text()?;
        }
    }
    figure::legend_in(&key, &entries)
}

fn heat_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    n: usize,
    values: &[f64],
) -> Result<(), String> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Rank r is the cell from r to r + 1.
    let ranks = Axis::linear([0.0, n as f64], Unit::Count, true);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{title}: {} to {} µs (blue to red)", num(lo), num(hi)), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(ranks.clone(), ranks)
        .text()?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("rank")
        .y_desc("rank")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .text()?;
    chart
        .draw_series((0..n * n).map(|k| {
            let (i, j) = ((k / n) as f64, (k % n) as f64);
            let v = values[k];
            let color = if v.is_finite() {
                let t = (v - lo) / span;
                RGBColor((255.0 * t) as u8, 70, (255.0 * (1.0 - t)) as u8)
            } else {
                RGBColor(220, 220, 220)
            };
            Rectangle::new([(j, i), (j + 1.0, i + 1.0)], color.filled())
        }))
        .text()?;
    Ok(())
}

impl Figure for CommFigure {
    const SIZE: (u32, u32) = (1200, 1000);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let us = Unit::Time { seconds_per_unit: 1e-6 };
        let (upper, lower) = root.split_vertically(root.dim_in_pixel().1 / 2);
        let (latency, bandwidth) = upper.split_horizontally(upper.dim_in_pixel().0 / 2);
        log_log(&latency, "Ping-pong latency (dashed: Hockney fit)", ("latency", us), &self.latency)?;
        log_log(&bandwidth, "Bandwidth (dashed: bi-directional)", ("bandwidth [MB/s]", Unit::Plain), &self.bandwidth)?;
        let title = "Collectives: slowest rank's time per call";
        // Without --all-pairs there is no matrix: the collectives take the whole lower half.
        match &self.matrix {
            Some((matrix_title, n, values)) => {
                let (collectives, matrix) = lower.split_horizontally(lower.dim_in_pixel().0 / 2);
                log_log(&collectives, title, ("time per call", us), &self.collectives)?;
                heat_map(&matrix, matrix_title, *n, values)
            }
            None => log_log(&lower, title, ("time per call", us), &self.collectives),
        }
    }
}

/// Every pair one file measured, from /comm/pt2pt and /comm/hockney.
fn pairs_of(file: &ResultsFile) -> Result<Vec<PairData>, String> {
    let (p, h) = (file.group("comm/pt2pt")?, file.group("comm/hockney")?);
    let col = |name| p.column(file, "comm/pt2pt", name);
    let (dst, bytes) = (col("dst")?, col("bytes")?);
    let (latency, bandwidth, bibandwidth) =
        (col("latency_us_median")?, col("bandwidth_MBps")?, col("bibandwidth_MBps")?);
    let kind = p.text_column(file, "comm/pt2pt", "pair_kind")?;
    let (h_dst, alpha, beta) = (
        h.column(file, "comm/hockney", "dst")?,
        h.column(file, "comm/hockney", "alpha_us")?,
        h.column(file, "comm/hockney", "beta_MBps")?,
    );
    // Hot or cold buffers, when a run said so: the report shows both side by side.
    let mode = match crate::report::load::text(&p.attrs, "buffers") {
        b if b.starts_with("off-cache") => ", cold buffers",
        b if b.starts_with("multiple") => ", a buffer per message",
        _ => "",
    };
    let mut pairs = Vec::new();
    for (k, &d) in h_dst.iter().enumerate() {
        let rows: Vec<usize> = (0..dst.len()).filter(|&i| dst[i] == d).collect();
        let first =
            *rows.first().ok_or_else(|| format!("{}: /comm/pt2pt has no rows for rank {d}", file.path.display()))?;
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<_>>();
        pairs.push(PairData {
            label: format!("{}: 0–{d} {}{mode}", file.label, kind[first]),
            inter_node: kind[first] == "inter-node",
            bytes: pick(bytes),
            latency: pick(latency),
            bandwidth: pick(bandwidth),
            bibandwidth: pick(bibandwidth),
            fit: Hockney { alpha_us: alpha[k], beta_mbps: beta[k] },
        });
    }
    Ok(pairs)
}

/// One run in words: who talked, the headline numbers, and the lesson.
fn summary(file: &ResultsFile, pairs: &[PairData]) -> Result<String, String> {
    let c = file.group("comm/collectives")?;
    let (ops, sizes, time) = (
        c.text_column(file, "comm/collectives", "op")?,
        c.column(file, "comm/collectives", "bytes")?,
        c.column(file, "comm/collectives", "time_us_median")?,
    );
    let mut text = format!("{}: {} ranks on {} host(s). ", file.label, file.text("world_size"), file.text("nodes"));
    for p in pairs {
        let peak = (0..p.bytes.len())
            .filter(|&i| p.bandwidth[i].is_finite())
            .max_by(|&a, &b| p.bandwidth[a].total_cmp(&p.bandwidth[b]));
        text += &format!(
            "{}: {} in {} µs; Hockney α = {} µs, β = {} MB/s, n½ = {}",
            p.label.split(": ").nth(1).unwrap_or(&p.label),
            p.bytes.first().map_or(String::from("?"), |b| bytes(*b)),
            p.latency.first().map_or(String::from("?"), |t| num(*t)),
            num(p.fit.alpha_us),
            num(p.fit.beta_mbps),
            bytes(p.fit.alpha_us * p.fit.beta_mbps),
        );
        if let Some(i) = peak {
            text += &format!(
                "; peak bandwidth {} MB/s at {} (both ways {} MB/s)",
                num(p.bandwidth[i]),
                bytes(p.bytes[i]),
                num(p.bibandwidth[i])
            );
        }
        text += ". ";
    }
    let largest: Vec<String> = ["barrier", "broadcast", "allreduce", "alltoall"]
        .iter()
        .filter_map(|op| {
            let last = (0..ops.len()).rev().find(|&i| ops[i] == *op)?;
            Some(format!("{op} of {} in {} µs", bytes(sizes[last]), num(time[last])))
        })
        .collect();
    if !largest.is_empty() {
        text += &format!("Collectives at their largest size: {}. ", largest.join(", "));
    }
    text += "Lesson: every message pays the latency α whatever its size, and below n½ bytes that \
             latency dominates: send fewer, larger messages.";
    let intra = pairs.iter().find(|p| !p.inter_node);
    let inter = pairs.iter().find(|p| p.inter_node);
    if let (Some(a), Some(b)) = (intra, inter) {
        if let (Some(x), Some(y)) = (a.latency.first(), b.latency.first()) {
            text += &format!(" Between nodes a small message costs {}× what it costs inside one.", num(y / x));
        }
    }
    Ok(text + &file.incomplete_note())
}

/// The section for the files that hold /comm.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut fig = CommFigure { latency: Vec::new(), bandwidth: Vec::new(), collectives: Vec::new(), matrix: None };
    let mut summaries = Vec::new();
    let mut color = 0;
    for (index, file) in files.iter().enumerate() {
        let pairs = pairs_of(file)?;
        for p in &pairs {
            let c = Palette99::pick(color).to_rgba();
            color += 1;
            let curve = |v: &[f64]| p.bytes.iter().copied().zip(v.iter().copied()).collect::<Vec<_>>();
            let fitted = p.bytes.iter().map(|&n| (n, p.fit.time_us(n))).collect();
            let measured = |label: String, points| Line { label, points, color: c, dash: None, markers: true };
            let second = |label: String, points| Line { label, points, color: c, dash: SECOND, markers: false };
            fig.latency.push(measured(p.label.clone(), curve(&p.latency)));
            fig.latency.push(second(format!("{}: fit", p.label), fitted));
            fig.bandwidth.push(measured(p.label.clone(), curve(&p.bandwidth)));
            fig.bandwidth.push(second(format!("{}: both ways", p.label), curve(&p.bibandwidth)));
        }
        summaries.push(summary(file, &pairs)?);
        let c = file.group("comm/collectives")?;
        let (ops, bytes, time) = (
            c.text_column(file, "comm/collectives", "op")?,
            c.column(file, "comm/collectives", "bytes")?,
            c.column(file, "comm/collectives", "time_us_median")?,
        );
        let mut names: Vec<&String> = ops.iter().filter(|o| *o != "barrier").collect();
        names.dedup();
        for (k, op) in names.into_iter().enumerate() {
            let points = (0..ops.len()).filter(|&i| &ops[i] == op).map(|i| (bytes[i], time[i])).collect();
            // One file: a colour per collective. Several: a colour per file, dashes per collective.
            let (label, color, dash) = if files.len() > 1 {
                (format!("{}: {op}", file.label), Palette99::pick(index).to_rgba(), OP_DASHES[k % OP_DASHES.len()])
            } else {
                (op.clone(), Palette99::pick(k).to_rgba(), None)
            };
            fig.collectives.push(Line { label, points, color, dash, markers: true });
        }
        if fig.matrix.is_none() {
            if let Some((n, _, values)) = file.group("comm")?.matrices.get("latency_matrix") {
                fig.matrix = Some((format!("{}: latency between ranks", file.label), *n, values.clone()));
            }
        }
    }
    figure::save(&fig, dir, "comm")?;
    Ok(vec![
        Block::Heading(2, "comm: what a message costs".into()),
        Block::Figure(
            "comm".into(),
            "Ping-pong latency with the Hockney fit, bandwidth one way and both ways, collectives per call, and the latency between every pair of ranks".into(),
        ),
        Block::List(summaries),
    ])
}

/// Hockney's α and β between two ranks, on one node and across nodes.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("comm/hockney") else { return Vec::new() };
    let mut out = Vec::new();
    for kind in ["intra-node", "inter-node"] {
        if let Some(i) = rows_where(g, "pair_kind", kind).next() {
            let lesson = "A message costs α whatever its size: send fewer, larger messages.";
            let (alpha, beta) = (at(g, "alpha_us", i).unwrap_or(f64::NAN), at(g, "beta_MBps", i).unwrap_or(f64::NAN));
            // n½ = α·β: the size at which a message's time is half latency, half transfer.
            let half = bytes((alpha * beta).max(0.0));
            out.push(
                Headline::new(format!("MPI latency α, {kind}"), alpha, "us", Better::Lower, lesson)
                    .shows(format!("Here a message costs {} µs {kind} before its first byte moves.", num(alpha))),
            );
            out.push(
                Headline::new(format!("MPI bandwidth β, {kind}"), beta, "MB/s", Better::Higher, "Large messages go at the link's bandwidth.")
                    .shows(format!("Here {} MB/s {kind}; below {half} a message is mostly latency.", num(beta))),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(bytes(1.0), "1 B");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(65536.0), "64 KiB");
        assert_eq!(bytes(20485.0), "20 KiB");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0), "1.5 MiB");
        assert_eq!(bytes(80.0 * 1024.0 * 1024.0 * 1024.0), "80 GiB");
    }
}
