//! HPL's algorithm over MPI: right-looking LU with partial pivoting on a P × Q block-cyclic
//! grid, look-ahead of depth one, then the triangular solve U·x = y and HPL's residual check.
//!
//! Per panel j (columns j·NB..j·NB + jb): its process column factors it (`kernels::linpack::
//! Panel`, the pivot of each column agreed by one allreduce down the process column that carries
//! the winning row), then broadcasts it along the process rows (non-blocking); every process
//! then swaps the rows of its trailing columns, solves for the U block row (trsm) and updates its
//! trailing matrix (gemm). Look-ahead: the process column that owns panel j + 1 updates those
//! columns first, factors and sends panel j + 1, and only then updates the rest with panel j,
//! testing the broadcast between slices so it progresses while the others compute.

use mpi::collective::{SystemOperation, UnsafeUserOperation};
use mpi::datatype::{MutView, PartitionMut, UserDatatype, View};
use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::collections::VecDeque;
use std::os::raw::{c_int, c_void};

use super::super::gemm::Grid;
use crate::kernels::linpack::{self as k, Cyclic, Mat, MatRef, Panel};

/// Panel columns factored one at a time below this width (HPL's NBMIN).
const NBMIN: usize = 16;
/// Trailing columns updated between two looks at a pending broadcast.
const SLICE: usize = 256;

/// Seconds each phase took on this rank.
#[derive(Clone, Copy, Default, Debug)]
pub struct Phases {
    pub factor: f64,
    pub broadcast: f64,
    pub swap: f64,
    pub update: f64,
    pub solve: f64,
}

impl Phases {
    pub fn to_array(self) -> [f64; 5] {
        [self.factor, self.broadcast, self.swap, self.update, self.solve]
    }
}

/// How a solve ended.
pub enum Solved {
    /// The solution (every rank holds all of it) and this rank's phases.
    Done(Vec<f64>, Phases),
    /// A stop signal reached every rank, agreed at the same panel.
    Stopped(i32),
    /// A zero pivot at this global column.
    Singular(usize),
}

/// One process's share of the system and the grid it lives on.
pub struct System<'g> {
    pub g: &'g Grid,
    pub n: usize,
    pub nb: usize,
    pub rows: Cyclic,
    pub cols: Cyclic,
    /// Local rows and columns of [A | b].
    pub mp: usize,
    pub nq: usize,
    pub a: Vec<f64>,
}

impl<'g> System<'g> {
    pub fn new(g: &'g Grid, n: usize, nb: usize) -> System<'g> {
        let rows = Cyclic { nb, procs: g.rows, me: g.my_row };
        let cols = Cyclic { nb, procs: g.cols, me: g.my_col };
        let (mp, nq) = (rows.before(n), cols.before(n + 1));
        System { g, n, nb, rows, cols, mp, nq, a: vec![0.0; mp.max(1) * nq] }
    }

    /// Bytes one process needs for order n: its share of [A | b], two panel buffers, the U rows
    /// and the swap buffers.
    pub fn bytes(g_rows: usize, g_cols: usize, n: usize, nb: usize) -> u64 {
        let (mp, nq) = (n.div_ceil(nb).div_ceil(g_rows) * nb, (n + 1).div_ceil(nb).div_ceil(g_cols) * nb);
        8 * (mp * nq + 2 * (nb * nb + nb + mp * nb) + 5 * nb * nq) as u64
    }

    pub fn generate(&mut self, seed: u64) {
        let ld = self.ld();
        k::fill_local(seed, self.n, self.rows, self.cols, &mut self.a, ld);
    }

    fn ld(&self) -> usize {
        self.mp.max(1)
    }

    fn mat(&mut self) -> Mat {
        let ld = self.ld();
        Mat::new(&mut self.a, ld)
    }

    /// Global panel j: its first column and width.
    fn panel(&self, j: usize) -> (usize, usize) {
        let j0 = j * self.nb;
        (j0, self.nb.min(self.n - j0))
    }

    /// Length of panel j's broadcast: its diagonal block, its pivots, this process row's rows
    /// under the block.
    fn panel_len(&self, j: usize) -> usize {
        let (j0, jb) = self.panel(j);
        jb * jb + jb + (self.mp - self.rows.before(j0 + jb)) * jb
    }

    /// Factors panel j on its process column into `buf`; a zero pivot is sent as ipiv[0] = -1 - column.
    fn factor(&mut self, j: usize, buf: &mut [f64], phases: &mut Phases) {
        let t0 = mpi::time();
        let (j0, jb) = self.panel(j);
        let (lc, rb) = (self.cols.local(j0), self.rows.before(j0 + jb));
        let on_diagonal = self.rows.owner(j0) == self.g.my_row;
        let a = self.mat();
        let (top, rest) = buf.split_at_mut(jb * jb);
        let (ipiv_f, below) = rest.split_at_mut(jb);
        // The diagonal block, from its process row to the whole column.
        if on_diagonal {
            let lr = self.rows.local(j0);
            for c in 0..jb {
                // SAFETY: rows lr..lr + jb and column lc + c are this process's.
                unsafe { a.at(lr, lc + c).with_column(0, jb, |col| top[c * jb..(c + 1) * jb].copy_from_slice(col)) };
            }
        }
        if self.g.rows > 1 {
            self.g.col_comm.process_at_rank(self.rows.owner(j0) as i32).broadcast_into(&mut top[..]);
        }
        let rows_g: Vec<usize> = (rb..self.mp).map(|l| self.rows.global(l)).collect();
        let mut ipiv = vec![0usize; jb];
        let exchange = (self.g.rows > 1).then(|| PivotExchange::new(jb));
        let col_comm = &self.g.col_comm;
        let mut swap = |record: &mut [f64]| {
            if let Some(exchange) = &exchange {
                exchange.allreduce(col_comm, record);
            }
        };
        // SAFETY: the rows under the block, columns lc..lc + jb, are this process's.
        let below_view = unsafe { a.at(rb, lc) };
        let mut panel = Panel { jb, j0, top, below: below_view, rows: &rows_g };
        let outcome = panel.factor(NBMIN, &mut swap, &mut ipiv);
        // The factored diagonal block back in place, the rows under it packed for the broadcast.
        if on_diagonal {
            let lr = self.rows.local(j0);
            for c in 0..jb {
                // SAFETY: as above.
                unsafe { a.at(lr, lc + c).with_column(0, jb, |col| col.copy_from_slice(&top[c * jb..(c + 1) * jb])) };
            }
        }
        let m = self.mp - rb;
        for c in 0..jb {
            // SAFETY: as above.
            unsafe { below_view.with_column(c, m, |col| below[c * m..(c + 1) * m].copy_from_slice(col)) };
        }
        for (f, p) in ipiv_f.iter_mut().zip(&ipiv) {
            *f = *p as f64;
        }
        if let Err(k::Singular(column)) = outcome {
            ipiv_f[0] = -1.0 - column as f64;
        }
        phases.factor += mpi::time() - t0;
    }

    /// Applies panel j (in `buf`) to local columns `cols`: row swaps, U's block row, trailing
    /// update; `between` runs between slices of the update.
    fn update(&mut self, j: usize, buf: &[f64], cols: std::ops::Range<usize>, phases: &mut Phases, between: &mut dyn FnMut()) {
        if cols.is_empty() {
            return;
        }
        let (j0, jb) = self.panel(j);
        let rb = self.rows.before(j0 + jb);
        let m = self.mp - rb;
        let (top, rest) = buf.split_at(jb * jb);
        let (ipiv_f, below) = rest.split_at(jb);
        let ipiv: Vec<usize> = ipiv_f.iter().map(|&p| p as usize).collect();
        let plan = k::swap_plan(j0, &ipiv);
        let ncols = cols.len();
        let t0 = mpi::time();
        let a = self.mat();
        // U's rows: in place when one process row holds everything, else gathered into `u`.
        let mut u_rows = Vec::new();
        let u = if self.g.rows == 1 {
            let mut moved = vec![0.0; plan.len()];
            for c in cols.clone() {
                // SAFETY: column c of this process, all mp rows.
                unsafe {
                    a.with_column(c, self.mp, |col| {
                        moved.iter_mut().zip(&plan).for_each(|(v, &(_, from))| *v = col[from]);
                        plan.iter().zip(&moved).for_each(|(&(row, _), &v)| col[row] = v);
                    })
                };
            }
            // SAFETY: rows j0..j0 + jb of columns `cols`.
            unsafe { a.at(j0, cols.start) }
        } else {
            u_rows = self.gather_swapped_rows(j0, jb, &plan, cols.clone());
            Mat::new(&mut u_rows, jb)
        };
        phases.swap += mpi::time() - t0;
        let t0 = mpi::time();
        let l11 = MatRef::new(top, jb);
        // SAFETY: U holds jb × ncols, L11 jb × jb.
        unsafe { k::trsm_unit_lower(jb, ncols, l11, u) };
        if self.g.rows > 1 && self.rows.owner(j0) == self.g.my_row {
            let lr = self.rows.local(j0);
            for (i, c) in cols.clone().enumerate() {
                // SAFETY: the block row's place in this process's columns.
                unsafe { a.at(lr, c).with_column(0, jb, |col| col.copy_from_slice(&u_rows[i * jb..(i + 1) * jb])) };
            }
        }
        let l21 = MatRef::new(below, m);
        for s in (0..ncols).step_by(SLICE) {
            let w = SLICE.min(ncols - s);
            // SAFETY: C is rows rb.. of columns cols.start + s.., U and L21 other memory (or, in
            // place, rows j0..j0 + jb, above rb).
            unsafe { k::gemm_minus(m, w, jb, l21, u.at(0, s), a.at(rb, cols.start + s)) };
            between();
        }
        drop(u_rows);
        phases.update += mpi::time() - t0;
    }

    /// With several process rows: the rows the swaps of panel j touch, gathered in the process
    /// column; writes the rows under the block that change, and returns U's rows (jb × ncols,
    /// column-major), swapped but not yet solved.
    fn gather_swapped_rows(&mut self, j0: usize, jb: usize, plan: &[(usize, usize)], cols: std::ops::Range<usize>) -> Vec<f64> {
        let ncols = cols.len();
        let mut involved: Vec<usize> = (j0..j0 + jb).chain(plan.iter().map(|p| p.0)).collect();
        involved.sort_unstable();
        involved.dedup();
        let (ld, rows, a) = (self.ld(), self.rows, &self.a);
        let send: Vec<f64> = involved
            .iter()
            .filter(|&&r| rows.owner(r) == rows.me)
            .flat_map(|&r| cols.clone().map(move |c| a[rows.local(r) + c * ld]))
            .collect();
        let counts: Vec<i32> = (0..self.g.rows)
            .map(|p| (involved.iter().filter(|&&r| self.rows.owner(r) == p).count() * ncols) as i32)
            .collect();
        let displs = crate::mpi::collective::displacements(&counts);
        let mut all = vec![0.0; involved.len() * ncols];
        self.g.col_comm.all_gather_varcount_into(&send[..], &mut PartitionMut::new(&mut all[..], &counts[..], &displs[..]));
        // Row r's old content, from the gathered block of its owner.
        let offsets: Vec<usize> = {
            let mut seen = vec![0usize; self.g.rows];
            involved
                .iter()
                .map(|&r| {
                    let p = self.rows.owner(r);
                    seen[p] += 1;
                    displs[p] as usize + (seen[p] - 1) * ncols
                })
                .collect()
        };
        let old = |r: usize| {
            let i = involved.binary_search(&r).expect("every moved row was gathered");
            &all[offsets[i]..offsets[i] + ncols]
        };
        let from = |r: usize| plan.iter().find(|p| p.0 == r).map_or(r, |p| p.1);
        for &(row, source) in plan.iter().filter(|p| p.0 >= j0 + jb && self.rows.owner(p.0) == self.g.my_row) {
            let li = self.rows.local(row);
            for (c, v) in cols.clone().zip(old(source)) {
                self.a[li + c * ld] = *v;
            }
        }
        let mut u = vec![0.0; jb * ncols];
        for r in 0..jb {
            for (c, v) in old(from(j0 + r)).iter().enumerate() {
                u[r + c * jb] = *v;
            }
        }
        u
    }

    /// Factors [A | b] and solves for x. Collective over the grid's ranks.
    pub fn solve(&mut self, world: &SimpleCommunicator, corrupt: bool) -> Solved {
        let npan = self.n.div_ceil(self.nb);
        let mut phases = Phases::default();
        // Panel 0 has the most rows under its block.
        let capacity = self.panel_len(0);
        let mut bufs = [vec![0.0; capacity], vec![0.0; capacity]];
        let mut stop = StopPoll::default();
        let (q, my_col) = (self.g.cols, self.g.my_col);
        // Panel 0: factored by process column 0, then sent along the rows.
        if self.cols.owner(0) == my_col {
            let len = self.panel_len(0);
            self.factor(0, &mut bufs[0][..len], &mut phases);
        }
        let t0 = mpi::time();
        if q > 1 {
            let len = self.panel_len(0);
            self.g.row_comm.process_at_rank(0).broadcast_into(&mut bufs[0][..len]);
        }
        phases.broadcast += mpi::time() - t0;
        for j in 0..npan {
            let (j0, jb) = self.panel(j);
            let len = self.panel_len(j);
            let (cur, next) = bufs.split_at_mut(1);
            let (cur, next) = if j % 2 == 0 { (&mut cur[0], &mut next[0]) } else { (&mut next[0], &mut cur[0]) };
            if cur[jb * jb] < 0.0 {
                stop.finish();
                return Solved::Singular((-1.0 - cur[jb * jb]) as usize);
            }
            let panel = &cur[..len];
            let trailing = self.cols.before(j0 + jb)..self.nq;
            let mut pending = None;
            if j + 1 < npan {
                let (n0, nw) = self.panel(j + 1);
                let next_len = self.panel_len(j + 1);
                let owner = self.cols.owner(n0);
                let next = &mut next[..next_len];
                if owner == my_col {
                    // Look-ahead: the next panel's columns first, then factor and send it.
                    let split = self.cols.before(n0 + nw);
                    self.update(j, panel, trailing.start..split, &mut phases, &mut || {});
                    self.factor(j + 1, next, &mut phases);
                    if q > 1 {
                        // SAFETY: `next` is not touched again until the wait below.
                        pending = Some(unsafe { Ibcast::start(&self.g.row_comm, next, owner) });
                    }
                    let mut poke = || pending.iter_mut().for_each(Ibcast::test);
                    self.update(j, panel, split..trailing.end, &mut phases, &mut poke);
                } else {
                    // SAFETY: as above.
                    pending = Some(unsafe { Ibcast::start(&self.g.row_comm, next, owner) });
                    let mut poke = || pending.iter_mut().for_each(Ibcast::test);
                    self.update(j, panel, trailing, &mut phases, &mut poke);
                }
            } else {
                self.update(j, panel, trailing, &mut phases, &mut || {});
            }
            let t0 = mpi::time();
            drop(pending);
            phases.broadcast += mpi::time() - t0;
            if corrupt && j == 0 {
                self.corrupt_one_entry();
            }
            if let Some(signal) = stop.poll(world) {
                return Solved::Stopped(signal);
            }
        }
        stop.finish();
        let t0 = mpi::time();
        let x = self.back_substitute(world);
        phases.solve += mpi::time() - t0;
        Solved::Done(x, phases)
    }

    /// Test hook: one entry of the trailing matrix changed after the first panel, as a lost
    /// update in one block would; the residual must catch it.
    fn corrupt_one_entry(&mut self) {
        let g = self.n - 1;
        if self.rows.owner(g) == self.g.my_row && self.cols.owner(g) == self.g.my_col {
            let (li, lj, ld) = (self.rows.local(g), self.cols.local(g), self.ld());
            self.a[li + lj * ld] += 1.0;
        }
    }

    /// U·x = y by block rows from the bottom: the process row of block J sums its partial
    /// products into the diagonal block's owner, which solves for x_J and sends it down its
    /// process column for the blocks above. Every rank gets all of x.
    fn back_substitute(&mut self, world: &SimpleCommunicator) -> Vec<f64> {
        let (n, g) = (self.n, self.g);
        let (b_col, lb) = (self.cols.owner(n), self.cols.local(n));
        let mut acc = vec![0.0; self.mp];
        let mut mine = vec![0.0; n];
        let a = self.mat();
        for j in (0..n.div_ceil(self.nb)).rev() {
            let (j0, jb) = self.panel(j);
            let (prow, pcol) = (self.rows.owner(j0), self.cols.owner(j0));
            let mut x = vec![0.0; jb];
            if g.my_row == prow {
                let lr = self.rows.local(j0);
                let part: Vec<f64> = (0..jb)
                    .map(|r| {
                        // SAFETY: row lr + r of column lb exists where this process holds b.
                        let y = if g.my_col == b_col { unsafe { a.get(lr + r, lb) } } else { 0.0 };
                        y - acc[lr + r]
                    })
                    .collect();
                let root = g.row_comm.process_at_rank(pcol as i32);
                if g.cols == 1 {
                    x = part;
                } else if g.my_col == pcol {
                    root.reduce_into_root(&part[..], &mut x[..], SystemOperation::sum());
                } else {
                    root.reduce_into(&part[..], SystemOperation::sum());
                }
                if g.my_col == pcol {
                    // SAFETY: the diagonal block jb × jb of this process.
                    unsafe { k::trsv_upper(jb, a.at(lr, self.cols.local(j0)), &mut x) };
                    mine[j0..j0 + jb].copy_from_slice(&x);
                }
            }
            if g.my_col == pcol {
                if g.rows > 1 {
                    g.col_comm.process_at_rank(prow as i32).broadcast_into(&mut x[..]);
                }
                // SAFETY: the rows above block J in block column J of this process.
                unsafe { k::gemv_plus(self.rows.before(j0), jb, a.at(0, self.cols.local(j0)), &x, &mut acc) };
            }
        }
        let mut x = vec![0.0; n];
        world.all_reduce_into(&mine[..], &mut x[..], SystemOperation::sum());
        x
    }

    /// HPL's scaled residual of `x` against the system regenerated from `seed` (the factored
    /// matrix is overwritten), with its norms: (residual, ‖A‖∞, ‖x‖∞, ‖b‖∞).
    pub fn residual(&mut self, world: &SimpleCommunicator, seed: u64, x: &[f64]) -> (f64, f64, f64, f64) {
        self.generate(seed);
        let n = self.n;
        let ncols_a = self.cols.before(n);
        let a = self.mat();
        let x_local: Vec<f64> = (0..ncols_a).map(|l| x[self.cols.global(l)]).collect();
        let mut ax_local = vec![0.0; self.mp];
        // SAFETY: the local rows × the local columns of A.
        unsafe { k::gemv_plus(self.mp, ncols_a, a, &x_local, &mut ax_local) };
        let (mut ax, mut row_abs, mut b) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let b_here = self.cols.owner(n) == self.g.my_col;
        let ld = self.ld();
        for (li, &axl) in ax_local.iter().enumerate() {
            let gi = self.rows.global(li);
            ax[gi] = axl;
            row_abs[gi] = (0..ncols_a).map(|c| self.a[li + c * ld].abs()).sum();
            if b_here {
                b[gi] = self.a[li + self.cols.local(n) * ld];
            }
        }
        let sum = |v: &[f64]| {
            let mut all = vec![0.0; n];
            world.all_reduce_into(v, &mut all[..], SystemOperation::sum());
            all
        };
        let (ax, row_abs, b) = (sum(&ax), sum(&row_abs), sum(&b));
        // A NaN anywhere makes the norm NaN, and the check fails.
        let inf = |v: &mut dyn Iterator<Item = f64>| {
            v.fold(0.0f64, |m, y| if m.is_nan() || y.is_nan() { f64::NAN } else { m.max(y.abs()) })
        };
        let r = inf(&mut ax.iter().zip(&b).map(|(p, q)| p - q));
        let (a_inf, x_inf, b_inf) = (inf(&mut row_abs.into_iter()), inf(&mut x.iter().copied()), inf(&mut b.into_iter()));
        (k::scaled_residual(r, a_inf, x_inf, b_inf, n), a_inf, x_inf, b_inf)
    }
}

/// The pivot search's reduction: one candidate record (`kernels::linpack::record_len`) is one
/// element of a contiguous type, so no MPI algorithm cuts it apart.
struct PivotExchange {
    datatype: UserDatatype,
    op: UnsafeUserOperation,
}

/// # Safety
/// Called by MPI alone, as the operation of `PivotExchange`, with buffers of `len` elements of
/// its datatype.
unsafe extern "C" fn better_pivot(invec: *mut c_void, inoutvec: *mut c_void, len: *mut c_int, datatype: *mut ffi::MPI_Datatype) {
    // SAFETY: MPI passes `len` elements of the contiguous f64 type made in `PivotExchange::new`.
    unsafe {
        let mut bytes: c_int = 0;
        ffi::MPI_Type_size(*datatype, &mut bytes);
        let width = bytes as usize / 8;
        let n = *len as usize * width;
        let from = std::slice::from_raw_parts(invec as *const f64, n);
        let into = std::slice::from_raw_parts_mut(inoutvec as *mut f64, n);
        for (a, b) in from.chunks_exact(width).zip(into.chunks_exact_mut(width)) {
            k::keep_better(b, a);
        }
    }
}

impl PivotExchange {
    fn new(jb: usize) -> PivotExchange {
        // SAFETY: better_pivot reads and writes exactly the elements MPI passes.
        let op = unsafe { UnsafeUserOperation::commutative(better_pivot) };
        PivotExchange { datatype: UserDatatype::contiguous(k::record_len(jb) as i32, &f64::equivalent_datatype()), op }
    }

    fn allreduce(&self, comm: &SimpleCommunicator, record: &mut [f64]) {
        let mine = record.to_vec();
        // SAFETY: both buffers hold exactly one element of `datatype`.
        let (s, mut r) = unsafe {
            (View::with_count_and_datatype(&mine[..], 1, &self.datatype), MutView::with_count_and_datatype(record, 1, &self.datatype))
        };
        comm.all_reduce_into(&s, &mut r, &self.op);
    }
}

/// A non-blocking broadcast of a panel (rsmpi's scoped requests cannot outlive the loop
/// iteration that the look-ahead spans). It borrows its buffer for as long as it lives, and
/// dropping it completes the broadcast, so MPI never writes into memory freed or reused early.
struct Ibcast<'b> {
    request: ffi::MPI_Request,
    _buf: std::marker::PhantomData<&'b mut [f64]>,
}

impl<'b> Ibcast<'b> {
    /// # Safety
    /// The Ibcast must be dropped (never leaked with `mem::forget`) before `buf`'s memory is.
    unsafe fn start(comm: &SimpleCommunicator, buf: &'b mut [f64], root: usize) -> Ibcast<'b> {
        // SAFETY: reading a predefined handle.
        let mut request = unsafe { ffi::RSMPI_REQUEST_NULL };
        // SAFETY: `buf` is borrowed, exclusively, until this request completes in `drop`.
        unsafe {
            ffi::MPI_Ibcast(
                buf.as_mut_ptr() as *mut c_void,
                buf.len() as c_int,
                ffi::RSMPI_DOUBLE,
                root as c_int,
                comm.as_raw(),
                &mut request,
            );
        }
        Ibcast { request, _buf: std::marker::PhantomData }
    }

    /// Lets MPI progress the broadcast.
    fn test(&mut self) {
        let mut done: c_int = 0;
        // SAFETY: a request from MPI_Ibcast (or null once complete).
        unsafe { ffi::MPI_Test(&mut self.request, &mut done, ffi::RSMPI_STATUS_IGNORE) };
    }
}

impl Drop for Ibcast<'_> {
    fn drop(&mut self) {
        // SAFETY: as in `test`; waiting on a null request returns at once.
        unsafe { ffi::MPI_Wait(&mut self.request, ffi::RSMPI_STATUS_IGNORE) };
    }
}

/// Stop signals looked at every panel without stalling the pipeline: each panel starts a
/// non-blocking MAX of the local flag over all ranks and decides on the one started two
/// panels earlier, so every rank stops at the same panel.
#[derive(Default)]
struct StopPoll {
    pending: VecDeque<(Box<[i32; 2]>, ffi::MPI_Request)>,
}

impl StopPoll {
    fn poll(&mut self, world: &SimpleCommunicator) -> Option<i32> {
        let mut flag = Box::new([crate::run::signals::received().unwrap_or(0), 0]);
        // SAFETY: reading a predefined handle.
        let mut request = unsafe { ffi::RSMPI_REQUEST_NULL };
        // SAFETY: the boxed buffer lives in `pending` until its request completes (in `finish`
        // at the latest, which `drop` calls).
        unsafe {
            let p = flag.as_mut_ptr();
            ffi::MPI_Iallreduce(
                p as *const c_void,
                p.add(1) as *mut c_void,
                1,
                ffi::RSMPI_INT32_T,
                ffi::RSMPI_MAX,
                world.as_raw(),
                &mut request,
            );
        }
        self.pending.push_back((flag, request));
        if self.pending.len() < 3 {
            return None;
        }
        let (flag, mut request) = self.pending.pop_front().expect("three pending");
        // SAFETY: a request from MPI_Iallreduce.
        unsafe { ffi::MPI_Wait(&mut request, ffi::RSMPI_STATUS_IGNORE) };
        if flag[1] != 0 {
            self.finish();
            return Some(flag[1]);
        }
        None
    }

    /// Completes the polls still in flight.
    fn finish(&mut self) {
        for (_, mut request) in self.pending.drain(..) {
            // SAFETY: as in `poll`.
            unsafe { ffi::MPI_Wait(&mut request, ffi::RSMPI_STATUS_IGNORE) };
        }
    }
}

/// Every rank drops its poll at the same panel (a stop, a singular matrix, the end), so the
/// collectives still in flight complete alike everywhere and their buffers outlive them.
impl Drop for StopPoll {
    fn drop(&mut self) {
        self.finish();
    }
}
