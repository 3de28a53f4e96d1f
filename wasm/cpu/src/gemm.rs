//! Packed GEMM, out[M,N] (+)= op(a)·op(b), after Goto & van de Geijn / BLIS: B is packed into
//! KC×NR column panels, A into MR×KC row panels (MR = 6), and a micro-kernel walks them: the 6×8
//! relaxed-SIMD FMA kernel of `wat/micro_fma.wat` for full tiles where the runtime has it, else
//! the 4×8 f32x4 mul + add kernel below (twice per 6-row panel; a 6×8 in Rust spills registers in
//! V8 and ran slower). Threads claim output
//! stripes (columns, or rows when M is larger) from a shared counter and pack into their own
//! scratch regions; no two threads write the same element of `out`.
use crate::math::{ld, splat, st};
use core::arch::wasm32::*;
use core::sync::atomic::AtomicU32;

const MR: usize = 6;
const NR: usize = 8;
const KC: usize = 384;
const MC: usize = 96; // multiple of MR; MC×KC floats of packed A stay in L2
const NC: usize = 384; // multiple of NR; KC×NC floats of packed B
/// Floats of scratch one thread needs for `matmul`.
#[allow(dead_code)]
const GEMM_SCRATCH: usize = MC * KC + KC * NC;
const _: () = assert!(GEMM_SCRATCH * 4 <= SCRATCH_STRIDE);

#[link(wasm_import_module = "env")]
extern "C" {
    /// The same 4×8 micro-kernel for full tiles with fused multiply-adds (relaxed SIMD), from
    /// `wat/micro_fma.wat`; only called after `set_fma(1)`.
    fn micro_fma(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc_bytes: usize, add: u32);
}

/// Whether full tiles go to `micro_fma` (shared by every instance: it lives in linear memory).
static mut USE_FMA: u32 = 0;

/// Turns the relaxed-SIMD FMA micro-kernel on (1) or off (0).
#[no_mangle]
pub unsafe extern "C" fn set_fma(on: u32) {
    USE_FMA = on;
}

/// Bytes between consecutive threads' scratch regions (the TS side allocates `nt` of them).
pub const SCRATCH_STRIDE: usize = 1 << 20;

#[no_mangle]
pub extern "C" fn scratch_stride_bytes() -> usize {
    SCRATCH_STRIDE
}

/// out[M,N] (+)= op(a)·op(b). flags: 1 = transA (a is [K,M]), 2 = transB (b is [N,K]),
/// 4 = accumulate. `scratch` is the base of `nt` regions of `SCRATCH_STRIDE` bytes; `counter` is
/// a u32 the caller zeroes before the job: threads claim output stripes from it one at a time, so
/// a thread that the OS deschedules simply ends up with fewer stripes.
#[no_mangle]
pub unsafe extern "C" fn matmul(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    m: usize,
    k: usize,
    n: usize,
    flags: u32,
    scratch: *mut u8,
    counter: *const AtomicU32,
    tid: usize,
    nt: usize,
) {
    let trans_a = flags & 1 != 0;
    let trans_b = flags & 2 != 0;
    let acc = flags & 4 != 0;
    // Stripes along the larger side (counted in micro-tiles): about 3 per thread for column
    // stripes (each repacks only its own B panel), one per thread for row stripes (each repacks
    // all of B, which costs more when K is long).
    let by_cols = (n + NR - 1) / NR >= (m + MR - 1) / MR;
    let (len, unit, cap) = if by_cols {
        (n, NR, NC)
    } else {
        (m, MR, 4 * MC)
    };
    let target = if by_cols && nt > 1 { 3 * nt } else { nt };
    let w = (((len + target - 1) / target + unit - 1) / unit * unit)
        .max(unit)
        .min(cap);
    let stripes = (len + w - 1) / w;
    let ap = scratch.add(tid * SCRATCH_STRIDE) as *mut f32;
    let bp = ap.add(MC * KC);
    let ctr = &*counter;
    let fma = core::ptr::read_volatile(core::ptr::addr_of!(USE_FMA)) != 0;
    while let Some(s) = crate::claim(ctr, stripes, tid, nt) {
        let lo = s * w;
        let hi = (lo + w).min(len);
        let (i0, i1, j0, j1) = if by_cols {
            (0, m, lo, hi)
        } else {
            (lo, hi, 0, n)
        };
        gemm_block(
            a, b, c, m, k, n, trans_a, trans_b, acc, fma, ap, bp, i0, i1, j0, j1,
        );
    }
}

/// The BLIS loop nest for out[i0..i1, j0..j1].
#[inline(never)]
unsafe fn gemm_block(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    m: usize,
    k: usize,
    n: usize,
    trans_a: bool,
    trans_b: bool,
    acc: bool,
    fma: bool,
    ap: *mut f32,
    bp: *mut f32,
    i0: usize,
    i1: usize,
    j0: usize,
    j1: usize,
) {
    if k == 0 {
        if !acc {
            for i in i0..i1 {
                for j in j0..j1 {
                    *c.add(i * n + j) = 0.0;
                }
            }
        }
        return;
    }
    let mut jc = j0;
    while jc < j1 {
        let nc = NC.min(j1 - jc);
        let mut pc = 0;
        while pc < k {
            let kc = KC.min(k - pc);
            pack_b(b, bp, kc, nc, pc, jc, k, n, trans_b);
            let add = pc > 0 || acc;
            let mut ic = i0;
            while ic < i1 {
                let mc = MC.min(i1 - ic);
                pack_a(a, ap, mc, kc, ic, pc, m, k, trans_a);
                let mut jr = 0;
                while jr < nc {
                    let nr = NR.min(nc - jr);
                    let mut ir = 0;
                    while ir < mc {
                        let mr = MR.min(mc - ir);
                        let (pa, pb) = (ap.add(ir * kc), bp.add(jr * kc));
                        let pc_ = c.add((ic + ir) * n + jc + jr);
                        if fma && mr == MR && nr == NR {
                            micro_fma(kc, pa, pb, pc_, n * 4, add as u32);
                        } else {
                            // Rows 0..4 and 4..6 of the 6-row panel; the second call's unused
                            // lanes read past the panel into scratch, never stored.
                            kernel_4x8(kc, pa, pb, pc_, n, mr.min(4), nr, add);
                            if mr > 4 {
                                kernel_4x8(kc, pa.add(4), pb, pc_.add(4 * n), n, mr - 4, nr, add);
                            }
                        }
                        ir += MR;
                    }
                    jr += NR;
                }
                ic += MC;
            }
            pc += KC;
        }
        jc += NC;
    }
}

/// Packs rows [i0, i0+mc) × k-range [p0, p0+kc) of op(a) into MR-row panels: panel q holds
/// element (i0 + q·MR + ii, p0 + kk) at q·MR·kc + kk·MR + ii, zero-padded past mc.
#[inline(never)]
unsafe fn pack_a(
    a: *const f32,
    dst: *mut f32,
    mc: usize,
    kc: usize,
    i0: usize,
    p0: usize,
    m: usize,
    k: usize,
    trans: bool,
) {
    let mut ir = 0;
    while ir < mc {
        let mr = MR.min(mc - ir);
        let d = dst.add(ir * kc);
        if trans {
            // a is [K, M]: the MR values of one k are contiguous.
            for kk in 0..kc {
                let src = a.add((p0 + kk) * m + i0 + ir);
                let row = d.add(kk * MR);
                for ii in 0..MR {
                    *row.add(ii) = if ii < mr { *src.add(ii) } else { 0.0 };
                }
            }
        } else if mr == MR {
            // 4×4 transposes for rows 0..4 of the panel, scalar copies for rows 4..6.
            let rows = a.add((i0 + ir) * k + p0);
            let mut kk = 0;
            while kk + 4 <= kc {
                let t = transpose4(
                    ld(rows.add(kk)),
                    ld(rows.add(k + kk)),
                    ld(rows.add(2 * k + kk)),
                    ld(rows.add(3 * k + kk)),
                );
                for q in 0..4 {
                    st(d.add((kk + q) * MR), t[q]);
                }
                kk += 4;
            }
            for kk in kk..kc {
                for ii in 0..4 {
                    *d.add(kk * MR + ii) = *rows.add(ii * k + kk);
                }
            }
            for ii in 4..MR {
                for kk in 0..kc {
                    *d.add(kk * MR + ii) = *rows.add(ii * k + kk);
                }
            }
        } else {
            for ii in 0..MR {
                if ii < mr {
                    let src = a.add((i0 + ir + ii) * k + p0);
                    for kk in 0..kc {
                        *d.add(kk * MR + ii) = *src.add(kk);
                    }
                } else {
                    for kk in 0..kc {
                        *d.add(kk * MR + ii) = 0.0;
                    }
                }
            }
        }
        ir += MR;
    }
}

/// Packs k-range [p0, p0+kc) × columns [j0, j0+nc) of op(b) into NR-column panels: panel q holds
/// element (p0 + kk, j0 + q·NR + jj) at q·NR·kc + kk·NR + jj, zero-padded past nc.
#[inline(never)]
unsafe fn pack_b(
    b: *const f32,
    dst: *mut f32,
    kc: usize,
    nc: usize,
    p0: usize,
    j0: usize,
    k: usize,
    n: usize,
    trans: bool,
) {
    let mut jr = 0;
    while jr < nc {
        let nr = NR.min(nc - jr);
        let d = dst.add(jr * kc);
        if trans && nr == NR {
            // b is [N, K]: 4×4 transposes of four columns' contiguous k-ranges.
            for g in 0..NR / 4 {
                let cols = b.add((j0 + jr + 4 * g) * k + p0);
                let mut kk = 0;
                while kk + 4 <= kc {
                    let t = transpose4(
                        ld(cols.add(kk)),
                        ld(cols.add(k + kk)),
                        ld(cols.add(2 * k + kk)),
                        ld(cols.add(3 * k + kk)),
                    );
                    for q in 0..4 {
                        st(d.add((kk + q) * NR + 4 * g), t[q]);
                    }
                    kk += 4;
                }
                for kk in kk..kc {
                    for jj in 0..4 {
                        *d.add(kk * NR + 4 * g + jj) = *cols.add(jj * k + kk);
                    }
                }
            }
        } else if trans {
            // b is [N, K]: one column's k-range is contiguous.
            for jj in 0..NR {
                if jj < nr {
                    let src = b.add((j0 + jr + jj) * k + p0);
                    for kk in 0..kc {
                        *d.add(kk * NR + jj) = *src.add(kk);
                    }
                } else {
                    for kk in 0..kc {
                        *d.add(kk * NR + jj) = 0.0;
                    }
                }
            }
        } else if nr == NR {
            for kk in 0..kc {
                let src = b.add((p0 + kk) * n + j0 + jr);
                st(d.add(kk * NR), ld(src));
                st(d.add(kk * NR + 4), ld(src.add(4)));
            }
        } else {
            for kk in 0..kc {
                let src = b.add((p0 + kk) * n + j0 + jr);
                for jj in 0..NR {
                    *d.add(kk * NR + jj) = if jj < nr { *src.add(jj) } else { 0.0 };
                }
            }
        }
        jr += NR;
    }
}

/// Transposes the 4×4 block whose rows are r0..r3.
#[inline(always)]
fn transpose4(r0: v128, r1: v128, r2: v128, r3: v128) -> [v128; 4] {
    let t0 = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
    let t1 = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
    let t2 = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
    let t3 = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
    [
        i32x4_shuffle::<0, 1, 4, 5>(t0, t1),
        i32x4_shuffle::<2, 3, 6, 7>(t0, t1),
        i32x4_shuffle::<0, 1, 4, 5>(t2, t3),
        i32x4_shuffle::<2, 3, 6, 7>(t2, t3),
    ]
}

macro_rules! fma {
    ($c:ident, $a:expr, $b:expr) => {
        $c = f32x4_add($c, f32x4_mul($a, $b));
    };
}

/// c[0..mr, 0..nr] (+)= Σ_k a_panel[k, :]ᵀ b_panel[k, :] for one 4×8 tile; `ldc` = row stride.
#[inline(always)]
unsafe fn kernel_4x8(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    mr: usize,
    nr: usize,
    add: bool,
) {
    let z = splat(0.0);
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
    let (mut c30, mut c31) = (z, z);
    let mut pa = a as *const u32;
    let mut pb = b;
    for _ in 0..kc {
        let b0 = ld(pb);
        let b1 = ld(pb.add(4));
        let a0 = v128_load32_splat(pa);
        fma!(c00, a0, b0);
        fma!(c01, a0, b1);
        let a1 = v128_load32_splat(pa.add(1));
        fma!(c10, a1, b0);
        fma!(c11, a1, b1);
        let a2 = v128_load32_splat(pa.add(2));
        fma!(c20, a2, b0);
        fma!(c21, a2, b1);
        let a3 = v128_load32_splat(pa.add(3));
        fma!(c30, a3, b0);
        fma!(c31, a3, b1);
        pa = pa.add(MR);
        pb = pb.add(NR);
    }
    let rows = [c00, c01, c10, c11, c20, c21, c30, c31];
    if mr == 4 && nr == NR {
        for i in 0..4 {
            let p = c.add(i * ldc);
            if add {
                st(p, f32x4_add(ld(p), rows[2 * i]));
                st(p.add(4), f32x4_add(ld(p.add(4)), rows[2 * i + 1]));
            } else {
                st(p, rows[2 * i]);
                st(p.add(4), rows[2 * i + 1]);
            }
        }
    } else {
        let mut tmp = [0f32; 4 * NR];
        for (i, r) in rows.iter().enumerate() {
            st(tmp.as_mut_ptr().add(i * 4), *r);
        }
        for i in 0..mr {
            let p = c.add(i * ldc);
            for j in 0..nr {
                let v = tmp[i * NR + j];
                *p.add(j) = if add { *p.add(j) + v } else { v };
            }
        }
    }
}
