//! The HDF5 results file. Rank 0 writes the provenance and the tables on its own; data that
//! every rank holds a part of is then written collectively through MPI-IO, each rank its own
//! row of one dataset.

use super::{AttrValue, PerRankRows, Table, Values};
use crate::run::context::RunContext;
use anyhow::{bail, Context, Result};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataspace, Datatype, Location};
use hdf5_sys::h5d::H5Dwrite;
use hdf5_sys::h5p::{H5FD_mpio_xfer_t, H5Pclose, H5Pcreate, H5Pset_dxpl_mpio, H5P_CLS_DATASET_XFER};
use mpi::raw::AsRaw;
use mpi::traits::*;
use std::path::Path;

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
fn create_groups(file: &hdf5::File, path: &str) -> Result<hdf5::Group> {
    let mut group = file.group("/")?;
    for part in path.split('/') {
        group = if group.link_exists(part) { group.group(part)? } else { group.create_group(part)? };
    }
    Ok(group)
}

/// Creates `path` (rank 0 only) with the root attributes, `/hostnames` and `/cpusets` (one
/// entry per rank) and one group per table.
pub fn write_tables(path: &Path, root: &[(&str, AttrValue)], ctx: &RunContext, tables: &[Table]) -> Result<()> {
    let file = hdf5::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    for (name, value) in root {
        write_attr(&file, name, value)?;
    }
    write_strings(&file, "hostnames", &ctx.hostnames)?;
    write_strings(&file, "cpusets", &ctx.cpusets)?;
    write_strings(&file, "numa_nodes", &ctx.numa_nodes)?;
    write_strings(&file, "core_ids", &ctx.core_ids)?;
    for table in tables {
        let group = create_groups(&file, table.name)?;
        for (name, value) in &table.attrs {
            write_attr(&group, name, value)?;
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
    file.close()?;
    Ok(())
}

/// Collective: every rank opens `path` through MPI-IO and writes its own row of each
/// `PerRankRows` dataset (shape: ranks × row length) with one collective transfer.
pub fn write_per_rank(path: &Path, ctx: &RunContext, data: &[PerRankRows]) -> Result<()> {
    let file = hdf5::File::with_options()
        .with_fapl(|p| p.mpio(ctx.world.as_raw(), None))
        .open_rw(path)
        .with_context(|| format!("opening {} through MPI-IO", path.display()))?;
    for item in data {
        let len = item.row.len();
        let (mut shortest, mut longest) = (0usize, 0usize);
        ctx.world.all_reduce_into(&len, &mut shortest, mpi::collective::SystemOperation::min());
        ctx.world.all_reduce_into(&len, &mut longest, mpi::collective::SystemOperation::max());
        if shortest != longest {
            bail!("per-rank rows of {}/{} differ in length ({shortest} to {longest})", item.group, item.name);
        }
        // Metadata operations are collective: every rank makes the same calls.
        let group = create_groups(&file, &item.group)?;
        let ds = group.new_dataset::<f64>().shape((ctx.size, len)).create(item.name)?;
        write_attr(&ds, "units", &AttrValue::Str(item.units.into()))?;

        let file_space = ds.space()?.select((ctx.rank..ctx.rank + 1, ..))?;
        let memory_space = Dataspace::try_new((1, len))?;
        let dtype = Datatype::from_type::<f64>()?;
        // SAFETY: the ids are live for the duration of the call, the buffer holds exactly the
        // `len` doubles both spaces select, and the transfer list is closed on every path.
        let status = unsafe {
            let dxpl = H5Pcreate(*H5P_CLS_DATASET_XFER);
            if dxpl < 0 {
                bail!("H5Pcreate(dataset transfer) failed");
            }
            let mut status = H5Pset_dxpl_mpio(dxpl, H5FD_mpio_xfer_t::H5FD_MPIO_COLLECTIVE);
            if status >= 0 {
                status =
                    H5Dwrite(ds.id(), dtype.id(), memory_space.id(), file_space.id(), dxpl, item.row.as_ptr().cast());
            }
            H5Pclose(dxpl);
            status
        };
        if status < 0 {
            bail!("collective write of {}/{} failed", item.group, item.name);
        }
    }
    file.close()?;
    Ok(())
}
