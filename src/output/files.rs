//! Where results go and how they get there: the default name, refusing to clobber, checking
//! free space, and writing each version of a file under a temporary name that is renamed over
//! the last one only once it is whole.

use crate::options::CommonArgs;
use crate::run::context::RunContext;
use crate::run::failure::{Failure, Outcome};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The files one run writes, decided on rank 0 and known to every rank.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub h5: PathBuf,
    pub json: Option<PathBuf>,
    pub force: bool,
}

/// Bytes free for an unprivileged user on the file system that holds `dir`, if it says.
pub fn available_bytes(dir: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: a NUL-terminated path and a statvfs struct for the kernel to fill.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// The directory a file goes into.
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Refuses, before the run, a file system with less free space than the results need.
pub fn check_space(path: &Path, needed: u64) -> Result<(), String> {
    let dir = directory(path);
    match available_bytes(dir) {
        Some(free) if free < needed => Err(format!(
            "{} has {} free, and the results file {} needs about {}: free some space or choose another -o",
            dir.display(),
            crate::output::console::format_bytes(free as f64),
            path.display(),
            crate::output::console::format_bytes(needed as f64)
        )),
        _ => Ok(()),
    }
}

/// The identity of a file: device and inode, and (inode numbers are reused at once) its size and
/// change time.
type Identity = (u64, u64, u64, i64, i64);

fn identity(path: &Path) -> Option<Identity> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino(), m.size(), m.ctime(), m.ctime_nsec()))
}

/// Writes successive versions of one file (checkpoints, then the final file), each whole under
/// a temporary name first and then renamed over the last. It replaces only what it wrote
/// itself: a file that appears at the path meanwhile is left alone unless `force`.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    force: bool,
    /// The file this writer last put at the path.
    written: Option<Identity>,
}

impl Writer {
    pub fn new(path: &Path, force: bool) -> Writer {
        Writer { path: path.to_path_buf(), force, written: None }
    }

    /// Puts `bytes` at the path. On failure nothing changes at the path, no temporary file is
    /// left (but for a refused replacement, which keeps the new bytes beside it, and says so).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let path = &self.path;
        if let Some(free) = available_bytes(directory(path)) {
            if free < bytes.len() as u64 {
                return Err(format!(
                    "cannot write {}: no space left on its file system ({} needed, {} free)",
                    path.display(),
                    crate::output::console::format_bytes(bytes.len() as f64),
                    crate::output::console::format_bytes(free as f64)
                ));
            }
        }
        let temp = temp_name(path);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(format!("cannot write {}: {e}", temp.display()));
        }
        let there = identity(path);
        if there.is_some() && there != self.written && !self.force {
            return Err(format!(
                "output file {} appeared or was replaced during the run; not overwritten (--force would); \
                 these results are in {}",
                path.display(),
                temp.display()
            ));
        }
        std::fs::rename(&temp, path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("cannot move {} to {}: {e}", temp.display(), path.display())
        })?;
        self.written = identity(path);
        Ok(())
    }

    /// Whether the path still holds the file this writer last wrote.
    pub fn holds_its_file(&self) -> bool {
        self.written.is_some() && identity(&self.path) == self.written
    }

    /// Removes the file this writer last wrote, if it is still the one at the path.
    pub fn remove(&mut self) {
        if self.holds_its_file() {
            let _ = std::fs::remove_file(&self.path);
        }
        self.written = None;
    }
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
    let dir = directory(path);
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
    /// Collective: rank 0 chooses and checks the paths, and that about `needed` bytes are free
    /// there; every rank learns them, or the error.
    pub fn prepare(ctx: &RunContext, common: &CommonArgs, experiment: &str, needed: u64) -> Outcome<OutputPlan> {
        let local = if ctx.is_root() {
            let h5 = common.output.clone().unwrap_or_else(|| default_name(experiment, ctx));
            check_target(&h5, common.force)
                .and_then(|()| check_space(&h5, needed))
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
        Ok(OutputPlan { h5, json: common.json.clone(), force: common.force })
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
    fn the_writer_replaces_only_its_own_file() {
        let dir = scratch("writer");
        let f = dir.join("r.h5");
        let mut w = Writer::new(&f, false);
        w.write(b"first").unwrap();
        w.write(b"second").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"second");
        // Deleted meanwhile: written again.
        std::fs::remove_file(&f).unwrap();
        w.write(b"third").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"third");
        // Replaced meanwhile: left alone, and the new bytes kept beside it.
        std::fs::remove_file(&f).unwrap();
        std::fs::write(&f, b"theirs").unwrap();
        let err = w.write(b"fourth").unwrap_err();
        assert!(err.contains("replaced during the run") && err.contains(".tmp"), "{err}");
        assert_eq!(std::fs::read(&f).unwrap(), b"theirs");
        let mut forced = Writer::new(&f, true);
        std::fs::remove_file(temp_name(&f)).unwrap();
        forced.write(b"mine").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(check_space(&f, u64::MAX).unwrap_err().contains("free some space"));
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
