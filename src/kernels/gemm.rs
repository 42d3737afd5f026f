//! Dense C = A·B in double precision, three ways on one rank: the textbook triple loop, a
//! cache-blocked and register-blocked version, and BLAS (dgemm through ndarray on the system
//! OpenBLAS). Plus what the distributed version (SUMMA) and every check need: block partitions,
//! reproducible random matrices generated from global indices, and HPL's projection check
//! ‖C·x − A·(B·x)‖∞ / (‖A‖∞ ‖B‖∞ ‖x‖∞ n ε), computed from blocks so that it works distributed.

use super::mix;
use super::simd::Isa;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use std::ops::Range;

/// HPL's bound for its scaled residual: a correct product stays below it.
pub const RESIDUAL_THRESHOLD: f64 = 16.0;

/// Part `idx` of `0..n` cut into `parts` nearly equal ranges (the first n mod parts get one
/// more): uneven blocks instead of refusing sizes the grid does not divide.
pub fn split(n: usize, parts: usize, idx: usize) -> Range<usize> {
    let (base, extra) = (n / parts, n % parts);
    let start = idx * base + idx.min(extra);
    start..start + base + usize::from(idx < extra)
}

/// Which part of `split(n, parts, _)` holds index `k`.
pub fn part_of(k: usize, n: usize, parts: usize) -> usize {
    (0..parts).find(|&p| split(n, parts, p).contains(&k)).expect("k < n")
}

/// A value in [-0.5, 0.5) for entry (i, j) of matrix `which`: the same on every rank.
pub fn entry(which: u64, i: usize, j: usize) -> f64 {
    let h = mix(which.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(((i as u64) << 32) ^ j as u64));
    (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// The block `rows × cols` of matrix `which`, row-major.
pub fn fill(which: u64, rows: Range<usize>, cols: Range<usize>) -> Vec<f64> {
    rows.flat_map(|i| cols.clone().map(move |j| entry(which, i, j))).collect()
}

/// The textbook i-j-k loop: each C entry a dot product of a row of A and a column of B, which
/// strides through B n elements at a time. `abandon` is asked before each row: once it says to
/// stop, the product is left unfinished.
pub fn naive(a: &[f64], b: &[f64], c: &mut [f64], n: usize, abandon: &dyn Fn() -> bool) {
    for i in 0..n {
        if abandon() {
            return;
        }
        for j in 0..n {
            let mut s = 0.0;
            for k in 0..n {
                s += a[i * n + k] * b[k * n + j];
            }
            c[i * n + j] = s;
        }
    }
}

/// Rows and columns of the C tile kept in registers, and the k and j extents of a B panel kept
/// in cache: 4 × 8 doubles are eight 256-bit registers, a 256 × 512 panel is 1 MiB.
const MR: usize = 4;
const NR: usize = 8;
const KC: usize = 256;
const NC: usize = 512;

/// Cache-blocked, loop-reordered C = A·B: B is packed panel by panel into strips of NR columns
/// (contiguous in k), and each MR × NR tile of C is accumulated in registers over the panel,
/// with a multiply-add inner loop the compiler vectorises. Row groups run in parallel on `pool`.
/// On x86-64 with AVX2 and FMA (detected at run time) the same code is compiled for them, with
/// fused multiply-adds. `abandon` is asked before each panel: once it says to stop, the
/// product is left unfinished.
pub fn blocked(a: &[f64], b: &[f64], c: &mut [f64], n: usize, pool: &rayon::ThreadPool, abandon: &dyn Fn() -> bool) {
    // AVX2 with FMA, checked at run time (never on other architectures).
    let fma = Isa::Avx2.available();
    c.fill(0.0);
    let mut packed = vec![0.0; KC * NC.div_ceil(NR) * NR];
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        let strips = nc.div_ceil(NR);
        for pc in (0..n).step_by(KC) {
            if abandon() {
                return;
            }
            let kc = KC.min(n - pc);
            // Strip s holds B[pc..pc+kc, jc+s*NR..+NR], k-major, zero-padded past column n.
            for s in 0..strips {
                for k in 0..kc {
                    for r in 0..NR {
                        let j = jc + s * NR + r;
                        packed[(s * kc + k) * NR + r] = if j < n { b[(pc + k) * n + j] } else { 0.0 };
                    }
                }
            }
            let panel = Panel { a, n, pc, kc, jc, strips, packed: &packed[..strips * kc * NR] };
            pool.install(|| {
                c.par_chunks_mut(MR * n).enumerate().for_each(|(g, rows)| {
                    #[cfg(target_arch = "x86_64")]
                    if fma {
                        // SAFETY: `fma` is true only when the CPU has AVX2 and FMA.
                        return unsafe { row_group_avx2(&panel, g * MR, rows) };
                    }
                    row_group(&panel, g * MR, rows, fma)
                });
            });
        }
    }
}

/// One k-panel of A and one packed panel of B.
struct Panel<'a> {
    a: &'a [f64],
    n: usize,
    pc: usize,
    kc: usize,
    jc: usize,
    strips: usize,
    packed: &'a [f64],
}

/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_group_avx2(p: &Panel, i0: usize, rows: &mut [f64]) {
    row_group(p, i0, rows, true)
}

/// Adds the panel's contribution to the rows of C starting at row `i0`: MR rows at a time
/// through register tiles, fewer at the bottom edge one row at a time.
#[inline(always)]
fn row_group(p: &Panel, i0: usize, rows: &mut [f64], fma: bool) {
    let mr = rows.len() / p.n;
    for s in 0..p.strips {
        let strip = &p.packed[s * p.kc * NR..(s + 1) * p.kc * NR];
        let j0 = p.jc + s * NR;
        let width = NR.min(p.n - j0);
        if mr == MR {
            let acc = tile::<MR>(p, i0, strip, fma);
            add_tile(&acc, rows, p.n, j0, width);
        } else {
            for r in 0..mr {
                let acc = tile::<1>(p, i0 + r, strip, fma);
                add_tile(&acc, &mut rows[r * p.n..], p.n, j0, width);
            }
        }
    }
}

/// The R × NR tile of A[i0.., panel]·strip, accumulated in registers.
#[inline(always)]
fn tile<const R: usize>(p: &Panel, i0: usize, strip: &[f64], fma: bool) -> [[f64; NR]; R] {
    let mut acc = [[0.0f64; NR]; R];
    for k in 0..p.kc {
        let bk: &[f64; NR] = strip[k * NR..k * NR + NR].try_into().expect("NR wide");
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let aik = p.a[(i0 + r) * p.n + p.pc + k];
            for (x, &bkj) in acc_r.iter_mut().zip(bk) {
                *x = if fma { aik.mul_add(bkj, *x) } else { *x + aik * bkj };
            }
        }
    }
    acc
}

#[inline(always)]
fn add_tile<const R: usize>(acc: &[[f64; NR]; R], rows: &mut [f64], n: usize, j0: usize, width: usize) {
    for (r, acc_r) in acc.iter().enumerate() {
        for (cij, x) in rows[r * n + j0..r * n + j0 + width].iter_mut().zip(acc_r) {
            *cij += x;
        }
    }
}

/// C = A·B through BLAS dgemm (ndarray's general_mat_mul on row-major views).
pub fn blas(a: &[f64], b: &[f64], c: &mut [f64], m: usize, k: usize, n: usize) {
    multiply_add(a, b, c, m, k, n, 0.0);
}

/// C = A·B + beta·C through BLAS dgemm, for A m × k, B k × n, C m × n, all row-major.
pub fn multiply_add(a: &[f64], b: &[f64], c: &mut [f64], m: usize, k: usize, n: usize, beta: f64) {
    let a = ArrayView2::from_shape((m, k), a).expect("A is m × k");
    let b = ArrayView2::from_shape((k, n), b).expect("B is k × n");
    let mut c = ArrayViewMut2::from_shape((m, n), c).expect("C is m × n");
    ndarray::linalg::general_mat_mul(1.0, &a, &b, beta, &mut c);
}

/// out[r] += Σ_j block[r][j]·v[cols.start + j] over the block's rows: a block's share of a
/// matrix-vector product, `v` being the whole vector.
pub fn block_matvec(block: &[f64], cols: &Range<usize>, v: &[f64], out: &mut [f64]) {
    let width = cols.len();
    for (row, o) in block.chunks_exact(width.max(1)).zip(out) {
        *o += row.iter().zip(&v[cols.clone()]).map(|(x, y)| x * y).sum::<f64>();
    }
}

/// out[r] += Σ_j |block[r][j]|: a block's share of the row sums behind ‖·‖∞.
pub fn block_abs_row_sums(block: &[f64], width: usize, out: &mut [f64]) {
    for (row, o) in block.chunks_exact(width.max(1)).zip(out) {
        *o += row.iter().map(|x| x.abs()).sum::<f64>();
    }
}

/// HPL's scaled residual from the assembled vectors: `cx` = C·x and `abx` = A·(B·x), and the
/// row sums of |A| and |B|.
pub fn scaled_residual(cx: &[f64], abx: &[f64], a_rows: &[f64], b_rows: &[f64], x: &[f64]) -> f64 {
    let inf = |v: &[f64]| v.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    let diff = cx.iter().zip(abx).fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
    let n = x.len() as f64;
    diff / (inf(a_rows) * inf(b_rows) * inf(x) * n * f64::EPSILON)
}

/// The check for a product held whole on one rank.
pub fn residual(a: &[f64], b: &[f64], c: &[f64], n: usize) -> f64 {
    let x = fill(3, 0..n, 0..1);
    let all = 0..n;
    let (mut bx, mut cx, mut abx) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    block_matvec(b, &all, &x, &mut bx);
    block_matvec(c, &all, &x, &mut cx);
    block_matvec(a, &all, &bx, &mut abx);
    let (mut a_rows, mut b_rows) = (vec![0.0; n], vec![0.0; n]);
    block_abs_row_sums(a, n, &mut a_rows);
    block_abs_row_sums(b, n, &mut b_rows);
    scaled_residual(&cx, &abx, &a_rows, &b_rows, &x)
}

/// Flops of one n × n × n product.
pub fn flops(n: usize) -> f64 {
    2.0 * (n as f64).powi(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    #[test]
    fn every_implementation_passes_the_check_and_agrees_with_blas() {
        // Sizes that are and are not multiples of the tiles and panels.
        for n in [1, 7, 33, 64, 300] {
            let (a, b) = (fill(1, 0..n, 0..n), fill(2, 0..n, 0..n));
            let mut reference = vec![0.0; n * n];
            blas(&a, &b, &mut reference, n, n, n);
            assert!(residual(&a, &b, &reference, n) < RESIDUAL_THRESHOLD, "blas n={n}");
            let mut c = vec![f64::NAN; n * n];
            naive(&a, &b, &mut c, n, &|| false);
            assert!(residual(&a, &b, &c, n) < RESIDUAL_THRESHOLD, "naive n={n}");
            for threads in [1, 3] {
                let mut c = vec![f64::NAN; n * n];
                blocked(&a, &b, &mut c, n, &pool(threads), &|| false);
                assert!(residual(&a, &b, &c, n) < RESIDUAL_THRESHOLD, "blocked n={n}");
                let worst = c.iter().zip(&reference).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(worst < 1e-12 * n as f64, "blocked n={n} differs from BLAS by {worst}");
            }
        }
    }

    #[test]
    fn one_wrong_entry_fails_the_check() {
        let n = 100;
        let (a, b) = (fill(1, 0..n, 0..n), fill(2, 0..n, 0..n));
        let mut c = vec![0.0; n * n];
        blas(&a, &b, &mut c, n, n, n);
        c[n * 37 + 51] += 1e-6;
        assert!(residual(&a, &b, &c, n) > 1000.0 * RESIDUAL_THRESHOLD);
    }

    #[test]
    fn partitions_cover_every_index_once() {
        for (n, parts) in [(10, 3), (7, 7), (1000, 6), (5, 1)] {
            let ranges: Vec<_> = (0..parts).map(|p| split(n, parts, p)).collect();
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, n);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
            assert!(ranges.iter().all(|r| r.len() == n / parts || r.len() == n / parts + 1));
            assert!((0..n).all(|k| split(n, parts, part_of(k, n, parts)).contains(&k)));
        }
        assert!(entry(1, 2, 3) != entry(2, 2, 3) && entry(1, 2, 3) == entry(1, 2, 3));
    }
}
