//! Summaries of repeated measurements.

/// Minimum, median and maximum of a set of repeated measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none. NaNs sort last and so never become
    /// the minimum.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_by(|a, b| a.total_cmp(b));
        let n = s.len();
        let median = if n % 2 == 1 { s[n / 2] } else { 0.5 * (s[n / 2 - 1] + s[n / 2]) };
        Some(Summary { min: s[0], median, max: s[n - 1] })
    }

    /// (max − min) / max: for times, also (best − worst) / best of the rates; 0 for one sample.
    pub fn spread(&self) -> f64 {
        (self.max - self.min) / self.max
    }
}

/// Repetitions whose fastest and slowest differ by more than this are measured again, longer.
pub const STABLE_SPREAD: f64 = 0.05;
/// At most this many batches: the last runs 2^(MAX_BATCHES − 1) times as long as the first.
pub const MAX_BATCHES: u32 = 3;

/// The repetitions of one measurement, in batches: what the last batch timed and how many ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Batches {
    /// Time per unit of work of each repetition of the last batch.
    pub summary: Summary,
    pub batches: u32,
}

impl Batches {
    /// (slowest − fastest) / slowest of the last batch's repetitions, which is also
    /// (best − worst) / best of their rates: 0 for one repetition.
    pub fn spread(&self) -> f64 {
        self.summary.spread()
    }
}

/// Times `repeats` repetitions with `time(scale)` (seconds per unit of work, each repetition
/// doing `scale` times the first batch's work; `Ok(None)`: a stop signal, no more), and while their
/// spread exceeds `STABLE_SPREAD` times a new batch twice as long, up to `MAX_BATCHES`: a figure is
/// reported only as steady as the machine let it be, and its spread says how steady that was.
/// `None` when not one repetition ran.
pub fn in_batches<E>(
    repeats: usize,
    mut time: impl FnMut(u64) -> Result<Option<f64>, E>,
) -> Result<Option<Batches>, E> {
    let mut last = None;
    for batch in 0..MAX_BATCHES {
        let mut times = Vec::with_capacity(repeats);
        let mut stopped = false;
        for _ in 0..repeats.max(1) {
            match time(1 << batch)? {
                Some(t) => times.push(t),
                None => {
                    stopped = true;
                    break;
                }
            }
        }
        // A batch a stop cut short keeps the one before, when there is one.
        if let Some(summary) = Summary::of(&times).filter(|_| !stopped || last.is_none()) {
            last = Some(Batches { summary, batches: batch + 1 });
        }
        if stopped || last.as_ref().is_none_or(|b| b.spread() <= STABLE_SPREAD) {
            break;
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `times` (per unit of work), recording the scale each repetition was asked for.
    fn replay(repeats: usize, times: &[f64]) -> (Option<Batches>, Vec<u64>) {
        let mut scales = Vec::new();
        let mut next = times.iter();
        let got = in_batches::<()>(repeats, |scale| {
            scales.push(scale);
            Ok(next.next().copied())
        })
        .unwrap();
        (got, scales)
    }

    #[test]
    fn a_steady_batch_is_the_only_one() {
        let (b, scales) = replay(3, &[1.00, 1.02, 1.01, 9.0]);
        let b = b.unwrap();
        assert_eq!((b.batches, b.summary.min, b.summary.max), (1, 1.00, 1.02));
        assert!((b.spread() - 0.02 / 1.02).abs() < 1e-12);
        assert_eq!(scales, [1, 1, 1]);
    }

    #[test]
    fn a_noisy_batch_is_measured_again_twice_as_long_and_the_last_counts() {
        let (b, scales) = replay(2, &[1.0, 1.5, 1.0, 1.2, 1.0, 1.01]);
        let b = b.unwrap();
        assert_eq!(scales, [1, 1, 2, 2, 4, 4]);
        assert_eq!((b.batches, b.summary.min, b.summary.max), (3, 1.0, 1.01));
        // Never more than MAX_BATCHES, however noisy.
        let (b, scales) = replay(2, &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0]);
        assert_eq!((b.unwrap().batches, scales.len()), (MAX_BATCHES, 6));
    }

    #[test]
    fn a_stop_keeps_the_last_whole_batch_or_what_the_first_got() {
        let (b, _) = replay(3, &[1.0, 2.0, 1.0, 1.0]);
        assert_eq!(b.map(|b| (b.batches, b.summary.max)), Some((1, 2.0)));
        let (b, _) = replay(3, &[1.0]);
        assert_eq!(b.map(|b| (b.batches, b.summary.max)), Some((1, 1.0)));
        assert_eq!(replay(3, &[]).0, None);
    }

    #[test]
    fn odd_and_even_counts() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]), Some(Summary { min: 1.0, median: 2.0, max: 3.0 }));
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]), Some(Summary { min: 1.0, median: 2.5, max: 4.0 }));
        assert_eq!(Summary::of(&[]), None);
    }
}
