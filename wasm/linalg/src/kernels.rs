//! Level-1 kernels on contiguous f64 slices: dot, axpy, the fused symmetric rank-2 row update
//! and the chained plane-rotation sweep used by the tridiagonal QL/QR iteration.
//!
//! With `simd128` enabled (the release build enables it) the loops use f64x2 lanes; otherwise they
//! fall back to scalar code with the same results up to summation order.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use core::arch::wasm32::*;

/// Σ x[i]·y[i] over `len` elements.
///
/// # Safety
/// `x` and `y` must be valid for `len` reads.
#[inline]
pub unsafe fn dot(x: *const f64, y: *const f64, len: usize) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let mut acc0 = f64x2_splat(0.0);
        let mut acc1 = f64x2_splat(0.0);
        let mut i = 0;
        while i + 4 <= len {
            let a0 = v128_load(x.add(i) as *const v128);
            let b0 = v128_load(y.add(i) as *const v128);
            let a1 = v128_load(x.add(i + 2) as *const v128);
            let b1 = v128_load(y.add(i + 2) as *const v128);
            acc0 = f64x2_add(acc0, f64x2_mul(a0, b0));
            acc1 = f64x2_add(acc1, f64x2_mul(a1, b1));
            i += 4;
        }
        let acc = f64x2_add(acc0, acc1);
        let mut s = f64x2_extract_lane::<0>(acc) + f64x2_extract_lane::<1>(acc);
        while i < len {
            s += *x.add(i) * *y.add(i);
            i += 1;
        }
        s
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let mut s = 0.0;
        for i in 0..len {
            s += *x.add(i) * *y.add(i);
        }
        s
    }
}

/// y[i] += alpha·x[i] over `len` elements.
///
/// # Safety
/// `x` valid for `len` reads, `y` for `len` reads and writes; they may not overlap partially.
#[inline]
pub unsafe fn axpy(alpha: f64, x: *const f64, y: *mut f64, len: usize) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let va = f64x2_splat(alpha);
        let mut i = 0;
        while i + 4 <= len {
            let x0 = v128_load(x.add(i) as *const v128);
            let x1 = v128_load(x.add(i + 2) as *const v128);
            let y0 = v128_load(y.add(i) as *const v128);
            let y1 = v128_load(y.add(i + 2) as *const v128);
            v128_store(y.add(i) as *mut v128, f64x2_add(y0, f64x2_mul(va, x0)));
            v128_store(y.add(i + 2) as *mut v128, f64x2_add(y1, f64x2_mul(va, x1)));
            i += 4;
        }
        while i < len {
            *y.add(i) += alpha * *x.add(i);
            i += 1;
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        for i in 0..len {
            *y.add(i) += alpha * *x.add(i);
        }
    }
}

/// (Σ x[i]·u[i], Σ x[i]·w[i]) over `len` elements, in one pass over x.
///
/// # Safety
/// All pointers valid for `len` reads.
#[inline]
pub unsafe fn dot2(x: *const f64, u: *const f64, w: *const f64, len: usize) -> (f64, f64) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let mut a0 = f64x2_splat(0.0);
        let mut a1 = f64x2_splat(0.0);
        let mut b0 = f64x2_splat(0.0);
        let mut b1 = f64x2_splat(0.0);
        let mut i = 0;
        while i + 4 <= len {
            let x0 = v128_load(x.add(i) as *const v128);
            let x1 = v128_load(x.add(i + 2) as *const v128);
            a0 = f64x2_add(a0, f64x2_mul(x0, v128_load(u.add(i) as *const v128)));
            b0 = f64x2_add(b0, f64x2_mul(x1, v128_load(u.add(i + 2) as *const v128)));
            a1 = f64x2_add(a1, f64x2_mul(x0, v128_load(w.add(i) as *const v128)));
            b1 = f64x2_add(b1, f64x2_mul(x1, v128_load(w.add(i + 2) as *const v128)));
            i += 4;
        }
        let a0 = f64x2_add(a0, b0);
        let a1 = f64x2_add(a1, b1);
        let mut s0 = f64x2_extract_lane::<0>(a0) + f64x2_extract_lane::<1>(a0);
        let mut s1 = f64x2_extract_lane::<0>(a1) + f64x2_extract_lane::<1>(a1);
        while i < len {
            s0 += *x.add(i) * *u.add(i);
            s1 += *x.add(i) * *w.add(i);
            i += 1;
        }
        (s0, s1)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let (mut s0, mut s1) = (0.0, 0.0);
        for i in 0..len {
            s0 += *x.add(i) * *u.add(i);
            s1 += *x.add(i) * *w.add(i);
        }
        (s0, s1)
    }
}

/// y[i] += alpha·u[i] + beta·w[i] over `len` elements, in one pass over y.
///
/// # Safety
/// `u`, `w` valid for `len` reads, `y` for reads and writes; no partial overlaps.
#[inline]
pub unsafe fn axpy2(alpha: f64, u: *const f64, beta: f64, w: *const f64, y: *mut f64, len: usize) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let va = f64x2_splat(alpha);
        let vb = f64x2_splat(beta);
        let mut i = 0;
        while i + 2 <= len {
            let yv = v128_load(y.add(i) as *const v128);
            let t = f64x2_add(
                f64x2_mul(va, v128_load(u.add(i) as *const v128)),
                f64x2_mul(vb, v128_load(w.add(i) as *const v128)),
            );
            v128_store(y.add(i) as *mut v128, f64x2_add(yv, t));
            i += 2;
        }
        while i < len {
            *y.add(i) += alpha * *u.add(i) + beta * *w.add(i);
            i += 1;
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        for i in 0..len {
            *y.add(i) += alpha * *u.add(i) + beta * *w.add(i);
        }
    }
}

/// One row of the symmetric rank-2 update fused with the next matrix-vector product:
/// `row[j] -= vi·w[j] + wi·v[j]` for j < len, then returns Σ row[j]·x[j] over the updated row and
/// adds `row[j]·xi` to `y[j]` (the transposed half of a symmetric matrix-vector product).
///
/// # Safety
/// All pointers valid for `len` elements; `row` and `y` writable; no partial overlaps.
#[inline]
#[allow(clippy::too_many_arguments)]
pub unsafe fn syr2_symv_row(
    row: *mut f64,
    v: *const f64,
    w: *const f64,
    vi: f64,
    wi: f64,
    x: *const f64,
    xi: f64,
    y: *mut f64,
    len: usize,
) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let vvi = f64x2_splat(vi);
        let vwi = f64x2_splat(wi);
        let vxi = f64x2_splat(xi);
        // Two accumulators, so the dot product's additions do not form one serial chain.
        let mut acc0 = f64x2_splat(0.0);
        let mut acc1 = f64x2_splat(0.0);
        let mut j = 0;
        while j + 4 <= len {
            let r0 = v128_load(row.add(j) as *const v128);
            let r1 = v128_load(row.add(j + 2) as *const v128);
            let v0 = v128_load(v.add(j) as *const v128);
            let v1 = v128_load(v.add(j + 2) as *const v128);
            let w0 = v128_load(w.add(j) as *const v128);
            let w1 = v128_load(w.add(j + 2) as *const v128);
            let r0 = f64x2_sub(r0, f64x2_add(f64x2_mul(vvi, w0), f64x2_mul(vwi, v0)));
            let r1 = f64x2_sub(r1, f64x2_add(f64x2_mul(vvi, w1), f64x2_mul(vwi, v1)));
            v128_store(row.add(j) as *mut v128, r0);
            v128_store(row.add(j + 2) as *mut v128, r1);
            acc0 = f64x2_add(acc0, f64x2_mul(r0, v128_load(x.add(j) as *const v128)));
            acc1 = f64x2_add(acc1, f64x2_mul(r1, v128_load(x.add(j + 2) as *const v128)));
            let y0 = v128_load(y.add(j) as *const v128);
            let y1 = v128_load(y.add(j + 2) as *const v128);
            v128_store(y.add(j) as *mut v128, f64x2_add(y0, f64x2_mul(r0, vxi)));
            v128_store(y.add(j + 2) as *mut v128, f64x2_add(y1, f64x2_mul(r1, vxi)));
            j += 4;
        }
        let acc = f64x2_add(acc0, acc1);
        let mut s = f64x2_extract_lane::<0>(acc) + f64x2_extract_lane::<1>(acc);
        while j < len {
            let r = *row.add(j) - (vi * *w.add(j) + wi * *v.add(j));
            *row.add(j) = r;
            s += r * *x.add(j);
            *y.add(j) += r * xi;
            j += 1;
        }
        s
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let mut s = 0.0;
        for j in 0..len {
            let r = *row.add(j) - (vi * *w.add(j) + wi * *v.add(j));
            *row.add(j) = r;
            s += r * *x.add(j);
            *y.add(j) += r * xi;
        }
        s
    }
}

/// [`syr2_symv_row`] for two consecutive rows at once, over their common `len` columns (loading
/// v, w, x and y once for both): `row0[j] -= vi0·w[j] + wi0·v[j]`, likewise row1 with vi1, wi1;
/// returns (Σ row0[j]·x[j], Σ row1[j]·x[j]) over the updated rows and adds
/// `row0[j]·xi0 + row1[j]·xi1` to `y[j]`.
///
/// # Safety
/// As [`syr2_symv_row`], for both rows.
#[inline]
#[allow(clippy::too_many_arguments)]
pub unsafe fn syr2_symv_row2(
    row0: *mut f64,
    row1: *mut f64,
    v: *const f64,
    w: *const f64,
    (vi0, wi0, xi0): (f64, f64, f64),
    (vi1, wi1, xi1): (f64, f64, f64),
    x: *const f64,
    y: *mut f64,
    len: usize,
) -> (f64, f64) {
    let mut j = 0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (mut s0, mut s1) = {
        let (v_0, w_0, x_0) = (f64x2_splat(vi0), f64x2_splat(wi0), f64x2_splat(xi0));
        let (v_1, w_1, x_1) = (f64x2_splat(vi1), f64x2_splat(wi1), f64x2_splat(xi1));
        let mut acc0 = f64x2_splat(0.0);
        let mut acc1 = f64x2_splat(0.0);
        while j + 2 <= len {
            let vv = v128_load(v.add(j) as *const v128);
            let ww = v128_load(w.add(j) as *const v128);
            let xx = v128_load(x.add(j) as *const v128);
            let r0 = f64x2_sub(
                v128_load(row0.add(j) as *const v128),
                f64x2_add(f64x2_mul(v_0, ww), f64x2_mul(w_0, vv)),
            );
            let r1 = f64x2_sub(
                v128_load(row1.add(j) as *const v128),
                f64x2_add(f64x2_mul(v_1, ww), f64x2_mul(w_1, vv)),
            );
            v128_store(row0.add(j) as *mut v128, r0);
            v128_store(row1.add(j) as *mut v128, r1);
            acc0 = f64x2_add(acc0, f64x2_mul(r0, xx));
            acc1 = f64x2_add(acc1, f64x2_mul(r1, xx));
            let yy = v128_load(y.add(j) as *const v128);
            let t = f64x2_add(f64x2_mul(r0, x_0), f64x2_mul(r1, x_1));
            v128_store(y.add(j) as *mut v128, f64x2_add(yy, t));
            j += 2;
        }
        let sum = |a: v128| f64x2_extract_lane::<0>(a) + f64x2_extract_lane::<1>(a);
        (sum(acc0), sum(acc1))
    };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let (mut s0, mut s1) = (0.0, 0.0);
    while j < len {
        let r0 = *row0.add(j) - (vi0 * *w.add(j) + wi0 * *v.add(j));
        let r1 = *row1.add(j) - (vi1 * *w.add(j) + wi1 * *v.add(j));
        *row0.add(j) = r0;
        *row1.add(j) = r1;
        s0 += r0 * *x.add(j);
        s1 += r1 * *x.add(j);
        *y.add(j) += r0 * xi0 + r1 * xi1;
        j += 1;
    }
    (s0, s1)
}

/// A batch of rotation chains for [`rotate_chains`]: chain j rotates rows
/// `rows[row_start[j]..=row_start[j] + k]` with the `k` cosines and sines at
/// `c[rot_start[j]..]`, `s[rot_start[j]..]`.
pub struct ChainBatch {
    /// Row offsets (in elements) of all chains, k + 1 per chain.
    pub rows: Vec<usize>,
    /// Cosines of all chains, k per chain.
    pub c: Vec<f64>,
    /// Sines of all chains, k per chain.
    pub s: Vec<f64>,
    /// (first row index, first rotation index, rotation count, whether its rows are the start
    /// of the previous chain's rows) per chain.
    pub chains: Vec<(usize, usize, usize, bool)>,
}

impl ChainBatch {
    /// An empty batch.
    pub fn new() -> Self {
        ChainBatch {
            rows: Vec::new(),
            c: Vec::new(),
            s: Vec::new(),
            chains: Vec::new(),
        }
    }

    /// Appends a chain (see [`rotate_chains`] for its meaning).
    pub fn push(&mut self, rows: &[usize], c: &[f64], s: &[f64]) {
        if c.is_empty() {
            return;
        }
        // The next sweep of a block usually covers the same rows, or one fewer after a deflation:
        // such a pair of chains can be applied in one pass (see `chain_pair_strip8`).
        let follows = match self.chains.last() {
            // (Compared element by element: a slice `==` calls memcmp from compiler_builtins,
            // which is not built for shared memory and so cannot be linked; see wasm/README.md.)
            Some(&(r0, _, k, _)) => {
                c.len() <= k
                    && self.rows[r0..=r0 + c.len()]
                        .iter()
                        .zip(rows)
                        .all(|(x, y)| x == y)
            }
            None => false,
        };
        self.chains
            .push((self.rows.len(), self.c.len(), c.len(), follows));
        self.rows.extend_from_slice(rows);
        self.c.extend_from_slice(c);
        self.s.extend_from_slice(s);
    }

    /// Number of chains held.
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// Drops all chains.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.c.clear();
        self.s.clear();
        self.chains.clear();
    }
}

/// Applies a batch of chains of plane rotations, in order, to columns `col0..col1` of rows of a
/// row-major matrix.
///
/// In one chain, `rows[0..=k]` are row offsets (in elements) and rotation `t` (t < k) acts on the
/// pair (`rows[t + 1]`, `rows[t]`) with cosine `c[t]` and sine `s[t]`:
/// `new[t] = s·old[t + 1] + c·carry`, `carry = c·old[t + 1] − s·carry`, where `carry` starts as
/// row `rows[0]` and ends in row `rows[k]`. This is the QL sweep's update of the eigenvector rows.
/// Fusing a chain keeps the travelling row in registers, so each row is read and written once;
/// and since columns are independent, all chains of the batch are applied to one 8-column strip
/// before the next, so later chains find their rows in L1 cache. A chain whose rows start the
/// previous chain's is applied together with it ([`chain_pair_strip8`]), two rotations per load
/// and store. Every element sees the same operations in the same order either way, so the result
/// does not depend on the fusion.
///
/// # Safety
/// Every row offset + `col1` must lie inside `z`; rows within a chain must be distinct.
pub unsafe fn rotate_chains(z: *mut f64, col0: usize, col1: usize, batch: &ChainBatch) {
    let mut col = col0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        while col + 8 <= col1 {
            let base = z.add(col);
            let chains = &batch.chains;
            let mut j = 0;
            while j < chains.len() {
                let (r0, c0, k, _) = chains[j];
                let rp = batch.rows.as_ptr().add(r0);
                let (cp, sp) = (batch.c.as_ptr().add(c0), batch.s.as_ptr().add(c0));
                match chains.get(j + 1) {
                    Some(&(_, c1, k1, true)) => {
                        let (cq, sq) = (batch.c.as_ptr().add(c1), batch.s.as_ptr().add(c1));
                        chain_pair_strip8(base, rp, cp, sp, k, cq, sq, k1);
                        j += 2;
                    }
                    _ => {
                        chain_strip8(base, rp, cp, sp, k);
                        j += 1;
                    }
                }
            }
            col += 8;
        }
    }
    while col < col1 {
        let base = z.add(col);
        for &(r0, c0, k, _) in batch.chains.iter() {
            let rp = batch.rows.as_ptr().add(r0);
            let cp = batch.c.as_ptr().add(c0);
            let sp = batch.s.as_ptr().add(c0);
            let mut a = *base.add(*rp);
            for t in 0..k {
                let ct = *cp.add(t);
                let st = *sp.add(t);
                let x = *base.add(*rp.add(t + 1));
                *base.add(*rp.add(t)) = st * x + ct * a;
                a = ct * x - st * a;
            }
            *base.add(*rp.add(k)) = a;
        }
        col += 1;
    }
}

/// Two chains on the 8 columns starting at `base`: chain A (`ka` rotations `ca`, `sa` over the
/// rows at `rp`) and then chain B (`kb` ≤ `ka` rotations `cb`, `sb` over the first kb + 1 of
/// those rows), in one pass: B's step u needs A's final row u + 1, which A produces (in registers)
/// at its step u + 1, so B runs one step behind A and each row is loaded and stored once.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn chain_pair_strip8(
    base: *mut f64,
    rp: *const usize,
    ca: *const f64,
    sa: *const f64,
    ka: usize,
    cb: *const f64,
    sb: *const f64,
    kb: usize,
) {
    const V: usize = 4;
    let row = |t: usize| base.add(*rp.add(t));
    let mut a = [f64x2_splat(0.0); V];
    let mut b = [f64x2_splat(0.0); V];
    for (q, aq) in a.iter_mut().enumerate() {
        *aq = v128_load(row(0).add(2 * q) as *const v128);
    }
    // B's step u: rotate B's carry with x (A's final row u + 1); the new row u is stored.
    let b_step = |u: usize, x: &[v128; V], b: &mut [v128; V]| {
        let vc = f64x2_splat(*cb.add(u));
        let vs = f64x2_splat(*sb.add(u));
        let dst = row(u);
        for q in 0..V {
            let out = f64x2_add(f64x2_mul(vs, x[q]), f64x2_mul(vc, b[q]));
            v128_store(dst.add(2 * q) as *mut v128, out);
            b[q] = f64x2_sub(f64x2_mul(vc, x[q]), f64x2_mul(vs, b[q]));
        }
    };
    for t in 0..ka {
        // A's step t gives A's final row t (e).
        let vc = f64x2_splat(*ca.add(t));
        let vs = f64x2_splat(*sa.add(t));
        let src = row(t + 1);
        let mut e = [f64x2_splat(0.0); V];
        for q in 0..V {
            let x = v128_load(src.add(2 * q) as *const v128);
            e[q] = f64x2_add(f64x2_mul(vs, x), f64x2_mul(vc, a[q]));
            a[q] = f64x2_sub(f64x2_mul(vc, x), f64x2_mul(vs, a[q]));
        }
        if t == 0 {
            b = e; // B starts from A's row 0
        } else if t <= kb {
            b_step(t - 1, &e, &mut b);
        } else {
            let dst = row(t); // past B's rows: A's result is final
            for (q, eq) in e.iter().enumerate() {
                v128_store(dst.add(2 * q) as *mut v128, *eq);
            }
        }
        if t == kb && t > 0 {
            let last = row(kb); // B's carry ends in its last row
            for (q, bq) in b.iter().enumerate() {
                v128_store(last.add(2 * q) as *mut v128, *bq);
            }
        }
    }
    // A's carry ends in row ka: final for A, and B's last input when kb = ka.
    if kb == ka {
        b_step(ka - 1, &a, &mut b);
        a = b;
    }
    let last = row(ka);
    for (q, aq) in a.iter().enumerate() {
        v128_store(last.add(2 * q) as *mut v128, *aq);
    }
}

/// One chain on the 8 columns starting at `base`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
unsafe fn chain_strip8(base: *mut f64, rp: *const usize, cp: *const f64, sp: *const f64, k: usize) {
    let r0 = base.add(*rp);
    let mut a0 = v128_load(r0 as *const v128);
    let mut a1 = v128_load(r0.add(2) as *const v128);
    let mut a2 = v128_load(r0.add(4) as *const v128);
    let mut a3 = v128_load(r0.add(6) as *const v128);
    for t in 0..k {
        let vc = f64x2_splat(*cp.add(t));
        let vs = f64x2_splat(*sp.add(t));
        let src = base.add(*rp.add(t + 1));
        let dst = base.add(*rp.add(t));
        let x0 = v128_load(src as *const v128);
        let x1 = v128_load(src.add(2) as *const v128);
        let x2 = v128_load(src.add(4) as *const v128);
        let x3 = v128_load(src.add(6) as *const v128);
        v128_store(
            dst as *mut v128,
            f64x2_add(f64x2_mul(vs, x0), f64x2_mul(vc, a0)),
        );
        v128_store(
            dst.add(2) as *mut v128,
            f64x2_add(f64x2_mul(vs, x1), f64x2_mul(vc, a1)),
        );
        v128_store(
            dst.add(4) as *mut v128,
            f64x2_add(f64x2_mul(vs, x2), f64x2_mul(vc, a2)),
        );
        v128_store(
            dst.add(6) as *mut v128,
            f64x2_add(f64x2_mul(vs, x3), f64x2_mul(vc, a3)),
        );
        a0 = f64x2_sub(f64x2_mul(vc, x0), f64x2_mul(vs, a0));
        a1 = f64x2_sub(f64x2_mul(vc, x1), f64x2_mul(vs, a1));
        a2 = f64x2_sub(f64x2_mul(vc, x2), f64x2_mul(vs, a2));
        a3 = f64x2_sub(f64x2_mul(vc, x3), f64x2_mul(vs, a3));
    }
    let last = base.add(*rp.add(k));
    v128_store(last as *mut v128, a0);
    v128_store(last.add(2) as *mut v128, a1);
    v128_store(last.add(4) as *mut v128, a2);
    v128_store(last.add(6) as *mut v128, a3);
}

/// [`dot2`] and then [`axpy2`] for a pair of reflectors on `R` rows at once (loading u and w
/// once for all): for each row x, s1 = x·u, s2 = x·w, α = t1·s1, β = t2·(s2 − α·uw),
/// x −= α·u + β·w, which multiplies x by (I − t1·u·uᵀ)(I − t2·w·wᵀ). Rows are `ld` apart.
///
/// # Safety
/// The R rows (x, x + ld, …) valid for `len` reads and writes, `u`, `w` for `len` reads; no
/// overlaps.
#[inline]
#[allow(clippy::too_many_arguments)]
pub unsafe fn reflect2_rows<const R: usize>(
    x: *mut f64,
    ld: usize,
    u: *const f64,
    w: *const f64,
    t1: f64,
    t2: f64,
    uw: f64,
    len: usize,
) {
    let row = |r: usize| x.add(r * ld);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (mut su, mut sw, mut i) = {
        let mut vu = [f64x2_splat(0.0); R];
        let mut vw = [f64x2_splat(0.0); R];
        let mut i = 0;
        while i + 2 <= len {
            let uu = v128_load(u.add(i) as *const v128);
            let ww = v128_load(w.add(i) as *const v128);
            for r in 0..R {
                let xr = v128_load(row(r).add(i) as *const v128);
                vu[r] = f64x2_add(vu[r], f64x2_mul(xr, uu));
                vw[r] = f64x2_add(vw[r], f64x2_mul(xr, ww));
            }
            i += 2;
        }
        let sum = |v: v128| f64x2_extract_lane::<0>(v) + f64x2_extract_lane::<1>(v);
        let mut su = [0.0; R];
        let mut sw = [0.0; R];
        for r in 0..R {
            su[r] = sum(vu[r]);
            sw[r] = sum(vw[r]);
        }
        (su, sw, i)
    };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let (mut su, mut sw, mut i) = ([0.0; R], [0.0; R], 0);
    while i < len {
        for r in 0..R {
            su[r] += *row(r).add(i) * *u.add(i);
            sw[r] += *row(r).add(i) * *w.add(i);
        }
        i += 1;
    }
    let mut alpha = [0.0; R];
    let mut beta = [0.0; R];
    for r in 0..R {
        alpha[r] = t1 * su[r];
        beta[r] = t2 * (sw[r] - alpha[r] * uw);
    }
    let mut i = 0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let mut na = [f64x2_splat(0.0); R];
        let mut nb = [f64x2_splat(0.0); R];
        for r in 0..R {
            na[r] = f64x2_splat(-alpha[r]);
            nb[r] = f64x2_splat(-beta[r]);
        }
        while i + 2 <= len {
            let uu = v128_load(u.add(i) as *const v128);
            let ww = v128_load(w.add(i) as *const v128);
            for r in 0..R {
                let p = row(r).add(i);
                let d = f64x2_add(f64x2_mul(na[r], uu), f64x2_mul(nb[r], ww));
                v128_store(p as *mut v128, f64x2_add(v128_load(p as *const v128), d));
            }
            i += 2;
        }
    }
    while i < len {
        for r in 0..R {
            *row(r).add(i) += -alpha[r] * *u.add(i) + -beta[r] * *w.add(i);
        }
        i += 1;
    }
}
