//! Layer/group normalisation forward and backward over `rows` groups of `cols` contiguous values
//! with a per-channel affine map (see `Backend.normForward`). Threads split rows. The backward pass
//! writes each row's per-channel terms of dγ/dβ to its own slots of `stats`; `norm_param_grads`
//! then sums them over rows in row order, so dγ/dβ do not depend on which thread ran a row.
use crate::claims;
use crate::math::*;
use crate::reduce::col_sums;
use core::arch::wasm32::*;

#[inline(always)]
fn hsum(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v)
        + f32x4_extract_lane::<1>(v)
        + f32x4_extract_lane::<2>(v)
        + f32x4_extract_lane::<3>(v)
}

/// (Σ x, Σ x·y) style helpers over one contiguous block.
#[inline(always)]
unsafe fn sum(x: *const f32, n: usize, shift: f32) -> (f32, f32) {
    // returns (Σ (x − shift), Σ (x − shift)²)
    let sv = splat(shift);
    let (mut a, mut b) = (splat(0.0), splat(0.0));
    let mut i = 0;
    while i + 4 <= n {
        let d = f32x4_sub(ld(x.add(i)), sv);
        a = f32x4_add(a, d);
        b = f32x4_add(b, f32x4_mul(d, d));
        i += 4;
    }
    let (mut s1, mut s2) = (hsum(a), hsum(b));
    while i < n {
        let d = *x.add(i) - shift;
        s1 += d;
        s2 += d * d;
        i += 1;
    }
    (s1, s2)
}

#[no_mangle]
pub unsafe extern "C" fn norm_forward(
    x: *const f32,
    gamma: *const f32,
    beta: *const f32,
    y: *mut f32,
    mean: *mut f32,
    rstd: *mut f32,
    rows: usize,
    cols: usize,
    groups: usize,
    chan_inner: usize,
    eps: f32,
    tid: usize,
    nt: usize,
) {
    for (r0, r1) in claims(rows, tid, nt, 1) {
        let cpg = cols / chan_inner;
        for r in r0..r1 {
            let xr = x.add(r * cols);
            let yr = y.add(r * cols);
            let (s1, _) = sum(xr, cols, 0.0);
            let mu = s1 / cols as f32;
            let (d1, d2) = sum(xr, cols, mu);
            let var = ((d2 - d1 * d1 / cols as f32) / cols as f32).max(0.0);
            let rs = 1.0 / f32x4_extract_lane::<0>(f32x4_sqrt(splat(var + eps)));
            *mean.add(r) = mu;
            *rstd.add(r) = rs;
            let base = (r % groups) * cpg;
            if chan_inner == 1 {
                // Layer norm: every element its own channel, 4 channels per step with the scalar
                // path's operations lane by lane (the same bits; the prior's 256 × 256 layer
                // norms went from about 350 µs to under 70 µs each on two threads).
                let (rsv, muv) = (splat(rs), splat(mu));
                let (gp, bp) = (gamma.add(base), beta.add(base));
                let mut j = 0;
                while j + 4 <= cols {
                    let gv = f32x4_mul(ld(gp.add(j)), rsv);
                    let bv = f32x4_sub(ld(bp.add(j)), f32x4_mul(muv, gv));
                    st(yr.add(j), f32x4_add(f32x4_mul(ld(xr.add(j)), gv), bv));
                    j += 4;
                }
                for j in j..cols {
                    let g = *gp.add(j) * rs;
                    *yr.add(j) = *xr.add(j) * g + (*bp.add(j) - mu * g);
                }
                continue;
            }
            for cb in 0..cpg {
                let g = *gamma.add(base + cb) * rs;
                let gv = splat(g);
                let bv = splat(*beta.add(base + cb) - mu * g);
                let xp = xr.add(cb * chan_inner);
                let yp = yr.add(cb * chan_inner);
                let mut i = 0;
                while i + 4 <= chan_inner {
                    st(yp.add(i), f32x4_add(f32x4_mul(ld(xp.add(i)), gv), bv));
                    i += 4;
                }
                while i < chan_inner {
                    *yp.add(i) = *xp.add(i) * g + (*beta.add(base + cb) - mu * g);
                    i += 1;
                }
            }
        }
    }
}

/// dx (overwritten) and the per-row terms of dγ/dβ in `stats` (2·rows·(cols/chan_inner) floats).
#[no_mangle]
pub unsafe extern "C" fn norm_backward(
    x: *const f32,
    gamma: *const f32,
    mean: *const f32,
    rstd: *const f32,
    dy: *const f32,
    dx: *mut f32,
    stats: *mut f32,
    rows: usize,
    cols: usize,
    groups: usize,
    chan_inner: usize,
    tid: usize,
    nt: usize,
) {
    let cpg = cols / chan_inner;
    if chan_inner == 1 {
        return norm_backward_per_element(
            x, gamma, mean, rstd, dy, dx, stats, rows, cols, groups, tid, nt,
        );
    }
    // Row r's terms of channel block cb: Σ dy·x̂ at sg[r·cpg + cb], Σ dy at sb[r·cpg + cb].
    let (sgs, sbs) = (stats, stats.add(rows * cpg));
    for (r0, r1) in claims(rows, tid, nt, 1) {
        for r in r0..r1 {
            let xr = x.add(r * cols);
            let dyr = dy.add(r * cols);
            let dxr = dx.add(r * cols);
            let mu = *mean.add(r);
            let rs = *rstd.add(r);
            let base = (r % groups) * cpg;
            let muv = splat(mu);
            let rsv = splat(rs);
            let (mut sg, mut sgx) = (0f32, 0f32);
            for cb in 0..cpg {
                let xp = xr.add(cb * chan_inner);
                let dp = dyr.add(cb * chan_inner);
                let (mut a, mut b) = (splat(0.0), splat(0.0));
                let mut i = 0;
                while i + 4 <= chan_inner {
                    let d = ld(dp.add(i));
                    let xh = f32x4_mul(f32x4_sub(ld(xp.add(i)), muv), rsv);
                    a = f32x4_add(a, d);
                    b = f32x4_add(b, f32x4_mul(d, xh));
                    i += 4;
                }
                let (mut sdb, mut sdg) = (hsum(a), hsum(b));
                while i < chan_inner {
                    let d = *dp.add(i);
                    sdb += d;
                    sdg += d * (*xp.add(i) - mu) * rs;
                    i += 1;
                }
                *sgs.add(r * cpg + cb) = sdg;
                *sbs.add(r * cpg + cb) = sdb;
                let gm = *gamma.add(base + cb);
                sg += gm * sdb;
                sgx += gm * sdg;
            }
            let mg = splat(sg / cols as f32);
            let mgx = splat(sgx / cols as f32);
            for cb in 0..cpg {
                let gm = *gamma.add(base + cb);
                let gv = splat(gm);
                let xp = xr.add(cb * chan_inner);
                let dp = dyr.add(cb * chan_inner);
                let op = dxr.add(cb * chan_inner);
                let mut i = 0;
                while i + 4 <= chan_inner {
                    let xh = f32x4_mul(f32x4_sub(ld(xp.add(i)), muv), rsv);
                    let g = f32x4_mul(ld(dp.add(i)), gv);
                    let v = f32x4_sub(f32x4_sub(g, mg), f32x4_mul(xh, mgx));
                    st(op.add(i), f32x4_mul(v, rsv));
                    i += 4;
                }
                while i < chan_inner {
                    let xh = (*xp.add(i) - mu) * rs;
                    let g = *dp.add(i) * gm;
                    *op.add(i) = (g - sg / cols as f32 - xh * (sgx / cols as f32)) * rs;
                    i += 1;
                }
            }
        }
    }
}

/// `norm_backward` when every element is its own channel (layer norm: chan_inner = 1), 4 channels
/// per step. Writes only the dγ terms dy·x̂ (as `stats[r·cols + j]`): the dβ terms are dy itself.
unsafe fn norm_backward_per_element(
    x: *const f32,
    gamma: *const f32,
    mean: *const f32,
    rstd: *const f32,
    dy: *const f32,
    dx: *mut f32,
    stats: *mut f32,
    rows: usize,
    cols: usize,
    groups: usize,
    tid: usize,
    nt: usize,
) {
    for (r0, r1) in claims(rows, tid, nt, 1) {
        for r in r0..r1 {
            let (xr, dyr, dxr) = (x.add(r * cols), dy.add(r * cols), dx.add(r * cols));
            let sr = stats.add(r * cols);
            let gr = gamma.add((r % groups) * cols);
            let (mu, rs) = (*mean.add(r), *rstd.add(r));
            let (muv, rsv) = (splat(mu), splat(rs));
            // Σ γ·dy and Σ γ·dy·x̂ over the row, with dy·x̂ stored for dγ.
            let (mut a, mut b) = (splat(0.0), splat(0.0));
            let mut j = 0;
            while j + 4 <= cols {
                let d = ld(dyr.add(j));
                let dxh = f32x4_mul(d, f32x4_mul(f32x4_sub(ld(xr.add(j)), muv), rsv));
                st(sr.add(j), dxh);
                let g = ld(gr.add(j));
                a = f32x4_add(a, f32x4_mul(g, d));
                b = f32x4_add(b, f32x4_mul(g, dxh));
                j += 4;
            }
            let (mut sg, mut sgx) = (hsum(a), hsum(b));
            for j in j..cols {
                let d = *dyr.add(j);
                let dxh = d * ((*xr.add(j) - mu) * rs);
                *sr.add(j) = dxh;
                sg += *gr.add(j) * d;
                sgx += *gr.add(j) * dxh;
            }
            let (mg, mgx) = (sg / cols as f32, sgx / cols as f32);
            let (mgv, mgxv) = (splat(mg), splat(mgx));
            let mut j = 0;
            while j + 4 <= cols {
                let xh = f32x4_mul(f32x4_sub(ld(xr.add(j)), muv), rsv);
                let g = f32x4_mul(ld(dyr.add(j)), ld(gr.add(j)));
                let v = f32x4_sub(f32x4_sub(g, mgv), f32x4_mul(xh, mgxv));
                st(dxr.add(j), f32x4_mul(v, rsv));
                j += 4;
            }
            for j in j..cols {
                let xh = (*xr.add(j) - mu) * rs;
                *dxr.add(j) = (*dyr.add(j) * *gr.add(j) - mg - xh * mgx) * rs;
            }
        }
    }
}

/// dγ[ch] += Σ_b sg[b, ch] and dβ[ch] += Σ_b sb[b, ch] for sg, sb laid out as [batch, nch] (the
/// terms `norm_backward` wrote; sb may be dy itself): each channel summed down the batch in order,
/// both sums in one job. Threads split the channels (16-wide stripes).
#[no_mangle]
pub unsafe extern "C" fn norm_param_grads(
    sg: *const f32,
    sb: *const f32,
    dgamma: *mut f32,
    dbeta: *mut f32,
    batch: usize,
    nch: usize,
    tid: usize,
    nt: usize,
) {
    for (c0, c1) in claims(nch, tid, nt, 16) {
        col_sums(sg, dgamma, batch, nch, c0, c1, true);
        col_sums(sb, dbeta, batch, nch, c0, c1, true);
    }
}
