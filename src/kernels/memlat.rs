//! Memory latency by working-set size: a dependent pointer chase through one random cycle over
//! cache-line-sized nodes, so neither prefetchers nor out-of-order execution can hide a miss.

use super::mix;
use std::time::Instant;

/// One cache line holding the index of the next line to visit.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Node {
    next: usize,
    _pad: [usize; 7],
}

/// A single random cycle through `n` nodes (Sattolo's algorithm), seeded reproducibly.
pub fn cycle(n: usize, seed: u64) -> Vec<Node> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    for i in (1..n).rev() {
        state = mix(state);
        let j = (state % i as u64) as usize; // j < i: one cycle, never a fixed point
        order.swap(i, j);
    }
    let mut nodes = vec![Node { next: 0, _pad: [0; 7] }; n];
    for k in 0..n {
        nodes[order[k]].next = order[(k + 1) % n];
    }
    nodes
}

/// Test hook: makes the second node of the cycle point at itself, so a chase gets stuck there.
pub fn break_cycle(nodes: &mut [Node]) {
    let second = nodes[0].next;
    nodes[second].next = second;
}

/// Follows `steps` links from node 0; returns where it ended and the nanoseconds per step, or
/// `None` if `abandon` said to stop on the way.
pub fn chase(nodes: &[Node], steps: usize, abandon: &dyn Fn() -> bool) -> Option<(usize, f64)> {
    let start = Instant::now();
    let mut i = 0;
    let mut left = steps;
    while left > 0 {
        // A look at `abandon` every 64 Ki loads: a few ms even from DRAM, nothing against them.
        if abandon() {
            return None;
        }
        let burst = left.min(1 << 16);
        for _ in 0..burst {
            i = nodes[i].next;
        }
        left -= burst;
    }
    let elapsed = start.elapsed().as_secs_f64();
    Some((std::hint::black_box(i), elapsed / steps as f64 * 1e9))
}

/// Latency plateaus of `(bytes, ns)` points sorted by size: maximal runs of at least two
/// consecutive sizes whose latencies all lie within a factor `spread` (e.g. 1.3) of the run's
/// lowest. A point in no such run is a transition: the rise from one level to the next is often
/// spread over several sizes (the working set outgrows a cache gradually, and a hypervisor's
/// or a shared cache's share varies), and a lone point is noise or a slope, not a level. Each
/// plateau is (first size, last size, median ns). The step after plateau i lies between its last
/// size and the next plateau's first: a cache whose size falls there is the one outgrown.
pub fn plateaus(points: &[(u64, f64)], spread: f64) -> Vec<(u64, u64, f64)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < points.len() {
        let mut end = start + 1;
        let mut low = points[start].1;
        while end < points.len() {
            let candidate = low.min(points[end].1);
            let high = points[start..=end].iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            // NaN (a chase a stop cut short) ends the run too.
            if high.partial_cmp(&(candidate * spread)).is_none_or(|o| o == std::cmp::Ordering::Greater) {
                break;
            }
            low = candidate;
            end += 1;
        }
        if end - start >= 2 {
            let mut ns: Vec<f64> = points[start..end].iter().map(|p| p.1).collect();
            ns.sort_by(f64::total_cmp);
            out.push((points[start].0, points[end - 1].0, ns[ns.len() / 2]));
            start = end;
        } else {
            start += 1;
        }
    }
    out
}

/// Latency at which a plateau is DRAM's, not a cache's: DRAM answers in 60 to 150 ns on current
/// machines (more once the TLB misses too), caches in under 50 (a large server L3 in 30 to 45).
/// Where a plateau ends does not tell: past DRAM's, latency keeps rising as page walks miss too.
pub const DRAM_LATENCY_NS: f64 = 50.0;

/// The cache levels a latency sweep shows, nearest first, as (largest working set still on the
/// plateau, its median latency in ns): the plateaus faster than `DRAM_LATENCY_NS`.
pub fn cache_levels(found: &[(u64, u64, f64)]) -> Vec<(u64, f64)> {
    found.iter().filter(|p| p.2 < DRAM_LATENCY_NS).map(|&(_, last, ns)| (last, ns)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chase_visits_every_node_once_per_lap() {
        for n in [1, 2, 3, 1000] {
            let nodes = cycle(n, 7);
            let mut seen = vec![false; n];
            let mut i = 0;
            for _ in 0..n {
                assert!(!seen[i], "node {i} visited twice in one lap of {n}");
                seen[i] = true;
                i = nodes[i].next;
            }
            assert_eq!(i, 0, "back at the start after a lap");
            assert_eq!(chase(&nodes, 3 * n, &|| false).unwrap().0, 0);
        }
        let mut broken = cycle(100, 7);
        break_cycle(&mut broken);
        assert_ne!(chase(&broken, 100, &|| false).unwrap().0, 0);
        assert!(chase(&broken, 100, &|| true).is_none());
        assert_eq!(std::mem::size_of::<Node>(), 64);
    }

    #[test]
    fn plateaus_are_runs_of_several_sizes_and_slopes_are_transitions() {
        let pts = [(4096, 1.0), (8192, 1.05), (65536, 4.0), (131072, 4.2), (1 << 30, 90.0)];
        // The lone last point is no plateau: the curve has not levelled off there.
        assert_eq!(plateaus(&pts, 1.3), [(4096, 8192, 1.05), (65536, 131072, 4.2)]);
        assert!(plateaus(&[], 1.3).is_empty());
        // The Xeon VM's curve (issue 31): L1, L2 to 1 MiB, a slope from 2 to 16 MiB, DRAM.
        let mib = 1 << 20;
        let xeon = [
            (16 << 10, 1.6),
            (32 << 10, 1.6),
            (64 << 10, 5.8),
            (256 << 10, 5.9),
            (mib, 5.9),
            (2 * mib, 21.2),
            (4 * mib, 40.0),
            (8 * mib, 61.0),
            (16 * mib, 82.0),
            (32 * mib, 95.0),
            (64 * mib, 99.0),
            (128 * mib, 101.0),
        ];
        let found = plateaus(&xeon, 1.3);
        assert_eq!(cache_levels(&found), [(32 << 10, 1.6), (mib, 5.9)], "the 82-101 ns plateau is DRAM's");
        // A sweep that stops inside the caches still names them: their latency says what they are.
        assert_eq!(cache_levels(&plateaus(&xeon[..5], 1.3)), [(32 << 10, 1.6), (mib, 5.9)]);
        // Noise of ±10 % inside a level does not split it; a drift beyond 30 % does.
        let noisy = [(1, 10.0), (2, 11.0), (3, 9.5), (4, 10.4), (5, 13.0), (6, 14.0)];
        assert_eq!(plateaus(&noisy, 1.3).iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), [(1, 4), (5, 6)]);
    }
}
