//! Reads any parahpc results file generically: root attributes, and per group its attributes
//! and 1-D columns. Every problem is an error that names the file and what is wrong.

use hdf5::types::{TypeDescriptor, VarLenUnicode};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An attribute's value: text, or a number (integers are read as f64).
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Number(f64),
}

/// One group: an experiment's, or one of its tables.
#[derive(Debug, Default)]
pub struct Group {
    pub attrs: BTreeMap<String, Value>,
    /// Numeric column name → (units, values).
    pub columns: BTreeMap<String, (String, Vec<f64>)>,
    /// Text column name → values.
    pub text_columns: BTreeMap<String, Vec<String>>,
    /// 2-D dataset name → (rows, columns, values in row order).
    pub matrices: BTreeMap<String, (usize, usize, Vec<f64>)>,
}

/// One results file.
#[derive(Debug)]
pub struct ResultsFile {
    pub path: PathBuf,
    /// Short name for legends and tables: the file name without `.h5`.
    pub label: String,
    pub attrs: BTreeMap<String, Value>,
    pub hostnames: Vec<String>,
    /// Every group by its path ("amdahl", "comm/pt2pt").
    pub groups: BTreeMap<String, Group>,
}

fn read_attr(attr: &hdf5::Attribute) -> hdf5::Result<Value> {
    Ok(match attr.dtype()?.to_descriptor()? {
        TypeDescriptor::VarLenUnicode => Value::Text(attr.read_scalar::<VarLenUnicode>()?.as_str().to_string()),
        _ => Value::Number(attr.read_scalar::<f64>()?),
    })
}

fn read_attrs(loc: &hdf5::Location) -> hdf5::Result<BTreeMap<String, Value>> {
    loc.attr_names()?.into_iter().map(|name| Ok((name.clone(), read_attr(&loc.attr(&name)?)?))).collect()
}

/// Reads `group` into `groups` under `path`, and its subgroups under their paths.
fn read_group(group: &hdf5::Group, path: &str, groups: &mut BTreeMap<String, Group>) -> hdf5::Result<()> {
    let mut out = Group { attrs: read_attrs(group)?, ..Group::default() };
    for name in group.member_names()? {
        if let Ok(sub) = group.group(&name) {
            read_group(&sub, &format!("{path}/{name}"), groups)?;
            continue;
        }
        let ds = group.dataset(&name)?;
        let text = matches!(ds.dtype()?.to_descriptor()?, TypeDescriptor::VarLenUnicode);
        match (ds.ndim(), text) {
            (1, true) => {
                out.text_columns
                    .insert(name, ds.read_raw::<VarLenUnicode>()?.iter().map(|s| s.as_str().to_string()).collect());
            }
            (1, false) if ds.attr_names()?.iter().any(|a| a == "units") => {
                let units = match read_attr(&ds.attr("units")?)? {
                    Value::Text(u) => u,
                    Value::Number(n) => n.to_string(),
                };
                out.columns.insert(name, (units, ds.read_raw::<f64>()?));
            }
            (2, false) => {
                let shape = ds.shape();
                out.matrices.insert(name, (shape[0], shape[1], ds.read_raw::<f64>()?));
            }
            _ => {}
        }
    }
    groups.insert(path.to_string(), out);
    Ok(())
}

/// The HDF5 signature at the start of a file (parahpc writes no user block).
const SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

impl ResultsFile {
    pub fn load(path: &Path) -> Result<ResultsFile, String> {
        let name = path.display();
        let mut head = [0u8; SIGNATURE.len()];
        std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| format!("{name}: {e}"))?;
        if head != SIGNATURE {
            return Err(format!("{name}: not an HDF5 file"));
        }
        let file =
            hdf5::File::open(path).map_err(|e| format!("{name}: unreadable HDF5, truncated or corrupt ({e})"))?;
        let read = || -> hdf5::Result<ResultsFile> {
            let attrs = read_attrs(&file)?;
            let hostnames = match file.dataset("hostnames") {
                Ok(ds) => ds.read_raw::<VarLenUnicode>()?.iter().map(|h| h.as_str().to_string()).collect(),
                Err(_) => Vec::new(),
            };
            let mut groups = BTreeMap::new();
            for member in file.member_names()? {
                if let Ok(group) = file.group(&member) {
                    read_group(&group, &member, &mut groups)?;
                }
            }
            let label = path.file_name().unwrap_or_default().to_string_lossy().trim_end_matches(".h5").to_string();
            Ok(ResultsFile { path: path.to_path_buf(), label, attrs, hostnames, groups })
        };
        let loaded = read().map_err(|e| format!("{name}: unreadable HDF5, truncated or corrupt ({e})"))?;
        if !loaded.attrs.contains_key("parahpc_version") {
            return Err(format!("{name}: not a parahpc results file (no parahpc_version attribute)"));
        }
        Ok(loaded)
    }

    /// A root attribute as text ("?" when absent).
    pub fn text(&self, name: &str) -> String {
        text(&self.attrs, name)
    }

    /// " Incomplete run: <reason>." for a run stopped early, else nothing.
    pub fn incomplete_note(&self) -> String {
        if self.text("incomplete") == "1" {
            format!(" Incomplete run: {}.", self.text("incomplete_reason"))
        } else {
            String::new()
        }
    }

    /// The group at `path`, or an error naming what is missing.
    pub fn group(&self, path: &str) -> Result<&Group, String> {
        self.groups.get(path).ok_or_else(|| format!("{}: lacks group /{path}", self.path.display()))
    }
}

pub fn text(attrs: &BTreeMap<String, Value>, name: &str) -> String {
    match attrs.get(name) {
        Some(Value::Text(t)) => t.clone(),
        // Shortest exact form: "9", "0.1", "2.5".
        Some(Value::Number(n)) => n.to_string(),
        None => "?".into(),
    }
}

impl Group {
    /// A column's values, or an error naming what is missing.
    pub fn column(&self, file: &ResultsFile, group: &str, name: &str) -> Result<&[f64], String> {
        self.columns
            .get(name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| format!("{}: /{group} lacks column '{name}'", file.path.display()))
    }

    /// A text column's values, or an error naming what is missing.
    pub fn text_column(&self, file: &ResultsFile, group: &str, name: &str) -> Result<&[String], String> {
        self.text_columns
            .get(name)
            .map(|v| v.as_slice())
            .ok_or_else(|| format!("{}: /{group} lacks column '{name}'", file.path.display()))
    }

    /// A numeric attribute, or an error naming what is missing.
    pub fn number(&self, file: &ResultsFile, group: &str, name: &str) -> Result<f64, String> {
        match self.attrs.get(name) {
            Some(Value::Number(n)) => Ok(*n),
            _ => Err(format!("{}: /{group} lacks numeric attribute '{name}'", file.path.display())),
        }
    }

    pub fn text(&self, name: &str) -> String {
        text(&self.attrs, name)
    }
}
