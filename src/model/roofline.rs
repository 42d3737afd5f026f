//! The roofline model (Williams, Waterman and Patterson, CACM 2009): a kernel that does I flops
//! per byte it moves cannot beat min(peak, I × bandwidth) GFLOP/s, whichever ceiling is lower
//! for the memory level its data lives in.

/// A ceiling: its name and value (GFLOP/s for compute, GB/s for memory).
#[derive(Clone, Debug, PartialEq)]
pub struct Ceiling {
    pub name: String,
    pub value: f64,
}

/// What binds a kernel of `intensity` flops per byte: the compute ceiling or `bandwidth`
/// times the intensity, whichever is lower. Returns the bound in GFLOP/s and the ceiling's name.
pub fn bound(intensity: f64, compute: &Ceiling, bandwidth: &Ceiling) -> (f64, String) {
    let memory = intensity * bandwidth.value;
    if memory < compute.value {
        (memory, format!("memory ({})", bandwidth.name))
    } else {
        (compute.value, format!("compute ({})", compute.name))
    }
}

/// Where the two ceilings meet: the intensity from which compute binds.
pub fn ridge(compute: &Ceiling, bandwidth: &Ceiling) -> f64 {
    compute.value / bandwidth.value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_ceiling_binds() {
        let peak = Ceiling { name: "avx2 f64".into(), value: 50.0 };
        let dram = Ceiling { name: "DRAM".into(), value: 20.0 };
        assert_eq!(bound(0.125, &peak, &dram), (2.5, "memory (DRAM)".to_string()));
        assert_eq!(bound(10.0, &peak, &dram), (50.0, "compute (avx2 f64)".to_string()));
        assert_eq!(ridge(&peak, &dram), 2.5);
    }
}
