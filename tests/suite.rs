//! `parahpc suite` under 1, 2 and 4 ranks with a small budget: one file with every experiment's
//! group (the same schema as their own runs) and /suite saying what became of each, with its
//! time; what does not apply is recorded with its reason and fails nothing; a stop signal
//! keeps the experiments completed; options passed to one experiment replace its sizes.

mod common;

use common::*;

fn suite_rows(file: &hdf5::File) -> (Vec<String>, Vec<String>, Vec<String>) {
    let g = file.group("suite").unwrap();
    (
        strings(&g.dataset("experiment").unwrap()),
        strings(&g.dataset("status").unwrap()),
        strings(&g.dataset("reason").unwrap()),
    )
}

#[test]
fn one_launch_runs_every_experiment_into_one_file_within_its_budget() {
    for ranks in [1, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        // 25 s: CI runs this six times (three rank counts, two MPIs); the sizes follow the budget.
        let out = mpirun(ranks, &["suite", "--budget", "25s", "--threads", "1", "-q", "-o", "s.h5"], dir.path());
        let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
        assert_eq!(u64_attr(&file, "incomplete"), 0);
        let (experiment, status, reason) = suite_rows(&file);
        assert_eq!(experiment, registered_experiments(), "{ranks} ranks");
        // One rank of one thread: comm needs two ranks, amdahl two workers, falseshare two workers
        // on a node. With 2 or 4 ranks every lesson applies (falseshare between the ranks).
        for (i, name) in experiment.iter().enumerate() {
            let cannot = ranks == 1 && ["comm", "amdahl", "falseshare"].contains(&name.as_str());
            if cannot {
                assert_eq!(status[i], "not applicable", "{ranks} ranks: {name}");
                assert!(reason[i].contains("needs"), "{ranks} ranks: {name}: {}", reason[i]);
                assert!(file.group(name).is_err(), "{ranks} ranks: {name} ran");
            } else {
                assert!(
                    ["complete", "incomplete"].contains(&status[i].as_str()),
                    "{ranks} ranks: {name}: {} {}",
                    status[i],
                    reason[i]
                );
                // Complete, or cut at its share with what it measured so far: at least its first
                // point, however busy the machine (the deadline waits for it).
                assert!(file.group(name).is_ok(), "{ranks} ranks: no /{name}: {} {}", status[i], reason[i]);
                assert!(!reason[i].contains("after 0 of"), "{ranks} ranks: {name}: {}", reason[i]);
                if status[i] == "incomplete" {
                    assert!(
                        reason[i].starts_with("cut at the end of its share of the suite's budget"),
                        "{}",
                        reason[i]
                    );
                }
            }
        }
        // Not applicable is no failure: the suite exits 0.
        assert_success(&out);
        // The same groups as the experiments' own files: their own checks passed.
        for name in ["gemm", "linpack"] {
            assert_eq!(u64_attr(&file.group(name).unwrap(), "validated"), 1, "{ranks} ranks: {name}");
        }
        assert_eq!(str_attr(&file.group("gemm").unwrap(), "grid"), ["", "", "1x2", "", "2x2"][ranks]);
        // Every experiment's time is recorded; the budget itself is a benchmark's goal
        // (docs/suite.md: 107 s for a 3-minute budget on 2 ranks), not a test's.
        let times = file.dataset("suite/time_s").unwrap().read_raw::<f64>().unwrap();
        assert!(times.iter().all(|t| t.is_finite() && *t >= 0.0), "{times:?}");
        assert_eq!(f64_attr(&file.group("suite").unwrap(), "budget_s"), 25.0);
        // The network was measured first (with one rank there is none); on one node it is fast
        // enough that comm keeps OSU's counts.
        let allreduce = f64_attr(&file.group("suite").unwrap(), "network_allreduce_s");
        assert!(if ranks == 1 { allreduce == 0.0 } else { allreduce > 0.0 && allreduce < 1.0 }, "{allreduce}");
    }
}

#[test]
fn options_for_one_experiment_replace_its_sizes_and_are_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let skip = skip_all_but(&["gemm"]);
    let args =
        ["suite", "--budget", "20s", "--threads", "2", "--skip", &skip, "--gemm", "--n 96 --impl blas --repeats 1"];
    let out = mpirun(1, &[&args[..], &["-q", "-o", "s.h5"]].concat(), dir.path());
    assert_success(&out);
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    let (experiment, status, _) = suite_rows(&file);
    assert_eq!(experiment, ["topology", "gemm"]);
    assert_eq!(status, ["complete", "complete"]);
    let arguments = strings(&file.dataset("suite/arguments").unwrap());
    assert!(arguments[1].starts_with("--n 96 --impl blas"), "{arguments:?}");
    assert_eq!(file.dataset("gemm/n").unwrap().read_raw::<u64>().unwrap(), [96, 96]);

    let bad = mpirun(1, &["suite", "--gemm", "--n zero", "-o", "b.h5"], dir.path());
    assert_fails(&bad, 2, "--gemm \"--n zero\"");
    let unknown = mpirun(1, &["suite", "--skip", "tea", "-o", "b.h5"], dir.path());
    assert_fails(&unknown, 2, "'tea' is not an experiment");
    assert!(!dir.path().join("b.h5").exists());
}

/// A small suite file in `dir` on 2 ranks: amdahl, comm, stream and memlat (four figures) and
/// the node's facts, measured for real.
fn small_suite(dir: &std::path::Path, out: &str) {
    let skip = skip_all_but(&["amdahl", "comm", "stream", "memlat"]);
    // Sizes that finish well inside their shares, however busy the machine.
    let (stream, memlat) = ("--bytes 16M --repeats 3", "--max-bytes 4M --accesses 100000");
    let (amdahl, comm) = ("--kernel sleep --work 0.2 --repeats 1", "--max-bytes 4K --iters 20 --warmup 2 --repeats 1");
    let args = ["suite", "--budget", "60s", "--threads", "1", "--skip", &skip, "--stream", stream, "--memlat", memlat];
    let args = [&args[..], &["--amdahl", amdahl, "--comm", comm, "-q", "-o", out]].concat();
    assert_success(&mpirun(2, &args, dir));
}

fn report(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_parahpc"))
        .arg("report")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn a_suite_reports_its_machine_card_and_two_files_go_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    small_suite(dir.path(), "a.h5");
    small_suite(dir.path(), "b.h5");
    assert_success(&report(dir.path(), &["a.h5", "-o", "one"]));
    let md = std::fs::read_to_string(dir.path().join("one/report.md")).unwrap();
    let card = md.find("## Machine card").expect("a card");
    // First thing after the runs, before any experiment's section.
    let end = md.find("## amdahl").unwrap();
    assert!(card < end && end < md.find("## topology").unwrap() && end < md.find("## stream").unwrap(), "{md}");
    let card = &md[card..end];
    // The machine once, at the top: its CPU as the file records it, cores and caches.
    let file = hdf5::File::open(dir.path().join("a.h5")).unwrap();
    let cpu = str_attr(&file, "cpu_model");
    assert!(card.contains(&format!("{cpu} · ")) && card.contains(" cores · "), "{card}");
    // A small figure per experiment that draws one, and each headline once, with the lesson and
    // what this machine shows, said from its own figure.
    assert_eq!(card.matches("<img src=").count(), 4, "{card}");
    for (figure, shown) in [
        ("STREAM best, one node", "Here the node's best is "),
        ("latency, largest working set", "Here the largest working set waits "),
        ("MPI latency α, intra-node", "Here a message costs "),
        ("Amdahl serial fraction (sleep)", "Here f = "),
    ] {
        assert_eq!(card.matches(&format!("- {figure}: ")).count(), 1, "{figure}:\n{card}");
        let line = card.lines().find(|l| l.starts_with(&format!("- {figure}: "))).unwrap();
        let value = line.split(": ").nth(1).unwrap().split(' ').next().unwrap().trim_end_matches('.');
        assert!(line.contains(&format!("{shown}{value}")), "{line}");
    }
    assert!(!card.contains("The machine every other figure is measured on"), "{card}");
    let png = std::fs::read(dir.path().join("one/card.png")).unwrap();
    assert_eq!(png_size(&png), (720, 900));
    assert!(std::fs::read_to_string(dir.path().join("one/card.svg")).unwrap().contains("Machine card"));
    assert!(std::fs::read_to_string(dir.path().join("one/report.html")).unwrap().contains("<div class=\"tiles\">"));

    assert_success(&report(dir.path(), &["a.h5", "b.h5", "-o", "two"]));
    let md = std::fs::read_to_string(dir.path().join("two/report.md")).unwrap();
    assert!(md.contains("## Side by side") && md.contains("| figure | unit | a | b | b / a |"), "{md}");
    let row = md.lines().find(|l| l.starts_with("| STREAM best, one node |")).expect("a STREAM row");
    assert_eq!(row.matches('|').count(), 6, "{row}");
}

#[test]
fn a_figure_behind_the_reference_fails_the_check_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    small_suite(dir.path(), "today.h5");
    // Within tolerance of itself.
    let same = report(dir.path(), &["today.h5", "--reference", "today.h5", "-o", "same"]);
    assert_success(&same);
    // A reference whose node had twice the bandwidth.
    std::fs::copy(dir.path().join("today.h5"), dir.path().join("better.h5")).unwrap();
    {
        let file = hdf5::File::open_rw(dir.path().join("better.h5")).unwrap();
        let ds = file.dataset("stream/bandwidth_per_node_GBps").unwrap();
        let doubled: Vec<f64> = ds.read_raw::<f64>().unwrap().iter().map(|x| 2.0 * x).collect();
        ds.write_raw(&doubled).unwrap();
    }
    let out = report(dir.path(), &["today.h5", "--reference", "better.h5", "--tolerance", "10%", "-o", "check"]);
    assert_fails(&out, 1, "1 figure(s) fell behind the reference by more than 10 %: today: STREAM best, one node");
    // The report is written all the same, and says it.
    let md = std::fs::read_to_string(dir.path().join("check/report.md")).unwrap();
    assert!(md.contains("## Against the reference") && md.contains("| today | STREAM best, one node |"), "{md}");
    assert_fails(&report(dir.path(), &["today.h5", "--tolerance", "150%", "-o", "x"]), 2, "below 100 %");
}

#[test]
fn a_stop_signal_keeps_the_experiments_completed_and_resume_runs_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher(2, &[]);
    cmd.args(["suite", "--budget", "2m", "--threads", "1", "-o", "s.h5"]);
    let mut run = Running::start(&mut cmd, dir.path());
    // Past amdahl and comm, during stream or later.
    let planned = registered_experiments().len();
    run.wait_for(&format!("3 of {planned}: topology"));
    run.wait_for(&format!("4 of {planned}: stream"));
    run.signal(libc::SIGTERM);
    let (code, log, _) = run.finish();
    if !mpich() {
        assert_ne!(code, Some(0), "{log}");
    }
    assert!(log.contains("stopped: SIGTERM received during "), "{log}");
    let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
    assert_eq!(u64_attr(&file, "incomplete"), 1);
    let (experiment, status, reason) = suite_rows(&file);
    assert!(experiment.len() >= 4 && experiment.len() < planned, "{experiment:?}");
    assert_eq!(&experiment[..3], ["amdahl", "comm", "topology"]);
    // Each ended before the signal: complete, or, on a loaded machine, cut at the end of its own
    // share of the budget (its points kept all the same; resume runs it again).
    for i in 0..3 {
        let cut = status[i] == "incomplete" && reason[i].contains("the end of its share of the suite's budget");
        assert!(status[i] == "complete" || cut, "{}: {} ({})", experiment[i], status[i], reason[i]);
        assert!(file.group(&experiment[i]).is_ok(), "/{} lost", experiment[i]);
    }
    // topology takes no time at any load: at least it is kept by the resume below.
    assert_eq!(status[2], "complete");
    let kept: Vec<usize> = (0..3).filter(|&i| status[i] == "complete").collect();

    // Resumed: what completed is kept as it was written, the rest runs.
    let args = ["suite", "--budget", "25s", "--threads", "1", "--skip", "falseshare", "--resume", "s.h5", "-q"];
    let out = mpirun(2, &[&args[..], &["-o", "r.h5"]].concat(), dir.path());
    assert_success(&out);
    assert!(stderr(&out).contains("resuming s.h5: "), "{}", stderr(&out));
    let resumed = hdf5::File::open(dir.path().join("r.h5")).unwrap();
    assert_eq!(u64_attr(&resumed, "incomplete"), 0);
    let (names, status, _) = suite_rows(&resumed);
    assert_eq!(names.len(), planned - 1, "all but falseshare");
    assert!(status.iter().all(|s| s != "failed"), "{status:?}");
    let times = |f: &hdf5::File| f.dataset("suite/time_s").unwrap().read_raw::<f64>().unwrap();
    let (old_times, new_times) = (times(&file), times(&resumed));
    for &i in &kept {
        assert_eq!(new_times[i], old_times[i], "{}: the kept rows are the stopped run's", experiment[i]);
    }
    // Bit for bit (NaN marks the points a rank sat out), with the types as written.
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    let paths = [
        ("amdahl", "amdahl/time_median_s"),
        ("amdahl", "amdahl/per_rank/parallel_phase_median_s"),
        ("comm", "comm/pt2pt/latency_us_min"),
    ];
    for (_, path) in paths.iter().filter(|(e, _)| kept.iter().any(|&i| experiment[i] == *e)) {
        let values = |f: &hdf5::File| bits(f.dataset(path).unwrap().read_raw::<f64>().unwrap());
        assert_eq!(values(&resumed), values(&file), "{path}");
    }
    let cores = |f: &hdf5::File| f.dataset("topology/nodes/cores").unwrap().read_raw::<u64>().unwrap();
    assert_eq!(cores(&resumed), cores(&file));
    if kept.contains(&0) {
        let ranks = |f: &hdf5::File| f.dataset("amdahl/ranks").unwrap().read_raw::<u64>().unwrap();
        assert_eq!(ranks(&resumed), ranks(&file));
        assert_eq!(resumed.dataset("amdahl/per_rank/parallel_phase_median_s").unwrap().shape(), [2, 2]);
    }
    let other = mpirun(1, &["suite", "--resume", "s.h5", "-o", "x.h5"], dir.path());
    assert_fails(&other, 2, "its suite ran on 2 ranks, this one has 1");
}
