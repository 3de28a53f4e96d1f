//! f32x4 transcendental functions (Cephes single-precision polynomials, as in sse_mathfun) and
//! scalar f64 sine/cosine for the time embedding. Accuracy: a few ulp in f32.
use core::arch::wasm32::*;

#[inline(always)]
pub fn splat(x: f32) -> v128 {
    f32x4_splat(x)
}

#[inline(always)]
pub unsafe fn ld(p: *const f32) -> v128 {
    v128_load(p as *const v128)
}

#[inline(always)]
pub unsafe fn st(p: *mut f32, v: v128) {
    v128_store(p as *mut v128, v)
}

/// eˣ, lane-wise; +inf above 88.72, 0 below −87.3.
#[inline(always)]
pub fn exp4(x: v128) -> v128 {
    let big = f32x4_gt(x, kv!(88.72));
    let small = f32x4_lt(x, kv!(-87.3));
    let xc = f32x4_min(f32x4_max(x, kv!(-87.3)), kv!(88.72));
    let fx = f32x4_floor(f32x4_add(
        f32x4_mul(xc, kv!(core::f32::consts::LOG2_E)),
        kv!(0.5),
    ));
    let r = f32x4_sub(
        f32x4_sub(xc, f32x4_mul(fx, kv!(0.693_359_4))),
        f32x4_mul(fx, kv!(-2.121_944_4e-4)),
    );
    let z = f32x4_mul(r, r);
    let mut y = kv!(1.987_569_1e-4);
    y = f32x4_add(f32x4_mul(y, r), kv!(1.398_199_9e-3));
    y = f32x4_add(f32x4_mul(y, r), kv!(8.333_452e-3));
    y = f32x4_add(f32x4_mul(y, r), kv!(4.166_579_6e-2));
    y = f32x4_add(f32x4_mul(y, r), kv!(1.666_666_5e-1));
    y = f32x4_add(f32x4_mul(y, r), kv!(5.000_000_1e-1));
    y = f32x4_add(f32x4_add(f32x4_mul(y, z), r), kv!(1.0));
    // 2^fx built in two halves so fx = 128 (x near 88.7) does not overflow the exponent field.
    // fx is an integer in [−127, 128]: read it from the mantissa of fx + 1.5·2²³ (V8 lowers
    // i32x4.trunc_sat_f32x4_s to a long sequence).
    let n = i32x4_sub(f32x4_add(fx, kv!(12_582_912.0)), kvi!(0x4b40_0000));
    let n1 = i32x4_shr(n, 1);
    let n2 = i32x4_sub(n, n1);
    let p1 = i32x4_shl(i32x4_add(n1, kvi!(127)), 23);
    let p2 = i32x4_shl(i32x4_add(n2, kvi!(127)), 23);
    let y = f32x4_mul(f32x4_mul(y, p1), p2);
    let y = v128_bitselect(kv!(f32::INFINITY), y, big);
    v128_andnot(y, small)
}

/// ln x, lane-wise; −inf at 0, NaN below 0, +inf at +inf.
#[inline(always)]
pub fn log4(x: v128) -> v128 {
    let zero = f32x4_eq(x, kv!(0.0));
    let neg = f32x4_lt(x, kv!(0.0));
    let inf = f32x4_eq(x, kv!(f32::INFINITY));
    // Scale subnormals up by 2^25 so the exponent extraction below stays exact.
    let sub = f32x4_lt(x, kv!(f32::MIN_POSITIVE));
    let xs = v128_bitselect(f32x4_mul(x, kv!(33_554_432.0)), x, sub);
    let bias = v128_bitselect(kv!(25.0), kv!(0.0), sub);
    let bits = xs;
    let mut e = f32x4_sub(
        f32x4_convert_i32x4(i32x4_sub(u32x4_shr(bits, 23), kvi!(126))),
        bias,
    );
    let m = v128_or(v128_and(bits, kvi!(0x007f_ffff)), kvi!(0x3f00_0000));
    let lt = f32x4_lt(m, kv!(core::f32::consts::FRAC_1_SQRT_2));
    e = f32x4_sub(e, v128_and(kv!(1.0), lt));
    let xm = f32x4_sub(f32x4_add(m, v128_and(m, lt)), kv!(1.0));
    let z = f32x4_mul(xm, xm);
    let mut y = kv!(7.037_683_6e-2);
    y = f32x4_add(f32x4_mul(y, xm), kv!(-1.151_461e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(1.167_699_9e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(-1.242_014_1e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(1.424_932_3e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(-1.666_805_8e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(2.000_071_4e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(-2.499_999_4e-1));
    y = f32x4_add(f32x4_mul(y, xm), kv!(3.333_333_1e-1));
    y = f32x4_mul(f32x4_mul(y, xm), z);
    y = f32x4_add(y, f32x4_mul(e, kv!(-2.121_944_4e-4)));
    y = f32x4_sub(y, f32x4_mul(z, kv!(0.5)));
    let r = f32x4_add(f32x4_add(xm, y), f32x4_mul(e, kv!(0.693_359_4)));
    let r = v128_bitselect(kv!(f32::NEG_INFINITY), r, zero);
    let r = v128_bitselect(kv!(f32::NAN), r, neg);
    v128_bitselect(kv!(f32::INFINITY), r, inf)
}

/// 1 / (1 + e^{−x}).
#[inline(always)]
pub fn sigmoid4(x: v128) -> v128 {
    f32x4_div(kv!(1.0), f32x4_add(kv!(1.0), exp4(f32x4_neg(x))))
}

/// tanh x: an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above (Cephes tanhf).
#[inline(always)]
pub fn tanh4(x: v128) -> v128 {
    let ax = f32x4_abs(x);
    let z = f32x4_mul(x, x);
    let mut p = kv!(-5.704_988_7e-3);
    p = f32x4_add(f32x4_mul(p, z), kv!(2.063_908_9e-2));
    p = f32x4_add(f32x4_mul(p, z), kv!(-5.373_971_6e-2));
    p = f32x4_add(f32x4_mul(p, z), kv!(1.333_144_2e-1));
    p = f32x4_add(f32x4_mul(p, z), kv!(-3.333_328_2e-1));
    let small = f32x4_add(x, f32x4_mul(f32x4_mul(p, z), x));
    let e = exp4(f32x4_mul(ax, kv!(2.0)));
    let big = f32x4_sub(kv!(1.0), f32x4_div(kv!(2.0), f32x4_add(e, kv!(1.0))));
    let big = v128_or(big, v128_and(x, kvi!(i32::MIN))); // copy the sign of x
    v128_bitselect(small, big, f32x4_lt(ax, kv!(0.625)))
}

/// sech²(u) = 1 − tanh²(u) without cancellation: 4e/(1 + e)², e = e^{−2|u|}.
#[inline(always)]
pub fn sech2_4(u: v128) -> v128 {
    let e = exp4(f32x4_mul(f32x4_abs(u), kv!(-2.0)));
    let d = f32x4_add(kv!(1.0), e);
    f32x4_div(f32x4_mul(kv!(4.0), e), f32x4_mul(d, d))
}

/// log(1 + eˣ) computed stably: max(x, 0) + log(1 + e^{−|x|}).
#[inline(always)]
pub fn softplus4(x: v128) -> v128 {
    let e = exp4(f32x4_neg(f32x4_abs(x)));
    // log(1 + e) with the log1p correction log(u) − ((u − 1) − e)/u, u = 1 + e.
    let u = f32x4_add(kv!(1.0), e);
    let l = log4(u);
    let corr = f32x4_div(f32x4_sub(f32x4_sub(u, kv!(1.0)), e), u);
    let l = v128_bitselect(e, f32x4_sub(l, corr), f32x4_eq(u, kv!(1.0)));
    f32x4_add(f32x4_max(x, kv!(0.0)), l)
}

/// cos(2π·u) for u in [0, 1], reduced exactly in turns (u must be a multiple of 2⁻²⁴).
#[inline(always)]
pub fn cos_turns4(u: v128) -> v128 {
    let q = f32x4_nearest(f32x4_mul(u, kv!(4.0)));
    let r = f32x4_sub(u, f32x4_mul(q, kv!(0.25))); // exact, |r| ≤ 1/8
    let t = f32x4_mul(r, kv!(core::f32::consts::TAU)); // |t| ≤ π/4
    let z = f32x4_mul(t, t);
    let mut s = kv!(-1.951_529_6e-4);
    s = f32x4_add(f32x4_mul(s, z), kv!(8.332_161e-3));
    s = f32x4_add(f32x4_mul(s, z), kv!(-1.666_665_5e-1));
    let sin_t = f32x4_add(t, f32x4_mul(f32x4_mul(s, z), t));
    let mut c = kv!(2.443_315_7e-5);
    c = f32x4_add(f32x4_mul(c, z), kv!(-1.388_731_6e-3));
    c = f32x4_add(f32x4_mul(c, z), kv!(4.166_664_6e-2));
    let cos_t = f32x4_add(
        f32x4_sub(kv!(1.0), f32x4_mul(z, kv!(0.5))),
        f32x4_mul(f32x4_mul(c, z), z),
    );
    let qi = i32x4_sub(f32x4_add(q, kv!(12_582_912.0)), kvi!(0x4b40_0000));
    let odd = i32x4_eq(v128_and(qi, kvi!(1)), kvi!(1));
    // q mod 4: 0 → cos t, 1 → −sin t, 2 → −cos t, 3 → sin t.
    let v = v128_bitselect(sin_t, cos_t, odd);
    let negate = i32x4_eq(v128_and(i32x4_add(qi, kvi!(1)), kvi!(2)), kvi!(2));
    v128_xor(v, v128_and(negate, kvi!(i32::MIN)))
}

/// sin x in f64 (|x| up to ~1e6): Cody–Waite reduction by π/2, Taylor polynomials on [−π/4, π/4].
pub fn sin64(x: f64) -> f64 {
    sincos64(x, 0)
}

/// cos x in f64, as `sin64`.
pub fn cos64(x: f64) -> f64 {
    sincos64(x, 1)
}

fn round64(x: f64) -> f64 {
    let t = x + 6755399441055744.0; // 1.5·2^52: rounds to nearest integer for |x| < 2^51
    t - 6755399441055744.0
}

fn sincos64(x: f64, shift: i64) -> f64 {
    const PIO2_1: f64 = 1.570_796_326_734_125_6; // first 33 bits of π/2: k·PIO2_1 is exact
    const PIO2_1T: f64 = 6.077_100_506_506_192e-11; // π/2 − PIO2_1
    let k = round64(x * core::f64::consts::FRAC_2_PI);
    let r = (x - k * PIO2_1) - k * PIO2_1T;
    let z = r * r;
    let s = r
        * (1.0
            + z * (-1.0 / 6.0
                + z * (1.0 / 120.0
                    + z * (-1.0 / 5040.0
                        + z * (1.0 / 362_880.0
                            + z * (-1.0 / 39_916_800.0
                                + z * (1.0 / 6_227_020_800.0
                                    + z * (-1.0 / 1_307_674_368_000.0))))))));
    let c = 1.0
        + z * (-0.5
            + z * (1.0 / 24.0
                + z * (-1.0 / 720.0
                    + z * (1.0 / 40_320.0
                        + z * (-1.0 / 3_628_800.0
                            + z * (1.0 / 479_001_600.0 + z * (-1.0 / 87_178_291_200.0)))))));
    let q = ((k as i64) + shift) & 3;
    match q {
        0 => s,
        1 => c,
        2 => -s,
        _ => -c,
    }
}
