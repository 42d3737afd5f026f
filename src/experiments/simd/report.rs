//! The simd section: speedup over scalar per kernel, type and working set, with the ISA used.

use crate::report::document::Block;
use crate::report::load::ResultsFile;
use crate::output::console::{format_bytes, format_number as num};
use std::path::Path;

/// The section for the files that hold /simd.
pub fn render(files: &[&ResultsFile], _dir: &Path) -> Result<Vec<Block>, String> {
    let (mut rows, mut lines) = (Vec::new(), Vec::new());
    for file in files {
        let g = file.group("simd")?;
        let (kernel, dtype, variant) = (
            g.text_column(file, "simd", "kernel")?,
            g.text_column(file, "simd", "dtype")?,
            g.text_column(file, "simd", "variant")?,
        );
        let (bytes, gflops, speedup) = (
            g.column(file, "simd", "bytes")?,
            g.column(file, "simd", "gflops")?,
            g.column(file, "simd", "speedup_vs_scalar")?,
        );
        // One row per kernel, type and size: the three variants side by side.
        for i in (0..kernel.len()).filter(|&i| variant[i] == "scalar") {
            let other = |name: &str| {
                (0..kernel.len()).find(|&j| {
                    variant[j] == name && kernel[j] == kernel[i] && dtype[j] == dtype[i] && bytes[j] == bytes[i]
                })
            };
            let (auto, explicit) = (other("auto"), other("explicit"));
            let cell =
                |j: Option<usize>| j.map_or("-".into(), |j| format!("{} (×{})", num(gflops[j]), num(speedup[j])));
            rows.push(vec![
                file.label.clone(),
                kernel[i].clone(),
                dtype[i].clone(),
                format_bytes(bytes[i]),
                num(gflops[i]),
                cell(auto),
                cell(explicit),
            ]);
        }
        lines.push(format!(
            "{}: auto is compiled for {}; explicit uses {}. Lesson: vector units are the first level of parallelism, inside one core; out of cache, memory bandwidth caps every variant alike.{}",
            file.label,
            g.text("auto_isa"),
            g.text("explicit_isa"),
            file.incomplete_note()
        ));
    }
    let header = [
        "file",
        "kernel",
        "type",
        "working set",
        "scalar GFLOP/s",
        "auto GFLOP/s (speedup)",
        "explicit GFLOP/s (speedup)",
    ];
    Ok(vec![
        Block::Heading(2, "simd: the parallelism inside one core".into()),
        Block::Table(header.iter().map(|s| s.to_string()).collect(), rows),
        Block::List(lines),
    ])
}
