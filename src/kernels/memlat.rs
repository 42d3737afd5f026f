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

/// Latency plateaus: splits `(bytes, ns)` points, sorted by size, where latency jumps by more
/// than `jump` (e.g. 1.3 = 30 %) from one size to the next. Each plateau is (first size, last
/// size, median ns).
pub fn plateaus(points: &[(u64, f64)], jump: f64) -> Vec<(u64, u64, f64)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=points.len() {
        if i == points.len() || points[i].1 > points[i - 1].1 * jump {
            let mut ns: Vec<f64> = points[start..i].iter().map(|p| p.1).collect();
            ns.sort_by(f64::total_cmp);
            out.push((points[start].0, points[i - 1].0, ns[ns.len() / 2]));
            start = i;
        }
    }
    out
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
    fn plateaus_split_at_jumps() {
        let pts = [(4096, 1.0), (8192, 1.05), (65536, 4.0), (131072, 4.2), (1 << 30, 90.0)];
        assert_eq!(plateaus(&pts, 1.3), [(4096, 8192, 1.05), (65536, 131072, 4.2), (1 << 30, 1 << 30, 90.0)]);
        assert!(plateaus(&[], 1.3).is_empty());
    }
}
