//! Headline figures: the few numbers each experiment's file is summed up by. They make the
//! machine card that opens the report of a suite file, the side-by-side table when several files
//! are reported together, and the regression check against a reference file (`tools::compare`).

use super::load::Group;

/// Which way a figure gets better, for the regression check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// A fact of the machine (its cores, its caches): shown, never a regression.
    Neither,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
    /// What it is, unique within a file: "DRAM triad, one core".
    pub figure: String,
    pub value: f64,
    pub unit: &'static str,
    pub better: Better,
    /// The one sentence of the lesson it proves: the claim.
    pub lesson: &'static str,
    /// What this machine shows, in words made from its own figures (empty if not said).
    pub shows: String,
}

impl Headline {
    pub fn new(
        figure: impl Into<String>,
        value: f64,
        unit: &'static str,
        better: Better,
        lesson: &'static str,
    ) -> Headline {
        Headline { figure: figure.into(), value, unit, better, lesson, shows: String::new() }
    }

    /// What this machine shows, said from its own figures.
    pub fn shows(mut self, sentence: impl Into<String>) -> Headline {
        self.shows = sentence.into();
        self
    }
}

/// Rows `i` of `group` where the text column `name` equals `value`.
pub fn rows_where<'a>(group: &'a Group, name: &str, value: &'a str) -> impl Iterator<Item = usize> + 'a {
    group
        .text_columns
        .get(name)
        .into_iter()
        .flat_map(move |c| c.iter().enumerate().filter(move |(_, v)| *v == value).map(|(i, _)| i))
}

/// A numeric column's value at row `i`, if the column is there.
pub fn at(group: &Group, name: &str, i: usize) -> Option<f64> {
    group.columns.get(name).and_then(|(_, v)| v.get(i).copied())
}

/// A numeric attribute, if there.
pub fn number(group: &Group, name: &str) -> Option<f64> {
    match group.attrs.get(name) {
        Some(super::load::Value::Number(n)) => Some(*n),
        _ => None,
    }
}

/// A figure that fell behind the reference by more than `tolerance` (0.1 for 10 %): its name,
/// value, the reference's, and the change.
#[derive(Debug, PartialEq)]
pub struct Regression {
    pub figure: String,
    pub value: f64,
    pub reference: f64,
    pub unit: &'static str,
}

/// The figures of `figures` that are worse than the same figure of `reference` by more than
/// `tolerance`; figures the reference lacks are not compared.
pub fn regressions(figures: &[Headline], reference: &[Headline], tolerance: f64) -> Vec<Regression> {
    figures
        .iter()
        .filter_map(|h| {
            let r = reference.iter().find(|r| r.figure == h.figure)?;
            let worse = match h.better {
                Better::Higher => h.value < r.value * (1.0 - tolerance),
                Better::Lower => h.value > r.value * (1.0 + tolerance),
                Better::Neither => false,
            };
            worse.then(|| Regression { figure: h.figure.clone(), value: h.value, reference: r.value, unit: h.unit })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(figure: &str, value: f64, better: Better) -> Headline {
        Headline::new(figure, value, "GB/s", better, "")
    }

    #[test]
    fn only_worse_than_the_tolerance_is_a_regression() {
        let reference =
            [h("bw", 100.0, Better::Higher), h("latency", 1.0, Better::Lower), h("cores", 8.0, Better::Neither)];
        let same = [h("bw", 95.0, Better::Higher), h("latency", 1.05, Better::Lower), h("cores", 4.0, Better::Neither)];
        assert!(regressions(&same, &reference, 0.10).is_empty());
        let worse = [h("bw", 85.0, Better::Higher), h("latency", 1.2, Better::Lower), h("new", 1.0, Better::Higher)];
        let found: Vec<String> = regressions(&worse, &reference, 0.10).into_iter().map(|r| r.figure).collect();
        assert_eq!(found, ["bw", "latency"]);
        // Better is never a regression, however far.
        assert!(regressions(&[h("bw", 1000.0, Better::Higher), h("latency", 0.01, Better::Lower)], &reference, 0.1)
            .is_empty());
    }
}
