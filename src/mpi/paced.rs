//! Loops of exchanges bounded by time as well as by count. A loop sized for one node (OSU's
//! 10 000 ping-pongs, 1000 allreduces) lasts minutes on a slow network, and a stop signal would
//! wait for all of it. A paced loop runs its iterations in chunks and, between two chunks, the
//! ranks taking part (a pair, a communicator) agree on their stop flags and on how long the
//! chunk took, so every rank takes the same next chunk and all leave at the same iteration.
//! Each chunk is sized from the pace measured so far to last about half of `LOOK_EVERY_S`, and
//! is at most twice the one before: a pace measured over a chunk shorter than the scheduler's
//! time slice can be far too fast on a loaded machine (both ranks happened to run at once), and
//! a chunk sized from it alone ran for minutes. On a fast network chunks double from the warm-up
//! on, so a timed loop holds a few looks (each outside the time it reports).

use mpi::collective::SystemOperation;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;

/// The longest a paced loop runs between two looks at the stop flag, on any network.
pub const LOOK_EVERY_S: f64 = 0.5;

/// What the ranks agree on between two chunks: the largest stop signal (0 for none) and the
/// slowest rank's seconds for the chunk.
pub type Agree<'a> = dyn FnMut(i32, f64) -> (i32, f64) + 'a;

/// The pace of a series of loops (a warm-up, then the timed loops), carried from one to the next.
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    /// Seconds per iteration, as the slowest rank measured the last chunk; None before any.
    per_iteration: Option<f64>,
    /// Iterations of the last chunk (0 before any).
    last: usize,
    /// MPI_Wtime; the unit tests, which run without MPI, give another clock.
    clock: fn() -> f64,
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer { per_iteration: None, last: 0, clock: mpi::time }
    }
}

impl Pacer {
    /// How many iterations the next chunk runs, of `left`.
    fn chunk(&self, left: usize) -> usize {
        let paced = match self.per_iteration {
            None => 1,
            Some(p) if p > 0.0 => (LOOK_EVERY_S / 2.0 / p) as usize,
            Some(_) => usize::MAX,
        };
        paced.min(2 * self.last.max(1)).clamp(1, left)
    }

    /// Runs `body(i)` for i in 0..count, looking at the stop flag with `agree` after each
    /// chunk. Returns the seconds spent in `body` (the looks excluded), or the stop signal.
    pub fn run(&mut self, count: usize, agree: &mut Agree, body: &mut dyn FnMut(usize)) -> Result<f64, i32> {
        let (mut done, mut busy) = (0, 0.0);
        while done < count {
            let chunk = self.chunk(count - done);
            let t0 = (self.clock)();
            (done..done + chunk).for_each(&mut *body);
            let took = (self.clock)() - t0;
            busy += took;
            done += chunk;
            let (signal, slowest) = agree(crate::run::signals::received().unwrap_or(0), took);
            self.per_iteration = Some(slowest / chunk as f64);
            self.last = chunk;
            if signal != 0 {
                return Err(signal);
            }
        }
        Ok(busy)
    }
}

/// Agreement between the two ranks of a pair (one exchange).
pub fn with_peer(world: &SimpleCommunicator, peer: i32) -> impl FnMut(i32, f64) -> (i32, f64) + '_ {
    move |signal, took| {
        let other = world.process_at_rank(peer);
        let mine = [signal as f64, took];
        let mut theirs = [0.0; 2];
        mpi::point_to_point::send_receive_into(&mine[..], &other, &mut theirs[..], &other);
        (signal.max(theirs[0] as i32), took.max(theirs[1]))
    }
}

/// Agreement among every rank of `comm` (one allreduce).
pub fn with_all(comm: &SimpleCommunicator) -> impl FnMut(i32, f64) -> (i32, f64) + '_ {
    move |signal, took| {
        let mine = [signal as f64, took];
        let mut all = [0.0; 2];
        comm.all_reduce_into(&mine[..], &mut all[..], SystemOperation::max());
        (all[0] as i32, all[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock for tests without MPI (MPICH refuses MPI_Wtime before MPI_Init).
    fn clock() -> f64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
    }

    fn pacer(per_iteration: Option<f64>, last: usize) -> Pacer {
        Pacer { per_iteration, last, clock }
    }

    #[test]
    fn chunks_last_about_half_a_look_at_the_measured_pace() {
        assert_eq!(pacer(None, 0).chunk(10_000), 1, "the first chunk measures the pace");
        // 4 ms a message: a slow network.
        assert_eq!(pacer(Some(4e-3), 1000).chunk(10_000), 62);
        // A fast one: the rest of the loop at once, once chunks have grown to it.
        assert_eq!(pacer(Some(0.25e-6), 8192).chunk(10_000), 10_000);
        // Slower than a look: one at a time.
        assert_eq!(pacer(Some(10.0), 1).chunk(10_000), 1);
    }

    #[test]
    fn a_chunk_is_at_most_twice_the_one_before() {
        // A first iteration that looked fast (both ranks on a core at that moment) does not
        // send the loop into 10 000 iterations that a loaded machine runs at 4 ms each.
        let mut p = pacer(None, 0);
        let mut sizes = Vec::new();
        let mut calm = |s: i32, _: f64| (s, 1e-6);
        let mut body = |_: usize| {};
        let mut left = 10_000;
        while left > 0 {
            let chunk = p.chunk(left);
            sizes.push(chunk);
            p.run(chunk, &mut calm, &mut body).unwrap();
            left -= chunk;
        }
        assert_eq!(&sizes[..6], [1, 2, 4, 8, 16, 32]);
        assert!(sizes.windows(2).all(|w| w[1] <= 2 * w[0]), "{sizes:?}");
    }

    #[test]
    fn every_iteration_runs_once_and_a_stop_ends_the_loop_between_chunks() {
        let mut seen = Vec::new();
        let mut calm = |s: i32, t: f64| (s, t);
        let mut p = pacer(None, 0);
        p.run(5, &mut calm, &mut |i| seen.push(i)).unwrap();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        let mut looks = 0;
        // Every chunk "took" half a look: the pace stays at three iterations a chunk.
        let mut stop_at_second_look = |_: i32, _: f64| {
            looks += 1;
            (if looks == 2 { 15 } else { 0 }, LOOK_EVERY_S / 2.0)
        };
        let mut n = 0;
        let mut p = pacer(Some(LOOK_EVERY_S / 6.0), 3); // chunks of 3
        assert_eq!(p.run(100, &mut stop_at_second_look, &mut |_| n += 1), Err(15));
        assert_eq!(n, 6, "stopped after the second chunk");
    }
}
