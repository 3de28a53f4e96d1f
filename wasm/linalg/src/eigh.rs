//! Symmetric eigendecomposition: Householder tridiagonalisation (LAPACK `dsytd2`, lower, with the
//! rank-2 update of step k fused with the matrix-vector product of step k+1), explicit formation of
//! Qᵀ from the reflectors, and the implicit QL/QR iteration with Wilkinson shifts on the
//! tridiagonal matrix (`dsteqr`), whose plane rotations are applied to the rows of Qᵀ in fused
//! chains, several sweeps at a time. The eigenvalues are first found by a cheap vector-free pass
//! (root-free QL/QR, `sterf.rs`, run alongside the formation of Qᵀ) and then offered as ("perfect")
//! shifts to the pass that accumulates vectors, which cuts the sweeps, and so the O(n³) rotation
//! work, by about 40% (1052 → 644 at n = 512, random matrix); Wilkinson shifts take over whenever
//! such a shift does not deflate. The O(n³) loops run as parallel regions (`par.rs`), on worker
//! threads when some are running, with results that do not depend on the number of threads.
//!
//! Storage is row-major. Eigenvectors are kept as rows while iterating (so every rotation combines
//! two contiguous rows) and transposed with the ascending sort at the end.

use crate::kernels::{
    axpy, axpy2, dot, dot2, reflect2_rows, rotate_chains, syr2_symv_row, syr2_symv_row2, ChainBatch,
};
use crate::par::{for_each_chunk, start, Pending};
use crate::sterf::tridiagonal_values;

/// Most QL/QR sweeps allowed per unreduced block, times its size (LAPACK `dsteqr` uses 30·n).
const MAX_SWEEPS_PER_ROW: usize = 30;

/// Sweeps whose rotations are applied to the eigenvectors together, strip by strip of columns
/// (the rotations depend only on the tridiagonal matrix, so applying them late is exact).
const CHAINS_PER_BATCH: usize = 8;

/// An off-diagonal e_i of the tridiagonal is set to zero once |e_i| ≤ SPLIT_TOL·(|d_i| + |d_i+1|),
/// a relative (local) criterion as in LAPACK `dsteqr`, with the factor 8 of LAPACK's divide and
/// conquer deflation (`dlaed2`). A sweep with a perfect shift typically leaves |e| at a few ulps
/// of the local diagonal (forward instability), which this accepts without another sweep.
const SPLIT_TOL: f64 = 8.0 * f64::EPSILON;

/// The deflation threshold inside unreduced blocks, for matrices of order ≥ [`WIDE_SPLIT_MIN_LEN`].
/// Where a perfect shift does not deflate under [`SPLIT_TOL`], forward instability leaves |e| at
/// 8–1000 ulps of the local diagonal (measured at n = 512, random matrix: 146 of 511 deflations,
/// 135 of them below 64 ulps), and each costs a whole extra sweep: accepting 64 ulps there saves
/// 16% of the rotations (176k → 148k). Each such deflation perturbs T by at most 128·ε·max|d|,
/// far below the c·n·ε·‖A‖ backward error of a decomposition of order n ≥ 32; smaller matrices,
/// where it would not be, keep the stricter threshold.
const WIDE_SPLIT_TOL: f64 = 64.0 * f64::EPSILON;

/// Smallest order of matrix that deflates with [`WIDE_SPLIT_TOL`].
const WIDE_SPLIT_MIN_LEN: usize = 32;

/// Overflow-free √(a² + b²).
#[inline]
pub fn hypot(a: f64, b: f64) -> f64 {
    let a = a.abs();
    let b = b.abs();
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    if big == 0.0 || big.is_infinite() {
        return big + small;
    }
    let r = small / big;
    big * (1.0 + r * r).sqrt()
}

/// 2^k as an f64 for k in [-1022, 1023].
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Exponent e with x = m·2^e, m in [0.5, 1), for finite x > 0 (subnormals included).
fn exponent(x: f64) -> i32 {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        exponent(x * pow2(54)) - 54
    } else {
        biased - 1022
    }
}

/// All eigenpairs of the symmetric n×n matrix whose lower triangle is in `a` (row-major; the
/// upper triangle is ignored and `a` is overwritten). Writes the eigenvalues in ascending order to
/// `values` and the eigenvectors to `vectors` (row-major, column j belongs to `values[j]`).
///
/// Returns `Err(i)` when the QL/QR iteration did not converge for the eigenvalue at tridiagonal
/// index i; `values` and `vectors` are then unspecified.
pub fn eigh(a: &mut [f64], n: usize, values: &mut [f64], vectors: &mut [f64]) -> Result<(), usize> {
    if n == 0 {
        return Ok(());
    }
    // Scale by a power of two so that max |a_ij| lies in [0.5, 1): exact, and it keeps sums of
    // squares away from overflow and underflow (LAPACK dsyev scales only outside a safe range).
    let mut anrm: f64 = 0.0;
    for i in 0..n {
        for j in 0..=i {
            anrm = anrm.max(a[i * n + j].abs());
        }
    }
    if anrm == 0.0 {
        for v in values.iter_mut() {
            *v = 0.0;
        }
        for i in 0..n {
            for j in 0..n {
                vectors[i * n + j] = if i == j { 1.0 } else { 0.0 };
            }
        }
        return Ok(());
    }
    let e_scale = exponent(anrm);
    let (s1, s2) = (pow2(-(e_scale / 2)), pow2(-(e_scale - e_scale / 2)));
    for i in 0..n {
        for j in 0..=i {
            let x = &mut a[i * n + j];
            *x = (*x * s1) * s2;
        }
    }

    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    let mut tau = vec![0.0; n];
    tridiagonalize(a, n, &mut d, &mut e, &mut tau);
    // Rows of Qᵀ get a padded stride: the rotation chains walk down a column chunk, and a stride
    // of a multiple of 4 KiB (n = 512) maps every row to the same cache sets and defeats prefetch.
    let ld = n + 8;
    let mut z = vec![0.0; n * ld];
    // The eigenvalues alone (a cheap first pass, run alongside the formation of Qᵀ).
    let mut dv = d.clone();
    let mut ev = e.clone();
    let mut work = QlWork::new(n);
    let mut status = 0;
    let side = ValuesJob {
        d: dv.as_mut_ptr(),
        e: ev.as_mut_ptr(),
        n,
        status: &mut status,
    };
    form_qt(a, n, &tau, &mut z, ld, &side);
    if status != 0 {
        return Err(status - 1);
    }
    let mut pool = ShiftPool::new(dv);
    tridiagonal_ql(&mut d, &mut e, (&mut z, ld), &mut pool, &mut work)?;

    let (u1, u2) = (pow2(e_scale / 2), pow2(e_scale - e_scale / 2));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| d[x].total_cmp(&d[y]));
    for (j, &src) in order.iter().enumerate() {
        values[j] = (d[src] * u1) * u2;
    }
    let job = Transpose {
        z: z.as_ptr(),
        ld,
        n,
        order: &order,
        out: vectors.as_mut_ptr(),
    };
    for_each_chunk(
        &job,
        (n + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE,
        transpose_chunk,
    );
    Ok(())
}

/// Side of the tiles of [`transpose_chunk`].
const TRANSPOSE_TILE: usize = 32;

/// The sorted eigenvectors: out[i][j] = z[order[j]][i]; chunk c writes columns c·TILE.. of `out`.
struct Transpose<'a> {
    z: *const f64,
    ld: usize,
    n: usize,
    order: &'a [usize],
    out: *mut f64,
}

// Chunks write disjoint columns of `out`; `z` and `order` are read-only.
unsafe impl Sync for Transpose<'_> {}

fn transpose_chunk(s: &Transpose, c: usize) {
    let n = s.n;
    let j0 = c * TRANSPOSE_TILE;
    let j1 = (j0 + TRANSPOSE_TILE).min(n);
    // In tiles, so that neither side strides through memory a row at a time (the plain loop took
    // ~1.5 ms at n = 512).
    for i0 in (0..n).step_by(TRANSPOSE_TILE) {
        for j in j0..j1 {
            let row = unsafe { s.z.add(s.order[j] * s.ld) };
            for i in i0..(i0 + TRANSPOSE_TILE).min(n) {
                unsafe { *s.out.add(i * n + j) = *row.add(i) };
            }
        }
    }
}

/// Reduces the symmetric matrix in the lower triangle of `a` to tridiagonal form T = Qᵀ·A·Q with
/// diagonal `d` and subdiagonal `e` (e[k] couples rows k and k+1, e[n−1] = 0). The reflector of
/// step k, H_k = I − tau[k]·v·vᵀ, is left in row k of `a` right of the diagonal (v_{k+1} = 1 at
/// column k+1; that part of `a` is never read as matrix), and the diagonal is zeroed: row k from
/// column k is then v padded with a leading 0, as [`form_qt`] reads it.
///
/// Step k works on the trailing block B = A[k+1.., k+1..]: its rows get the previous step's
/// rank-2 update and are multiplied by v in one pass, shared by row chunks ([`symv_chunk`]). The
/// next step's column (column 0 of B) is gathered by those chunks too, so the calling thread never
/// walks a column of `a` (rows another core has in its cache).
fn tridiagonalize(a: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64], tau: &mut [f64]) {
    // Pending rank-2 update from the previous step, indexed like that step's trailing block.
    let mut vp = vec![0.0; n + 1];
    let mut wp = vec![0.0; n + 1];
    let mut v = vec![0.0; n];
    let mut p = vec![0.0; n];
    let mut pbuf = vec![0.0; SYMV_MAX_CHUNKS * n];
    // Column k of the current matrix from row k (col[0] is the diagonal), and B's column 0 as the
    // chunks leave it (before this step's own update).
    let mut col: Vec<f64> = (0..n).map(|i| a[i * n]).collect();
    let mut colbuf = vec![0.0; n];
    let ap = a.as_mut_ptr();
    for k in 0..n.saturating_sub(1) {
        let m = n - k - 1; // (m) trailing block B = A[k+1.., k+1..]
        let b0 = k + 1;
        d[k] = col[0];
        // Householder reflector H = I − τ·v·vᵀ with H·x = (β, 0, …), x = A[k+1.., k] = col[1..].
        let x = &col[1..=m];
        let alpha = x[0];
        let xnorm2: f64 = x[1..].iter().map(|xi| xi * xi).sum();
        let t;
        v[0] = 1.0;
        if xnorm2 == 0.0 {
            t = 0.0;
            e[k] = alpha;
            for vi in v[1..m].iter_mut() {
                *vi = 0.0;
            }
        } else {
            let beta = -hypot(alpha, xnorm2.sqrt()).copysign(alpha);
            t = (beta - alpha) / beta;
            let scale = 1.0 / (alpha - beta);
            for (vi, xi) in v[1..m].iter_mut().zip(&x[1..]) {
                *vi = xi * scale;
            }
            e[k] = beta;
        }
        tau[k] = t;
        a[k * n + b0..k * n + n].copy_from_slice(&v[..m]);
        a[k * n + k] = 0.0;

        // Apply the previous step's pending update to B and form p = B·v in the same pass, in
        // row chunks of about equal work, each accumulating into its own part of `pbuf`.
        let chunks = symv_chunks(m);
        let mut bounds = [0usize; SYMV_MAX_CHUNKS + 1];
        for (c, b) in bounds.iter_mut().enumerate().take(chunks + 1) {
            // Row i of the lower triangle costs ~i: equal work at m·√(c/chunks).
            *b = if c == chunks {
                m
            } else {
                isqrt(m * m * c / chunks)
            };
        }
        let step = SymvStep {
            a: ap,
            n,
            b0,
            vp: unsafe { vp.as_ptr().add(1) },
            wp: unsafe { wp.as_ptr().add(1) },
            v: v.as_ptr(),
            pbuf: pbuf.as_mut_ptr(),
            col: colbuf.as_mut_ptr(),
            bounds,
        };
        for_each_chunk(&step, chunks, symv_chunk);
        for pj in p[..m].iter_mut() {
            *pj = 0.0;
        }
        for c in 0..chunks {
            let part = &pbuf[c * n..c * n + bounds[c + 1]];
            for (pj, x) in p.iter_mut().zip(part) {
                *pj += x;
            }
        }
        // w = τ·p − ½·τ²·(pᵀv)·v, so that H·B·H = B − v·wᵀ − w·vᵀ.
        let mut pv = 0.0;
        for i in 0..m {
            p[i] *= t;
            pv += p[i] * v[i];
        }
        let c = -0.5 * t * pv;
        for i in 0..m {
            vp[i] = v[i];
            wp[i] = p[i] + c * v[i];
        }
        // The next column: B's column 0 with this step's update (its rows never see it later).
        let (v0, w0) = (vp[0], wp[0]);
        for i in 0..m {
            col[i] = colbuf[i] - (vp[i] * w0 + wp[i] * v0);
        }
    }
    d[n - 1] = col[0];
    a[(n - 1) * n + n - 1] = 0.0;
    e[n - 1] = 0.0;
    tau[n - 1] = 0.0;
}

/// Most row chunks of one tridiagonalisation step.
const SYMV_MAX_CHUNKS: usize = 8;

/// Row chunks for a trailing block of order m: one below 96 (too little work to share; the
/// count depends only on m, never on the threads, so results do not either).
fn symv_chunks(m: usize) -> usize {
    if m < 96 {
        1
    } else {
        SYMV_MAX_CHUNKS
    }
}

/// ⌊√x⌋.
fn isqrt(x: usize) -> usize {
    let mut r = (x as f64).sqrt() as usize;
    while r * r > x {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= x {
        r += 1;
    }
    r
}

/// One step of [`tridiagonalize`] shared by row chunks: rows `bounds[c]..bounds[c + 1]` of the
/// trailing block get the pending rank-2 update (`vp`, `wp`), their part of p = B·v goes to
/// `pbuf[c·n..]` (entries < `bounds[c + 1]`), and their updated column-0 entries to `col`.
struct SymvStep {
    a: *mut f64,
    n: usize,
    b0: usize,
    vp: *const f64,
    wp: *const f64,
    v: *const f64,
    pbuf: *mut f64,
    col: *mut f64,
    bounds: [usize; SYMV_MAX_CHUNKS + 1],
}

// Chunks touch disjoint rows of `a` and disjoint parts of `pbuf` and `col`; the rest is read-only.
unsafe impl Sync for SymvStep {}

fn symv_chunk(s: &SymvStep, c: usize) {
    let (r0, r1) = (s.bounds[c], s.bounds[c + 1]);
    unsafe {
        let p = s.pbuf.add(c * s.n);
        for j in 0..r1 {
            *p.add(j) = 0.0;
        }
        let row = |i: usize| s.a.add((s.b0 + i) * s.n + s.b0);
        let coef = |i: usize| (*s.vp.add(i), *s.wp.add(i), *s.v.add(i));
        let mut i = r0;
        // Rows in pairs (v, w, x and p loaded once for both), over their common columns < i.
        while i + 2 <= r1 {
            let (row0, row1) = (row(i), row(i + 1));
            let ((vi0, wi0, xi0), (vi1, wi1, xi1)) = (coef(i), coef(i + 1));
            let (dot0, mut dot1) =
                syr2_symv_row2(row0, row1, s.vp, s.wp, coef(i), coef(i + 1), s.v, p, i);
            // Row i + 1, column i.
            let r = row1.add(i);
            *r -= vi1 * *s.wp.add(i) + wi1 * *s.vp.add(i);
            dot1 += *r * xi0;
            *p.add(i) += *r * xi1;
            // The diagonals, and each row's own entry of p.
            let d0 = row0.add(i);
            *d0 -= 2.0 * vi0 * wi0;
            *p.add(i) += dot0 + *d0 * xi0;
            let d1 = row1.add(i + 1);
            *d1 -= 2.0 * vi1 * wi1;
            *p.add(i + 1) += dot1 + *d1 * xi1;
            *s.col.add(i) = *row0;
            *s.col.add(i + 1) = *row1;
            i += 2;
        }
        if i < r1 {
            let row = row(i);
            let (vi, wi, xi) = coef(i);
            let dot = syr2_symv_row(row, s.vp, s.wp, vi, wi, s.v, xi, p, i);
            let diag = row.add(i);
            *diag -= 2.0 * vi * wi;
            *p.add(i) += dot + *diag * xi;
            *s.col.add(i) = *row;
        }
    }
}

/// Writes Qᵀ = H_{n−2}·…·H_0 (the reflectors left in `a` by [`tridiagonalize`]) into the n rows
/// of `z` (stride `ld`), and runs `side` (the vector-free eigenvalue pass) alongside.
///
/// Rows of Qᵀ are independent: each starts as a row of the identity and is multiplied by the
/// reflectors from the right, two at a time (one pass over the row for both). So the whole
/// formation is one parallel region over blocks of rows, with `side` as one more chunk (the
/// first, which the calling thread claims), and a thread keeps its rows in cache for all steps.
fn form_qt(a: &[f64], n: usize, tau: &[f64], z: &mut [f64], ld: usize, side: &ValuesJob) {
    // The steps, in order: (k0, pair, uᵀw). Step (k0, true) applies H_{k0}·H_{k0−1} to rows and
    // columns ≥ k0 (rows and columns below k0 are still the identity's); (0, false) applies H_0.
    let mut steps = Vec::with_capacity(n / 2 + 1);
    let mut k = n.saturating_sub(1); // next reflector to apply is k − 1 (n − 1 does not exist)
    while k > 0 {
        let k0 = k - 1;
        let pair = k >= 2;
        let uw = if pair {
            let m = n - k0;
            unsafe {
                dot(
                    a.as_ptr().add(k0 * n + k0),
                    a.as_ptr().add((k0 - 1) * n + k0),
                    m,
                )
            }
        } else {
            0.0
        };
        steps.push((k0, pair, uw));
        k = if pair { k - 2 } else { 0 };
    }
    let job = FormQt {
        a: a.as_ptr(),
        tau: tau.as_ptr(),
        z: z.as_mut_ptr(),
        ld,
        n,
        steps: &steps,
        side,
    };
    let blocks = (n + REFLECT_ROWS - 1) / REFLECT_ROWS;
    for_each_chunk(&job, blocks + 1, form_qt_chunk);
}

/// Rows of Qᵀ that [`form_qt`] multiplies by a reflector pair together (loading it once).
const FORM_QT_ROWS: usize = 4;

/// Rows of Qᵀ per chunk of [`form_qt`].
const REFLECT_ROWS: usize = 16;

/// The region of [`form_qt`]: chunk 0 runs `side`, chunk c ≥ 1 forms rows
/// (c − 1)·REFLECT_ROWS.. of Qᵀ.
struct FormQt<'a> {
    a: *const f64,
    tau: *const f64,
    z: *mut f64,
    ld: usize,
    n: usize,
    steps: &'a [(usize, bool, f64)],
    side: &'a ValuesJob,
}

// Chunks touch disjoint rows of `z` (and `side` its own buffers); the reflectors are read-only.
unsafe impl Sync for FormQt<'_> {}

fn form_qt_chunk(s: &FormQt, c: usize) {
    if c == 0 {
        s.side.run();
        return;
    }
    let n = s.n;
    let r0 = (c - 1) * REFLECT_ROWS;
    let r1 = (r0 + REFLECT_ROWS).min(n);
    unsafe {
        for r in r0..r1 {
            let row = s.z.add(r * s.ld);
            for j in 0..n {
                *row.add(j) = 0.0;
            }
            *row.add(r) = 1.0;
        }
        for &(k0, pair, uw) in s.steps {
            if k0 >= r1 {
                continue; // these rows are still the identity's here
            }
            let m = n - k0;
            let u = s.a.add(k0 * n + k0); // reflector k0 with a leading 0
            let t1 = *s.tau.add(k0);
            let mut r = r0.max(k0);
            if pair {
                let w = s.a.add((k0 - 1) * n + k0);
                let t2 = *s.tau.add(k0 - 1);
                while r + FORM_QT_ROWS <= r1 {
                    let x0 = s.z.add(r * s.ld + k0);
                    reflect2_rows::<FORM_QT_ROWS>(x0, s.ld, u, w, t1, t2, uw, m);
                    r += FORM_QT_ROWS;
                }
                while r + 2 <= r1 {
                    let x0 = s.z.add(r * s.ld + k0);
                    reflect2_rows::<2>(x0, s.ld, u, w, t1, t2, uw, m);
                    r += 2;
                }
            }
            for r in r..r1 {
                let row = s.z.add(r * s.ld + k0);
                if pair {
                    let w = s.a.add((k0 - 1) * n + k0); // reflector k0 − 1
                    let t2 = *s.tau.add(k0 - 1);
                    let (s1, s2) = dot2(row, u, w, m);
                    // x·H_{k0} = x − α·u; then (x − α·u)·H_{k0−1} = x − α·u − β·w.
                    let alpha = t1 * s1;
                    let beta = t2 * (s2 - alpha * uw);
                    axpy2(-alpha, u, -beta, w, row, m);
                } else if t1 != 0.0 {
                    let s1 = dot(row, u, m);
                    axpy(-t1 * s1, u, row, m);
                }
            }
        }
    }
}

/// The eigenvalues of a tridiagonal matrix without vectors (root-free QL/QR on copies of d and
/// e made beforehand, since it may run on a worker thread, which must not allocate).
struct ValuesJob {
    d: *mut f64,
    e: *mut f64,
    n: usize,
    /// 0, or 1 + the index that did not converge.
    status: *mut usize,
}

impl ValuesJob {
    fn run(&self) {
        unsafe {
            let d = core::slice::from_raw_parts_mut(self.d, self.n);
            let e = core::slice::from_raw_parts_mut(self.e, self.n);
            *self.status = match tridiagonal_values(d, e) {
                Ok(()) => 0,
                Err(i) => i + 1,
            };
        }
    }
}

/// Eigenvalues already known (from a first, vector-free pass), offered as shifts to the pass that
/// accumulates eigenvectors. A sweep shifted by an exact eigenvalue deflates in one step (in exact
/// arithmetic), about halving the sweeps and so the O(n³) rotation work. Any shift gives an exact
/// orthogonal similarity, so a poor guess costs only time: when a perfect-shift sweep does not
/// deflate, the iteration falls back to Wilkinson shifts for that eigenvalue.
struct ShiftPool {
    /// Ascending eigenvalues.
    values: Vec<f64>,
    used: Vec<bool>,
}

impl ShiftPool {
    fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(|x, y| x.total_cmp(y));
        let used = vec![false; values.len()];
        ShiftPool { values, used }
    }

    /// Index of the unused value nearest to x, if any.
    fn nearest(&self, x: f64) -> Option<usize> {
        let v = &self.values;
        let mut hi = v.partition_point(|&y| y < x);
        let mut lo = hi;
        while lo > 0 && self.used[lo - 1] {
            lo -= 1;
        }
        while hi < v.len() && self.used[hi] {
            hi += 1;
        }
        let below = if lo > 0 { Some(lo - 1) } else { None };
        let above = if hi < v.len() { Some(hi) } else { None };
        match (below, above) {
            (Some(b), Some(a)) => Some(if x - v[b] <= v[a] - x { b } else { a }),
            (b, a) => b.or(a),
        }
    }

    fn take_nearest(&mut self, x: f64) {
        if let Some(i) = self.nearest(x) {
            self.used[i] = true;
        }
    }
}

/// Scratch buffers of [`tridiagonal_ql`] for order n.
struct QlWork {
    bd: Vec<f64>,
    be: Vec<f64>,
    map: Vec<usize>,
    rows: Vec<usize>,
    cs: Vec<f64>,
    ss: Vec<f64>,
}

impl QlWork {
    fn new(n: usize) -> Self {
        QlWork {
            bd: vec![0.0; n],
            be: vec![0.0; n],
            map: vec![0; n],
            rows: vec![0; n],
            cs: vec![0.0; n],
            ss: vec![0.0; n],
        }
    }
}

/// Implicit QL/QR iteration on the tridiagonal (d, e) (e[i] couples i and i+1), applying every
/// rotation to the rows of `z` (n rows of stride `ld`, rows = eigenvectors). Like
/// LAPACK `dsteqr`, each unreduced block is iterated from its end with the smaller diagonal entry
/// (QL when that is the top, QR otherwise), which keeps graded matrices accurate. Shifts are
/// Wilkinson's, or the nearest eigenvalue of `pool` on the first sweep for each eigenvalue.
fn tridiagonal_ql(
    d: &mut [f64],
    e: &mut [f64],
    (z, ld): (&mut [f64], usize),
    pool: &mut ShiftPool,
    work: &mut QlWork,
) -> Result<(), usize> {
    let n = d.len();
    let eps = SPLIT_TOL;
    let QlWork {
        bd,
        be,
        map,
        rows,
        cs,
        ss,
    } = work;
    // Two batches of rotation chains: one being applied to `z`, one being filled.
    let mut batches = [ChainBatch::new(), ChainBatch::new()];
    let mut steps = [RotateStep::EMPTY, RotateStep::EMPTY];
    let mut cur = 0;
    let mut in_flight: Option<Pending> = None;
    let mut l1 = 0;
    while l1 < n {
        // Find the unreduced block [l, lend].
        let mut m = l1;
        while m + 1 < n {
            if e[m].abs() <= eps * (d[m].abs() + d[m + 1].abs()) {
                e[m] = 0.0;
                break;
            }
            m += 1;
        }
        let (l, lend) = (l1, m);
        l1 = m + 1;
        if lend == l {
            pool.take_nearest(d[l]);
            continue;
        }
        let len = lend - l + 1;
        let reverse = d[lend].abs() < d[l].abs();
        for k in 0..len {
            let g = if reverse { lend - k } else { l + k };
            map[k] = g;
            bd[k] = d[g];
            be[k] = if k + 1 < len {
                if reverse {
                    e[g - 1]
                } else {
                    e[g]
                }
            } else {
                0.0
            };
        }
        let block_tol = if n >= WIDE_SPLIT_MIN_LEN {
            WIDE_SPLIT_TOL
        } else {
            SPLIT_TOL
        };
        let max_sweeps = MAX_SWEEPS_PER_ROW * len;
        let mut sweeps = 0;
        let mut sweeps_here = 0;
        let mut ll = 0;
        while ll < len {
            // Find the first small subdiagonal at or after ll.
            let mut mm = ll;
            while mm + 1 < len {
                if be[mm].abs() <= block_tol * (bd[mm].abs() + bd[mm + 1].abs()) {
                    be[mm] = 0.0;
                    break;
                }
                mm += 1;
            }
            if mm == ll {
                pool.take_nearest(bd[ll]);
                ll += 1;
                sweeps_here = 0;
                continue;
            }
            sweeps += 1;
            sweeps_here += 1;
            if sweeps > max_sweeps {
                return Err(map[ll]);
            }
            // Wilkinson shift σ from the leading 2×2 block; the sweep starts from g = d[mm] − σ.
            let mut g = (bd[ll + 1] - bd[ll]) / (2.0 * be[ll]);
            let mut r = hypot(g, 1.0);
            let sigma = bd[ll] - be[ll] / (g + r.copysign(g));
            g = bd[mm] - sigma;
            if sweeps_here == 1 {
                if let Some(i) = pool.nearest(sigma) {
                    g = bd[mm] - pool.values[i];
                }
            }
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut nrot = 0;
            let mut underflow = false;
            rows[0] = map[mm];
            let mut i = mm;
            while i > ll {
                i -= 1;
                let f = s * be[i];
                let b = c * be[i];
                r = hypot(f, g);
                be[i + 1] = r;
                if r == 0.0 {
                    bd[i + 1] -= p;
                    be[mm] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = bd[i + 1] - p;
                r = (bd[i] - g) * s + 2.0 * c * b;
                p = s * r;
                bd[i + 1] = g + p;
                g = c * r - b;
                cs[nrot] = c;
                ss[nrot] = s;
                nrot += 1;
                rows[nrot] = map[i];
            }
            for row in rows[..=nrot].iter_mut() {
                *row *= ld;
            }
            batches[cur].push(&rows[..=nrot], &cs[..nrot], &ss[..nrot]);
            if batches[cur].len() >= CHAINS_PER_BATCH {
                // Start this batch on the workers, and go on finding the next one meanwhile
                // (batches are still applied in order: the previous one is joined first).
                if let Some(p) = in_flight.take() {
                    p.join();
                }
                steps[cur] = RotateStep {
                    z: z.as_mut_ptr(),
                    cols: n,
                    batch: &batches[cur],
                };
                let chunks = (n + ROTATE_COLS - 1) / ROTATE_COLS;
                in_flight = Some(unsafe { start(&steps[cur], chunks, rotate_chunk) });
                cur ^= 1;
                batches[cur].clear();
            }
            if underflow {
                continue;
            }
            bd[ll] -= p;
            be[ll] = g;
            be[mm] = 0.0;
        }
        for k in 0..len {
            d[map[k]] = bd[k];
        }
    }
    if let Some(p) = in_flight.take() {
        p.join();
    }
    if batches[cur].len() > 0 {
        steps[cur] = RotateStep {
            z: z.as_mut_ptr(),
            cols: n,
            batch: &batches[cur],
        };
        for_each_chunk(
            &steps[cur],
            (n + ROTATE_COLS - 1) / ROTATE_COLS,
            rotate_chunk,
        );
    }
    Ok(())
}

/// Columns of the eigenvector rows per chunk of [`rotate_batch`] (a multiple of 8).
const ROTATE_COLS: usize = 32;

/// A batch of rotation chains to apply to columns `c·ROTATE_COLS..` of the rows of `z`.
struct RotateStep {
    z: *mut f64,
    cols: usize,
    batch: *const ChainBatch,
}

impl RotateStep {
    const EMPTY: RotateStep = RotateStep {
        z: core::ptr::null_mut(),
        cols: 0,
        batch: core::ptr::null(),
    };
}

// Chunks touch disjoint columns of `z`; the batch is read-only while the region runs.
unsafe impl Sync for RotateStep {}

fn rotate_chunk(s: &RotateStep, c: usize) {
    let c0 = c * ROTATE_COLS;
    let c1 = (c0 + ROTATE_COLS).min(s.cols);
    unsafe { rotate_chains(s.z, c0, c1, &*s.batch) };
}
