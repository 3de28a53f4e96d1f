//! Data movement for convolutions and layouts: im2col (gather of input taps into a
//! (C·KH·KW, B·OH·OW) matrix), col2im (its adjoint; each thread owns whole (b, c) planes, so the
//! scatter-add is race-free) and axis permutation.
use crate::claims;
use crate::math::{ld, st};
use core::arch::wasm32::*;

/// Geometry at `g` as i32s: [b, c, h, w, kh, kw, stride, pad, oh, ow].
#[inline(always)]
unsafe fn geom(g: *const i32) -> [usize; 10] {
    let mut o = [0usize; 10];
    for (i, v) in o.iter_mut().enumerate() {
        *v = *g.add(i) as usize;
    }
    o
}

/// dst[xx] = src[2·xx + j − p] for xx in [lo, hi): two loads and one even-lane shuffle per 4.
#[inline(always)]
unsafe fn gather_even(src: *const f32, dst: *mut f32, lo: usize, hi: usize, j: usize, p: usize) {
    let mut xx = lo;
    // The vector loop reads src up to 2·xx + j − p + 7, which must stay below 2·hi + j − p − 1.
    while xx + 4 < hi {
        let base = src.add(2 * xx + j - p);
        let v0 = ld(base);
        let v1 = ld(base.add(4));
        st(dst.add(xx), i32x4_shuffle::<0, 2, 4, 6>(v0, v1));
        xx += 4;
    }
    while xx < hi {
        *dst.add(xx) = *src.add(2 * xx + j - p);
        xx += 1;
    }
}

/// dst[2·xx + j − p] += src[xx] for xx in [lo, hi).
#[inline(always)]
unsafe fn scatter_add_even(
    src: *const f32,
    dst: *mut f32,
    lo: usize,
    hi: usize,
    j: usize,
    p: usize,
) {
    let mut xx = lo;
    let z = f32x4_splat(0.0);
    while xx + 4 < hi {
        let d = dst.add(2 * xx + j - p);
        let v = ld(src.add(xx));
        let e0 = i32x4_shuffle::<0, 4, 1, 5>(v, z);
        let e1 = i32x4_shuffle::<2, 4, 3, 5>(v, z);
        st(d, f32x4_add(ld(d), e0));
        st(d.add(4), f32x4_add(ld(d.add(4)), e1));
        xx += 4;
    }
    while xx < hi {
        *dst.add(2 * xx + j - p) += *src.add(xx);
        xx += 1;
    }
}

/// dst[i] += src[i] for i < n.
#[inline(always)]
unsafe fn add_into(src: *const f32, dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + 4 <= n {
        st(dst.add(i), f32x4_add(ld(dst.add(i)), ld(src.add(i))));
        i += 4;
    }
    while i < n {
        *dst.add(i) += *src.add(i);
        i += 1;
    }
}

/// dst[i] = src[i] for i < n: a plain loop, because `copy_nonoverlapping` becomes a call to
/// `memory.copy`, whose fixed cost dominated the 4–28-float rows of the padded planes (`permute`'s
/// longer runs keep it).
#[inline(always)]
unsafe fn copy_row(src: *const f32, dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + 4 <= n {
        st(dst.add(i), ld(src.add(i)));
        i += 4;
    }
    while i < n {
        *dst.add(i) = *src.add(i);
        i += 1;
    }
}

/// Output columns xx in [lo, hi) whose input column xx·s − p + j lies inside [0, w).
#[inline(always)]
fn valid_range(ow: usize, w: usize, s: usize, p: usize, j: usize) -> (usize, usize) {
    let lo = if p > j { (p - j + s - 1) / s } else { 0 };
    let hi = if w + p > j {
        ((w + p - j - 1) / s + 1).min(ow)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Row `dst[0..ow] = src[x·s]` of a zero-padded plane (S: s when 1 or 2, else 0; no bounds
/// checks; for s = 2 the vector loop reads up to 2 floats past the row, which the padded scratch
/// has room for). With `spill` the last partial vector is stored whole: up to 3 floats past
/// `dst[ow]` get values of no use, which the caller overwrites with the next row (im2col's rows
/// are short: 4–14 floats, so the scalar tail was most of a row's cost).
#[inline(always)]
unsafe fn tap_row<const S: usize>(
    src: *const f32,
    dst: *mut f32,
    ow: usize,
    s: usize,
    spill: bool,
) {
    let mut x = 0;
    if S == 1 {
        while x + 4 <= ow || (spill && x < ow) {
            st(dst.add(x), ld(src.add(x)));
            x += 4;
        }
        for x in x..ow {
            *dst.add(x) = *src.add(x);
        }
    } else if S == 2 {
        while x + 4 <= ow || (spill && x < ow) {
            let v0 = ld(src.add(2 * x));
            let v1 = ld(src.add(2 * x + 4));
            st(dst.add(x), i32x4_shuffle::<0, 2, 4, 6>(v0, v1));
            x += 4;
        }
        for x in x..ow {
            *dst.add(x) = *src.add(2 * x);
        }
    } else {
        for x in 0..ow {
            *dst.add(x) = *src.add(x * s);
        }
    }
}

/// The tap rows of one (c, b) plane of im2col from its zero-padded copy `pad` (row stride pw):
/// every row but the block's last spills (the next row overwrites it); the last is exact, so no
/// store leaves the block that this thread owns. Rows of one float do not spill: their 3 spilled
/// floats would reach past the next row, out of the block from the second-last row.
#[inline(never)]
unsafe fn im2col_plane<const S: usize>(
    pad: *const f32,
    dst_ch: *mut f32,
    pw: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    s: usize,
    ncol: usize,
) {
    for i in 0..kh {
        for j in 0..kw {
            let dst0 = dst_ch.add((i * kw + j) * ncol);
            for y in 0..oh {
                let src = pad.add((y * s + i) * pw + j);
                tap_row::<S>(src, dst0.add(y * ow), ow, s, y + 1 < oh && ow >= 2);
            }
        }
    }
}

/// `dst[x·s] += src[x]` for x < ow into a zero-padded plane (S: s when 1 or 2, else 0). For
/// s = 1 and 2 the partial last vector is added whole with its missing lanes zero, as are the odd
/// lanes for s = 2: up to 6 floats past the row (inside the plane's 16 floats of slack) get + 0.0,
/// which changes no bit there: an accumulator that starts at +0.0 can never hold −0.0.
#[inline(always)]
unsafe fn tap_row_add<const S: usize>(src: *const f32, dst: *mut f32, ow: usize, s: usize) {
    let z = f32x4_splat(0.0);
    let mut x = 0;
    if S == 1 || S == 2 {
        while x < ow {
            let v = if x + 4 <= ow {
                ld(src.add(x))
            } else {
                let mut t = [0f32; 4];
                for k in 0..ow - x {
                    t[k] = *src.add(x + k);
                }
                ld(t.as_ptr())
            };
            if S == 1 {
                let d = dst.add(x);
                st(d, f32x4_add(ld(d), v));
            } else {
                let d = dst.add(2 * x);
                st(d, f32x4_add(ld(d), i32x4_shuffle::<0, 4, 1, 5>(v, z)));
                st(
                    d.add(4),
                    f32x4_add(ld(d.add(4)), i32x4_shuffle::<2, 4, 3, 5>(v, z)),
                );
            }
            x += 4;
        }
    } else {
        for x in 0..ow {
            *dst.add(x * s) += *src.add(x);
        }
    }
}

/// Zeroes `pad[0..n]` (a loop, not `memory.fill`: n is 100–1,000 floats here).
#[inline(always)]
unsafe fn zero(pad: *mut f32, n: usize) {
    let z = f32x4_splat(0.0);
    let mut i = 0;
    while i + 4 <= n {
        st(pad.add(i), z);
        i += 4;
    }
    while i < n {
        *pad.add(i) = 0.0;
        i += 1;
    }
}

/// Adds the tap rows of one (b, c) plane of the columns (`src_ch`: its first tap row) into the
/// zero-padded accumulator `pad` (row stride pw), in the order i, j, y.
#[inline(never)]
unsafe fn col2im_plane<const S: usize>(
    src_ch: *const f32,
    pad: *mut f32,
    pw: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    s: usize,
    ncol: usize,
) {
    for i in 0..kh {
        for j in 0..kw {
            let src0 = src_ch.add((i * kw + j) * ncol);
            for y in 0..oh {
                tap_row_add::<S>(src0.add(y * ow), pad.add((y * s + i) * pw + j), ow, s);
            }
        }
    }
}

/// The zero-padded plane of thread `tid` in scratch, or null when it does not fit.
#[inline(always)]
unsafe fn padded_plane(scratch: *mut u8, tid: usize, ph: usize, pw: usize) -> *mut f32 {
    if (ph * pw + 16) * 4 > crate::gemm::SCRATCH_STRIDE {
        return core::ptr::null_mut();
    }
    scratch.add(tid * crate::gemm::SCRATCH_STRIDE) as *mut f32
}

/// im2col through a zero-padded copy of each (c, b) input plane: every tap row is then an
/// unconditional (strided) copy. Threads split the C·B planes.
#[no_mangle]
pub unsafe extern "C" fn im2col(
    x: *const f32,
    col: *mut f32,
    g: *const i32,
    scratch: *mut u8,
    tid: usize,
    nt: usize,
) {
    let [b, c, h, w, kh, kw, s, p, oh, ow] = geom(g);
    let (ph, pw) = (h + 2 * p, w + 2 * p);
    let pad = padded_plane(scratch, tid, ph, pw);
    if pad.is_null() {
        return im2col_direct(x, col, g, tid, nt);
    }
    zero(pad, ph * pw + 16);
    let ncol = b * oh * ow;
    for (u0, u1) in claims(c * b, tid, nt, 1) {
        for u in u0..u1 {
            let ch = u / b;
            let bb = u - ch * b;
            let plane = x.add((bb * c + ch) * h * w);
            for y in 0..h {
                copy_row(plane.add(y * w), pad.add((y + p) * pw + p), w);
            }
            let dst_ch = col.add(ch * kh * kw * ncol + bb * oh * ow);
            match s {
                1 => im2col_plane::<1>(pad, dst_ch, pw, kh, kw, oh, ow, s, ncol),
                2 => im2col_plane::<2>(pad, dst_ch, pw, kh, kw, oh, ow, s, ncol),
                _ => im2col_plane::<0>(pad, dst_ch, pw, kh, kw, oh, ow, s, ncol),
            }
        }
    }
}

/// im2col with bounds checks per row, for planes too large for the scratch region.
unsafe fn im2col_direct(x: *const f32, col: *mut f32, g: *const i32, tid: usize, nt: usize) {
    let [b, c, h, w, kh, kw, s, p, oh, ow] = geom(g);
    let ncol = b * oh * ow;
    let units = c * kh * kw * b;
    for (u0, u1) in claims(units, tid, nt, 1) {
        for u in u0..u1 {
            let r = u / b;
            let bb = u - r * b;
            let j = r % kw;
            let i = (r / kw) % kh;
            let ch = r / (kw * kh);
            let (lo, hi) = valid_range(ow, w, s, p, j);
            let plane = x.add((bb * c + ch) * h * w);
            let dst0 = col.add(r * ncol + bb * oh * ow);
            for y in 0..oh {
                let dst = dst0.add(y * ow);
                let iy = (y * s + i) as isize - p as isize;
                if iy < 0 || iy >= h as isize {
                    for xx in 0..ow {
                        *dst.add(xx) = 0.0;
                    }
                    continue;
                }
                let src = plane.add(iy as usize * w);
                for xx in 0..lo {
                    *dst.add(xx) = 0.0;
                }
                if s == 1 {
                    let off = j as isize - p as isize;
                    if hi > lo {
                        core::ptr::copy_nonoverlapping(
                            src.offset(lo as isize + off),
                            dst.add(lo),
                            hi - lo,
                        );
                    }
                } else if s == 2 {
                    gather_even(src, dst, lo, hi, j, p);
                } else {
                    for xx in lo..hi {
                        *dst.add(xx) = *src.add(xx * s + j - p);
                    }
                }
                for xx in hi..ow {
                    *dst.add(xx) = 0.0;
                }
            }
        }
    }
}

/// col2im through a zero-padded accumulator plane per (b, c): every tap row is an unconditional
/// (strided) add; the interior is then written (or added) to dx. Threads split the B·C planes.
#[no_mangle]
pub unsafe extern "C" fn col2im(
    col: *const f32,
    dx: *mut f32,
    g: *const i32,
    acc: u32,
    scratch: *mut u8,
    tid: usize,
    nt: usize,
) {
    let [b, c, h, w, kh, kw, s, p, oh, ow] = geom(g);
    let (ph, pw) = (h + 2 * p, w + 2 * p);
    let pad = padded_plane(scratch, tid, ph, pw);
    if pad.is_null() {
        return col2im_direct(col, dx, g, acc, tid, nt);
    }
    let ncol = b * oh * ow;
    for (u0, u1) in claims(b * c, tid, nt, 1) {
        for u in u0..u1 {
            let bb = u / c;
            let ch = u - bb * c;
            zero(pad, ph * pw + 16);
            let src_ch = col.add(ch * kh * kw * ncol + bb * oh * ow);
            match s {
                1 => col2im_plane::<1>(src_ch, pad, pw, kh, kw, oh, ow, s, ncol),
                2 => col2im_plane::<2>(src_ch, pad, pw, kh, kw, oh, ow, s, ncol),
                _ => col2im_plane::<0>(src_ch, pad, pw, kh, kw, oh, ow, s, ncol),
            }
            let plane = dx.add(u * h * w);
            for y in 0..h {
                let src = pad.add((y + p) * pw + p);
                let dst = plane.add(y * w);
                if acc != 0 {
                    add_into(src, dst, w);
                } else {
                    copy_row(src, dst, w);
                }
            }
        }
    }
}

/// col2im with bounds checks per row, for planes too large for the scratch region.
unsafe fn col2im_direct(
    col: *const f32,
    dx: *mut f32,
    g: *const i32,
    acc: u32,
    tid: usize,
    nt: usize,
) {
    let [b, c, h, w, kh, kw, s, p, oh, ow] = geom(g);
    let ncol = b * oh * ow;
    for (u0, u1) in claims(b * c, tid, nt, 1) {
        for u in u0..u1 {
            let bb = u / c;
            let ch = u - bb * c;
            let plane = dx.add(u * h * w);
            if acc == 0 {
                for t in 0..h * w {
                    *plane.add(t) = 0.0;
                }
            }
            for i in 0..kh {
                for j in 0..kw {
                    let r = (ch * kh + i) * kw + j;
                    let src0 = col.add(r * ncol + bb * oh * ow);
                    let (lo, hi) = valid_range(ow, w, s, p, j);
                    for y in 0..oh {
                        let iy = (y * s + i) as isize - p as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        let src = src0.add(y * ow);
                        let dst = plane.add(iy as usize * w);
                        if s == 1 {
                            let off = j as isize - p as isize;
                            add_into(src.add(lo), dst.offset(lo as isize + off), hi.max(lo) - lo);
                        } else if s == 2 {
                            scatter_add_even(src, dst, lo, hi, j, p);
                        } else {
                            for xx in lo..hi {
                                *dst.add(xx * s + j - p) += *src.add(xx);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// out (shape at params) = gather of x: params as i32s [ndim, outShape[ndim], xStrides[ndim]]
/// where xStrides[d] is x's element stride along output dim d.
#[no_mangle]
pub unsafe extern "C" fn permute(
    x: *const f32,
    out: *mut f32,
    params: *const i32,
    tid: usize,
    nt: usize,
) {
    let nd = *params as usize;
    let shape = params.add(1);
    let xs = params.add(1 + nd);
    let mut total = 1usize;
    for d in 0..nd {
        total *= *shape.add(d) as usize;
    }
    let inner = *shape.add(nd - 1) as usize;
    let is = *xs.add(nd - 1) as usize;
    for (s, e) in claims(total, tid, nt, 16) {
        let mut idx = s;
        while idx < e {
            let mut row = idx / inner;
            let c0 = idx - row * inner;
            let len = (inner - c0).min(e - idx);
            let mut xo = c0 * is;
            for d in (0..nd - 1).rev() {
                let sz = *shape.add(d) as usize;
                let q = row / sz;
                xo += (row - q * sz) * *xs.add(d) as usize;
                row = q;
            }
            let src = x.add(xo);
            let dst = out.add(idx);
            if is == 1 {
                core::ptr::copy_nonoverlapping(src, dst, len);
            } else {
                for t in 0..len {
                    *dst.add(t) = *src.add(t * is);
                }
            }
            idx += len;
        }
    }
}
