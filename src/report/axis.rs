//! Axes for every figure: where the ticks go and how they read. Log axes tick at 1-2-5 steps,
//! decades or powers of two, worker axes at 1, 2, 4, … and the last measured count, linear axes
//! at 1-2-5 steps; each extends outward to ticks that bracket the data. Labels carry their true
//! value and unit: "1 k", "10 k", "4 KiB", "250 ns", "12 µs". An `Axis` is itself a plotters
//! coordinate, so every chart is `Cartesian2d<Axis, Axis>`.

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use std::ops::Range;

/// What an axis's values are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// A number: labels use SI prefixes from a thousand on ("1 k", "2.5 M").
    Plain,
    /// Whole numbers written out ("1024"): worker counts, matrix orders, ranks.
    Count,
    /// Bytes: "512 B", "4 KiB", "1.5 MiB".
    Bytes,
    /// A time, the value times `seconds_per_unit` seconds: "250 ns", "12 µs", "3 ms", "2 s".
    Time { seconds_per_unit: f64 },
}

#[derive(Clone, Debug)]
pub struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    unit: Unit,
    ticks: Vec<f64>,
}

/// At most this many labels on an axis: more would crowd or overlap.
const MAX_TICKS: usize = 8;
/// Two worker ticks closer than this fraction of the axis would overlap.
const MIN_GAP: f64 = 0.06;
/// Room beyond the extreme ticks, as a fraction of the axis: markers stay off the frame.
const PAD: f64 = 0.03;

/// The smallest and largest of the finite `values` (positive ones only for log axes).
fn extent(values: impl IntoIterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold(None, |acc, v| Some(acc.map_or((v, v), |(a, b): (f64, f64)| (a.min(v), b.max(v)))))
}

/// `x` rounded down (`down`) or up to the tick grid `grid` (sorted, covers `x`).
fn bracket(grid: &[f64], x: f64, down: bool) -> f64 {
    let tolerance = 1e-9 * x.abs();
    if down {
        grid.iter().copied().filter(|&t| t <= x + tolerance).fold(grid[0], f64::max)
    } else {
        grid.iter().copied().filter(|&t| t >= x - tolerance).fold(*grid.last().unwrap(), f64::min)
    }
}

impl Axis {
    /// A log axis over the positive `values` (1 to 10 when there are none).
    pub fn log(values: impl IntoIterator<Item = f64>, unit: Unit) -> Axis {
        let (mut min, mut max) = extent(values, true).unwrap_or((1.0, 10.0));
        if max <= min {
            // One value: a span around it.
            (min, max) = (min / 2.0, max * 2.0);
        }
        let grid = if unit == Unit::Bytes { powers_of_two(min, max) } else { decimal_log_grid(min, max) };
        let (lo, hi) = (bracket(&grid, min, true), bracket(&grid, max, false));
        let ticks = grid.into_iter().filter(|&t| t >= lo && t <= hi).collect();
        Axis { lo, hi, log: true, unit, ticks }
    }

    /// A log axis of worker counts: 1, 2, 4, … and the largest count itself, each a measured
    /// point's place, without two labels close enough to overlap.
    pub fn workers(values: impl IntoIterator<Item = f64>) -> Axis {
        let (min, max) = extent(values, true).unwrap_or((1.0, 2.0));
        let (lo, hi) = (min.min(1.0), max.max(2.0));
        let mut ticks: Vec<f64> = std::iter::successors(Some(1.0), |t| Some(t * 2.0)).take_while(|&t| t < hi).collect();
        let fraction = |v: f64| (v / lo).ln() / (hi / lo).ln();
        ticks.retain(|&t| fraction(hi) - fraction(t) >= MIN_GAP);
        ticks.push(hi);
        Axis { lo, hi, log: true, unit: Unit::Count, ticks }
    }

    /// A linear axis over `values`, from zero if `from_zero`.
    pub fn linear(values: impl IntoIterator<Item = f64>, unit: Unit, from_zero: bool) -> Axis {
        let (mut min, mut max) = extent(values, false).unwrap_or((0.0, 1.0));
        if from_zero {
            min = min.min(0.0);
        }
        if max <= min {
            max = min + 1.0;
        }
        let mut step = nice_step((max - min) / (MAX_TICKS - 2) as f64);
        if unit == Unit::Count {
            step = step.max(1.0).round();
        }
        let lo = (min / step).floor() * step;
        let hi = (max / step).ceil() * step;
        let count = ((hi - lo) / step).round() as usize;
        let ticks = (0..=count).map(|k| lo + k as f64 * step).collect();
        Axis { lo, hi, log: false, unit, ticks }
    }

    /// Where `value` lies along the axis: 0 at the low end, 1 at the high end, the extreme ticks
    /// a little inside.
    pub fn fraction(&self, value: f64) -> f64 {
        let raw = if self.log {
            (value / self.lo).ln() / (self.hi / self.lo).ln()
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        (raw + PAD) / (1.0 + 2.0 * PAD)
    }

    /// The lowest tick: lines meant to span the plot start here.
    pub fn low(&self) -> f64 {
        self.lo
    }

    /// The highest tick.
    pub fn high(&self) -> f64 {
        self.hi
    }

    pub fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// A tick's label, its value with its unit.
    pub fn label(&self, value: f64) -> String {
        label(value, self.unit)
    }
}

/// The 1-2-5 number nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Powers of two around `[min, max]`, every k-th so that at most `MAX_TICKS` fall in the span.
fn powers_of_two(min: f64, max: f64) -> Vec<f64> {
    let (first, last) = (min.log2().floor() as i32, max.log2().ceil() as i32);
    let span = (last - first).max(1);
    let step = [1, 2, 3, 4, 5, 10, 20].into_iter().find(|&s| span / s < MAX_TICKS as i32).unwrap_or(30);
    // Aligned to the step, so that the ticks fall on round units (1 KiB, 1 MiB) where they can.
    let start = first.div_euclid(step) * step;
    (0..).map(|k| start + k * step).take_while(|&e| e < last + step).map(|e| 2f64.powi(e)).collect()
}

/// Decimal log ticks around `[min, max]`: 1-2-5 steps within a decade or so, decades over a
/// few, every other decade (or more) beyond.
fn decimal_log_grid(min: f64, max: f64) -> Vec<f64> {
    let (first, last) = (min.log10().floor() as i32, max.log10().ceil() as i32);
    let decades = (max / min).log10();
    let mantissas: &[f64] = if decades < 0.6 {
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
    } else if decades < 1.6 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let step = ((last - first) as f64 / MAX_TICKS as f64).ceil().max(1.0) as i32;
    let start = first.div_euclid(step) * step;
    (0..)
        .map(|k| start + k * step)
        .take_while(|&e| e <= last)
        .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
        .collect()
}

/// `v` with at most three significant digits, trailing zeros dropped: "1.5", "250", "0.02".
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `v` scaled by the largest of `units` (factor, suffix) it reaches, e.g. 1500 → "1.5 k".
fn scaled(v: f64, units: &[(f64, &str)]) -> String {
    let (factor, suffix) = units.iter().rev().find(|(f, _)| v.abs() >= *f * (1.0 - 1e-9)).copied().unwrap_or(units[0]);
    let number = short(v / factor);
    if suffix.is_empty() {
        number
    } else {
        format!("{number} {suffix}")
    }
}

/// A value's label in `unit`.
pub fn label(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Plain => scaled(v, &[(1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G"), (1e12, "T")]),
        Unit::Count => format!("{}", v.round() as i64),
        Unit::Bytes => scaled(v, &[(1.0, "B"), (1024.0, "KiB"), (1048576.0, "MiB"), (1073741824.0, "GiB")]),
        Unit::Time { seconds_per_unit } => {
            scaled(v * seconds_per_unit, &[(1e-12, "ps"), (1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")])
        }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        limit.0 + ((limit.1 - limit.0) as f64 * self.fraction(*value)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Grid lines and labels at the ticks only.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Tick labels come from the axis: its unit decides how a value reads.
impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_their_magnitude_and_unit() {
        let plain: Vec<String> =
            [1.0, 10.0, 100.0, 1000.0, 10000.0, 1.5e6].iter().map(|&v| label(v, Unit::Plain)).collect();
        assert_eq!(plain, ["1", "10", "100", "1 k", "10 k", "1.5 M"]);
        assert_eq!(label(0.05, Unit::Plain), "0.05");
        assert_eq!(label(1024.0, Unit::Count), "1024");
        assert_eq!(label(4096.0, Unit::Bytes), "4 KiB");
        assert_eq!(label(1.5 * 1048576.0, Unit::Bytes), "1.5 MiB");
        let us = Unit::Time { seconds_per_unit: 1e-6 };
        assert_eq!([0.25, 12.0, 3000.0].map(|v| label(v, us)), ["250 ns", "12 µs", "3 ms"]);
        assert_eq!(label(80.0, Unit::Time { seconds_per_unit: 1e-9 }), "80 ns");
    }

    #[test]
    fn log_ticks_bracket_the_data_and_stay_few_and_distinct() {
        for (min, max, unit) in [
            (1.0, 4.0 * 1048576.0, Unit::Bytes),
            (4096.0, 64.0 * 1048576.0, Unit::Bytes),
            (0.2, 400.0, Unit::Time { seconds_per_unit: 1e-6 }),
            (120.0, 25000.0, Unit::Plain),
            (1.2, 1.8, Unit::Plain),
            (3.0, 3.0, Unit::Plain),
        ] {
            let a = Axis::log([min, max], unit);
            let t = a.ticks();
            assert!(t.len() >= 2 && t.len() <= MAX_TICKS + 1, "{min}..{max}: {t:?}");
            assert!(t[0] <= min && *t.last().unwrap() >= max, "{min}..{max}: {t:?}");
            assert!(t.windows(2).all(|w| w[0] < w[1]));
            let labels: Vec<String> = t.iter().map(|&v| a.label(v)).collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique, labels, "{min}..{max}");
            assert_eq!((a.low(), a.high()), (t[0], *t.last().unwrap()));
        }
    }

    #[test]
    fn worker_ticks_end_at_the_last_point_without_crowding() {
        let nine = Axis::workers([1.0, 2.0, 4.0, 8.0, 9.0]);
        assert_eq!(nine.ticks(), [1.0, 2.0, 4.0, 9.0], "8 would sit on top of 9");
        assert_eq!(Axis::workers([1.0, 2.0, 4.0, 8.0, 16.0]).ticks(), [1.0, 2.0, 4.0, 8.0, 16.0]);
        assert_eq!(nine.label(9.0), "9");
        assert!(nine.fraction(1.0) > 0.0 && nine.fraction(9.0) < 1.0);
        assert!((nine.fraction(1.0) - PAD / (1.0 + 2.0 * PAD)).abs() < 1e-12);
    }

    #[test]
    fn linear_ticks_are_round_and_cover_the_data() {
        let a = Axis::linear([0.55, 1.02], Unit::Plain, true);
        assert_eq!(a.ticks().first(), Some(&0.0));
        assert!(*a.ticks().last().unwrap() >= 1.02);
        let ranks = Axis::linear([0.0, 3.0], Unit::Count, true);
        assert_eq!(ranks.ticks(), [0.0, 1.0, 2.0, 3.0]);
    }
}
