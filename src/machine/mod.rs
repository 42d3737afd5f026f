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

/// The CPU's model as the kernel names it (x86: "model name"; Arm: the implementer and part),
/// or "unknown CPU".
pub fn cpu_model() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpu_model_of(&info)
}

fn cpu_model_of(cpuinfo: &str) -> String {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    match (field("model name"), field("CPU implementer"), field("CPU part")) {
        (Some(model), _, _) => model,
        (None, Some(implementer), Some(part)) => format!("Arm CPU (implementer {implementer}, part {part})"),
        _ => "unknown CPU".into(),
    }
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

/// Asks the kernel for transparent huge pages over the 2 MiB-aligned part of `len` bytes at
/// `start`, memory this process owns and has not touched yet: scattered accesses then miss the
/// TLB far less often. Advice only; where the kernel declines, nothing changes.
pub fn advise_huge_pages(start: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    let first = (start as usize).next_multiple_of(HUGE);
    let end = (start as usize + len) / HUGE * HUGE;
    if end > first {
        // SAFETY: madvise only advises on [first, end), which lies inside the caller's
        // allocation; MADV_HUGEPAGE changes no contents and its failure is harmless.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

/// The kernel's transparent huge page mode: `always`, `madvise` (given to memory that asks, as
/// `advise_huge_pages` does), `never`, or `unknown`.
pub fn huge_pages_mode() -> &'static str {
    let text = fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    // The mode in force is the one in brackets: "always [madvise] never".
    ["always", "madvise", "never"].into_iter().find(|m| text.contains(&format!("[{m}]"))).unwrap_or("unknown")
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
        assert_eq!(
            cpu_model_of("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"),
            "Intel(R) Xeon(R) Processor"
        );
        assert_eq!(
            cpu_model_of("CPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"),
            "Arm CPU (implementer 0x41, part 0xd0c)"
        );
        assert_eq!(cpu_model_of(""), "unknown CPU");
    }
}
