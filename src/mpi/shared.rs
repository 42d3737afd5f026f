//! Memory that the ranks of one node share, through an MPI shared-memory window
//! (MPI_Win_allocate_shared on the node's communicator): what multiprocessing's shared `Value`
//! is to the course's processes. Every rank sees the node leader's segment as 64-bit atomics;
//! hardware atomics keep them coherent between processes, as between threads.

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::os::raw::{c_int, c_void};
use std::sync::atomic::AtomicU64;

/// `words` 64-bit words, 128-byte aligned, that every rank of a node's communicator reaches.
pub struct NodeShared {
    win: ffi::MPI_Win,
    base: *const AtomicU64,
    words: usize,
}

impl NodeShared {
    /// Collective over `node` (ranks sharing memory): the node's leader allocates `words`
    /// zeroed words, the others none, and every rank maps the leader's.
    pub fn new(node: &SimpleCommunicator, words: usize) -> NodeShared {
        let leader = node.rank() == 0;
        // 128 bytes more than asked, to align the start on a line pair whatever MPI returns.
        let bytes = if leader { (words * 8 + 128) as ffi::MPI_Aint } else { 0 };
        let mut base: *mut c_void = std::ptr::null_mut();
        // SAFETY: reading a predefined handle.
        let mut win = unsafe { ffi::RSMPI_WIN_NULL };
        // SAFETY: collective on a valid communicator of ranks that share memory (split by
        // MPI_COMM_TYPE_SHARED); MPI writes the base pointer and the window handle; errors are
        // fatal (MPI_ERRORS_ARE_FATAL), so a returned call succeeded.
        unsafe {
            let out = &mut base as *mut *mut c_void as *mut c_void;
            ffi::MPI_Win_allocate_shared(bytes, 8, ffi::RSMPI_INFO_NULL, node.as_raw(), out, &mut win);
        }
        let (mut size, mut unit): (ffi::MPI_Aint, c_int) = (0, 0);
        let mut leaders: *mut c_void = std::ptr::null_mut();
        // SAFETY: the window was just created on this communicator; rank 0's segment exists.
        unsafe {
            ffi::MPI_Win_shared_query(win, 0, &mut size, &mut unit, &mut leaders as *mut *mut c_void as *mut c_void);
        }
        let aligned = (leaders as usize).next_multiple_of(128) as *const AtomicU64;
        assert!(size as usize >= words * 8 + 128, "the shared segment is smaller than asked");
        // One passive epoch for the window's whole life, as the unified memory model of shared
        // windows wants for direct loads and stores; `sync` orders them between the ranks.
        // SAFETY: a valid window, with no epoch open.
        unsafe { ffi::MPI_Win_lock_all(0, win) };
        let shared = NodeShared { win, base: aligned, words };
        // SAFETY: the leader zeroes its own segment before anyone reads it (`sync` below); no
        // reference to it exists yet.
        if leader {
            unsafe { std::ptr::write_bytes(aligned as *mut u64, 0, words) };
        }
        shared.sync(node);
        shared
    }

    /// Collective over the node: what every rank stored before is seen by every rank after.
    pub fn sync(&self, node: &SimpleCommunicator) {
        // SAFETY: a valid window inside the epoch `new` opened.
        unsafe { ffi::MPI_Win_sync(self.win) };
        node.barrier();
        // SAFETY: as above.
        unsafe { ffi::MPI_Win_sync(self.win) };
    }

    /// The segment's words.
    pub fn words(&self) -> &[AtomicU64] {
        // SAFETY: `base` is 128-byte aligned inside the leader's segment of at least `words`
        // words (checked in `new`), mapped until the window is freed, which takes `self` by
        // value; AtomicU64 allows shared access from every rank and thread.
        unsafe { std::slice::from_raw_parts(self.base, self.words) }
    }

    /// Collective over the node: frees the window. Dropping it instead frees nothing (a rank
    /// returning early must not wait in a collective for ranks that never come).
    pub fn free(mut self) {
        // SAFETY: a valid window inside the epoch `new` opened, freed once; `words()` borrows
        // `self`, so no slice outlives it.
        unsafe {
            ffi::MPI_Win_unlock_all(self.win);
            ffi::MPI_Win_free(&mut self.win);
        }
    }
}
