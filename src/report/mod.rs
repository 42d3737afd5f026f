//! The report's building blocks, shared by every experiment's section: the document model
//! (Markdown and HTML from one list of blocks), figures and their axes, results files read back,
//! and headline figures. The `report` command that assembles them is `tools::report`.

pub mod axis;
pub mod document;
pub mod figure;
pub mod headline;
pub mod load;
