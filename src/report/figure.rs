//! Figures, each drawn once per backend into an SVG and a PNG of the same size. Text needs a
//! TrueType font: DejaVu Sans from the system (scripts/setup.sh installs fonts-dejavu-core), or
//! the file named by PARAHPC_FONT.

use super::axis::Axis;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Display;
use std::path::Path;
use std::sync::OnceLock;

/// Something that draws itself on any plotters backend.
pub trait Figure {
    const SIZE: (u32, u32) = (1000, 800);
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// `?` for plotters' backend-specific errors.
pub trait OrText<T> {
    fn text(self) -> Result<T, String>;
}

impl<T, E: Display> OrText<T> for Result<T, E> {
    fn text(self) -> Result<T, String> {
        self.map_err(|e| format!("drawing failed: {e}"))
    }
}

const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Every figure's coordinates: two `Axis`, log or linear.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// A chart on `area`: the caption, and the mesh with tick labels and descriptions from the axes.
pub fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    title_size: u32,
    (x, x_desc): (&Axis, &str),
    (y, y_desc): (&Axis, &str),
) -> Result<Chart<'a, DB>, String> {
    let mut builder = ChartBuilder::on(area);
    // No caption where the figure titles its panels itself.
    if !title.is_empty() {
        builder.caption(title, ("sans-serif", title_size));
    }
    let mut chart = builder
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), y.clone())
        .text()?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .text()?;
    Ok(chart)
}

/// The corner of the plot holding the fewest of `points`: where the legend covers least.
pub fn legend_corner(x: &Axis, y: &Axis, points: impl IntoIterator<Item = (f64, f64)>) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut counts = [0usize; 4];
    for (px, py) in points {
        let (fx, fy) = (x.fraction(px), y.fraction(py));
        if !(fx.is_finite() && fy.is_finite()) {
            continue;
        }
        for (k, &(_, right, upper)) in corners.iter().enumerate() {
            // A legend takes about 40 % of the width and a third of the height.
            let in_x = if right { fx > 0.55 } else { fx < 0.45 };
            let in_y = if upper { fy > 0.62 } else { fy < 0.38 };
            counts[k] += usize::from(in_x && in_y);
        }
    }
    let best = (0..4).min_by_key(|&k| counts[k]).unwrap_or(0);
    corners[best].0.clone()
}

/// Draws the legend of `chart` in `position`.
pub fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .text()
}

/// Draws labelled curves, each a line with its points marked, in palette colours.
pub fn curves<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    curves: &[(String, Vec<(f64, f64)>)],
) -> Result<(), String> {
    for (i, (label, points)) in curves.iter().enumerate() {
        let c = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .text()?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled()))).text()?;
    }
    Ok(())
}

/// A reference level across the whole x axis (a peak, a rate to compare with): dashed, black,
/// in the legend as `label`. Returns its two end points, for placing the legend.
pub fn level<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    x: &Axis,
    value: f64,
    label: String,
) -> Result<[(f64, f64); 2], String> {
    let line = [(x.low(), value), (x.high(), value)];
    chart
        .draw_series(DashedLineSeries::new(line, 8, 6, BLACK.stroke_width(1)))
        .text()?
        .label(label)
        .legend(|at| swatch(at, BLACK.into(), Some((8, 6))));
    Ok(line)
}

/// Swatch length in a legend, in pixels.
const SWATCH: i32 = 24;

/// The segments (start, end) of a swatch drawn `on` px on and `off` px off (solid for None):
/// at most three, so that every swatch has the same shape.
fn dash_segments(dash: Option<(u32, u32)>) -> [(i32, i32); 3] {
    let Some((on, off)) = dash else { return [(0, SWATCH), (SWATCH, SWATCH), (SWATCH, SWATCH)] };
    let (on, period) = (on as i32, (on + off) as i32);
    std::array::from_fn(|k| ((k as i32 * period).min(SWATCH), (k as i32 * period + on).min(SWATCH)))
}

/// A legend swatch at `(x, y)` in the style of its line: solid, or dashed as `dash` (on, off).
pub fn swatch<'a, DB: DrawingBackend + 'a>(
    (x, y): (i32, i32),
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> impl IntoDynElement<'a, DB, (i32, i32)> {
    let [a, b, c] = dash_segments(dash);
    let segment = move |(from, to): (i32, i32)| {
        PathElement::new(if to > from { vec![(from, 0), (to, 0)] } else { vec![] }, style)
    };
    EmptyElement::at((x, y)) + segment(a) + segment(b) + segment(c)
}

/// One line of a legend drawn beside a plot: its label, colour, and its dashes (on, off) if any.
pub struct Entry {
    pub label: String,
    pub color: RGBAColor,
    pub dash: Option<(u32, u32)>,
}

const LEGEND_FONT: u32 = 13;
const LEGEND_ROW: u32 = 18;
/// Swatch and gap before each label.
const LEGEND_SWATCH: u32 = 32;

/// How many columns and rows `entries` take in a legend `width` pixels wide on `area`'s backend.
fn legend_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    width: u32,
) -> Result<(u32, u32, u32), String> {
    let font = ("sans-serif", LEGEND_FONT).into_font();
    let mut widest = 0;
    for e in entries {
        widest = widest.max(area.estimate_text_size(&e.label, &font.clone().into()).text()?.0);
    }
    let column = widest + LEGEND_SWATCH + 16;
    let columns = (width / column).clamp(1, entries.len().max(1) as u32);
    Ok((columns, (entries.len() as u32).div_ceil(columns), column))
}

/// The height a legend of `entries` needs across the full width of `area`.
pub fn legend_height<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<u32, String> {
    let (_, rows, _) = legend_grid(area, entries, area.dim_in_pixel().0)?;
    Ok(rows * LEGEND_ROW + 12)
}

/// Draws `entries` as a legend filling `area`, beside or below its plot so that it covers no
/// curve: in as many columns as the widest label allows, each swatch dashed where its line is.
pub fn legend_in<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
    let (columns, _, column) = legend_grid(area, entries, area.dim_in_pixel().0)?;
    let font = ("sans-serif", LEGEND_FONT).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    for (k, e) in entries.iter().enumerate() {
        let (col, row) = (k as u32 % columns, k as u32 / columns);
        let (x, y) = ((col * column + 8) as i32, (row * LEGEND_ROW + LEGEND_ROW / 2 + 6) as i32);
        let style = e.color.stroke_width(2);
        for (from, to) in dash_segments(e.dash).into_iter().filter(|(from, to)| to > from) {
            area.draw(&PathElement::new([(x + from, y), (x + to, y)], style)).text()?;
        }
        area.draw_text(&e.label, &font, (x + LEGEND_SWATCH as i32, y)).text()?;
    }
    Ok(())
}

/// Pixel box (left, top, right, bottom).
type Box4 = (i32, i32, i32, i32);

fn overlaps(a: Box4, b: Box4) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Writes each of `points`' labels beside its marker where it overlaps no other label, no
/// marker and no edge of the plot: first right, left, above or below the marker, then further
/// up or down on either side with a leader line back to it. Markers at one place take turns.
pub fn point_labels<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    points: &[(String, (f64, f64))],
    size: u32,
) -> Result<(), String> {
    let font = ("sans-serif", size).into_font();
    let markers: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(&p.1)).collect();
    let area = chart.plotting_area();
    let (xr, yr) = area.get_pixel_range();
    let inside = |b: Box4| b.0 >= xr.start && b.2 <= xr.end && b.1 >= yr.start && b.3 <= yr.end;
    let mut taken: Vec<Box4> = markers.iter().map(|&(x, y)| (x - 5, y - 5, x + 5, y + 5)).collect();
    let mut placed = Vec::new();
    for (k, (label, _)) in points.iter().enumerate() {
        let (w, h) = area.estimate_text_size(label, &font.clone().into()).text()?;
        let (w, h, (px, py)) = (w as i32, h as i32, markers[k]);
        let mut candidates =
            vec![(px + 7, py - h / 2), (px - 7 - w, py - h / 2), (px - w / 2, py - 7 - h), (px - w / 2, py + 7)];
        for step in 1..=12 {
            let shift = step * (h + 2);
            for (x, y) in [(px + 14, py - h / 2 - shift), (px + 14, py - h / 2 + shift)] {
                candidates.push((x, y));
                candidates.push((x - 28 - w, y));
            }
        }
        let boxed = |&(x, y): &(i32, i32)| (x, y, x + w, y + h);
        let free = candidates.iter().find(|c| inside(boxed(c)) && !taken.iter().any(|&t| overlaps(t, boxed(c))));
        // Nowhere free: the nearest place inside the plot, overlapping as little as there is.
        let (x, y) = *free.or_else(|| candidates.iter().find(|c| inside(boxed(c)))).unwrap_or(&candidates[0]);
        taken.push(boxed(&(x, y)));
        placed.push((k, x - px, y - py, w, h));
    }
    for (k, dx, dy, w, h) in placed {
        let coord = points[k].1;
        // A leader from the marker to the nearer end of a label set apart from it.
        let end = if dx > 0 { (dx, dy + h / 2) } else { (dx + w, dy + h / 2) };
        let far = dy.abs() > h + 4;
        let leader = PathElement::new(if far { vec![(0, 0), end] } else { vec![] }, BLACK.mix(0.4));
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at(coord)
                    + leader
                    + Text::new(points[k].0.clone(), (dx, dy), font.clone().color(&BLACK))),
            )
            .text()?;
    }
    Ok(())
}

/// Registers the font plotters uses as "sans-serif", once.
fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let path = std::env::var("PARAHPC_FONT")
                .ok()
                .or_else(|| FONT_CANDIDATES.iter().find(|p| Path::new(p).exists()).map(|p| p.to_string()))
                .ok_or("no font for the figures: install fonts-dejavu-core (scripts/setup.sh does), or set PARAHPC_FONT to a .ttf file")?;
            let bytes = std::fs::read(&path).map_err(|e| format!("font {path}: {e}"))?;
            // plotters keeps fonts for the life of the process.
            plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
                .map_err(|_| format!("font {path}: not a TrueType font"))
        })
        .clone()
}

/// Draws `figure` into `<dir>/<stem>.svg` and `<dir>/<stem>.png`, each under a temporary name
/// first.
pub fn save<F: Figure>(figure: &F, dir: &Path, stem: &str) -> Result<(), String> {
    register_font()?;
    for extension in ["svg", "png"] {
        let path = dir.join(format!("{stem}.{extension}"));
        // The bitmap backend picks the image format from the extension: keep it last.
        let temp = dir.join(format!("{stem}.{}.tmp.{extension}", std::process::id()));
        let drawn = if extension == "svg" {
            let area = SVGBackend::new(&temp, F::SIZE).into_drawing_area();
            figure.draw(&area).and_then(|()| area.present().text())
        } else {
            let area = BitMapBackend::new(&temp, F::SIZE).into_drawing_area();
            figure.draw(&area).and_then(|()| area.present().text())
        };
        drawn.and_then(|()| crate::output::files::commit(&temp, &path, true)).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("{}: {e}", path.display())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swatch_is_dashed_as_its_line_is() {
        assert_eq!(dash_segments(None), [(0, 24), (24, 24), (24, 24)]);
        assert_eq!(dash_segments(Some((8, 6))), [(0, 8), (14, 22), (24, 24)]);
        // A fine pattern shows its dashes up to the swatch's end.
        assert_eq!(dash_segments(Some((3, 3))), [(0, 3), (6, 9), (12, 15)]);
    }
}
