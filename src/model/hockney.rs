//! Hockney's model of a message: t(n) = α + n/β, latency α plus size over bandwidth β. Its
//! half-performance length n½ = α·β is the size below which latency dominates.

/// A fitted Hockney model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hockney {
    /// Latency, µs.
    pub alpha_us: f64,
    /// Asymptotic bandwidth, MB/s (10^6 bytes per second, i.e. bytes per µs).
    pub beta_mbps: f64,
}

impl Hockney {
    /// Predicted one-way time of an `bytes`-byte message, µs.
    pub fn time_us(&self, bytes: f64) -> f64 {
        self.alpha_us + bytes / self.beta_mbps
    }

    /// The message size at which half the asymptotic bandwidth is reached, bytes.
    pub fn half_performance_bytes(&self) -> f64 {
        self.alpha_us * self.beta_mbps
    }
}

/// Fits t = α + n/β to `(bytes, µs)` points, minimising relative errors (weights 1/t²), so
/// small messages fix α and large ones β instead of the largest swamping the rest. Needs two
/// distinct sizes and a positive slope.
pub fn fit(points: &[(f64, f64)]) -> Option<Hockney> {
    let w: Vec<f64> = points.iter().map(|&(_, t)| 1.0 / (t * t)).collect();
    let sw: f64 = w.iter().sum();
    let mean = |f: &dyn Fn(f64, f64) -> f64| points.iter().zip(&w).map(|(&(n, t), w)| w * f(n, t)).sum::<f64>() / sw;
    let (xbar, ybar) = (mean(&|n, _| n), mean(&|_, t| t));
    let sxx = mean(&|n, _| (n - xbar).powi(2));
    let sxy = mean(&|n, t| (n - xbar) * (t - ybar));
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    (slope > 0.0).then(|| Hockney { alpha_us: ybar - slope * xbar, beta_mbps: 1.0 / slope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_latency_and_bandwidth_from_exact_times() {
        let truth = Hockney { alpha_us: 0.5, beta_mbps: 10_000.0 };
        let pts: Vec<_> = (0..23).map(|k| (2f64.powi(k), truth.time_us(2f64.powi(k)))).collect();
        let fit = fit(&pts).unwrap();
        assert!((fit.alpha_us - 0.5).abs() < 1e-9, "{fit:?}");
        assert!((fit.beta_mbps - 10_000.0).abs() < 1e-6, "{fit:?}");
        assert!((fit.half_performance_bytes() - 5000.0).abs() < 1e-6);
    }

    #[test]
    fn small_messages_still_decide_latency_under_noise() {
        // ±3 % noise: an unweighted fit would let the 4 MiB point's noise (≈ 12 µs) swamp α.
        let truth = Hockney { alpha_us: 0.8, beta_mbps: 5_000.0 };
        let pts: Vec<_> = (0..23)
            .map(|k| {
                let n = 2f64.powi(k);
                (n, truth.time_us(n) * if k % 2 == 0 { 1.03 } else { 0.97 })
            })
            .collect();
        let fit = fit(&pts).unwrap();
        assert!((fit.alpha_us - 0.8).abs() < 0.1, "{fit:?}");
        assert!((fit.beta_mbps / 5_000.0 - 1.0).abs() < 0.1, "{fit:?}");
    }

    #[test]
    fn needs_two_sizes_and_growth() {
        assert!(fit(&[(8.0, 1.0)]).is_none());
        assert!(fit(&[(8.0, 2.0), (16.0, 1.0)]).is_none());
    }
}
