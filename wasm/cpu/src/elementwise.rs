//! Elementwise kernels: fill, strided block copy, affine, unary f / f′ / f″ and broadcast binary
//! ops. Each thread takes a contiguous range of the output (cut at multiples of 16 floats).
use crate::claims;
use crate::math::*;
use core::arch::wasm32::*;

/// Applies `f` to 4 lanes at a time over [s, e), the tail through a zero-padded temporary.
#[inline(always)]
unsafe fn map<F: Fn(usize) -> v128>(out: *mut f32, s: usize, e: usize, f: F) {
    let mut i = s;
    while i + 4 <= e {
        st(out.add(i), f(i));
        i += 4;
    }
    if i < e {
        let mut t = [0f32; 4];
        st(t.as_mut_ptr(), f(i));
        for j in 0..e - i {
            *out.add(i + j) = t[j];
        }
    }
}

/// `map` with the body pasted into the loop: the kernels whose body depends on an op code use it
/// (with the op a const generic), because rustc outlined their closures and called one per 4 floats
/// (a call, the closure's captures reloaded and the op's `match` each time: 200 µs for 65,536
/// floats). The same lane arithmetic as `map`, so the same bits.
macro_rules! vmap {
    ($out:expr, $s:expr, $e:expr, |$i:ident| $body:expr) => {{
        let out: *mut f32 = $out;
        let end: usize = $e;
        let mut $i: usize = $s;
        while $i + 4 <= end {
            st(out.add($i), $body);
            $i += 4;
        }
        if $i < end {
            let mut t = [0f32; 4];
            st(t.as_mut_ptr(), $body);
            for j in 0..end - $i {
                *out.add($i + j) = t[j];
            }
        }
    }};
}

/// Calls `$f::<op>(args)` for the unary op code `$op` (13 codes; anything past 11 is 12, as in
/// `unary_f`), so each op gets its own loop with the `match` folded away.
macro_rules! by_unary_op {
    ($op:expr, $f:ident($($a:expr),*)) => {
        match $op {
            0 => $f::<0>($($a),*),
            1 => $f::<1>($($a),*),
            2 => $f::<2>($($a),*),
            3 => $f::<3>($($a),*),
            4 => $f::<4>($($a),*),
            5 => $f::<5>($($a),*),
            6 => $f::<6>($($a),*),
            7 => $f::<7>($($a),*),
            8 => $f::<8>($($a),*),
            9 => $f::<9>($($a),*),
            10 => $f::<10>($($a),*),
            11 => $f::<11>($($a),*),
            _ => $f::<12>($($a),*),
        }
    };
}

/// Loads 4 floats at p (only the first `e − i` are real; the rest read as 0).
#[inline(always)]
unsafe fn ld_tail(p: *const f32, i: usize, e: usize) -> v128 {
    if i + 4 <= e {
        ld(p.add(i))
    } else {
        let mut t = [0f32; 4];
        for j in 0..e - i {
            t[j] = *p.add(i + j);
        }
        ld(t.as_ptr())
    }
}

#[no_mangle]
pub unsafe extern "C" fn fill(out: *mut f32, value: f32, n: usize, tid: usize, nt: usize) {
    for (s, e) in claims(n, tid, nt, 16) {
        let v = splat(value);
        map(out, s, e, |_| v);
    }
}

#[no_mangle]
pub unsafe extern "C" fn copy_blocks(
    src: *const f32,
    dst: *mut f32,
    outer: usize,
    inner: usize,
    src_stride: usize,
    dst_stride: usize,
    acc: u32,
    tid: usize,
    nt: usize,
) {
    let split_outer = outer >= nt * 4 || inner < 64;
    let (units, align) = if split_outer { (outer, 1) } else { (inner, 16) };
    for (s, e) in claims(units, tid, nt, align) {
        let (o0, o1, i0, i1) = if split_outer {
            (s, e, 0, inner)
        } else {
            (0, outer, s, e)
        };
        for o in o0..o1 {
            let sp = src.add(o * src_stride);
            let dp = dst.add(o * dst_stride);
            if acc != 0 {
                map(dp, i0, i1, |i| {
                    f32x4_add(ld_tail(dp, i, i1), ld_tail(sp, i, i1))
                });
            } else {
                map(dp, i0, i1, |i| ld_tail(sp, i, i1));
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn affine(
    x: *const f32,
    out: *mut f32,
    n: usize,
    scale: f32,
    shift: f32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        let (a, b) = (splat(scale), splat(shift));
        map(out, s, e, |i| f32x4_add(f32x4_mul(ld_tail(x, i, e), a), b));
    }
}

const GELU_C: f32 = 0.797_884_6; // √(2/π)
const GELU_A: f32 = 0.044_715;

/// tanh(u), sech²(u) and u′ for the tanh-approximated gelu.
#[inline(always)]
fn gelu_parts(x: v128) -> (v128, v128, v128) {
    let x2 = f32x4_mul(x, x);
    let u = f32x4_mul(
        kv!(GELU_C),
        f32x4_add(x, f32x4_mul(kv!(GELU_A), f32x4_mul(x2, x))),
    );
    let du = f32x4_mul(
        kv!(GELU_C),
        f32x4_add(kv!(1.0), f32x4_mul(kv!(3.0 * GELU_A), x2)),
    );
    (tanh4(u), sech2_4(u), du)
}

#[inline(always)]
fn unary_f(op: u32, x: v128, alpha: v128) -> v128 {
    let one = kv!(1.0);
    let zero = kv!(0.0);
    match op {
        0 => f32x4_neg(x),
        1 => exp4(x),
        2 => log4(x),
        3 => f32x4_sqrt(x),
        4 => f32x4_mul(x, x),
        5 => f32x4_abs(x),
        6 => f32x4_max(x, zero),
        7 => v128_bitselect(x, f32x4_mul(x, alpha), f32x4_gt(x, zero)),
        8 => f32x4_mul(x, sigmoid4(x)),
        9 => {
            let (t, _, _) = gelu_parts(x);
            f32x4_mul(f32x4_mul(kv!(0.5), x), f32x4_add(one, t))
        }
        10 => sigmoid4(x),
        11 => tanh4(x),
        _ => softplus4(x),
    }
}

/// f′(x).
#[inline(always)]
fn unary_df(op: u32, x: v128, alpha: v128) -> v128 {
    let one = kv!(1.0);
    let zero = kv!(0.0);
    match op {
        0 => kv!(-1.0),
        1 => exp4(x),
        2 => f32x4_div(one, x),
        3 => f32x4_div(kv!(0.5), f32x4_sqrt(x)),
        4 => f32x4_add(x, x),
        5 => {
            // sign(x), 0 at 0
            let pos = v128_and(f32x4_gt(x, zero), one);
            let neg = v128_and(f32x4_lt(x, zero), one);
            f32x4_sub(pos, neg)
        }
        6 => v128_and(f32x4_gt(x, zero), one),
        7 => v128_bitselect(one, alpha, f32x4_gt(x, zero)),
        8 => {
            let s = sigmoid4(x);
            f32x4_mul(s, f32x4_add(one, f32x4_mul(x, f32x4_sub(one, s))))
        }
        9 => {
            let (t, sech2, du) = gelu_parts(x);
            let dt = f32x4_mul(sech2, du);
            f32x4_add(
                f32x4_mul(kv!(0.5), f32x4_add(one, t)),
                f32x4_mul(f32x4_mul(kv!(0.5), x), dt),
            )
        }
        10 => {
            let s = sigmoid4(x);
            f32x4_mul(s, f32x4_sub(one, s))
        }
        11 => sech2_4(x),
        _ => sigmoid4(x),
    }
}

/// f″(x).
#[inline(always)]
fn unary_d2f(op: u32, x: v128) -> v128 {
    let one = kv!(1.0);
    let zero = kv!(0.0);
    match op {
        1 => exp4(x),
        2 => f32x4_neg(f32x4_div(one, f32x4_mul(x, x))),
        3 => f32x4_div(kv!(-0.25), f32x4_mul(x, f32x4_sqrt(x))),
        4 => kv!(2.0),
        8 => {
            let s = sigmoid4(x);
            let ds = f32x4_mul(s, f32x4_sub(one, s));
            let inner = f32x4_add(kv!(2.0), f32x4_mul(x, f32x4_sub(one, f32x4_add(s, s))));
            f32x4_mul(ds, inner)
        }
        9 => {
            let (t, sech2, du) = gelu_parts(x);
            let dt = f32x4_mul(sech2, du);
            let ddu = f32x4_mul(kv!(6.0 * GELU_A * GELU_C), x);
            let ddt = f32x4_add(
                f32x4_mul(f32x4_mul(kv!(-2.0), t), f32x4_mul(dt, du)),
                f32x4_mul(sech2, ddu),
            );
            f32x4_add(dt, f32x4_mul(f32x4_mul(kv!(0.5), x), ddt))
        }
        10 | 12 => {
            let s = sigmoid4(x);
            let ds = f32x4_mul(s, f32x4_sub(one, s));
            if op == 10 {
                f32x4_mul(ds, f32x4_sub(one, f32x4_add(s, s)))
            } else {
                ds
            }
        }
        11 => f32x4_mul(f32x4_mul(kv!(-2.0), tanh4(x)), sech2_4(x)),
        _ => zero, // neg, abs, relu, leaky_relu: piecewise linear
    }
}

#[inline(never)]
unsafe fn unary_range<const O: u32>(x: *const f32, out: *mut f32, s: usize, e: usize, al: v128) {
    vmap!(out, s, e, |i| unary_f(O, ld_tail(x, i, e), al));
}

#[no_mangle]
pub unsafe extern "C" fn unary(
    op: u32,
    x: *const f32,
    out: *mut f32,
    n: usize,
    alpha: f32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        by_unary_op!(op, unary_range(x, out, s, e, splat(alpha)));
    }
}

#[inline(never)]
unsafe fn unary_backward_range<const O: u32>(
    x: *const f32,
    dy: *const f32,
    dx: *mut f32,
    s: usize,
    e: usize,
    al: v128,
) {
    vmap!(dx, s, e, |i| f32x4_mul(
        ld_tail(dy, i, e),
        unary_df(O, ld_tail(x, i, e), al)
    ));
}

#[no_mangle]
pub unsafe extern "C" fn unary_backward(
    op: u32,
    x: *const f32,
    dy: *const f32,
    dx: *mut f32,
    n: usize,
    alpha: f32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        by_unary_op!(op, unary_backward_range(x, dy, dx, s, e, splat(alpha)));
    }
}

#[inline(never)]
unsafe fn unary_second_range<const O: u32>(
    x: *const f32,
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    s: usize,
    e: usize,
) {
    vmap!(out, s, e, |i| {
        let ab = f32x4_mul(ld_tail(a, i, e), ld_tail(b, i, e));
        f32x4_mul(ab, unary_d2f(O, ld_tail(x, i, e)))
    });
}

#[no_mangle]
pub unsafe extern "C" fn unary_second(
    op: u32,
    x: *const f32,
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    n: usize,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        by_unary_op!(op, unary_second_range(x, a, b, out, s, e));
    }
}

#[inline(always)]
fn binary_f(op: u32, a: v128, b: v128) -> v128 {
    match op {
        0 => f32x4_add(a, b),
        1 => f32x4_sub(a, b),
        2 => f32x4_mul(a, b),
        3 => f32x4_div(a, b),
        _ => f32x4_sub(softplus4(a), f32x4_mul(a, b)),
    }
}

/// The rows of [s, e) of one binary op (see `binary`), with the op a const generic.
#[inline(never)]
unsafe fn binary_range<const O: u32>(
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    params: *const i32,
    s: usize,
    e: usize,
) {
    let nd = *params as usize;
    let shape = params.add(1);
    let astr = params.add(1 + nd);
    let bstr = params.add(1 + 2 * nd);
    let inner = *shape.add(nd - 1) as usize;
    let (ias, ibs) = (*astr.add(nd - 1) as usize, *bstr.add(nd - 1) as usize);
    let mut idx = s;
    while idx < e {
        let mut row = idx / inner;
        let col = idx - row * inner;
        let len = (inner - col).min(e - idx);
        let (mut ao, mut bo) = (col * ias, col * ibs);
        for d in (0..nd - 1).rev() {
            let sz = *shape.add(d) as usize;
            let q = row / sz;
            let r = row - q * sz;
            ao += r * *astr.add(d) as usize;
            bo += r * *bstr.add(d) as usize;
            row = q;
        }
        let op_ = out.add(idx);
        let ap = a.add(ao);
        let bp = b.add(bo);
        if ias == 1 && ibs == 1 {
            vmap!(op_, 0, len, |i| binary_f(
                O,
                ld_tail(ap, i, len),
                ld_tail(bp, i, len)
            ));
        } else if ias == 1 && ibs == 0 {
            let bv = splat(*bp);
            vmap!(op_, 0, len, |i| binary_f(O, ld_tail(ap, i, len), bv));
        } else if ias == 0 && ibs == 1 {
            let av = splat(*ap);
            vmap!(op_, 0, len, |i| binary_f(O, av, ld_tail(bp, i, len)));
        } else {
            vmap!(op_, 0, len, |i| {
                let mut ta = [0f32; 4];
                let mut tb = [0f32; 4];
                for j in 0..(len - i).min(4) {
                    ta[j] = *ap.add((i + j) * ias);
                    tb[j] = *bp.add((i + j) * ibs);
                }
                binary_f(O, ld(ta.as_ptr()), ld(tb.as_ptr()))
            });
        }
        idx += len;
    }
}

/// out = a ∘ b over a (coalesced) broadcast iteration space described at `params` as i32s:
/// [ndim, shape[ndim], aStrides[ndim], bStrides[ndim]]; the last dim is innermost.
#[no_mangle]
pub unsafe extern "C" fn binary(
    op: u32,
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    params: *const i32,
    tid: usize,
    nt: usize,
) {
    let nd = *params as usize;
    let shape = params.add(1);
    let mut total = 1usize;
    for d in 0..nd {
        total *= *shape.add(d) as usize;
    }
    for (s, e) in claims(total, tid, nt, 16) {
        match op {
            0 => binary_range::<0>(a, b, out, params, s, e),
            1 => binary_range::<1>(a, b, out, params, s, e),
            2 => binary_range::<2>(a, b, out, params, s, e),
            3 => binary_range::<3>(a, b, out, params, s, e),
            _ => binary_range::<4>(a, b, out, params, s, e),
        }
    }
}
