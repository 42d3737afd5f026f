//! `parahpc report` on results files made by small real runs: the figures are valid PNG and SVG
//! of the documented size that say what they show, the reports name every run and experiment,
//! and bad input files are refused with one line that names the file, leaving nothing behind.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn report(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parahpc"))
        .arg("report")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A strong and a weak amdahl run on 2 ranks, as results files in `dir`.
fn two_runs(dir: &Path) -> (PathBuf, PathBuf) {
    let small = ["--kernel", "sleep", "--threads", "1", "--work", "0.2", "--repeats", "1"];
    let strong = [&["amdahl", "-o", "strong.h5"][..], &small].concat();
    let weak = [&["amdahl", "--weak", "-o", "weak.h5"][..], &small].concat();
    assert_success(&mpirun(2, &strong, dir));
    assert_success(&mpirun(2, &weak, dir));
    (dir.join("strong.h5"), dir.join("weak.h5"))
}

#[test]
fn report_compares_runs_in_figures_and_words() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path());
    let out = report(&["strong.h5", "weak.h5", "-o", "rep"], dir.path());
    assert_success(&out);
    let rep = dir.path().join("rep");

    let png = std::fs::read(rep.join("amdahl.png")).unwrap();
    assert_eq!(png_size(&png), (1000, 800));
    assert!(png.len() > 20_000, "a PNG of {} bytes is too small to hold the plot", png.len());
    let svg = std::fs::read_to_string(rep.join("amdahl.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("width=\"1000\"") && svg.contains("height=\"800\""));
    for text in [
        "Speedup: measured, fitted law, ideal and ceiling",
        "strong: measured",
        "weak: Gustafson",
        "speedup",
        "Karp–Flatt",
    ] {
        assert!(svg.contains(text), "the SVG lacks {text:?}");
    }

    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    for text in [
        "# parahpc report",
        "## Runs",
        "| strong | ",
        "| weak | ",
        "## amdahl",
        "![",
        "(amdahl.svg)",
        "strong: strong scaling",
        "weak: weak scaling",
        "Lesson:",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("<h2>amdahl: Amdahl's law, measured</h2>"), "{html}");
    assert!(html.contains("<svg"), "report.html embeds the SVG");
    // Exactly the report's files: no temporary ones.
    let mut names: Vec<String> =
        std::fs::read_dir(&rep).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["amdahl.png", "amdahl.svg", "report.html", "report.md"]);

    // An existing report is kept unless --force.
    let again = report(&["strong.h5", "-o", "rep"], dir.path());
    assert_fails(&again, 2, "already holds a report; pass --force");
    assert_success(&report(&["strong.h5", "-o", "rep", "--force"], dir.path()));
    assert!(!std::fs::read_to_string(rep.join("report.md")).unwrap().contains("| weak |"));
}

#[test]
fn comm_results_get_their_figure_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "comm",
        "--max-bytes",
        "4K",
        "--iters",
        "20",
        "--warmup",
        "2",
        "--repeats",
        "2",
        "--window",
        "4",
        "--all-pairs",
        "-o",
        "c.h5",
    ];
    assert_success(&mpirun(3, &args, dir.path()));
    let out = report(&["c.h5", "-o", "rep"], dir.path());
    assert_success(&out);
    let rep = dir.path().join("rep");
    let png = std::fs::read(rep.join("comm.png")).unwrap();
    assert_eq!(png_size(&png), (1200, 1000));
    assert!(png.len() > 20_000, "a PNG of {} bytes is too small to hold four panels", png.len());
    let svg = std::fs::read_to_string(rep.join("comm.svg")).unwrap();
    for text in [
        "Ping-pong latency (dashed: Hockney fit)",
        "c: 0–1 intra-node",
        "c: 0–2 intra-node: fit",
        "allreduce",
        "c: latency between ranks",
        "1 KiB",
    ] {
        assert!(svg.contains(text), "the SVG lacks {text:?}");
    }
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    for text in [
        "## comm: what a message costs",
        "(comm.svg)",
        "c: 3 ranks on 1 host(s).",
        "Hockney α =",
        "n½ =",
        "Lesson: every message pays the latency",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
    // Microseconds are written one way, µs, in words as in the figures.
    assert!(md.contains(" µs") && ![" us ", " us;", " us,", " us."].iter().any(|u| md.contains(u)), "{md}");
    assert!(!md.contains("## amdahl"), "experiments not in the file are skipped");
}

#[test]
fn memory_experiments_get_their_figures() {
    let dir = tempfile::tempdir().unwrap();
    assert_success(&mpirun(1, &["memlat", "--max-bytes", "256K", "--accesses", "50000", "-o", "m.h5"], dir.path()));
    assert_success(&mpirun(2, &["stream", "--bytes", "24M", "--repeats", "2", "-o", "s.h5"], dir.path()));
    assert_success(&mpirun(2, &["topology", "-o", "t.h5"], dir.path()));
    assert_success(&report(&["m.h5", "s.h5", "t.h5", "-o", "rep"], dir.path()));
    let rep = dir.path().join("rep");
    for stem in ["memlat", "stream"] {
        let png = std::fs::read(rep.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), (1000, 800), "{stem}");
        assert!(png.len() > 10_000, "{stem}: a PNG of {} bytes is too small", png.len());
    }
    assert!(std::fs::read_to_string(rep.join("memlat.svg")).unwrap().contains("L1 = "));
    assert!(std::fs::read_to_string(rep.join("stream.svg")).unwrap().contains("triad"));
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    for text in [
        "## memlat: memory is far away",
        "m: plateaus 4 KiB to",
        "## stream: the memory wall",
        "s: 24 MiB of arrays per rank",
        "## topology:",
        "| t | ",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
}

#[test]
fn numerics_and_concurrency_experiments_get_their_sections() {
    let dir = tempfile::tempdir().unwrap();
    assert_success(&mpirun(2, &["gemm", "--n", "64,128", "--dist", "--repeats", "1", "-o", "g.h5"], dir.path()));
    assert_success(&mpirun(1, &["simd", "--bytes", "8K", "--repeats", "1", "-o", "v.h5"], dir.path()));
    assert_success(&mpirun(2, &["bank", "--delay-us", "100", "--repeats", "1", "-o", "b.h5"], dir.path()));
    assert_success(&mpirun(2, &["pool", "--tasks", "1000", "--repeats", "1", "-o", "p.h5"], dir.path()));
    assert_success(&mpirun(2, &["reduce", "--n", "3000", "--repeats", "2", "-o", "r.h5"], dir.path()));
    assert_success(&report(&["g.h5", "v.h5", "b.h5", "p.h5", "r.h5", "-o", "rep"], dir.path()));
    let rep = dir.path().join("rep");
    assert_eq!(png_size(&std::fs::read(rep.join("gemm.png")).unwrap()), (1000, 800));
    let svg = std::fs::read_to_string(rep.join("gemm.svg")).unwrap();
    for text in ["blas ×1 ranks ×1 threads", "summa ×2 ranks ×1 threads", "peak of one core"] {
        assert!(svg.contains(text), "gemm.svg lacks {text:?}");
    }
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    for text in [
        "## gemm: BLAS against hand-written loops",
        "| g | summa | 128 | 2 |",
        "## simd: the parallelism inside one core",
        "| v | dot | f64 | 8 KiB |",
        "## bank: races and locks",
        "| b | ranks shared-locked | 2 | 10001 | 10001 | 0 |",
        "## pool: a task farm",
        "| p | square | 1000 |",
        // A count of results reads as a count.
        "| r | reproducible | 1 |",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
}

#[test]
fn bad_input_files_are_named_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (strong, _) = two_runs(dir.path());
    std::fs::write(dir.path().join("notes.h5"), "not results\n").unwrap();
    let whole = std::fs::read(&strong).unwrap();
    std::fs::write(dir.path().join("truncated.h5"), &whole[..whole.len() / 3]).unwrap();
    std::fs::copy(&strong, dir.path().join("nocolumn.h5")).unwrap();
    hdf5::File::open_rw(dir.path().join("nocolumn.h5")).unwrap().unlink("amdahl/speedup").unwrap();

    for (file, expected) in [
        ("missing.h5", "missing.h5: No such file"),
        ("notes.h5", "notes.h5: not an HDF5 file"),
        ("truncated.h5", "truncated.h5: unreadable HDF5, truncated or corrupt"),
        ("nocolumn.h5", "nocolumn.h5: /amdahl lacks column 'speedup'"),
    ] {
        let out = report(&["strong.h5", file, "-o", "rep"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{file}: one line, no HDF5 error stack:\n{err}");
        assert!(err.starts_with("parahpc: error: ") && err.contains(expected), "{file}: {err}");
        assert!(!dir.path().join("rep").exists(), "{file} left a report directory behind");
    }
}

#[test]
fn under_mpirun_one_rank_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path());
    let out = mpirun(3, &["report", "strong.h5", "weak.h5", "-o", "rep"], dir.path());
    assert_success(&out);
    assert_eq!(stderr(&out).matches("parahpc: wrote").count(), 1, "{}", stderr(&out));
    assert!(dir.path().join("rep/report.md").exists());
}
