//! MPI plumbing that rsmpi lacks or that every experiment shares: collectives on strings and
//! verdicts, one-sided windows (RMA), memory shared by a node's ranks, request windows for bandwidth loops, loops of exchanges
//! paced by time, and the messages comm sends. Experiments use these; kernels never do.

pub mod collective;
pub mod message;
pub mod paced;
pub mod requests;
pub mod rma;
pub mod shared;
