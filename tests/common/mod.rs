//! Helpers shared by the integration tests: running the binary and checking results files
//! against the schema the README documents.
#![allow(dead_code)] // each test crate uses its own subset

use hdf5::types::VarLenUnicode;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const ROOT_ATTRIBUTES: &[&str] = &[
    "blas_library",
    "command_line",
    "cpu_model",
    "git_revision",
    "hdf5_library",
    "incomplete",
    "incomplete_reason",
    "mpi_library",
    "mpi_thread_level",
    "nodes",
    "parahpc_version",
    "rustc_version",
    "start_time",
    "threads_per_rank",
    "threads_source",
    "world_size",
];
pub const AMDAHL_COLUMNS: &[&str] = &[
    "amdahl_predicted_speedup",
    "efficiency",
    "karp_flatt",
    "ranks",
    "speedup",
    "threads",
    "time_max_s",
    "time_median_s",
    "time_min_s",
];
/// Sorted; `columns` is every table's column order, written beside the declared attributes.
pub const AMDAHL_ATTRIBUTES: &[&str] = &[
    "baseline_time_fit_s",
    "baseline_workers",
    "checksum",
    "columns",
    "kernel",
    "mode",
    "parallel_iterations",
    "repeats",
    "seconds_per_iteration",
    "serial_fraction_fit",
    "serial_fraction_fit_stderr",
    "serial_fraction_requested",
    "serial_iterations",
    "speedup_ceiling",
    "sweep",
    "warmup",
    "work_s",
];

/// The experiments the binary registers, in its order, as `parahpc --help` lists them (the suite
/// and the tools left out): what a test of every experiment must cover, so that a new one is
/// tested everywhere or fails the tests that leave it out.
pub fn registered_experiments() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_parahpc")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let commands = help.split("Commands:").nth(1).expect("--help lists its commands");
    let names: Vec<String> = commands
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' ')))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| !["suite", "report", "schema", "help"].contains(n))
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 14, "{names:?} from:\n{help}");
    names
}

/// A suite's `--skip` list that leaves only `keep` (topology always runs): a new experiment is
/// skipped too, without editing the tests that want a small suite.
pub fn skip_all_but(keep: &[&str]) -> String {
    registered_experiments()
        .into_iter()
        .filter(|e| e != "topology" && !keep.contains(&e.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Fails unless `covered` names every registered experiment except those `exempt` (each with
/// its reason), and nothing else.
pub fn assert_covers(what: &str, covered: &[&str], exempt: &[(&str, &str)]) {
    let mut expected: Vec<String> =
        registered_experiments().into_iter().filter(|e| exempt.iter().all(|(x, _)| x != e)).collect();
    let mut got: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    expected.sort();
    got.sort();
    got.dedup();
    assert_eq!(got, expected, "{what} must cover every registered experiment (exempt: {exempt:?})");
}

/// The experiments whose report section draws a figure: tests/figures.rs reads each one's axes,
/// and tests/browser.rs checks that no other section draws one.
pub const WITH_FIGURES: [&str; 9] =
    ["amdahl", "comm", "gemm", "linpack", "memlat", "randomaccess", "reduce", "roofline", "stream"];

/// Whether the tests run under MPICH (`PARAHPC_MPI=mpich`, set by scripts/mpi-env.sh), else Open
/// MPI.
pub fn mpich() -> bool {
    std::env::var("PARAHPC_MPI").is_ok_and(|m| m == "mpich")
}

/// The launcher, ready for `-n ranks`, then launcher options, the binary and its arguments: the
/// one place where the MPIs differ. Open MPI's mpirun needs `--oversubscribe` for more ranks
/// than cores; MPICH's mpiexec (Hydra, named by PARAHPC_MPIRUN) oversubscribes by default and
/// refuses the option. Both take `--bind-to`.
pub fn launcher(ranks: usize, options: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("PARAHPC_MPIRUN").unwrap_or_else(|_| "mpirun".into()));
    if !mpich() {
        cmd.arg("--oversubscribe");
    }
    cmd.args(options).args(["-n", &ranks.to_string(), env!("CARGO_BIN_EXE_parahpc")]);
    cmd
}

/// Runs the release binary on `ranks` ranks (oversubscribed) in `dir`.
pub fn mpirun(ranks: usize, args: &[&str], dir: &Path) -> Output {
    launcher(ranks, &[])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the MPI launcher runs (scripts/test.sh installs it)")
}

/// Runs the release binary on `ranks` ranks across the emulated two-node cluster
/// (`scripts/two-nodes.sh mpirun`, ranks alternating between this host and nodeb), with extra
/// mpirun options `launcher` and environment `env`, in `dir`. `scripts/test.sh` brings the
/// cluster up (as root) before it runs the tests that use this.
pub fn mpirun_two_nodes(ranks: usize, launcher: &[&str], args: &[&str], env: &[(&str, &str)], dir: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/two-nodes.sh");
    Command::new("timeout")
        .args(["300", script.to_str().unwrap(), "mpirun", "-n", &ranks.to_string()])
        .args(launcher)
        .arg(env!("CARGO_BIN_EXE_parahpc"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("scripts/two-nodes.sh runs")
}

/// As `mpirun`, with PARAHPC_INJECT_FAULT naming `fault`.
pub fn mpirun_with_fault(ranks: usize, args: &[&str], dir: &Path, fault: &str) -> Output {
    launcher(ranks, &[])
        .args(args)
        .env("PARAHPC_INJECT_FAULT", fault)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the MPI launcher runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", out.status.code(), stdout(out), stderr(out));
}

/// Asserts that the run exited with `code` and that its stderr says `expected`.
pub fn assert_fails(out: &Output, code: i32, expected: &str) {
    assert_eq!(out.status.code(), Some(code), "stderr:\n{}", stderr(out));
    assert!(stderr(out).contains(expected), "stderr lacks {expected:?}:\n{}", stderr(out));
}

/// Asserts that `dir` is empty: a refused or failed run left no file behind.
pub fn assert_no_files(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

pub fn sorted(names: Vec<String>) -> Vec<String> {
    let mut names = names;
    names.sort();
    names
}

/// A dataset of strings, as Rust strings.
pub fn strings(ds: &hdf5::Dataset) -> Vec<String> {
    ds.read_raw::<VarLenUnicode>().unwrap().iter().map(|s| s.as_str().to_string()).collect()
}

pub fn str_attr(loc: &hdf5::Location, name: &str) -> String {
    loc.attr(name).unwrap().read_scalar::<VarLenUnicode>().unwrap().as_str().to_string()
}

pub fn f64_attr(loc: &hdf5::Location, name: &str) -> f64 {
    loc.attr(name).unwrap().read_scalar::<f64>().unwrap()
}

pub fn u64_attr(loc: &hdf5::Location, name: &str) -> u64 {
    loc.attr(name).unwrap().read_scalar::<u64>().unwrap()
}

/// Checks amdahl's derived figures against its own measured medians, recomputed here without
/// the program's code: each speedup is the baseline median over the point's (strong), the
/// serial fraction is the least-squares fit of T = a + b/n (f = a/(a+b)) or, weak, of
/// Gustafson's S − n = f·(1 − n) through the origin, and the ceiling is 1/f. A program that
/// fits, divides or rounds wrongly fails, whatever the machine's timings. Returns f.
pub fn check_amdahl_fit(g: &hdf5::Group) -> f64 {
    let read = |name: &str| g.dataset(name).unwrap().read_raw::<f64>().unwrap();
    let workers: Vec<f64> = {
        let (r, t) = (
            g.dataset("ranks").unwrap().read_raw::<u64>().unwrap(),
            g.dataset("threads").unwrap().read_raw::<u64>().unwrap(),
        );
        r.iter().zip(&t).map(|(r, t)| (r * t) as f64).collect()
    };
    let n: Vec<f64> = workers.iter().map(|w| w / workers[0]).collect();
    let (median, speedup) = (read("time_median_s"), read("speedup"));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12);
    let f = if str_attr(g, "mode") == "weak" {
        let num: f64 = n.iter().zip(&speedup).map(|(n, s)| (s - n) * (1.0 - n)).sum();
        let den: f64 = n.iter().map(|n| (1.0 - n).powi(2)).sum();
        assert!(f64_attr(g, "speedup_ceiling").is_infinite(), "no ceiling in weak mode");
        num / den
    } else {
        for i in 0..n.len() {
            assert!(
                close(speedup[i], median[0] / median[i]),
                "speedup {i}: {} against {}",
                speedup[i],
                median[0] / median[i]
            );
        }
        let m = n.len() as f64;
        let x: Vec<f64> = n.iter().map(|n| 1.0 / n).collect();
        let (xbar, ybar) = (x.iter().sum::<f64>() / m, median.iter().sum::<f64>() / m);
        let sxy: f64 = x.iter().zip(&median).map(|(x, y)| (x - xbar) * (y - ybar)).sum();
        let b = sxy / x.iter().map(|x| (x - xbar).powi(2)).sum::<f64>();
        let a = ybar - b * xbar;
        let f = a / (a + b);
        assert!(close(f64_attr(g, "speedup_ceiling"), 1.0 / f), "the ceiling is 1/f");
        f
    };
    let fitted = f64_attr(g, "serial_fraction_fit");
    assert!(close(fitted, f), "serial_fraction_fit {fitted}, the medians give {f}");
    f
}

/// Opens a results file and checks it holds exactly the documented schema for `ranks` ranks and
/// the expected sweep points; returns the file for further checks.
pub fn check_schema(path: &Path, ranks: usize, points: &[(u64, u64)], extra_attributes: &[&str]) -> hdf5::File {
    check_schema_with_root(path, ranks, points, extra_attributes, &[])
}

/// As `check_schema`, for a file that also holds the root attributes `extra_root` (SLURM's).
pub fn check_schema_with_root(
    path: &Path,
    ranks: usize,
    points: &[(u64, u64)],
    extra_attributes: &[&str],
    extra_root: &[&str],
) -> hdf5::File {
    let file = hdf5::File::open(path).unwrap();
    let root: Vec<String> = ROOT_ATTRIBUTES.iter().chain(extra_root).map(|s| s.to_string()).collect();
    assert_eq!(sorted(file.attr_names().unwrap()), sorted(root));
    assert_eq!(u64_attr(&file, "incomplete"), 0, "{}", str_attr(&file, "incomplete_reason"));
    assert_eq!(sorted(file.member_names().unwrap()), ["amdahl", "core_ids", "cpusets", "hostnames", "numa_nodes"]);
    assert_eq!(u64_attr(&file, "world_size"), ranks as u64);
    assert_eq!(file.dataset("hostnames").unwrap().shape(), [ranks]);
    for per_rank in ["cpusets", "numa_nodes", "core_ids"] {
        assert_eq!(file.dataset(per_rank).unwrap().shape(), [ranks], "{per_rank}");
    }
    assert!(str_attr(&file, "mpi_library").starts_with(if mpich() { "MPICH" } else { "Open MPI" }));
    assert!(!str_attr(&file, "mpi_library").contains('\0'));
    assert!(str_attr(&file, "command_line").contains("amdahl"));
    // rayon threads run beside MPI in amdahl.
    assert_eq!(str_attr(&file, "mpi_thread_level"), "funneled");
    assert!(str_attr(&file, "start_time").ends_with('Z'));

    let g = file.group("amdahl").unwrap();
    let mut members = AMDAHL_COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    members.push("per_rank".into());
    assert_eq!(sorted(g.member_names().unwrap()), sorted(members));
    let mut attributes: Vec<String> = AMDAHL_ATTRIBUTES.iter().chain(extra_attributes).map(|s| s.to_string()).collect();
    attributes.sort();
    assert_eq!(sorted(g.attr_names().unwrap()), attributes);
    // The column order on record names exactly the table's columns.
    let order: Vec<String> = str_attr(&g, "columns").split(',').map(str::to_string).collect();
    assert_eq!(sorted(order), sorted(AMDAHL_COLUMNS.iter().map(|s| s.to_string()).collect()));
    for column in AMDAHL_COLUMNS {
        let ds = g.dataset(column).unwrap();
        assert_eq!(ds.shape(), [points.len()], "{column}");
        let units = str_attr(&ds, "units");
        assert_eq!(units, if column.starts_with("time_") { "s" } else { "1" }, "{column}");
    }
    let ranks_col = g.dataset("ranks").unwrap().read_raw::<u64>().unwrap();
    let threads_col = g.dataset("threads").unwrap().read_raw::<u64>().unwrap();
    let got: Vec<(u64, u64)> = ranks_col.into_iter().zip(threads_col).collect();
    assert_eq!(got, points);

    // Written collectively, one row per rank: a rank has a time for exactly the points it took part in.
    let per_rank = g.dataset("per_rank/parallel_phase_median_s").unwrap();
    assert_eq!(per_rank.shape(), [ranks, points.len()]);
    assert_eq!(str_attr(&per_rank, "units"), "s");
    let rows = per_rank.read_2d::<f64>().unwrap();
    for r in 0..ranks {
        for (p, &(point_ranks, _)) in points.iter().enumerate() {
            assert_eq!(rows[[r, p]].is_nan(), r as u64 >= point_ranks, "rank {r} point {p}: {}", rows[[r, p]]);
        }
    }
    file
}

/// Reads lines from `reader` until one contains `needle` (a progress line); panics on EOF.
pub fn wait_for_line(reader: impl std::io::Read, needle: &str) -> String {
    use std::io::BufRead;
    let mut seen = String::new();
    for line in std::io::BufReader::new(reader).lines() {
        let line = line.unwrap();
        seen += &line;
        seen.push('\n');
        if line.contains(needle) {
            return seen;
        }
    }
    panic!("no line with {needle:?} before the end of output:\n{seen}");
}

/// A command running in the background, its stderr read line by line as it comes (by a thread,
/// so that a hung command fails the test after two minutes instead of hanging it).
pub struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    pub log: String,
}

const RUNNING_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

impl Running {
    pub fn start(cmd: &mut Command, dir: &Path) -> Running {
        use std::io::BufRead;
        let mut child =
            cmd.current_dir(dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines, log: String::new() }
    }

    /// Reads stderr until a line contains `needle`; panics at the end of output or after two
    /// minutes.
    pub fn wait_for(&mut self, needle: &str) {
        loop {
            match self.lines.recv_timeout(RUNNING_LIMIT) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.log += &line;
                    self.log.push('\n');
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("no line with {needle:?}:\n{}", self.log),
            }
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.pid(), signal) };
    }

    /// Waits for the end (killing the command after two minutes): exit status (None if killed
    /// by a signal), the whole stderr, and how long the wait took.
    pub fn finish(mut self) -> (Option<i32>, String, std::time::Duration) {
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > RUNNING_LIMIT {
                let _ = self.child.kill();
                panic!("still running after {RUNNING_LIMIT:?}:\n{}", self.log);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let took = start.elapsed();
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(5)) {
            self.log += &line;
            self.log.push('\n');
        }
        (status.code(), self.log, took)
    }
}

/// Runs `cmd` in `dir`, sends it `signal` once a stderr line contains `after`, and returns its
/// exit status and everything it wrote to stderr.
pub fn interrupt(cmd: &mut Command, dir: &Path, after: &str, signal: i32) -> (Option<i32>, String) {
    let mut run = Running::start(cmd, dir);
    run.wait_for(after);
    run.signal(signal);
    let (code, log, _) = run.finish();
    (code, log)
}

/// A tmpfs of `size` (e.g. "4k") mounted for a test, unmounted when dropped. A process that
/// cannot mount (not root) fails the test that needs it: scripts/test.sh runs as root.
pub struct Tmpfs(pub tempfile::TempDir);

impl Tmpfs {
    pub fn mount(size: &str, options: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let opts = if options.is_empty() { format!("size={size}") } else { format!("size={size},{options}") };
        let status =
            Command::new("mount").args(["-t", "tmpfs", "-o", &opts, "tmpfs", dir.path().to_str().unwrap()]).status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "cannot mount a {size} tmpfs here ({status:?}): this test needs root, as scripts/test.sh runs it"
        );
        Tmpfs(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

/// Checks a results file written after a stop signal: valid, marked incomplete with the
/// reason, holding exactly the points completed before the signal (fewer than all).
pub fn check_incomplete(path: &Path, signal: &str, all_points: usize) -> usize {
    let file = hdf5::File::open(path).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let reason = str_attr(&file, "incomplete_reason");
    assert!(reason.starts_with(&format!("{signal} received after ")), "{reason}");
    let rows = file.dataset("amdahl/ranks").unwrap().shape()[0];
    assert!(rows >= 1 && rows < all_points, "{rows} of {all_points} points");
    assert!(reason.contains(&format!("after {rows} of {all_points} points")), "{reason}");
    for column in AMDAHL_COLUMNS {
        assert_eq!(file.dataset(&format!("amdahl/{column}")).unwrap().shape(), [rows], "{column}");
    }
    rows
}

/// A PNG's width and height, from its header.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // IHDR is the first chunk: width and height, big-endian, at bytes 16..24.
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}
