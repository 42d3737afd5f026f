//! `parahpc stream` under mpirun with 1, 2 and 4 ranks, on small arrays: every point is checked
//! against STREAM's expected values, the table holds every point and kernel, impossible sizes
//! are refused before allocating. No assertion on bandwidth.

mod common;

use common::*;

const SMALL: &[&str] = &["stream", "--bytes", "24M", "--repeats", "3", "-o", "s.h5"];

#[test]
fn stream_sweeps_threads_then_ranks_and_checks_every_point() {
    for (ranks, threads, points) in
        [(1, "2", vec![(1, 1), (1, 2)]), (2, "1", vec![(1, 1), (2, 1)]), (4, "1", vec![(1, 1), (2, 1), (4, 1)])]
    {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(ranks, &[SMALL, &["--threads", threads]].concat(), dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
        let g = file.group("stream").unwrap();
        assert_eq!(
            sorted(g.member_names().unwrap()),
            [
                "bandwidth_GBps",
                "bandwidth_per_node_GBps",
                "bandwidth_per_rank_GBps",
                "kernel",
                "nodes",
                "ranks",
                "stores",
                "stores_gain",
                "threads",
                "time_avg_s",
                "time_max_s",
                "time_min_s"
            ]
        );
        assert_eq!(u64_attr(&g, "validated"), 1);
        assert_eq!(u64_attr(&g, "elements_per_rank"), 1 << 20);
        let kernels = strings(&g.dataset("kernel").unwrap());
        assert_eq!(kernels.len(), 4 * points.len());
        assert_eq!(kernels[..4], ["copy", "scale", "add", "triad"]);
        let got: Vec<(u64, u64)> = g
            .dataset("ranks")
            .unwrap()
            .read_raw::<u64>()
            .unwrap()
            .into_iter()
            .zip(g.dataset("threads").unwrap().read_raw::<u64>().unwrap())
            .step_by(4)
            .collect();
        assert_eq!(got, points);
        let rates = g.dataset("bandwidth_GBps").unwrap().read_raw::<f64>().unwrap();
        assert!(rates.iter().all(|r| r.is_finite() && *r > 0.0), "{rates:?}");
        assert_eq!(str_attr(&g.dataset("bandwidth_GBps").unwrap(), "units"), "GB/s");
        // Each point's stores were measured: one kind for its four kernels, at this CPU's widest
        // vector, the other kind timed too (a finite gain of at least 1).
        let stores = strings(&g.dataset("stores").unwrap());
        let gains = g.dataset("stores_gain").unwrap().read_raw::<f64>().unwrap();
        for (point, chunk) in stores.chunks(4).enumerate() {
            assert!(chunk.iter().all(|s| s == &chunk[0]), "{chunk:?}");
            let (kind, bits) = chunk[0].split_once(", ").unwrap();
            assert!(["ordinary", "non-temporal"].contains(&kind), "{kind}");
            assert!(["512-bit", "256-bit", "128-bit", "64-bit"].contains(&bits), "{bits}");
            assert!(gains[4 * point].is_finite() && gains[4 * point] >= 1.0, "{gains:?}");
        }
        // The lesson's sentence follows from the file's triad rates: saturation at the first
        // point within 90 % of the best, or none when only the last point gets there.
        let triad: Vec<f64> = rates.iter().zip(&kernels).filter(|(_, k)| *k == "triad").map(|(r, _)| *r).collect();
        let best = triad.iter().copied().fold(0.0, f64::max);
        let at = triad.iter().position(|r| *r >= 0.9 * best).unwrap();
        let text = stdout(&out);
        let expected = if at == triad.len() - 1 && triad.len() > 1 {
            "Triad bandwidth still grows at the largest point".to_string()
        } else {
            format!(
                "Triad reaches 90 % of its best aggregate ({best:.2} GB/s) at {} rank(s) × {} thread(s)",
                got[at].0, got[at].1
            )
        };
        assert!(text.contains(&expected), "expected {expected:?} in:\n{text}");
    }
}

#[test]
fn forced_stores_are_used_at_every_point_and_give_the_same_answers() {
    for (kind, recorded) in [("ordinary", "ordinary, "), ("non-temporal", "non-temporal, ")] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(2, &[SMALL, &["--threads", "1", "--stores", kind]].concat(), dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("s.h5")).unwrap();
        let g = file.group("stream").unwrap();
        assert_eq!(u64_attr(&g, "validated"), 1);
        assert!(strings(&g.dataset("stores").unwrap()).iter().all(|s| s.starts_with(recorded)), "{kind}");
        assert!(g.dataset("stores_gain").unwrap().read_raw::<f64>().unwrap().iter().all(|g| g.is_nan()));
    }
}

#[test]
fn impossible_sizes_are_refused_before_allocating() {
    for (args, expected) in [
        (&["stream", "--bytes", "64T"][..], "stream needs"),
        (&["stream", "--bytes", "8"][..], "fewer than one element per thread"),
        (&["stream", "--repeats", "1"][..], "must be at least 2"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(2, args, dir.path());
        assert_fails(&out, 2, expected);
        assert_no_files(dir.path());
    }
}

#[test]
fn a_damaged_array_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(2, SMALL, dir.path(), "corrupt-array");
    assert_fails(&out, 1, "parahpc: error: validation failed on rank 0 (1 ranks × 1 threads): array c");
    assert_no_files(dir.path());
}
