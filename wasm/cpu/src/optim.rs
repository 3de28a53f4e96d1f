//! Fused Adam/AdamW update. Bias corrections and the clipping scale are computed once on the TS
//! side (in f64) and passed in, so this loop is a pure streaming update.
use crate::claims;
use crate::math::*;
use core::arch::wasm32::*;

/// For thread tid's share of [0, n):
/// g = grad·gscale; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
/// p −= lr·wd·p (decoupled decay, applied first); p −= lr·(m/bc1) / (sqrt(v/bc2) + eps).
#[no_mangle]
pub unsafe extern "C" fn adam(
    param: *mut f32,
    grad: *const f32,
    m: *mut f32,
    v: *mut f32,
    n: usize,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    decay: f32,
    inv_bc1: f32,
    inv_bc2: f32,
    gscale: f32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        let (b1, b2) = (splat(beta1), splat(beta2));
        let (c1, c2) = (splat(1.0 - beta1), splat(1.0 - beta2));
        let (lrv, epsv, gs) = (splat(lr), splat(eps), splat(gscale));
        let keep = splat(1.0 - lr * decay);
        let (i1, i2) = (splat(inv_bc1), splat(inv_bc2));
        let mut i = s;
        let step = |p: v128, g: v128, mm: v128, vv: v128| -> (v128, v128, v128) {
            let g = f32x4_mul(g, gs);
            let mm = f32x4_add(f32x4_mul(b1, mm), f32x4_mul(c1, g));
            let vv = f32x4_add(f32x4_mul(b2, vv), f32x4_mul(c2, f32x4_mul(g, g)));
            let den = f32x4_add(f32x4_sqrt(f32x4_mul(vv, i2)), epsv);
            let p = f32x4_sub(
                f32x4_mul(p, keep),
                f32x4_div(f32x4_mul(lrv, f32x4_mul(mm, i1)), den),
            );
            (p, mm, vv)
        };
        while i + 4 <= e {
            let (p, mm, vv) = step(
                ld(param.add(i)),
                ld(grad.add(i)),
                ld(m.add(i)),
                ld(v.add(i)),
            );
            st(param.add(i), p);
            st(m.add(i), mm);
            st(v.add(i), vv);
            i += 4;
        }
        while i < e {
            let (p, mm, vv) = step(
                splat(*param.add(i)),
                splat(*grad.add(i)),
                splat(*m.add(i)),
                splat(*v.add(i)),
            );
            *param.add(i) = f32x4_extract_lane::<0>(p);
            *m.add(i) = f32x4_extract_lane::<0>(mm);
            *v.add(i) = f32x4_extract_lane::<0>(vv);
            i += 1;
        }
    }
}

/// out = cz·z + cs·s + cn·noise (`out` may alias `z`).
#[no_mangle]
pub unsafe extern "C" fn sde_update(
    z: *const f32,
    s: *const f32,
    noise: *const f32,
    out: *mut f32,
    n: usize,
    cz: f32,
    cs: f32,
    cn: f32,
    tid: usize,
    nt: usize,
) {
    for (i0, e) in claims(n, tid, nt, 16) {
        let (a, b, c) = (splat(cz), splat(cs), splat(cn));
        let f = |i: usize| {
            let v = f32x4_add(f32x4_mul(a, ld(z.add(i))), f32x4_mul(b, ld(s.add(i))));
            f32x4_add(v, f32x4_mul(c, ld(noise.add(i))))
        };
        let mut i = i0;
        while i + 4 <= e {
            st(out.add(i), f(i));
            i += 4;
        }
        while i < e {
            *out.add(i) = cz * *z.add(i) + cs * *s.add(i) + cn * *noise.add(i);
            i += 1;
        }
    }
}

/// Langevin corrector per row of (rows, cols): ε = 2·alpha·snr²·‖noise‖²/‖s‖² (0 when ‖s‖ = 0),
/// out = z + ε·s + √(2ε)·noise (`out` may alias `z`). Rows split across threads.
#[no_mangle]
pub unsafe extern "C" fn langevin_update(
    z: *const f32,
    s: *const f32,
    noise: *const f32,
    out: *mut f32,
    rows: usize,
    cols: usize,
    snr: f32,
    alpha: f32,
    tid: usize,
    nt: usize,
) {
    for (r0, r1) in claims(rows, tid, nt, 1) {
        for r in r0..r1 {
            let o = r * cols;
            let (mut ss, mut nn) = (0f64, 0f64);
            for j in 0..cols {
                let a = *s.add(o + j) as f64;
                let b = *noise.add(o + j) as f64;
                ss += a * a;
                nn += b * b;
            }
            let eps = if ss > 0.0 {
                2.0 * alpha as f64 * (snr as f64 * snr as f64 * nn / ss)
            } else {
                0.0
            };
            let sq = f32x4_extract_lane::<0>(f32x4_sqrt(splat((2.0 * eps) as f32)));
            let e = eps as f32;
            for j in 0..cols {
                let k = o + j;
                *out.add(k) = *z.add(k) + e * *s.add(k) + sq * *noise.add(k);
            }
        }
    }
}
