//! Every figure the report draws, read back from its SVG: for a results file of each experiment
//! with figures, on 1 and on 2 or more ranks, every axis's tick labels must parse back to
//! numbers with their units, be distinct, run monotonically along the axis, not overlap, and
//! bracket every data point drawn on the panel; and no two texts (labels of points, legends,
//! titles) may overlap or run past the image's edge.

mod common;

use common::*;
use std::path::Path;

/// One `<text>` of an SVG: position, anchor, size and content.
#[derive(Debug, Clone)]
struct Text {
    x: f64,
    y: f64,
    anchor: String,
    size: f64,
    rotated: bool,
    dy: String,
    content: String,
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[start..].split('"').next()?.to_string())
}

fn texts(svg: &str) -> Vec<Text> {
    let mut out = Vec::new();
    for chunk in svg.split("<text").skip(1) {
        let (tag, rest) = chunk.split_once('>').unwrap();
        let content = rest.split("</text>").next().unwrap().trim().to_string();
        let number = |n| attribute(tag, n).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        out.push(Text {
            x: number("x"),
            y: number("y"),
            anchor: attribute(tag, "text-anchor").unwrap_or_default(),
            size: number("font-size"),
            rotated: tag.contains("rotate("),
            dy: attribute(tag, "dy").unwrap_or_default(),
            content,
        });
    }
    out
}

/// Data markers: every `<circle>`'s centre.
fn circles(svg: &str) -> Vec<(f64, f64)> {
    svg.split("<circle")
        .skip(1)
        .map(|c| {
            let tag = c.split('>').next().unwrap();
            let n = |a| attribute(tag, a).unwrap().parse::<f64>().unwrap();
            (n("cx"), n("cy"))
        })
        .collect()
}

/// A tick label back to its value: "1.5 k", "4 KiB", "250 ns", "12 µs", "1024".
fn value(label: &str) -> Option<f64> {
    let (number, unit) = label.split_once(' ').unwrap_or((label, ""));
    let factor = match unit {
        "" | "B" | "s" => 1.0,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1048576.0,
        "GiB" => 1073741824.0,
        "ps" => 1e-12,
        "ns" => 1e-9,
        "µs" => 1e-6,
        "ms" => 1e-3,
        _ => return None,
    };
    number.parse::<f64>().ok().map(|v| v * factor)
}

/// Splits `items`, sorted by `key`, wherever one of `cuts` lies between two neighbours.
fn split_at<T: Clone>(mut items: Vec<T>, key: impl Fn(&T) -> f64, cuts: &[f64]) -> Vec<Vec<T>> {
    items.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let mut groups: Vec<Vec<T>> = Vec::new();
    for item in items {
        let cut = groups
            .last()
            .and_then(|g| g.last())
            .is_some_and(|last: &T| cuts.iter().any(|&c| c > key(last) && c < key(&item)));
        if groups.is_empty() || cut {
            groups.push(Vec::new());
        }
        groups.last_mut().unwrap().push(item);
    }
    groups
}

/// Checks one axis's labels (sorted along the axis by `position`); returns the pixel extent
/// they span.
fn check_axis(figure: &str, labels: &[Text], position: impl Fn(&Text) -> f64, increasing: bool) -> (f64, f64) {
    let what = |s: &str| format!("{figure}: {s}: {:?}", labels.iter().map(|t| &t.content).collect::<Vec<_>>());
    assert!(labels.len() >= 2, "{}", what("fewer than two tick labels"));
    let values: Vec<f64> =
        labels.iter().map(|t| value(&t.content).unwrap_or_else(|| panic!("{}", what("unreadable label")))).collect();
    for w in values.windows(2) {
        assert!(if increasing { w[1] > w[0] } else { w[1] < w[0] }, "{}", what("labels not distinct and monotonic"));
    }
    // Neighbours must not overlap: about 0.6 em per character along x, one line height along y.
    for w in labels.windows(2) {
        let gap = (position(&w[1]) - position(&w[0])).abs();
        let needed = if labels[0].anchor == "middle" {
            0.3 * w[0].size * (w[0].content.chars().count() + w[1].content.chars().count()) as f64
        } else {
            w[0].size
        };
        assert!(gap >= needed, "{}", what(&format!("labels {:?} and {:?} overlap", w[0].content, w[1].content)));
    }
    let p: Vec<f64> = labels.iter().map(&position).collect();
    (p.iter().copied().fold(f64::INFINITY, f64::min), p.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// A horizontal text's box (left, top, right, bottom) in pixels, its width taken at half an em
/// per character, less than DejaVu Sans's average, so that only a real overlap counts.
fn text_box(t: &Text) -> (f64, f64, f64, f64) {
    let width = 0.5 * t.size * t.content.chars().count() as f64;
    let left = match t.anchor.as_str() {
        "middle" => t.x - width / 2.0,
        "end" => t.x - width,
        _ => t.x,
    };
    // plotters places text by its top ("0.76em"), its middle ("0.5ex"), its bottom ("-0.5ex")
    // or its baseline.
    let top = match t.dy.as_str() {
        "0.76em" => t.y,
        "0.5ex" => t.y - 0.5 * t.size,
        "-0.5ex" => t.y - t.size,
        _ => t.y - 0.8 * t.size,
    };
    (left, top, left + width, top + 0.9 * t.size)
}

/// No two horizontal texts of one SVG overlap, and none runs past the image's edge.
fn check_texts(name: &str, svg: &str, all: &[Text]) {
    let size = |a| attribute(svg.split('>').next().unwrap(), a).unwrap().parse::<f64>().unwrap();
    let (width, height) = (size("width"), size("height"));
    let flat: Vec<&Text> = all.iter().filter(|t| !t.rotated && !t.content.is_empty()).collect();
    for t in &flat {
        let b = text_box(t);
        assert!(
            b.0 >= 0.0 && b.1 >= 0.0 && b.2 <= width && b.3 <= height,
            "{name}: {:?} is clipped by the {width}×{height} image: {b:?}",
            t.content
        );
    }
    for (i, a) in flat.iter().enumerate() {
        for b in &flat[i + 1..] {
            let (p, q) = (text_box(a), text_box(b));
            let overlap = (p.2.min(q.2) - p.0.max(q.0)).min(p.3.min(q.3) - p.1.max(q.1));
            assert!(overlap <= 1.0, "{name}: {:?} and {:?} overlap: {p:?} {q:?}", a.content, b.content);
        }
    }
}

/// Checks every axis and text of one SVG; returns how many axes it found.
fn check_figure(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let svg = std::fs::read_to_string(path).unwrap();
    let all = texts(&svg);
    check_texts(&name, &svg, &all);
    // Tick labels read as values; captions are centred text above the panels that do not.
    let small = all.iter().filter(|t| !t.rotated && value(&t.content).is_some()).cloned();
    let captions: Vec<&Text> = all
        .iter()
        .filter(|t| !t.rotated && t.anchor == "middle" && t.dy == "0.76em" && value(&t.content).is_none())
        .collect();
    // y-axis labels: right-aligned, one column per panel column, split between panel rows at
    // the captions.
    let y_columns = split_at(small.clone().filter(|t| t.anchor == "end").collect(), |t| t.x, &[]);
    let caption_ys: Vec<f64> = captions.iter().map(|c| c.y).collect();
    let mut y_axes = Vec::new();
    for column in &y_columns {
        // Same x (within a pixel) makes a column; different columns are far apart.
        let mut by_x: Vec<Vec<Text>> = Vec::new();
        for t in column {
            match by_x.iter_mut().find(|g| (g[0].x - t.x).abs() < 2.0) {
                Some(g) => g.push(t.clone()),
                None => by_x.push(vec![t.clone()]),
            }
        }
        for g in by_x {
            y_axes.extend(split_at(g, |t| t.y, &caption_ys));
        }
    }
    // x-axis labels: centred, in rows; a row is split between panel columns at the y axes of
    // the panels it closes (those whose nearest row below it is).
    let mut rows: Vec<Vec<Text>> = Vec::new();
    for t in small.filter(|t| t.anchor == "middle") {
        match rows.iter_mut().find(|r| (r[0].y - t.y).abs() < 2.0) {
            Some(r) => r.push(t),
            None => rows.push(vec![t]),
        }
    }
    let row_below = |axis: &Vec<Text>| {
        let bottom = axis.iter().map(|t| t.y).fold(f64::NEG_INFINITY, f64::max);
        rows.iter().map(|r| r[0].y).filter(|&y| y > bottom).fold(f64::INFINITY, f64::min)
    };
    let closing: Vec<(f64, f64)> = y_axes.iter().map(|a| (row_below(a), a[0].x + 1.0)).collect();
    let x_axes: Vec<Vec<Text>> = rows
        .iter()
        .flat_map(|r| {
            let cuts: Vec<f64> = closing.iter().filter(|c| (c.0 - r[0].y).abs() < 2.0).map(|c| c.1).collect();
            split_at(r.clone(), |t| t.x, &cuts)
        })
        .collect();
    assert!(!x_axes.is_empty() && !y_axes.is_empty(), "{name}: no axes found");

    let mut panels = Vec::new();
    for y_axis in &y_axes {
        let y_span = check_axis(&name, y_axis, |t| t.y, false);
        // Its x axis: the row just below the panel, to the right of the y labels.
        let x_axis = x_axes
            .iter()
            .filter(|x| x[0].y > y_span.1 && x[0].x > y_axis[0].x)
            .min_by(|a, b| a[0].y.total_cmp(&b[0].y).then(a[0].x.total_cmp(&b[0].x)))
            .unwrap_or_else(|| panic!("{name}: no x axis below the y axis {y_axis:?}"));
        let x_span = check_axis(&name, x_axis, |t| t.x, true);
        panels.push((x_span, y_span));
    }
    // Every data marker lies within the labelled range of the panel that holds it (the extreme
    // ticks bracket the data; allow the marker's radius).
    for (cx, cy) in circles(&svg) {
        let inside = panels
            .iter()
            .any(|&((x0, x1), (y0, y1))| cx >= x0 - 5.0 && cx <= x1 + 5.0 && cy >= y0 - 5.0 && cy <= y1 + 5.0);
        assert!(inside, "{name}: the marker at ({cx}, {cy}) is outside every labelled range: {panels:?}");
    }
    2 * panels.len()
}

#[test]
fn every_figure_reads_correctly_on_one_and_on_several_ranks() {
    let runs: [(usize, &[&str]); 13] = [
        (1, &["amdahl", "--kernel", "sleep", "--work", "0.2", "--repeats", "1", "--threads", "4"]),
        (4, &["amdahl", "--kernel", "sleep", "--work", "0.3", "--repeats", "1", "--ranks", "1,2,3,4"]),
        (2, &["comm", "--max-bytes", "64K", "--iters", "20", "--warmup", "2", "--repeats", "2", "--all-pairs"]),
        (3, &["comm", "--max-bytes", "4K", "--iters", "20", "--warmup", "2", "--repeats", "2"]),
        (1, &["memlat", "--max-bytes", "1M", "--accesses", "20000"]),
        (2, &["randomaccess", "--table-bytes", "1M", "--sweep-seconds", "0.02"]),
        (1, &["stream", "--bytes", "3M", "--repeats", "3", "--threads", "2"]),
        (2, &["stream", "--bytes", "3M", "--repeats", "3", "--threads", "1"]),
        (1, &["gemm", "--n", "64,128", "--repeats", "1"]),
        (2, &["gemm", "--n", "96", "--repeats", "1", "--dist"]),
        (2, &["reduce", "--n", "30000", "--threads", "2", "--repeats", "2"]),
        (1, &["roofline", "--dram-bytes", "8M", "--gemm-n", "64", "--repeats", "2", "--threads", "1"]),
        (2, &["linpack", "--n", "50,100,200", "--nb", "16", "--repeats", "1", "--threads", "1"]),
    ];
    let drawn: Vec<&str> = runs.iter().map(|(_, args)| args[0]).collect();
    let registered = registered_experiments();
    let tables_only: Vec<(&str, &str)> = registered
        .iter()
        .map(String::as_str)
        .filter(|e| !WITH_FIGURES.contains(e))
        .map(|e| (e, "its section is tables only (tests/browser.rs checks it draws none)"))
        .collect();
    assert_covers("the figures test", &drawn, &tables_only);
    for (ranks, args) in runs {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(ranks, &[args, &["-q", "-o", "r.h5"]].concat(), dir.path());
        assert_success(&out);
        let report = dir.path().join("report");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_parahpc"))
            .args(["report", "-o", report.to_str().unwrap(), dir.path().join("r.h5").to_str().unwrap()])
            .output()
            .unwrap();
        assert_success(&out);
        let svg = report.join(format!("{}.svg", args[0]));
        let axes = check_figure(&svg);
        // Panels with axes: comm's latency, bandwidth, collectives and, with --all-pairs, the
        // matrix; amdahl's speedup and efficiency; randomaccess's three; one for the others.
        let expected = match args[0] {
            "comm" if args.contains(&"--all-pairs") => 8,
            "comm" => 6,
            "amdahl" => 4,
            // GUP/s and latency against the table size, GUP/s against the look-ahead.
            "randomaccess" => 6,
            _ => 2,
        };
        assert_eq!(axes, expected, "{}: {ranks} ranks: axes found", args[0]);
    }
}
