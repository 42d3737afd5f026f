//! HPCC's RandomAccess (GUPS): updates T[r & (N − 1)] ^= r of a table of N 64-bit words, N a
//! power of two, r the successive values of HPCC's 64-bit shift register (x ↦ x·2 mod
//! x^64 + x^2 + x + 1, `POLY` = 7) from 1. XOR makes every update its own inverse, so running
//! the same updates again restores the table: that is the verification, as HPCC's.
//!
//! The local kernel runs `LANES` independent streams side by side (HPCC's core_single_cpu),
//! so that many updates miss the caches at once; `Method::Prefetch` first advances every lane
//! and asks for its table line, then updates them, so that the misses of a whole round overlap.
//! Which is faster depends on the CPU's miss handling: the experiment times both.

/// HPCC's feedback polynomial: x^64 = x^2 + x + 1.
pub const POLY: u64 = 7;
/// The shift register's period (HPCC's PERIOD).
pub const PERIOD: u64 = 1_317_624_576_693_539_401;
/// Independent streams the local kernel interleaves (HPCC's 128).
pub const LANES: usize = 128;
/// HPCC's look-ahead rule: a process may hold at most this many updates before sending them.
pub const MAX_LOOKAHEAD: usize = 1024;

/// The register's next value.
#[inline(always)]
pub fn next(r: u64) -> u64 {
    (r << 1) ^ if (r as i64) < 0 { POLY } else { 0 }
}

/// a·b in GF(2)[x] modulo x^64 + x^2 + x + 1: b's bits from the top, doubling as `next` does.
fn times(a: u64, b: u64) -> u64 {
    (0..64).rev().fold(0, |acc, bit| next(acc) ^ if (b >> bit) & 1 == 1 { a } else { 0 })
}

/// The register after `n` steps from 1 (HPCC_starts): x^n by squaring and multiplying, so every
/// rank starts its own part of the stream without running the parts before it.
pub fn starts(n: u64) -> u64 {
    let (mut result, mut square, mut n) = (1u64, 2u64, n % PERIOD);
    while n > 0 {
        if n & 1 == 1 {
            result = times(result, square);
        }
        square = times(square, square);
        n >>= 1;
    }
    result
}

/// How the local kernel overlaps its misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// HPCC's loop: each lane advances and updates in turn.
    Lanes,
    /// Every lane advances and prefetches its line, then every lane updates.
    Prefetch,
}

impl Method {
    pub const ALL: [Method; 2] = [Method::Lanes, Method::Prefetch];

    pub fn name(self) -> &'static str {
        match self {
            Method::Lanes => "lanes",
            Method::Prefetch => "prefetch",
        }
    }
}

#[inline(always)]
fn prefetch(line: &u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; `line` is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line as *const u64 as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}

/// The `LANES` streams of `updates` updates that start at stream position `first`: lane j runs
/// positions first + j·(updates / LANES) onward (`updates` a multiple of `LANES`).
pub struct Lanes {
    ran: [u64; LANES],
}

impl Lanes {
    pub fn new(first: u64, updates: u64) -> Lanes {
        assert_eq!(updates % LANES as u64, 0, "updates come in whole rounds of the lanes");
        let per_lane = updates / LANES as u64;
        Lanes { ran: std::array::from_fn(|j| starts(first + j as u64 * per_lane)) }
    }

    /// Runs `rounds` more steps of every lane on `table` (its length a power of two).
    pub fn run(&mut self, table: &mut [u64], rounds: u64, method: Method) {
        debug_assert!(table.len().is_power_of_two());
        let mask = table.len() as u64 - 1;
        let ran = &mut self.ran;
        match method {
            Method::Lanes => {
                for _ in 0..rounds {
                    for r in ran.iter_mut() {
                        *r = next(*r);
                        table[(*r & mask) as usize] ^= *r;
                    }
                }
            }
            Method::Prefetch => {
                for _ in 0..rounds {
                    for r in ran.iter_mut() {
                        *r = next(*r);
                        prefetch(&table[(*r & mask) as usize]);
                    }
                    for &r in ran.iter() {
                        table[(r & mask) as usize] ^= r;
                    }
                }
            }
        }
    }
}

/// The verification: each lane's first `rounds` updates of `Lanes::new(first, updates)` applied
/// again, one stream after the other in plain sequential code. `abandon` is asked every 64 Ki
/// updates; false when it said to stop (the table is then half replayed).
pub fn replay(table: &mut [u64], first: u64, updates: u64, rounds: u64, abandon: &dyn Fn() -> bool) -> bool {
    let mask = table.len() as u64 - 1;
    let per_lane = updates / LANES as u64;
    for j in 0..LANES as u64 {
        let mut r = starts(first + j * per_lane);
        let mut left = rounds;
        while left > 0 {
            if abandon() {
                return false;
            }
            let piece = left.min(1 << 16);
            for _ in 0..piece {
                r = next(r);
                table[(r & mask) as usize] ^= r;
            }
            left -= piece;
        }
    }
    true
}

/// Entries of `table` that are not what it started as (entry i holds `base + i`).
pub fn errors(table: &[u64], base: u64) -> u64 {
    table.iter().zip(base..).filter(|(t, i)| **t != *i).count() as u64
}

/// `table` as it starts: entry i holds `base + i`, its global index.
pub fn fill(table: &mut [u64], base: u64) {
    table.iter_mut().zip(base..).for_each(|(t, i)| *t = i);
}

/// HPCC's distribution of a table of `n` words over `ranks` ranks: each holds n / ranks
/// consecutive words, and the first n mod ranks one more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub n: u64,
    pub ranks: u64,
}

impl Distribution {
    fn min(&self) -> u64 {
        self.n / self.ranks
    }

    fn remainder(&self) -> u64 {
        self.n % self.ranks
    }

    /// The first global index rank `r` holds.
    pub fn start(&self, r: u64) -> u64 {
        r * self.min() + r.min(self.remainder())
    }

    /// How many words rank `r` holds.
    pub fn len(&self, r: u64) -> u64 {
        self.min() + u64::from(r < self.remainder())
    }

    /// The rank that holds global index `g`.
    #[inline(always)]
    pub fn owner(&self, g: u64) -> u64 {
        let top = (self.min() + 1) * self.remainder();
        if g < top {
            g / (self.min() + 1)
        } else {
            (g - self.remainder()) / self.min()
        }
    }
}

/// Applies `updates` (stream values) to this rank's part of the table, which starts at global
/// index `start`, a few lines ahead so that their misses overlap.
pub fn apply(local: &mut [u64], start: u64, mask: u64, updates: &[u64]) {
    const AHEAD: usize = 16;
    for k in 0..updates.len() {
        if let Some(&ahead) = updates.get(k + AHEAD) {
            if let Some(line) = local.get(((ahead & mask) - start) as usize) {
                prefetch(line);
            }
        }
        let r = updates[k];
        local[((r & mask) - start) as usize] ^= r;
    }
}

/// Sorts a rank's updates by the rank that owns them, into buffers kept from one exchange to
/// the next.
pub struct Router {
    /// The updates for other ranks, each owner's together, in owner order.
    pub send: Vec<u64>,
    /// How many of `send` go to each rank.
    pub counts: Vec<usize>,
    scratch: Vec<(u64, u64)>,
}

impl Router {
    pub fn new(ranks: usize, lookahead: usize) -> Router {
        Router { send: Vec::with_capacity(lookahead), counts: vec![0; ranks], scratch: Vec::with_capacity(lookahead) }
    }

    /// The next `count` updates of this rank's stream (advancing `ran`): its own applied to
    /// `local` at once, the others into `send` by owner.
    pub fn route(&mut self, ran: &mut u64, count: usize, dist: &Distribution, me: u64, local: &mut [u64]) {
        let mask = dist.n - 1;
        let start = dist.start(me);
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.scratch.clear();
        for _ in 0..count {
            *ran = next(*ran);
            let owner = dist.owner(*ran & mask);
            if owner == me {
                local[((*ran & mask) - start) as usize] ^= *ran;
            } else {
                self.counts[owner as usize] += 1;
                self.scratch.push((owner, *ran));
            }
        }
        // A counting sort by owner: the send buffer holds each owner's updates together.
        let mut at: Vec<usize> = self
            .counts
            .iter()
            .scan(0, |sum, &c| {
                let first = *sum;
                *sum += c;
                Some(first)
            })
            .collect();
        self.send.clear();
        self.send.resize(self.scratch.len(), 0);
        for &(owner, r) in &self.scratch {
            self.send[at[owner as usize]] = r;
            at[owner as usize] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_is_the_register_after_n_steps() {
        let mut r = 1u64;
        for n in 0..2000 {
            assert_eq!(starts(n), r, "n = {n}");
            r = next(r);
        }
        // Jumps compose: x^(a+b) = x^a · x^b.
        for (a, b) in [(12_345u64, 987_654_321u64), (1 << 40, 3 << 33), (PERIOD - 1, 7)] {
            assert_eq!(starts(a.wrapping_add(b) % PERIOD), times(starts(a), starts(b)), "{a} + {b}");
        }
        // The register never reaches 0, and its period returns it to 1.
        assert_eq!(starts(PERIOD), 1);
    }

    #[test]
    fn both_methods_apply_the_sequential_stream_and_replay_undoes_it() {
        let n = 1 << 12;
        let updates = 4 * n as u64;
        let mut expected = vec![0u64; n];
        fill(&mut expected, 0);
        let mut r = starts(100);
        for _ in 0..updates {
            r = next(r);
            expected[(r & (n as u64 - 1)) as usize] ^= r;
        }
        for method in Method::ALL {
            let mut table = vec![0u64; n];
            fill(&mut table, 0);
            let mut lanes = Lanes::new(100, updates);
            // In two pieces, as a time-bounded run does.
            lanes.run(&mut table, 10, method);
            lanes.run(&mut table, updates / LANES as u64 - 10, method);
            assert_eq!(table, expected, "{method:?}");
            assert!(replay(&mut table, 100, updates, updates / LANES as u64, &|| false));
            assert_eq!(errors(&table, 0), 0, "{method:?}");
            // Abandoned, it says so.
            assert!(!replay(&mut table, 100, updates, 1, &|| true));
        }
    }

    #[test]
    fn a_lost_update_is_an_error_the_replay_finds() {
        let n = 1 << 10;
        let mut table = vec![0u64; n];
        fill(&mut table, 7);
        let mut lanes = Lanes::new(0, 4 * n as u64);
        lanes.run(&mut table, 8, Method::Lanes);
        // Replaying one round fewer leaves a lane's last update in place on each of 128 lanes.
        replay(&mut table, 0, 4 * n as u64, 7, &|| false);
        assert!((1..=LANES as u64).contains(&errors(&table, 7)), "{}", errors(&table, 7));
    }

    #[test]
    fn the_distribution_covers_every_index_once_as_hpcc_lays_it_out() {
        for (n, ranks) in [(1u64 << 10, 1u64), (1 << 10, 2), (1 << 10, 3), (1 << 10, 7), (1 << 4, 5)] {
            let d = Distribution { n, ranks };
            assert_eq!(d.start(0), 0);
            assert_eq!(d.start(ranks - 1) + d.len(ranks - 1), n);
            for r in 0..ranks {
                // HPCC: the first n mod ranks ranks hold one word more.
                assert_eq!(d.len(r), n / ranks + u64::from(r < n % ranks));
                for g in d.start(r)..d.start(r) + d.len(r) {
                    assert_eq!(d.owner(g), r, "n = {n}, ranks = {ranks}, g = {g}");
                }
            }
        }
    }

    #[test]
    fn routing_sends_each_update_to_its_owner_and_keeps_its_own() {
        let d = Distribution { n: 1 << 10, ranks: 3 };
        let me = 1;
        let (start, len) = (d.start(me), d.len(me) as usize);
        let mut local = vec![0u64; len];
        fill(&mut local, start);
        let (mut ran, mut router) = (starts(40), Router::new(3, 500));
        router.route(&mut ran, 500, &d, me, &mut local);
        assert_eq!(ran, starts(540));
        assert_eq!(router.counts[1], 0);
        let kept = 500 - router.send.len();
        assert!(errors(&local, start) as usize <= kept);
        let mut at = 0;
        for (owner, &c) in router.counts.iter().enumerate() {
            for &r in &router.send[at..at + c] {
                assert_eq!(d.owner(r & (d.n - 1)), owner as u64);
            }
            at += c;
        }
        // Applying the same updates again (own ones through `apply`) restores the part.
        let mut r = starts(40);
        let own: Vec<u64> = (0..500)
            .map(|_| {
                r = next(r);
                r
            })
            .filter(|r| d.owner(r & (d.n - 1)) == me)
            .collect();
        assert_eq!(own.len(), kept);
        apply(&mut local, start, d.n - 1, &own);
        assert_eq!(errors(&local, start), 0);
    }
}
