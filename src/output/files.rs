//! Where results go and how they get there: the default name, refusing to clobber, and
//! writing to a temporary name that is renamed only once the file is complete.

use crate::cli::CommonArgs;
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use std::path::{Path, PathBuf};

/// The files one run writes, decided on rank 0 and known to every rank.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub h5: PathBuf,
    /// The name the HDF5 file is written under until it is complete.
    pub h5_temp: PathBuf,
    pub json: Option<PathBuf>,
    pub force: bool,
}

pub fn default_name(experiment: &str, ctx: &RunContext) -> PathBuf {
    PathBuf::from(format!("parahpc-{experiment}-{}.h5", ctx.start_time.format("%Y%m%dT%H%M%SZ")))
}

/// The temporary name beside `path`: same directory (so the rename is atomic), marked with
/// the writer's pid.
pub fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Checks, before any work, that `path` can be written: not an existing file unless `force`,
/// in an existing, writable directory.
pub fn check_target(path: &Path, force: bool) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!("output path {} is a directory", path.display()));
    }
    if path.exists() && !force {
        return Err(format!(
            "output file {} already exists; pass --force to overwrite it or -o to choose another name",
            path.display()
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!("directory {} does not exist (for {})", dir.display(), path.display()));
    }
    let probe = temp_name(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// Moves the complete file `temp` to `path`, refusing (and removing `temp`) if `path` appeared
/// meanwhile and `force` is off.
pub fn commit(temp: &Path, path: &Path, force: bool) -> Result<(), String> {
    if !force && path.exists() {
        let _ = std::fs::remove_file(temp);
        return Err(format!("output file {} appeared during the run; not overwritten", path.display()));
    }
    std::fs::rename(temp, path).map_err(|e| {
        let _ = std::fs::remove_file(temp);
        format!("cannot move {} to {}: {e}", temp.display(), path.display())
    })
}

/// Writes `contents` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, contents: &[u8], force: bool) -> Result<(), String> {
    let temp = temp_name(path);
    std::fs::write(&temp, contents).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", temp.display())
    })?;
    commit(&temp, path, force)
}

impl OutputPlan {
    /// Collective: rank 0 chooses and checks the paths; every rank learns them, or the error.
    pub fn prepare(ctx: &RunContext, common: &CommonArgs, experiment: &str) -> Outcome<OutputPlan> {
        let local = if ctx.is_root() {
            let h5 = common.output.clone().unwrap_or_else(|| default_name(experiment, ctx));
            check_target(&h5, common.force)
                .and_then(|()| match &common.json {
                    Some(j) if j == &h5 => Err("--json and --output name the same file".to_string()),
                    Some(j) => check_target(j, common.force),
                    None => Ok(()),
                })
                .map(|()| h5)
                .map_err(Failure::usage)
        } else {
            Ok(PathBuf::new())
        };
        let h5 = PathBuf::from(ctx.broadcast_string(&ctx.agree(local)?.to_string_lossy()));
        let h5_temp = PathBuf::from(ctx.broadcast_string(&temp_name(&h5).to_string_lossy()));
        Ok(OutputPlan { h5, h5_temp, json: common.json.clone(), force: common.force })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("parahpc-files-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn existing_files_are_refused_unless_forced() {
        let dir = scratch("exists");
        let f = dir.join("r.h5");
        assert!(check_target(&f, false).is_ok());
        std::fs::write(&f, b"old").unwrap();
        assert!(check_target(&f, false).unwrap_err().contains("already exists"));
        assert!(check_target(&f, true).is_ok());
        assert!(check_target(&dir.join("missing/r.h5"), false).unwrap_err().contains("does not exist"));
        // The probe leaves nothing behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn commit_never_clobbers_without_force() {
        let dir = scratch("commit");
        let (temp, f) = (dir.join("t.tmp"), dir.join("r.json"));
        std::fs::write(&f, b"old").unwrap();
        std::fs::write(&temp, b"new").unwrap();
        assert!(commit(&temp, &f, false).is_err());
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
        assert!(!temp.exists());
        write_atomically(&f, b"new", true).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
