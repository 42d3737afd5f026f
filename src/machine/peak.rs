//! A core's peak floating-point rate, measured rather than assumed: the FMA-throughput kernel of
//! `kernels::peak` on one thread, or on every thread of a pool at once (clocks drop when all
//! cores are busy). An assumed peak (clock × lanes × 2 × "two units") is wrong on cores that
//! execute wide vectors in halves: on Zen 4 it said 115 GFLOP/s where the core does 58.7.

use crate::kernels::peak::{self, Precision, Unit};
use crate::model::stats::in_batches;
use std::time::Instant;

/// One measured peak.
#[derive(Clone, Debug)]
pub struct Peak {
    pub unit: Unit,
    pub precision: Precision,
    /// GFLOP/s of one core (with `threads` busy: the aggregate divided by them).
    pub gflops: f64,
    pub threads: usize,
    /// (best − worst) / best of the last batch of repetitions (the widest over threads).
    pub spread: f64,
}

impl Peak {
    /// The clock two FMA pipes would need for this rate: a core that runs wide vectors in
    /// halves, or has one pipe, shows half its real clock.
    pub fn ghz_equivalent(&self) -> f64 {
        self.gflops / (2.0 * 2.0 * self.unit.lanes(self.precision) as f64)
    }

    pub fn describe(&self) -> String {
        format!(
            "{:.1} GFLOP/s per core, measured ({} {} FMA throughput, {} chains × {} lanes, {} thread(s) busy; {:.2} GHz at two FMA pipes)",
            self.gflops,
            self.unit.name(),
            self.precision.name(),
            self.unit.chains(),
            self.unit.lanes(self.precision),
            self.threads,
            self.ghz_equivalent()
        )
    }
}

/// Steps for one timed call of about `seconds` on one core.
fn calibrate(unit: Unit, precision: Precision, seconds: f64) -> Result<u64, String> {
    let mut steps = 1 << 12;
    loop {
        let t = Instant::now();
        check(unit, precision, steps)?;
        let took = t.elapsed().as_secs_f64();
        if took >= seconds / 4.0 || steps >= peak::MAX_STEPS {
            return Ok(((steps as f64 * seconds / took.max(1e-9)) as u64).clamp(1, peak::MAX_STEPS));
        }
        steps *= 4;
    }
}

/// One call, checked: the chains must hold exactly what `steps` steps give.
fn check(unit: Unit, precision: Precision, steps: u64) -> Result<(), String> {
    let lose = crate::run::failure::injected("lose-fma-step");
    match peak::run(unit, precision, steps, lose) {
        Some(sum) if sum == peak::expected(unit, precision, steps) => Ok(()),
        Some(sum) => Err(format!(
            "the {} {} FMA kernel is wrong: {steps} steps summed to {sum}, not {}",
            unit.name(),
            precision.name(),
            peak::expected(unit, precision, steps)
        )),
        None => Err(format!("this CPU cannot run {}", unit.name())),
    }
}

/// The best rate of `repeats` timed calls of about 20 ms after a warm-up (frequency ramp-up,
/// AVX-512 power licence), in GFLOP/s; on every thread of `pool` at once if given, per thread.
/// A stop signal cuts the repetitions short.
pub fn measure(
    unit: Unit,
    precision: Precision,
    repeats: usize,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Peak, String> {
    let steps = calibrate(unit, precision, 0.02)?;
    // Best rate and spread; batches twice as long where the repetitions disagree.
    let one_thread = || -> Result<(f64, f64), String> {
        check(unit, precision, steps)?;
        let mut done = 0;
        let batches = in_batches::<String>(repeats, |scale| {
            // A stop signal ends the repetitions early (after the first).
            if done > 0 && crate::run::signals::received().is_some() {
                return Ok(None);
            }
            done += 1;
            let steps = (steps * scale).min(peak::MAX_STEPS);
            let t = Instant::now();
            check(unit, precision, steps)?;
            Ok(Some(t.elapsed().as_secs_f64() / steps as f64))
        })?
        .expect("one repetition always runs");
        Ok((unit.flops(precision, 1) / batches.summary.min / 1e9, batches.spread()))
    };
    let (gflops, threads, spread) = match pool {
        Some(pool) => {
            let rates: Vec<Result<(f64, f64), String>> = pool.broadcast(|_| one_thread());
            let rates: Vec<(f64, f64)> = rates.into_iter().collect::<Result<_, _>>()?;
            let mean = rates.iter().map(|r| r.0).sum::<f64>() / rates.len() as f64;
            (mean, rates.len(), rates.iter().map(|r| r.1).fold(0.0, f64::max))
        }
        None => {
            let (gflops, spread) = one_thread()?;
            (gflops, 1, spread)
        }
    };
    Ok(Peak { unit, precision, gflops, threads, spread })
}

/// The peak a core's f64 code can reach, for gemm's fraction of peak: the widest unit, one
/// thread, or `given`. Returns the GFLOP/s and how they were obtained.
pub fn core_peak(given: Option<f64>) -> Result<(f64, String), String> {
    if let Some(p) = given {
        return Ok((p, format!("{p} GFLOP/s per core, given with --peak-gflops")));
    }
    let widest = *Unit::available().last().expect("scalar is always there");
    let peak = measure(widest, Precision::F64, 5, None)?;
    Ok((peak.gflops, peak.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_peak_is_plausible_and_given_peaks_are_kept() {
        let (peak, how) = core_peak(Some(12.5)).unwrap();
        assert_eq!(peak, 12.5);
        assert!(how.contains("--peak-gflops"));
        let units = Unit::available();
        let rates: Vec<f64> = units.iter().map(|&u| measure(u, Precision::F64, 2, None).unwrap().gflops).collect();
        // Between 0.1 and 1000 GFLOP/s per core; no speed comparison here (tests check answers).
        assert!(rates.iter().all(|r| (0.1..1000.0).contains(r)), "{rates:?}");
        let (gflops, how) = core_peak(None).unwrap();
        assert!(gflops > 0.1 && how.contains("measured"), "{how}");
    }
}
