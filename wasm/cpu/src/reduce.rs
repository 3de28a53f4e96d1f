//! Reductions: sums over the middle axis of [outer, len, inner] (each output summed by one thread,
//! in order), sums of squares (per-chunk partials, added in chunk order on the TS side), row-wise
//! log-softmax and its backward.
use crate::math::*;
use crate::{claims, claims_of};
use core::arch::wasm32::*;

#[inline(always)]
fn hsum(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v)
        + f32x4_extract_lane::<1>(v)
        + f32x4_extract_lane::<2>(v)
        + f32x4_extract_lane::<3>(v)
}

/// Σ x[i] over [0, n) with 16 lanes of partial sums.
#[inline(always)]
unsafe fn sum_contig(x: *const f32, n: usize) -> f32 {
    let z = splat(0.0);
    let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
    let mut i = 0;
    while i + 16 <= n {
        s0 = f32x4_add(s0, ld(x.add(i)));
        s1 = f32x4_add(s1, ld(x.add(i + 4)));
        s2 = f32x4_add(s2, ld(x.add(i + 8)));
        s3 = f32x4_add(s3, ld(x.add(i + 12)));
        i += 16;
    }
    let mut s = hsum(f32x4_add(f32x4_add(s0, s1), f32x4_add(s2, s3)));
    while i < n {
        s += *x.add(i);
        i += 1;
    }
    s
}

/// out[o, i] (+)= Σ_l x[o, l, i]. Threads split `outer` when it is large, else `inner`.
#[no_mangle]
pub unsafe extern "C" fn reduce_sum(
    x: *const f32,
    out: *mut f32,
    outer: usize,
    len: usize,
    inner: usize,
    acc: u32,
    tid: usize,
    nt: usize,
) {
    let split_outer = outer >= nt * 2 || inner < 16 * nt;
    let (units, align) = if split_outer { (outer, 1) } else { (inner, 16) };
    for (s, e) in claims(units, tid, nt, align) {
        let (o0, o1, i0, i1) = if split_outer {
            (s, e, 0, inner)
        } else {
            (0, outer, s, e)
        };
        for o in o0..o1 {
            let xo = x.add(o * len * inner);
            let oo = out.add(o * inner);
            if inner == 1 {
                let s = sum_contig(xo, len);
                *oo = if acc != 0 { *oo + s } else { s };
                continue;
            }
            col_sums(xo, oo, len, inner, i0, i1, acc != 0);
        }
    }
}

/// out[i] (+)= Σ_l x[l, i] for i in [i0, i1) of x laid out as [len, inner]: 16-wide stripes,
/// each column summed down `len` in order (then added to out[i] when `acc`).
#[inline(always)]
pub(crate) unsafe fn col_sums(
    x: *const f32,
    out: *mut f32,
    len: usize,
    inner: usize,
    i0: usize,
    i1: usize,
    acc: bool,
) {
    let mut i = i0;
    while i < i1 {
        let w = (i1 - i).min(16);
        if w == 16 {
            let z = splat(0.0);
            let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
            for l in 0..len {
                let p = x.add(l * inner + i);
                s0 = f32x4_add(s0, ld(p));
                s1 = f32x4_add(s1, ld(p.add(4)));
                s2 = f32x4_add(s2, ld(p.add(8)));
                s3 = f32x4_add(s3, ld(p.add(12)));
            }
            let q = out.add(i);
            if acc {
                s0 = f32x4_add(s0, ld(q));
                s1 = f32x4_add(s1, ld(q.add(4)));
                s2 = f32x4_add(s2, ld(q.add(8)));
                s3 = f32x4_add(s3, ld(q.add(12)));
            }
            st(q, s0);
            st(q.add(4), s1);
            st(q.add(8), s2);
            st(q.add(12), s3);
        } else {
            for j in i..i + w {
                let mut s = 0f32;
                for l in 0..len {
                    s += *x.add(l * inner + j);
                }
                let q = out.add(j);
                *q = if acc { *q + s } else { s };
            }
        }
        i += w;
    }
}

/// partials[c] = Σ x[i]² over chunk c = [c·chunk, (c+1)·chunk) ∩ [0, n), whichever thread claims
/// it: the TS side adds the partials in chunk order, so the sum's grouping depends only on n and
/// `chunk` (which the TS side derives from n), not on the thread count or the threads' timing.
#[no_mangle]
pub unsafe extern "C" fn sum_squares_part(
    x: *const f32,
    n: usize,
    chunk: usize,
    partials: *mut f32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims_of(n, chunk, tid, nt) {
        let z = splat(0.0);
        let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
        let mut tail = 0f32;
        let mut i = s;
        while i + 16 <= e {
            let (a, b, c, d) = (
                ld(x.add(i)),
                ld(x.add(i + 4)),
                ld(x.add(i + 8)),
                ld(x.add(i + 12)),
            );
            s0 = f32x4_add(s0, f32x4_mul(a, a));
            s1 = f32x4_add(s1, f32x4_mul(b, b));
            s2 = f32x4_add(s2, f32x4_mul(c, c));
            s3 = f32x4_add(s3, f32x4_mul(d, d));
            i += 16;
        }
        while i < e {
            let v = *x.add(i);
            tail += v * v;
            i += 1;
        }
        *partials.add(s / chunk) = hsum(f32x4_add(f32x4_add(s0, s1), f32x4_add(s2, s3))) + tail;
    }
}

/// y[r] = x[r] − max − log Σ exp(x[r] − max), rows split across threads.
#[no_mangle]
pub unsafe extern "C" fn log_softmax(
    x: *const f32,
    y: *mut f32,
    rows: usize,
    cols: usize,
    tid: usize,
    nt: usize,
) {
    for (r0, r1) in claims(rows, tid, nt, 1) {
        for r in r0..r1 {
            let xr = x.add(r * cols);
            let yr = y.add(r * cols);
            let mut mx = f32::NEG_INFINITY;
            for j in 0..cols {
                let v = *xr.add(j);
                if v > mx {
                    mx = v;
                }
            }
            let mv = splat(mx);
            let mut sv = splat(0.0);
            let mut j = 0;
            while j + 4 <= cols {
                sv = f32x4_add(sv, exp4(f32x4_sub(ld(xr.add(j)), mv)));
                j += 4;
            }
            let mut s = hsum(sv);
            while j < cols {
                s += f32x4_extract_lane::<0>(exp4(splat(*xr.add(j) - mx)));
                j += 1;
            }
            let lse = mx + f32x4_extract_lane::<0>(log4(splat(s)));
            for j in 0..cols {
                *yr.add(j) = *xr.add(j) - lse;
            }
        }
    }
}

/// dx = dy − exp(y)·Σ_row dy.
#[no_mangle]
pub unsafe extern "C" fn log_softmax_backward(
    y: *const f32,
    dy: *const f32,
    dx: *mut f32,
    rows: usize,
    cols: usize,
    tid: usize,
    nt: usize,
) {
    for (r0, r1) in claims(rows, tid, nt, 1) {
        for r in r0..r1 {
            let yr = y.add(r * cols);
            let dyr = dy.add(r * cols);
            let dxr = dx.add(r * cols);
            let s = splat(sum_contig(dyr, cols));
            let mut j = 0;
            while j + 4 <= cols {
                st(
                    dxr.add(j),
                    f32x4_sub(ld(dyr.add(j)), f32x4_mul(exp4(ld(yr.add(j))), s)),
                );
                j += 4;
            }
            while j < cols {
                let e = f32x4_extract_lane::<0>(exp4(splat(*yr.add(j))));
                *dxr.add(j) = *dyr.add(j) - e * f32x4_extract_lane::<0>(s);
                j += 1;
            }
        }
    }
}
