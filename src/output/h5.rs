//! The HDF5 results file, built in memory (HDF5's core driver, never backed by a file) and
//! handed back as bytes. HDF5 never touches the disk, so a full filesystem is an ordinary I/O
//! error of the caller's write, not a failure inside HDF5 (which, on ENOSPC at close, left
//! objects that HDF5 closed again at MPI_Finalize: SIGSEGV).

use super::{AttrValue, Table, Values};
use anyhow::{bail, Context, Result};
use hdf5::types::VarLenUnicode;
use hdf5::Location;

/// A 2-D dataset of f64: one row per rank, gathered to rank 0.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub group: String,
    pub name: &'static str,
    pub units: &'static str,
    pub rows: usize,
    pub cols: usize,
    /// Row-major.
    pub values: Vec<f64>,
}

fn vlen(s: &str) -> Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>().map_err(|e| anyhow::anyhow!("string {s:?} cannot be stored: {e}"))
}

fn write_attr(loc: &Location, name: &str, value: &AttrValue) -> Result<()> {
    match value {
        AttrValue::F64(x) => loc.new_attr::<f64>().create(name)?.write_scalar(x)?,
        AttrValue::U64(x) => loc.new_attr::<u64>().create(name)?.write_scalar(x)?,
        AttrValue::Str(s) => loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&vlen(s)?)?,
    }
    Ok(())
}

fn write_strings(group: &hdf5::Group, name: &str, values: &[String]) -> Result<hdf5::Dataset> {
    let data = values.iter().map(|s| vlen(s)).collect::<Result<Vec<_>>>()?;
    Ok(group.new_dataset_builder().with_data(&data[..]).create(name)?)
}

/// The group at `path` ("comm/pt2pt"), creating it and its parents as needed.
/// The attribute every table's group holds: its columns, comma-separated, in the table's order.
pub const COLUMNS: &str = "columns";

fn create_groups(file: &hdf5::File, path: &str) -> Result<hdf5::Group> {
    let mut group = file.group("/")?;
    for part in path.split('/') {
        group = if group.link_exists(part) { group.group(part)? } else { group.create_group(part)? };
    }
    Ok(group)
}

/// The whole file as bytes: the root attributes, one string dataset per entry of `per_rank`
/// (hostnames, CPU sets, ...: one string per rank), one group per table with a `units`
/// attribute on every column, and the per-rank matrices. `name` only labels the file inside
/// HDF5 while it is built.
pub fn image(
    name: &str,
    root: &[(&str, AttrValue)],
    per_rank: &[(&str, &[String])],
    tables: &[Table],
    matrices: &[Matrix],
) -> Result<Vec<u8>> {
    let file = hdf5::File::with_options()
        .with_fapl(|p| p.core_filebacked(false))
        .create(name)
        .with_context(|| format!("creating {name} in memory"))?;
    for (attr, value) in root {
        write_attr(&file, attr, value)?;
    }
    for (dataset, values) in per_rank {
        write_strings(&file, dataset, values)?;
    }
    for table in tables {
        let group = create_groups(&file, table.name)?;
        for (attr, value) in &table.attrs {
            write_attr(&group, attr, value)?;
        }
        // HDF5 lists a group's members alphabetically: the order the table was written in is kept
        // here, for readers that rebuild it (docs/results-schema.md's recipe).
        let order: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        if !order.is_empty() {
            write_attr(&group, COLUMNS, &AttrValue::Str(order.join(",")))?;
        }
        for column in &table.columns {
            let ds = match &column.values {
                Values::F64(v) => group.new_dataset_builder().with_data(&v[..]).create(column.name)?,
                Values::U64(v) => group.new_dataset_builder().with_data(&v[..]).create(column.name)?,
                Values::Str(v) => write_strings(&group, column.name, v)?,
            };
            write_attr(&ds, "units", &AttrValue::Str(column.units.into()))?;
        }
    }
    for m in matrices {
        let group = create_groups(&file, &m.group)?;
        let array = ndarray::Array2::from_shape_vec((m.rows, m.cols), m.values.clone()).with_context(|| {
            format!("{}/{}: {} values for {} × {}", m.group, m.name, m.values.len(), m.rows, m.cols)
        })?;
        let ds = group.new_dataset_builder().with_data(&array).create(m.name)?;
        write_attr(&ds, "units", &AttrValue::Str(m.units.into()))?;
    }
    file.flush()?;
    let bytes = file_image(&file)?;
    file.close()?;
    Ok(bytes)
}

/// Reads back what an earlier run wrote at the schema's `paths` (a suite resumed): each group's
/// attributes and 1-D datasets as a table, its 2-D datasets as matrices, with their types and
/// units as written. Names are leaked: a resumed run reads each once.
pub fn read_back(file: &hdf5::File, paths: &[&'static str]) -> Result<(Vec<Table>, Vec<Matrix>)> {
    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
    fn attr_value(attr: &hdf5::Attribute) -> Result<AttrValue> {
        let dtype = attr.dtype()?;
        Ok(if dtype.is::<f64>() {
            AttrValue::F64(attr.read_scalar::<f64>()?)
        } else if dtype.is::<u64>() {
            AttrValue::U64(attr.read_scalar::<u64>()?)
        } else {
            AttrValue::Str(attr.read_scalar::<VarLenUnicode>()?.as_str().to_string())
        })
    }
    let (mut tables, mut matrices) = (Vec::new(), Vec::new());
    for &path in paths {
        let Ok(group) = file.group(path) else { continue };
        let mut table = Table::new(path);
        let mut order = Vec::new();
        for name in group.attr_names()? {
            let value = attr_value(&group.attr(&name)?)?;
            match value {
                // Written again from the columns themselves.
                AttrValue::Str(list) if name == COLUMNS => order = list.split(',').map(str::to_string).collect(),
                value => table.attrs.push((leak(name), value)),
            }
        }
        for name in group.member_names()? {
            let Ok(ds) = group.dataset(&name) else { continue };
            let units = match ds.attr("units") {
                Ok(a) => leak(a.read_scalar::<VarLenUnicode>()?.as_str().to_string()),
                Err(_) => "",
            };
            let dtype = ds.dtype()?;
            if ds.ndim() == 2 {
                let shape = ds.shape();
                let values = ds.read_raw::<f64>()?;
                matrices.push(Matrix {
                    group: path.to_string(),
                    name: leak(name),
                    units,
                    rows: shape[0],
                    cols: shape[1],
                    values,
                });
                continue;
            }
            let values = if dtype.is::<f64>() {
                Values::F64(ds.read_raw::<f64>()?)
            } else if dtype.is::<u64>() {
                Values::U64(ds.read_raw::<u64>()?)
            } else {
                Values::Str(ds.read_raw::<VarLenUnicode>()?.iter().map(|s| s.as_str().to_string()).collect())
            };
            table.columns.push(super::Column { name: leak(name), units, values });
        }
        table.columns.sort_by_key(|c| order.iter().position(|o| o == c.name).unwrap_or(usize::MAX));
        tables.push(table);
    }
    Ok((tables, matrices))
}

/// The bytes of an open in-memory file (H5Fget_file_image: asked once for the size, then for
/// the bytes).
fn file_image(file: &hdf5::File) -> Result<Vec<u8>> {
    use hdf5_sys::h5f::H5Fget_file_image;
    // SAFETY: a valid file id; a null buffer asks only for the size.
    let size = unsafe { H5Fget_file_image(file.id(), std::ptr::null_mut(), 0) };
    if size < 0 {
        bail!("H5Fget_file_image failed");
    }
    let mut bytes = vec![0u8; size as usize];
    // SAFETY: the buffer holds exactly the `size` bytes HDF5 said the image has.
    let copied = unsafe { H5Fget_file_image(file.id(), bytes.as_mut_ptr().cast(), bytes.len()) };
    if copied < 0 || copied as usize != bytes.len() {
        bail!("H5Fget_file_image returned {copied} of {size} bytes");
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_a_readable_hdf5_file() {
        let mut t = Table::new("demo/sub");
        t.column("time_s", "s", Values::F64(vec![1.5, 2.5]))
            .column("kind", "1", Values::Str(vec!["a".into(), "b".into()]))
            .attr("kernel", AttrValue::Str("sleep".into()));
        let m = Matrix {
            group: "demo".into(),
            name: "grid",
            units: "us",
            rows: 2,
            cols: 3,
            values: (0..6).map(f64::from).collect(),
        };
        let hosts = ["h0".to_string(), "h1".to_string()];
        let root = [("world_size", AttrValue::U64(2))];
        let bytes = image("demo-image", &root, &[("hostnames", &hosts)], &[t], &[m]).unwrap();
        assert_eq!(&bytes[..8], b"\x89HDF\r\n\x1a\n");

        let path = std::env::temp_dir().join(format!("parahpc-image-{}.h5", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let file = hdf5::File::open(&path).unwrap();
        assert_eq!(file.attr("world_size").unwrap().read_scalar::<u64>().unwrap(), 2);
        assert_eq!(file.dataset("demo/sub/time_s").unwrap().read_raw::<f64>().unwrap(), [1.5, 2.5]);
        let grid = file.dataset("demo/grid").unwrap();
        assert_eq!(grid.shape(), [2, 3]);
        assert_eq!(grid.read_2d::<f64>().unwrap()[[1, 2]], 5.0);
        drop(file);
        std::fs::remove_file(path).unwrap();
    }
}
