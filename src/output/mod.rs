//! Results: tables of equal-length columns with units, written to HDF5 (and optionally JSON)
//! atomically, and printed for people.

pub mod console;
pub mod files;
pub mod h5;
pub mod json;
pub mod schema;

use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};

/// One column's values.
#[derive(Debug, Clone)]
pub enum Values {
    F64(Vec<f64>),
    U64(Vec<u64>),
    Str(Vec<String>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }
}

/// A column: name, units (UDUNITS style: "s", "1" for dimensionless) and values.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub units: &'static str,
    pub values: Values,
}

/// A scalar attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    F64(f64),
    U64(u64),
    Str(String),
}

/// An experiment's result table: HDF5 group `/<name>` with one 1-D dataset per column and the
/// scalars as group attributes.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub attrs: Vec<(&'static str, AttrValue)>,
}

impl Table {
    pub fn new(name: &'static str) -> Table {
        Table { name, columns: Vec::new(), attrs: Vec::new() }
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// Adds a column; all columns of a table have the same length.
    pub fn column(&mut self, name: &'static str, units: &'static str, values: Values) -> &mut Self {
        assert!(
            self.columns.is_empty() || values.len() == self.rows(),
            "column {name} has {} rows, table {} has {}",
            values.len(),
            self.name,
            self.rows()
        );
        self.columns.push(Column { name, units, values });
        self
    }

    pub fn attr(&mut self, name: &'static str, value: AttrValue) -> &mut Self {
        self.attrs.push((name, value));
        self
    }
}

/// Data of which every rank holds its own row: dataset `/<group>/<name>` of shape
/// (ranks, row length), written collectively, each rank its own row.
#[derive(Debug, Clone)]
pub struct PerRankRows {
    pub group: String,
    pub name: &'static str,
    pub units: &'static str,
    pub row: Vec<f64>,
}

/// Why a run stopped before the end: the stop signal, and how far it got.
pub struct Stopped {
    pub signal: i32,
    pub reason: String,
}

impl Stopped {
    /// Stopped by `signal` after `done` of `total` `steps` ("points", "sizes").
    pub fn after(signal: i32, done: usize, total: usize, steps: &str) -> Stopped {
        Stopped {
            signal,
            reason: format!("{} received after {done} of {total} {steps}", crate::run::signals::name(signal)),
        }
    }
}

/// Everything one experiment records.
pub struct Results {
    pub tables: Vec<Table>,
    pub per_rank: Vec<PerRankRows>,
    /// Set when a signal stopped the run before the end; `None` for a complete run.
    pub stopped: Option<Stopped>,
}

impl Results {
    /// A complete run's tables (only rank 0's are written; other ranks pass none).
    pub fn complete(tables: Vec<Table>) -> Results {
        Results { tables, per_rank: Vec::new(), stopped: None }
    }
}

/// Root attributes: the run's provenance and whether the results are complete.
fn root_attributes(ctx: &RunContext, results: &Results) -> Vec<(&'static str, AttrValue)> {
    let mut attrs = ctx.provenance();
    attrs.push(("incomplete", AttrValue::U64(results.stopped.is_some() as u64)));
    let reason = results.stopped.as_ref().map_or(String::new(), |s| s.reason.clone());
    attrs.push(("incomplete_reason", AttrValue::Str(reason)));
    attrs
}

/// Collective: writes `results` to the planned HDF5 file (rank 0's tables first, then every
/// rank's rows through MPI-IO) under its temporary name, renames it into place, and exports
/// JSON if asked. Everything written must be declared in `schema`. Any failure reaches every
/// rank and leaves no file under the final name.
pub fn save(ctx: &RunContext, plan: &files::OutputPlan, results: &Results, schema: &[schema::Group]) -> Outcome<()> {
    let root = root_attributes(ctx, results);
    let declared = schema::check(schema, &results.tables, &results.per_rank)
        .and_then(|()| schema::check_root(root.iter().map(|(name, _)| *name)))
        .map_err(|e| Failure::failed(format!("internal error, results not written: {e}")));
    ctx.agree(declared)?;
    let tables = if ctx.is_root() {
        h5::write_tables(&plan.h5_temp, &root, ctx, &results.tables).map_err(Failure::from)
    } else {
        Ok(())
    };
    let mut outcome = ctx.agree(tables);
    if outcome.is_ok() && !results.per_rank.is_empty() {
        outcome = ctx.agree(h5::write_per_rank(&plan.h5_temp, ctx, &results.per_rank).map_err(Failure::from));
    }
    let finished = if ctx.is_root() {
        match outcome {
            Ok(()) => finish(ctx, plan, results).map_err(Failure::failed),
            Err(e) => {
                let _ = std::fs::remove_file(&plan.h5_temp);
                Err(e)
            }
        }
    } else {
        outcome
    };
    ctx.agree(finished)
}

fn finish(ctx: &RunContext, plan: &files::OutputPlan, results: &Results) -> Result<(), String> {
    files::commit(&plan.h5_temp, &plan.h5, plan.force)?;
    ctx.note(&format!("wrote {}", plan.h5.display()));
    if let Some(path) = &plan.json {
        let doc = json::document(&root_attributes(ctx, results), &results.tables);
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
        files::write_atomically(path, text.as_bytes(), plan.force)?;
        ctx.note(&format!("wrote {}", path.display()));
    }
    Ok(())
}
