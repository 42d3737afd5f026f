//! One-sided MPI (RMA) on a single 64-bit integer that rank 0 hosts and every rank reaches (a
//! bank balance, a task farm's next-task counter):
//! rsmpi 0.8 has no RMA API, so this module wraps the few mpi::ffi calls it needs behind a safe
//! interface. On one node the cell lives in shared memory (MPI_Win_allocate_shared), across
//! nodes in an RMA window (MPI_Win_allocate). Every access is an MPI atomic (accumulate
//! family), so even an unlocked read-modify-write has a defined outcome: a lost update, never
//! a torn value.

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::os::raw::{c_int, c_void};

/// The rank that hosts the cell.
const HOST: c_int = 0;

/// OpenMPI's predefined MPI_REPLACE and MPI_NO_OP: rsmpi exports no handle for them, and the
/// stack is OpenMPI 4.1, where they are the addresses of these globals.
fn op_replace() -> ffi::MPI_Op {
    // Taking the address of the predefined object reads and writes nothing.
    ffi::MPI_Op(std::ptr::addr_of_mut!(ffi::ompi_mpi_op_replace).cast())
}

fn op_no_op() -> ffi::MPI_Op {
    ffi::MPI_Op(std::ptr::addr_of_mut!(ffi::ompi_mpi_op_no_op).cast())
}

fn check(call: &str, code: c_int) {
    // Windows inherit MPI_ERRORS_ARE_FATAL, so an error normally never gets here.
    assert_eq!(code, 0, "{call} failed with MPI error {code}");
}

/// An i64 in rank 0's memory, reachable from every rank of the communicator it was made on.
pub struct Cell {
    win: ffi::MPI_Win,
    /// "shared memory" or "RMA": how the ranks reach the cell.
    pub kind: &'static str,
}

/// How an access epoch holds the cell: `Shared` lets other ranks in at the same time (so a
/// read-modify-write races), `Exclusive` keeps them out until it ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lock {
    Shared,
    Exclusive,
}

impl Lock {
    fn mpi(self) -> c_int {
        (match self {
            Lock::Shared => ffi::MPI_LOCK_SHARED,
            Lock::Exclusive => ffi::MPI_LOCK_EXCLUSIVE,
        }) as c_int
    }
}

impl Cell {
    /// Collective over `comm`: creates the cell with value `initial`. `one_node` says whether
    /// all ranks of `comm` share memory.
    pub fn new(comm: &SimpleCommunicator, one_node: bool, initial: i64) -> Cell {
        let rank = comm.rank();
        let bytes = if rank == HOST { std::mem::size_of::<i64>() as ffi::MPI_Aint } else { 0 };
        let mut base: *mut i64 = std::ptr::null_mut();
        // SAFETY: a null window handle to be filled in by MPI.
        let mut win = unsafe { ffi::RSMPI_WIN_NULL };
        // SAFETY: collective allocation on a valid communicator; MPI writes the base pointer
        // (through the void* the standard asks for) and the window handle.
        let code = unsafe {
            let (unit, info, raw, out) = (
                std::mem::size_of::<i64>() as c_int,
                ffi::RSMPI_INFO_NULL,
                comm.as_raw(),
                &mut base as *mut *mut i64 as *mut c_void,
            );
            if one_node {
                ffi::MPI_Win_allocate_shared(bytes, unit, info, raw, out, &mut win)
            } else {
                ffi::MPI_Win_allocate(bytes, unit, info, raw, out, &mut win)
            }
        };
        check("MPI_Win_allocate", code);
        let cell = Cell { win, kind: if one_node { "shared memory" } else { "RMA" } };
        if rank == HOST {
            cell.lock(Lock::Exclusive).store(initial);
        }
        comm.barrier();
        cell
    }

    /// Opens an access epoch on the cell; it ends (and its accesses complete) when the guard
    /// is dropped.
    pub fn lock(&self, lock: Lock) -> Epoch<'_> {
        // SAFETY: a valid window and target; the guard pairs it with MPI_Win_unlock.
        check("MPI_Win_lock", unsafe { ffi::MPI_Win_lock(lock.mpi(), HOST, 0, self.win) });
        Epoch { cell: self, all: false }
    }

    /// Opens a shared epoch for many accesses (MPI_Win_lock_all): cheaper than one lock per
    /// access when only atomic operations are used.
    pub fn lock_all(&self) -> Epoch<'_> {
        // SAFETY: a valid window; the guard pairs it with MPI_Win_unlock_all.
        check("MPI_Win_lock_all", unsafe { ffi::MPI_Win_lock_all(0, self.win) });
        Epoch { cell: self, all: true }
    }
}

impl Drop for Cell {
    /// Collective: every rank drops its cell at the same point of the program.
    fn drop(&mut self) {
        // SAFETY: the window is valid and no epoch is open (epochs borrow the cell).
        unsafe {
            ffi::MPI_Win_free(&mut self.win);
        }
    }
}

/// A passive-target access epoch on a `Cell`.
pub struct Epoch<'a> {
    cell: &'a Cell,
    /// Opened by `lock_all` rather than `lock`.
    all: bool,
}

impl Epoch<'_> {
    /// Atomically reads the cell (MPI_Get_accumulate with MPI_NO_OP) and waits for the value.
    pub fn load(&self) -> i64 {
        let mut value = 0i64;
        // SAFETY: one i64 at displacement 0 of the host's window; the flush completes the
        // operation before `value` is read.
        unsafe {
            let t = ffi::RSMPI_INT64_T;
            let dummy = 0i64;
            check(
                "MPI_Get_accumulate",
                ffi::MPI_Get_accumulate(
                    &dummy as *const i64 as *const c_void,
                    1,
                    t,
                    &mut value as *mut i64 as *mut c_void,
                    1,
                    t,
                    HOST,
                    0,
                    1,
                    t,
                    op_no_op(),
                    self.cell.win,
                ),
            );
            check("MPI_Win_flush", ffi::MPI_Win_flush(HOST, self.cell.win));
        }
        value
    }

    /// Atomically replaces the cell's value (MPI_Accumulate with MPI_REPLACE) and waits until
    /// it is written.
    pub fn store(&self, value: i64) {
        // SAFETY: one i64 at displacement 0 of the host's window; the flush completes the
        // operation while `value` is alive.
        unsafe {
            let t = ffi::RSMPI_INT64_T;
            check(
                "MPI_Accumulate",
                ffi::MPI_Accumulate(
                    &value as *const i64 as *const c_void,
                    1,
                    t,
                    HOST,
                    0,
                    1,
                    t,
                    op_replace(),
                    self.cell.win,
                ),
            );
            check("MPI_Win_flush", ffi::MPI_Win_flush(HOST, self.cell.win));
        }
    }

    /// Atomically adds `delta` (MPI_Fetch_and_op with MPI_SUM) and returns the value before.
    pub fn fetch_add(&self, delta: i64) -> i64 {
        let mut before = 0i64;
        // SAFETY: as in `load`.
        unsafe {
            check(
                "MPI_Fetch_and_op",
                ffi::MPI_Fetch_and_op(
                    &delta as *const i64 as *const c_void,
                    &mut before as *mut i64 as *mut c_void,
                    ffi::RSMPI_INT64_T,
                    HOST,
                    0,
                    ffi::RSMPI_SUM,
                    self.cell.win,
                ),
            );
            check("MPI_Win_flush", ffi::MPI_Win_flush(HOST, self.cell.win));
        }
        before
    }

    /// Atomically replaces the value by `new` if it is `expected` (MPI_Compare_and_swap);
    /// returns the value found.
    pub fn compare_and_swap(&self, expected: i64, new: i64) -> i64 {
        let mut found = 0i64;
        // SAFETY: as in `load`.
        unsafe {
            check(
                "MPI_Compare_and_swap",
                ffi::MPI_Compare_and_swap(
                    &new as *const i64 as *const c_void,
                    &expected as *const i64 as *const c_void,
                    &mut found as *mut i64 as *mut c_void,
                    ffi::RSMPI_INT64_T,
                    HOST,
                    0,
                    self.cell.win,
                ),
            );
            check("MPI_Win_flush", ffi::MPI_Win_flush(HOST, self.cell.win));
        }
        found
    }
}

impl Drop for Epoch<'_> {
    fn drop(&mut self) {
        // SAFETY: this epoch was opened by `Cell::lock` or `Cell::lock_all` on this window.
        unsafe {
            if self.all {
                check("MPI_Win_unlock_all", ffi::MPI_Win_unlock_all(self.cell.win));
            } else {
                check("MPI_Win_unlock", ffi::MPI_Win_unlock(HOST, self.cell.win));
            }
        }
    }
}
