//! The randomaccess section: GUP/s against the table size beside the memory latency, the MPI
//! scope's GUP/s against the look-ahead, the scopes' table, and what they say.

use crate::output::console::{format_bytes as bytes, format_number as num};
use crate::report::axis::{Axis, Unit};
use crate::report::document::Block;
use crate::report::figure::{self, Figure, OrText};
use crate::report::headline::{at, rows_where, Better, Headline};
use crate::report::load::ResultsFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// (label, points) curves of one panel.
type Curves = Vec<(String, Vec<(f64, f64)>)>;

struct RandomaccessFigure {
    /// GUP/s against table bytes, per file.
    sizes: Curves,
    /// ns against table bytes, per file.
    latency: Curves,
    /// GUP/s against look-ahead, per file.
    lookahead: Curves,
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (x_desc, x_unit): (&str, Unit),
    (y_desc, y_unit): (&str, Unit),
    curves: &Curves,
) -> Result<(), String> {
    let points = || curves.iter().flat_map(|c| c.1.iter().copied()).filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.1.is_finite());
    if points().next().is_none() {
        return area.titled(&format!("{title}: not measured"), ("sans-serif", 18)).map(|_| ()).text();
    }
    let x = Axis::log(points().map(|p| p.0), x_unit);
    let y = Axis::log(points().map(|p| p.1), y_unit);
    let mut chart = figure::chart(area, title, 18, (&x, x_desc), (&y, y_desc))?;
    let drawn: Curves =
        curves.iter().map(|(l, p)| (l.clone(), p.iter().copied().filter(|p| p.1 > 0.0 && p.1.is_finite()).collect())).collect();
    figure::curves(&mut chart, &drawn)?;
    figure::legend(&mut chart, figure::legend_corner(&x, &y, points()))
}

impl Figure for RandomaccessFigure {
    const SIZE: (u32, u32) = (1500, 560);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).text()?;
        let panels = root.split_evenly((1, 3));
        panel(&panels[0], "Updates against the table size", ("table", Unit::Bytes), ("GUP/s", Unit::Plain), &self.sizes)?;
        let ns = Unit::Time { seconds_per_unit: 1e-9 };
        panel(&panels[1], "Latency of one load, same working set", ("working set", Unit::Bytes), ("latency", ns), &self.latency)?;
        panel(&panels[2], "MPI scope against the look-ahead", ("updates held per rank", Unit::Count), ("GUP/s", Unit::Plain), &self.lookahead)
    }
}

/// What the sweeps and the scopes say, in words: where GUP/s fall against the latency, how many
/// updates were in flight, and how far the message rate holds the MPI scope back.
pub fn sentences(sizes: &[(u64, u64, f64, f64)], looks: &[(usize, u64, f64, f64, f64)], scopes: &[(&str, f64)]) -> Vec<String> {
    let mut lines = Vec::new();
    if let (Some(first), Some(last)) = (sizes.first(), sizes.last()) {
        lines.push(format!(
            "From a {} table to a {} one, GUP/s fall from {} to {} (×{}) while a dependent load's latency grows from {} to {} ns; \
             updates in flight at once (GUP/s × latency, Little's law): {} and {}.",
            bytes(first.0 as f64),
            bytes(last.0 as f64),
            num(first.2),
            num(last.2),
            num(first.2 / last.2),
            num(first.3),
            num(last.3),
            num(first.2 * first.3),
            num(last.2 * last.3)
        ));
    }
    if let (Some(small), Some(large)) = (looks.first(), looks.last()) {
        lines.push(format!(
            "MPI scope: holding {} update(s) before sending gives {} GUP/s at {} messages/s per rank; holding {} gives {} GUP/s \
             (×{}): with few updates per message, the message rate, not the bandwidth, bounds the updates.",
            small.0,
            num(small.3),
            num(small.4),
            large.0,
            num(large.3),
            num(large.3 / small.3)
        ));
    }
    let gups = |name: &str| scopes.iter().find(|s| s.0 == name).map(|s| s.1);
    if let (Some(single), Some(mpi)) = (gups("single"), gups("mpi")) {
        lines.push(format!(
            "Lesson: a scattered update waits for memory as a pointer chase does, and only the misses in flight hide it: \
             one rank alone makes {} GUP/s; spread over the ranks, where almost every update is a message, the job makes {}.",
            num(single),
            num(mpi)
        ));
    }
    lines
}

/// The section for the files that hold /randomaccess.
pub fn render(files: &[&ResultsFile], dir: &Path) -> Result<Vec<Block>, String> {
    let mut fig = RandomaccessFigure { sizes: Vec::new(), latency: Vec::new(), lookahead: Vec::new() };
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for file in files {
        let g = file.group("randomaccess")?;
        let scope = g.text_column(file, "randomaccess", "scope")?;
        let col = |name| g.column(file, "randomaccess", name);
        let (table, updates, goal, gups, errors) =
            (col("table_bytes")?, col("updates")?, col("updates_goal")?, col("gups")?, col("errors")?);
        for i in 0..scope.len() {
            rows.push(vec![
                file.label.clone(),
                scope[i].clone(),
                bytes(table[i]),
                format!("{:.0} of {:.0}", updates[i], goal[i]),
                num(gups[i]),
                format!("{:.0}", errors[i]),
            ]);
        }
        let s = file.group("randomaccess/sizes")?;
        let sc = |name| s.column(file, "randomaccess/sizes", name);
        let (sb, sg, sl, su) = (sc("table_bytes")?, sc("gups")?, sc("latency_ns")?, sc("updates")?);
        fig.sizes.push((file.label.clone(), sb.iter().copied().zip(sg.iter().copied()).collect()));
        fig.latency.push((file.label.clone(), sb.iter().copied().zip(sl.iter().copied()).collect()));
        let l = file.group("randomaccess/message_rate")?;
        let lc = |name| l.column(file, "randomaccess/message_rate", name);
        let (la, lu, ls, lg, lm) = (lc("lookahead")?, lc("updates")?, lc("seconds")?, lc("gups")?, lc("messages_per_s")?);
        fig.lookahead.push((file.label.clone(), la.iter().copied().zip(lg.iter().copied()).collect()));
        let sizes: Vec<(u64, u64, f64, f64)> = (0..sb.len()).map(|i| (sb[i] as u64, su[i] as u64, sg[i], sl[i])).collect();
        let looks: Vec<(usize, u64, f64, f64, f64)> =
            (0..la.len()).map(|i| (la[i] as usize, lu[i] as u64, ls[i], lg[i], lm[i])).collect();
        let scopes: Vec<(&str, f64)> = (0..scope.len()).map(|i| (scope[i].as_str(), gups[i])).collect();
        let said = sentences(&sizes, &looks, &scopes);
        lines.push(format!(
            "{}: local kernel {}; huge pages {}. {}{}",
            file.label,
            g.text("method"),
            g.text("huge_pages"),
            said.join(" "),
            file.incomplete_note()
        ));
    }
    figure::save(&fig, dir, "randomaccess")?;
    let header = ["file", "scope", "table", "updates", "GUP/s", "errors"];
    Ok(vec![
        Block::Heading(2, "randomaccess: scattered updates (GUPS)".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::Figure(
            "randomaccess".into(),
            "GUP/s against the table size, the latency of one load over the same working set, and the MPI scope against the look-ahead".into(),
        ),
        Block::List(lines),
    ])
}

/// HPCC's three RandomAccess figures.
pub fn headlines(file: &ResultsFile) -> Vec<Headline> {
    let Some(g) = file.groups.get("randomaccess") else { return Vec::new() };
    let mut out = Vec::new();
    for (scope, figure, lesson, says) in [
        (
            "single",
            "RandomAccess, one rank",
            "A scattered update waits for memory; only the misses a core keeps in flight hide it.",
            "one rank alone updates",
        ),
        ("star", "RandomAccess, every rank alone", "Ranks updating their own tables share the node's memory.", "each rank, all at once, updates"),
        (
            "mpi",
            "RandomAccess, all ranks, one table",
            "Spread over ranks, almost every update is a message: the message rate bounds it.",
            "the job, one table over all ranks, updates",
        ),
    ] {
        if let Some(gups) = rows_where(g, "scope", scope).next().and_then(|i| at(g, "gups", i)) {
            out.push(
                Headline::new(figure, gups, "GUP/s", Better::Higher, lesson)
                    .shows(format!("Here {says} {} GUP/s.", num(gups))),
            );
        }
    }
    out
}
