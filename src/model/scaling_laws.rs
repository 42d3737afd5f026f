//! Amdahl's and Gustafson's laws, the Karp–Flatt metric, and least-squares fits of measured
//! timings to them. Pure functions: unit-tested without MPI.

/// Amdahl: speedup on `n` workers of a program whose serial fraction is `f`.
pub fn amdahl_speedup(f: f64, n: f64) -> f64 {
    1.0 / (f + (1.0 - f) / n)
}

/// Gustafson: scaled speedup on `n` workers when the work grows with `n` and `f` is the serial
/// share of the run time.
pub fn gustafson_speedup(f: f64, n: f64) -> f64 {
    f + (1.0 - f) * n
}

/// Karp–Flatt experimentally determined serial fraction e = (1/S − 1/n)/(1 − 1/n).
/// Undefined (NaN) for n = 1.
pub fn karp_flatt(speedup: f64, n: f64) -> f64 {
    if n <= 1.0 {
        return f64::NAN;
    }
    (1.0 / speedup - 1.0 / n) / (1.0 - 1.0 / n)
}

/// A fitted serial fraction with its standard error (NaN where the fit has no degrees of freedom).
#[derive(Debug, Clone, Copy)]
pub struct SerialFractionFit {
    pub f: f64,
    pub stderr: f64,
    /// Fitted time on the baseline configuration (strong scaling only; NaN for weak).
    pub t1: f64,
}

/// Fits T(n) = T1·(f + (1−f)/n) to `(n, time)` points by linear least squares in
/// T = a + b/n (a = T1·f, b = T1·(1−f)); f = a/(a+b), its error by the delta method.
/// Needs at least two distinct n.
pub fn fit_strong(points: &[(f64, f64)]) -> Option<SerialFractionFit> {
    let m = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|&(n, _)| 1.0 / n).collect();
    let ys: Vec<f64> = points.iter().map(|&(_, t)| t).collect();
    let xbar = xs.iter().sum::<f64>() / m;
    let ybar = ys.iter().sum::<f64>() / m;
    let sxx: f64 = xs.iter().map(|x| (x - xbar).powi(2)).sum();
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - xbar) * (y - ybar)).sum();
    let b = sxy / sxx;
    let a = ybar - b * xbar;
    let t1 = a + b;
    let f = a / t1;
    let stderr = if points.len() > 2 {
        let rss: f64 = xs.iter().zip(&ys).map(|(x, y)| (y - a - b * x).powi(2)).sum();
        let s2 = rss / (m - 2.0);
        // Covariance of (a, b) for simple linear regression.
        let var_b = s2 / sxx;
        let var_a = s2 * (1.0 / m + xbar * xbar / sxx);
        let cov_ab = -xbar * s2 / sxx;
        // Gradient of f = a/(a+b).
        let ga = b / (t1 * t1);
        let gb = -a / (t1 * t1);
        (ga * ga * var_a + gb * gb * var_b + 2.0 * ga * gb * cov_ab).max(0.0).sqrt()
    } else {
        f64::NAN
    };
    Some(SerialFractionFit { f, stderr, t1 })
}

/// Fits Gustafson's S(n) = f + (1−f)·n to `(n, scaled speedup)` points: S − n = f·(1 − n),
/// a one-parameter least-squares line through the origin. Needs one point with n ≠ 1.
pub fn fit_weak(points: &[(f64, f64)]) -> Option<SerialFractionFit> {
    let sxx: f64 = points.iter().map(|&(n, _)| (1.0 - n).powi(2)).sum();
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let f = points.iter().map(|&(n, s)| (s - n) * (1.0 - n)).sum::<f64>() / sxx;
    let informative = points.iter().filter(|&&(n, _)| n != 1.0).count();
    let stderr = if informative > 1 {
        let rss: f64 = points.iter().map(|&(n, s)| (s - n - f * (1.0 - n)).powi(2)).sum();
        (rss / (points.len() as f64 - 1.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    Some(SerialFractionFit { f, stderr, t1: f64::NAN })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amdahl_time(t1: f64, f: f64, n: f64) -> f64 {
        t1 * (f + (1.0 - f) / n)
    }

    #[test]
    fn slide_numbers() {
        // 90 % parallel: ×5 on 9 processes and never more than ×10.
        assert!((amdahl_speedup(0.1, 9.0) - 5.0).abs() < 1e-12);
        assert!(amdahl_speedup(0.1, 1e12) < 10.0);
        assert!((gustafson_speedup(0.1, 9.0) - 8.2).abs() < 1e-12);
    }

    #[test]
    fn karp_flatt_recovers_serial_fraction_of_amdahl_speedup() {
        for &f in &[0.0, 0.05, 0.1, 0.5] {
            for &n in &[2.0, 3.0, 16.0, 64.0] {
                let e = karp_flatt(amdahl_speedup(f, n), n);
                assert!((e - f).abs() < 1e-12, "f={f} n={n} e={e}");
            }
        }
        assert!(karp_flatt(1.0, 1.0).is_nan());
    }

    #[test]
    fn strong_fit_is_exact_on_noise_free_timings() {
        let pts: Vec<_> = [1.0, 2.0, 4.0, 8.0, 9.0].iter().map(|&n| (n, amdahl_time(10.0, 0.1, n))).collect();
        let fit = fit_strong(&pts).unwrap();
        assert!((fit.f - 0.1).abs() < 1e-12);
        assert!((fit.t1 - 10.0).abs() < 1e-9);
        assert!(fit.stderr < 1e-9);
    }

    #[test]
    fn strong_fit_with_two_points_is_exact_but_has_no_error_estimate() {
        let pts = [(1.0, amdahl_time(2.0, 0.25, 1.0)), (2.0, amdahl_time(2.0, 0.25, 2.0))];
        let fit = fit_strong(&pts).unwrap();
        assert!((fit.f - 0.25).abs() < 1e-12);
        assert!(fit.stderr.is_nan());
    }

    #[test]
    fn strong_fit_tolerates_noise_and_reports_its_uncertainty() {
        // Deterministic ±2 % multiplicative noise.
        let noise = [1.02, 0.98, 1.01, 0.99, 1.015, 0.985, 1.0];
        let pts: Vec<_> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
            .iter()
            .zip(noise)
            .map(|(&n, e)| (n, amdahl_time(10.0, 0.1, n) * e))
            .collect();
        let fit = fit_strong(&pts).unwrap();
        assert!((fit.f - 0.1).abs() < 0.01, "f = {}", fit.f);
        assert!(fit.stderr > 0.0 && fit.stderr < 0.01, "stderr = {}", fit.stderr);
        // The true value lies within a few standard errors.
        assert!((fit.f - 0.1).abs() < 4.0 * fit.stderr + 1e-3);
    }

    #[test]
    fn strong_fit_needs_two_distinct_worker_counts() {
        assert!(fit_strong(&[(4.0, 1.0), (4.0, 1.1)]).is_none());
        assert!(fit_strong(&[]).is_none());
    }

    #[test]
    fn weak_fit_recovers_gustafson_fraction() {
        let pts: Vec<_> = [1.0, 2.0, 4.0, 8.0].iter().map(|&n| (n, gustafson_speedup(0.2, n))).collect();
        let fit = fit_weak(&pts).unwrap();
        assert!((fit.f - 0.2).abs() < 1e-12);
        assert!(fit_weak(&[(1.0, 1.0)]).is_none());
    }
}
