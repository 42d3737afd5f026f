//! `parahpc memlat` under mpirun with 1 and 2 ranks, on small working sets: every chase ends
//! where it started, one node measures once, plateaus are recorded, bad sizes are refused. No
//! assertion on latencies.

mod common;

use common::*;

const SMALL: &[&str] = &["memlat", "--max-bytes", "1M", "--accesses", "100000", "--repeats", "2", "-o", "m.h5"];

#[test]
fn one_rank_per_node_measures_every_size() {
    for ranks in [1, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let out = mpirun(ranks, SMALL, dir.path());
        assert_success(&out);
        let file = hdf5::File::open(dir.path().join("m.h5")).unwrap();
        let g = file.group("memlat").unwrap();
        assert_eq!(
            sorted(g.member_names().unwrap()),
            ["bytes", "host", "latency_ns_median", "latency_ns_min", "plateaus"]
        );
        // 4 KiB, 8 KiB, ..., 1 MiB, for the one node.
        assert_eq!(
            g.dataset("bytes").unwrap().read_raw::<u64>().unwrap(),
            (12..=20).map(|k| 1u64 << k).collect::<Vec<_>>()
        );
        let ns = g.dataset("latency_ns_min").unwrap().read_raw::<f64>().unwrap();
        assert!(ns.iter().all(|x| x.is_finite() && *x > 0.0), "{ns:?}");
        assert_eq!(str_attr(&g.dataset("latency_ns_min").unwrap(), "units"), "ns");
        assert_eq!(u64_attr(&g, "validated"), 1);
        let plateaus = file.group("memlat/plateaus").unwrap();
        let first = plateaus.dataset("first_bytes").unwrap().read_raw::<u64>().unwrap();
        let last = plateaus.dataset("last_bytes").unwrap().read_raw::<u64>().unwrap();
        let median = plateaus.dataset("latency_ns").unwrap().read_raw::<f64>().unwrap();
        let sizes = g.dataset("bytes").unwrap().read_raw::<u64>().unwrap();
        // Each plateau, recomputed from the curve in the file: two sizes or more, within 30 % of
        // its lowest latency, its median as recorded, and plateaus in order without overlap.
        for i in 0..first.len() {
            assert!(first[i] < last[i], "a plateau spans two sizes or more: {first:?} {last:?}");
            assert!(i == 0 || last[i - 1] < first[i], "{first:?} {last:?}");
            let mut on: Vec<f64> =
                (0..sizes.len()).filter(|&k| sizes[k] >= first[i] && sizes[k] <= last[i]).map(|k| ns[k]).collect();
            on.sort_by(f64::total_cmp);
            assert!(on[on.len() - 1] <= 1.3 * on[0], "plateau {i}: {on:?}");
            assert_eq!(median[i], on[on.len() / 2]);
            let line = format!("plateau {} to ", human_bytes(first[i]));
            assert!(stdout(&out).contains(&line), "{line:?} in {}", stdout(&out));
        }
    }
}

#[test]
fn a_broken_chain_fails_the_run_and_bad_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = mpirun_with_fault(1, SMALL, dir.path(), "break-cycle");
    assert_fails(&out, 1, "parahpc: error: validation failed on host");
    assert_no_files(dir.path());

    for (args, expected) in [
        (&["memlat", "--max-bytes", "1K"][..], "below the smallest working set"),
        (&["memlat", "--max-bytes", "64T"][..], "memlat needs"),
    ] {
        let out = mpirun(1, args, dir.path());
        assert_fails(&out, 2, expected);
    }
    assert_no_files(dir.path());
}

/// Bytes as the console prints them: 4 KiB, 512 KiB, 1 MiB.
fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{} MiB", b >> 20)
    } else {
        format!("{} KiB", b >> 10)
    }
}
