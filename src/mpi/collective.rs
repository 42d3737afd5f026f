//! Collectives on strings and verdicts that rsmpi does not offer directly: every rank's string
//! on every rank, one rank's string on all, and one verdict from many local outcomes.

use crate::run::failure::{Failure, Outcome};
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

/// Collective verdict: if any rank failed, the lowest failing rank's message goes to all.
pub fn agree<T>(comm: &SimpleCommunicator, local: Outcome<T>) -> Outcome<T> {
    let size = comm.size();
    let mine = if local.is_err() { comm.rank() } else { size };
    let mut first_failed = size;
    comm.all_reduce_into(&mine, &mut first_failed, mpi::collective::SystemOperation::min());
    if first_failed == size {
        return local;
    }
    let (mut code, text) = match &local {
        Err(f) => (f.exit_code(), f.to_string()),
        Ok(_) => (0, String::new()),
    };
    let root = comm.process_at_rank(first_failed);
    root.broadcast_into(&mut code);
    let message = broadcast_from(comm, first_failed, &text);
    Err(Failure::Collective { message, exit_code: code })
}

/// `root`'s `value`, on every rank.
pub fn broadcast_from(comm: &SimpleCommunicator, root: i32, value: &str) -> String {
    let root = comm.process_at_rank(root);
    let mut len = value.len() as u64;
    root.broadcast_into(&mut len);
    let mut bytes = if comm.rank() == root.rank() { value.as_bytes().to_vec() } else { vec![0u8; len as usize] };
    root.broadcast_into(&mut bytes[..]);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Where each of `counts` starts in a buffer that holds them one after the other (the
/// displacements of a variable-count collective).
pub fn displacements(counts: &[Count]) -> Vec<Count> {
    counts.iter().scan(0, |at, &c| Some(std::mem::replace(at, *at + c))).collect()
}

/// Every rank's `value`, on every rank, in rank order.
pub fn all_gather_strings(comm: &SimpleCommunicator, value: &str) -> Vec<String> {
    let n = comm.size() as usize;
    let mut lens = vec![0 as Count; n];
    comm.all_gather_into(&(value.len() as Count), &mut lens[..]);
    let displs = displacements(&lens);
    // One spare byte: were every string empty, an empty Vec and an empty send slice would share
    // Rust's dangling pointer, and MPI rejects aliased buffers (MPI_ERR_ARG).
    let mut buf = vec![0u8; lens.iter().map(|&l| l as usize).sum::<usize>() + 1];
    {
        let mut partition = PartitionMut::new(&mut buf[..], &lens[..], &displs[..]);
        comm.all_gather_varcount_into(value.as_bytes(), &mut partition);
    }
    (0..n)
        .map(|r| {
            let (d, l) = (displs[r] as usize, lens[r] as usize);
            String::from_utf8_lossy(&buf[d..d + l]).into_owned()
        })
        .collect()
}
