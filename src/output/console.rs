//! Tables for people: aligned columns, units under every name.

use super::{Table, Values};

/// About four significant digits; NaN (undefined) as "-".
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..5).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    format!("{x:.*}", (3 - magnitude).clamp(0, 6) as usize)
}

/// A byte count for people: "512 B", "64 KiB", "1.5 MiB", "80 GiB".
pub fn format_bytes(n: f64) -> String {
    if n < 1024.0 {
        return format!("{} B", n.round());
    }
    let (value, unit) = ["KiB", "MiB", "GiB", "TiB"]
        .iter()
        .enumerate()
        .map(|(k, unit)| (n / 1024f64.powi(k as i32 + 1), *unit))
        .find(|(v, unit)| *v < 1024.0 || *unit == "TiB")
        .expect("TiB ends the search");
    let text = format!("{value:.1}");
    format!("{} {unit}", text.trim_end_matches(".0"))
}

fn cell(values: &Values, row: usize) -> String {
    match values {
        Values::F64(v) => format_number(v[row]),
        Values::U64(v) => v[row].to_string(),
        Values::Str(v) => v[row].clone(),
    }
}

/// The table as text: a header line of names, a line of units in brackets, one line per row.
pub fn render(table: &Table) -> String {
    let mut grid: Vec<Vec<String>> = vec![
        table.columns.iter().map(|c| c.name.to_string()).collect(),
        // The file keeps ASCII "us"; people read µs.
        table.columns.iter().map(|c| format!("[{}]", if c.units == "us" { "µs" } else { &c.units })).collect(),
    ];
    for r in 0..table.rows() {
        grid.push(table.columns.iter().map(|c| cell(&c.values, r)).collect());
    }
    let widths: Vec<usize> =
        (0..table.columns.len()).map(|c| grid.iter().map(|row| row[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &grid {
        let line: Vec<String> = row.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(format_number(4.96712), "4.967");
        assert_eq!(format_number(0.100123), "0.1001");
        assert_eq!(format_number(123.456), "123.5");
        assert_eq!(format_number(0.0001234), "1.234e-4");
        assert_eq!(format_number(f64::NAN), "-");
    }

    #[test]
    fn columns_align_with_units() {
        let mut t = Table::new("t");
        t.column("ranks", "1", Values::U64(vec![1, 16])).column("time", "s", Values::F64(vec![2.0, 0.25]));
        assert_eq!(render(&t), "ranks    time\n  [1]     [s]\n    1   2.000\n   16  0.2500\n");
    }
}
