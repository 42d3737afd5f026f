//! One-sided MPI (RMA) on a single 64-bit integer that rank 0 hosts and every rank reaches (a
//! bank balance, a task farm's next-task counter):
//! rsmpi 0.8 has no RMA API, so this module wraps the few mpi::ffi calls it needs behind a safe
//! interface. On one node the cell lives in shared memory (MPI_Win_allocate_shared), across
//! nodes in an RMA window (MPI_Win_allocate, else MPI_Win_create). Creation may fail where the
//! library has no one-sided transport for the network (Open MPI 4.1 over TCP by default): the
//! caller gets the reason and decides. Every access is an MPI atomic (accumulate family), so
//! even an unlocked read-modify-write has a defined outcome: a lost update, never a torn value.

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::os::raw::{c_int, c_void};

/// The rank that hosts the cell.
const HOST: c_int = 0;

// MPI_REPLACE and MPI_NO_OP, which rsmpi does not export: from src/mpi/handles.c, compiled
// against the MPI library's own header (Open MPI's are addresses of globals, MPICH's integers).
extern "C" {
    fn parahpc_mpi_op_replace() -> ffi::MPI_Op;
    fn parahpc_mpi_op_no_op() -> ffi::MPI_Op;
}

fn op_replace() -> ffi::MPI_Op {
    // SAFETY: returns a predefined handle; reads nothing else.
    unsafe { parahpc_mpi_op_replace() }
}

fn op_no_op() -> ffi::MPI_Op {
    // SAFETY: as above.
    unsafe { parahpc_mpi_op_no_op() }
}

fn check(call: &str, code: c_int) {
    // Windows inherit MPI_ERRORS_ARE_FATAL, so an error normally never gets here.
    assert_eq!(code, 0, "{call} failed with MPI error {code}");
}

/// An i64 in rank 0's memory, reachable from every rank of the communicator it was made on.
pub struct Cell {
    win: ffi::MPI_Win,
    /// The window's own communicator: a duplicate whose errors are returned, not fatal, so a
    /// window the MPI library cannot create is an answer rather than an abort.
    comm: ffi::MPI_Comm,
    /// Memory given to MPI_Win_create (MPI_Alloc_mem), freed after the window.
    memory: *mut c_void,
    /// How the ranks reach the cell.
    pub reach: Reach,
}

/// How the ranks reach a cell, for the results file.
#[derive(Clone, Debug)]
pub struct Reach {
    /// "shared memory" or "RMA".
    pub kind: &'static str,
    /// The MPI call that created the window.
    pub creation: &'static str,
    /// The one-sided component that serves it, where the library names its windows after it
    /// (Open MPI: "rdma window 3"); empty if unknown.
    pub component: String,
}

impl Reach {
    /// E.g. "RMA (MPI_Win_allocate, Open MPI osc/pt2pt)".
    pub fn describe(&self) -> String {
        match self.component.as_str() {
            "" => format!("{} ({})", self.kind, self.creation),
            c => format!("{} ({}, osc/{c})", self.kind, self.creation),
        }
    }
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

/// The ways a window can be created, tried in order.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Creation {
    AllocateShared,
    Allocate,
    Create,
}

impl Creation {
    fn name(self) -> &'static str {
        match self {
            Creation::AllocateShared => "MPI_Win_allocate_shared",
            Creation::Allocate => "MPI_Win_allocate",
            Creation::Create => "MPI_Win_create",
        }
    }
}

/// Open MPI names each window after its one-sided component ("pt2pt window 3"); the component.
fn component_of(window_name: &str) -> String {
    match window_name.rsplit_once(" window ") {
        Some((component, n)) if n.chars().all(|c| c.is_ascii_digit()) => component.to_string(),
        _ => String::new(),
    }
}

/// The text of an MPI error code.
fn error_text(code: c_int) -> String {
    let mut buf = vec![0u8; ffi::MPI_MAX_ERROR_STRING as usize + 1];
    let mut len: c_int = 0;
    // SAFETY: the buffer holds MPI_MAX_ERROR_STRING characters, as the standard requires.
    unsafe { ffi::MPI_Error_string(code, buf.as_mut_ptr().cast(), &mut len) };
    String::from_utf8_lossy(&buf[..len.max(0) as usize]).trim().to_string()
}

impl Cell {
    /// Collective over `comm`: creates the cell with value `initial`, in shared memory when all
    /// ranks of `comm` share a node (`one_node`), else in an RMA window. When the MPI library
    /// cannot create such a window (Open MPI 4.1's default osc/rdma over TCP), every rank gets
    /// the same error, saying what was tried and how to get a window.
    pub fn new(comm: &SimpleCommunicator, one_node: bool, initial: i64) -> Result<Cell, String> {
        // SAFETY: duplicating a valid communicator into a handle MPI fills in, then making its
        // errors return codes; the duplicate is freed when the cell is.
        let mut dup = unsafe { ffi::RSMPI_COMM_NULL };
        unsafe {
            check("MPI_Comm_dup", ffi::MPI_Comm_dup(comm.as_raw(), &mut dup));
            check("MPI_Comm_set_errhandler", ffi::MPI_Comm_set_errhandler(dup, ffi::RSMPI_ERRORS_RETURN));
        }
        let tries: &[Creation] = if one_node {
            &[Creation::AllocateShared, Creation::Allocate]
        } else {
            &[Creation::Allocate, Creation::Create]
        };
        let mut failures = Vec::new();
        for &creation in tries {
            let (code, cell) = Cell::create(dup, creation);
            // A window exists only if every rank has one: agree before using or freeing it.
            let mine = c_int::from(code == 0);
            let mut all = 0;
            comm.all_reduce_into(&mine, &mut all, mpi::collective::SystemOperation::min());
            match (all, cell) {
                (1, Some(cell)) => {
                    if comm.rank() == HOST {
                        cell.lock(Lock::Exclusive).store(initial);
                    }
                    comm.barrier();
                    return Ok(cell);
                }
                (_, Some(_)) => panic!("{} created a window on some ranks only", creation.name()),
                _ => failures.push(format!("{}: {}", creation.name(), error_text(code))),
            }
        }
        // SAFETY: no window uses the duplicate any more.
        unsafe { ffi::MPI_Comm_free(&mut dup) };
        Err(format!(
            "MPI one-sided communication is not available between these ranks ({}). Open MPI 4.1's \
             default one-sided component, osc/rdma, needs a network with RDMA; over TCP, launch with \
             OMPI_MCA_osc=pt2pt (or ucx, where Open MPI was built with UCX) in the environment",
            failures.join("; ")
        ))
    }

    /// One attempt: the MPI return code, and the cell if this rank got a window.
    fn create(dup: ffi::MPI_Comm, creation: Creation) -> (c_int, Option<Cell>) {
        let mut rank = 0;
        // SAFETY: a valid communicator.
        unsafe { ffi::MPI_Comm_rank(dup, &mut rank) };
        let bytes = if rank == HOST { std::mem::size_of::<i64>() as ffi::MPI_Aint } else { 0 };
        let unit = std::mem::size_of::<i64>() as c_int;
        let mut base: *mut c_void = std::ptr::null_mut();
        let mut memory: *mut c_void = std::ptr::null_mut();
        // SAFETY: a null window handle to be filled in by MPI.
        let mut win = unsafe { ffi::RSMPI_WIN_NULL };
        // SAFETY: collective creation on a valid communicator; MPI writes the base pointer
        // (through the void* the standard asks for) and the window handle. MPI_Win_create
        // exposes memory from MPI_Alloc_mem, owned by the cell until it is dropped.
        let code = unsafe {
            let (info, out) = (ffi::RSMPI_INFO_NULL, &mut base as *mut *mut c_void as *mut c_void);
            match creation {
                Creation::AllocateShared => ffi::MPI_Win_allocate_shared(bytes, unit, info, dup, out, &mut win),
                Creation::Allocate => ffi::MPI_Win_allocate(bytes, unit, info, dup, out, &mut win),
                Creation::Create => {
                    let code = ffi::MPI_Alloc_mem(bytes.max(1), info, &mut memory as *mut *mut c_void as *mut c_void);
                    if code != 0 {
                        return (code, None);
                    }
                    ffi::MPI_Win_create(memory, bytes, unit, info, dup, &mut win)
                }
            }
        };
        if code != 0 {
            if !memory.is_null() {
                // SAFETY: allocated above and exposed by no window.
                unsafe { ffi::MPI_Free_mem(memory) };
            }
            return (code, None);
        }
        let mut name = vec![0u8; ffi::MPI_MAX_OBJECT_NAME as usize + 1];
        let mut len: c_int = 0;
        // SAFETY: a valid window and a buffer of MPI_MAX_OBJECT_NAME characters.
        unsafe { ffi::MPI_Win_get_name(win, name.as_mut_ptr().cast(), &mut len) };
        let component = component_of(&String::from_utf8_lossy(&name[..len.max(0) as usize]));
        let kind = if creation == Creation::AllocateShared { "shared memory" } else { "RMA" };
        (0, Some(Cell { win, comm: dup, memory, reach: Reach { kind, creation: creation.name(), component } }))
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

impl Cell {
    /// Collective: every rank frees its cell at the same point of the program. A cell that is
    /// dropped instead (an early return on one rank, an error that ends in MPI_Abort) frees
    /// nothing: a collective there would wait for ranks that never come, and MPI_Finalize or
    /// the abort releases the window.
    pub fn free(mut self) {
        // SAFETY: the window is valid and no epoch is open (epochs borrow the cell); its
        // memory and communicator outlive it and are freed after it.
        unsafe {
            ffi::MPI_Win_free(&mut self.win);
            if !self.memory.is_null() {
                ffi::MPI_Free_mem(self.memory);
            }
            ffi::MPI_Comm_free(&mut self.comm);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_mpi_window_names_give_the_component() {
        assert_eq!(component_of("rdma window 3"), "rdma");
        assert_eq!(component_of("pt2pt window 12"), "pt2pt");
        assert_eq!(component_of(""), "");
        assert_eq!(component_of("my window"), "");
    }
}
