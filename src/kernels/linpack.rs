//! HPL's LU factorisation with partial pivoting, the pieces that need no MPI: the 2-D
//! block-cyclic layout, the random matrix generated from global indices, the recursive panel
//! factorisation (its pivot exchange passed in, so one process tests it alone), the row swaps as
//! one permutation, the BLAS calls of the update and the solve, and HPL's checks and counts.
//!
//! Matrices are column-major, as BLAS and HPL keep them. The system is [A | b], N × (N + 1): b
//! rides along as column N, so that the factorisation leaves L⁻¹Pb there and only U·x = y
//! remains to solve (HPL does the same).

use cblas_sys as cb;
use std::os::raw::c_int;

/// HPL's bound for its scaled residual: a correct solve stays below it.
pub const RESIDUAL_THRESHOLD: f64 = 16.0;

/// HPL's machine epsilon (LAPACK's dlamch('E'): the unit roundoff 2⁻⁵³).
pub const EPS: f64 = f64::EPSILON / 2.0;

/// The flops HPL credits a solve of order n with: 2/3 n³ + 3/2 n².
pub fn flops(n: usize) -> f64 {
    let n = n as f64;
    2.0 / 3.0 * n * n * n + 1.5 * n * n
}

/// HPL's scaled residual ‖Ax − b‖∞ / (ε (‖A‖∞ ‖x‖∞ + ‖b‖∞) N).
pub fn scaled_residual(r_inf: f64, a_inf: f64, x_inf: f64, b_inf: f64, n: usize) -> f64 {
    r_inf / (EPS * (a_inf * x_inf + b_inf) * n as f64)
}

/// Entry (i, j) of the system [A | b] for `seed`, in [-0.5, 0.5): the same on every rank and
/// for every grid, as HPL's generator (column n is b).
pub fn entry(seed: u64, i: usize, j: usize) -> f64 {
    super::gemm::entry(seed, i, j)
}

/// How many of the indices 0..n process `p` of `procs` holds when blocks of `nb` are dealt out
/// in turn (ScaLAPACK's numroc).
pub fn numroc(n: usize, nb: usize, p: usize, procs: usize) -> usize {
    let blocks = n / nb;
    let extra = blocks % procs;
    let mut count = blocks / procs * nb;
    if p < extra {
        count += nb;
    } else if p == extra {
        count += n % nb;
    }
    count
}

/// One dimension of the block-cyclic layout: blocks of `nb` dealt to `procs` processes, seen
/// from process `me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cyclic {
    pub nb: usize,
    pub procs: usize,
    pub me: usize,
}

impl Cyclic {
    /// The process holding global index `g`.
    pub fn owner(&self, g: usize) -> usize {
        (g / self.nb) % self.procs
    }

    /// Where global index `g` sits on its owner.
    pub fn local(&self, g: usize) -> usize {
        g / (self.nb * self.procs) * self.nb + g % self.nb
    }

    /// The global index of this process's local index `l`.
    pub fn global(&self, l: usize) -> usize {
        ((l / self.nb) * self.procs + self.me) * self.nb + l % self.nb
    }

    /// How many of the global indices 0..g this process holds: the first local index at or
    /// after g.
    pub fn before(&self, g: usize) -> usize {
        numroc(g, self.nb, self.me, self.procs)
    }
}

/// The local part of [A | b] for `rows` × `cols` of an n × (n + 1) system, column-major with
/// leading dimension `ld` (at least the local row count).
pub fn fill_local(seed: u64, n: usize, rows: Cyclic, cols: Cyclic, a: &mut [f64], ld: usize) {
    let (mp, nq) = (rows.before(n), cols.before(n + 1));
    for lj in 0..nq {
        let j = cols.global(lj);
        for (li, x) in a[lj * ld..lj * ld + mp].iter_mut().enumerate() {
            *x = entry(seed, rows.global(li), j);
        }
    }
}

/// A column-major matrix view: a pointer and a leading dimension. BLAS needs views that share
/// one allocation (a panel's left columns update its right ones), which slices cannot express;
/// every use below stays inside the allocation the view was made from. `Mat` writes, `MatRef`
/// only reads (BLAS's input operands), so a view made from a shared slice can never write.
#[derive(Clone, Copy, Debug)]
pub struct Mat {
    ptr: *mut f64,
    pub ld: usize,
}

/// A read-only column-major view (see `Mat`).
#[derive(Clone, Copy, Debug)]
pub struct MatRef {
    ptr: *const f64,
    pub ld: usize,
}

impl From<Mat> for MatRef {
    fn from(m: Mat) -> MatRef {
        MatRef { ptr: m.ptr, ld: m.ld }
    }
}

impl MatRef {
    pub fn new(data: &[f64], ld: usize) -> MatRef {
        MatRef { ptr: data.as_ptr(), ld: ld.max(1) }
    }
}

impl Mat {
    pub fn new(data: &mut [f64], ld: usize) -> Mat {
        Mat { ptr: data.as_mut_ptr(), ld: ld.max(1) }
    }

    /// The view starting at (i, j).
    ///
    /// # Safety
    /// (i, j) must lie inside the allocation (or one past it for an empty view).
    pub unsafe fn at(self, i: usize, j: usize) -> Mat {
        Mat { ptr: unsafe { self.ptr.add(i + j * self.ld) }, ld: self.ld }
    }

    fn ptr(self, i: usize, j: usize) -> *mut f64 {
        self.ptr.wrapping_add(i + j * self.ld)
    }

    /// # Safety
    /// (i, j) must lie inside the allocation, and no mutable reference may cover it.
    pub unsafe fn get(self, i: usize, j: usize) -> f64 {
        unsafe { *self.ptr(i, j) }
    }

    /// # Safety
    /// (i, j) must lie inside the allocation, and no other reference may cover it.
    pub unsafe fn set(self, i: usize, j: usize, v: f64) {
        unsafe { *self.ptr(i, j) = v }
    }

    /// Runs `f` on column j, rows 0..m, as a mutable slice that cannot outlive the call.
    ///
    /// # Safety
    /// The column must lie inside the allocation and not be referenced elsewhere meanwhile.
    pub unsafe fn with_column<R>(self, j: usize, m: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
        f(unsafe { std::slice::from_raw_parts_mut(self.ptr(0, j), m) })
    }
}

fn int(n: usize) -> c_int {
    c_int::try_from(n).expect("BLAS dimensions fit a C int")
}

/// C (m × n) −= A (m × k) · B (k × n): the update every LU step spends its time in.
///
/// # Safety
/// The three views must hold those extents, and C must not overlap A or B.
pub unsafe fn gemm_minus(m: usize, n: usize, k: usize, a: impl Into<MatRef>, b: impl Into<MatRef>, c: Mat) {
    let (a, b) = (a.into(), b.into());
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    // SAFETY: the caller's contract: the views hold these extents, and BLAS touches no more.
    unsafe {
        cb::cblas_dgemm(
            cb::CblasColMajor,
            cb::CblasNoTrans,
            cb::CblasNoTrans,
            int(m),
            int(n),
            int(k),
            -1.0,
            a.ptr,
            int(a.ld),
            b.ptr,
            int(b.ld),
            1.0,
            c.ptr,
            int(c.ld),
        )
    }
}

/// B (m × n) := L⁻¹ B, L the unit lower triangle of the m × m view `l`.
///
/// # Safety
/// The views must hold those extents and not overlap.
pub unsafe fn trsm_unit_lower(m: usize, n: usize, l: impl Into<MatRef>, b: Mat) {
    let l = l.into();
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the caller's contract: the views hold these extents, and BLAS touches no more.
    unsafe {
        cb::cblas_dtrsm(
            cb::CblasColMajor,
            cb::CblasLeft,
            cb::CblasLower,
            cb::CblasNoTrans,
            cb::CblasUnit,
            int(m),
            int(n),
            1.0,
            l.ptr,
            int(l.ld),
            b.ptr,
            int(b.ld),
        )
    }
}

/// x := U⁻¹ x, U the upper triangle (with its diagonal) of the m × m view `u`.
///
/// # Safety
/// `u` must hold m × m.
pub unsafe fn trsv_upper(m: usize, u: impl Into<MatRef>, x: &mut [f64]) {
    let u = u.into();
    if m == 0 {
        return;
    }
    // SAFETY: the caller's contract: the views hold these extents, and BLAS touches no more.
    unsafe {
        cb::cblas_dtrsv(
            cb::CblasColMajor,
            cb::CblasUpper,
            cb::CblasNoTrans,
            cb::CblasNonUnit,
            int(m),
            u.ptr,
            int(u.ld),
            x.as_mut_ptr(),
            1,
        )
    }
}

/// y += A (m × n) · x.
///
/// # Safety
/// `a` must hold m × n.
pub unsafe fn gemv_plus(m: usize, n: usize, a: impl Into<MatRef>, x: &[f64], y: &mut [f64]) {
    let a = a.into();
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the caller's contract: the views hold these extents, and BLAS touches no more.
    unsafe {
        cb::cblas_dgemv(
            cb::CblasColMajor,
            cb::CblasNoTrans,
            int(m),
            int(n),
            1.0,
            a.ptr,
            int(a.ld),
            x.as_ptr(),
            1,
            1.0,
            y.as_mut_ptr(),
            1,
        )
    }
}

/// A pivot candidate as the column's processes exchange it: |value|, its global row, then the
/// whole row of the panel (so the winner's row travels with the verdict, as in HPL's pdmxswp).
pub fn record_len(jb: usize) -> usize {
    2 + jb
}

/// Keeps in `into` the better of two candidates: the larger magnitude, the lower row on a tie,
/// so every reduction order picks the same row. A NaN never wins.
pub fn keep_better(into: &mut [f64], from: &[f64]) {
    if from[0] > into[0] || (from[0] == into[0] && from[1] < into[1]) {
        into.copy_from_slice(from);
    }
}

/// A panel being factored on one process: jb columns; `top`, the jb × jb block of the diagonal
/// rows (j0..j0 + jb), the same on every process of the column; `below`, this process's rows
/// under it (`rows` their global indices, ascending).
pub struct Panel<'a> {
    pub jb: usize,
    pub j0: usize,
    pub top: &'a mut [f64],
    pub below: Mat,
    pub rows: &'a [usize],
}

/// A zero pivot: the matrix is singular to working precision at this global column.
#[derive(Debug, PartialEq)]
pub struct Singular(pub usize);

impl Panel<'_> {
    fn top(&mut self) -> Mat {
        Mat::new(self.top, self.jb)
    }

    /// Factors the panel in place, recursively (halves until `nbmin` columns, each left half
    /// updating the right one with trsm and gemm), as HPL's recursive panel factorisation.
    /// `exchange` turns this process's best candidate into the column's; `ipiv[k]` gets the
    /// global row swapped with row j0 + k.
    pub fn factor(
        &mut self,
        nbmin: usize,
        exchange: &mut dyn FnMut(&mut [f64]),
        ipiv: &mut [usize],
    ) -> Result<(), Singular> {
        self.recurse(0, self.jb, nbmin.max(1), exchange, ipiv)
    }

    fn recurse(
        &mut self,
        c0: usize,
        c1: usize,
        nbmin: usize,
        exchange: &mut dyn FnMut(&mut [f64]),
        ipiv: &mut [usize],
    ) -> Result<(), Singular> {
        if c1 - c0 <= nbmin {
            return self.leaf(c0, c1, exchange, ipiv);
        }
        let mid = c0 + (c1 - c0) / 2;
        self.recurse(c0, mid, nbmin, exchange, ipiv)?;
        let (w1, w2, m, top) = (mid - c0, c1 - mid, self.rows.len(), self.top());
        // SAFETY: every view lies inside `top` (jb × jb) or `below` (m × jb); L and U are
        // other columns (or rows) than the block each call writes.
        unsafe {
            trsm_unit_lower(w1, w2, top.at(c0, c0), top.at(c0, mid));
            gemm_minus(self.jb - mid, w2, w1, top.at(mid, c0), top.at(c0, mid), top.at(mid, mid));
            gemm_minus(m, w2, w1, self.below.at(0, c0), top.at(c0, mid), self.below.at(0, mid));
        }
        self.recurse(mid, c1, nbmin, exchange, ipiv)
    }

    /// Columns c0..c1 one at a time: pivot, swap, scale, rank-1 update of the leaf's columns.
    fn leaf(
        &mut self,
        c0: usize,
        c1: usize,
        exchange: &mut dyn FnMut(&mut [f64]),
        ipiv: &mut [usize],
    ) -> Result<(), Singular> {
        let (jb, m, top, below) = (self.jb, self.rows.len(), self.top(), self.below);
        let mut record = vec![0.0; record_len(jb)];
        for (k, pivot_row) in ipiv.iter_mut().enumerate().take(c1).skip(c0) {
            // SAFETY (this block): indices stay within top (jb × jb) and below (m × jb).
            unsafe {
                // This process's best: the diagonal rows first, so a tie keeps the lower row.
                let (mut best, mut at) = (-1.0, None);
                for r in k..jb {
                    let v = top.get(r, k).abs();
                    if v > best {
                        (best, at) = (v, Some((true, r)));
                    }
                }
                for i in 0..m {
                    let v = below.get(i, k).abs();
                    if v > best {
                        (best, at) = (v, Some((false, i)));
                    }
                }
                record[0] = best;
                match at {
                    Some((true, r)) => {
                        record[1] = (self.j0 + r) as f64;
                        (0..jb).for_each(|c| record[2 + c] = top.get(r, c));
                    }
                    Some((false, i)) => {
                        record[1] = self.rows[i] as f64;
                        (0..jb).for_each(|c| record[2 + c] = below.get(i, c));
                    }
                    // NaNs everywhere: never better than a real candidate.
                    None => record[1] = f64::MAX,
                }
                exchange(&mut record);
                // No candidate but NaNs in the whole column.
                if record[0] < 0.0 {
                    return Err(Singular(self.j0 + k));
                }
                let row = record[1] as usize;
                *pivot_row = row;
                if row < self.j0 + jb {
                    let r = row - self.j0;
                    (0..jb).for_each(|c| {
                        let (x, y) = (top.get(k, c), top.get(r, c));
                        top.set(k, c, y);
                        top.set(r, c, x);
                    });
                } else {
                    // The owner of the pivot row takes the diagonal row in exchange.
                    if let Ok(i) = self.rows.binary_search(&row) {
                        (0..jb).for_each(|c| below.set(i, c, top.get(k, c)));
                    }
                    (0..jb).for_each(|c| top.set(k, c, record[2 + c]));
                }
                let pivot = top.get(k, k);
                if pivot == 0.0 || !pivot.is_finite() {
                    return Err(Singular(self.j0 + k));
                }
                below.with_column(k, m, |lk| {
                    lk.iter_mut().for_each(|x| *x /= pivot);
                    (k + 1..jb).for_each(|r| top.set(r, k, top.get(r, k) / pivot));
                    for c in k + 1..c1 {
                        let u = top.get(k, c);
                        (k + 1..jb).for_each(|r| top.set(r, c, top.get(r, c) - top.get(r, k) * u));
                        // Column c is not column k: the two slices never overlap.
                        below.with_column(c, m, |lc| lc.iter_mut().zip(lk.iter()).for_each(|(x, l)| *x -= l * u));
                    }
                });
            }
        }
        Ok(())
    }
}

/// The row swaps of one panel (row j0 + k with ipiv[k], in order) as one permutation of the rows
/// they touch: (row, the row whose old content it ends up with), every row that changes once.
pub fn swap_plan(j0: usize, ipiv: &[usize]) -> Vec<(usize, usize)> {
    let mut content: Vec<(usize, usize)> = Vec::with_capacity(2 * ipiv.len());
    let slot = |row: usize, content: &mut Vec<(usize, usize)>| match content.iter().position(|&(r, _)| r == row) {
        Some(i) => i,
        None => {
            content.push((row, row));
            content.len() - 1
        }
    };
    for (k, &p) in ipiv.iter().enumerate() {
        let (a, b) = (slot(j0 + k, &mut content), slot(p, &mut content));
        let (ca, cb) = (content[a].1, content[b].1);
        content[a].1 = cb;
        content[b].1 = ca;
    }
    content.retain(|&(row, from)| row != from);
    content.sort_unstable();
    content
}

/// The N at which a rate curve first reaches half its best rate (the Top500's N½), linearly
/// between the measured sizes; `None` when the smallest size is already above half.
pub fn half_rate_n(points: &[(usize, f64)]) -> Option<f64> {
    let mut sorted: Vec<(usize, f64)> = points.to_vec();
    sorted.sort_by_key(|p| p.0);
    let half = sorted.iter().map(|p| p.1).fold(0.0, f64::max) / 2.0;
    if sorted.first()?.1 >= half {
        return None;
    }
    sorted.windows(2).find(|w| w[1].1 >= half).map(|w| {
        let ((n0, r0), (n1, r1)) = (w[0], w[1]);
        n0 as f64 + (half - r0) / (r1 - r0) * (n1 - n0) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_cyclic_indices_round_trip_and_count() {
        for (n, nb, procs) in [(10, 3, 2), (7, 8, 3), (64, 4, 4), (1, 1, 1)] {
            let mut seen = vec![0; n];
            for me in 0..procs {
                let c = Cyclic { nb, procs, me };
                let count = numroc(n, nb, me, procs);
                for l in 0..count {
                    let g = c.global(l);
                    assert_eq!((c.owner(g), c.local(g)), (me, l));
                    seen[g] += 1;
                }
                for g in 0..=n {
                    assert_eq!(c.before(g), (0..count).filter(|&l| c.global(l) < g).count());
                }
            }
            assert!(seen.iter().all(|&s| s == 1), "{n} {nb} {procs}: {seen:?}");
        }
    }

    #[test]
    fn the_swap_plan_is_the_swaps_applied_in_order() {
        for ipiv in [vec![3, 1, 2], vec![0, 1, 2], vec![5, 5, 4], vec![2, 7, 7]] {
            let mut rows: Vec<usize> = (0..10).collect();
            for (k, &p) in ipiv.iter().enumerate() {
                rows.swap(k, p);
            }
            let mut planned: Vec<usize> = (0..10).collect();
            for (row, from) in swap_plan(0, &ipiv) {
                planned[row] = from;
            }
            assert_eq!(planned, rows, "{ipiv:?}");
        }
    }

    /// Factors a whole n × n matrix as one panel (one process) and checks P·A = L·U.
    fn factor_alone(n: usize, nbmin: usize) {
        let a0: Vec<f64> = (0..n * n).map(|idx| entry(7, idx % n, idx / n)).collect();
        let mut top = a0.clone();
        let mut ipiv = vec![0; n];
        let mut none: [f64; 0] = [];
        let mut panel = Panel { jb: n, j0: 0, top: &mut top, below: Mat::new(&mut none, 1), rows: &[] };
        panel.factor(nbmin, &mut |_| {}, &mut ipiv).unwrap();
        let mut pa = a0.clone();
        for (k, &p) in ipiv.iter().enumerate() {
            for c in 0..n {
                pa.swap(k + c * n, p + c * n);
            }
        }
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                let lu: f64 = (0..=i.min(j)).map(|k| if k == i { 1.0 } else { top[i + k * n] } * top[k + j * n]).sum();
                worst = worst.max((lu - pa[i + j * n]).abs());
            }
        }
        assert!(worst < 1e-12 * n as f64, "n = {n}, nbmin = {nbmin}: |PA - LU| = {worst:e}");
        // Partial pivoting keeps every multiplier at most 1.
        assert!((0..n).all(|j| (j + 1..n).all(|i| top[i + j * n].abs() <= 1.0)));
    }

    #[test]
    fn the_recursive_panel_gives_pa_equal_lu() {
        for (n, nbmin) in [(1, 4), (5, 1), (17, 4), (64, 8), (33, 16)] {
            factor_alone(n, nbmin);
        }
    }

    #[test]
    fn a_singular_panel_is_reported_at_its_column() {
        let n = 4;
        let mut top: Vec<f64> =
            (0..n * n).map(|idx| if idx / n == 2 { 0.0 } else { entry(1, idx % n, idx / n) }).collect();
        let mut none: [f64; 0] = [];
        let mut panel = Panel { jb: n, j0: 0, top: &mut top, below: Mat::new(&mut none, 1), rows: &[] };
        assert_eq!(panel.factor(2, &mut |_| {}, &mut [0; 4]), Err(Singular(2)));
    }

    #[test]
    fn ties_go_to_the_lower_row_and_nan_never_wins() {
        let mut a = vec![2.0, 5.0, 1.0];
        keep_better(&mut a, &[2.0, 3.0, 9.0]);
        assert_eq!(a, [2.0, 3.0, 9.0]);
        keep_better(&mut a, &[f64::NAN, 0.0, 0.0]);
        assert_eq!(a, [2.0, 3.0, 9.0]);
        keep_better(&mut a, &[2.5, 8.0, 0.0]);
        assert_eq!(a[1], 8.0);
    }

    #[test]
    fn hpl_counts_and_half_rate() {
        assert_eq!(flops(3), 18.0 + 13.5);
        assert_eq!(half_rate_n(&[(1000, 10.0), (2000, 30.0), (4000, 40.0)]), Some(1500.0));
        assert_eq!(half_rate_n(&[(1000, 30.0), (2000, 40.0)]), None);
        assert!((scaled_residual(EPS, 1.0, 1.0, 0.0, 1) - 1.0).abs() < 1e-15);
    }
}
