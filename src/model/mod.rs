//! The models measurements are compared with: Amdahl's and Gustafson's laws with their fits,
//! Hockney's message cost, and the min/median/max summary every table reports.

pub mod hockney;
pub mod scaling_laws;
pub mod stats;
