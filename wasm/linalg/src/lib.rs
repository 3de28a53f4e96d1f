//! polyscore_linalg: dense f64 symmetric eigendecomposition, Cholesky factorisation, triangular
//! solves and SPD inversion, exported to WebAssembly as plain `extern "C"` functions.
//!
//! Calling convention (see `wasm/linalg/mod.ts`, the only caller): the host allocates f64 buffers with
//! [`linalg_alloc`], copies inputs in, calls a routine, copies outputs out and frees the buffers
//! with [`linalg_free`]. Sizes are element counts. Every routine returns 0 on success or a positive
//! status described on the routine; inputs are validated by the host before the call.

mod chol;
mod eigh;
mod kernels;
mod par;
mod sterf;

use core::slice;

/// Allocates an uninitialised buffer of `len` f64 values; free it with [`linalg_free`].
#[no_mangle]
pub extern "C" fn linalg_alloc(len: usize) -> *mut f64 {
    let mut v: Vec<f64> = Vec::with_capacity(len);
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}

/// Frees a buffer returned by [`linalg_alloc`] with the same `len`.
///
/// # Safety
/// `ptr` must come from `linalg_alloc(len)` and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn linalg_free(ptr: *mut f64, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len));
}

/// Eigenvalues (ascending, into `values`, n) and eigenvectors (into `vectors`, n×n row-major,
/// column j ↔ values[j]) of the symmetric matrix whose lower triangle is in `a` (n×n,
/// overwritten). Returns 0, or i + 1 when the QL/QR iteration did not converge at index i.
///
/// # Safety
/// `a` and `vectors` hold n·n f64, `values` n; all distinct.
#[no_mangle]
pub unsafe extern "C" fn linalg_eigh(
    a: *mut f64,
    n: usize,
    values: *mut f64,
    vectors: *mut f64,
) -> u32 {
    let a = slice::from_raw_parts_mut(a, n * n);
    let values = slice::from_raw_parts_mut(values, n);
    let vectors = slice::from_raw_parts_mut(vectors, n * n);
    match eigh::eigh(a, n, values, vectors) {
        Ok(()) => 0,
        Err(i) => i as u32 + 1,
    }
}

/// Cholesky factor L (into `l`, n×n row-major) of the lower triangle of `a`. Returns 0, or i + 1
/// when pivot i is not positive; its value is then written to `pivot[0]`.
///
/// # Safety
/// `a` and `l` hold n·n f64, `pivot` one; `a` and `l` distinct.
#[no_mangle]
pub unsafe extern "C" fn linalg_cholesky(
    a: *const f64,
    n: usize,
    l: *mut f64,
    pivot: *mut f64,
) -> u32 {
    let a = slice::from_raw_parts(a, n * n);
    let l = slice::from_raw_parts_mut(l, n * n);
    match chol::cholesky(a, n, l) {
        Ok(()) => 0,
        Err((i, s)) => {
            *pivot = s;
            i as u32 + 1
        }
    }
}

/// Solves op(T)·X = B in place; `b` is n×nrhs row-major. `lower` and `transpose` are 0 or 1.
/// Returns 0, or i + 1 when t_ii is zero.
///
/// # Safety
/// `t` holds n·n f64 and `b` n·nrhs; distinct.
#[no_mangle]
pub unsafe extern "C" fn linalg_solve_triangular(
    t: *const f64,
    n: usize,
    b: *mut f64,
    nrhs: usize,
    lower: u32,
    transpose: u32,
) -> u32 {
    let t = slice::from_raw_parts(t, n * n);
    let b = slice::from_raw_parts_mut(b, n * nrhs);
    match chol::solve_triangular(t, n, b, nrhs, lower != 0, transpose != 0) {
        Ok(()) => 0,
        Err(i) => i as u32 + 1,
    }
}

/// Inverse (into `out`, n×n) of the SPD matrix whose lower triangle is in `a`. Returns 0, or
/// i + 1 when Cholesky pivot i is not positive; its value is then written to `pivot[0]`.
///
/// # Safety
/// `a` and `out` hold n·n f64, `pivot` one; all distinct.
#[no_mangle]
pub unsafe extern "C" fn linalg_spd_inverse(
    a: *const f64,
    n: usize,
    out: *mut f64,
    pivot: *mut f64,
) -> u32 {
    let a = slice::from_raw_parts(a, n * n);
    let out = slice::from_raw_parts_mut(out, n * n);
    match chol::spd_inverse(a, n, out) {
        Ok(()) => 0,
        Err((i, s)) => {
            *pivot = s;
            i as u32 + 1
        }
    }
}

/// Eigenvalues (into `d`, in no particular order) of the symmetric tridiagonal matrix with
/// diagonal `d` (n) and off-diagonal `e` (n; e[i] couples i and i+1, e[n−1] ignored; destroyed),
/// which the caller has scaled so that its entries are at most 1 in magnitude. Returns 0, or
/// i + 1 when the iteration did not converge at index i.
///
/// # Safety
/// `d` and `e` hold n f64 each; distinct.
#[no_mangle]
pub unsafe extern "C" fn linalg_tridiagonal_values(d: *mut f64, e: *mut f64, n: usize) -> u32 {
    let d = slice::from_raw_parts_mut(d, n);
    let e = slice::from_raw_parts_mut(e, n);
    match sterf::tridiagonal_values(d, e) {
        Ok(()) => 0,
        Err(i) => i as u32 + 1,
    }
}
