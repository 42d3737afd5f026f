//! The models measurements are compared with: Amdahl's and Gustafson's laws with their fits,
//! Hockney's message cost, the roofline, and the min/median/max summary every table reports.

pub mod hockney;
pub mod roofline;
pub mod scaling_laws;
pub mod stats;
