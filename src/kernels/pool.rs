//! The pieces of a task farm that need no MPI: the built-in tasks and their known answers, how a
//! schedule cuts the task range into chunks, and the collector that checks every result arrives
//! exactly once with the right value, in task order (map) or as it comes (imap_unordered).

use super::mix;
use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, Instant};

/// A built-in task, applied to task ids 0..tasks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Task {
    /// The course's `carre`: id².
    Square,
    /// Busy for `us` µs (uniform in 0..=2·us, from the id, when `random`), then a hash of the id.
    Spin { us: u64, random: bool },
}

impl Task {
    /// How long task `id` spins (zero for `Square`).
    pub fn duration(self, id: u64) -> Duration {
        match self {
            Task::Square => Duration::ZERO,
            Task::Spin { us, random: false } => Duration::from_micros(us),
            Task::Spin { us, random: true } => Duration::from_micros(mix(id ^ 0x5eed) % (2 * us + 1)),
        }
    }

    /// The answer task `id` must give.
    pub fn expected(self, id: u64) -> u64 {
        match self {
            Task::Square => id.wrapping_mul(id),
            Task::Spin { .. } => mix(id),
        }
    }

    /// Runs task `id`.
    pub fn run(self, id: u64) -> u64 {
        match self {
            Task::Square => std::hint::black_box(id).wrapping_mul(id),
            Task::Spin { .. } => {
                let end = Instant::now() + self.duration(id);
                while Instant::now() < end {
                    std::hint::spin_loop();
                }
                mix(std::hint::black_box(id))
            }
        }
    }
}

/// How tasks are handed out, as OpenMP's `schedule` clause names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Schedule {
    /// Chunks dealt round-robin before the start: no requests, no balancing.
    Static,
    /// A chunk of --chunksize to whichever worker asks next (Pool.map).
    Dynamic,
    /// Chunks shrinking with the work left (left / workers, at least --chunksize).
    Guided,
}

impl Schedule {
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Static => "static",
            Schedule::Dynamic => "dynamic",
            Schedule::Guided => "guided",
        }
    }

    /// The next chunk's length when `left` tasks are not yet handed out.
    pub fn next_len(self, left: u64, chunksize: u64, workers: u64) -> u64 {
        let len = match self {
            Schedule::Static | Schedule::Dynamic => chunksize,
            Schedule::Guided => left.div_ceil(workers).max(chunksize),
        };
        len.min(left)
    }
}

/// The chunks static scheduling deals to `worker` of `workers`: chunk c goes to c mod workers.
pub fn static_chunks(tasks: u64, chunksize: u64, workers: u64, worker: u64) -> impl Iterator<Item = Range<u64>> {
    (worker * chunksize..tasks).step_by((workers * chunksize) as usize).map(move |s| s..(s + chunksize).min(tasks))
}

/// Receives results on the dispatcher and checks them: each task once, with its answer.
pub struct Collector {
    task: Task,
    tasks: u64,
    ordered: bool,
    seen: Vec<bool>,
    /// Results consumed so far (in task order when `ordered`).
    pub consumed: u64,
    /// Results that arrived ahead of their turn, by first task id (ordered only).
    pending: BTreeMap<u64, Vec<u64>>,
    pending_results: u64,
    /// Most results held back at once waiting for an earlier chunk.
    pub pending_peak: u64,
    /// When the first result was consumed.
    pub first: Option<Instant>,
}

impl Collector {
    pub fn new(task: Task, tasks: u64, ordered: bool) -> Collector {
        Collector {
            task,
            tasks,
            ordered,
            seen: vec![false; tasks as usize],
            consumed: 0,
            pending: BTreeMap::new(),
            pending_results: 0,
            pending_peak: 0,
            first: None,
        }
    }

    /// Takes the results of tasks `start..start + results.len()`.
    pub fn deliver(&mut self, start: u64, results: &[u64]) -> Result<(), String> {
        let end = start + results.len() as u64;
        if end > self.tasks {
            return Err(format!("results for tasks {start}..{end}, but there are only {}", self.tasks));
        }
        if self.ordered && start < self.consumed {
            return Err(format!("task {start} returned twice"));
        }
        if !self.ordered || start == self.consumed {
            self.consume(start, results)?;
            while let Some(next) = self.pending.remove(&self.consumed) {
                self.pending_results -= next.len() as u64;
                self.consume(self.consumed, &next)?;
            }
        } else {
            if self.pending.insert(start, results.to_vec()).is_some() {
                return Err(format!("task {start} returned twice"));
            }
            self.pending_results += results.len() as u64;
            self.pending_peak = self.pending_peak.max(self.pending_results);
        }
        Ok(())
    }

    fn consume(&mut self, start: u64, results: &[u64]) -> Result<(), String> {
        self.first.get_or_insert_with(Instant::now);
        for (id, &r) in (start..).zip(results) {
            if std::mem::replace(&mut self.seen[id as usize], true) {
                return Err(format!("task {id} returned twice"));
            }
            let expected = self.task.expected(id);
            if r != expected {
                return Err(format!("task {id} returned {r}, expected {expected}"));
            }
        }
        self.consumed += results.len() as u64;
        Ok(())
    }

    /// After the last delivery: every task must have returned and been consumed.
    pub fn finish(&self) -> Result<(), String> {
        if let Some(start) = self.pending.keys().next() {
            return Err(format!("results from task {start} on were never consumed: an earlier task did not return"));
        }
        match self.seen.iter().position(|s| !s) {
            Some(id) => Err(format!(
                "task {id} never returned ({} of {} did)",
                self.seen.iter().filter(|s| **s).count(),
                self.tasks
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_cover_every_task_once() {
        for (tasks, chunk, workers) in [(10, 3, 2), (1000, 1, 3), (7, 10, 4), (200, 7, 5)] {
            let mut ids: Vec<u64> =
                (0..workers).flat_map(|w| static_chunks(tasks, chunk, workers, w)).flatten().collect();
            ids.sort();
            assert_eq!(ids, (0..tasks).collect::<Vec<_>>(), "static {tasks} {chunk} {workers}");
            for schedule in [Schedule::Dynamic, Schedule::Guided] {
                let (mut left, mut lens) = (tasks, Vec::new());
                while left > 0 {
                    let len = schedule.next_len(left, chunk, workers);
                    assert!(len >= 1 && len <= left);
                    lens.push(len);
                    left -= len;
                }
                assert_eq!(lens.iter().sum::<u64>(), tasks);
                if schedule == Schedule::Guided {
                    assert!(lens.windows(2).all(|w| w[0] >= w[1]), "guided chunks shrink: {lens:?}");
                }
            }
        }
        assert_eq!(Schedule::Guided.next_len(100, 1, 4), 25);
    }

    #[test]
    fn collector_checks_every_task_once_with_its_answer() {
        let task = Task::Square;
        let answers = |r: Range<u64>| r.map(|i| task.expected(i)).collect::<Vec<_>>();
        let mut c = Collector::new(task, 6, true);
        c.deliver(4, &answers(4..6)).unwrap();
        c.deliver(2, &answers(2..4)).unwrap();
        assert_eq!((c.consumed, c.pending_peak), (0, 4), "held back until task 0 arrives");
        assert!(c.finish().unwrap_err().contains("from task 2 on were never consumed"));
        c.deliver(0, &answers(0..2)).unwrap();
        assert_eq!(c.consumed, 6);
        c.finish().unwrap();
        assert!(c.deliver(5, &answers(5..6)).unwrap_err().contains("task 5 returned twice"));

        let mut u = Collector::new(task, 3, false);
        assert!(u.deliver(1, &[1, 5]).unwrap_err().contains("task 2 returned 5, expected 4"));
        assert!(u.deliver(2, &[4, 9]).unwrap_err().contains("only 3"));
    }

    #[test]
    fn tasks_give_their_answers_and_random_spins_vary() {
        assert_eq!(Task::Square.run(12), 144);
        let spin = Task::Spin { us: 5, random: true };
        assert_eq!(spin.run(3), spin.expected(3));
        let durations: Vec<_> = (0..100).map(|i| spin.duration(i)).collect();
        assert!(durations.iter().all(|d| *d <= Duration::from_micros(10)));
        assert!(durations.iter().any(|d| *d != durations[0]));
    }
}
