//! What every run shares: its context (communicators, placement, threads, provenance), how it
//! fails without hanging, stop signals, and progress lines.

pub mod context;
pub mod failure;
pub mod progress;
pub mod signals;
