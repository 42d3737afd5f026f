//! The BLAS library parahpc links (OpenBLAS through blas-src), identified for provenance.

// Links the system OpenBLAS.
use blas_src as _;
use std::ffi::{c_char, c_int, CStr};

extern "C" {
    fn openblas_get_config() -> *const c_char;
    fn openblas_get_num_threads() -> c_int;
    fn openblas_set_num_threads(n: c_int);
}

/// OpenBLAS's own description (version, target core, threading model) and thread count.
pub fn config() -> String {
    // SAFETY: both are plain queries; the config string is static and NUL-terminated.
    unsafe {
        let config = CStr::from_ptr(openblas_get_config()).to_string_lossy();
        format!("{} (threads {})", config.trim(), openblas_get_num_threads())
    }
}

/// Sets the threads OpenBLAS uses from now on, so that BLAS and rayon never share a rank's
/// cores by accident; returns the count OpenBLAS then reports.
pub fn set_threads(n: usize) -> usize {
    // SAFETY: plain calls into OpenBLAS's threading API.
    unsafe {
        openblas_set_num_threads(n as c_int);
        openblas_get_num_threads() as usize
    }
}
