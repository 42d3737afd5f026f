//! Figures, each drawn once per backend into an SVG and a PNG of the same size. Text needs a
//! TrueType font: DejaVu Sans from the system (scripts/setup.sh installs fonts-dejavu-core), or
//! the file named by PARAHPC_FONT.

use super::axis::Axis;
use plotters::coord::Shift;
use plotters::prelude::*;
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
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", title_size))
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
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    Ok(line)
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
