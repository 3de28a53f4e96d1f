//! Counter-based random numbers (engine/random.ts, bit for bit in the u32 stream) and the
//! sinusoidal time embedding.
use crate::claims;
use crate::math::*;
use core::arch::wasm32::*;

/// lowbias32 on 4 lanes.
#[inline(always)]
fn hash4(x: v128) -> v128 {
    let x = v128_xor(x, u32x4_shr(x, 16));
    let x = i32x4_mul(x, kvi!(0x7feb_352d));
    let x = v128_xor(x, u32x4_shr(x, 15));
    let x = i32x4_mul(x, kvi!(0x846c_a68b_u32 as i32));
    v128_xor(x, u32x4_shr(x, 16))
}

#[inline(always)]
fn bits4(key: v128, c: v128) -> v128 {
    hash4(i32x4_add(hash4(v128_xor(c, key)), key))
}

const INV_2_24: f32 = 1.0 / 16_777_216.0;

/// out[i] = uniform or normal sample (dist 0 = uniform, 1 = normal) at counter offset + i of the
/// stream with key `key` (= streamKey(seed), computed on the TS side).
#[no_mangle]
pub unsafe extern "C" fn random(
    out: *mut f32,
    n: usize,
    dist: u32,
    key: u32,
    offset: u32,
    tid: usize,
    nt: usize,
) {
    for (s, e) in claims(n, tid, nt, 16) {
        let kv = i32x4_splat(key as i32);
        let lanes = i32x4(0, 1, 2, 3);
        let mut i = s;
        while i < e {
            let c = i32x4_add(i32x4_splat(offset.wrapping_add(i as u32) as i32), lanes);
            let v = if dist == 0 {
                let b = bits4(kv, c);
                f32x4_mul(f32x4_convert_u32x4(u32x4_shr(b, 8)), kv!(INV_2_24))
            } else {
                let c2 = i32x4_shl(c, 1);
                let b1 = bits4(kv, c2);
                let b2 = bits4(kv, i32x4_add(c2, kvi!(1)));
                let u1 = f32x4_mul(
                    f32x4_convert_u32x4(i32x4_add(u32x4_shr(b1, 8), kvi!(1))),
                    kv!(INV_2_24),
                );
                let u2 = f32x4_mul(f32x4_convert_u32x4(u32x4_shr(b2, 8)), kv!(INV_2_24));
                let r = f32x4_sqrt(f32x4_mul(kv!(-2.0), log4(u1)));
                f32x4_mul(r, cos_turns4(u2))
            };
            if i + 4 <= e {
                st(out.add(i), v);
            } else {
                let mut t = [0f32; 4];
                st(t.as_mut_ptr(), v);
                for j in 0..e - i {
                    *out.add(i + j) = t[j];
                }
            }
            i += 4;
        }
    }
}

/// out[b, j] = sin(t_b·f_j) for j < dim/2, cos(t_b·f_{j−dim/2}) after; `freqs` holds the dim/2
/// frequencies as f64 (computed on the TS side). Rows split across threads.
#[no_mangle]
pub unsafe extern "C" fn time_embedding(
    t: *const f32,
    out: *mut f32,
    b: usize,
    dim: usize,
    freqs: *const f64,
    tid: usize,
    nt: usize,
) {
    let half = dim / 2;
    for (r0, r1) in claims(b, tid, nt, 1) {
        for r in r0..r1 {
            let tv = *t.add(r) as f64;
            let o = out.add(r * dim);
            for j in 0..half {
                let a = tv * *freqs.add(j);
                *o.add(j) = sin64(a) as f32;
                *o.add(half + j) = cos64(a) as f32;
            }
        }
    }
}
