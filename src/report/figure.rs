//! Figures, each drawn once per backend into an SVG and a PNG of the same size. Text needs a
//! TrueType font: DejaVu Sans from the system (scripts/setup.sh installs fonts-dejavu-core), or
//! the file named by PARAHPC_FONT.

use crate::output::console::format_number as num;
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

/// A log–log chart's coordinates.
pub type LogLog = Cartesian2d<LogCoord<f64>, LogCoord<f64>>;

/// Draws labelled curves, each a line with its points marked, in palette colours.
pub fn curves<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, LogLog>,
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

/// An axis tick: log axes tick at powers of ten, so decimal units ("10 kB", "1 MB").
pub fn tick_bytes(n: f64) -> String {
    let (value, unit) = match n {
        n if n < 1e3 => (n, "B"),
        n if n < 1e6 => (n / 1e3, "kB"),
        n => (n / 1e6, "MB"),
    };
    format!("{} {unit}", num(value).trim_end_matches('0').trim_end_matches('.'))
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
    fn byte_ticks_use_decimal_units() {
        assert_eq!(tick_bytes(10.0), "10 B");
        assert_eq!(tick_bytes(1e4), "10 kB");
        assert_eq!(tick_bytes(1e6), "1 MB");
    }
}
