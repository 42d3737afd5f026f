//! The machine: facts about this node that experiments size themselves by (read from /sys and
//! /proc), its topology and where a rank is bound on it, a core's peak, and the BLAS library.

pub mod affinity;
pub mod blas;
pub mod peak;
pub mod topology;

use std::fs;

/// Parses a sysfs cache size such as "32K", "1024K" or "36M" (powers of 1024, as byte counts on
/// the command line are).
pub fn parse_sysfs_size(s: &str) -> Option<u64> {
    crate::options::parse_bytes(s).ok()
}

/// Size of the largest (last-level) data or unified cache of CPU 0, if the kernel says.
pub fn last_level_cache_bytes() -> Option<u64> {
    let dir = fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("index"))
        .filter(|e| fs::read_to_string(e.path().join("type")).is_ok_and(|t| t.trim() != "Instruction"))
        .filter_map(|e| {
            let level: u32 = fs::read_to_string(e.path().join("level")).ok()?.trim().parse().ok()?;
            Some((level, parse_sysfs_size(&fs::read_to_string(e.path().join("size")).ok()?)?))
        })
        .max()
        .map(|(_, size)| size)
}

/// Memory the kernel estimates is available for new allocations (MemAvailable), in bytes.
pub fn available_memory_bytes() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysfs_sizes() {
        assert_eq!(parse_sysfs_size("32K\n"), Some(32 * 1024));
        assert_eq!(parse_sysfs_size("36M"), Some(36 * 1024 * 1024));
        assert_eq!(parse_sysfs_size("512"), Some(512));
        assert_eq!(parse_sysfs_size("big"), None);
    }
}
