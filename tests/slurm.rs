//! The job scripts under a real SLURM of two nodes: `scripts/test.sh` brings up munged, slurmctld
//! and a slurmd for this host and for nodeb, the second node scripts/two-nodes.sh emulates
//! (scripts/slurm-up.sh --two-nodes), exports SLURM_CONF and runs these with `--ignored`; they are
//! ignored in a plain `cargo test`, which has no SLURM. One-node jobs use 2 tasks, two-node jobs
//! the scripts' --nodes=2 as written; sizes are overridden on the sbatch command line and through
//! the arguments the scripts pass on.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SLURM_ROOT: &[&str] = &[
    "slurm_cpus_per_task",
    "slurm_job_id",
    "slurm_job_name",
    "slurm_job_nodelist",
    "slurm_job_num_nodes",
    "slurm_job_partition",
    "slurm_ntasks",
];

fn job_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs").join(name)
}

/// `sbatch --parsable` (plus `--wait` unless `wait` is false) from `dir`, with the binary in
/// PARAHPC; at most two minutes.
fn sbatch(dir: &Path, options: &[&str], script: &str, args: &[&str], env: &[(&str, &str)], wait: bool) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "sbatch", "--parsable"]);
    if wait {
        cmd.arg("--wait");
    }
    cmd.args(options)
        .arg(job_script(script))
        .args(args)
        .env("PARAHPC", env!("CARGO_BIN_EXE_parahpc"))
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("sbatch runs (scripts/test.sh starts SLURM)")
}

fn job_id(out: &Output) -> String {
    stdout(out).lines().next().unwrap_or_default().trim().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SMALL: &[&str] = &["--kernel", "sleep", "--work", "0.3", "--repeats", "2"];

/// Checks that a waited-for job succeeded; if it did not, fails with the job's own log and the
/// slurmd logs' last lines, where a crash at MPI start-up says what happened.
fn assert_job_succeeded(out: &Output, dir: &Path) {
    if out.status.success() {
        return;
    }
    let logs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "out"))
        .map(|p| format!("{}:\n{}", p.display(), read(&p)))
        .collect();
    let slurmd: Vec<String> = ["/tmp/parahpc-slurm"]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("slurmd-")))
        .map(|p| {
            let text = read(&p);
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            format!("{} (last lines):\n{}", p.display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
        })
        .collect();
    panic!("the job failed: {:?}\n{}\n{}\n{}", out.status, stderr(out), logs.join("\n"), slurmd.join("\n"));
}

/// Submits `script` with the small workload, waits for it and checks it succeeded; returns the
/// job id and the job's log `<prefix>-<id>.out`.
fn run_job(dir: &Path, options: &[&str], script: &str, env: &[(&str, &str)], prefix: &str) -> (String, String) {
    let out = sbatch(dir, options, script, SMALL, env, true);
    assert_job_succeeded(&out, dir);
    let id = job_id(&out);
    let log = read(&dir.join(format!("{prefix}-{id}.out")));
    (id, log)
}

/// Submits jobs/<experiment>.sbatch with `args` for parahpc, waits for it and checks it
/// succeeded and that its results file records the job; returns the job's log and that file.
fn experiment_job(dir: &Path, options: &[&str], experiment: &str, args: &[&str]) -> (String, hdf5::File) {
    let out = sbatch(dir, options, &format!("{experiment}.sbatch"), args, &[], true);
    assert_job_succeeded(&out, dir);
    let id = job_id(&out);
    let log = read(&dir.join(format!("parahpc-{experiment}-{id}.out")));
    let file = hdf5::File::open(dir.join(format!("parahpc-{experiment}-{id}.h5"))).unwrap();
    assert_eq!(str_attr(&file, "slurm_job_id"), id);
    (log, file)
}

/// Checks a job's results file: the documented schema plus the SLURM root attributes.
fn check_job_file(path: &Path, ranks: usize, points: &[(u64, u64)]) -> hdf5::File {
    check_schema_with_root(path, ranks, points, &[], SLURM_ROOT)
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn amdahl_job_runs_two_ranks_under_srun_and_records_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let (id, log) = run_job(dir.path(), &["--nodes=1", "--ntasks-per-node=2"], "amdahl.sbatch", &[], "parahpc-amdahl");
    assert!(log.contains("serial fraction") && !log.contains("warning"), "{log}");
    let file = check_job_file(&dir.path().join(format!("parahpc-amdahl-{id}.h5")), 2, &[(1, 1), (2, 1)]);
    assert_eq!(str_attr(&file, "slurm_job_id"), id);
    assert_eq!(str_attr(&file, "slurm_ntasks"), "2");
    // srun bound each rank to a core of its own.
    let cpusets = strings(&file.dataset("cpusets").unwrap());
    assert_ne!(cpusets[0], cpusets[1]);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn comm_job_measures_messages_between_its_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--max-bytes", "4K", "--iters", "20", "--warmup", "2", "--repeats", "2", "--window", "4"];
    let (log, file) = experiment_job(dir.path(), &["--nodes=1", "--ntasks-per-node=2"], "comm", &args);
    assert!(log.contains("Hockney fit") && !log.contains("warning"), "{log}");
    assert_eq!(u64_attr(&file, "world_size"), 2);
    // 1, 2, 4, ..., 4096 bytes between ranks 0 and 1.
    assert_eq!(file.dataset("comm/pt2pt/bytes").unwrap().shape(), [13]);
    assert!(file.dataset("comm/collectives/op").unwrap().shape()[0] > 0);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn stream_job_measures_bandwidth_with_threads_from_cpus_per_task() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=1", "--cpus-per-task=2"];
    let (log, file) = experiment_job(dir.path(), &options, "stream", &["--bytes", "24M", "--repeats", "3"]);
    assert!(!log.contains("warning"), "{log}");
    let threads = file.dataset("stream/threads").unwrap().read_raw::<u64>().unwrap();
    assert_eq!(threads, [1, 1, 1, 1, 2, 2, 2, 2], "one rank, 1 then 2 threads, four kernels each");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn falseshare_job_pins_threads_inside_its_cores() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) =
        experiment_job(dir.path(), &["--cpus-per-task=2"], "falseshare", &["--iters", "10000", "--repeats", "2"]);
    assert_eq!(u64_attr(&file, "threads_per_rank"), 2);
    assert!(file.dataset("falseshare/layout").unwrap().shape()[0] >= 2);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn countdown_job_runs_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=2", "--cpus-per-task=1"];
    let (_, file) = experiment_job(dir.path(), &options, "countdown", &["--n", "100000", "--threads", "1"]);
    assert_eq!(file.dataset("countdown/mode").unwrap().shape(), [2], "serial and ranks");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn roofline_job_measures_its_node() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=2", "--cpus-per-task=1"];
    let args = ["--dram-bytes", "8M", "--gemm-n", "64", "--repeats", "2"];
    let (_, file) = experiment_job(dir.path(), &options, "roofline", &args);
    assert_eq!(u64_attr(&file.group("roofline").unwrap(), "validated"), 1);
    assert!(strings(&file.dataset("roofline/memory/scope").unwrap()).contains(&"node".to_string()));
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn reduce_job_sums_exactly_across_both_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=1", "--cpus-per-task=1"];
    let (_, file) = experiment_job(dir.path(), &options, "reduce", &["--n", "10000", "--repeats", "2"]);
    assert_eq!(u64_attr(&file, "nodes"), 2);
    assert_eq!(u64_attr(&file.group("reduce").unwrap(), "validated"), 1);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn bank_job_shares_one_balance_between_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=2", "--cpus-per-task=1"];
    let (_, file) = experiment_job(dir.path(), &options, "bank", &["--delay-us", "100", "--repeats", "1"]);
    let g = file.group("bank").unwrap();
    assert_eq!(u64_attr(&g, "validated"), 1);
    assert_eq!(g.dataset("workers").unwrap().read_raw::<u64>().unwrap()[6], 2, "ranks atomic ran on both tasks");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn pool_job_farms_tasks_to_its_other_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=2", "--cpus-per-task=1"];
    let (_, file) =
        experiment_job(dir.path(), &options, "pool", &["--tasks", "10000", "--chunksize", "10", "--repeats", "1"]);
    assert_eq!(u64_attr(&file.group("pool").unwrap(), "validated"), 1);
    let workers = file.dataset("pool/workers/rank").unwrap().read_raw::<u64>().unwrap();
    assert_eq!(workers, [1], "rank 0 dispatches, rank 1 works");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn gemm_job_multiplies_with_summa_over_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=2", "--cpus-per-task=1"];
    let (_, file) = experiment_job(dir.path(), &options, "gemm", &["--n", "96", "--repeats", "1"]);
    let g = file.group("gemm").unwrap();
    assert_eq!(str_attr(&g, "grid"), "1x2");
    assert_eq!(strings(&g.dataset("impl").unwrap()).last().unwrap(), "summa");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn linpack_job_solves_on_a_grid_over_both_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=1", "--cpus-per-task=1"];
    let (_, file) = experiment_job(dir.path(), &options, "linpack", &["--n", "64,96", "--nb", "16", "--repeats", "1"]);
    assert_eq!(u64_attr(&file, "nodes"), 2);
    let g = file.group("linpack").unwrap();
    assert_eq!(str_attr(&g, "grid"), "1x2");
    assert_eq!(u64_attr(&g, "validated"), 1);
    assert!(g.dataset("residual").unwrap().read_raw::<f64>().unwrap().iter().all(|r| *r < 16.0));
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn suite_job_runs_every_experiment_over_both_nodes_into_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=1", "--cpus-per-task=1"];
    // One rank of one thread per node: falseshare has no line to share, and says so.
    let out = sbatch(dir.path(), &options, "suite.sbatch", &["--budget", "30s"], &[], true);
    let id = job_id(&out);
    let file = hdf5::File::open(dir.path().join(format!("parahpc-suite-{id}.h5"))).unwrap();
    assert_eq!(str_attr(&file, "slurm_job_id"), id);
    assert_eq!(u64_attr(&file, "nodes"), 2);
    let status = strings(&file.dataset("suite/status").unwrap());
    assert_eq!(status.len(), registered_experiments().len(), "{status:?}");
    assert!(status.iter().all(|s| s != "failed"), "{status:?}");
    let (names, reasons) =
        (strings(&file.dataset("suite/experiment").unwrap()), strings(&file.dataset("suite/reason").unwrap()));
    let f = names.iter().position(|n| n == "falseshare").unwrap();
    assert_eq!(status[f], "not applicable");
    assert!(reasons[f].contains("no cache line to share between nodes"), "{}", reasons[f]);
    assert_eq!(u64_attr(&file.group("linpack").unwrap(), "validated"), 1);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn simd_job_measures_one_core() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) = experiment_job(dir.path(), &[], "simd", &["--bytes", "8K", "--repeats", "1"]);
    assert_eq!(file.dataset("simd/variant").unwrap().shape(), [18], "3 kernels × 2 types × 3 variants");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn memlat_job_measures_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) = experiment_job(dir.path(), &[], "memlat", &["--max-bytes", "256K", "--accesses", "50000"]);
    assert_eq!(file.dataset("memlat/bytes").unwrap().shape(), [7], "4 KiB to 256 KiB");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn randomaccess_job_verifies_every_scope() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--table-bytes", "1M", "--sweep-seconds", "0"];
    let (_, file) = experiment_job(dir.path(), &["--nodes=1", "--ntasks-per-node=2"], "randomaccess", &args);
    assert_eq!(strings(&file.dataset("randomaccess/scope").unwrap()), ["single", "star", "mpi"]);
    assert_eq!(file.dataset("randomaccess/errors").unwrap().read_raw::<u64>().unwrap(), [0, 0, 0]);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn topology_job_sees_srun_binding() {
    let dir = tempfile::tempdir().unwrap();
    let (log, file) = experiment_job(dir.path(), &["--nodes=1", "--ntasks-per-node=2"], "topology", &[]);
    assert!(log.contains("every rank has cores of its own"), "srun binds each rank to its own core: {log}");
    assert_eq!(file.dataset("topology/rank").unwrap().shape(), [2]);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn hybrid_job_takes_threads_from_cpus_per_task() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--nodes=1", "--ntasks-per-node=1", "--cpus-per-task=2"];
    let (id, log) = run_job(dir.path(), &options, "hybrid-amdahl.sbatch", &[], "parahpc-hybrid-amdahl");
    assert!(!log.contains("warning"), "srun must bind the rank to both CPUs: {log}");
    let file = check_job_file(&dir.path().join(format!("parahpc-hybrid-amdahl-{id}.h5")), 1, &[(1, 1), (1, 2)]);
    assert_eq!(str_attr(&file, "threads_source"), "SLURM_CPUS_PER_TASK");
    assert_eq!(u64_attr(&file, "threads_per_rank"), 2);
    assert_eq!(str_attr(&file.group("amdahl").unwrap(), "sweep"), "both");
}

/// The hosts of a results file's ranks, in rank order.
fn hosts(file: &hdf5::File) -> Vec<String> {
    strings(&file.dataset("hostnames").unwrap())
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn amdahl_job_runs_on_two_nodes_as_written() {
    let dir = tempfile::tempdir().unwrap();
    // --nodes=2 as the script says; 2 ranks per node instead of 32.
    let (id, log) = run_job(dir.path(), &["--ntasks-per-node=2"], "amdahl.sbatch", &[], "parahpc-amdahl");
    assert!(log.contains("serial fraction"), "{log}");
    let file = check_job_file(&dir.path().join(format!("parahpc-amdahl-{id}.h5")), 4, &[(1, 1), (2, 1), (4, 1)]);
    assert_eq!(str_attr(&file, "slurm_job_num_nodes"), "2");
    assert_eq!(u64_attr(&file, "nodes"), 2);
    let hosts = hosts(&file);
    assert!(hosts.contains(&"nodeb".to_string()) && hosts.iter().any(|h| h != "nodeb"), "{hosts:?}");
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn comm_job_pairs_ranks_within_and_between_nodes_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--max-bytes", "4K", "--iters", "20", "--warmup", "2", "--repeats", "2", "--window", "4"];
    // 2 nodes × 2 ranks, block distribution: rank 1 beside rank 0, rank 3 on the other node.
    let (log, file) = experiment_job(dir.path(), &[], "comm", &args);
    assert!(log.contains("inter-node"), "{log}");
    let kinds = strings(&file.dataset("comm/hockney/pair_kind").unwrap());
    assert_eq!(kinds, ["intra-node", "inter-node"]);
    assert_eq!(file.dataset("comm/hockney/dst").unwrap().read_raw::<u64>().unwrap(), [1, 3]);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn topology_job_lists_both_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let (log, file) = experiment_job(dir.path(), &["--ntasks-per-node=2"], "topology", &[]);
    assert!(log.contains("every rank has cores of its own"), "{log}");
    assert_eq!(file.dataset("topology/nodes/host").unwrap().shape(), [2]);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn hybrid_job_sweeps_ranks_and_threads_on_two_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let options = ["--ntasks-per-node=1", "--cpus-per-task=2"];
    let (id, log) = run_job(dir.path(), &options, "hybrid-amdahl.sbatch", &[], "parahpc-hybrid-amdahl");
    assert!(!log.contains("warning"), "{log}");
    let points = [(1, 1), (1, 2), (2, 1), (2, 2)];
    let file = check_job_file(&dir.path().join(format!("parahpc-hybrid-amdahl-{id}.h5")), 2, &points);
    assert_eq!(u64_attr(&file, "nodes"), 2);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn scaling_chain_runs_one_node_then_two() {
    // The 1-node job queues the 2-node one, which runs after it and queues nothing more.
    let dir = tempfile::tempdir().unwrap();
    let env = [("PARAHPC_MAX_NODES", "2"), ("PARAHPC_JOBS", concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"))];
    let (id, log) = run_job(dir.path(), &["--ntasks-per-node=2"], "scaling-array.sbatch", &env, "parahpc-scaling");
    assert!(!log.contains("could not queue"), "{log}");
    let file = check_job_file(&dir.path().join(format!("parahpc-scaling-1nodes-{id}.h5")), 2, &[(1, 1), (2, 1)]);
    assert_eq!(str_attr(&file, "slurm_job_num_nodes"), "1");
    // The 2-node job's file exists from its first checkpoint on: wait until it is complete.
    let deadline = Instant::now() + Duration::from_secs(120);
    let second = loop {
        let found = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).find(|p| {
            p.to_string_lossy().contains("parahpc-scaling-2nodes-") && p.extension().is_some_and(|x| x == "h5")
        });
        if let Some(path) = found.filter(|p| hdf5::File::open(p).is_ok_and(|f| u64_attr(&f, "incomplete") == 0)) {
            break path;
        }
        if Instant::now() > deadline {
            // What SLURM and the job said, for the log.
            let logs: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "out"))
                .map(|p| format!("{}:\n{}", p.display(), read(&p)))
                .collect();
            let queue = Command::new("squeue").args(["-a", "-o", "%i %j %T %R"]).output().map(|o| stdout(&o));
            panic!("the 2-node job of the chain never completed its file\n{}\nsqueue: {queue:?}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let file = check_job_file(&second, 4, &[(1, 1), (2, 1), (4, 1)]);
    assert_eq!(str_attr(&file, "slurm_job_num_nodes"), "2");
    assert_eq!(u64_attr(&file, "nodes"), 2);
}

#[test]
#[ignore = "needs the SLURM that scripts/test.sh starts"]
fn a_cancelled_job_leaves_a_valid_file_marked_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--kernel", "sleep", "--work", "3", "--repeats", "1"];
    let out = sbatch(dir.path(), &["--nodes=1", "--ntasks-per-node=2"], "amdahl.sbatch", &args, &[], false);
    assert_success(&out);
    let id = job_id(&out);
    let log_path = dir.path().join(format!("parahpc-amdahl-{id}.out"));

    // Once the first point is in the log, stop the job the way a time limit does: SIGTERM to its
    // steps.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log_path).is_ok_and(|l| l.contains("1 rank × 1 thread: median")) {
        assert!(Instant::now() < deadline, "the job never finished its first point");
        std::thread::sleep(Duration::from_millis(100));
    }
    let cancel = Command::new("scancel").args(["--signal=TERM", &id]).output().unwrap();
    assert_success(&cancel);

    // The job ends as failed with parahpc's status 143, still listed for MinJobAge seconds.
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let show = Command::new("scontrol").args(["show", "job", "-o", &id]).output().unwrap();
        let text = stdout(&show);
        if ["JobState=FAILED", "JobState=COMPLETED", "JobState=CANCELLED"].iter().any(|s| text.contains(s)) {
            break text;
        }
        assert!(Instant::now() < deadline, "job {id} did not end: {text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(state.contains("JobState=FAILED") && state.contains("ExitCode=143:0"), "{state}");
    let log = read(&log_path);
    assert!(log.contains("parahpc: error: stopped: SIGTERM received after 1 of 2 points"), "{log}");
    // How long the write took after the signal is the stop benchmark's number
    // (scripts/bench-stop.sh), not this test's: it depends on the machine's load.
    let rows = check_incomplete(&dir.path().join(format!("parahpc-amdahl-{id}.h5")), "SIGTERM", 2);
    assert_eq!(rows, 1);
}

#[test]
fn every_experiment_has_a_job_script_that_a_test_here_submits() {
    // Not ignored: it reads jobs/ and this file, so a new experiment fails here until it has both.
    let source = include_str!("slurm.rs");
    let jobs = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    for name in registered_experiments() {
        assert!(jobs.join(format!("{name}.sbatch")).is_file(), "no jobs/{name}.sbatch");
        let submitted = source.contains(&format!("\"{name}.sbatch\"")) || source.contains(&format!(", \"{name}\", &"));
        assert!(submitted, "no test here submits jobs/{name}.sbatch");
    }
}
