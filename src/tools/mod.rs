//! The tools that read what the experiments write, above the registry: `report` (figures and a
//! readable report from results files, and the comparisons it opens with) and `schema` (the
//! layout of the files). Both run on rank 0 alone.

mod compare;
pub mod report;
pub mod schema;
