//! A window of non-blocking point-to-point messages, as bandwidth benchmarks post them, with no
//! allocation per window. rsmpi's RequestCollection grows with every request it is given and
//! is not reset by wait_all, so this small module calls MPI_Isend, MPI_Irecv and MPI_Waitall
//! through mpi::ffi on a request array allocated once.

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use std::os::raw::{c_int, c_void};

pub struct Window {
    requests: Vec<ffi::MPI_Request>,
    posted: usize,
}

impl Window {
    pub fn new(capacity: usize) -> Window {
        // SAFETY: reading a predefined handle.
        let null = unsafe { ffi::RSMPI_REQUEST_NULL };
        Window { requests: vec![null; capacity], posted: 0 }
    }

    fn slot(&mut self) -> *mut ffi::MPI_Request {
        assert!(self.posted < self.requests.len(), "window full");
        self.posted += 1;
        &mut self.requests[self.posted - 1]
    }

    /// Posts a send of `buf` to `peer`.
    ///
    /// # Safety
    /// `buf` must stay alive and unwritten until `wait_all` returns.
    pub unsafe fn send(&mut self, comm: &SimpleCommunicator, buf: &[u8], peer: i32, tag: i32) {
        let request = self.slot();
        // SAFETY: the caller keeps `buf` alive until the request completes; count, datatype
        // and communicator are valid.
        unsafe {
            ffi::MPI_Isend(
                buf.as_ptr() as *const c_void,
                buf.len() as c_int,
                ffi::RSMPI_UINT8_T,
                peer,
                tag,
                comm.as_raw(),
                request,
            );
        }
    }

    /// Posts a receive into `buf` from `peer`.
    ///
    /// # Safety
    /// `buf` must stay alive and untouched until `wait_all` returns, and must not overlap the
    /// buffer of another pending receive.
    pub unsafe fn receive(&mut self, comm: &SimpleCommunicator, buf: &mut [u8], peer: i32, tag: i32) {
        let request = self.slot();
        // SAFETY: the caller keeps `buf` alive and exclusive until the request completes.
        unsafe {
            ffi::MPI_Irecv(
                buf.as_mut_ptr() as *mut c_void,
                buf.len() as c_int,
                ffi::RSMPI_UINT8_T,
                peer,
                tag,
                comm.as_raw(),
                request,
            );
        }
    }

    /// Completes every posted request; the window can then be reused.
    pub fn wait_all(&mut self) {
        // SAFETY: the first `posted` requests were posted above; MPI sets them to null.
        unsafe {
            ffi::MPI_Waitall(self.posted as c_int, self.requests.as_mut_ptr(), ffi::RSMPI_STATUSES_IGNORE);
        }
        self.posted = 0;
    }
}

/// A window dropped with messages in flight (an early return, a panic unwinding) completes them
/// first: MPI must not write into buffers that may be freed after it.
impl Drop for Window {
    fn drop(&mut self) {
        self.wait_all();
    }
}
