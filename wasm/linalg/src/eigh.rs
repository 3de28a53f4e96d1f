//! Symmetric eigendecomposition: Householder tridiagonalisation (LAPACK `dsytd2`, lower, with the
//! rank-2 update of step k fused with the matrix-vector product of step k+1), explicit formation of
//! Qᵀ in place (`dorg2l` order), and the implicit QL/QR iteration with Wilkinson shifts on the
//! tridiagonal matrix (`dsteqr`), whose plane rotations are applied to the rows of Qᵀ in fused
//! chains, several sweeps at a time. The eigenvalues are first found by a cheap vector-free pass
//! and then offered as ("perfect") shifts to the pass that accumulates vectors, which cuts the
//! sweeps, and so the O(n³) rotation work, by about 40% (1052 → 644 at n = 512, random matrix);
//! Wilkinson shifts take over whenever such a shift does not deflate.
//!
//! Storage is row-major. Eigenvectors are kept as rows while iterating (so every rotation combines
//! two contiguous rows) and transposed with the ascending sort at the end.

use crate::kernels::{axpy, axpy2, dot, dot2, rotate_chains, syr2_symv_row, ChainBatch};

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
    form_qt(a, n, &tau);
    // Rows of Qᵀ get a padded stride: the rotation chains walk down a column chunk, and a stride
    // of a multiple of 4 KiB (n = 512) maps every row to the same cache sets and defeats prefetch.
    let ld = n + 8;
    let mut z = vec![0.0; n * ld];
    for i in 0..n {
        z[i * ld..i * ld + n].copy_from_slice(&a[i * n..i * n + n]);
    }
    let mut pool = ShiftPool::new(tridiagonal_values(&d, &e)?);
    tridiagonal_ql(&mut d, &mut e, Some((&mut z, ld)), Some(&mut pool))?;

    let (u1, u2) = (pow2(e_scale / 2), pow2(e_scale - e_scale / 2));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| d[x].total_cmp(&d[y]));
    for (j, &src) in order.iter().enumerate() {
        values[j] = (d[src] * u1) * u2;
        let row = &z[src * ld..src * ld + n];
        for i in 0..n {
            vectors[i * n + j] = row[i];
        }
    }
    Ok(())
}

/// Reduces the lower triangle of `a` to tridiagonal form T = Qᵀ·A·Q with diagonal `d` and
/// subdiagonal `e` (e[k] couples rows k and k+1, e[n-1] = 0). The Householder vector of step k is
/// stored below the diagonal in column k (its leading 1 at row k+1), its scale in `tau[k]`.
fn tridiagonalize(a: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64], tau: &mut [f64]) {
    // Pending rank-2 update from the previous step, indexed like that step's trailing block.
    let mut vp = vec![0.0; n + 1];
    let mut wp = vec![0.0; n + 1];
    let mut v = vec![0.0; n];
    let mut p = vec![0.0; n];
    let ap = a.as_mut_ptr();
    for k in 0..n.saturating_sub(1) {
        let m = n - k - 1; // (m) trailing block B = A[k+1.., k+1..]
        let b0 = k + 1;
        d[k] = a[k * n + k];
        // Householder reflector H = I − τ·v·vᵀ with H·x = (β, 0, …), x = A[k+1.., k].
        let alpha = a[b0 * n + k];
        let mut xnorm2 = 0.0;
        for i in 1..m {
            let x = a[(b0 + i) * n + k];
            xnorm2 += x * x;
        }
        let t;
        if xnorm2 == 0.0 {
            t = 0.0;
            e[k] = alpha;
            v[0] = 1.0;
            for i in 1..m {
                v[i] = 0.0;
                a[(b0 + i) * n + k] = 0.0;
            }
        } else {
            let beta = -hypot(alpha, xnorm2.sqrt()).copysign(alpha);
            t = (beta - alpha) / beta;
            let scale = 1.0 / (alpha - beta);
            v[0] = 1.0;
            for i in 1..m {
                let x = &mut a[(b0 + i) * n + k];
                *x *= scale;
                v[i] = *x;
            }
            e[k] = beta;
        }
        a[b0 * n + k] = 1.0;
        tau[k] = t;

        // Apply the previous step's pending update to B and form p = B·v in the same pass.
        for pi in p[..m].iter_mut() {
            *pi = 0.0;
        }
        unsafe {
            let vpp = vp.as_ptr().add(1);
            let wpp = wp.as_ptr().add(1);
            for i in 0..m {
                let row = ap.add((b0 + i) * n + b0);
                let vi = *vpp.add(i);
                let wi = *wpp.add(i);
                let s = syr2_symv_row(row, vpp, wpp, vi, wi, v.as_ptr(), v[i], p.as_mut_ptr(), i);
                let diag = row.add(i);
                *diag -= 2.0 * vi * wi;
                p[i] += s + *diag * v[i];
            }
        }
        // w = τ·p − ½·τ²·(pᵀv)·v, so that H·B·H = B − v·wᵀ − w·vᵀ.
        if t == 0.0 {
            for i in 0..m {
                vp[i] = v[i];
                wp[i] = 0.0;
            }
        } else {
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
            // Bring column k+1 (column 0 of B) up to date for the next reflector.
            let (v0, w0) = (vp[0], wp[0]);
            for i in 0..m {
                a[(b0 + i) * n + b0] -= vp[i] * w0 + wp[i] * v0;
            }
        }
    }
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 1] = 0.0;
    tau[n - 1] = 0.0;
}

/// Overwrites `a` (holding the reflectors from [`tridiagonalize`]) with Qᵀ = H_{n−2}·…·H_0,
/// row-major, applying the reflectors from the right two at a time (one pass over each row for
/// both).
fn form_qt(a: &mut [f64], n: usize, tau: &[f64]) {
    if n == 0 {
        return;
    }
    let mut u = vec![0.0; n]; // reflector k, aligned at column k0
    let mut w = vec![0.0; n]; // reflector k − 1, aligned at column k0
    let ap = a.as_mut_ptr();
    // Before H_k is applied, row and column k+1 of Qᵀ must be the unit vector (rows and columns
    // ≤ k+1 are untouched by H_{n−2}, …, H_{k+1}); this also clears the consumed reflector k+1.
    let unit = |a: &mut [f64], j: usize| {
        for i in j..n {
            a[j * n + i] = 0.0;
            a[i * n + j] = 0.0;
        }
        a[j * n + j] = 1.0;
    };
    let mut k = n - 1; // next reflector to apply is k − 1 (reflector n−1 does not exist)
    while k > 0 {
        if k >= 2 {
            // Apply H_{k−1} then H_{k−2}: Qᵀ ← Qᵀ·H_{k−1}·H_{k−2}, on rows and columns ≥ k0 = k−1.
            let (k1, k2) = (k - 1, k - 2);
            let k0 = k1; // = k2 + 1
            let m = n - k0;
            u[0] = 0.0;
            for i in 1..m {
                u[i] = a[(k0 + i) * n + k1];
            }
            for i in 0..m {
                w[i] = a[(k0 + i) * n + k2];
            }
            unit(a, k1 + 1);
            unit(a, k0);
            let (t1, t2) = (tau[k1], tau[k2]);
            let uw = unsafe { dot(u.as_ptr(), w.as_ptr(), m) };
            unsafe {
                for r in k0..n {
                    let row = ap.add(r * n + k0);
                    let (s1, s2) = dot2(row, u.as_ptr(), w.as_ptr(), m);
                    // x·H_{k−1} = x − α·u; then (x − α·u)·H_{k−2} = x − α·u − β·w.
                    let alpha = t1 * s1;
                    let beta = t2 * (s2 - alpha * uw);
                    axpy2(-alpha, u.as_ptr(), -beta, w.as_ptr(), row, m);
                }
            }
            k -= 2;
        } else {
            // k = 1: only H_0 is left.
            let m = n - 1;
            for i in 0..m {
                u[i] = a[(1 + i) * n];
            }
            unit(a, 1);
            let t = tau[0];
            if t != 0.0 {
                unsafe {
                    for r in 1..n {
                        let row = ap.add(r * n + 1);
                        let s = dot(row, u.as_ptr(), m);
                        axpy(-t * s, u.as_ptr(), row, m);
                    }
                }
            }
            k = 0;
        }
    }
    unit(a, 0);
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

/// Eigenvalues (unsorted) of the tridiagonal (d, e), without eigenvectors.
fn tridiagonal_values(d: &[f64], e: &[f64]) -> Result<Vec<f64>, usize> {
    let mut d = d.to_vec();
    let mut e = e.to_vec();
    tridiagonal_ql(&mut d, &mut e, None, None)?;
    Ok(d)
}

/// Implicit QL/QR iteration on the tridiagonal (d, e) (e[i] couples i and i+1), applying every
/// rotation to the rows of `z` (n rows of stride `ld`, rows = eigenvectors) when given. Like
/// LAPACK `dsteqr`, each unreduced block is iterated from its end with the smaller diagonal entry
/// (QL when that is the top, QR otherwise), which keeps graded matrices accurate. Shifts are
/// Wilkinson's, or the nearest eigenvalue of `pool` on the first sweep for each eigenvalue.
fn tridiagonal_ql(
    d: &mut [f64],
    e: &mut [f64],
    mut z: Option<(&mut [f64], usize)>,
    mut pool: Option<&mut ShiftPool>,
) -> Result<(), usize> {
    let n = d.len();
    let eps = SPLIT_TOL;
    let mut bd = vec![0.0; n];
    let mut be = vec![0.0; n];
    let mut map = vec![0usize; n];
    let mut rows = vec![0usize; n];
    let mut cs = vec![0.0; n];
    let mut ss = vec![0.0; n];
    let mut batch = ChainBatch::new();
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
            if let Some(p) = pool.as_deref_mut() {
                p.take_nearest(d[l]);
            }
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
        let max_sweeps = MAX_SWEEPS_PER_ROW * len;
        let mut sweeps = 0;
        let mut sweeps_here = 0;
        let mut ll = 0;
        while ll < len {
            // Find the first small subdiagonal at or after ll.
            let mut mm = ll;
            while mm + 1 < len {
                if be[mm].abs() <= eps * (bd[mm].abs() + bd[mm + 1].abs()) {
                    be[mm] = 0.0;
                    break;
                }
                mm += 1;
            }
            if mm == ll {
                if let Some(p) = pool.as_deref_mut() {
                    p.take_nearest(bd[ll]);
                }
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
                if let Some(p) = pool.as_deref() {
                    if let Some(i) = p.nearest(sigma) {
                        g = bd[mm] - p.values[i];
                    }
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
            if let Some((zz, ld)) = z.as_mut() {
                for row in rows[..=nrot].iter_mut() {
                    *row *= *ld;
                }
                batch.push(&rows[..=nrot], &cs[..nrot], &ss[..nrot]);
                if batch.len() >= CHAINS_PER_BATCH {
                    unsafe { rotate_chains(zz.as_mut_ptr(), n, &batch) };
                    batch.clear();
                }
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
    if let Some((zz, _)) = z.as_mut() {
        unsafe { rotate_chains(zz.as_mut_ptr(), n, &batch) };
    }
    Ok(())
}
